"""The book's two editions: the real one from committed pages, a demo one elsewhere; neither
a demo build nor a notebook run touches results/."""

import subprocess
from pathlib import Path

import nbformat

from reidlab import pages
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
    exec(pages.PARAMETERS, scope)
    assert scope["data_root"] == "/data/reid"
    monkeypatch.setenv("REIDLAB_DATA_ROOT", "")
    exec(pages.PARAMETERS, scope)
    assert scope["data_root"] is None


def test_a_page_shows_the_runs_the_study_declares_unless_told_a_seed():
    from reidlab.study import plan

    scope: dict = {}
    exec(pages.PARAMETERS, scope)
    overrides_line = next(line for line in pages.SETUP.splitlines() if line.startswith("overrides ="))
    exec(overrides_line.replace("{{", "{").replace("}}", "}"), scope)
    declared = [r.config for r in plan("table4", "fast")]
    assert [r.config for r in plan("table4", "fast", overrides=scope["overrides"])] == declared
    assert len({c.seed for c in declared}) > 1  # seed = fold: a pinned seed would hide that
    scope["seed"] = 0  # papermill -p seed 0: every run from seed 0
    exec(overrides_line.replace("{{", "{").replace("}}", "}"), scope)
    assert {r.config.seed for r in plan("table4", "fast", overrides=scope["overrides"])} == {0}
