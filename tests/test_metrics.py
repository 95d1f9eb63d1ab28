"""Oracle tests for reidlab.metrics: each vectorised metric is checked against a plain loop or a
hand-computed answer."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from reidlab.metrics import (
    NAMED_PRESETS,
    CMCResult,
    binary_attribute_metrics,
    cmc,
    cmc_auc,
    label_entropy,
    mean_accuracy_ma,
    mean_average_precision,
    multiclass_metrics,
)

# ------------------------------------------------------------------------------------------
# Brute-force oracles: sort each query's row and walk it.
# ------------------------------------------------------------------------------------------


def _kept_indices(i, qcams, gcams, exclude_same_camera):
    g = len(gcams) if gcams is not None else None
    out = []
    for j in range(g):
        if exclude_same_camera and qcams[i] != -1 and gcams[j] != -1 and qcams[i] == gcams[j]:
            continue
        out.append(j)
    return out


def _walk_rank(entries, pessimistic):
    """entries: list of (distance, is_correct). 1-based position of the first correct one."""
    # Pessimistic: at equal distance, wrong (False) sorts before correct (True).
    key = (lambda e: (e[0], e[1])) if pessimistic else (lambda e: (e[0], not e[1]))
    for pos, (_, ok) in enumerate(sorted(entries, key=key), start=1):
        if ok:
            return pos
    return None


def brute_cmc(dist, qp, gp, qc=None, gc=None, exclude_same_camera=False, pessimistic=True,
              subsets=None):
    """Returns (curve, n_valid). `subsets[i]`, if given, lists the gallery columns of query i."""
    q, g = dist.shape
    if qc is None:
        qc, gc = [-1] * q, [-1] * g
    ranks = []
    for i in range(q):
        cols = subsets[i] if subsets is not None else _kept_indices(i, qc, gc,
                                                                    exclude_same_camera)
        r = _walk_rank([(dist[i, j], qp[i] == gp[j]) for j in cols], pessimistic)
        if r is not None:
            ranks.append(r)
    curve = [sum(r <= k for r in ranks) / len(ranks) for k in range(1, g + 1)]
    return np.array(curve), len(ranks)


def brute_ap(dist, qp, gp, qc=None, gc=None, exclude_same_camera=False):
    q, g = dist.shape
    if qc is None:
        qc, gc = [-1] * q, [-1] * g
    aps = []
    for i in range(q):
        cols = _kept_indices(i, qc, gc, exclude_same_camera)
        entries = sorted(((dist[i, j], qp[i] == gp[j]) for j in cols),
                         key=lambda e: (e[0], e[1]))
        hits, precs = 0, []
        for pos, (_, ok) in enumerate(entries, start=1):
            if ok:
                hits += 1
                precs.append(hits / pos)
        if precs:
            aps.append(sum(precs) / len(precs))
    return sum(aps) / len(aps)


def random_problem(seed, q=40, n_ids=15, imgs_per_id=(1, 4), n_cams=3, integer_dist=False):
    rng = np.random.default_rng(seed)
    gp = np.concatenate([[pid] * rng.integers(*imgs_per_id, endpoint=True)
                         for pid in range(n_ids)])
    rng.shuffle(gp)
    qp = rng.integers(0, n_ids + 3, size=q)  # some query ids absent from the gallery
    qc = rng.integers(-1, n_cams, size=q)
    gc = rng.integers(-1, n_cams, size=len(gp))
    if integer_dist:  # many exact ties
        dist = rng.integers(0, 4, size=(q, len(gp))).astype(float)
    else:
        dist = rng.random((q, len(gp)))
    return dist, qp, gp, qc, gc


# ------------------------------------------------------------------------------------------
# CMC
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("exclude", [False, True])
@pytest.mark.parametrize("integer_dist", [False, True])
@pytest.mark.parametrize("ties", ["pessimistic", "optimistic"])
def test_cmc_matches_brute_force(seed, exclude, integer_dist, ties):
    dist, qp, gp, qc, gc = random_problem(seed, integer_dist=integer_dist)
    res = cmc(dist, qp, gp, qc, gc, exclude_same_camera=exclude, ties=ties)
    curve, n_valid = brute_cmc(dist, qp, gp, qc, gc, exclude, ties == "pessimistic")
    assert res.num_valid_queries == n_valid
    assert res.num_invalid_queries == len(qp) - n_valid
    np.testing.assert_allclose(res.curve, curve)
    assert len(res.curve) == len(gp)
    assert np.all(np.diff(res.curve) >= 0) and res.curve[-1] == pytest.approx(1.0)


def test_cmc_hand_made_ranks_1_2_3():
    # Query i's correct gallery entry i sits at rank i + 1.
    dist = np.array([[0.1, 0.5, 0.9],
                     [0.2, 0.6, 0.8],
                     [0.1, 0.2, 0.7]])
    res = cmc(dist, [0, 1, 2], [0, 1, 2])
    np.testing.assert_allclose(res.curve, [1 / 3, 2 / 3, 1.0])
    assert res.num_valid_queries == 3
    assert res.at([1, 2, 3, 50]) == pytest.approx({1: 100 / 3, 2: 200 / 3, 3: 100.0, 50: 100.0})
    assert res.at(1) == pytest.approx({1: 100 / 3})
    with pytest.raises(ValueError):
        res.at(0)


def test_cmc_constant_distance_ties():
    g = 7
    dist = np.ones((5, g))
    qp, gp = np.arange(5), np.arange(g)
    pess = cmc(dist, qp, gp, ties="pessimistic")
    opt = cmc(dist, qp, gp, ties="optimistic")
    np.testing.assert_allclose(pess.curve, [0] * (g - 1) + [1])  # every query at rank G
    np.testing.assert_allclose(opt.curve, [1] * g)  # every query at rank 1
    assert cmc(dist, qp, gp).curve[0] == 0  # pessimistic is the default


def test_cmc_invalid_queries_excluded_and_counted():
    dist = np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0.5]])
    res = cmc(dist, [0, 1, 9], [0, 1])  # pid 9 has no gallery entry
    assert res.num_valid_queries == 2 and res.num_invalid_queries == 1
    np.testing.assert_allclose(res.curve, [1.0, 1.0])
    # Camera filtering can also invalidate: the only correct entry shares the query's camera.
    res = cmc(dist[:2], [0, 1], [0, 1], [0, 0], [0, 1], exclude_same_camera=True)
    assert res.num_valid_queries == 1 and res.num_invalid_queries == 1
    # ... but not when a camera is unknown.
    res = cmc(dist[:2], [0, 1], [0, 1], [0, -1], [0, 1], exclude_same_camera=True)
    assert res.num_valid_queries == 1
    res = cmc(dist[:2], [0, 1], [0, 1], [-1, -1], [0, 1], exclude_same_camera=True)
    assert res.num_valid_queries == 2
    with pytest.raises(ValueError, match="no query"):
        cmc(dist, [5, 6, 7], [0, 1])


def test_cmc_exclude_same_camera_changes_rank():
    # The wrong entry from the query's own camera is closer; removing it moves the match up.
    dist = np.array([[0.2, 0.1]])
    assert cmc(dist, [0], [0, 1]).curve[0] == 0
    res = cmc(dist, [0], [0, 1], [0], [1, 0], exclude_same_camera=True)
    assert res.curve[0] == 1


def _brute_single_shot(dist, qp, gp, qc, gc, exclude, pessimistic, repeats, seed):
    """Same sampling logic as the implementation, written as loops: per repeat,
    u = rng.random((num_identities, Q_valid)) with identities in ascending pid order; query r
    keeps, of identity m's kept images in gallery order, the int(u[m, r] * n)-th."""
    rng = np.random.default_rng(seed)
    q, g = dist.shape
    ids = sorted(set(gp.tolist()))
    valid_rows = [i for i in range(q)
                  if any(qp[i] == gp[j] for j in _kept_indices(i, qc, gc, exclude))]
    curves = []
    for _ in range(repeats):
        u = rng.random((len(ids), len(valid_rows)))
        subsets = []
        for r, i in enumerate(valid_rows):
            kept = _kept_indices(i, qc, gc, exclude)
            subset = []
            for m, pid in enumerate(ids):
                images = [j for j in kept if gp[j] == pid]
                if images:
                    subset.append(images[int(u[m, r] * len(images))])
            subsets.append(subset)
        curve, _ = brute_cmc(dist[valid_rows], qp[valid_rows], gp, pessimistic=pessimistic,
                             subsets=subsets)
        curves.append(curve)
    return np.mean(curves, axis=0), len(valid_rows)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("exclude", [False, True])
