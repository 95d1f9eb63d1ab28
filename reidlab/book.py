"""Build the study's HTML book: papermill runs every notebook, then Jupyter Book (v1) renders
the executed copies with execution off.

Two editions: the **real book** (``make book``) renders the pages committed under
``results/book/pages`` (executed with real data at a real profile, each saying how it was made) and
needs no data and no training; a **demo** build (synthetic data or the smoke profile) renders its
own pages from scratch, in its own folder, under a banner that says so."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from reidlab.errors import ReidlabError
from reidlab.store import SCRATCH, book_out_for, store_for

REPO = Path(__file__).resolve().parents[1]


def pages_dir(profile: str, real_data: bool) -> Path:
    """Where a build's executed notebooks (the book's pages) go: ``results/book/pages`` for the
    real study (evidence: the real book is built from them, ``build_html(REAL)``), else scratch."""
    return book_out_for(profile, real_data) / "pages"


def execute_notebooks(profile: str, data_root: str | None, jobs: int = 1, only: list[str] | None = None,
                      execute_runs: bool = True, repo: Path = REPO) -> Path:
    """Run ``notebooks/*.ipynb`` with papermill into ``pages_dir``, a progress line each; returns
    that folder. A page is executed into scratch and moved there only once it has run to the end."""
    import papermill

    notebooks = sorted((repo / "notebooks").glob("[0-9]*.ipynb"))
    if only:
        notebooks = [nb for nb in notebooks if any(nb.stem.endswith(o) for o in only)]
    out_dir = pages_dir(profile, data_root is not None)
    work = SCRATCH / "executing"
    for d in (out_dir, work):
        d.mkdir(parents=True, exist_ok=True)
    for k, nb in enumerate(notebooks, 1):
        start = time.perf_counter()
        print(f"[{k:2d}/{len(notebooks)}] {nb.stem} ...", end=" ", flush=True)
        partial = work / nb.name
        try:
            with _quiet_stderr():
                papermill.execute_notebook(
                    str(nb), str(partial), cwd=str(nb.parent), progress_bar=False,
                    parameters={"profile": profile, "data_root": data_root, "jobs": jobs,
                                "execute_runs": execute_runs})
        except papermill.PapermillExecutionError as exc:
            raise ReidlabError(f"notebook {nb.name} failed ({exc.ename}: {exc.evalue}); "
                               f"the partial output is in {partial}") from None
        for stale in _pages_of(out_dir, nb.stem):  # the item's page under an older number
            stale.unlink()
        os.replace(partial, out_dir / nb.name)
        print(f"done in {time.perf_counter() - start:.0f} s", flush=True)
    return out_dir


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


@dataclass(frozen=True)
class Edition:
    """A build of the book: where its pages come from, where its HTML goes, and its banner."""
    pages: Path
    output: Path  # jupyter-book's --path-output: the HTML lands in output/_build/html
    banner: str
    store: Path | None = None  # the runs its pages read (the index says where the study stands)
    profile: str = "fast"  # the profile of its item pages
    real_data: bool = True
    evidence: bool = False  # the real study's (results/): its pages must be as new as its store

    @property
    def index(self) -> Path:
        return self.output / "_build" / "html" / "index.html"


def real_edition(pages: Path = REPO / "results" / "book" / "pages") -> Edition:
    """The real study's book: the pages committed under ``results/book/pages`` (whatever
    ``$REIDLAB_BOOK_OUT`` says: that redirects what builds write), in ``_build/html``."""
    from reidlab import standing

    store = pages.parent.parent / "store"  # results/book/pages: results/store
    return Edition(pages, REPO, standing.banner(store, pages.parent), store, evidence=True)


def stale_pages(pages: Path = REPO / "results" / "book" / "pages",
                store: Path = REPO / "results" / "store") -> dict[str, str]:
    """item -> why its page in ``pages`` is older than the runs of ``store`` it reads (the
    ``reads.json`` it wrote beside its tables, ``store.ReadLog``); current pages are left out."""
    import json

    from reidlab.store import stale

    found = {}
    for page in sorted(pages.glob("[0-9]*_*.ipynb")):
        item = page.stem.split("_", 1)[1]
        record = pages.parent / item / "reads.json"
        why = stale(json.loads(record.read_text()), store) if record.exists() else "no record of the runs it read"
        if why:
            found[item] = why
    return found


def page_profile(pages: Path, item: str) -> str:
    """The profile ``item``'s page in ``pages`` was executed at (the parameters papermill injected)."""
    found = [re.search(r'profile = "(\w+)"', "".join(cell.source)) for page in _pages_of(pages, f"0_{item}")
             for cell in nbformat.read(page, as_version=4).cells if "injected-parameters" in cell.metadata.get("tags", [])]
    return found[0].group(1) if found and found[0] else "fast"


def scratch_edition(profile: str, real_data: bool) -> Edition:
    """A demo build (synthetic data, or the smoke profile): its own folder, its own banner."""
    data = "real data" if real_data else "SYNTHETIC data"
    return Edition(pages_dir(profile, real_data), SCRATCH,
                   f"DEMO BUILD: {data}, profile {profile}. These are not the study's results: "
                   "the real study's book is built by `make book`.", store_for(profile, real_data), profile, real_data)


def build_html(edition: Edition, repo: Path = REPO) -> Path:
    """``jupyter-book build`` of ``edition``'s pages (execution off); returns the index page.
    A page of the table of contents that the edition lacks says so and how to make it."""
    import yaml

    executed = repo / "book" / "executed"  # where _toc.yml points (ignored; filled per build)
    executed.mkdir(parents=True, exist_ok=True)
    for old in executed.glob("*.ipynb"):
        old.unlink()
    for entry in re.findall(r"file: book/executed/(\S+)", (repo / "_toc.yml").read_text()):
        pages = _pages_of(edition.pages, entry)
        if pages:
            nbformat.write(_as_shown(pages[0]), executed / f"{entry}.ipynb")
        else:
            nbformat.write(_missing_page(entry), executed / f"{entry}.ipynb")
    (executed / "standing.md").write_text(_standing(edition))  # the index includes it
    shutil.rmtree(edition.index.parent, ignore_errors=True)  # no page of an earlier build lingers
    config = yaml.safe_load((repo / "_config.yml").read_text())
    config.setdefault("html", {})["announcement"] = edition.banner
    edition.output.mkdir(parents=True, exist_ok=True)
    config_path = SCRATCH / "_config.yml"
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    cli = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run([str(cli), "build", str(repo), "--quiet", "--config", str(config_path),
                             "--path-output", str(edition.output)], capture_output=True, text=True)
    if result.returncode != 0:
        raise ReidlabError(f"jupyter-book build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return edition.index


def _pages_of(folder: Path, stem: str) -> list[Path]:
    """The pages of ``stem``'s item in ``folder``, whatever their number (``NN_<item>.ipynb``):
    numbers follow the manifest's order and shift when an item is added."""
    item = stem.split("_", 1)[1]
    return sorted(folder.glob(f"[0-9]*_{item}.ipynb"))


def _standing(edition: Edition) -> str:
    from reidlab import standing

    if edition.store is None or not edition.store.is_dir():
        return "*No store of runs in this edition.*\n"
    return standing.markdown(edition.store, edition.pages.parent, edition.profile, edition.real_data)


def _as_shown(page: Path):
    """``page`` as the book shows it: without the parameters papermill injected (a machine's paths;
    each page's header says its profile, data and folds, and the page "Re-running" how to set them)."""
    nb = nbformat.read(page, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    return nb


def _missing_page(stem: str):
    item = stem.split("_", 1)[1]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        f"# {item}\n\nThis page has not been built in this edition. Build it with "
        f"`reidlab book {item} --profile fast --data-root DIR` (real data) or `reidlab book {item}` (demo).")])


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--allow-file-access-from-files"]  # the probe in a frame writes into its parent
WIDTHS = (1280, 390)  # a laptop and a phone (CSS pixels)

# Run in each page once it has loaded: what a reader would see wrong. An element whose right edge
# passes its column's, unless a box of its own scrolls (or clips) it; a raw NaN; a machine path.
# The page sits in a frame of the width checked (headless windows are never narrower than ~500 px).
PROBE = """<script>window.addEventListener('load', () => {
  const col = document.querySelector('article') || document.querySelector('main') || document.body;
  const edge = col.getBoundingClientRect().right;
  const boxed = el => { for (let a = el.parentElement; a && a !== col; a = a.parentElement) {
    if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) return true; } return false; };
  const wide = [];
  for (const el of col.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.height && r.right > edge + 1 && !boxed(el))
      wide.push(`<${el.tagName.toLowerCase()}> ${Math.round(r.right - edge)} px past its column: ` +
                (el.innerText || '').trim().slice(0, 40));
  }
  const text = col.innerText;
  const found = {wide: wide.slice(0, 5), nan: (text.match(/\\bNaN\\b/g) || []).length,
                 paths: [...new Set(text.match(/(?:\\/work|\\/home|\\/tmp|\\/root|\\/Users|\\/check)\\/[^\\s'"]*/g) || [])]};
  const pre = document.createElement('pre'); pre.id = 'reidlab-probe'; pre.textContent = JSON.stringify(found);
  (window.parent || window).document.body.appendChild(pre);
});</script>"""


def _render(browser: str, url: str, extra: list[str], profile_dir: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", *extra, url],
                          capture_output=True, text=True, timeout=120)


def _probe(browser: str, page: Path, width: int, profile_dir: str, shot: Path | None) -> tuple[str, list[str]]:
    """``page`` rendered ``width`` CSS pixels wide with the probe in it: the DOM rendered, and what the
    probe found wrong (one line each). Narrower than a headless window can be, it sits in a frame."""
    import json
    from html import unescape

    probed, frame = page.with_name(f"_probe_{page.name}"), page.with_name(f"_frame_{page.name}")
    probed.write_text(page.read_text(errors="ignore").replace("</body>", PROBE + "</body>"))
    frame.write_text(f'<html><body style="margin:0"><iframe src="{probed.name}" '
                     f'style="width:{width}px;height:1600px;border:0"></iframe></body></html>')
    try:
        url = (probed if width >= 500 else frame).as_uri()
        dom = _render(browser, url, [f"--window-size={max(width, 500)},1600", "--virtual-time-budget=10000",
                                     "--dump-dom"], profile_dir).stdout
        if shot is not None:
            _render(browser, url, [f"--window-size={max(width, 500)},1600", "--virtual-time-budget=10000",
                                   f"--screenshot={shot}"], profile_dir)
    finally:
        probed.unlink(missing_ok=True)
        frame.unlink(missing_ok=True)
    found = re.search(r'<pre id="reidlab-probe"[^>]*>(.*?)</pre>', dom, re.S)
    if found is None:
        return dom, [f"at {width} px the page did not finish loading"]
    found = json.loads(unescape(found.group(1)))
    problems = [f"at {width} px: {w}" for w in found["wide"]]
    problems += [f"shows NaN {found['nan']} time(s)"] if found["nan"] else []
    problems += [f"shows a machine path: {p}" for p in found["paths"]]
    return dom, problems


def check_html(html_dir: Path, browser: str = "chromium", screenshot_dir: Path | None = None) -> list[dict]:
    """Render every page of the built book in headless Chromium, at a laptop's and a phone's width;
    check that it has content, that each figure it shows decodes as an image, and that nothing runs
    past its column, reads NaN or shows a machine path. Returns one row per page; raises on a failure,
    listing every problem of every page."""
    import base64
    import io
    import tempfile
    from html import unescape

    from PIL import Image

    if shutil.which(browser) is None:
        raise ReidlabError(f"{browser} not found: install Debian's chromium (apt-get install chromium)")
    html_dir = html_dir.resolve()  # (file URIs are absolute)
    pages = [p for p in sorted(html_dir.rglob("*.html"))
             if "_static" not in p.parts and p.name not in ("search.html", "genindex.html")
             and not p.name.startswith(("_probe_", "_frame_"))  # an interrupted check's
             and 'http-equiv="refresh"' not in p.read_text(errors="ignore").lower()]  # redirects
    if not pages:
        raise ReidlabError(f"no HTML pages under {html_dir}: build the book first (reidlab book)")
    if screenshot_dir is not None:
        screenshot_dir.mkdir(parents=True, exist_ok=True)
    rows, problems, profile = [], [], tempfile.mkdtemp(prefix="reidlab-chromium-")
    for page in pages:
        doms = []
        for width in WIDTHS:
            shot = None if screenshot_dir is None else screenshot_dir / f"{page.stem}-{width}.png"
            dom, found = _probe(browser, page, width, profile, shot)
            doms.append(dom)
            lines = [f"{page.relative_to(html_dir)}: {p}" for p in found]
            problems += [line for line in lines if line not in problems]  # NaN or a path: once a page
        dom = doms[0]  # the laptop's: the page itself, not a frame
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
        rows.append({"page": str(page.relative_to(html_dir)), "bytes": len(dom), "figures": images})
    if problems:
        raise ReidlabError("what a reader would see wrong:\n  " + "\n  ".join(problems))
    return rows
