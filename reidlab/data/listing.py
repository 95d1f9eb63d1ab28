"""What a loader finds on disk before any image is decoded."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Listing:
    """File names (relative to the data root) and labels; images are decoded later, via the cache."""

    relpaths: list[str]
    pids: np.ndarray
    camids: np.ndarray
    layout: str
    poses: np.ndarray | None = None
    attributes: np.ndarray | None = None
    attribute_names: list[str] = field(default_factory=list)


def require_dir(path, dataset: str, layout: str, source: str):
    """``path`` if it is a folder, else a ``DatasetNotFoundError`` that says how to fix it."""
    from reidlab.errors import DatasetNotFoundError

    if not path.is_dir():
        raise DatasetNotFoundError(
            f"dataset '{dataset}' not found: no folder {path}.\n"
            f"  expected layout under the data root: {layout}\n"
            f"  published by: {source}\n"
            "  Put it there (read in place, never copied into the repository) and point the data "
            "root at its parent: set REIDLAB_DATA_ROOT or pass --data-root."
        )
    return path


def files_matching(folder, pattern, dataset: str):
    """Sorted files of ``folder`` whose names match the compiled regex ``pattern``; error if none."""
    from reidlab.errors import DatasetNotFoundError

    names = sorted(p.name for p in folder.iterdir() if pattern.fullmatch(p.name))
    if not names:
        raise DatasetNotFoundError(
            f"dataset '{dataset}': {folder} has no files named like {pattern.pattern}; "
            "is the data root pointing at the right release?"
        )
    return names
