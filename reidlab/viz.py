"""Pictures of data: the contact sheet that shows what a dataset looks like."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from reidlab.data.record import UNKNOWN, ReidDataset


def contact_sheet(data: ReidDataset, path: str | Path, persons: int = 16, per_person: int = 2,
                  seed: int = 0) -> Path:
    """Save a grid of ``persons`` random persons (rows of ``per_person`` images, cameras in order).

    Each tile is captioned with person id and cameras (the id alone for a set without camera labels).
    """
    rng = np.random.default_rng(seed)
    pids = rng.choice(np.unique(data.pids), size=min(persons, data.num_persons), replace=False)
    h, w = data.images.shape[1:3]
    cols = 4  # persons per row of the sheet
    rows = -(-len(pids) // cols)
    tile_w, cap = w * per_person + 6, 12
    sheet = Image.new("RGB", (cols * tile_w, rows * (h + cap)), "white")
    draw = ImageDraw.Draw(sheet)
    for k, pid in enumerate(sorted(pids)):
        idx = np.flatnonzero(data.pids == pid)
        idx = idx[np.argsort(data.camids[idx], kind="stable")][:per_person]
        x0, y0 = (k % cols) * tile_w, (k // cols) * (h + cap)
        for j, i in enumerate(idx):
            sheet.paste(Image.fromarray(data.images[i]), (x0 + j * w, y0 + cap))
        known = data.camids[idx] != UNKNOWN  # sets without camera labels: the person id alone
        cams = ",".join("?" if c == UNKNOWN else str(c) for c in data.camids[idx])
        draw.text((x0 + 1, y0), f"{pid} cam {cams}" if known.any() else f"id {pid}", fill="black")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.png")
    sheet.save(tmp)
    tmp.replace(path)
    return path
