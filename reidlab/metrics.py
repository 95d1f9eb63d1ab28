"""Evaluation metrics: re-id ranking (CMC, mAP, CMC area) and attribute classification.

Everything here is pure numpy and vectorised over queries, so a 3000 x 3000 distance matrix is
evaluated in well under a second per metric. Inputs may be anything ``np.asarray`` accepts
(lists, numpy arrays, CPU torch tensors).

Ranking conventions (shared by :func:`cmc` and :func:`mean_average_precision`):

* ``dist`` is a ``(Q, G)`` matrix, smaller = more similar; NaN is rejected.
* A gallery entry is *correct* for a query when the person ids are equal.
* Ties are broken **pessimistically** by default: a wrong gallery entry at exactly the same
  distance as a correct one is ranked before it. A model that outputs a constant distance thus
  scores at the bottom rather than at 100%.
* A query with no correct gallery entry left (after camera filtering) is *invalid*: it is
  excluded from the average and counted in :attr:`CMCResult.num_invalid_queries`.
  If no query is valid a ``ValueError`` is raised.
* Camera id ``-1`` means unknown; camera filtering only applies where both cameras are known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

UNKNOWN_CAMERA = -1
UNKNOWN_LABEL = -1

__all__ = [
    "CMCResult",
    "NAMED_PRESETS",
    "cmc",
    "mean_average_precision",
    "cmc_auc",
    "binary_attribute_metrics",
    "mean_accuracy_ma",
    "label_entropy",
    "multiclass_metrics",
]

# ---------------------------------------------------------------------------------------------
# Ranking metrics
# ---------------------------------------------------------------------------------------------

# Evaluation presets by name. Each maps to keyword arguments of :func:`cmc`; explicit keyword
# arguments given to ``cmc`` override the preset's.
NAMED_PRESETS: dict[str, dict[str, Any]] = {
    # One gallery image per identity, sampled `repeats` times (VIPeR/CUHK01/CUHK03 single-shot).
    "single-shot": {"single_gallery_shot": True},
    # Every gallery image of an identity is used; the best-ranked correct one counts.
    "multi-shot": {"single_gallery_shot": False},
    # Every gallery image from the query's own camera dropped (open-reid's separate_camera_set).
    "cross-camera": {"exclude_same_camera": True, "single_gallery_shot": False},
    # The Market-1501 rule (its official script, torchreid's eval_market1501): only the query
    # person's own images from the query's camera dropped; other persons' stay.
    "market-1501": {"exclude_same_camera": "same-person", "single_gallery_shot": False},
    # open-reid's CUHK03 protocol: cross-camera and single-shot.
    "cuhk03": {"exclude_same_camera": True, "single_gallery_shot": True},
}

_CMC_DEFAULTS: dict[str, Any] = {
    "exclude_same_camera": False,
    "single_gallery_shot": False,
    "ties": "pessimistic",
    "repeats": 10,
    "seed": 0,
}
_TIES = ("pessimistic", "optimistic")


@dataclass(frozen=True)
class CMCResult:
    """A cumulative match characteristic curve.

    Attributes:
        curve: length-G array; ``curve[k - 1]`` is the fraction of valid queries whose first
            correct match is within rank ``k``. Non-decreasing, ends at 1.0.
        num_valid_queries: queries that had at least one correct gallery entry.
        num_invalid_queries: queries excluded because no correct entry was left in their gallery.
    """

    curve: np.ndarray
    num_valid_queries: int
    num_invalid_queries: int = 0

    def at(self, ranks: int | Iterable[int]) -> dict[int, float]:
        """Matching rates in percent at the given 1-based ranks, e.g. ``at([1, 5, 10, 20])``.

        A rank beyond the gallery size G returns the last value of the curve (100.0, since every
        valid query has its correct match within G). Ranks below 1 raise ``ValueError``.
        """
        ranks = [ranks] if isinstance(ranks, (int, np.integer)) else list(ranks)
        out: dict[int, float] = {}
        for r in ranks:
            if int(r) < 1:
                raise ValueError(f"CMC ranks are 1-based; got rank {r}")
            out[int(r)] = 100.0 * float(self.curve[min(int(r), len(self.curve)) - 1])
        return out


def _check_ranking_inputs(
    dist: Any,
    query_pids: Any,
    gallery_pids: Any,
    query_camids: Any,
    gallery_camids: Any,
    exclude_same_camera: bool | str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate inputs; return (dist, match, keep) with match/keep boolean (Q, G) masks."""
    dist = np.asarray(dist, dtype=np.float64)
    if dist.ndim != 2 or dist.shape[0] == 0 or dist.shape[1] == 0:
        raise ValueError(f"dist must be a non-empty (Q, G) matrix; got shape {dist.shape}")
    if np.isnan(dist).any():
        raise ValueError("dist contains NaN; cannot rank gallery entries")
    q, g = dist.shape
    qp, gp = np.asarray(query_pids).ravel(), np.asarray(gallery_pids).ravel()
    if qp.shape != (q,) or gp.shape != (g,):
        raise ValueError(
            f"pid lengths ({qp.size}, {gp.size}) do not match dist shape {dist.shape}"
        )
    match = qp[:, None] == gp[None, :]
    keep = np.ones((q, g), dtype=bool)
    if exclude_same_camera not in (False, True, "same-person"):
        raise ValueError(f"exclude_same_camera must be False, True or 'same-person'; got {exclude_same_camera!r}")
    if exclude_same_camera:
        if query_camids is None or gallery_camids is None:
            raise ValueError("exclude_same_camera needs query_camids and gallery_camids")
        qc, gc = np.asarray(query_camids).ravel(), np.asarray(gallery_camids).ravel()
        if qc.shape != (q,) or gc.shape != (g,):
            raise ValueError(
                f"camid lengths ({qc.size}, {gc.size}) do not match dist shape {dist.shape}"
            )
        # Equal and the query's camera known implies the gallery camera is known too.
        same = (qc[:, None] == gc[None, :]) & (qc[:, None] != UNKNOWN_CAMERA)
        keep &= ~(same & match) if exclude_same_camera == "same-person" else ~same
    return dist, match, keep