def test_single_shot_matches_brute_force_same_draws(seed, exclude):
    dist, qp, gp, qc, gc = random_problem(seed, q=25, n_ids=10, integer_dist=seed % 2 == 1)
    res = cmc(dist, qp, gp, qc, gc, exclude_same_camera=exclude, single_gallery_shot=True,
              repeats=5, seed=seed)
    curve, n_valid = _brute_single_shot(dist, qp, gp, qc, gc, exclude, True, 5, seed)
    assert res.num_valid_queries == n_valid
    np.testing.assert_allclose(res.curve, curve)


def test_single_shot_expectation_by_enumeration():
    # Exact expected single-shot curve: enumerate every choice of one image per identity.
    rng = np.random.default_rng(3)
    gp = np.array([0, 0, 1, 1, 1, 2, 3, 3])
    qp = np.array([0, 1, 2, 3])
    dist = rng.random((4, len(gp)))
    groups = [np.flatnonzero(gp == pid) for pid in np.unique(gp)]
    expected = []
    for i in range(len(qp)):
        curves = [brute_cmc(dist[i:i + 1], qp[i:i + 1], gp, subsets=[list(choice)])[0]
                  for choice in itertools.product(*groups)]
        expected.append(np.mean(curves, axis=0))
    expected = np.mean(expected, axis=0)
    res = cmc(dist, qp, gp, single_gallery_shot=True, repeats=4000, seed=1)
    np.testing.assert_allclose(res.curve, expected, atol=0.02)
    assert res.curve[-1] == pytest.approx(1.0)


