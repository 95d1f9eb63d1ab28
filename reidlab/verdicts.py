"""Verdicts on the paper's claims (book page "Verdicts"), from the stored runs, fold by fold.

A claim (``study.Claim``) compares two variants of an item, or one variant with a number the
paper reports. Its effect is the paired difference of rank-1 over the folds both sides have (A
minus B, or A minus the number), with a 95% t interval and the two-sided p of a paired
(one-sample) t-test. "A *beats* B" holds when the interval lies above 0 and is contradicted when
it lies below; "A *matches* B" holds when the interval lies within +-margin and is contradicted
when it lies wholly outside; "A *reaches* the number" holds when the number lies in the interval
of A's mean. Otherwise a claim is *inconclusive*, with the number of folds that would decide it
if the effect and its spread stayed as measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from reidlab.store import STORE
from reidlab.study import Claim, claims as declared_claims


@dataclass(frozen=True)
class Effect:
    """A mean difference over ``n`` folds, its 95% interval and two-sided p (NaN for 1 fold)."""
    mean: float
    low: float
    high: float
    n: int
    p: float
    sd: float


def paired_effect(a: pd.Series, b: pd.Series | float) -> Effect | None:
    """``a - b`` over the folds (the index) both have; ``b`` may be a number."""
    d = (a - b).dropna()  # a Series aligns on folds; a number is subtracted from every fold
    if d.empty:
        return None
    n, mean = len(d), float(d.mean())
    if n < 2:
        return Effect(mean, math.nan, math.nan, 1, math.nan, math.nan)
    sd = float(d.std(ddof=1))
    half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    p = float(stats.ttest_1samp(d, 0.0).pvalue) if sd > 0 else (0.0 if mean else 1.0)
    return Effect(mean, mean - half, mean + half, n, p, sd)


def folds_to_decide(effect: Effect, margin: float = 0.0) -> int | None:
    """Folds at which an effect of this size and spread would leave its 95% interval on one side
    of ``margin`` (``beats``: 0; ``matches``: the margin), by the normal approximation; None when
    the effect sits on that boundary or has no spread yet."""
    distance = abs(abs(effect.mean) - margin)
    if not distance or math.isnan(effect.sd):
        return None
    return max(effect.n + 1, math.ceil((1.96 * effect.sd / distance) ** 2))


def verdict(effect: Effect, kind: str = "beats", margin: float = Claim.margin) -> str:
    """*holds*, *contradicted* or *inconclusive* (with the folds that would decide it) for a
    claim of ``kind`` (``study.Claim``); a ``reaches`` claim that is contradicted says on which side."""
    if effect.n < 2:
        return "inconclusive (1 fold: no spread to judge by)"
    if kind == "reaches":
        if effect.low <= 0 <= effect.high:
            return "holds"
        return f"contradicted ({'lower' if effect.high < 0 else 'higher'} than the paper)"
    if kind == "matches":
        if -margin <= effect.low and effect.high <= margin:
            return "holds"
        if effect.low > margin or effect.high < -margin:
            return "contradicted"
        needed = folds_to_decide(effect, margin)
    else:
        if effect.low > 0:
            return "holds"
        if effect.high < 0:
            return "contradicted"
        needed = folds_to_decide(effect)
    if needed:
        return f"inconclusive (about {needed} folds would decide it)"
    return "inconclusive (" + ("the effect sits on the margin" if kind == "matches" else "no effect seen") + ")"


def paper_effect(item: str, claim) -> str:
    """The paper's effect: from its table where it has both sides, else the claim's words."""
    from reidlab.report import paper_frame

    table = paper_frame(item)
    rank1 = table["rank1"] if table is not None and "rank1" in table else {}
    if claim.a in rank1 and (isinstance(claim.b, float) or claim.b in rank1):
        a, b = rank1[claim.a], claim.b if isinstance(claim.b, float) else rank1[claim.b]
        return f"{a:.1f}" if claim.kind == "reaches" else f"{a - b:+.1f} ({a:.1f} vs {b:.1f})"
    return claim.paper or "-"


def _rule(claim) -> str:
    if claim.kind == "matches":
        return f"|{claim.a} - {claim.b}| <= {claim.margin:g}"
    return f"{claim.a} - {claim.b}" + (" > 0" if claim.kind == "beats" else " = 0 (the paper's number)")


def claims(profile: str, real_data: bool, store: Path = STORE) -> pd.DataFrame:
    """One row per declared claim: the paper's effect, the reproduced one (rank-1, paired over
    folds: mean [95% interval], n, p) and the verdict; "not run yet" where a side is missing."""
    from reidlab.report import runs_frame, with_averages

    rows, frames = [], {}
    for item, claim in declared_claims():
        if item not in frames:
            frames[item] = runs_frame(item, profile, real_data, store)
        frame = frames[item]
        if claim.a.startswith("Average "):  # a mean over the item's variants of a setting
            frame = with_averages(frame, item)
        rank1 = lambda v: frame[frame.variant == v].set_index("fold").rank1 if len(frame) else pd.Series(dtype=float)  # noqa: E731
        number = isinstance(claim.b, float)
        effect = paired_effect(rank1(claim.a), claim.b if number else rank1(claim.b))
        row = {"claim": claim.text, "item": item, "tested": _rule(claim), "paper": paper_effect(item, claim)}
        if effect is None:
            rows.append({**row, "reproduced": "not run yet", "n": 0, "p": "-", "verdict": "pending"})
            continue
        interval = "" if effect.n < 2 else f" [{effect.low:+.1f}, {effect.high:+.1f}]"
        rows.append({**row, "reproduced": f"{effect.mean:+.1f}{interval}", "n": effect.n,
                     "p": "-" if np.isnan(effect.p) else f"{effect.p:.3f}",
                     "verdict": verdict(effect, claim.kind, claim.margin) if real_data
                     else "no verdict: synthetic data"})
    return pd.DataFrame(rows)


def tally(table: pd.DataFrame) -> str:
    """One line: how many claims hold, are contradicted, inconclusive or pending."""
    kinds = table.verdict.str.split(" (", regex=False).str[0]
    counts = kinds.value_counts()
    order = ["holds", "contradicted", "inconclusive", "pending"]
    parts = [f"{counts[k]} {k}" for k in order if k in counts]
    parts += [f"{n} {k}" for k, n in counts.items() if k not in order]
    return f"{len(table)} claims: " + ", ".join(parts) + "."
