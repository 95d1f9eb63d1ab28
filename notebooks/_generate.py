"""Writes the study's notebooks (one per paper item with a page) and the book's ``_toc.yml`` from
the manifest ``reidlab.study.ITEMS`` (cells: ``reidlab.notebooks``, calling ``reidlab.pages``).

    python notebooks/_generate.py

Edit the manifest and regenerate rather than editing the notebooks by hand; a test
(``tests/test_study.py``) fails while the committed files differ from what this writes.
"""

from pathlib import Path

import nbformat as nbf

from reidlab.notebooks import notebook, notebook_names, toc
from reidlab.study import ITEMS, STUDY_PART

HERE = Path(__file__).parent


def write(notebooks: Path = HERE, toc_file: Path = HERE.parent / "_toc.yml") -> list[Path]:
    written = []
    for name, stem in notebook_names(ITEMS).items():
        path = notebooks / f"{stem}.ipynb"
        nbf.write(notebook(name, ITEMS[name]), path)
        written.append(path)
    toc_file.write_text(toc(ITEMS, STUDY_PART))
    return written


if __name__ == "__main__":
    print(f"wrote {len(write())} notebooks and _toc.yml")
