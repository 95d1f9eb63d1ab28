"""Verdicts on the paper's claims (book page "Verdicts"), from the stored runs, fold by fold.

A claim (``study.Claim``) compares two variants of an item, or one variant with a number the
paper reports. Its effect is the paired difference of rank-1 over the folds both sides have (A
minus B, or A minus the number), with a 95% t interval and the two-sided p of a paired
(one-sample) t-test. The test's unit is a training, not a test split (``differences``): where
folds evaluate the same trained networks (Tables VI-VII train one network on all of a dataset and
test it on each fold's persons), their differences are one unit, their mean, since the folds
vary the test persons but not the training; such a claim's n counts networks. Four verdicts:

* "A *beats* B" *holds* when the 95% interval lies above 0 and is *contradicted* below it.
* "A *matches* B" and "A *reaches* the paper's number" are equivalence claims: they *hold* only
  when the difference is shown to lie within the claim's margin, by two one-sided t-tests at 5%
  (TOST: the 90% interval inside +-margin). Where the 95% interval excludes 0 without that, the
  claim is *contradicted* (A lower / higher than B or the paper). An interval that straddles 0
  but leaves the margin shows nothing either way: no claim holds on a failed rejection.
* Otherwise *inconclusive*, with the folds that would decide it if the effect and its spread
  stayed as measured; also where the folds' differences are all equal (rank-1 moves in steps of
  100/316 on VIPeR, so two folds can tie): a zero spread is no evidence of a small one, and its
  zero-width interval would decide anything; and on fewer than ``MIN_UNITS`` units, however
  clear: two folds' interval rests on one degree of freedom. *Pending* where a side has no stored
  run, and for the pre-registered headline (``POOLED``) until every declared fold is stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from reidlab.store import STORE
from reidlab.study import ITEMS, MARGIN, MARGIN_WHY, MIN_UNITS, POOLED, claims as declared_claims, item_folds


@dataclass(frozen=True)
class Effect:
    """A mean difference over ``n`` units (folds, or ``unit``: the networks several folds
    share), its 95% interval and two-sided p (NaN for 1 unit)."""
    mean: float
    low: float
    high: float
    n: int
    p: float
    sd: float
    unit: str = "fold"

    def units(self, n: int | None = None) -> str:
        n = self.n if n is None else n
        return f"{n} {self.unit}{'s' * (n != 1)}"


def paired_effect(a: pd.Series, b: pd.Series | float, unit: str = "fold") -> Effect | None:
    """``a - b`` over the units (the index: folds, or networks) both have; ``b`` may be a number."""
    d = (a - b).dropna()  # a Series aligns on folds; a number is subtracted from every fold
    if d.empty:
        return None
    n, mean = len(d), float(d.mean())
    if n < 2:
        return Effect(mean, math.nan, math.nan, 1, math.nan, math.nan, unit)
    sd = float(d.std(ddof=1))
    half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    p = float(stats.ttest_1samp(d, 0.0).pvalue) if sd > 0 else math.nan  # no spread: no test
    return Effect(mean, mean - half, mean + half, n, p, sd, unit)


def differences(frame: pd.DataFrame, a: str, b: str | float, item: str, also: tuple[str, ...] = ()) -> pd.DataFrame:
    """Rank-1 of ``a`` minus ``b`` (a variant or a number), one row per fold (and, for Table VI's
    "Average <setting>" claims, per pair of variants that differ only in the setting; for ``also``,
    the variants repeating ``a`` at other seeds, per variant), with the ``unit`` each row belongs
    to: the networks it rests on (``report.runs_frame``'s ``network``)."""
    pairs = [(v, b) for v in (a, *also)]
    if a.startswith("Average ") and isinstance(b, str):  # the average's pairs, each on its own networks
        setting_a, setting_b = a.split()[-1], b.split()[-1]
        prefixes = [v[:-len(setting_a)] for v in ITEMS[item].variants if v.endswith(f" {setting_a}")]
        pairs = [(p + setting_a, p + setting_b) for p in prefixes]
        full = frame[frame.variant.isin([a, b])].groupby("fold").variant.nunique() == 2  # folds the averages have
        frame = frame[frame.fold.isin(full[full].index)]
    rows = []
    for va, vb in pairs:
        side_a = frame[frame.variant == va].set_index("fold")
        side_b = frame[frame.variant == vb].set_index("fold") if isinstance(vb, str) else None
        for fold, row in side_a.iterrows():
            if side_b is not None and fold not in side_b.index:
                continue
            other = vb if side_b is None else side_b.loc[fold]
            rows.append({"fold": fold, "diff": row.rank1 - (other if side_b is None else other.rank1),
                         "unit": row.network if side_b is None else f"{row.network} | {other.network}"})
    return pd.DataFrame(rows, columns=["fold", "diff", "unit"])


def claim_effect(frame: pd.DataFrame, a: str, b: str | float, item: str, also: tuple[str, ...] = ()) -> Effect | None:
    """``paired_effect`` of a claim: over its folds where each fold rests on networks of its own,
    else over its distinct networks (network pairs), each the mean of its folds' differences."""
    d = differences(frame, a, b, item, also)
    if len(d) == d.fold.nunique() == d.unit.nunique():
        return paired_effect(d.set_index("fold")["diff"], 0.0)
    unit = "network" if not isinstance(b, str) else "network pair"
    return paired_effect(d.groupby("unit")["diff"].mean(), 0.0, unit)


def interval(effect: Effect, level: float) -> tuple[float, float]:
    """The two-sided ``level`` t interval of the mean difference (0.90: the TOST interval)."""
    half = stats.t.ppf(0.5 + level / 2, effect.n - 1) * effect.sd / math.sqrt(effect.n)
    return effect.mean - half, effect.mean + half


def equivalence_p(effect: Effect, margin: float) -> float:
    """The p of two one-sided t-tests (TOST) of |difference| < ``margin``: the larger of the two."""
    if not effect.sd > 0:  # one fold, or no spread: nothing to test with
        return math.nan
    se = effect.sd / math.sqrt(effect.n)
    below = stats.t.sf((effect.mean + margin) / se, effect.n - 1)  # H0: difference <= -margin
    above = stats.t.cdf((effect.mean - margin) / se, effect.n - 1)  # H0: difference >= +margin
    return float(max(below, above))


def folds_to_decide(effect: Effect, margin: float = 0.0, z: float = 1.96) -> int | None:
    """Folds at which an effect of this size and spread would leave its interval (``z``: 1.96
    for 95%, 1.645 for the 90% of an equivalence test) on one side of ``margin`` (0: of 0; a
    margin: inside it), by the normal approximation; None when the effect sits on that boundary
    or has no spread yet."""
    distance = abs(abs(effect.mean) - margin)
    if not distance or math.isnan(effect.sd):
        return None
    return max(effect.n + 1, math.ceil((z * effect.sd / distance) ** 2))


def verdict(effect: Effect, kind: str = "beats", margin: float = MARGIN, than: str | None = None) -> str:
    """*holds*, *contradicted* or *inconclusive* (with the folds that would decide it,
    ``units_to_decide``) for a claim of ``kind`` (``study.Claim``); a ``matches``/``reaches``
    claim that is contradicted says on which side A lies (``than``: B's name; default "the paper"
    or "B")."""
    if effect.n < 2:
        shared = "" if effect.unit == "fold" else ", its folds vary the test persons only"
        return f"inconclusive ({effect.units()}{shared}: no spread to judge by)"
    if not effect.sd > 0:
        return f"inconclusive ({effect.units()}, all the same difference: no spread to judge by)"
    if effect.n < MIN_UNITS:
        needed = units_to_decide(effect, kind, margin)
        estimate = f"; about {effect.units(needed)} would decide it" if needed else ""
        return f"inconclusive ({effect.units()}: a verdict needs {MIN_UNITS}{estimate})"
    if kind == "beats":
        if effect.low > 0:
            return "holds"
        if effect.high < 0:
            return "contradicted"
    else:
        low, high = interval(effect, 0.90)
        if -margin < low and high < margin:
            return "holds"
        if effect.low > 0 or effect.high < 0:
            than = than or ("the paper" if kind == "reaches" else "B")
            return f"contradicted ({'lower' if effect.high < 0 else 'higher'} than {than})"
    needed = units_to_decide(effect, kind, margin)
    if needed:
        return f"inconclusive (about {effect.units(needed)} would decide it)"
    return "inconclusive (no effect seen)" if kind == "beats" else "inconclusive"


def units_to_decide(effect: Effect, kind: str = "beats", margin: float = MARGIN) -> int | None:
    """The units (folds, or networks) at which an undecided claim would be decided if its effect
    and spread stayed as measured (``folds_to_decide``): a *beats* claim's interval leaving 0; a
    *matches*/*reaches* claim's, the nearer of inside its margin (needs |mean| < margin) or
    off 0. None when there is no spread to project from, or no effect to find."""
    if effect.n < 2 or not effect.sd > 0:
        return None
    if kind == "beats":
        return folds_to_decide(effect)
    options = [n for n in (folds_to_decide(effect, margin, 1.645) if abs(effect.mean) < margin else None,
                           folds_to_decide(effect)) if n]
    return min(options) if options else None


def waiting_for_folds(variant: str, folds: int, item: str, profile: str) -> str | None:
    """The verdict of the pre-registered headline (``POOLED``) while fewer than its declared folds
    have every seed set: it is decided on all of them, once (issue 28); None for anything else."""
    declared = item_folds(item, profile)
    if not variant.endswith(POOLED) or not 0 < folds < declared:
        return None
    return f"pending (pre-registered on {declared} folds; {folds} {'has' if folds == 1 else 'have'} every set)"


def paper_effect(item: str, claim) -> str:
    """The paper's effect: from its table where it has both sides, else the claim's words."""
    from reidlab.report import paper_frame

    if claim.kind == "reaches":
        return f"{claim.b:.1f}"
    table = paper_frame(item)
    rank1 = table["rank1"] if table is not None and "rank1" in table else {}
    if claim.a in rank1 and (isinstance(claim.b, float) or claim.b in rank1):
        a, b = rank1[claim.a], claim.b if isinstance(claim.b, float) else rank1[claim.b]
        return f"{a - b:+.1f} ({a:.1f} vs {b:.1f})"
    return claim.paper or "-"


def _rule(claim) -> str:
    if claim.kind == "beats":
        return f"{claim.a} - {claim.b} > 0"
    why = "" if claim.margin_why == MARGIN_WHY else f" ({claim.margin_why})"  # the default: on the page
    b = f"{claim.b:g}" if isinstance(claim.b, float) else claim.b
    return f"|{claim.a} - {b}| < {claim.margin:g}{why}"


def claims(profile: str, real_data: bool, store: Path = STORE, items: list[str] | None = None) -> pd.DataFrame:
    """One row per declared claim (of ``items``, default all): the paper's effect, the reproduced
    one (rank-1, paired over folds: mean [95% interval], n, p), the equivalence test of a
    matches/reaches claim and the verdict; "not run yet" where a side is missing."""
    from reidlab.report import runs_frame, with_averages, with_pooled

    rows, frames = [], {}
    for item, claim in declared_claims():
        if items is not None and item not in items:
            continue
        if item not in frames:
            frames[item] = runs_frame(item, profile, real_data, store)
        frame = frames[item]
        if claim.a.startswith("Average "):  # a mean over the item's variants of a setting
            frame = with_averages(frame, item)
        if claim.a.endswith(POOLED):  # the per-fold mean over the seed sets (pre-registered)
            frame = with_pooled(frame)
        effect = claim_effect(frame, claim.a, claim.b, item, claim.also)
        row = {"claim": claim.text, "item": item, "tested": _rule(claim), "paper": paper_effect(item, claim)}
        if effect is None:
            rows.append({**row, "reproduced": "not run yet", "n": 0, "p": "-", "equivalence": "-", "verdict": "pending",
                         "folds to decide": None})
            continue
        ci = "" if not effect.sd > 0 else f" [{effect.low:+.1f}, {effect.high:+.1f}]"  # no zero-width interval
        decided = verdict(effect, claim.kind, claim.margin, None if claim.kind == "reaches" else f"{claim.b}")
        decided = waiting_for_folds(claim.a, effect.n, item, profile) or decided
        if not real_data:  # synthetic numbers decide nothing, and so ask for no folds
            decided = "no verdict: synthetic data"
        rows.append({**row, "reproduced": f"{effect.mean:+.1f}{ci}", "n": effect.n,
                     "p": "-" if np.isnan(effect.p) else "< 0.001" if effect.p < 0.001 else f"{effect.p:.3f}",
                     "equivalence": _equivalence(effect, claim), "verdict": decided,
                     "folds to decide": _folds_to_decide(effect, claim, decided)})
    return pd.DataFrame(rows)[COLUMNS]


# the verdict beside the claim (a narrow screen shows the left of a wide table first)
COLUMNS = ["claim", "item", "verdict", "reproduced", "n", "paper", "tested", "p", "equivalence", "folds to decide"]


def _folds_to_decide(effect: Effect, claim, decided: str) -> int | None:
    """The folds an inconclusive claim's verdict estimates would decide it (the queue's order,
    ``cost.decision_folds``); None where decided, pending, or its unit is not a fold (Tables
    VI-VII: more folds add no network)."""
    if not decided.startswith("inconclusive") or effect.unit != "fold":
        return None
    return units_to_decide(effect, claim.kind, claim.margin)


def _equivalence(effect: Effect, claim) -> str:
    """A matches/reaches claim's test: the 90% interval against +-margin, and the TOST p."""
    if claim.kind == "beats" or not effect.sd > 0:
        return "-"
    low, high = interval(effect, 0.90)
    return f"[{low:+.1f}, {high:+.1f}] in +-{claim.margin:g}? p {equivalence_p(effect, claim.margin):.3f}"


def verdict_word(verdict: str) -> str:
    """A verdict without its parenthesis: "inconclusive (1 fold: ...)" -> "inconclusive"."""
    return verdict.split(" (")[0]


def tally(table: pd.DataFrame) -> str:
    """One line: how many claims hold, are contradicted, inconclusive or pending."""
    kinds = table.verdict.map(verdict_word)
    counts = kinds.value_counts()
    order = ["holds", "contradicted", "inconclusive", "pending"]
    parts = [f"{counts[k]} {k}" for k in order if k in counts]
    parts += [f"{n} {k}" for k, n in counts.items() if k not in order]
    return f"{len(table)} claims: " + ", ".join(parts) + "."
