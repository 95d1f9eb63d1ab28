"""Dataset names, the data root, and ``load_dataset``: the one way in."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from reidlab.data.attributes import LAYNE_ATTRIBUTES, PETA_ATTRIBUTES, layne_from_peta, rich_from_peta
from reidlab.data.images import Size, read_images
from reidlab.data.listing import Listing
from reidlab.data.packs import PACKS_ENV, read_pack
from reidlab.data.official import read_cuhk01, read_prid_official, read_viper_official
from reidlab.data.peta import PETA_SUBSETS, read_peta_subset
from reidlab.data.record import ReidDataset
from reidlab.errors import ConfigError, DatasetNotFoundError

DATA_ROOT_ENV = "REIDLAB_DATA_ROOT"
# The paper's pooled PETA re-id set (Sec. V): these PETA subsets, persons kept distinct.
PETA_REID_PARTS: tuple[str, ...] = ("viper", "ilids", "3dpes", "caviar")
PID_STRIDE = 10_000  # pooled pid = part index * PID_STRIDE + the part's own pid


# Every real dataset is used under its authors' release terms, for research; reidlab reads it in
# place and never redistributes an image.


@dataclass(frozen=True)
class DatasetSpec:
    summary: str
    read: Callable[[Path, str | None], Listing] | None
    source: str = ""  # the dataset's paper (a key of references.bib)


# each PETA subset's own paper; PETA itself is deng2014
PETA_SOURCES = {"viper": "gray2007", "ilids": "zheng2009", "caviar": "cheng2011", "3dpes": "baltieri2011",
                "prid": "hirzer2011", "grid": "loy2009"}


def _peta(key: str) -> DatasetSpec:
    folder = PETA_SUBSETS[key].folder
    return DatasetSpec(f"PETA's {folder} subset", lambda root, attrs: read_peta_subset(root, key, attrs),
                       PETA_SOURCES.get(key, ""))


DATASETS: dict[str, DatasetSpec] = {
    **{key: _peta(key) for key in PETA_SUBSETS},
    "viper-official": DatasetSpec("VIPeR, official release layout",
                                  lambda root, attrs: read_viper_official(root), "gray2007"),
    "prid-official": DatasetSpec("PRID2011 single-shot, official release layout",
                                 lambda root, attrs: read_prid_official(root), "hirzer2011"),
    "cuhk01": DatasetSpec("CUHK01 campus", lambda root, attrs: read_cuhk01(root), "li2012"),
    "peta-reid": DatasetSpec("pooled PETA re-id set: " + " + ".join(PETA_REID_PARTS), None, "deng2014"),
    "synthetic": DatasetSpec("procedurally drawn pedestrians (embedded default, no download)", None),
}


def resolve_data_root(root: str | Path | None = None) -> Path | None:
    """The data root: the argument, else ``$REIDLAB_DATA_ROOT``, else None (synthetic only)."""
    root = root or os.environ.get(DATA_ROOT_ENV) or None
    if root is None:
        return None
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DatasetNotFoundError(
            f"data root {root} is not a folder. Point --data-root or {DATA_ROOT_ENV} at the folder "
            "that holds PETA/ and CUHK01/ (e.g. ../shared/datasets), or leave it unset to use the "
            "embedded synthetic dataset."
        )
    return root


def load_dataset(name: str, root: str | Path | None = None, size: Size = (64, 64),
                 attribute_set: str | None = None, use_cache: bool = True,
                 attribute_floor: float | None = None, **synthetic_options) -> ReidDataset:
    """Load dataset ``name`` (see ``DATASETS``) with every image resized to ``size`` (H, W).

    ``attribute_set`` picks PETA's vocabulary ("peta"), VIPeR's 15 Layne attributes ("layne") or
    the rich set ("rich": PETA's multi-class attributes and its binary ones whose rarer value
    covers ``attribute_floor`` of the images, ``attributes.rich_from_peta``) for PETA subsets and
    the pooled set (default: "layne" for VIPeR, "peta" otherwise). ``synthetic_options`` go to
    ``make_synthetic`` (n_persons, seed, ...).
    """
    if name not in DATASETS:
        raise ConfigError(f"unknown dataset '{name}'; choose one of: {', '.join(DATASETS)}")
    if attribute_set not in (None, "peta", "layne", "rich"):
        raise ConfigError(f"attribute_set must be 'peta', 'layne' or 'rich', not '{attribute_set}'")
    if (attribute_set == "rich") != (attribute_floor is not None):
        raise ConfigError("attribute_floor goes with attribute_set 'rich' (and only with it): the least share "
                          f"of the rarer value that keeps a binary attribute, e.g. 0.05 (got {attribute_floor})")
    if name == "synthetic":
        from reidlab.data.synthetic import make_synthetic

        return make_synthetic(size=size, **synthetic_options)
    if attribute_set == "rich" or (name == "peta-reid" and attribute_set == "layne"):  # from PETA's own labels
        return relabel(load_dataset(name, root, size, "peta", use_cache), attribute_set, attribute_floor)
    packed = read_pack(name, size, attribute_set) if name != "peta-reid" else None
    if packed is not None:  # $REIDLAB_PACKS (a machine without the data folder)
        return packed
    if name == "peta-reid" and os.environ.get(PACKS_ENV):
        return pool([load_dataset(p, root, size, "peta", use_cache) for p in PETA_REID_PARTS], "peta-reid")
    data_root = resolve_data_root(root)
    if data_root is None:
        raise DatasetNotFoundError(
            f"dataset '{name}' needs the real data: set {DATA_ROOT_ENV} or pass --data-root to "
            "the folder that holds PETA/ and CUHK01/ (e.g. ../shared/datasets). "
            "Without data, use the dataset 'synthetic'."
        )
    if name == "peta-reid":
        return pool([load_dataset(p, data_root, size, "peta", use_cache) for p in PETA_REID_PARTS],
                    "peta-reid")
    listing = DATASETS[name].read(data_root, attribute_set)
    return ReidDataset(
        name=name,
        images=read_images(data_root, listing.relpaths, size, use_cache),
        pids=listing.pids,
        camids=listing.camids,
        filenames=listing.relpaths,
        poses=listing.poses,
        attributes=listing.attributes,
        attribute_names=listing.attribute_names,
        layout=listing.layout,
    )


def relabel(data: ReidDataset, attribute_set: str, floor: float | None = None) -> ReidDataset:
    """``data`` (PETA's vocabulary) with the attribute set ``"layne"`` or ``"rich"`` in its place."""
    if data.attribute_names != list(PETA_ATTRIBUTES):
        raise ConfigError(f"{data.name}: attribute set '{attribute_set}' is derived from PETA's labels, "
                          "which this dataset does not have")
    if attribute_set == "layne":
        labels, names, classes = layne_from_peta(data.attributes), list(LAYNE_ATTRIBUTES), []
    else:
        labels, names, classes = rich_from_peta(data.attributes, floor)
    return replace(data, attributes=labels, attribute_names=names, attribute_classes=classes)


def pool(parts: list[ReidDataset], name: str) -> ReidDataset:
    """Concatenate datasets that share an attribute vocabulary, keeping their persons distinct.

    Pose labels are dropped (not every part has them); camera ids are kept as they are.
    """
    if any(p.attribute_names != parts[0].attribute_names for p in parts):
        raise ConfigError(f"{name}: the parts do not share one attribute vocabulary")
    return ReidDataset(
        name=name,
        images=np.concatenate([p.images for p in parts]),
        pids=np.concatenate([i * PID_STRIDE + p.pids for i, p in enumerate(parts)]),
        camids=np.concatenate([p.camids for p in parts]),
        filenames=[f for p in parts for f in p.filenames],
        attributes=np.concatenate([p.attributes for p in parts]),
        attribute_names=list(parts[0].attribute_names),
        layout="+".join(p.layout for p in parts),
        attribute_classes=list(parts[0].attribute_classes),
    )
