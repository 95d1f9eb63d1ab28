"""Training (Sec. V): pairs, augmentation, SGD with a linear learning-rate decay (epochs, checkpoints
and the rest of a run's life: ``reidlab.lifecycle``).

Each epoch presents every training person's positive pair once (camera A image with camera B
image where cameras exist, else two different images of the person; ``epoch_pairs: per-person``,
as the authors' code does) or every positive pair of images once (``all``: the paper's words, "all
matching image pairs once"; the same on VIPeR, ~6-70x more on the multi-image sets), and as many
negative pairs, each of two different random persons. Pairing ``cross-camera``: a negative takes the camera A
image of one and the camera B image of the other, and all pairs are shuffled; ``authors`` (the
authors' Lua code): a negative takes any image of each (so about half are same-camera pairs on
VIPeR), and positives and negatives strictly alternate. The rest is the paper's: 600 epochs, one
pair per step, SGD (momentum an option: Lua optim's form or PyTorch's, ``momentum_style``),
learning rate decreasing linearly from 1e-3 to 1e-5 from the first epoch to the last, each
gradient element clipped to +-5 (from the authors' earlier code).

Determinism: epoch ``e`` draws its pairs, crops, flips and dropout masks from generators seeded
with ``(seed, e)`` (``epoch_batch``), so a resumed run repeats an uninterrupted run exactly, and
a run trained inside a batched group (``reidlab.batched``) sees the same pairs, crops and masks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from reidlab.config import RunConfig
from reidlab.errors import ReidlabError
from reidlab.losses import MultiTaskLoss
from reidlab.model import MultiTaskSiamese
from reidlab.transforms import Normalised, centre_crop, random_crop_flip


class PairSampler:
    """Draws one epoch of (positive + negative) pairs over rows of the training images.

    ``pids``/``camids`` describe the training images; ``rows`` (default ``arange``) are the
    dataset rows they stand for, which is what the pairs are made of. ``pairing``: see the module
    docstring. Drawing is vectorised (padded per-person tables), so an epoch costs microseconds,
    not a Python loop per pair.
    """

    PAIRINGS = ("cross-camera", "authors")
    EPOCH_PAIRS = ("per-person", "all")

    def __init__(self, pids: np.ndarray, camids: np.ndarray, rows: np.ndarray | None = None,
                 pairing: str = "cross-camera", epoch_pairs: str = "per-person"):
        if pairing not in self.PAIRINGS:
            raise ValueError(f"pairing must be one of {self.PAIRINGS}, not {pairing!r}")
        if epoch_pairs not in self.EPOCH_PAIRS:
            raise ValueError(f"epoch_pairs must be one of {self.EPOCH_PAIRS}, not {epoch_pairs!r}")
        self.pairing = pairing
        rows = np.arange(len(pids)) if rows is None else np.asarray(rows)
        # per person: (side-1 rows, side-2 rows) = (camera A, camera B) where the person has both,
        # else all of its images on both sides (a pooled set mixes the two: PETA's VIPeR has
        # cameras, its i-LIDS, CAVIAR and 3DPeS have none)
        sides: list[tuple[np.ndarray, np.ndarray]] = []
        for pid in np.unique(pids):
            mine = np.flatnonzero(pids == pid)
            a, b = rows[mine[camids[mine] == 0]], rows[mine[camids[mine] == 1]]
            sides.append((a, b) if len(a) and len(b) else (rows[mine], rows[mine]))
        # persons that can form a positive pair (both sides present, two distinct images)
        positive = [i for i, (s1, s2) in enumerate(sides)
                    if len(s1) and len(s2) and len(np.union1d(s1, s2)) > 1]
        if len(sides) < 2 or not positive:
            raise ValueError("training needs at least two persons and one positive pair")
        self.persons = len(sides)
        self.pos1 = _Table([sides[i][0] for i in positive])
        self.pos2 = _Table([sides[i][1] for i in positive])
        # every positive pair once ("all"): side-1 x side-2 images, each unordered pair once
        self.all_positives = None if epoch_pairs == "per-person" else np.array(
            [(x, y) for i in positive for x in sides[i][0] for y in sides[i][1]
             if x < y or (x > y and x not in sides[i][1])]).reshape(-1, 2).T
        # a negative pair takes a side-1 image of one person and a side-2 image of another
        # (any image of each when pairing "authors")
        if pairing == "authors":
            either = [np.union1d(s1, s2) for s1, s2 in sides]
            self.neg1, self.neg2 = _Table(either), _Table(either)
        else:
            self.neg1, self.neg2 = _Table([s1 for s1, _ in sides]), _Table([s2 for _, s2 in sides])

    @property
    def pairs_per_epoch(self) -> int:
        """The positive pairs of an epoch, and as many negative pairs."""
        return 2 * (len(self.pos1.length) if self.all_positives is None else self.all_positives.shape[1])

    def epoch(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row indices ``a``, ``b`` and bool ``same``: shuffled, or alternating (pairing "authors")."""
        if self.all_positives is None:
            people = np.arange(len(self.pos1.length))
            a_pos = self.pos1.pick(people, rng)
            b_pos = self.pos2.pick(people, rng, exclude=a_pos)  # never an image paired with itself
        else:
            a_pos, b_pos = self.all_positives
        n = len(a_pos)
        i = rng.integers(self.persons, size=n)
        j = rng.integers(self.persons - 1, size=n)
        j += j >= i  # a different person
        a = np.r_[a_pos, self.neg1.pick(i, rng)]
        b = np.r_[b_pos, self.neg2.pick(j, rng)]
        same = np.r_[np.ones(n, bool), np.zeros(n, bool)]
        if self.pairing == "authors":  # positive, negative, positive, ...
            order = np.stack([rng.permutation(n), n + rng.permutation(n)], 1).ravel()
        else:
            order = rng.permutation(2 * n)
        return a[order], b[order], same[order]


