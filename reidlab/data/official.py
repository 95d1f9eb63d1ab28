"""Datasets in the layouts of their own releases (not PETA's).

* VIPeR (Gray, Brennan & Tao, PETS 2007; https://vision.soe.ucsc.edu/node/178):
  ``VIPeR/cam_a/NNN_ANGLE.bmp`` and ``VIPeR/cam_b/NNN_ANGLE.bmp``; 632 persons x 2 cameras,
  1264 images of 48x128; ANGLE is the view angle (pose). No attribute labels in this release.
* PRID2011 single-shot (Hirzer et al., SCIA 2011;
  https://www.tugraz.at/institute/icg/research/team-bischof/lrs/downloads/prid11):
  ``prid_2011/single_shot/cam_a/person_NNNN.png`` (385 persons) and ``cam_b`` (749 persons);
  persons 1-200 appear in both. Camera B's persons 201-385 are different people from camera A's
  201-385, so they are renumbered 1201-1385, as in PETA's copy: both layouts give the same ids.
* CUHK01 (Li, Zhao & Wang, ACCV 2012; http://www.ee.cuhk.edu.hk/~xgwang/CUHK_identification.html):
  ``CUHK01/campus/PPPPIII.png``, 971 persons x 4 images (III 001-002 camera A, 003-004 camera B),
  3884 images of 60x160. No attribute labels.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from reidlab.data.listing import Listing, files_matching, require_dir
from reidlab.data.peta import viper_pose


def read_viper_official(root: Path) -> Listing:
    relpaths, camids = [], []
    for cam, folder in enumerate(("cam_a", "cam_b")):
        path = require_dir(
            root / "VIPeR" / folder, "viper-official",
            "VIPeR/cam_a/NNN_ANGLE.bmp and VIPeR/cam_b/NNN_ANGLE.bmp",
            "https://vision.soe.ucsc.edu/node/178 (Gray et al., PETS 2007); "
            "or use 'viper' for PETA's copy",
        )
        names = files_matching(path, re.compile(r"\d+_\d+\.bmp"), "viper-official")
        relpaths += [f"VIPeR/{folder}/{n}" for n in names]
        camids += [cam] * len(names)
    names = [Path(r).name for r in relpaths]
    return Listing(
        relpaths=relpaths,
        pids=np.array([int(n.split("_")[0]) for n in names], dtype=np.int64),
        camids=np.array(camids, dtype=np.int64),
        layout="official",
        poses=np.array([viper_pose(n) for n in names], dtype=np.int64),
    )


def read_prid_official(root: Path) -> Listing:
    relpaths, pids, camids = [], [], []
    for cam, folder in enumerate(("cam_a", "cam_b")):
        path = require_dir(
            root / "prid_2011" / "single_shot" / folder, "prid-official",
            "prid_2011/single_shot/cam_a/person_NNNN.png and .../cam_b/person_NNNN.png",
            "https://www.tugraz.at/institute/icg/research/team-bischof/lrs/downloads/prid11 "
            "(Hirzer et al., SCIA 2011); or use 'prid' for PETA's copy",
        )
        for name in files_matching(path, re.compile(r"person_\d+\.png"), "prid-official"):
            pid = int(name[len("person_"):-len(".png")])
            pids.append(pid + 1000 if cam == 1 and 200 < pid <= 385 else pid)
            relpaths.append(f"prid_2011/single_shot/{folder}/{name}")
            camids.append(cam)
    return Listing(relpaths, np.array(pids, dtype=np.int64), np.array(camids, dtype=np.int64),
                   layout="official")


def read_cuhk01(root: Path) -> Listing:
    path = require_dir(
        root / "CUHK01" / "campus", "cuhk01", "CUHK01/campus/PPPPIII.png",
        "http://www.ee.cuhk.edu.hk/~xgwang/CUHK_identification.html (Li et al., ACCV 2012)",
    )
    names = files_matching(path, re.compile(r"\d{7}\.png"), "cuhk01")
    return Listing(
        relpaths=[f"CUHK01/campus/{n}" for n in names],
        pids=np.array([int(n[:4]) for n in names], dtype=np.int64),
        camids=np.array([0 if int(n[4:7]) <= 2 else 1 for n in names], dtype=np.int64),
        layout="official",
    )