def test_single_shot_equals_multi_shot_with_one_image_per_identity():
    rng = np.random.default_rng(0)
    dist = rng.random((30, 20))
    qp, gp = rng.integers(0, 20, 30), rng.permutation(20)
    multi = cmc(dist, qp, gp)
    single = cmc(dist, qp, gp, single_gallery_shot=True, repeats=3)
    np.testing.assert_allclose(single.curve, multi.curve)


def test_single_shot_is_seeded():
    dist, qp, gp, qc, gc = random_problem(0)
    a = cmc(dist, qp, gp, preset="single-shot", seed=5).curve
    b = cmc(dist, qp, gp, preset="single-shot", seed=5).curve
    c = cmc(dist, qp, gp, preset="single-shot", seed=6).curve
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_presets():
    assert {"single-shot", "multi-shot", "cross-camera", "market-1501"} <= set(NAMED_PRESETS)
    dist, qp, gp, qc, gc = random_problem(1)
    np.testing.assert_array_equal(
        cmc(dist, qp, gp, qc, gc, preset="cross-camera").curve,
        cmc(dist, qp, gp, qc, gc, exclude_same_camera=True).curve)
    np.testing.assert_array_equal(
        cmc(dist, qp, gp, preset="single-shot").curve,
        cmc(dist, qp, gp, single_gallery_shot=True).curve)
    # Explicit keyword arguments override the preset.
    np.testing.assert_array_equal(
        cmc(dist, qp, gp, qc, gc, preset="cross-camera", exclude_same_camera=False).curve,
        cmc(dist, qp, gp).curve)
    with pytest.raises(ValueError, match="multi-shot"):
        cmc(dist, qp, gp, preset="nope")
    with pytest.raises(ValueError):
        cmc(dist, qp, gp, ties="average")


