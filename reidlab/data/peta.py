"""PETA's re-identification subsets, read by one generic reader.

PETA (Deng, Luo, Loy, Tang, "Pedestrian attribute recognition at far distance", ACM MM 2014)
re-packages ten pedestrian datasets with attribute labels. Layout under the data root::

    PETA/PETA dataset/<subset>/archive/<images>
    PETA/PETA dataset/<subset>/archive/Label.txt     # "<person id> <positive attributes...>"

An image belongs to the person whose id starts its file name (before the first ``_``).

=========  ======  =======  ===========================  =====================================
name       images  persons  file names                   cameras / pose
=========  ======  =======  ===========================  =====================================
viper        1264      632  ``NNN_ANGLE_C.bmp``          C=1 camera A, C=2 camera B; ANGLE=pose
ilids         477      120  ``PPPP_III.jpg``             unknown (i-LIDS MCTS, Zheng et al. 2009)
caviar       1220       72  ``PPPP_III.jpg``             unknown (CAVIAR4REID, Cheng et al. 2011)
3dpes        1012      193  ``PID_SEQ_FRAME_N_RGB.bmp``  unknown (3DPeS, Baltieri et al. 2011)
prid         1134      934  ``PPPP_a.png``/``PPPP_b``    a=0, b=1 (PRID2011, Hirzer et al. 2011)
grid         1275     1025  ``PPPP_C_...jpeg``           C-1 (GRID, Loy et al. 2009)
=========  ======  =======  ===========================  =====================================

VIPeR is Gray, Brennan & Tao, PETS 2007. PRID persons 1-200 are seen by both cameras, 201-385 by
camera A only, 386-749 and 1201-1385 (PETA's renumbering of camera B's 201-385) by camera B only.
GRID persons 251-1025 are gallery-only distractors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from reidlab.data.attributes import (
    LAYNE_ATTRIBUTES, PETA_ATTRIBUTES, layne_from_peta, parse_label_line, peta_vector,
)
from reidlab.data.listing import Listing, files_matching, require_dir
from reidlab.data.record import POSE_ANGLES, UNKNOWN
from reidlab.errors import DatasetFormatError

PETA_DIR = Path("PETA") / "PETA dataset"
PETA_SOURCE = "PETA, http://mmlab.ie.cuhk.edu.hk/projects/PETA.html (Deng et al., ACM MM 2014)"
IMAGE_FILE = re.compile(r"\d+_.*\.(bmp|jpe?g|png)", re.IGNORECASE)


def _no_camera(name: str) -> int:
    return UNKNOWN


def _viper_camera(name: str) -> int:  # NNN_ANGLE_C.bmp
    return int(name.split("_")[2].split(".")[0]) - 1


def _prid_camera(name: str) -> int:  # PPPP_a.png
    return {"a": 0, "b": 1}[name.split("_")[1].split(".")[0]]


def _grid_camera(name: str) -> int:  # PPPP_C_....jpeg
    return int(name.split("_")[1]) - 1


def viper_pose(name: str) -> int:
    """Pose class from a VIPeR file name ``NNN_ANGLE[_C].bmp``.

    VIPeR's angles cover 0-180 degrees (left and right views share a class); the one image
    labelled 315 is folded onto its mirror angle, 45.
    """
    angle = int(name.split("_")[1].split(".")[0]) % 360
    return POSE_ANGLES.index(angle if angle <= 180 else 360 - angle)


@dataclass(frozen=True)
class PetaSubset:
    folder: str
    camera: Callable[[str], int]
    has_pose: bool = False
    default_attributes: str = "peta"  # "peta" (105 columns) or "layne" (VIPeR's 15)
    names: str = "PPPP_....jpg"  # the file names, for error messages


PETA_SUBSETS: dict[str, PetaSubset] = {
    "viper": PetaSubset("VIPeR", _viper_camera, has_pose=True, default_attributes="layne",
                        names="NNN_ANGLE_C.bmp (e.g. 001_45_1.bmp)"),
    "ilids": PetaSubset("i-LID", _no_camera),
    "caviar": PetaSubset("CAVIAR4REID", _no_camera),
    "3dpes": PetaSubset("3DPeS", _no_camera),
    "prid": PetaSubset("PRID", _prid_camera, names="PPPP_a.png or PPPP_b.png"),
    "grid": PetaSubset("GRID", _grid_camera, names="PPPP_C_....jpeg (C: camera 1-8)"),
}
# attribute names in PETA's own Label.txt files outside the 105 the study uses (ignored)
PETA_EXTRA_ATTRIBUTES = {"accessoryShawl", "accessoryFaceMask", "lowerBodyLogo"}


def read_labels(path: Path) -> dict[int, set[str]]:
    """``Label.txt`` as {person id: positive attribute names}; a line with a non-numeric id, an
    unknown attribute name or a person already labelled is an error that names the line."""
    known = set(PETA_ATTRIBUTES) | PETA_EXTRA_ATTRIBUTES
    labels: dict[int, set[str]] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        pid, positives = parse_label_line(line)
        where = f"{path}, line {number}"
        if not pid.isdigit():
            raise DatasetFormatError(f"{where}: person id {pid!r} is not a number (expected '<id> <attributes...>')")
        if int(pid) in labels:
            raise DatasetFormatError(f"{where}: person {pid} is labelled twice")
        if positives - known:
            raise DatasetFormatError(f"{where}: unknown attribute name(s) {sorted(positives - known)}; "
                                       "PETA's names are listed in reidlab.data.attributes.PETA_ATTRIBUTES")
        labels[int(pid)] = positives & set(PETA_ATTRIBUTES)
    return labels


def _parse_names(subset: PetaSubset, archive: Path, names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Person ids, cameras and poses from the file names, or an error naming the file."""
    try:
        pids, cams, poses = [], [], []
        for name in names:
            pids.append(int(name.split("_")[0]))
            cams.append(subset.camera(name))
            poses.append(viper_pose(name) if subset.has_pose else 0)
    except (IndexError, ValueError, KeyError):
        raise DatasetFormatError(f"{archive / name}: the file name does not follow {subset.folder}'s "
                                   f"pattern {subset.names}; rename or remove it") from None
    as_array = lambda x: np.array(x, dtype=np.int64)  # noqa: E731
    return as_array(pids), as_array(cams), as_array(poses) if subset.has_pose else None


