"""Verdicts on the paper's claims (book page "Verdicts"), from the stored runs, fold by fold.

A claim compares two variants of an item ("A beats B", ``study.Claim``) or one variant with a
number the paper reports ("A reaches 33.6"). Its effect is the paired difference of rank-1 over
the folds both sides have (A minus B, or A minus the number), with a 95% t interval and the
two-sided p of a paired (one-sample) t-test. A comparison *holds* when the interval lies above 0
and is *contradicted* when it lies below; otherwise it is *inconclusive*, with the number of
folds that would decide it if the effect and its spread stayed as measured. Against a number, it
holds when the number lies inside the interval of A's mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from reidlab.store import STORE
from reidlab.study import claims as declared_claims


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


def folds_to_decide(effect: Effect) -> int | None:
    """Folds at which an effect of this size and spread would leave 0 outside its 95% interval
    (normal approximation); None when no effect was seen."""
    if not effect.mean or math.isnan(effect.sd):
        return None
    return max(effect.n + 1, math.ceil((1.96 * effect.sd / abs(effect.mean)) ** 2))


def verdict(effect: Effect, against_number: bool = False) -> str:
    if effect.n < 2:
        return "inconclusive (1 fold: no spread to judge by)"
    if against_number:
        if effect.low <= 0 <= effect.high:
            return "holds"
        return "lower than the paper" if effect.high < 0 else "higher than the paper"
    if effect.low > 0:
        return "holds"
    if effect.high < 0:
        return "contradicted"
    needed = folds_to_decide(effect)
    return "inconclusive" + (f" (about {needed} folds would decide it)" if needed else " (no effect seen)")


def claims(profile: str, real_data: bool, store: Path = STORE) -> pd.DataFrame:
    """One row per declared claim: the reproduced effect (paired, over folds) and the verdict."""
    from reidlab.report import runs_frame, with_averages

    rows = []
    for item, claim in declared_claims():
        frame = runs_frame(item, profile, real_data, store)
        if claim.a.startswith("Average "):  # a mean over the item's variants
            frame = with_averages(frame, item)
        rank1 = lambda v: frame[frame.variant == v].set_index("fold").rank1 if len(frame) else pd.Series(dtype=float)  # noqa: E731
        number = isinstance(claim.b, float)
        effect = paired_effect(rank1(claim.a), claim.b if number else rank1(claim.b))
        row = {"claim": claim.text, "item": item,
               "compared": f"{claim.a} - {claim.b}" + (" (the paper's number)" if number else "")}
        if effect is None:
            rows.append({**row, "reproduced rank-1 effect": "not run yet", "n": 0, "p": "-", "verdict": "-"})
            continue
        interval = "" if effect.n < 2 else f" [{effect.low:+.1f}, {effect.high:+.1f}]"
        rows.append({**row, "reproduced rank-1 effect": f"{effect.mean:+.1f}{interval}", "n": effect.n,
                     "p": "-" if np.isnan(effect.p) else f"{effect.p:.3f}",
                     "verdict": verdict(effect, number) if real_data else "no verdict: synthetic data"})
    return pd.DataFrame(rows)