def test_ranking_input_validation():
    with pytest.raises(ValueError):
        cmc(np.ones((2, 3)), [0, 1], [0, 1])  # gallery pid length mismatch
    with pytest.raises(ValueError, match="NaN"):
        cmc(np.array([[np.nan, 1.0]]), [0], [0, 1])
    with pytest.raises(ValueError, match="camids"):
        mean_average_precision(np.ones((1, 2)), [0], [0, 1], exclude_same_camera=True)


# ------------------------------------------------------------------------------------------
# mAP and CMC area
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("exclude", [False, True])
@pytest.mark.parametrize("integer_dist", [False, True])
def test_map_matches_brute_force(seed, exclude, integer_dist):
    dist, qp, gp, qc, gc = random_problem(seed, integer_dist=integer_dist)
    got = mean_average_precision(dist, qp, gp, qc, gc, exclude_same_camera=exclude)
    assert got == pytest.approx(brute_ap(dist, qp, gp, qc, gc, exclude))


@pytest.mark.parametrize("seed", range(4))
def test_map_and_cmc_many_matches_negative_and_infinite_distances(seed):
    # Up to 20 correct entries per query (deeper vectorised binary search), negative values
    # and +inf distances, with ties among them.
    dist, qp, gp, qc, gc = random_problem(seed, q=30, n_ids=6, imgs_per_id=(1, 20),
                                          integer_dist=True)
    dist = dist - 1.5
    rng = np.random.default_rng(seed)
    dist[rng.random(dist.shape) < 0.15] = np.inf
    for exclude in (False, True):
        got = mean_average_precision(dist, qp, gp, qc, gc, exclude_same_camera=exclude)
        assert got == pytest.approx(brute_ap(dist, qp, gp, qc, gc, exclude))
        for ties in ("pessimistic", "optimistic"):
            res = cmc(dist, qp, gp, qc, gc, exclude_same_camera=exclude, ties=ties)
            curve, _ = brute_cmc(dist, qp, gp, qc, gc, exclude, ties == "pessimistic")
            np.testing.assert_allclose(res.curve, curve)


def test_map_row_blocks(monkeypatch):
    # Force many small row blocks: the result must not depend on the blocking.
    import reidlab.metrics as metrics

    dist, qp, gp, qc, gc = random_problem(7, q=37, integer_dist=True)
    expected = brute_ap(dist, qp, gp, qc, gc, True)
    monkeypatch.setattr(metrics, "_BLOCK_ELEMENTS", 3 * dist.shape[1] + 1)
    got = mean_average_precision(dist, qp, gp, qc, gc, exclude_same_camera=True)
    assert got == pytest.approx(expected)


def test_map_hand_cases():
    # Perfect ranking, several correct entries per query.
    dist = np.array([[0.1, 0.2, 0.8, 0.9], [0.9, 0.8, 0.1, 0.2]])
    assert mean_average_precision(dist, [0, 1], [0, 0, 1, 1]) == pytest.approx(1.0)
    # The single correct match at rank r gives AP 1/r.
    for r in range(1, 6):
        d = np.arange(5, dtype=float)[None, :]
        gp = np.full(5, 9)
        gp[r - 1] = 0
        assert mean_average_precision(d, [0], gp) == pytest.approx(1 / r)
    # Correct at ranks 1 and 3: AP = (1/1 + 2/3) / 2.
    assert mean_average_precision([[0.1, 0.2, 0.3]], [0], [0, 1, 0]) == pytest.approx(5 / 6)
    # Pessimistic ties: constant distances put the correct entry last.
    assert mean_average_precision(np.ones((1, 4)), [0], [1, 0, 2, 3]) == pytest.approx(1 / 4)
    # Invalid query (pid 7) is left out of the mean.
    assert mean_average_precision([[0.1, 0.2], [0.1, 0.2]], [0, 7], [0, 1]) == 1.0


