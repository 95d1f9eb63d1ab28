"""The multi-task cost of the paper (Eqs. 2-8), returning its named terms.

Per pair (Eq. 6): ``C = V(x1, x2 | same) + sum_k alpha_k T_k(G(x1)) + sum_k alpha_k T_k(G(x2))``.
A batch of pairs gives the mean of the per-pair costs, so one pair per step is exactly Eq. 6.

Verification V on the Euclidean distance D = ||G(x1) - G(x2)||:
  * ``contrastive`` (the paper's Eqs. 2-4, default): same 1/2 D^2, different 1/2 max(0, m - D)^2.
    (Eq. 4 as printed applies V_S when y = 0 although y = 1 is defined as "same"; the intended
    reading — V_S for same-person pairs — is used.)
  * ``hinge`` (the authors' earlier code): same D, different max(0, m - D).
The margin m is not given in the paper; the default 2 is the margin of the authors' earlier code.

Auxiliary tasks T_k are softmax cross-entropies (Eqs. 7-8): identification (alpha_I = 1), one
2-way softmax per attribute (alpha_a from the weighting), pose (alpha_pose = 1). The multi-label
variants predict the vector of all attribute labels jointly, one output per attribute, weighted
the same way: ``multilabel`` by binary cross-entropy on logits, ``regression`` (the paper's words,
Sec. III-B2: "a vector of all attribute labels jointly using regression loss") by the squared error
of the output against the 0/1 label. Unknown labels (-1) contribute nothing.

Besides the costs and their ``total``, the terms carry two diagnostics (not part of the total):
``distance_same`` and ``distance_different``, whose epoch means are the mean distances of the
positive and the negative pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from reidlab.metrics import label_entropy

TASKS = {"V": "verification", "I": "identity", "A": "attributes", "P": "pose"}
VERIFICATION_LOSSES = ("contrastive", "hinge")
WEIGHTINGS = ("none", "equal", "entropy", "given")


def parse_tasks(spec: str) -> tuple[str, ...]:
    """``"V+I+A+P"`` -> ("verification", "identity", "attributes", "pose")."""
    letters = [t.strip().upper() for t in spec.split("+") if t.strip()]
    unknown = [t for t in letters if t not in TASKS]
    if unknown or not letters:
        raise ValueError(f"tasks must be '+'-joined letters of {'/'.join(TASKS)} (e.g. V+I+A+P), not {spec!r}")
    return tuple(TASKS[t] for t in TASKS if t in letters)


def pair_distance(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    # eps keeps the gradient of sqrt finite when the two features coincide
    return (z1 - z2).pow(2).sum(dim=1).add(1e-12).sqrt()


def verification_loss(z1: torch.Tensor, z2: torch.Tensor, same: torch.Tensor, kind: str = "contrastive",
                      margin: float = 2.0) -> torch.Tensor:
    """Per-pair verification cost ``(B,)``; ``same`` is a bool ``(B,)``."""
    d = pair_distance(z1, z2)
    if kind == "contrastive":
        return torch.where(same, 0.5 * d.pow(2), 0.5 * (margin - d).clamp_min(0).pow(2))
    if kind == "hinge":
        return torch.where(same, d, (margin - d).clamp_min(0))
    raise ValueError(f"verification loss must be one of {VERIFICATION_LOSSES}, not {kind!r}")


def attribute_weights(weighting: str, train_attributes: np.ndarray | None,
                      given: list[float] | None = None) -> np.ndarray:
    """alpha_a per attribute, summing to 1 ("none": all zero).

    ``entropy``: proportional to the Shannon entropy (bits) of each attribute's labels over the
    training images (unknown labels ignored).
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"attribute weighting must be one of {WEIGHTINGS}, not {weighting!r}")
    n = 0 if train_attributes is None else train_attributes.shape[1]
    if weighting == "none" or n == 0:
        return np.zeros(n)
    if weighting == "equal":
        w = np.ones(n)
    elif weighting == "entropy":
        w = np.array([label_entropy(train_attributes[:, a]) for a in range(n)])
    else:
        if given is None or len(given) != n:
            raise ValueError(f"'given' attribute weighting needs {n} weights, got {given!r}")
        w = np.asarray(given, dtype=float)
    if w.sum() <= 0:
        raise ValueError("attribute weights sum to zero")
    return w / w.sum()


