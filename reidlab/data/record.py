"""The one record type every loader returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

UNKNOWN = -1  # camera, pose or attribute label that the dataset does not provide


@dataclass
class ReidDataset:
    """Images and labels of one re-id dataset, all arrays aligned on the first axis.

    Attributes:
        name: registry name, e.g. ``"viper"``.
        images: ``(N, H, W, 3)`` uint8 RGB, every image resized to the same ``(H, W)``.
        pids: ``(N,)`` int64 person ids (the dataset's own numbering).
        camids: ``(N,)`` int64 camera ids from 0, or ``UNKNOWN`` where the dataset has none.
        filenames: N paths relative to the data root (``synthetic://...`` for generated images).
        poses: ``(N,)`` int64 view-angle class (see ``POSE_ANGLES``) or None.
        attributes: ``(N, A)`` int8 in {0, 1, UNKNOWN} or None.
        attribute_names: A names, the columns of ``attributes``.
        attribute_classes: classes per attribute (a multi-class one's labels are 0..K-1); empty:
            every attribute binary.
        layout: where the files came from (e.g. ``"peta"``, ``"official"``, ``"synthetic"``).
    """

    name: str
    images: np.ndarray
    pids: np.ndarray
    camids: np.ndarray
    filenames: list[str]
    poses: np.ndarray | None = None
    attributes: np.ndarray | None = None
    attribute_names: list[str] = field(default_factory=list)
    layout: str = ""
    attribute_classes: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.filenames)
        for key in ("images", "pids", "camids", "poses", "attributes"):
            value = getattr(self, key)
            if value is not None and len(value) != n:
                raise ValueError(f"{self.name}: {key} has {len(value)} rows, expected {n}")
        if self.attributes is not None and self.attributes.shape[1] != len(self.attribute_names):
            raise ValueError(f"{self.name}: attribute matrix and names disagree")
        if self.attribute_classes and len(self.attribute_classes) != len(self.attribute_names):
            raise ValueError(f"{self.name}: attribute classes and names disagree")

    def __len__(self) -> int:
        return len(self.filenames)

    def __iter__(self) -> Iterator[tuple[str, int, int]]:
        """Yield ``(path, pid, camid)`` per image, as torchreid datasets do."""
        return zip(self.filenames, self.pids.tolist(), self.camids.tolist())

    @property
    def num_persons(self) -> int:
        return int(np.unique(self.pids).size)

    @property
    def num_cameras(self) -> int:
        known = self.camids[self.camids != UNKNOWN]
        return int(np.unique(known).size)

    @property
    def classes_per_attribute(self) -> list[int]:
        return list(self.attribute_classes) or [2] * len(self.attribute_names)

    def subset(self, index: np.ndarray) -> "ReidDataset":
        """Rows ``index`` of every array, as a new dataset."""
        index = np.asarray(index, dtype=np.int64)
        take = lambda a: None if a is None else a[index]  # noqa: E731
        return ReidDataset(
            name=self.name,
            images=self.images[index],
            pids=self.pids[index],
            camids=self.camids[index],
            filenames=[self.filenames[i] for i in index],
            poses=take(self.poses),
            attributes=take(self.attributes),
            attribute_names=list(self.attribute_names),
            layout=self.layout,
            attribute_classes=list(self.attribute_classes),
        )

    def summary(self) -> dict:
        """Counts for printing and for tests."""
        return {
            "dataset": self.name,
            "layout": self.layout,
            "images": len(self),
            "persons": self.num_persons,
            "cameras": self.num_cameras,
            "image_size": list(self.images.shape[1:3]),
            "attributes": len(self.attribute_names),
            "has_pose": self.poses is not None,
        }

# View-angle classes. VIPeR file names carry these angles; the paper bins pose into five classes.
POSE_ANGLES: tuple[int, ...] = (0, 45, 90, 135, 180)
