"""Seeded split protocols. Every protocol reduces to train persons plus query and gallery images.

Fold ``t`` of seed ``s`` draws from ``numpy.random.default_rng([s, t])``: folds are independent,
and the same (seed, fold) always gives the same split. A ``Split`` is saved as JSON holding only
the protocol, seed, dataset names and relative file names, never absolute paths.

Protocols:

``two-camera`` (VIPeR; Sec. V): the persons seen by both cameras are split in half (316/316 on
VIPeR). Train: every image of the train persons. Query: the test persons' camera-A images;
gallery: their camera-B images plus those of persons seen by camera B only (none in VIPeR;
PRID's 549 distractors). ``reverse=True`` swaps the cameras.

``one-gallery-image`` (i-LIDS, CAVIAR, 3DPeS, pooled PETA; Sec. V-E2): persons split in half
(train gets the smaller half when the count is odd). Per test person one random image is the
gallery; all their other images are queries (a person with a single image is gallery only).
``gallery="all-images"`` (a named deviation, not the paper's Sec. V-E2): the same drawn image is
instead the person's one query, and all their other images are the gallery, same-camera neighbours
included; it tests what Table VI's numbers may have measured (item ``table6-gallery``).

``cross-dataset`` (Sec. V-F): train on every image of dataset A; test on a random
``test_fraction`` of B's persons (or ``test_persons`` of them: Table VII's counts), evaluated as B's own protocol would: for two-camera sets, the
sampled persons' camera-A images query their camera-B images, and persons seen by camera B only
(PRID's 549) join the gallery as distractors; for sets without cameras, ``one-gallery-image``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from reidlab.config import with_current_names
from reidlab.data.record import UNKNOWN, ReidDataset
from reidlab.errors import ConfigError

PROTOCOLS = ("two-camera", "one-gallery-image", "cross-dataset")
GALLERIES = ("one-image", "all-images")  # per test person of a set without camera pairs
DEFAULT_PROTOCOL = {
    "viper": "two-camera", "viper-official": "two-camera", "synthetic": "two-camera",
    "cuhk01": "two-camera", "prid": "two-camera", "prid-official": "two-camera",
    "ilids": "one-gallery-image", "caviar": "one-gallery-image", "3dpes": "one-gallery-image",
    "peta-reid": "one-gallery-image", "grid": "one-gallery-image",  # GRID: 6 cameras, not an A/B pair
}


@dataclass
class EvalSet:
    """Rows of a dataset: the queries and the gallery they are ranked against."""

    query: np.ndarray
    gallery: np.ndarray


@dataclass
class Split:
    protocol: str
    dataset: str  # the test dataset
    seed: int
    fold: int
    train_dataset: str
    train_pids: list[int]
    query: list[str]
    gallery: list[str]
    options: dict = field(default_factory=dict)

    def train_index(self, data: ReidDataset) -> np.ndarray:
        """Rows of ``data`` (the train dataset) that belong to the train persons."""
        return np.flatnonzero(np.isin(data.pids, self.train_pids))

    def eval_set(self, data: ReidDataset) -> EvalSet:
        """Query and gallery rows of ``data`` (the test dataset), looked up by file name."""
        row = {f: i for i, f in enumerate(data.filenames)}
        try:
            return EvalSet(np.array([row[f] for f in self.query], dtype=np.int64),
                           np.array([row[f] for f in self.gallery], dtype=np.int64))
        except KeyError as exc:
            raise ConfigError(f"split file names {exc} not in dataset '{data.name}': "
                              "was the split made for another dataset or layout?") from None

    def summary(self) -> dict:
        return {"protocol": self.protocol, "fold": self.fold, "train_persons": len(self.train_pids),
                "queries": len(self.query), "gallery": len(self.gallery)}


def _rng(seed: int, fold: int) -> np.random.Generator:
    return np.random.default_rng([seed, fold])


def _halve(pids: np.ndarray, rng: np.random.Generator, n_train: int | None) -> tuple[np.ndarray, np.ndarray]:
    pids = rng.permutation(np.unique(pids))
    n_train = len(pids) // 2 if n_train is None else n_train
    return np.sort(pids[:n_train]), np.sort(pids[n_train:])


def _camera_persons(data: ReidDataset) -> tuple[np.ndarray, np.ndarray]:
    """(persons seen by camera 0 and camera 1, persons seen by camera 1 only)."""
    if (data.camids == UNKNOWN).any() or not {0, 1} <= set(np.unique(data.camids).tolist()):
        raise ConfigError(f"dataset '{data.name}' has no camera A/B labels; "
                          "use the 'one-gallery-image' protocol")
    a, b = (set(data.pids[data.camids == c].tolist()) for c in (0, 1))
    return np.array(sorted(a & b)), np.array(sorted(b - a))


def _camera_query_gallery(data: ReidDataset, persons: np.ndarray, distractors: np.ndarray,
                          reverse: bool) -> tuple[list[str], list[str]]:
    qcam, gcam = (1, 0) if reverse else (0, 1)
    q = np.isin(data.pids, persons) & (data.camids == qcam)
    g = np.isin(data.pids, np.concatenate([persons, distractors])) & (data.camids == gcam)
    names = np.array(data.filenames)
    return names[q].tolist(), names[g].tolist()


def _one_gallery_image(data: ReidDataset, persons: np.ndarray, rng: np.random.Generator,
                       gallery_images: str = "one-image"):
    """Per person one drawn image and the rest: the drawn one is the gallery ("one-image"), or
    the query of all the rest ("all-images"; a person with one image is gallery only either way)."""
    query, gallery = [], []
    for pid in persons:
        rows = np.flatnonzero(data.pids == pid)
        pick = rng.integers(len(rows))
        drawn, rest = [data.filenames[rows[pick]]], [data.filenames[r] for r in np.delete(rows, pick)]
        if gallery_images == "all-images" and rest:
            drawn, rest = rest, drawn
        gallery += drawn
        query += rest
    return query, gallery


def _gallery_option(gallery: str, data: ReidDataset, two_cameras: bool) -> dict:
    if gallery not in GALLERIES:
        raise ConfigError(f"gallery must be one of {', '.join(GALLERIES)}, not '{gallery}'")
    if two_cameras and gallery != "one-image":
        raise ConfigError(f"gallery '{gallery}' needs a test set without camera pairs; '{data.name}' "
                          "queries camera A against camera B, one image of each person")
    return {} if gallery == "one-image" else {"gallery": gallery}  # splits saved before it read the same


def two_camera(data: ReidDataset, seed: int, fold: int, n_train: int | None = None,
               reverse: bool = False, gallery: str = "one-image") -> Split:
    _gallery_option(gallery, data, two_cameras=True)
    paired, distractors = _camera_persons(data)
    train, test = _halve(paired, _rng(seed, fold), n_train)
    query, gallery = _camera_query_gallery(data, test, distractors, reverse)
    return Split("two-camera", data.name, seed, fold, data.name, train.tolist(), query, gallery,
                 {"n_train": n_train, "reverse": reverse})


def one_gallery_image(data: ReidDataset, seed: int, fold: int, n_train: int | None = None,
                      gallery: str = "one-image") -> Split:
    option = _gallery_option(gallery, data, two_cameras=False)
    rng = _rng(seed, fold)
    train, test = _halve(data.pids, rng, n_train)
    query, gallery_names = _one_gallery_image(data, test, rng, gallery)
    return Split("one-gallery-image", data.name, seed, fold, data.name, train.tolist(), query,
                 gallery_names, {"n_train": n_train, **option})


def cross_dataset(train_data: ReidDataset, test_data: ReidDataset, seed: int, fold: int,
                  test_fraction: float = 0.5, reverse: bool = False, test_persons: int | None = None,
                  gallery: str = "one-image") -> Split:
    if not 0 < test_fraction <= 1:
        raise ConfigError(f"test_fraction must be in (0, 1], not {test_fraction}")
    rng = _rng(seed, fold)
    two_cameras = DEFAULT_PROTOCOL.get(test_data.name) == "two-camera"
    persons, distractors = (_camera_persons(test_data) if two_cameras
                            else (np.unique(test_data.pids), np.array([], dtype=np.int64)))
    option = _gallery_option(gallery, test_data, two_cameras)
    size = test_persons or max(1, round(test_fraction * len(persons)))
    if size > len(persons):
        raise ConfigError(f"test_persons = {size}, but {test_data.name} has {len(persons)} "
                          f"{'persons seen by both cameras' if two_cameras else 'persons'}")
    test = np.sort(rng.choice(persons, size=size, replace=False))
    query, gallery_names = (_camera_query_gallery(test_data, test, distractors, reverse) if two_cameras
                            else _one_gallery_image(test_data, test, rng, gallery))
    return Split("cross-dataset", test_data.name, seed, fold, train_data.name,
                 np.unique(train_data.pids).tolist(), query, gallery_names,
                 {"test_fraction": test_fraction, "reverse": reverse, "test_persons": test_persons, **option})


def make_splits(data: ReidDataset, protocol: str | None = None, seed: int = 0, folds: int = 10,
                **options) -> list[Split]:
    """``folds`` splits of ``data`` under ``protocol`` (default: the dataset's own)."""
    protocol = protocol or DEFAULT_PROTOCOL.get(data.name, "one-gallery-image")
    makers = {"two-camera": two_camera, "one-gallery-image": one_gallery_image}
    if protocol not in makers:
        raise ConfigError(f"protocol must be one of {', '.join(makers)} "
                          f"(cross-dataset splits come from cross_dataset()), not '{protocol}'")
    return [makers[protocol](data, seed, t, **options) for t in range(folds)]


def save_splits(splits: list[Split], path: str | Path) -> None:
    """Write splits as JSON, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([asdict(s) for s in splits], indent=1))
    tmp.replace(path)


def load_splits(path: str | Path) -> list[Split]:
    # files written before "trial" was renamed "fold" load too
    return [Split(**with_current_names(s))
            for s in json.loads(Path(path).read_text())]