def _first_match_ranks(
    dist: np.ndarray, match: np.ndarray, keep: np.ndarray, pessimistic: bool
) -> tuple[np.ndarray, np.ndarray]:
    """1-based rank of each query's first correct match among its kept entries, and validity.

    No sort needed: the rank is 1 + the number of kept wrong entries that beat (or, when
    pessimistic, tie) the best correct distance.
    """
    correct = match & keep
    valid = correct.any(axis=1)
    best = np.where(correct, dist, np.inf).min(axis=1)[:, None]
    beats = dist <= best if pessimistic else dist < best
    ranks = 1 + np.count_nonzero(beats & keep & ~match, axis=1)
    return ranks, valid


def _curve_from_ranks(ranks: np.ndarray, num_gallery: int) -> np.ndarray:
    counts = np.bincount(ranks - 1, minlength=num_gallery)[:num_gallery]
    return np.cumsum(counts) / len(ranks)


def _single_shot_curve(
    dist: np.ndarray,
    match: np.ndarray,
    keep: np.ndarray,
    gallery_pids: np.ndarray,
    pessimistic: bool,
    repeats: int,
    seed: int,
) -> np.ndarray:
    """Average CMC over `repeats` draws of one kept gallery image per identity and query.

    Works gallery-major on the gallery sorted by pid (stable, so an identity's images keep
    their original order), making each identity a contiguous block of rows. Each draw takes
    ``u = rng.random((num_identities, Q))`` (identities in ascending pid order) and, for query
    i and identity m with n kept images, keeps the ``floor(u[m, i] * n)``-th of them: a uniform
    choice. The kept-image numbering is computed once, so a draw costs a few (G, Q) passes.
    """
    order = np.argsort(gallery_pids, kind="stable")
    sorted_pids = gallery_pids[order]
    starts = np.flatnonzero(np.r_[True, sorted_pids[1:] != sorted_pids[:-1]])
    sizes = np.diff(np.r_[starts, len(sorted_pids)])
    dist_t = np.ascontiguousarray(dist[:, order].T)
    match_t = np.ascontiguousarray(match[:, order].T)
    keep_t = np.ascontiguousarray(keep[:, order].T)

    # kept_index[c, i]: 0-based number of row c among its identity's kept images for query i.
    kept_cum = np.cumsum(keep_t, axis=0, dtype=np.int32)
    before_group = np.vstack([np.zeros((1, keep_t.shape[1]), np.int32), kept_cum[starts[1:] - 1]])
    kept_index = kept_cum - 1 - np.repeat(before_group, sizes, axis=0)
    num_kept = kept_cum[np.r_[starts[1:], len(sorted_pids)] - 1] - before_group

    rng = np.random.default_rng(seed)
    num_gallery = dist.shape[1]
    curve = np.zeros(num_gallery)
    for _ in range(repeats):
        pick = (rng.random(num_kept.shape) * num_kept).astype(np.int32)
        pick = np.minimum(pick, num_kept - 1)  # guard against u * n rounding up to n
        chosen = (kept_index == np.repeat(pick, sizes, axis=0)) & keep_t
        ranks, _ = _first_match_ranks(dist_t.T, match_t.T, chosen.T, pessimistic)
        curve += _curve_from_ranks(ranks, num_gallery)
    return curve / repeats