def test_cmc_auc():
    assert cmc_auc([1.0, 1.0, 1.0]) == 1.0
    assert cmc_auc(np.array([1 / 3, 2 / 3, 1.0])) == pytest.approx(2 / 3)
    assert cmc_auc([0.0, 0.0, 0.0, 1.0]) == pytest.approx(0.25)
    res = CMCResult(curve=np.array([0.5, 1.0]), num_valid_queries=2)
    assert cmc_auc(res) == pytest.approx(0.75)
    # Random ranking with one correct entry among G: expected AUC (G + 1) / (2G).
    g = 50
    assert cmc_auc(np.arange(1, g + 1) / g) == pytest.approx((g + 1) / (2 * g))
    with pytest.raises(ValueError):
        cmc_auc([])


# ------------------------------------------------------------------------------------------
# Attribute metrics
# ------------------------------------------------------------------------------------------


def test_label_entropy_hand_values():
    assert label_entropy([0, 0, 0, 1]) == pytest.approx(-(0.75 * math.log2(0.75)
                                                          + 0.25 * math.log2(0.25)))
    assert label_entropy([0, 0, 0, 1]) == pytest.approx(0.8113, abs=1e-4)
    assert label_entropy([0, 1, 0, 1]) == pytest.approx(1.0)
    assert label_entropy([0, 1, 2, 3, 4] * 3) == pytest.approx(math.log2(5))
    assert label_entropy([1, 1, 1]) == 0.0
    assert label_entropy([0, -1, 0, -1, 1, -1, 0, 0]) == pytest.approx(
        label_entropy([0, 0, 1, 0, 0]))
    assert label_entropy([-1, -1]) == 0.0
    # With ignore=None, -1 is an ordinary class.
    assert label_entropy([0, -1], ignore=None) == pytest.approx(1.0)


def test_binary_attribute_metrics_vs_hand_counts():
    target = np.array([[1, 0, -1],
                       [1, 1, 0],
                       [0, 1, 0],
                       [0, -1, 0],
                       [1, 0, -1]])
    pred = np.array([[1, 1, 1],
                     [0, 1, 0],
                     [1, 1, 0],
                     [0, 0, 0],
                     [1, 0, 0]])
    m = binary_attribute_metrics(pred, target, ["a", "b", "c"])
    a, b, c = m
    # a: tp=2 (rows 0,4), fn=1 (row 1), fp=1 (row 2), tn=1 (row 3)
    assert (a["tp"], a["fn"], a["fp"], a["tn"], a["support"]) == (2, 1, 1, 1, 5)
    assert a["accuracy"] == pytest.approx(3 / 5)
    assert a["precision"] == pytest.approx(2 / 3) and a["recall"] == pytest.approx(2 / 3)
    assert a["f1"] == pytest.approx(2 / 3)
    assert a["positive_rate"] == pytest.approx(3 / 5)
    assert a["pred_positive_rate"] == pytest.approx(3 / 5)
    # b: known rows 0,1,2,4; tp=2 (1,2), fp=1 (0), tn=1 (4), fn=0
    assert (b["tp"], b["fn"], b["fp"], b["tn"], b["support"]) == (2, 0, 1, 1, 4)
    assert b["precision"] == pytest.approx(2 / 3) and b["recall"] == 1.0
    assert b["f1"] == pytest.approx(2 * (2 / 3) / (2 / 3 + 1))
    # c: no positives and none predicted among known -> precision/recall/f1 defined as 0.
    assert (c["support"], c["tn"]) == (3, 3)
    assert c["accuracy"] == 1.0 and c["precision"] == 0 and c["recall"] == 0 and c["f1"] == 0
    assert [d["name"] for d in m] == ["a", "b", "c"]
    # mA: a: (2/3 + 1/2)/2, b: (1 + 1/2)/2, c undefined (no positives) -> excluded.
    assert mean_accuracy_ma(pred, target) == pytest.approx(((2 / 3 + 1 / 2) / 2 + 0.75) / 2)


