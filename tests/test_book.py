"""The HTML check that CI runs on the built book, on hand-made pages."""

import shutil

import numpy as np
import pytest
from PIL import Image

from reidlab.book import check_html
from reidlab.errors import ReidlabError

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium not installed")


def _page(path, body):
    path.write_text(f"<html><body><main><h1>t</h1>{body}</main></body></html>")


def test_pages_render_and_figures_load(tmp_path):
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "fig.png")
    _page(tmp_path / "index.html", '<img src="fig.png">')
    _page(tmp_path / "other.html", "<p>no figures</p>")
    (tmp_path / "redirect.html").write_text('<meta http-equiv="Refresh" content="0; url=index.html" />')
    rows = check_html(tmp_path, screenshot_dir=tmp_path / "shots")
    assert {r["page"]: r["figures"] for r in rows} == {"index.html": 1, "other.html": 0}
    assert (tmp_path / "shots" / "index.png").stat().st_size > 0


def test_broken_or_missing_figure_fails(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not a png")
    _page(tmp_path / "index.html", '<img src="bad.png">')
    with pytest.raises(ReidlabError, match="not a valid image"):
        check_html(tmp_path)
    _page(tmp_path / "index.html", '<img src="gone.png">')
    with pytest.raises(ReidlabError, match="missing"):
        check_html(tmp_path)