class _Table:
    """Ragged lists of rows as a padded matrix, for vectorised uniform picks."""

    def __init__(self, lists: list[np.ndarray]):
        self.length = np.array([len(x) for x in lists])
        self.rows = np.full((len(lists), self.length.max()), -1)
        for k, x in enumerate(lists):
            self.rows[k, :len(x)] = np.sort(x)

    def pick(self, which: np.ndarray, rng: np.random.Generator, exclude: np.ndarray | None = None) -> np.ndarray:
        """One uniformly random row of each list ``which[k]``, other than ``exclude[k]``."""
        rows, length = self.rows[which], self.length[which]
        skip = np.full(len(which), rows.shape[1])  # column of the excluded row (none: past the end)
        if exclude is not None:
            hit = rows == exclude[:, None]
            skip = np.where(hit.any(1), hit.argmax(1), skip)
            length = length - (skip < rows.shape[1])
        col = (rng.random(len(which)) * length).astype(int)
        col += col >= skip
        return rows[np.arange(len(which)), col]


@dataclass
class TrainSet:
    """Pre-processed training images ``(N, 3, 64, 64)`` and per-image labels (-1 = unknown)."""

    images: torch.Tensor | Normalised
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


def reversal_coefficient(cfg: RunConfig, epoch: int) -> float:
    """The gradient reversal's coefficient in ``epoch`` (``pose_reversal``): Ganin & Lempitsky's
    schedule, ``pose_reversal * (2 / (1 + exp(-10 p)) - 1)`` with p the training progress, 0 at
    epoch 1 and ~1 at the last (theirs per step, here per epoch: 600 steps of 1/600)."""
    progress = 0.0 if cfg.epochs == 1 else (epoch - 1) / (cfg.epochs - 1)
    return cfg.pose_reversal * (2 / (1 + math.exp(-10 * progress)) - 1)


def dampening(cfg: RunConfig) -> float:
    """Lua optim.sgd's default dampening is the momentum (buf = m buf + (1 - m) g); PyTorch's is 0.
    Both start the buffer at the first gradient."""
    return cfg.momentum if cfg.momentum_style == "lua" else 0.0


def make_optimizer(cfg: RunConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    if cfg.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=cfg.lr_start)
    return torch.optim.SGD(model.parameters(), lr=cfg.lr_start, momentum=cfg.momentum,
                           dampening=dampening(cfg))


@torch.no_grad()
def sgd_step(params: list[torch.Tensor], grads: list[torch.Tensor], buffers: list[torch.Tensor],
             lr: torch.Tensor, active: torch.Tensor, momentum: torch.Tensor, dampening: torch.Tensor,
             started: torch.Tensor, clip: float = 0.0) -> None:
    """One SGD step of R runs stacked along the first dimension of every tensor, in place: for
    each run what ``clip_grad_value_(clip)`` then ``optim.SGD(lr, momentum, dampening).step()``
    do to it alone (a test pins it), each with its own ``(R,)`` ``lr``, ``momentum`` and
    ``dampening``. The buffer (none without momentum: ``buffers`` empty) is the first gradient,
    then ``m buf + (1 - d) g``; ``started`` (0/1 per run) says a run's buffer holds a step, and
    is updated. A run not ``active`` (0) keeps its weights and buffer. No host sync (CUDA graphs)."""
    if clip:
        torch._foreach_clamp_min_(grads, -clip)
        torch._foreach_clamp_max_(grads, clip)
    if buffers:
        keep = (momentum * started - 1) * active + 1  # 0 on a run's first step; an idle run keeps its buffer
        gain = (1 - dampening * started) * active
        for b, g in zip(buffers, grads):
            b.mul_(_per_run(keep, b)).add_(g * _per_run(gain, b))
        grads = buffers
        started.copy_(torch.maximum(started, active))
    for p, g in zip(params, grads):
        p.sub_(g * _per_run(lr * active, p))


