"""Each loss term against a hand-written loop on tiny inputs."""

import math

import numpy as np
import pytest
import torch

from reidlab.losses import (
    LossConfig, MultiTaskLoss, attribute_weights, parse_tasks, verification_loss,
)


def _dist(a, b):
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))


@pytest.mark.parametrize("kind", ["contrastive", "hinge"])
def test_verification_against_loop(kind):
    gen = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(6, 4, generator=gen), torch.randn(6, 4, generator=gen) * 0.5
    same = torch.tensor([True, False, True, False, False, True])
    m = 2.5
    got = verification_loss(z1, z2, same, kind, m)
    for i in range(6):
        d = _dist(z1[i].tolist(), z2[i].tolist())
        if kind == "contrastive":
            want = 0.5 * d * d if same[i] else 0.5 * max(0.0, m - d) ** 2
        else:
            want = d if same[i] else max(0.0, m - d)
        assert got[i].item() == pytest.approx(want, rel=1e-5, abs=1e-6)


def test_verification_margin_and_gradient_at_zero():
    z = torch.zeros(1, 3, requires_grad=True)
    loss = verification_loss(z, z.detach(), torch.tensor([False]), "hinge", 2.0)
    loss.sum().backward()
    assert loss.item() == pytest.approx(2.0) and torch.isfinite(z.grad).all()
    far = verification_loss(torch.tensor([[3.0, 0.0]]), torch.zeros(1, 2), torch.tensor([False]))
    assert far.item() == 0.0  # beyond the margin: no cost


def _log_softmax(row):
    mx = max(row)
    s = sum(math.exp(v - mx) for v in row)
    return [v - mx - math.log(s) for v in row]


def test_multitask_total_is_eq6_per_pair():
    """C = V + sum_k a_k T_k(x1) + sum_k a_k T_k(x2), averaged over pairs; unknown labels skipped."""
    gen = torch.Generator().manual_seed(1)
    pairs, n_id, n_attr, n_pose = 3, 5, 4, 5
    z = torch.randn(2 * pairs, 8, generator=gen)
    heads = {"identity": torch.randn(2 * pairs, n_id, generator=gen),
             "attributes": torch.randn(2 * pairs, n_attr, 2, generator=gen),
             "pose": torch.randn(2 * pairs, n_pose, generator=gen)}
    labels = {"identity": torch.tensor([0, 1, 2, 3, 4, 0]),
              "attributes": torch.tensor([[0, 1, -1, 1]] * 3 + [[1, 1, 0, -1]] * 3),
              "pose": torch.tensor([0, 4, -1, 2, 1, 3])}
    same = torch.tensor([True, False, True])
    alpha = np.array([0.1, 0.2, 0.3, 0.4])
    cfg = LossConfig(alpha_identity=1.0, alpha_pose=0.7)
    terms = MultiTaskLoss(cfg, alpha)(z, heads, same, labels)

    want = {"verification": 0.0, "identity": 0.0, "attributes": 0.0, "pose": 0.0}
    for p in range(pairs):
        d = _dist(z[p].tolist(), z[pairs + p].tolist())
        want["verification"] += 0.5 * d * d if same[p] else 0.5 * max(0.0, 2.0 - d) ** 2
        for img in (p, pairs + p):
            want["identity"] -= _log_softmax(heads["identity"][img].tolist())[labels["identity"][img]]
            if labels["pose"][img] >= 0:
                want["pose"] -= 0.7 * _log_softmax(heads["pose"][img].tolist())[labels["pose"][img]]
            for a in range(n_attr):
                lab = labels["attributes"][img, a].item()
                if lab >= 0:
                    want["attributes"] -= alpha[a] * _log_softmax(heads["attributes"][img, a].tolist())[lab]
    want = {k: v / pairs for k, v in want.items()}
    for k, v in want.items():
        assert terms[k].item() == pytest.approx(v, rel=1e-5)
    assert terms["total"].item() == pytest.approx(sum(want.values()), rel=1e-5)


