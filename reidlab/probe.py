"""The pose probe (issue 33): how much of a person's view angle a network's features still carry.

A linear classifier (softmax regression, the network frozen) is fitted to the pose classes of the
training persons' images and scored on the test persons' images (centre crops, the rows the
ranking uses). Chance is the share of the test images' most frequent pose. Features made
pose-invariant (the aim of the gradient reversal of Ganin & Lempitsky 2015, the paper's ref. [16])
bring the probe's accuracy toward chance; an accuracy that stays where V+I+A+P's is says the
reversal did not remove pose, so an unchanged rank-1 would not test the paper's conjecture.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from reidlab.data.record import UNKNOWN
from reidlab.errors import ConfigError

STEPS, WEIGHT_DECAY = 100, 1e-3  # L-BFGS iterations; an L2 penalty keeps separable classes finite


@dataclass(frozen=True)
class Probe:
    """A probe's test accuracy and the chance level beside it (percent)."""
    accuracy: float
    chance: float
    train_images: int
    test_images: int

    def to_dict(self) -> dict:
        return asdict(self)


def fit_linear(x: torch.Tensor, y: torch.Tensor, classes: int) -> torch.nn.Linear:
    """Softmax regression on ``x`` ``(N, D)`` (standardise it first) by full-batch L-BFGS:
    deterministic, so a probe's number depends on the features only."""
    torch.manual_seed(0)
    linear = torch.nn.Linear(x.shape[1], classes, dtype=x.dtype)
    torch.nn.init.zeros_(linear.weight), torch.nn.init.zeros_(linear.bias)
    optimiser = torch.optim.LBFGS(linear.parameters(), max_iter=STEPS, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimiser.zero_grad()
        value = torch.nn.functional.cross_entropy(linear(x), y) + WEIGHT_DECAY * linear.weight.square().sum()
        value.backward()
        return value

    optimiser.step(loss)
    return linear


def probe(train_x: torch.Tensor, train_y: np.ndarray, test_x: torch.Tensor, test_y: np.ndarray,
          classes: int) -> Probe:
    """Fit on the training features, score on the test features (standardised by the training
    features' statistics). In float64: features extracted with other thread counts differ in their
    last float32 bits, and the fit's own rounding should add nothing to that (a test image on a
    decision boundary may still flip)."""
    train_x, test_x = train_x.double(), test_x.double()
    mean, std = train_x.mean(0), train_x.std(0).clamp_min(1e-6)
    linear = fit_linear((train_x - mean) / std, torch.as_tensor(train_y), classes)
    with torch.no_grad():
        predicted = linear((test_x - mean) / std).argmax(1).numpy()
    chance = np.bincount(test_y, minlength=classes).max() / len(test_y)
    return Probe(round(100 * float((predicted == test_y).mean()), 2), round(100 * float(chance), 2),
                 len(train_y), len(test_y))


def pose_probe(run_dir: Path, data_root: str | None) -> Probe:
    """The pose probe of a finished run with stored weights, on its own split (the CPU)."""
    from reidlab.data.record import POSE_ANGLES
    from reidlab.evaluate import eval_rows, extract_features
    from reidlab.run import load_finished

    run = load_finished(run_dir, data_root)
    cfg = run.cfg
    if run.test_data is not run.train_data or run.train_data.poses is None:
        raise ConfigError(f"{run_dir.name}: the pose probe needs a run on one dataset with pose labels (VIPeR), "
                          f"not {cfg.dataset}" + (f" -> {cfg.test_dataset}" if cfg.test_dataset else ""))
    poses = run.train_data.poses
    train = run.train_rows[poses[run.train_rows] != UNKNOWN]
    test = np.unique(eval_rows(run.eval_set))
    test = test[poses[test] != UNKNOWN]
    features = (extract_features(run.model.features, run.train_images[rows], "centre")[0] for rows in (train, test))
    return probe(next(features), poses[train], next(features), poses[test], len(POSE_ANGLES))
