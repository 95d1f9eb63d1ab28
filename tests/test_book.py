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
    assert (tmp_path / "shots" / "index-1280.png").stat().st_size > 0
    assert (tmp_path / "shots" / "index-390.png").stat().st_size > 0


def test_broken_or_missing_figure_fails(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not a png")
    _page(tmp_path / "index.html", '<img src="bad.png">')
    with pytest.raises(ReidlabError, match="not a valid image"):
        check_html(tmp_path)
    _page(tmp_path / "index.html", '<img src="gone.png">')
    with pytest.raises(ReidlabError, match="missing"):
        check_html(tmp_path)


def test_what_a_reader_would_see_wrong_fails_at_either_width(tmp_path):
    _page(tmp_path / "index.html", '<div style="overflow-x:auto"><div style="width:2000px">a wide table '
          'scrolled in its own box</div></div><div style="width:450px">fits a laptop</div>')
    with pytest.raises(ReidlabError) as failed:  # a phone's column is narrower than 450 px
        check_html(tmp_path)
    assert "index.html: at 390 px: <div>" in str(failed.value) and "1280 px" not in str(failed.value)
    assert "scrolled" not in str(failed.value)
    _page(tmp_path / "index.html", "<p>mAP NaN, read from /work/shared/datasets/PETA</p>")
    with pytest.raises(ReidlabError, match="NaN 1 time.*\n.*machine path: /work/shared/datasets/PETA"):
        check_html(tmp_path)
    _page(tmp_path / "index.html", "<p>mAP 46.9, read from $REIDLAB_DATA_ROOT/PETA (a NaNometre)</p>")
    assert check_html(tmp_path)[0]["figures"] == 0
