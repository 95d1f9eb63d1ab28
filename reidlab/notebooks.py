"""The book's notebooks, written from the study's manifest (``study.ITEMS``): one per paper item
with a page, and ``_toc.yml`` (``python notebooks/_generate.py`` writes them; a test checks they are
current).

A notebook holds no logic: a ``parameters`` cell (papermill), a cell that opens the page
(``pages.open_page``: the item's runs, trained unless stored, and read), one cell per function the
item's page declares (``pages.<name>(page)``), and ``pages.close(page)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:  # nbformat is a book dependency; a GPU machine that only trains lacks it
    import nbformat as nbf

PARAMETERS = '''import os

profile = "smoke"   # smoke (seconds) | quick (CPU-affordable) | fast (the fast schedule) | paper (the paper's)
data_root = os.environ.get("REIDLAB_DATA_ROOT") or None  # folder holding PETA/ and CUHK01/ (None: synthetic)
device = "auto"     # auto | cpu | cuda
seed = None         # None: as declared (seed = fold on the test folds, 0 on dev partitions); an int pins every run
jobs = 1            # runs at once
execute_runs = True # False: only read the runs already stored (build the book from results)
store = None        # results store (default: results/store for real data, else _build/scratch/store)
output_dir = None   # where tables and figures go (default: results/book for real data, else _build/scratch/book)'''

OPEN = '''from reidlab import pages

page = pages.open_page({item!r}, profile, data_root, device, seed, jobs, execute_runs, store, output_dir)'''


def notebook(name: str, item) -> nbf.NotebookNode:
    """The notebook of paper item ``name`` (a ``study.PaperItem``)."""
    import nbformat as nbf

    nb = nbf.v4.new_notebook()
    params = nbf.v4.new_code_cell(PARAMETERS)
    # the book shows the parameters papermill injected (what the page was built with), not these defaults
    params.metadata["tags"] = ["parameters", "remove-cell"]
    cells = [nbf.v4.new_markdown_cell(f"# {item.title}\n\n{item.text}"), params,
             nbf.v4.new_code_cell(OPEN.format(item=name))]
    cells += [nbf.v4.new_code_cell(f"pages.{kind}(page)") for kind in item.page]
    cells.append(nbf.v4.new_code_cell("pages.close(page)  # what the page wrote, and the runs it read"))
    for cell in cells[2:]:  # the book shows results first; code stays one click away
        cell.metadata.setdefault("tags", []).append("hide-input")
    for k, cell in enumerate(cells):
        cell.id = f"{name}-{k}"  # stable ids: regenerating changes only what changed
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def notebook_names(items: dict) -> dict[str, str]:
    """item -> notebook file stem, numbered in the manifest's order (items with a page only)."""
    pages = [name for name, item in items.items() if item.page]
    return {name: f"{k:02d}_{name}" for k, name in enumerate(pages, 1)}


def toc(items: dict, study_part: list[str]) -> str:
    """``_toc.yml``: the study's part (``study_part``: item names and ``book/*`` pages, in order),
    then every other item with a page, in the manifest's order: the paper's, then those beyond it."""
    stems = notebook_names(items)
    entry = lambda n: {"file": f"book/executed/{stems[n]}" if n in stems else n}  # noqa: E731
    others = [n for n in stems if n not in study_part]
    part = lambda name: [entry(n) for n in others if getattr(items[n], "part", "paper") == name]  # noqa: E731
    parts = [{"caption": "The study", "chapters": [entry(n) for n in study_part]},
             {"caption": "Paper items", "chapters": part("paper")}]
    if part("beyond"):
        parts.append({"caption": "Beyond the paper", "chapters": part("beyond")})
    head = "# written by notebooks/_generate.py from reidlab.study.ITEMS: edit those, not this\n"
    return head + yaml.safe_dump({"format": "jb-book", "root": "book/intro", "parts": parts}, sort_keys=False)
