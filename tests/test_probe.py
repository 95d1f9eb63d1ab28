"""The pose probe (issue 33): a linear classifier on frozen features, against chance."""

import numpy as np
import torch

from reidlab.probe import probe


def _features(poses: np.ndarray, signal: float, seed: int) -> torch.Tensor:
    """8-d features: noise, plus ``signal`` times a one-hot of the pose in the first 5 dimensions."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(len(poses), 8))
    x[np.arange(len(poses)), poses] += signal
    return torch.as_tensor(x, dtype=torch.float32)


def test_chance_is_the_share_of_the_most_frequent_test_pose():
    train_y = np.array([0, 1, 2, 3, 4] * 20)
    test_y = np.array([0] * 6 + [1] * 2 + [4] * 2)  # pose 0: 6 of 10
    result = probe(_features(train_y, 0.0, 0), train_y, _features(test_y, 0.0, 1), test_y, 5)
    assert result.chance == 60.0 and (result.train_images, result.test_images) == (100, 10)


def test_pose_in_the_features_is_found_and_its_absence_reads_near_chance():
    train_y, test_y = np.random.default_rng(2).integers(0, 5, 400), np.random.default_rng(3).integers(0, 5, 400)
    encoded = probe(_features(train_y, 4.0, 0), train_y, _features(test_y, 4.0, 1), test_y, 5)
    assert encoded.accuracy > 95
    invariant = probe(_features(train_y, 0.0, 0), train_y, _features(test_y, 0.0, 1), test_y, 5)
    assert invariant.accuracy < invariant.chance + 8  # noise features: a linear probe cannot beat chance by much


def test_a_probe_is_deterministic():
    y = np.random.default_rng(4).integers(0, 5, 200)
    x = _features(y, 1.0, 5)
    assert probe(x, y, x, y, 5) == probe(x, y, x, y, 5)
