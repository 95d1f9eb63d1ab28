"""The Siamese feature network G and its task heads (paper Secs. III-IV, Fig. 3).

G: ``layers`` x [conv 5x5, stride 1, zero padding 4, tanh, 2x2 max-pool], dropout, then a linear
layer to the feature (no nonlinearity after it). With 56x56 crops and widths 16/64/64 the last
map is 64x10x10, the linear layer is 6400 -> 128, and G has 948,672 parameters. The paper says
"~780k" and "~800k": paddings 4/4/3 (``padding: [4, 4, 3]`` in a run config) give a 64x9x9 map and
793,024 parameters, the nearest simple variant.

The Siamese pair shares G; the heads act on G(x) of every image of the pair:
identification (one class per training person), one 2-way softmax per attribute, pose
(5 classes), or the "multi-label" attribute head (one logit per attribute, trained with binary
cross-entropy; Table IV "Ours Multi-Label").
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from reidlab.transforms import CROP


@dataclass
class ModelConfig:
    widths: tuple[int, ...] = (16, 64, 64)  # one conv layer per width (1-4 layers)
    feature_dim: int = 128
    kernel: int = 5
    padding: int | tuple[int, ...] = 4  # one for every layer, or one per layer
    dropout: float = 0.6
    input_size: int = CROP
    centre_input: bool = False  # subtract each crop's scalar mean first (the authors' code)


def paddings(cfg: ModelConfig) -> tuple[int, ...]:
    if isinstance(cfg.padding, int):
        return (cfg.padding,) * len(cfg.widths)
    if len(cfg.padding) != len(cfg.widths):
        raise ValueError(f"give one padding per conv layer: {cfg.padding} for widths {cfg.widths}")
    return tuple(cfg.padding)


def conv_output_size(cfg: ModelConfig) -> int:
    size = cfg.input_size
    for pad in paddings(cfg):
        size = (size + 2 * pad - cfg.kernel + 1) // 2  # conv (stride 1), then 2x2 pool
    return size


class FeatureNet(nn.Module):
    """G(x): YUV crops ``(N, 3, 56, 56)`` -> features ``(N, feature_dim)``."""

    def __init__(self, cfg: ModelConfig | None = None):
        super().__init__()
        cfg = cfg or ModelConfig()
        if not 1 <= len(cfg.widths) <= 4:
            raise ValueError(f"1 to 4 conv layers are supported, got widths {cfg.widths}")
        blocks, channels = [], 3
        for width, pad in zip(cfg.widths, paddings(cfg)):
            blocks += [nn.Conv2d(channels, width, cfg.kernel, padding=pad), nn.Tanh(),
                       nn.MaxPool2d(2)]
            channels = width
        self.conv = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(channels * conv_output_size(cfg) ** 2, cfg.feature_dim)
        self.cfg = cfg
        # a 0/1 factor rather than an if: a batched group (reidlab.batched) mixes runs with and
        # without it; not saved in checkpoints (the config says it)
        self.register_buffer("centre_input", torch.tensor(float(cfg.centre_input)), persistent=False)

    @property
    def fc_inputs(self) -> int:
        """Width of the dropout layer (the flattened last map): the shape of a dropout mask."""
        return self.fc.in_features

    def forward(self, x: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        """``keep``: an explicit 0/1 dropout mask ``(N, fc_inputs)`` drawn by the trainer, so that
        a run trained alone and the same run inside a batched group see the same masks."""
        x = x - self.centre_input * x.mean(dim=(1, 2, 3), keepdim=True)
        h = self.conv(x).flatten(1)
        if keep is None:
            return self.fc(self.dropout(h))
        return self.fc(h * keep * (1.0 / (1.0 - self.cfg.dropout)))


@dataclass
class HeadsConfig:
    """Which heads exist and their sizes (0 / empty = no such head)."""

    num_identities: int = 0
    num_attributes: int = 0
    attribute_head: str = "softmax"  # "softmax": a 2-way classifier each; "multilabel"/"regression": one output each
    num_poses: int = 0
    reverse_pose: bool = False  # the pose head behind a gradient reversal layer (``ReverseGradient``)
    attribute_classes: tuple[int, ...] = ()  # softmax heads: classes per attribute (empty: 2 each)

    @property
    def attribute_width(self) -> int:
        """Logits per attribute: a softmax head's largest class count; 1 for the other heads."""
        if self.attribute_head != "softmax":
            return 1
        return max(self.attribute_classes, default=2)


