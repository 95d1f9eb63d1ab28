"""Loaders: counts on the real data, both VIPeR/PRID layouts, the Layne mapping, the cache, errors."""

import shutil

import numpy as np
import pytest

from reidlab.cli import main
from reidlab.data import UNKNOWN, load_dataset
from reidlab.data.attributes import (
    LAYNE_ATTRIBUTES, LAYNE_FROM_PETA, PETA_ATTRIBUTES, layne_from_peta, peta_vector,
)
from reidlab.data.images import read_images
from reidlab.data.peta import PETA_DIR
from reidlab.errors import DatasetNotFoundError, ImageReadError

# (images, persons, cameras) from ../shared/datasets/README.md
EXPECTED = {
    "viper": (1264, 632, 2), "ilids": (477, 120, 0), "caviar": (1220, 72, 0),
    "3dpes": (1012, 193, 0), "prid": (1134, 934, 2), "grid": (1275, 1025, 6),
    "cuhk01": (3884, 971, 2), "peta-reid": (1264 + 477 + 1012 + 1220, 632 + 120 + 193 + 72, 2),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_real_counts(data_root, name):
    data = load_dataset(name, data_root)
    assert (len(data), data.num_persons, data.num_cameras) == EXPECTED[name]
    assert data.images.shape[1:] == (64, 64, 3) and data.images.dtype == np.uint8
    assert all(not f.startswith("/") for f in data.filenames)


def test_viper_labels(viper):
    assert np.bincount(viper.camids).tolist() == [632, 632]
    assert viper.attribute_names == list(LAYNE_ATTRIBUTES)
    assert set(np.unique(viper.attributes)) <= {0, 1}  # every VIPeR person is labelled in PETA
    assert np.bincount(viper.poses, minlength=5).tolist() == [402, 188, 343, 122, 209]
    for pid in np.unique(viper.pids)[:50]:  # attributes belong to the person, not the image
        rows = viper.attributes[viper.pids == pid]
        assert (rows == rows[0]).all()
    # iteration yields torchreid-style (path, pid, camid)
    path, pid, camid = next(iter(viper))
    assert path.endswith(".bmp") and isinstance(pid, int) and camid in (0, 1)


def test_peta_vocabulary(data_root):
    assert len(PETA_ATTRIBUTES) == 61 + 44 and len(set(PETA_ATTRIBUTES)) == 105
    prid = load_dataset("prid", data_root)
    assert prid.attribute_names == list(PETA_ATTRIBUTES)
    male, female = (PETA_ATTRIBUTES.index(a) for a in ("personalMale", "personalFemale"))
    labelled = prid.attributes[:, 0] != UNKNOWN
    sex = prid.attributes[:, male] + prid.attributes[:, female]
    assert labelled.all() and (sex <= 1).all()
    assert (sex == 0).sum() == 1  # PETA's PRID person 0298 is labelled only "carryingBabyBuggy"


def test_layne_mapping_by_hand():
    positives = {"lowerBodyHotPants", "carryingPlasticBags", "upperBodyJacket", "personalMale",
                 "hairShort", "upperBodyThickStripes", "carryingBackpack"}
    row = layne_from_peta(peta_vector(positives)[None])[0]
    got = {name for name, v in zip(LAYNE_ATTRIBUTES, row) if v == 1}
    assert got == {"Shorts", "Carrying", "OpenOuter", "Sex", "ShortHair", "Stripes", "Backpacks"}
    # a backpack alone is not "Carrying"; an unlabelled person stays unknown
    row = layne_from_peta(peta_vector({"carryingBackpack"})[None])[0]
    assert row[LAYNE_ATTRIBUTES.index("Carrying")] == 0
    assert (layne_from_peta(peta_vector(None)[None]) == UNKNOWN).all()
    assert all(s in PETA_ATTRIBUTES for sources in LAYNE_FROM_PETA.values() for s in sources)


def _copy(src, dst):
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dst)


def test_viper_official_layout(data_root, tmp_path):
    """Build the official ``VIPeR/cam_a`` layout from PETA's files; both loaders must agree."""
    peta = data_root / PETA_DIR / "VIPeR" / "archive"
    names = sorted(p.name for p in peta.glob("*.bmp"))[:20]
    for n in names:
        pid, angle, cam = n[:-4].split("_")
        _copy(peta / n, tmp_path / "VIPeR" / ("cam_a" if cam == "1" else "cam_b") / f"{pid}_{angle}.bmp")
    official = load_dataset("viper-official", tmp_path, use_cache=False)
    ref = load_dataset("viper", data_root)
    order = [ref.filenames.index(str(PETA_DIR / "VIPeR" / "archive" / n)) for n in names]
    key = np.lexsort((ref.pids[order], ref.camids[order]))  # official lists cam_a then cam_b
    order = np.array(order)[key]
    assert official.layout == "official"
    np.testing.assert_array_equal(official.pids, ref.pids[order])
    np.testing.assert_array_equal(official.camids, ref.camids[order])
    np.testing.assert_array_equal(official.poses, ref.poses[order])
    np.testing.assert_array_equal(official.images, ref.images[order])