def cmc(
    dist: Any,
    query_pids: Any,
    gallery_pids: Any,
    query_camids: Any = None,
    gallery_camids: Any = None,
    *,
    exclude_same_camera: bool | str | None = None,
    single_gallery_shot: bool | None = None,
    ties: str | None = None,
    repeats: int | None = None,
    seed: int | None = None,
    preset: str | None = None,
) -> CMCResult:
    """Cumulative match characteristic of a query-gallery distance matrix.

    Args:
        dist: ``(Q, G)`` distances, smaller = more similar.
        query_pids, gallery_pids: person ids, ``(Q,)`` and ``(G,)``.
        query_camids, gallery_camids: camera ids (``-1`` = unknown); needed only for
            ``exclude_same_camera``.
        exclude_same_camera: drop from each query's gallery the entries taken by the query's own
            camera, where both cameras are known (open-reid's ``separate_camera_set``); with
            ``"same-person"`` only the query person's own such entries (the Market-1501 rule).
            Default False.
        single_gallery_shot: single-shot protocol. For each query, one image per gallery
            identity is drawn uniformly at random among its remaining images; this is repeated
            ``repeats`` times with ``np.random.default_rng(seed)`` and the curves are averaged.
            When every identity has one gallery image this equals multi-shot. Default False
            (multi-shot: all images are ranked and the best-ranked correct one counts).
        ties: ``"pessimistic"`` (default): first-match rank = 1 + number of wrong entries with
            distance ``<=`` the best correct distance. ``"optimistic"``: ``<`` instead.
        repeats: single-shot draws to average (default 10); ignored for multi-shot.
        seed: seed of the single-shot draws (default 0).
        preset: a key of :data:`NAMED_PRESETS`; explicitly given arguments override it.

    Returns:
        :class:`CMCResult`; queries left with no correct gallery entry are excluded and counted.

    Raises:
        ValueError: bad shapes, NaN distances, unknown preset/ties, missing camera ids when
            filtering by camera, or no valid query at all.
    """
    opts = dict(_CMC_DEFAULTS)
    if preset is not None:
        if preset not in NAMED_PRESETS:
            raise ValueError(f"unknown CMC preset {preset!r}; allowed: {sorted(NAMED_PRESETS)}")
        opts.update(NAMED_PRESETS[preset])
    given = {
        "exclude_same_camera": exclude_same_camera,
        "single_gallery_shot": single_gallery_shot,
        "ties": ties,
        "repeats": repeats,
        "seed": seed,
    }
    opts.update({k: v for k, v in given.items() if v is not None})
    if opts["ties"] not in _TIES:
        raise ValueError(f"ties must be one of {_TIES}; got {opts['ties']!r}")
    if int(opts["repeats"]) < 1:
        raise ValueError(f"repeats must be >= 1; got {opts['repeats']}")

    dist, match, keep = _check_ranking_inputs(
        dist, query_pids, gallery_pids, query_camids, gallery_camids,
        opts["exclude_same_camera"],
    )
    pessimistic = opts["ties"] == "pessimistic"
    num_gallery = dist.shape[1]
    valid = (match & keep).any(axis=1)
    num_valid = int(valid.sum())
    if num_valid == 0:
        raise ValueError("no query has a correct match in its gallery; CMC is undefined")
    # Invalid queries are dropped up front; their rows cannot contribute.
    dist, match, keep = dist[valid], match[valid], keep[valid]

    if not opts["single_gallery_shot"]:
        ranks, _ = _first_match_ranks(dist, match, keep, pessimistic)
        curve = _curve_from_ranks(ranks, num_gallery)
    else:
        curve = _single_shot_curve(
            dist, match, keep, np.asarray(gallery_pids).ravel(), pessimistic,
            int(opts["repeats"]), int(opts["seed"]),
        )
    return CMCResult(curve=curve, num_valid_queries=num_valid,
                     num_invalid_queries=int(len(valid) - num_valid))