def test_multilabel_attributes_against_loop():
    logits = torch.tensor([[0.5, -1.0], [2.0, 0.0]])
    target = torch.tensor([[1, 0], [-1, 1]])
    loss = MultiTaskLoss(LossConfig(tasks=("attributes",), attribute_head="multilabel"), np.array([0.25, 0.75]))
    got = loss(torch.zeros(2, 3), {"attributes": logits}, torch.tensor([True]), {"attributes": target})
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    want = -(0.25 * math.log(sig(0.5)) + 0.75 * math.log(1 - sig(-1.0)) + 0.75 * math.log(sig(0.0)))
    assert got["attributes"].item() == pytest.approx(want, rel=1e-6)


def test_regression_attributes_by_hand():
    outputs = torch.tensor([[0.5, -1.0], [2.0, 0.0]])
    target = torch.tensor([[1, 0], [-1, 1]])  # the -1 (unknown) contributes nothing
    loss = MultiTaskLoss(LossConfig(tasks=("attributes",), attribute_head="regression"), np.array([0.25, 0.75]))
    got = loss(torch.zeros(2, 3), {"attributes": outputs}, torch.tensor([True]), {"attributes": target})
    want = 0.25 * (0.5 - 1) ** 2 + 0.75 * (-1.0 - 0) ** 2 + 0.75 * (0.0 - 1) ** 2  # one pair
    assert got["attributes"].item() == pytest.approx(want, rel=1e-6)


def test_entropy_weights_by_hand():
    attrs = np.array([[0, 1, 1], [1, 1, 0], [0, 1, -1], [1, 1, -1]])
    w = attribute_weights("entropy", attrs)
    # column 0: balanced -> 1 bit; column 1: constant -> 0; column 2: one 1 and one 0 known -> 1 bit
    np.testing.assert_allclose(w, [0.5, 0.0, 0.5])
    skew = np.array([[0], [0], [0], [1]] * 2)
    h = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))
    both = np.hstack([attrs[:, :1].repeat(2, 0), skew])
    np.testing.assert_allclose(attribute_weights("entropy", both), [1 / (1 + h), h / (1 + h)])
    np.testing.assert_allclose(attribute_weights("equal", attrs), [1 / 3] * 3)
    np.testing.assert_allclose(attribute_weights("given", attrs, [1, 0, 3]), [0.25, 0, 0.75])
    assert attribute_weights("none", attrs).sum() == 0
    with pytest.raises(ValueError, match="needs 3 weights"):
        attribute_weights("given", attrs, [1, 2])


def test_parse_tasks():
    assert parse_tasks("V+I+A+P") == ("verification", "identity", "attributes", "pose")
    assert parse_tasks("a+v") == ("verification", "attributes")
    with pytest.raises(ValueError, match="V/I/A/P"):
        parse_tasks("V+X")


def test_distance_diagnostics_are_not_costs():
    z = torch.tensor([[0.0, 0.0], [1.0, 0.0], [3.0, 4.0], [1.0, 0.0]])  # pairs (z0, z2), (z1, z3)
    same = torch.tensor([False, True])
    loss = MultiTaskLoss(LossConfig(tasks=("verification",)))
    terms = loss(z, {}, same, {})
    assert terms["distance_different"] == pytest.approx(5.0)  # 2 * (5 / 2 pairs): the negatives' mean
    assert terms["distance_same"] == pytest.approx(0.0, abs=1e-5)
    assert terms["total"] == pytest.approx(terms["verification"].item())  # diagnostics add nothing


def test_pair_weights_by_hand():
    """Weights 1/2, 1/2, 0: the cost of the first two pairs alone (the third is a batched group's padding)."""
    torch.manual_seed(0)
    z, logits = torch.randn(6, 4), torch.randn(6, 5)
    same, ids = torch.tensor([True, False, True]), torch.tensor([0, 1, 2, 0, 3, 4])
    loss = MultiTaskLoss(LossConfig(tasks=("verification", "identity")))
    weighted = loss(z, {"identity": logits}, same, {"identity": ids}, torch.tensor([0.5, 0.5, 0.0]))
    rows = torch.tensor([0, 1, 3, 4])  # pairs 0 and 1: images x1 = 0, 1 and x2 = 3, 4
    alone = loss(z[rows], {"identity": logits[rows]}, same[:2], {"identity": ids[rows]})
    for name in alone:
        assert weighted[name].item() == pytest.approx(alone[name].item(), rel=1e-6)
