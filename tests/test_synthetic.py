"""The synthetic default dataset: labels, determinism, and that it poses a real (unsolved) task."""

from __future__ import annotations

import numpy as np
import pytest

from reidlab.data.attributes import LAYNE_ATTRIBUTES
from reidlab.data.record import POSE_ANGLES
from reidlab.data.synthetic import make_synthetic
from reidlab.errors import ConfigError


@pytest.fixture(scope="module")
def big():
    """1,000 images (500 persons): exercises the generator at the scale the README runs."""
    return make_synthetic(500, seed=0)


def test_shapes_dtypes_and_counts(big):
    n = 1000
    assert big.name == "synthetic" and big.layout == "synthetic"
    assert big.images.shape == (n, 128, 64, 3) and big.images.dtype == np.uint8
    assert big.pids.dtype == np.int64 and big.camids.dtype == np.int64
    assert big.poses.dtype == np.int64 and big.attributes.dtype == np.int8
    assert big.attributes.shape == (n, len(LAYNE_ATTRIBUTES))
    assert big.attribute_names == list(LAYNE_ATTRIBUTES)
    assert big.num_persons == 500 and big.num_cameras == 2
    assert set(big.pids.tolist()) == set(range(500))
    assert set(big.camids.tolist()) == {0, 1}
    assert np.all(np.bincount(big.pids) == 2)  # one image per person per camera
    assert set(np.unique(big.attributes).tolist()) == {0, 1}
    assert big.poses.min() >= 0 and big.poses.max() < len(POSE_ANGLES)
    assert big.images.min() < 30 and big.images.max() > 220  # uses the range, not saturated
    assert len(set(big.filenames)) == n
    assert big.filenames[:2] == [f"synthetic://seed0/0000_c{c}_0.png" for c in (0, 1)]


def test_attributes_are_properties_of_the_person(big):
    for pid in range(0, 500, 7):
        rows = big.attributes[big.pids == pid]
        assert np.all(rows == rows[0])


def test_every_pose_appears(big):
    counts = np.bincount(big.poses, minlength=len(POSE_ANGLES))
    assert np.all(counts > 100)  # drawn uniformly: about 200 each


def test_attribute_frequencies_are_not_degenerate(big):
    rates = big.attributes[big.camids == 0].mean(axis=0)  # one row per person
    for name, rate in zip(LAYNE_ATTRIBUTES, rates):
        assert 0.04 <= rate <= 0.65, (name, rate)
    # short and long hair are exclusive (a cap is neither); skirts only on women (Sex = 1 is male)
    col = {name: i for i, name in enumerate(LAYNE_ATTRIBUTES)}
    a = big.attributes
    assert not np.any(a[:, col["ShortHair"]] & a[:, col["LongHair"]])
    assert not np.any(a[:, col["Skirt"]] & a[:, col["Sex"]])
    assert not np.any(a[:, col["Skirt"]] & (a[:, col["Shorts"]] | a[:, col["Jeans"]]))


def test_cameras_differ(big):
    cam0 = big.images[big.camids == 0].astype(np.float64)
    cam1 = big.images[big.camids == 1].astype(np.float64)
    warmth0 = (cam0[..., 0] - cam0[..., 2]).mean()
    warmth1 = (cam1[..., 0] - cam1[..., 2]).mean()
    assert warmth0 > warmth1 + 15  # camera 0 warm, camera 1 cool
    assert cam0.mean() > cam1.mean() + 2  # and brighter


def test_same_seed_gives_identical_output():
    a, b = make_synthetic(6, seed=3), make_synthetic(6, seed=3)
    assert np.array_equal(a.images, b.images)
    for key in ("pids", "camids", "poses", "attributes"):
        assert np.array_equal(getattr(a, key), getattr(b, key))
    assert a.filenames == b.filenames


def test_different_seed_gives_different_output():
    a, b = make_synthetic(6, seed=3), make_synthetic(6, seed=4)
    assert not np.array_equal(a.images, b.images)
    assert np.mean(a.images != b.images) > 0.5
    assert not np.array_equal(a.attributes, b.attributes) or not np.array_equal(a.poses, b.poses)


def test_person_does_not_depend_on_dataset_size():
    small, large = make_synthetic(10, seed=1), make_synthetic(20, seed=1)
    n = len(small)
    assert np.array_equal(small.images, large.images[:n])
    assert np.array_equal(small.attributes, large.attributes[:n])
    assert np.array_equal(small.poses, large.poses[:n])
    assert small.filenames == large.filenames[:n]


def test_other_sizes_and_several_images_per_camera():
    ds = make_synthetic(3, size=(64, 64), images_per_camera=2)
    assert ds.images.shape == (12, 64, 64, 3) and ds.images.dtype == np.uint8
    expected = [f"synthetic://seed0/0000_c{c}_{k}.png" for c in (0, 1) for k in (0, 1)]
    assert ds.filenames[:4] == expected
    assert not np.array_equal(ds.images[0], ds.images[1])  # two different shots


@pytest.mark.parametrize("kwargs", [dict(n_persons=0), dict(images_per_camera=0),
                                    dict(size=(0, 64)), dict(seed=-1)])
def test_bad_arguments_are_config_errors(kwargs):
    with pytest.raises(ConfigError):
        make_synthetic(**kwargs)


def _rank1(features: np.ndarray, pids: np.ndarray, camids: np.ndarray) -> float:
    """Probe = camera 0, gallery = camera 1, nearest neighbour by Euclidean distance."""
    probe, gallery = features[camids == 0], features[camids == 1]
    dist = (probe**2).sum(1)[:, None] + (gallery**2).sum(1)[None] - 2 * probe @ gallery.T
    return float(np.mean(pids[camids == 1][dist.argmin(1)] == pids[camids == 0]))


def _colour_histogram(images: np.ndarray, bins: int = 16) -> np.ndarray:
    """Per-channel histograms, each normalised to sum 1, concatenated."""
    index = images.astype(np.int64) * bins // 256  # (N, H, W, 3)
    index += np.arange(3) * bins  # a separate bin range per channel
    flat = index.reshape(len(images), -1)
    counts = np.stack([np.bincount(row, minlength=3 * bins) for row in flat])
    return counts / (images.shape[1] * images.shape[2])


def test_is_a_real_but_unsolved_reid_task():
    """Simple baselines are well above chance (1% for 100 persons) but far from solved."""
    ds = make_synthetic(100, seed=0, size=(64, 64))
    pixels = _rank1(ds.images.reshape(len(ds), -1) / 255.0, ds.pids, ds.camids)
    histogram = _rank1(_colour_histogram(ds.images), ds.pids, ds.camids)
    for rank1 in (pixels, histogram):
        assert 0.03 < rank1 < 0.60, (pixels, histogram)