def test_binary_metrics_random_vs_loop():
    rng = np.random.default_rng(0)
    target = rng.integers(-1, 2, size=(200, 6))
    pred = rng.integers(0, 2, size=(200, 6))
    metrics = binary_attribute_metrics(pred, target, list("abcdef"))
    mas = []
    for a, m in enumerate(metrics):
        pairs = [(p, t) for p, t in zip(pred[:, a], target[:, a]) if t != -1]
        tp = sum(p == 1 and t == 1 for p, t in pairs)
        tn = sum(p == 0 and t == 0 for p, t in pairs)
        fp = sum(p == 1 and t == 0 for p, t in pairs)
        fn = sum(p == 0 and t == 1 for p, t in pairs)
        assert m["accuracy"] == pytest.approx((tp + tn) / len(pairs))
        assert m["precision"] == pytest.approx(tp / (tp + fp))
        assert m["recall"] == pytest.approx(tp / (tp + fn))
        mas.append((tp / (tp + fn) + tn / (tn + fp)) / 2)
    assert mean_accuracy_ma(pred, target) == pytest.approx(np.mean(mas))


def test_binary_metrics_validation():
    with pytest.raises(ValueError):
        binary_attribute_metrics(np.zeros((2, 2)), np.zeros((2, 3)), ["a", "b"])
    with pytest.raises(ValueError):
        binary_attribute_metrics(np.zeros((2, 2)), np.full((2, 2), 2), ["a", "b"])
    with pytest.raises(ValueError):
        binary_attribute_metrics(np.zeros((2, 2)), np.zeros((2, 2)), ["a"])


def test_multiclass_hand_case():
    target = [0, 0, 1, 1, 2, 3, -1]
    pred = [0, 1, 1, 1, 0, 3, 4]
    m = multiclass_metrics(pred, target, num_classes=5)
    assert m["accuracy"] == pytest.approx(4 / 6)
    # precision: c0 1/2, c1 2/3, c2 0 (never predicted), c3 1; class 4 absent (target -1 row).
    assert m["macro_precision"] == pytest.approx((1 / 2 + 2 / 3 + 0 + 1) / 4)
    # recall: c0 1/2, c1 1, c2 0, c3 1
    assert m["macro_recall"] == pytest.approx((1 / 2 + 1 + 0 + 1) / 4)
    assert np.isnan(m["per_class_precision"][4])
    assert m["confusion"].sum() == 6 and m["confusion"][2, 0] == 1
    with pytest.raises(ValueError):
        multiclass_metrics([5], [0], num_classes=5)


def test_market_1501_rule_against_a_loop():
    """Only the query person's own same-camera images leave the gallery (torchreid's
    eval_market1501); other persons' same-camera images stay and can outrank the match."""
    from reidlab.metrics import mean_average_precision

    for seed in range(20):
        dist, qp, gp, qc, gc = random_problem(seed)
        ranks, aps = [], []
        for i in range(len(qp)):
            keep = [j for j in range(len(gp)) if not (gp[j] == qp[i] and gc[j] == qc[i] and qc[i] != -1)]
            order = sorted(keep, key=lambda j: (dist[i, j], gp[j] == qp[i]))  # ties: wrong first
            hits = [k for k, j in enumerate(order) if gp[j] == qp[i]]
            if not hits:
                continue
            ranks.append(hits[0])
            aps.append(np.mean([(n + 1) / (k + 1) for n, k in enumerate(hits)]))
        curve = np.array([np.mean(np.array(ranks) <= r) for r in range(len(gp))])
        got = cmc(dist, qp, gp, qc, gc, preset="market-1501")
        np.testing.assert_allclose(got.curve, curve)
        assert mean_average_precision(dist, qp, gp, qc, gc, exclude_same_camera="same-person") == \
            pytest.approx(np.mean(aps))
