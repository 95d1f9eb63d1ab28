"""Dataset packs: a dataset's decoded, resized images (lossless uint8) and labels in one
compressed file, for a machine that gets no data folder (a lent GPU, where a call carries at
most 64 MiB: VIPeR's 25 MB of bitmaps pack into 9 MB, CUHK01's 75 MB into 28 MB).

``reidlab pack DATASET ... --out DIR`` writes ``DIR/<name>-<H>x<W>.npz``; with
``$REIDLAB_PACKS=DIR`` set, ``load_dataset`` reads a dataset from its pack, if there is one,
before looking for a data root. A pack holds the labels of each attribute vocabulary the
dataset has (``ATTRIBUTE_SETS``), so one file serves every run on it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from reidlab.data.images import Size
from reidlab.data.record import ReidDataset
from reidlab.errors import ConfigError

PACKS_ENV = "REIDLAB_PACKS"
ATTRIBUTE_SETS = ("default", "peta", "layne")  # "default": what ``attribute_set=None`` reads


def pack_path(folder: Path, name: str, size: Size) -> Path:
    return Path(folder) / f"{name}-{size[0]}x{size[1]}.npz"


def write_pack(name: str, data_root: str | Path, out: str | Path, size: Size = (64, 64)) -> Path:
    """Pack dataset ``name`` (read from ``data_root``) into ``out``; returns the file."""
    from reidlab.data.registry import load_dataset

    if name in ("synthetic", "peta-reid"):
        raise ConfigError(f"'{name}' needs no pack: " + ("it is generated" if name == "synthetic" else
                          "it pools the packs of its parts (viper, ilids, 3dpes, caviar)"))
    base = load_dataset(name, data_root, size)
    arrays = {"images_delta": _delta(base.images), "pids": base.pids, "camids": base.camids,
              "filenames": np.array(base.filenames), "layout": np.array(base.layout)}
    if base.poses is not None:
        arrays["poses"] = base.poses
    for vocabulary in ATTRIBUTE_SETS:
        try:
            data = base if vocabulary == "default" else load_dataset(name, data_root, size, vocabulary)
        except ConfigError:  # a vocabulary this dataset does not have
            continue
        if data.attributes is None or list(data.filenames) != list(base.filenames):
            continue
        arrays[f"attributes_{vocabulary}"] = data.attributes
        arrays[f"attribute_names_{vocabulary}"] = np.array(data.attribute_names)
    path = pack_path(Path(out), name, size)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)  # a pack is whole or absent
    return path


def read_pack(name: str, size: Size, attribute_set: str | None) -> ReidDataset | None:
    """Dataset ``name`` from its pack under ``$REIDLAB_PACKS``; None when there is none."""
    folder = os.environ.get(PACKS_ENV)
    path = pack_path(Path(folder), name, size) if folder else None
    if path is None or not path.is_file():
        return None
    vocabulary = attribute_set or "default"
    with np.load(path) as pack:
        if f"attributes_{vocabulary}" not in pack and any(k.startswith("attributes_") for k in pack.files):
            raise ConfigError(f"the pack {path} has no '{vocabulary}' attribute labels; pack {name} again")
        attributes = pack.get(f"attributes_{vocabulary}")
        names = pack.get(f"attribute_names_{vocabulary}")
        return ReidDataset(name=name, images=_undelta(pack["images_delta"]), pids=pack["pids"], camids=pack["camids"],
                           filenames=pack["filenames"].tolist(), poses=pack.get("poses"),
                           attributes=attributes, attribute_names=[] if names is None else names.tolist(),
                           layout=str(pack["layout"]))


def _delta(images: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 -> (N, 3, H, W) differences along each row, modulo 256: lossless, and
    it compresses ~25% better than the pixels themselves (neighbours are alike)."""
    planes = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    planes[..., 1:] -= images.transpose(0, 3, 1, 2)[..., :-1]
    return planes


def _undelta(planes: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.cumsum(planes, axis=-1, dtype=np.uint8).transpose(0, 2, 3, 1))