def class_mask(classes: tuple[int, ...], width: int) -> torch.Tensor:
    """(A, width): 0 on each attribute's own classes, -1e4 beyond them (softmax: exactly 0)."""
    return torch.tensor([[0.0] * k + [-1e4] * (width - k) for k in classes])


class ReverseGradient(torch.autograd.Function):
    """The identity forward; backward, the gradient negated and scaled by ``coefficient``
    (Ganin & Lempitsky 2015, the paper's ref. [16]): the head behind it learns its task while the
    features before it learn to defeat it."""

    generate_vmap_rule = True  # works under torch.func's vmap/grad (batched groups: a coefficient per run)

    @staticmethod
    def forward(x: torch.Tensor, coefficient: torch.Tensor) -> torch.Tensor:
        return x.clone()

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.coefficient = inputs[1]

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.coefficient * grad, None


class TaskHeads(nn.Module):
    """Linear classifiers on G(x), one per auxiliary task; outputs are logits."""

    def __init__(self, feature_dim: int, cfg: HeadsConfig):
        super().__init__()
        if cfg.attribute_head not in ("softmax", "multilabel", "regression"):
            raise ValueError(f"attribute_head must be 'softmax', 'multilabel' or 'regression', not {cfg.attribute_head!r}")
        if cfg.attribute_classes and (len(cfg.attribute_classes) != cfg.num_attributes or cfg.attribute_head != "softmax"):
            raise ValueError(f"attribute_classes {cfg.attribute_classes}: one per attribute, softmax heads only")
        linear = lambda n: nn.Linear(feature_dim, n) if n else None  # noqa: E731
        self.identity = linear(cfg.num_identities)
        self.attributes = linear(cfg.num_attributes * cfg.attribute_width)
        self.pose = linear(cfg.num_poses)
        self.cfg = cfg
        # attributes with fewer classes than the widest: their extra logits pushed to exp(-1e4) = 0
        mask = class_mask(cfg.attribute_classes, cfg.attribute_width) if len(set(cfg.attribute_classes)) > 1 else None
        self.register_buffer("attribute_mask", mask, persistent=False)
        # the reversal's coefficient now (set each epoch by the trainer: ``train.reversal_coefficient``)
        self.register_buffer("pose_reversal", torch.tensor(0.0), persistent=False)

    def forward(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        out = {}
        if self.identity is not None:
            out["identity"] = self.identity(z)
        if self.attributes is not None:
            logits = self.attributes(z)
            # softmax heads: (N, A, classes); multilabel, regression: (N, A)
            if self.cfg.attribute_head == "softmax":
                logits = logits.view(len(z), -1, self.cfg.attribute_width)
                if self.attribute_mask is not None:
                    logits = logits + self.attribute_mask.to(logits.dtype)
            out["attributes"] = logits
        if self.pose is not None:
            out["pose"] = self.pose(ReverseGradient.apply(z, self.pose_reversal) if self.cfg.reverse_pose else z)
        return out


class MultiTaskSiamese(nn.Module):
    """G shared by both images of a pair, plus the task heads."""

    def __init__(self, model: ModelConfig | None = None, heads: HeadsConfig | None = None):
        super().__init__()
        self.features = FeatureNet(model)
        self.heads = TaskHeads(self.features.cfg.feature_dim, heads or HeadsConfig())

    def forward(self, x: torch.Tensor, keep: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``x``: ``(N, 3, 56, 56)`` (both images of every pair stacked) -> (features, head logits)."""
        z = self.features(x, keep)
        return z, self.heads(z)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
