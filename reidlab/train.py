"""Training (Sec. V): pairs, augmentation, SGD with a linear learning-rate decay, checkpoints.

Each epoch presents every training person's positive pair once (camera A image with camera B
image where cameras exist, else two different images of the person) and as many negative pairs,
each of two different random persons (camera A image of one, camera B image of the other where
cameras exist), in random order. The default is the paper's: 600 epochs, one pair per step, SGD
without momentum (the paper names none; the authors' earlier code's 0.9 is an option), learning
rate decreasing linearly from 1e-3 to 1e-5 from the first epoch to the last, each gradient
element clipped to +-5 (from the authors' earlier code).

Determinism: epoch ``e`` draws its pairs, crops, flips and dropout masks from generators seeded
with ``(seed, e)``, so a run resumed from a checkpoint repeats an uninterrupted run exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from tqdm import tqdm

from reidlab.config import RunConfig
from reidlab.errors import ReidlabError
from reidlab.losses import MultiTaskLoss
from reidlab.model import MultiTaskSiamese
from reidlab.transforms import centre_crop, random_crop_flip


class PairSampler:
    """Draws one epoch of (positive + negative) pairs over rows of the training images.

    ``pids``/``camids`` describe the training images; ``rows`` (default ``arange``) are the
    dataset rows they stand for, which is what the pairs are made of.
    """

    def __init__(self, pids: np.ndarray, camids: np.ndarray, rows: np.ndarray | None = None):
        rows = np.arange(len(pids)) if rows is None else np.asarray(rows)
        two_cameras = set(np.unique(camids).tolist()) >= {0, 1}
        self.sides: list[tuple[np.ndarray, np.ndarray]] = []  # per person: (side-1 rows, side-2 rows)
        for pid in np.unique(pids):
            mine = np.flatnonzero(pids == pid)
            if two_cameras:
                self.sides.append((rows[mine[camids[mine] == 0]], rows[mine[camids[mine] == 1]]))
            else:
                self.sides.append((rows[mine], rows[mine]))
        # persons that can form a positive pair (both sides present, two distinct images)
        self.positive = [i for i, (s1, s2) in enumerate(self.sides)
                         if len(s1) and len(s2) and len(np.union1d(s1, s2)) > 1]
        self.either = [np.union1d(s1, s2) for s1, s2 in self.sides]
        if len(self.sides) < 2 or not self.positive:
            raise ValueError("training needs at least two persons and one positive pair")

    def epoch(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row indices ``a``, ``b`` and bool ``same``, shuffled."""
        a, b = [], []
        for i in self.positive:
            s1, s2 = self.sides[i]
            x = rng.choice(s1)
            y = rng.choice(s2[s2 != x])
            a.append(x)
            b.append(y)
        n = len(self.positive)
        for _ in range(n):
            i, j = rng.choice(len(self.sides), size=2, replace=False)
            a.append(rng.choice(self.sides[i][0] if len(self.sides[i][0]) else self.either[i]))
            b.append(rng.choice(self.sides[j][1] if len(self.sides[j][1]) else self.either[j]))
        same = np.r_[np.ones(n, bool), np.zeros(n, bool)]
        order = rng.permutation(2 * n)
        return np.array(a)[order], np.array(b)[order], same[order]


@dataclass
class TrainSet:
    """Pre-processed training images ``(N, 3, 64, 64)`` and per-image labels (-1 = unknown)."""

    images: torch.Tensor
    identity: torch.Tensor
    attributes: torch.Tensor | None
    pose: torch.Tensor | None
    sampler: PairSampler

    def labels(self, rows: torch.Tensor) -> dict[str, torch.Tensor]:
        out = {"identity": self.identity[rows]}
        if self.attributes is not None:
            out["attributes"] = self.attributes[rows]
        if self.pose is not None:
            out["pose"] = self.pose[rows]
        return out


def learning_rate(cfg: RunConfig, epoch: int) -> float:
    """Linear from ``lr_start`` at epoch 1 to ``lr_end`` at the last epoch."""
    if cfg.epochs == 1:
        return cfg.lr_start
    return cfg.lr_start + (cfg.lr_end - cfg.lr_start) * (epoch - 1) / (cfg.epochs - 1)


def make_optimizer(cfg: RunConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    if cfg.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=cfg.lr_start)
    return torch.optim.SGD(model.parameters(), lr=cfg.lr_start, momentum=cfg.momentum)


def _epoch_seed(seed: int, epoch: int) -> int:
    return int(np.random.default_rng([seed, epoch, 7]).integers(2**62))


def train_epoch(model: MultiTaskSiamese, loss_fn: MultiTaskLoss, opt: torch.optim.Optimizer,
                data: TrainSet, cfg: RunConfig, epoch: int) -> dict[str, float]:
    """One epoch; returns the mean of each loss term over its pairs."""
    for group in opt.param_groups:
        group["lr"] = learning_rate(cfg, epoch)
    seed = _epoch_seed(cfg.seed, epoch)
    torch.manual_seed(seed)  # dropout masks
    gen = torch.Generator().manual_seed(seed)  # crops and flips
    a, b, same = data.sampler.epoch(np.random.default_rng([cfg.seed, epoch]))
    rows = torch.as_tensor(np.concatenate([a, b]))
    device = data.images.device
    # augment the whole epoch at once: one batched op instead of one per image
    views = random_crop_flip(data.images[rows], generator=gen) if cfg.augment else centre_crop(data.images[rows])
    n, step = len(a), cfg.pairs_per_step
    same_t = torch.as_tensor(same, device=device)
    labels = data.labels(rows.to(device))
    sums: dict[str, torch.Tensor] = {}
    model.train()
    for s in range(0, n, step):
        e = min(s + step, n)
        idx = torch.cat([torch.arange(s, e), torch.arange(n + s, n + e)]).to(device)
        z, heads = model(views[idx])
        terms = loss_fn(z, heads, same_t[s:e], {k: v[idx] for k, v in labels.items()})
        opt.zero_grad(set_to_none=True)
        terms["total"].backward()
        if cfg.grad_clip:
            torch.nn.utils.clip_grad_value_(model.parameters(), cfg.grad_clip)
        opt.step()
        for k, v in terms.items():
            sums[k] = sums.get(k, 0) + v.detach() * (e - s)
    means = {k: float(v) / n for k, v in sums.items()}
    if not np.isfinite(means["total"]):
        raise TrainingDiverged(
            f"training diverged in epoch {epoch} (mean loss {means['total']}); lower lr_start, "
            "set momentum 0, or clip gradients (grad_clip)")
    return means


class TrainingDiverged(ReidlabError):
    """The loss became NaN or infinite."""


def fit(model: MultiTaskSiamese, loss_fn: MultiTaskLoss, opt: torch.optim.Optimizer, data: TrainSet,
        cfg: RunConfig, start_epoch: int = 1,
        on_epoch_end: Callable[[int, dict[str, float]], None] | None = None,
        progress: bool = True) -> None:
    """Epochs ``start_epoch..cfg.epochs``; ``on_epoch_end(epoch, losses)`` logs and checkpoints."""
    bar = tqdm(range(start_epoch, cfg.epochs + 1), desc="train", unit="epoch",
               initial=start_epoch - 1, total=cfg.epochs, disable=not progress)
    for epoch in bar:
        losses = train_epoch(model, loss_fn, opt, data, cfg, epoch)
        bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()})
        if on_epoch_end is not None:
            on_epoch_end(epoch, losses)