def mean_average_precision(
    dist: Any,
    query_pids: Any,
    gallery_pids: Any,
    query_camids: Any = None,
    gallery_camids: Any = None,
    *,
    exclude_same_camera: bool | str = False,
) -> float:
    """Mean over valid queries of the non-interpolated average precision, as a fraction.

    Per query, the kept gallery is ranked by ascending distance, and AP is the mean over its
    correct entries of the precision at each correct entry's rank. Ties are pessimistic: among
    equal distances, wrong entries come first (the order among tied correct entries does not
    change AP). ``exclude_same_camera`` and invalid queries behave as in :func:`cmc` (invalid
    queries are left out of the mean; if none is valid a ``ValueError`` is raised).
    """
    dist, match, keep = _check_ranking_inputs(
        dist, query_pids, gallery_pids, query_camids, gallery_camids, exclude_same_camera
    )
    correct = match & keep
    num_correct = correct.sum(axis=1)
    valid = num_correct > 0
    if not valid.any():
        raise ValueError("no query has a correct match in its gallery; mAP is undefined")
    dist, correct, keep = dist[valid], correct[valid], keep[valid]

    # Row blocks bound the memory of the temporaries on large query sets.
    block = max(1, _BLOCK_ELEMENTS // dist.shape[1])
    ap = np.concatenate([
        _average_precisions(dist[i:i + block], correct[i:i + block], keep[i:i + block])
        for i in range(0, dist.shape[0], block)
    ])
    return float(ap.mean())


_BLOCK_ELEMENTS = 1 << 20


def _average_precisions(dist: np.ndarray, correct: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """AP of each row (every row has >= 1 correct entry), with pessimistic ties.

    With the j-th correct distance c_j of a query (ascending, j = 1..n) and w_j = number of
    kept wrong entries with distance <= c_j, the j-th hit sits at rank w_j + j, so
    AP = mean_j j / (w_j + j). Only distance values are sorted (no argsort/lexsort).
    """
    q = dist.shape[0]
    num_correct = correct.sum(axis=1)
    rows, cols = np.nonzero(correct)
    vals = dist[rows, cols]
    by_row_then_dist = np.lexsort((vals, rows))  # only the few correct entries are sorted
    rows, vals = rows[by_row_then_dist], vals[by_row_then_dist]
    slot = np.arange(len(rows)) - np.r_[0, np.cumsum(num_correct)[:-1]][rows]
    k = int(num_correct.max())
    sorted_correct = np.full((q, k), np.inf)
    sorted_correct[rows, slot] = vals

    # w_j: upper-bound binary search of c_j in the row's sorted wrong distances, vectorised
    # over the (q, k) correct slots (log2(G + 1) passes over q * k elements). Non-wrong entries
    # become +inf padding; the clip to the wrong count stops padding counting when c_j = +inf.
    wrong = keep & ~correct
    sorted_wrong = np.sort(np.where(wrong, dist, np.inf), axis=1)
    g = dist.shape[1]
    lo = np.zeros((q, k), dtype=np.int64)
    hi = np.full((q, k), g, dtype=np.int64)
    for _ in range(int(np.ceil(np.log2(g + 1)))):
        mid = (lo + hi) // 2
        not_above = np.take_along_axis(sorted_wrong, np.minimum(mid, g - 1), axis=1)
        not_above = (not_above <= sorted_correct) & (mid < hi)
        lo = np.where(not_above, mid + 1, lo)
        hi = np.where(not_above, hi, mid)
    wrong_before = np.minimum(lo, wrong.sum(axis=1)[:, None])

    j = np.arange(1, k + 1)
    precision = j / (wrong_before + j)
    return np.where(j <= num_correct[:, None], precision, 0.0).sum(axis=1) / num_correct


def cmc_auc(curve: Any) -> float:
    """Normalised area under a CMC curve: the mean of ``curve[k - 1]`` over ranks k = 1..G.

    1.0 means every query matched at rank 1; a random ranking of one correct entry among G gives
    (G + 1) / (2G), i.e. just over 0.5. This is the summary used for the paper's Fig. 6.
    Accepts a :class:`CMCResult` too.
    """
    if isinstance(curve, CMCResult):
        curve = curve.curve
    curve = np.asarray(curve, dtype=np.float64)
    if curve.ndim != 1 or curve.size == 0:
        raise ValueError(f"curve must be a non-empty 1-D array; got shape {curve.shape}")
    return float(curve.mean())


# ---------------------------------------------------------------------------------------------
# Attribute metrics
# ---------------------------------------------------------------------------------------------


def _check_binary(pred: Any, target: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate (N, A) binary predictions/targets; return (pred, target, known-mask)."""
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.ndim == 1:
        pred, target = pred[:, None], target[:, None]
    if pred.shape != target.shape or pred.ndim != 2:
        raise ValueError(f"pred {pred.shape} and target {target.shape} must both be (N, A)")
    known = target != UNKNOWN_LABEL
    if not np.isin(target[known], (0, 1)).all():
        raise ValueError("target labels must be 0, 1 or -1 (unknown)")
    if not np.isin(pred[known], (0, 1)).all():
        raise ValueError("pred must be 0 or 1 wherever the target is known")
    return pred, target, known


def _div(num: np.ndarray, den: np.ndarray, undefined: float) -> np.ndarray:
    """num / den, with `undefined` where den == 0 (no warnings)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, undefined, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _confusion_counts(pred: np.ndarray, target: np.ndarray, known: np.ndarray):
    p, t = (pred == 1) & known, (target == 1) & known
    n_p, n_t = (pred == 0) & known, (target == 0) & known
    return (p & t).sum(0), (p & n_t).sum(0), (n_p & t).sum(0), (n_p & n_t).sum(0)


def binary_attribute_metrics(pred: Any, target: Any, names: Sequence[str]) -> list[dict]:
    """Per-attribute metrics of binary predictions, ignoring unknown (``-1``) targets.

    Args:
        pred: ``(N, A)`` predictions in {0, 1} (any value where the target is unknown).
        target: ``(N, A)`` labels in {0, 1, -1}.
        names: A attribute names.

    Returns:
        One dict per attribute with ``name``, ``accuracy``, ``precision``, ``recall``, ``f1``,
        ``positive_rate`` (fraction of known targets that are 1), ``pred_positive_rate``
        (fraction of predictions on known targets that are 1), ``support`` (number of known
        targets) and the counts ``tp``, ``fp``, ``fn``, ``tn``. Precision, recall and f1 are 0
        when undefined (zero denominator, as sklearn's ``zero_division=0``); accuracy and the
        rates are NaN when an attribute has no known target.
    """
    pred, target, known = _check_binary(pred, target)
    if len(names) != pred.shape[1]:
        raise ValueError(f"{len(names)} names for {pred.shape[1]} attributes")
    tp, fp, fn, tn = _confusion_counts(pred, target, known)
    support = known.sum(0)
    precision = _div(tp, tp + fp, 0.0)
    recall = _div(tp, tp + fn, 0.0)
    f1 = _div(2 * precision * recall, precision + recall, 0.0)
    accuracy = _div(tp + tn, support, np.nan)
    positive_rate = _div(tp + fn, support, np.nan)
    pred_positive_rate = _div(tp + fp, support, np.nan)
    return [
        {
            "name": names[a],
            "accuracy": float(accuracy[a]),
            "precision": float(precision[a]),
            "recall": float(recall[a]),
            "f1": float(f1[a]),
            "positive_rate": float(positive_rate[a]),
            "pred_positive_rate": float(pred_positive_rate[a]),
            "support": int(support[a]),
            "tp": int(tp[a]), "fp": int(fp[a]), "fn": int(fn[a]), "tn": int(tn[a]),
        }
        for a in range(pred.shape[1])
    ]


def mean_accuracy_ma(pred: Any, target: Any) -> float:
    """Label-based mean accuracy (mA) of pedestrian-attribute papers.

    mA = mean over attributes of (TPR + TNR) / 2, counting only known (``!= -1``) targets.
    An attribute whose known targets lack positives or negatives has an undefined TPR or TNR
    and is left out of the mean; NaN is returned if no attribute is left.
    """
    pred, target, known = _check_binary(pred, target)
    tp, fp, fn, tn = _confusion_counts(pred, target, known)
    defined = ((tp + fn) > 0) & ((tn + fp) > 0)
    if not defined.any():
        return float("nan")
    balanced = (tp[defined] / (tp + fn)[defined] + tn[defined] / (tn + fp)[defined]) / 2
    return float(balanced.mean())


def label_entropy(labels: Any, ignore: int | None = UNKNOWN_LABEL) -> float:
    """Shannon entropy, in bits, of the empirical distribution of ``labels``.

    Works for any discrete labels (binary or multi-class); entries equal to ``ignore`` are
    dropped first. A balanced binary label gives 1.0, a balanced 5-class label log2(5) ~ 2.32,
    a constant label 0.0. With no label left the entropy is defined as 0.0 (no information).
    """
    labels = np.asarray(labels).ravel()
    if ignore is not None:
        labels = labels[labels != ignore]
    if labels.size == 0:
        return 0.0
    _, counts = np.unique(labels, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum() + 0.0)  # + 0.0 turns -0.0 into 0.0


def multiclass_metrics(pred: Any, target: Any, num_classes: int) -> dict:
    """Accuracy and macro precision/recall of single-label multi-class predictions (e.g. pose).

    Targets equal to ``-1`` are ignored. Macro averages run over the classes that occur in the
    (known) targets or predictions, as sklearn does; a class's precision (recall) is 0 when it
    is never predicted (never a target). Also returns ``per_class_precision``,
    ``per_class_recall`` (length ``num_classes``, NaN for classes absent from both) and the
    ``confusion`` matrix (rows = target, columns = prediction).
    """
    pred, target = np.asarray(pred).ravel(), np.asarray(target).ravel()
    if pred.shape != target.shape:
        raise ValueError(f"pred {pred.shape} and target {target.shape} differ in length")
    known = target != UNKNOWN_LABEL
    pred, target = pred[known], target[known]
    if target.size == 0:
        raise ValueError("no known target labels")
    for name, arr in (("pred", pred), ("target", target)):
        if arr.min() < 0 or arr.max() >= num_classes:
            raise ValueError(f"{name} labels must lie in [0, {num_classes})")
    confusion = np.bincount(
        target.astype(np.int64) * num_classes + pred.astype(np.int64),
        minlength=num_classes * num_classes,
    ).reshape(num_classes, num_classes)
    tp = np.diag(confusion)
    predicted, actual = confusion.sum(0), confusion.sum(1)
    present = (predicted + actual) > 0
    precision = _div(tp, predicted, 0.0)
    recall = _div(tp, actual, 0.0)
    return {
        "accuracy": float(tp.sum() / target.size),
        "macro_precision": float(precision[present].mean()),
        "macro_recall": float(recall[present].mean()),
        "per_class_precision": np.where(present, precision, np.nan),
        "per_class_recall": np.where(present, recall, np.nan),
        "confusion": confusion,
    }
