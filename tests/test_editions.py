"""The book's two editions: the real one from committed pages, a demo one elsewhere; neither
a demo build nor a notebook run touches results/."""

import subprocess
from pathlib import Path

import nbformat

from reidlab import notebooks
from reidlab.book import Edition, build_html, real_edition

REPO = Path(__file__).resolve().parents[1]


def _results_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "results/"], cwd=REPO, capture_output=True,
                          text=True, check=True).stdout


def test_a_demo_build_leaves_results_untouched(monkeypatch):
    from reidlab import store
    from reidlab.cli import main

    for name in ("REIDLAB_STORE", "REIDLAB_BOOK_OUT", "REIDLAB_DATA_ROOT"):  # CI sets them
        monkeypatch.delenv(name, raising=False)
    before = _results_status()
    assert main(["book", "claims", "--profile", "smoke", "--no-html"]) == 0
    assert _results_status() == before
    assert (store.SCRATCH / "book" / "pages" / "15_claims.ipynb").is_file()


def test_the_real_edition_reads_committed_pages_only(tmp_path):
    assert real_edition().pages == REPO / "results" / "book" / "pages"
    page = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Table IV\n\nrank-1 31.0")])
    (tmp_path / "pages").mkdir()
    nbformat.write(page, tmp_path / "pages" / "07_table4.ipynb")  # numbered before an item was added
    index = build_html(Edition(tmp_path / "pages", tmp_path / "out", "BANNER-OF-THIS-EDITION"))
    html = index.parent
    assert "BANNER-OF-THIS-EDITION" in (html / "book" / "intro.html").read_text()
    assert "rank-1 31.0" in (html / "book" / "executed" / "11_table4.html").read_text()
    # a page the edition lacks says so, and how to build it
    assert "has not been built in this edition" in (html / "book" / "executed" / "02_fig5.html").read_text()


def test_notebooks_read_the_data_root_from_the_environment(monkeypatch):
    monkeypatch.setenv("REIDLAB_DATA_ROOT", "/data/reid")
    scope: dict = {}
    exec(notebooks.PARAMETERS, scope)
    assert scope["data_root"] == "/data/reid"
    monkeypatch.setenv("REIDLAB_DATA_ROOT", "")
    exec(notebooks.PARAMETERS, scope)
    assert scope["data_root"] is None


def test_a_page_shows_the_runs_the_study_declares_unless_told_a_seed(tmp_path):
    from reidlab.pages import open_page
    from reidlab.study import plan

    scope: dict = {}
    exec(notebooks.PARAMETERS, scope)
    opened = lambda seed: open_page("table4", "fast", None, seed=seed, execute_runs=False,  # noqa: E731
                                    store=str(tmp_path / "store"), output_dir=str(tmp_path / "book"))
    declared = [r.config for r in plan("table4", "fast")]
    assert [r.config for r in plan("table4", "fast", overrides=opened(scope["seed"]).overrides)] == declared
    assert len({c.seed for c in declared}) > 1  # seed = fold: a pinned seed would hide that
    pinned = opened(0).overrides  # papermill -p seed 0: every run from seed 0
    assert {r.config.seed for r in plan("table4", "fast", overrides=pinned)} == {0}


def _finish(store: Path, identity: str) -> None:
    (store / identity).mkdir(parents=True)
    (store / identity / "metrics.json").write_text("{}")


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_a_page_older_than_the_runs_it_reads_is_reported_stale(tmp_path, capsys, monkeypatch):
    """Each page writes the runs it looked up (finished or not); a run that finishes later, or one that
    joins a store a page read whole, makes it stale, and `reidlab book` names it with the command."""
    from reidlab.book import stale_pages
    from reidlab.cli import _say_stale
    from reidlab.store import ReadLog, stale

    store, pages = tmp_path / "results" / "store", tmp_path / "results" / "book" / "pages"
    _finish(store, "aaa")
    reads = ReadLog({"aaa": True, "bbb": False})  # Fig. 4 showed aaa, and bbb as "not run yet"
    whole = ReadLog({}, everything=True)  # a provenance table: every stored run
    for k, (item, log) in enumerate([("fig4", reads), ("claims", whole), ("table1", ReadLog())], 1):
        nbformat.write(nbformat.v4.new_notebook(), _mkdir(pages) / f"{k:02d}_{item}.ipynb")
        log.write(_mkdir(pages.parent / item) / "reads.json", store)
    assert stale_pages(pages, store) == {}
    _finish(store, "bbb")
    assert stale_pages(pages, store) == {"fig4": "1 run(s) finished since it was built (bbb)",
                                         "claims": "1 run(s) finished since it was built (bbb)"}
    (store / "aaa" / "metrics.json").unlink()
    assert "1 run(s) it shows are no longer stored" in stale({"runs": {"aaa": True}}, store)
    _say_stale(pages)
    said = capsys.readouterr().out
    assert "stale page fig4: 1 run(s) finished since it was built (bbb); 1 run(s) it shows" in said
    assert "table1" not in said and "reidlab book fig4 claims --profile fast --no-runs" in said
    from reidlab import book
    from reidlab.cli import main

    monkeypatch.setattr(book.real_edition, "__defaults__", (pages,))  # `make book` of this tmp study
    assert main(["book", "--from-results", "--no-html"]) == 0
    assert "stale page fig4: 1 run(s) finished since it was built" in capsys.readouterr().out


def test_the_committed_pages_are_as_new_as_the_committed_runs():
    from reidlab.book import stale_pages

    assert stale_pages() == {}, "rebuild the pages named (reidlab book ITEMS --no-runs ...; `make book` says how)"