def test_prid_official_layout(data_root, tmp_path):
    """The official PRID layout renumbers camera B's 201-385 as PETA does (1201-1385)."""
    peta = data_root / PETA_DIR / "PRID" / "archive"
    picks = ["0001_a.png", "0001_b.png", "0250_a.png", "0500_b.png", "1250_b.png"]
    for n in picks:
        pid, cam = int(n[:4]), n[5]
        official_pid = pid - 1000 if pid > 1000 else pid
        _copy(peta / n, tmp_path / "prid_2011" / "single_shot" / f"cam_{cam}" / f"person_{official_pid:04d}.png")
    data = load_dataset("prid-official", tmp_path, use_cache=False)
    assert sorted(zip(data.pids.tolist(), data.camids.tolist())) == [
        (1, 0), (1, 1), (250, 0), (500, 1), (1250, 1)]


def test_cache_is_reused_and_invalidated(data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("REIDLAB_CACHE", str(tmp_path / "cache"))
    src = data_root / PETA_DIR / "VIPeR" / "archive"
    root = tmp_path / "root"
    rel = []
    for n in sorted(p.name for p in src.glob("*.bmp"))[:4]:
        _copy(src / n, root / n)
        rel.append(n)
    first = read_images(root, rel, (64, 64))
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 1
    np.testing.assert_array_equal(read_images(root, rel, (64, 64)), first)
    shutil.copy(root / rel[1], root / rel[0])  # replace a file: it must be decoded again
    again = read_images(root, rel, (64, 64))
    np.testing.assert_array_equal(again[0], first[1])
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 2


def test_missing_dataset_message(tmp_path):
    with pytest.raises(DatasetNotFoundError) as err:
        load_dataset("ilids", tmp_path)
    text = str(err.value)
    for needle in ("ilids", str(tmp_path / PETA_DIR / "i-LID"), "Label.txt", "mmlab", "REIDLAB_DATA_ROOT"):
        assert needle in text
    with pytest.raises(DatasetNotFoundError, match="vision.soe.ucsc.edu"):
        load_dataset("viper-official", tmp_path)


def test_no_data_root_message(monkeypatch):
    monkeypatch.delenv("REIDLAB_DATA_ROOT", raising=False)
    with pytest.raises(DatasetNotFoundError, match="synthetic"):
        load_dataset("viper")


def test_corrupt_image_names_the_file(tmp_path):
    folder = tmp_path / "VIPeR" / "cam_a"
    folder.mkdir(parents=True)
    (folder / "000_0.bmp").write_bytes(b"not an image")
    (tmp_path / "VIPeR" / "cam_b").mkdir()
    (tmp_path / "VIPeR" / "cam_b" / "000_90.bmp").write_bytes(b"BM garbage")
    with pytest.raises(ImageReadError, match="000_0.bmp|000_90.bmp"):
        load_dataset("viper-official", tmp_path, use_cache=False)


def test_cli_errors_are_one_clear_line(tmp_path, capsys):
    assert main(["prepare", "--dataset", "caviar", "--data-root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("reidlab: error: dataset 'caviar' not found") and "Traceback" not in err
    assert main(["prepare", "--data-root", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _small_viper(data_root, tmp_path, label_lines):
    """A PETA tree holding 4 of VIPeR's images and the given Label.txt lines."""
    src = data_root / PETA_DIR / "VIPeR" / "archive"
    archive = tmp_path / PETA_DIR / "VIPeR" / "archive"
    names = sorted(p.name for p in src.glob("*.bmp"))[:4]
    for n in names:
        _copy(src / n, archive / n)
    (archive / "Label.txt").write_text("\n".join(label_lines) + "\n")
    return archive, names


@pytest.mark.parametrize("lines, message", [
    (["x12 personalMale"], "line 1: person id 'x12' is not a number"),
    (["12 personalMale", "12 personalFemale"], "line 2: person 12 is labelled twice"),
    (["12 personalMael"], "line 1: unknown attribute name.*personalMael"),
])
def test_bad_labels_name_the_line(data_root, tmp_path, lines, message):
    from reidlab.errors import DatasetFormatError

    _small_viper(data_root, tmp_path, lines)
    with pytest.raises(DatasetFormatError, match=message):
        load_dataset("viper", tmp_path, use_cache=False)


def test_a_bad_file_name_or_a_missing_label_file_is_named(data_root, tmp_path):
    from reidlab.errors import DatasetFormatError

    archive, names = _small_viper(data_root, tmp_path, ["1 personalMale"])
    _copy(archive / names[0], archive / "000_front.bmp")
    with pytest.raises(DatasetFormatError, match="000_front.bmp: the file name does not follow VIPeR's pattern"):
        load_dataset("viper", tmp_path, use_cache=False)
    (archive / "000_front.bmp").unlink()
    (archive / "Label.txt").unlink()
    with pytest.raises(DatasetFormatError, match="Label.txt is missing"):
        load_dataset("viper", tmp_path, use_cache=False)


def test_a_read_only_cache_is_skipped_with_a_warning(data_root, tmp_path, monkeypatch):
    src = data_root / PETA_DIR / "VIPeR" / "archive"
    rel = sorted(p.name for p in src.glob("*.bmp"))[:2]
    (tmp_path / "cache").write_text("a file where the cache folder should be")  # cannot be written
    monkeypatch.setenv("REIDLAB_CACHE", str(tmp_path / "cache"))
    with pytest.warns(UserWarning, match="image cache .* not written"):
        images = read_images(src, rel, (64, 64))
    assert images.shape == (2, 64, 64, 3)