def _per_run(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``(R,)`` per-run scalars shaped to broadcast over a stacked ``(R, ...)`` tensor."""
    return values.view(-1, *[1] * (like.dim() - 1))


def _epoch_seed(seed: int, epoch: int) -> int:
    return int(np.random.default_rng([seed, epoch, 7]).integers(2**62))


@dataclass
class EpochBatch:
    """One epoch's pairs, pre-drawn: images ``[x1 of every pair; x2 of every pair]``."""

    views: torch.Tensor               # (2n, 3, 56, 56) augmented crops
    keep: torch.Tensor | None         # (2n, fc_inputs) dropout masks (None: no dropout)
    same: torch.Tensor                # (n,) bool
    labels: dict[str, torch.Tensor]   # per image, (2n, ...)

    @property
    def pairs(self) -> int:
        return len(self.same)


def epoch_batch(data: TrainSet, cfg: RunConfig, epoch: int, fc_inputs: int) -> EpochBatch:
    """Everything random in epoch ``epoch``: pairs, crops, flips and dropout masks, each from a
    generator seeded with ``(seed, epoch)`` — so a resumed run, or the same run inside a
    batched group (``reidlab.batched``), sees exactly what an uninterrupted run alone sees."""
    seed = _epoch_seed(cfg.seed, epoch)
    a, b, same = data.sampler.epoch(np.random.default_rng([cfg.seed, epoch]))
    rows = torch.as_tensor(np.concatenate([a, b]))
    device = data.images.device
    gen = torch.Generator().manual_seed(seed)  # crops and flips
    # augment the whole epoch at once: one batched op instead of one per image
    views = (random_crop_flip(data.images[rows], generator=gen, low=cfg.crop_offset_min) if cfg.augment
             else centre_crop(data.images[rows]))
    return EpochBatch(views, dropout_keep(len(rows), fc_inputs, cfg.dropout, seed, device),
                      torch.as_tensor(same, device=device), data.labels(rows.to(device)))


def dropout_keep(rows: int, width: int, p: float, seed: int, device: torch.device) -> torch.Tensor | None:
    """0/1 masks keeping each unit with probability ``1 - p`` (drawn on ``device``)."""
    if p == 0:
        return None
    gen = torch.Generator(device).manual_seed(seed)
    return (torch.rand(rows, width, generator=gen, device=device) >= p).float()


def forward_precision(cfg: RunConfig, device: torch.device):
    """The context of a training forward pass: bf16 autocast (``precision: bf16``) or plain fp32.
    The losses are computed in fp32 either way (``losses_in_fp32``)."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.precision == "bf16")


def losses_in_fp32(z: torch.Tensor, heads: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    return z.float(), {k: v.float() for k, v in heads.items()}


def step_rows(start: int, stop: int, pairs: int, device: torch.device) -> torch.Tensor:
    """Rows of an :class:`EpochBatch` holding both images of pairs ``start..stop-1``."""
    return torch.cat([torch.arange(start, stop), torch.arange(pairs + start, pairs + stop)]).to(device)


def train_epoch(model: MultiTaskSiamese, loss_fn: MultiTaskLoss, opt: torch.optim.Optimizer,
                data: TrainSet, cfg: RunConfig, epoch: int) -> dict[str, float]:
    """One epoch; returns the mean of each loss term over its pairs."""
    for group in opt.param_groups:
        group["lr"] = learning_rate(cfg, epoch)
    model.heads.pose_reversal.fill_(reversal_coefficient(cfg, epoch))
    batch = epoch_batch(data, cfg, epoch, model.features.fc_inputs)
    n, step = batch.pairs, cfg.pairs_per_step
    sums: dict[str, torch.Tensor] = {}
    model.train()
    for s in range(0, n, step):
        e = min(s + step, n)
        idx = step_rows(s, e, n, batch.views.device)
        with forward_precision(cfg, batch.views.device):
            z, heads = model(batch.views[idx], None if batch.keep is None else batch.keep[idx])
        z, heads = losses_in_fp32(z, heads)
        terms = loss_fn(z, heads, batch.same[s:e], {k: v[idx] for k, v in batch.labels.items()})
        opt.zero_grad(set_to_none=True)
        terms["total"].backward()
        if cfg.grad_clip:
            torch.nn.utils.clip_grad_value_(model.parameters(), cfg.grad_clip)
        opt.step()
        for k, v in terms.items():
            sums[k] = sums.get(k, 0) + v.detach() * (e - s)
    return {k: float(v) / n for k, v in sums.items()}  # (``lifecycle`` checks them: a divergence is evidence)


def check_finite(means: dict[str, float], epoch: int) -> dict[str, float]:
    if not np.isfinite(means["total"]):
        raise TrainingDiverged(
            f"training diverged in epoch {epoch} (mean loss {means['total']}); lower lr_start, "
            "set momentum 0, or clip gradients (grad_clip)")
    return means


class TrainingDiverged(ReidlabError):
    """The loss became NaN or infinite."""
