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