def read_peta_subset(root: Path, key: str, attribute_set: str | None = None) -> Listing:
    """List one PETA subset (``key`` in ``PETA_SUBSETS``) with its labels.

    ``attribute_set``: ``"peta"`` (61 binary + 44 colour indicators), ``"layne"`` (15 VIPeR
    attributes mapped from PETA, see ``attributes.LAYNE_FROM_PETA``) or None for the subset's default.
    """
    subset = PETA_SUBSETS[key]
    archive = require_dir(
        root / PETA_DIR / subset.folder / "archive", key,
        f"{PETA_DIR}/{subset.folder}/archive/<images> + Label.txt", PETA_SOURCE,
    )
    names = files_matching(archive, IMAGE_FILE, key)
    pids, camids, poses = _parse_names(subset, archive, names)
    if not (archive / "Label.txt").is_file():
        raise DatasetFormatError(f"{archive / 'Label.txt'} is missing: PETA's attribute labels of "
                                   f"{subset.folder} ({PETA_SOURCE})")
    labels = read_labels(archive / "Label.txt")
    peta = np.stack([peta_vector(labels.get(int(p))) for p in pids])
    attribute_set = attribute_set or subset.default_attributes
    if attribute_set == "layne":
        attributes, attribute_names = layne_from_peta(peta), list(LAYNE_ATTRIBUTES)
    else:
        attributes, attribute_names = peta, list(PETA_ATTRIBUTES)
    return Listing(
        relpaths=[str(PETA_DIR / subset.folder / "archive" / n) for n in names],
        pids=pids,
        camids=camids,
        layout="peta",
        poses=poses,
        attributes=attributes,
        attribute_names=attribute_names,
    )
