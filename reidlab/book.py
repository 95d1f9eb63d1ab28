"""Build the study's HTML book: papermill runs every notebook, then Jupyter Book (v1) renders
the executed copies with execution off."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

from reidlab.errors import ReidlabError

REPO = Path(__file__).resolve().parents[1]


def execute_notebooks(profile: str, data_root: str | None, jobs: int = 1, only: list[str] | None = None,
                      execute_runs: bool = True, repo: Path = REPO) -> list[Path]:
    """Run ``notebooks/*.ipynb`` with papermill into ``book/executed/``; a progress line each."""
    import papermill

    notebooks = sorted((repo / "notebooks").glob("[0-9]*.ipynb"))
    if only:
        notebooks = [nb for nb in notebooks if any(nb.stem.endswith(o) for o in only)]
    out_dir = repo / "book" / "executed"
    out_dir.mkdir(parents=True, exist_ok=True)
    done = []
    for k, nb in enumerate(notebooks, 1):
        start = time.perf_counter()
        print(f"[{k:2d}/{len(notebooks)}] {nb.stem} ...", end=" ", flush=True)
        target = out_dir / nb.name
        try:
            with _quiet_stderr():
                papermill.execute_notebook(
                    str(nb), str(target), cwd=str(nb.parent), progress_bar=False,
                    parameters={"profile": profile, "data_root": data_root, "jobs": jobs,
                                "execute_runs": execute_runs})
        except papermill.PapermillExecutionError as exc:
            raise ReidlabError(f"notebook {nb.name} failed ({exc.ename}: {exc.evalue}); "
                               f"the partial output is in {target}") from None
        print(f"done in {time.perf_counter() - start:.0f} s", flush=True)
        done.append(target)
    return done


@contextlib.contextmanager
def _quiet_stderr():
    """Silence the kernel's start-up chatter (it inherits file descriptor 2); errors still raise."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)


def build_html(repo: Path = REPO) -> Path:
    """``jupyter-book build`` of the repository root; returns the index page."""
    cli = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run([str(cli), "build", str(repo), "--quiet"], capture_output=True, text=True)
    if result.returncode != 0:
        raise ReidlabError(f"jupyter-book build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return repo / "_build" / "html" / "index.html"


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _render(browser: str, url: str, extra: list[str], profile_dir: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", *extra, url],
                          capture_output=True, text=True, timeout=120)


def check_html(html_dir: Path, browser: str = "chromium", screenshot_dir: Path | None = None) -> list[dict]:
    """Render every page of the built book in headless Chromium; check that it has content and
    that each figure it shows decodes as an image. Returns one row per page; raises on a failure."""
    import base64
    import io
    import re
    import shutil
    import tempfile
    from html import unescape

    from PIL import Image

    if shutil.which(browser) is None:
        raise ReidlabError(f"{browser} not found: install Debian's chromium (apt-get install chromium)")
    pages = [p for p in sorted(html_dir.rglob("*.html"))
             if "_static" not in p.parts and p.name not in ("search.html", "genindex.html")
             and 'http-equiv="refresh"' not in p.read_text(errors="ignore").lower()]  # redirects
    if not pages:
        raise ReidlabError(f"no HTML pages under {html_dir}: build the book first (reidlab book)")
    rows, profile = [], tempfile.mkdtemp(prefix="reidlab-chromium-")
    for page in pages:
        dom = _render(browser, page.as_uri(), ["--dump-dom"], profile).stdout
        if "<main" not in dom and "<article" not in dom:
            raise ReidlabError(f"{page} did not render (no main content in the DOM)")
        images = 0
        for src in re.findall(r'<img[^>]+src="([^"]+)"', dom):
            src = unescape(src)
            if src.startswith("data:"):
                data = base64.b64decode(src.split(",", 1)[1])
            else:
                path = (page.parent / src.split("?")[0]).resolve()
                if not path.is_file():
                    raise ReidlabError(f"{page.name}: figure {src} is missing")
                data = path.read_bytes()
            if src.endswith(".svg") or src.startswith("data:image/svg"):
                images += 1
                continue
            try:
                Image.open(io.BytesIO(data)).verify()
            except Exception as exc:  # any decoder error means the reader sees a broken figure
                raise ReidlabError(f"{page.name}: figure {src[:80]} is not a valid image ({exc})") from None
            images += 1
        if screenshot_dir is not None:
            screenshot_dir.mkdir(parents=True, exist_ok=True)
            shot = screenshot_dir / f"{page.stem}.png"
            _render(browser, page.as_uri(), [f"--screenshot={shot}", "--window-size=1200,1600"], profile)
        rows.append({"page": str(page.relative_to(html_dir)), "bytes": len(dom), "figures": images})
    return rows