@dataclass
class LossConfig:
    tasks: tuple[str, ...] = ("verification", "identity", "attributes", "pose")
    verification: str = "contrastive"
    margin: float = 2.0
    alpha_identity: float = 1.0
    alpha_pose: float = 1.0
    attribute_head: str = "softmax"


class MultiTaskLoss(torch.nn.Module):
    """Named terms of Eq. 6 for a batch of B pairs whose 2B images are stacked [x1; x2]."""

    def __init__(self, cfg: LossConfig, attribute_alpha: np.ndarray | None = None):
        super().__init__()
        self.cfg = cfg
        alpha = torch.as_tensor(attribute_alpha if attribute_alpha is not None else [], dtype=torch.float32)
        self.register_buffer("attribute_alpha", alpha)

    def forward(self, z: torch.Tensor, heads: dict[str, torch.Tensor], same: torch.Tensor,
                labels: dict[str, torch.Tensor], weight: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """``z`` (2B, D); ``heads`` logits of the 2B images; ``labels`` per image (-1 = unknown).
        ``weight`` (B,): each pair's share of the batch's cost (default 1/B each; 0 for the padding
        pairs of a batched group, ``reidlab.batched``)."""
        pairs = len(same)
        w = torch.full((pairs,), 1.0 / pairs, device=z.device) if weight is None else weight
        per_pair = lambda per_image: (w * (per_image[:pairs] + per_image[pairs:])).sum()  # noqa: E731
        terms: dict[str, torch.Tensor] = {}
        if "verification" in self.cfg.tasks:
            terms["verification"] = (w * verification_loss(
                z[:pairs], z[pairs:], same, self.cfg.verification, self.cfg.margin)).sum()
        # auxiliary costs: summed over the two images of a pair, averaged over pairs
        if "identity" in self.cfg.tasks:
            terms["identity"] = self.cfg.alpha_identity * per_pair(
                F.cross_entropy(heads["identity"], labels["identity"], reduction="none", ignore_index=-1))
        if "pose" in self.cfg.tasks:
            terms["pose"] = self.cfg.alpha_pose * per_pair(_masked_ce(heads["pose"], labels["pose"]))
        if "attributes" in self.cfg.tasks:
            terms["attributes"] = per_pair(self._attribute_cost(heads["attributes"], labels["attributes"]))
        terms["total"] = sum(terms.values())
        # diagnostics, not costs: over an epoch (half its pairs positive) these average to the mean
        # distance of positive and of negative pairs, to read against the margin
        d = pair_distance(z[:pairs], z[pairs:]).detach()
        terms["distance_same"] = 2 * (w * d * same).sum()
        terms["distance_different"] = 2 * (w * d * ~same).sum()
        return terms

    def _attribute_cost(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Per image: the weighted sum of its attribute costs (unknown labels: 0)."""
        known = target >= 0
        tgt = target.clamp_min(0)
        if self.cfg.attribute_head == "softmax":  # logits (2B, A, 2)
            ce = F.cross_entropy(logits.permute(0, 2, 1), tgt, reduction="none")
        elif self.cfg.attribute_head == "multilabel":  # logits (2B, A)
            ce = F.binary_cross_entropy_with_logits(logits, tgt.float(), reduction="none")
        else:  # regression: outputs (2B, A) against 0/1
            ce = (logits - tgt.float()).pow(2)
        return (ce * known * self.attribute_alpha).sum(-1)


def _masked_ce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per image; unknown labels cost 0. Multiplying by the mask instead of indexing keeps shapes
    fixed, so it runs under vmap and inside a CUDA graph."""
    known = target >= 0
    return F.cross_entropy(logits, target.clamp_min(0), reduction="none") * known
