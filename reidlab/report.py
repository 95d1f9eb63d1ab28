"""Tables and figures of the book: reproduced numbers from the store beside the paper's.

Notebooks call these; they hold no logic of their own. Every reproduced number comes from
``results/store`` (``reidlab.store``), found through the manifest (``reidlab.study``); every paper
number from ``reidlab/paper_tables`` (``reidlab.paper``).
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from reidlab.paper import FOLD_SD_RANK1, PAPERS_RATE_LABEL, PAPERS_SCHEDULE_LABEL, paper_table
from reidlab.store import READS, STORE, referenced, stored
from reidlab.study import (ALL_IMAGES, ANALYSIS_ITEMS, FAST_SCHEDULE, HEADLINE, ITEMS, MARGIN, MIN_UNITS, ONE_IMAGE,
                           POOLED, PROFILES, SEED_SETS, item_folds, plan)
from reidlab.verdicts import interval, paired_effect, verdict, waiting_for_folds

RANKS = (1, 5, 10, 20, 50)


def runs_frame(item: str, profile: str, real_data: bool, store: Path = STORE,
               overrides: dict | None = None) -> pd.DataFrame:
    """One row per stored run of ``item``: variant, fold, CMC at ``RANKS``, mAP, CMC AUC, the
    full CMC curve, the metrics dict (for item-specific tables), the device it trained on and its
    ``network``: the training its numbers rest on (itself, or the stored network it evaluates)."""
    from reidlab.provenance import read_json

    rows = []
    for run in plan(item, profile, real_data, overrides):
        m = stored(run.config, store)
        if m is None:
            continue
        prov = store / run.identity / "provenance.json"
        device = read_json(prov).get("device", "?") if prov.exists() else "?"
        network = referenced(run.config) if not run.config.epochs else run.identity  # the training it rests on
        row = {"variant": run.variant, "fold": run.fold, "dataset": run.config.dataset, "device": device,
               "mAP": m["mAP"], "cmc_auc": m["cmc_auc"], "run": run.identity, "network": network,
               "curve": np.array(m["cmc_curve"]), "metrics": m}
        row.update({f"rank{r}": m["cmc"].get(str(r), np.nan) for r in RANKS})
        rows.append(row)
    columns = ["variant", "fold", "dataset", "device", "mAP", "cmc_auc", "run", "network", "curve", "metrics"] + \
        [f"rank{r}" for r in RANKS]
    return pd.DataFrame(rows, columns=columns)


def with_averages(frame: pd.DataFrame, item: str | list[str]) -> pd.DataFrame:
    """``frame`` plus a variant ``"Average <setting>"`` per setting (a variant's last word, e.g.
    Table VI's weighting): per fold, the mean of each number and curve over the variants of the
    setting (the paper's "Average" rows), for the folds where every variant of the setting that
    ``item`` declares (or the list given) is stored: an average of some pairs is no average."""
    if frame.empty:
        return frame
    declared = list(ITEMS[item].variants) if isinstance(item, str) else item
    needed = pd.Series(declared).str.rsplit(" ", n=1).str[-1].value_counts().to_dict()
    setting = frame.variant.str.rsplit(" ", n=1).str[-1]
    return _with_fold_means(frame, setting, needed, lambda s: f"Average {s}")


def with_pooled(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` plus a variant ``"<network>, 3 seed sets"`` per network of ``study.HEADLINE``:
    per fold, the mean of each number over the seed sets (``study.SEED_SETS``), for the folds where
    every set is stored (the pre-registered headline of Table IV; on fold 0 the sets "seed 0" and
    "seed = fold" are one run, counted in each)."""
    if frame.empty:
        return frame
    names = [f"{v}, {s}" for v in HEADLINE for s in SEED_SETS]
    network = frame.variant.str.rsplit(", ", n=1).str[0].where(frame.variant.isin(names))
    return _with_fold_means(frame, network, {v: len(SEED_SETS) for v in HEADLINE}, lambda v: f"{v}, {POOLED}")


def _with_fold_means(frame: pd.DataFrame, key: pd.Series, needed: dict, name) -> pd.DataFrame:
    """``frame`` plus, per value ``k`` of ``key`` (NaN: no group) and fold, a variant ``name(k)``:
    the mean of each number and curve over the group's rows, where its ``needed[k]`` variants are
    all stored."""
    numbers = ["mAP", "cmc_auc"] + [f"rank{r}" for r in RANKS]
    rows = []
    for (k, fold), group in frame.groupby([key, "fold"], sort=False):
        if group.variant.nunique() < needed.get(k, 0):
            continue
        n = min(len(c) for c in group.curve)
        rows.append({"variant": name(k), "fold": fold, "dataset": "average", "run": "-",
                     "network": " + ".join(sorted(set(group.network))),
                     "curve": np.mean([c[:n] for c in group.curve], axis=0), "metrics": {},
                     **group[numbers].mean().to_dict()})
    if not rows:  # (an empty frame in the concat would turn every number column to objects)
        return frame
    return pd.concat([pd.DataFrame(rows, columns=frame.columns), frame], ignore_index=True)


def seed_sets(profile: str, real_data: bool, store: Path = STORE) -> pd.DataFrame:
    """Table IV's pre-registered replication (issue 28, item ``replication``): per network of
    ``study.HEADLINE``, each seed set and their per-fold mean (the headline): folds stored, rank-1
    and mAP mean ± sd over the folds, the devices the runs trained on, and the paper's number."""
    frame = with_pooled(runs_frame("replication", profile, real_data, store))
    rows = [f"{v}, {s}" for v in HEADLINE for s in [*SEED_SETS, POOLED]]
    table = mean_sd_table(frame, ["rank1", "mAP"], rows)
    stored_folds = frame.groupby("variant").fold.nunique()
    table["folds"] = [f"{stored_folds.get(v, 0)}/{item_folds('replication', profile)}" for v in rows]
    device = frame.device.str.split(" (", regex=False).str[0]
    devices = device.groupby(frame.variant).agg(lambda d: ", ".join(f"{k} x{n}" for k, n in d.value_counts().items()))
    table["finished on"] = [devices.get(v, "-") for v in rows]
    ours = paper_frame("table4").loc["Ours", "rank1"]
    table["paper CMC 1"] = [f"{ours:.1f} ± {FOLD_SD_RANK1:.1f}" if v.startswith("Ours") else "–" for v in rows]

    def equivalence(v: str) -> str:  # the headline's verdict waits for its pre-registered folds, as its claim does
        if not v.startswith("Ours"):
            return "–"
        return waiting_for_folds(v, stored_folds.get(v, 0), "replication", profile) or _against(frame, v, ours)
    table[f"CMC 1 - {ours:g}: equivalence"] = [equivalence(v) for v in rows]
    first = ["folds", "CMC 1", f"CMC 1 - {ours:g}: equivalence"]  # the verdict beside its number, not cut off
    return table[first + [c for c in table.columns if c not in first]].rename_axis("network, seed set")


def _against(frame: pd.DataFrame, variant: str, number: float) -> str:
    """A set's rank-1 against the paper's number by the claims' equivalence rule (``verdicts``):
    the difference, its 90% (TOST) interval and the verdict; for each set alone, beside the headline's."""
    effect = paired_effect(frame[frame.variant == variant].set_index("fold").rank1, number)
    if effect is None:
        return NOT_RUN_ROW
    if not effect.sd > 0:  # one fold, or folds that tie: no interval to judge by
        return f"{effect.mean:+.1f} ({effect.n} fold{'s' if effect.n > 1 else ''}, no spread)"
    low, high = interval(effect, 0.90)
    return f"{effect.mean:+.1f}, 90% [{low:+.1f}, {high:+.1f}] in +-{MARGIN:g}?: {verdict(effect, 'reaches', MARGIN)}"


NOT_RUN = "no stored runs for this item at this profile yet"


def mean_std(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Per variant: mean and std over folds of ``columns`` (std NaN for a single fold), and
    ``("folds", "folds")``: how many folds each mean is over."""
    g = frame.groupby("variant", sort=False)[columns]
    folds = g.size().to_frame("folds")
    return pd.concat({"mean": g.mean(), "std": g.std(ddof=1), "folds": folds}, axis=1)


def beside_paper(reproduced: pd.DataFrame, paper: pd.DataFrame, ranks=RANKS,
                 variants: list[str] | None = None) -> pd.DataFrame:
    """``reproduced`` (from ``mean_std``) and ``paper`` (index variant, columns rank1...) one
    above the other: per variant a row of the paper's numbers, one of the reproduced mean ± sd
    and one of the difference, a column per rank (and mAP when reproduced has it; the paper
    reports none). ``variants``: in order (a variant with no runs says "not run yet", never
    dropped); "–" where a number is missing."""
    if variants is not None:
        reproduced = reproduced.reindex(variants)
    columns = [f"rank{r}" for r in ranks] + (["mAP"] if ("mean", "mAP") in reproduced else [])
    rows = {}
    for v in reproduced.index:
        mean, std, folds = reproduced.loc[v, "mean"], reproduced.loc[v, "std"], reproduced.loc[v, ("folds", "folds")]
        ours = [_folds(folds)] + [_mean_sd(mean[c], std[c]) for c in columns]
        if v not in paper.index:  # nothing to set it beside: one row
            rows[(v, "reproduced")] = ours
            continue
        theirs = paper.loc[v]
        rows[(v, "paper")] = [np.nan] + [theirs.get(c, np.nan) for c in columns]
        rows[(v, "reproduced")] = ours
        rows[(v, "difference")] = [np.nan] + [round(mean[c] - theirs.get(c, np.nan), 1) for c in columns]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["folds"] + [_column(c) for c in columns],
                                   dtype=object)  # a fold count stays an integer beside the paper's "–"
    table.index = pd.MultiIndex.from_tuples(table.index, names=["variant", ""])
    return dashes(table)


def mean_sd_table(frame: pd.DataFrame, columns: list[str], variants: list[str] | None = None) -> pd.DataFrame:
    """Per variant (``variants``: the rows, in order): "mean ± sd" over folds of each column;
    "not run yet" for a variant without runs."""
    summary = mean_std(frame, columns)
    mean, std, folds = summary["mean"], summary["std"], summary[("folds", "folds")]
    if variants is not None:
        mean, std, folds = mean.reindex(variants), std.reindex(variants), folds.reindex(variants)
    return pd.DataFrame({"folds": [_folds(n) for n in folds],
                         **{_column(c): [_mean_sd(m, d) for m, d in zip(mean[c], std[c])] for c in columns}},
                        index=mean.index)


def _mean_sd(mean: float, sd: float) -> str:
    """"mean ± sd" over folds; one fold has no sd: its number alone."""
    return NOT_RUN_ROW if np.isnan(mean) else f"{mean:.1f}" if np.isnan(sd) else f"{mean:.1f} ± {sd:.1f}"


def _folds(n: float) -> int:
    return 0 if np.isnan(n) else int(n)


def _column(name: str) -> str:
    return name.replace("rank", "CMC ")


NOT_RUN_ROW = "not run yet"


def dashes(table: pd.DataFrame) -> pd.DataFrame:
    """Missing numbers as "–" (not NaN)."""
    return table.astype(object).where(table.notna(), "–")


def cmc_table(frame: pd.DataFrame, item: str) -> pd.DataFrame:
    """The page table of a CMC item: every declared variant (and any derived row, e.g. an
    average, stored or in the paper) with its CMC and mAP, beside the paper's numbers where the
    paper gives them."""
    columns = [f"rank{r}" for r in RANKS] + ["mAP"]
    summary = mean_std(frame, columns)
    declared = list(ITEMS[item].variants)
    paper = paper_frame(item)
    derived = list(summary.index) + ([] if paper is None else list(paper.index))  # e.g. Table VI's averages
    rows = list(dict.fromkeys(v for v in derived if v not in declared)) + declared
    if paper is not None:
        return beside_paper(summary, paper, variants=rows)
    return mean_sd_table(frame, columns, rows)


def gallery_hypothesis(runs: pd.DataFrame, theirs: pd.DataFrame, folds: int) -> str:
    """Table II's PETA gallery hypothesis by its declared criterion (``study.PETA_GALLERY_HYPOTHESIS``):
    with all images, rank-1 and rank-50 within ``MARGIN`` of the paper's; with one image, rank-1 not;
    mean differences over the ``folds`` declared folds that have both galleries."""
    one, every = f"PETA entropy, {ONE_IMAGE}", f"PETA entropy, {ALL_IMAGES}"
    paired = runs.pivot_table(index="fold", columns="variant", values=["rank1", "rank50"]).dropna()
    if len(paired) < folds or {one, every} - set(paired.columns.get_level_values(1)):
        return f"The criterion is decided on {folds} folds with both galleries; {len(paired)} stored."
    paired = paired.head(folds)
    off = {(k, v): paired[k, v].mean() - theirs.loc[v, k] for k in ("rank1", "rank50") for v in (one, every)}
    supported = abs(off["rank1", every]) < MARGIN and abs(off["rank50", every]) < MARGIN \
        and not abs(off["rank1", one]) < MARGIN
    gain = (paired["rank1", every] - paired["rank1", one]).mean()
    return (f"Against the paper's PETA entropy row, over {folds} folds: with all images rank-1 "
            f"{off['rank1', every]:+.1f} and rank-50 {off['rank50', every]:+.1f}; with one image rank-1 "
            f"{off['rank1', one]:+.1f} (within {MARGIN:g} counts as near). The hypothesis is "
            f"{'supported' if supported else 'not supported'}. All images minus one image, the same networks: "
            f"rank-1 {gain:+.1f}.")


def gallery_bars(reproduced: pd.Series, table6: pd.Series, beside: pd.DataFrame) -> pd.DataFrame:
    """Per pair and weighting of item ``table6-gallery`` with a stored run: rank-1 ours under each
    gallery (``reproduced``, by variant), the paper's Table VI (``table6``, by variant) and its
    Table VII for the same pair (``beside``: ``paper.table6_beside_table7``, its first row of the pair)."""
    from reidlab.paper import GALLERIES

    rows = {}
    for variant in ITEMS["table6-gallery"].variants:
        pair, gallery = variant.rsplit(", ", 1)
        if gallery != GALLERIES["one-image"] or not any(f"{pair}, {g}" in reproduced for g in GALLERIES.values()):
            continue
        table7 = beside[beside.index.str.startswith(f"{pair.split()[0]} (")]["Table VII rank-1"]
        rows[pair] = {**{f"ours, {g}": reproduced.get(f"{pair}, {g}", np.nan) for g in GALLERIES.values()},
                      "paper, Table VI": table6[variant],
                      "paper, Table VII": table7.iloc[0] if len(table7) else np.nan}
    return pd.DataFrame.from_dict(rows, orient="index")


# Table V's schedules: (from scratch, fine-tuned from VIPeR); the fast schedule's from-scratch row
# stands beside fine-tuning at the paper's rate too (both 8 pairs per step)
FINE_TUNING = {"fast": ("{d} none", "{d} VIPeR"),
               f"fast, {PAPERS_RATE_LABEL}": ("{d} none", "{d} VIPeR, " + PAPERS_RATE_LABEL),
               PAPERS_SCHEDULE_LABEL: ("{d} none, " + PAPERS_SCHEDULE_LABEL, "{d} VIPeR, " + PAPERS_SCHEDULE_LABEL)}


def fine_tuning_by_fold(frame: pd.DataFrame, datasets: Sequence[str] = ("ilids", "caviar", "3dpes")) -> pd.DataFrame:
    """Table V fold by fold: per dataset, fold and schedule (``FINE_TUNING``) with a stored
    fine-tuned or from-scratch run, rank-1 from scratch, fine-tuned from VIPeR, and "Δ", the
    difference. Same fold, same split, same VIPeR network: a collapse shows as itself."""
    rank1 = frame.set_index(["variant", "fold"]).rank1 if len(frame) else pd.Series(dtype=float)
    rows = []
    for d in datasets:
        folds = sorted({f for v, f in rank1.index if v.split()[0] == d})
        for fold in folds:
            for schedule, (scratch, tuned) in FINE_TUNING.items():
                a, b = (rank1.get((v.format(d=d), fold), np.nan) for v in (scratch, tuned))
                if not (np.isnan(b) and (np.isnan(a) or schedule != "fast")):  # a row where it has a run of its own
                    rows.append({"dataset": d, "fold": fold, "schedule": schedule, "scratch": a, "fine-tuned": b})
    table = pd.DataFrame(rows, columns=["dataset", "fold", "schedule", "scratch", "fine-tuned"])
    table["Δ"] = table["fine-tuned"] - table["scratch"]
    return table.set_index(["dataset", "fold", "schedule"]).round(1)


COLLAPSE = 0.5  # a fine-tuned rank-1 under half its fold's from scratch (Table V's so far: <= 0.35; the rest >= 0.66)


def collapsed(table: pd.DataFrame, schedule: str) -> pd.DataFrame:
    """``fine_tuning_by_fold``'s rows of ``schedule`` where fine-tuning collapsed (``COLLAPSE``)."""
    t = table.xs(schedule, level="schedule")
    return t[t["fine-tuned"] < COLLAPSE * t["scratch"]]


def fine_tuning_summary(table: pd.DataFrame) -> str:
    """Per dataset and schedule, on the folds with both rows: the mean Δ, beside the paper's
    difference (Table V)."""
    paper = paper_frame("table5").rank1
    lines = ["Δ: rank-1 fine-tuned from VIPeR minus from scratch, on the same fold (at the "
             f"{PAPERS_RATE_LABEL}: minus the fast schedule's from scratch)."]
    for d, t in table.groupby(level="dataset", sort=False):
        theirs = paper[f"{d} VIPeR"] - paper[f"{d} none"]
        both = t.dropna(subset=["Δ"]).groupby(level="schedule", sort=False)["Δ"].agg(["mean", "size"])
        said = "; ".join(f"{s} {m:+.1f} ({plural(int(n), 'fold')})"
                         for s, m, n in zip(both.index, both["mean"], both["size"]))
        lines.append(f"{d}: Δ {said or 'not run yet'} (paper: {theirs:+.1f})")
    return wrapped(*lines)


def schedule_check(frame: pd.DataFrame, item: str) -> pd.DataFrame:
    """Each variant trained again at the paper's schedule (``"<variant>, paper's schedule"``)
    beside its declared networks at the fast schedule (the variant and its ``", seed N"``
    repeats), on the folds all the stored ones have: per network, its stored folds, rank-1 and
    mAP on the common folds (their mean: a network's folds vary the test persons only) and the
    paper's rank-1. A check whose two schedules train one network (at the paper's profile) is
    left out: there is nothing to compare."""
    paper = paper_frame(item)
    rows = []
    for checked in [v for v in ITEMS[item].variants if v.endswith(f", {PAPERS_SCHEDULE_LABEL}")]:
        base = checked.removesuffix(f", {PAPERS_SCHEDULE_LABEL}")
        fast = [v for v in ITEMS[item].variants if v == base or re.fullmatch(rf"{re.escape(base)}, seed \d+", v)]
        runs = frame[frame.variant.isin([*fast, checked])]
        if "network" in runs and set(runs.network[runs.variant == checked]) & set(runs.network[runs.variant != checked]):
            continue
        stored = [set(runs.fold[runs.variant == v]) for v in [*fast, checked] if (runs.variant == v).any()]
        folds = sorted(set.intersection(*stored)) if stored else []
        for v in [*fast, checked]:
            own = runs[(runs.variant == v) & runs.fold.isin(folds)]
            rows.append({"checked": base, "network": v, "schedule": "paper's" if v == checked else "fast",
                         "stored folds": int((runs.variant == v).sum()), "folds": ", ".join(map(str, folds)) or "–",
                         "rank1": own.rank1.mean(), "mAP": own.mAP.mean(),
                         "paper rank1": paper.rank1.get(base, np.nan) if paper is not None else np.nan})
    columns = ["checked", "network", "schedule", "stored folds", "folds", "rank1", "mAP", "paper rank1"]
    return pd.DataFrame(rows, columns=columns).set_index(["checked", "network"])


def schedule_check_summary(table: pd.DataFrame) -> str:
    """What each schedule check says, by the rule declared with it (2026-12-07, before its runs):
    the paper's-schedule network's rank-1 against the 95% prediction interval of one more
    fast-schedule network (the fast networks' mean +- t(0.975, n-1) sd sqrt(1 + 1/n)). Above
    it, the schedule matters, and the share of the gap to the paper it closes is given; inside
    it, the schedule is not shown to explain the gap; below it, the paper's schedule does worse."""
    if table.empty:
        return "At this profile the paper's schedule is the declared one: nothing to check."
    lines = []
    for base, t in table.groupby(level="checked", sort=False):
        fast_rows, checked_row = t[t.schedule == "fast"], t[t.schedule != "fast"].iloc[0]
        fast, checked = fast_rows.rank1.dropna(), checked_row.rank1
        theirs, folds = checked_row["paper rank1"], checked_row.folds
        if not checked_row["stored folds"] or not fast_rows["stored folds"].any():
            missing = "the paper's" if not checked_row["stored folds"] else "the fast"
            lines.append(f"{base}: not run yet at {missing} schedule.")
            continue
        if np.isnan(checked) or fast.empty:
            lines.append(f"{base}: no fold stored at both schedules yet.")
            continue
        each = ", ".join(f"{r:.1f}" for r in fast)
        said = (f"{base} on folds {folds}: the paper's schedule {checked:.1f}, the fast schedule's "
                f"{plural(len(fast), 'network')} {fast.mean():.1f} ({each}); paper {theirs:g}")
        if len(fast) < 2 or not fast.std(ddof=1) > 0:
            lines.append(f"{said}. One fast network, or no spread among them: nothing to judge by.")
            continue
        half = stats.t.ppf(0.975, len(fast) - 1) * fast.std(ddof=1) * np.sqrt(1 + 1 / len(fast))
        low, high = fast.mean() - half, fast.mean() + half
        if checked > high:
            share = (checked - fast.mean()) / (theirs - fast.mean()) if theirs > fast.mean() else np.nan
            closes = ("" if not np.isfinite(share) else f", closing {share:.0%} of the gap to the paper" if share < 1
                      else f", closing all of the gap to the paper ({checked - theirs:+.1f} beside it)")
            reading = "above the range of one more fast network: the schedule matters" + closes
        elif checked < low:
            reading = "below the range of one more fast network: the paper's schedule does worse here"
        else:
            reading = "inside the range of one more fast network: the schedule is not shown to explain the gap"
        lines.append(f"{said}. One more fast network would fall in [{low:.1f}, {high:.1f}] (95%): {reading}.")
    return wrapped(*lines)


def plural(n: int, noun: str) -> str:
    """``"1 run"``, ``"2 runs"``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


NOTE_WIDTH = 64  # characters: the book's text column shows about 68 of monospace


def profile_note(profile: str, real_data: bool, item: str | None = None, frame: pd.DataFrame | None = None) -> str:
    """The lines every page prints above its numbers: profile, folds (stored of declared, per
    variant, when ``frame`` holds the page's runs), data (the datasets of the stored runs) and the
    devices they trained on; wrapped to be read on a phone."""
    data = "real data" if real_data else "SYNTHETIC data (embedded default, not the paper's datasets)"
    folds_line = item is not None and bool(ITEMS[item].variants)
    lines = [f"Profile {PROFILES[profile].describe(folds=not folds_line)}."]
    if folds_line:
        kind = "dev partitions" if ITEMS[item].dev else "test folds"
        declared = item_folds(item, profile)
        folds = f"Folds: {declared} {kind} per variant declared"
        if frame is not None:
            done = frame.groupby("variant").size().reindex(list(ITEMS[item].variants), fill_value=0)
            if len(done) <= 6:
                folds += "; stored: " + ", ".join(f"{v} {n}/{declared}" for v, n in done.items())
            else:  # many variants: how many have how many folds
                folds += "; stored: " + ", ".join(f"{plural(k, 'variant')} {n}/{declared}"
                                                  for n, k in done.value_counts().sort_index(ascending=False).items())
        lines.append(folds + "; a number below is the mean ± standard deviation over the stored folds.")
    if frame is not None and len(frame):
        if real_data:
            data += " (" + ", ".join(sorted(set(frame.dataset) - {"average"})) + ")"
        lines.append(f"Data: {data}.")
        # records made before the singular was written say "1 threads" (a record is never edited)
        devices = frame.device.str.replace(" 1 threads,", " 1 thread,", regex=False).value_counts()
        # the device a run finished on (a run begun on a GPU may end on the CPU: page Methods check)
        lines.append("Finished on: " + ", ".join(f"{d} ({plural(n, 'run')})" for d, n in devices.items())
                     + "; where each epoch ran: page Methods check.")
    elif item in ANALYSIS_ITEMS:  # an analysis of one trained network (fold 0, as the paper's figures)
        source, variant = ANALYSIS_ITEMS[item]
        dataset = ITEMS[source].variants[variant].get("dataset", "")
        lines.append(f"Data: {data}{f' ({dataset})' if real_data and dataset else ''}; the network of "
                     f"{ITEMS[source].title.split(':')[0]} \"{variant}\", fold 0.")
    else:
        lines.append(f"Data: {data}.")
    return wrapped(*lines)


def wrapped(*lines: str) -> str:
    """Each line wrapped to the book's text column (``NOTE_WIDTH``), continued indented."""
    return "\n".join(textwrap.fill(line, NOTE_WIDTH, subsequent_indent="  ", break_on_hyphens=False) for line in lines)


def paper_frame(item: str) -> pd.DataFrame | None:
    """The paper's CMC numbers for ``item``, indexed by its variant labels (or None); a variant
    ``"<variant>, seed N"`` or ``"<variant>, paper's schedule"`` (the same network at another seed
    or schedule) has its variant's numbers."""
    source = ITEMS[item].paper
    if not source:
        return None
    frame = source()
    again = f", (seed \\d+|{re.escape(PAPERS_SCHEDULE_LABEL)})$"
    repeats = {v: re.sub(again, "", v) for v in ITEMS[item].variants if re.search(again, v)}
    repeats = {v: base for v, base in repeats.items() if base in frame.index and v not in frame.index}
    return pd.concat([frame, frame.loc[list(repeats.values())].set_axis(list(repeats), axis=0)]) if repeats else frame


def same_networks(item: str, profile: str, real_data: bool) -> list[str]:
    """A line per variant of ``item`` that trains the same network as variants of other item pages
    (the same runs: a training is stored once), with the rank-1 the paper reports for it in each
    table that gives one: the paper's own spread for one configuration."""
    def on_a_page(it: str) -> bool:
        return bool(ITEMS[it].page) and not ITEMS[it].dev and ITEMS[it].part == "paper"

    def paper_rank1(it: str, variant: str) -> str:
        paper = paper_frame(it)
        number = paper.rank1.get(variant) if paper is not None and "rank1" in paper else None
        return "" if number is None or not np.isfinite(number) else f"{number:g}"

    networks: dict[str, list[tuple[str, str]]] = {}
    for it in filter(on_a_page, ITEMS):
        for run in plan(it, profile, real_data):
            if run.fold == 0:
                networks.setdefault(run.identity, []).append((it, run.variant))
    lines = []
    for run in (r for r in plan(item, profile, real_data) if r.fold == 0):
        others = [(it, v) for it, v in networks.get(run.identity, []) if it != item]
        if others:
            said = [f"{ITEMS[it].title.split(':')[0]} '{v}'" + (f" (paper {n})" if (n := paper_rank1(it, v)) else "")
                    for it, v in others]
            here = paper_rank1(item, run.variant)
            lines.append(f"'{run.variant}' is the same network, the same runs, as {', '.join(said)}"
                         + (f"; the paper's rank-1 for it here: {here}." if here else "."))
    return lines


# the datasets the study trains and tests on (page "Datasets")
STUDY_DATASETS = ("viper", "ilids", "caviar", "3dpes", "prid", "cuhk01")


def dataset_table(data_root: str | None) -> pd.DataFrame:
    """The study's datasets as read from ``data_root`` (the synthetic set without one): counts,
    labels, the release it is read from and the dataset's paper (a key of references.bib)."""
    from reidlab.data import DATASETS, load_dataset

    rows = []
    for name in STUDY_DATASETS if data_root else ("synthetic",):
        data, spec = load_dataset(name, data_root), DATASETS[name]
        s = data.summary()
        rows.append({"dataset": name, "images": s["images"], "persons": s["persons"],
                     "cameras": s["cameras"] or "–",  # 0: the files do not say
                     "attributes": s["attributes"], "pose": "yes" if s["has_pose"] else "–",
                     "release": s["layout"], "paper": citation(spec.source) if spec.source else "–"})
    return pd.DataFrame(rows).set_index("dataset")


def citation(key: str, bib: Path = Path(__file__).resolve().parents[1] / "references.bib") -> str:
    """A key of references.bib as the References page lists it: ``"gray2007"`` -> ``"Gray et al.
    2007"`` (the key itself where the file or the entry is missing: a package install has no bib)."""
    import re

    entry = re.search(r"@\w+\{" + re.escape(key) + r",(.*?)\n\}", bib.read_text(), re.S) if bib.exists() else None
    if entry is None:
        return key
    field = lambda name: re.search(name + r"\s*=\s*\{(.*?)\}\s*,?\s*$", entry.group(1), re.M)  # noqa: E731
    authors, year = field("author"), field("year")
    if authors is None or year is None:
        return key
    names = [a.split(",")[0].strip() for a in authors.group(1).split(" and ")]
    who = names[0] if len(names) == 1 else f"{names[0]} and {names[1]}" if len(names) == 2 else f"{names[0]} et al."
    return f"{who} {year.group(1)}"


def attribute_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Table I: per attribute (and pose) accuracy, precision, recall and training-label entropy,
    mean over folds, beside the paper's."""
    rows = []
    for m in frame.metrics:
        for a in m.get("attributes", {}).get("per_attribute", []):
            rows.append({"attribute": a["name"], "accuracy": 100 * a["accuracy"], "precision": a["precision"],
                         "recall": a["recall"], "entropy": a["train_label_entropy"]})
        if "pose" in m:
            rows.append({"attribute": "Pose", "accuracy": 100 * m["pose"]["accuracy"],
                         "precision": m["pose"]["macro_precision"], "recall": m["pose"]["macro_recall"],
                         "entropy": m["pose"]["train_label_entropy"]})
    ours = pd.DataFrame(rows, columns=["attribute", "accuracy", "precision", "recall", "entropy"])
    ours = ours.groupby("attribute", sort=False).mean()
    paper = paper_table("table1_attributes_viper").set_index("attribute")
    paper.columns = ["accuracy", "precision", "recall", "entropy"]
    return pd.concat({"paper": paper, "reproduced": ours.round(2)}, axis=1).reindex(ours.index)


def never_predicted(table: pd.DataFrame) -> str:
    """A sentence on the attributes Table I (``attribute_table``) shows at 0.00 precision and recall:
    the head never predicts them present, so their accuracy is the share of persons without them."""
    ours = table["reproduced"]
    silent = ours[(ours.precision == 0) & (ours.recall == 0)]
    if silent.empty:
        return "Every attribute is predicted present for some test persons (no 0.00 precision and recall)."
    paper = table["paper"]
    also = [a for a in paper.index if a in table.index and paper.loc[a, "precision"] == 0 and paper.loc[a, "recall"] == 0]
    return (f"{len(silent)} attribute(s) are never predicted present on the test persons (precision and recall "
            f"0.00): {', '.join(silent.index)}. Their training labels are unbalanced (entropy "
            f"{silent.entropy.min():.2f}-{silent.entropy.max():.2f} bits of 1), so the head always says 'absent' "
            "and their accuracy is the share of persons without them. "
            + (f"The paper's Table I shows 0.00 for {', '.join(also)}." if also else "The paper's Table I has none at 0.00."))


def relative_auc(frame: pd.DataFrame, baseline: str = "none") -> pd.Series:
    """Fig. 6: each variant's mean CMC AUC relative to the baseline's (1.0 = no change), both means
    over the folds the two share, so that a fold's difficulty cancels."""
    auc = _auc_by_fold(frame)
    if baseline not in auc:
        return pd.Series(dtype=float, name="relative CMC AUC")
    shared = {v: auc[v].notna() & auc[baseline].notna() for v in auc.columns.drop(baseline)}
    return pd.Series({v: auc.loc[s, v].mean() / auc.loc[s, baseline].mean() for v, s in shared.items() if s.any()},
                     dtype=float, name="relative CMC AUC").rename_axis("variant")


def relative_auc_table(frame: pd.DataFrame, variants: Sequence[str], baseline: str = "none") -> pd.DataFrame:
    """Fig. 6's table: a row per declared variant with its relative CMC AUC (``relative_auc``) and the
    number of folds it rests on; "not run yet" where there are none."""
    rel, auc = relative_auc(frame, baseline), _auc_by_fold(frame)
    rows = []
    for v in variants:
        folds = int((auc[v].notna() & auc[baseline].notna()).sum()) if {v, baseline} <= set(auc) else 0
        value = 1.0 if v == baseline else rel.get(v, np.nan)
        rows.append({"variant": v, "relative CMC AUC": f"{value:.3f}" if folds else NOT_RUN_ROW, "folds": folds})
    return pd.DataFrame(rows).set_index("variant")


def _auc_by_fold(frame: pd.DataFrame) -> pd.DataFrame:
    """CMC AUC as a fold x variant table (empty for no runs)."""
    return frame.pivot_table(index="fold", columns="variant", values="cmc_auc") if len(frame) else pd.DataFrame()


def fold_noise(a: pd.Series, b: pd.Series) -> float:
    """Fold-to-fold standard deviation pooled over two schedules' folds (each on all its folds),
    as in a two-sample t-test: a 3-fold estimate of one schedule alone is too rough to judge by."""
    dof = len(a) + len(b) - 2
    squares = ((a - a.mean()) ** 2).sum() + ((b - b.mean()) ** 2).sum()
    return float(np.sqrt(squares / dof)) if dof > 0 else float("nan")


def revalidation(store: Path, real_data: bool) -> pd.DataFrame:
    """The check again under the default recipe: Table IV "Ours" at the paper's schedule (profile
    ``paper``) against the fast schedule (profile ``fast``), fold by fold (``schedule_table``),
    every fold from seed 0, as it was made (the schedules are paired either way)."""
    frames = []
    for label, profile in (("paper schedule", "paper"), (FAST_SCHEDULE, "fast")):
        runs = runs_frame("table4", profile, real_data, store, {"seed": 0})
        frames.append(runs[runs.variant == "Ours"].assign(variant=f"{label} (default recipe)"))
    frame = pd.concat(frames, ignore_index=True)
    return schedule_table(frame, "paper schedule (default recipe)") if len(frame) else frame


# the runs whose initialisation is measured: Fig. 4's pair, on every fold but 0 (seed 0 either way)
INITIALISED = (("table4", "Ours"), ("fig4", "verification only"))


def initialisation(store: Path, real_data: bool, profile: str = "fast") -> pd.DataFrame:
    """The initialisation noise: each run of ``INITIALISED`` on folds 1.. started from seed 0 and
    from seed = fold (the paper varies it across folds), compared fold by fold (``schedule_table``):
    the spread of the paired differences is what the initialisation alone moves a fold's result,
    sqrt(2) times that of one run. The same network, data and schedule otherwise."""
    tables = []
    for item, variant in INITIALISED:
        folds = range(1, item_folds(item, profile))
        seed0 = runs_frame(item, profile, real_data, store, {"seed": 0})
        own = [runs_frame(item, profile, real_data, store, {"seed": f}) for f in folds]
        frame = pd.concat([seed0[seed0.fold > 0].assign(seed="seed 0"),
                           *(r[r.fold == f].assign(seed="seed = fold") for f, r in zip(folds, own))])
        frame = frame[frame.variant == variant]
        frame = frame.assign(variant=[f"{variant}: {seed}" for seed in frame.seed])
        if len(frame):
            reference = f"{variant}: seed 0"
            table = schedule_table(frame, reference)
            tables.append(table.assign(**{"one run's SD rank-1 / mAP": [
                _initialisation_sd(frame, reference, v) for v in table.index]}))
    if not tables:
        return schedule_table(pd.DataFrame())
    return pd.concat(tables).fillna("-").rename_axis("runs (folds from 1)")


def _initialisation_sd(frame: pd.DataFrame, reference: str, candidate: str) -> str:
    """What the initialisation alone moves one run: the SD of the paired differences / sqrt(2)
    (two independent initialisations), on at least ``MIN_UNITS`` common folds."""
    if candidate == reference:
        return "-"
    x, y = (frame[frame.variant == v].set_index("fold") for v in (candidate, reference))
    paired, _ = _paired_difference(x, y)
    if len(paired) < MIN_UNITS:
        return "-"
    sd = paired.std(ddof=1) / np.sqrt(2)
    return f"{sd.rank1:.1f} / {sd.mAP:.1f}"


def _paired_difference(x: pd.DataFrame, y: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """``x - y`` in rank-1 and mAP on the folds (index) both have, and the fold noise of the two."""
    common = x.index.intersection(y.index)
    noise = pd.Series({m: fold_noise(x[m], y[m]) for m in ("rank1", "mAP")})
    return x.loc[common, ["rank1", "mAP"]] - y.loc[common, ["rank1", "mAP"]], noise


def better_beyond_noise(frame: pd.DataFrame, reference: str, candidate: str) -> str:
    """Whether ``candidate`` beats ``reference`` by more than the fold-to-fold noise (``fold_noise``)
    in both rank-1 and mAP, on at least ``MIN_UNITS`` common folds: the rule a default is changed
    by (the epoch composition, issue 10 B6). A sentence with the paired differences."""
    x, y = (frame[frame.variant == v].set_index("fold") for v in (candidate, reference))
    paired, noise = _paired_difference(x, y)
    if len(paired) < MIN_UNITS:
        return f"{candidate} against {reference}: {len(paired)} common folds of {MIN_UNITS} needed; undecided"
    diff = paired.mean()
    better = bool((diff > noise).all())
    return (f"{candidate} minus {reference} over {len(paired)} common folds: rank-1 {diff.rank1:+.1f}, "
            f"mAP {diff.mAP:+.1f} (fold noise {noise.rank1:.1f} / {noise.mAP:.1f}): "
            + (f"{candidate} is better beyond the noise" if better else f"not better beyond the noise; "
               f"{reference} stays"))


def best_on_dev(frame: pd.DataFrame, candidates: Sequence[str], partitions: int) -> str | None:
    """The candidate with the highest mean rank-1 over the dev partitions, the first of
    ``candidates`` on a tie; None until every candidate has all ``partitions`` stored (the rule
    the knobs beyond the paper are chosen by, ``study.DEV_CHOICE``)."""
    runs = frame[frame.variant.isin(candidates)]
    if any((runs.variant == c).sum() < partitions for c in candidates):
        return None
    means = runs.groupby("variant").rank1.mean().reindex(candidates)
    return str(means.idxmax())


def pooled_over_datasets(frame: pd.DataFrame) -> pd.DataFrame:
    """Runs of variants named "<dataset>: <setting>" as runs of "<setting>" whose folds are the
    (dataset, partition) pairs, rank-1 and mAP centred per dataset: the paired differences stay,
    and the noise ``better_beyond_noise`` judges by is the partitions', not the datasets' spread."""
    named = frame.variant.str.split(": ", n=1, expand=True)
    frame = frame.assign(variant=named[1], fold=named[0] + " " + frame.fold.astype(str))
    centred = frame.groupby(named[0])[["rank1", "mAP"]].transform(lambda column: column - column.mean())
    return frame.assign(rank1=centred.rank1, mAP=centred.mAP)


def schedule_table(frame: pd.DataFrame, reference: str = "paper schedule",
                   declared: Sequence[str] = ()) -> pd.DataFrame:
    """The fast-schedule check: each schedule's CMC over folds, and its paired difference from
    the ``reference`` schedule on the folds both have. A schedule *matches* when, on at least
    ``MIN_UNITS`` common folds, its mean rank-1 and mAP differences are both within the
    fold-to-fold noise (``fold_noise`` of the two schedules). A ``declared`` schedule with no
    stored run is a row that says so."""
    if frame.empty:
        return pd.DataFrame({"runs": [NOT_RUN]})
    ref = frame[frame.variant == reference].set_index("fold")
    rows = []
    for variant, runs in frame.groupby("variant", sort=False):
        runs = runs.set_index("fold")
        row = {"schedule": variant, "folds": len(runs),
               "train s/run": round(float(np.mean([r["train_time_s"] / r.get("batched", {}).get("runs", 1)
                                                   for r in runs["metrics"]])), 1)}
        for col in ("rank1", "rank10", "mAP"):
            row[col] = f"{runs[col].mean():.1f} ± {runs[col].std(ddof=1) if len(runs) > 1 else 0.0:.1f}"
        diff, noise = _paired_difference(runs, ref)
        common = diff.index
        if variant != reference and len(common):
            row["common folds"] = str(len(common))
            row["rank-1 diff"] = f"{diff.rank1.mean():+.1f} ± {diff.rank1.std(ddof=1) if len(common) > 1 else 0.0:.1f}"
            row["mAP diff"] = f"{diff.mAP.mean():+.1f}"
            row["noise rank-1 / mAP"] = f"{noise.rank1:.1f} / {noise.mAP:.1f}"
            if len(common) < MIN_UNITS:
                row["verdict"] = f"inconclusive ({len(common)} common folds)"
            else:
                row["verdict"] = "matches" if (diff.mean().abs() <= noise).all() else "does not match"
        rows.append(row)
    stored = set(frame.variant)
    rows += [{"schedule": v, "folds": 0, "verdict": NOT_RUN_ROW} for v in declared if v not in stored]
    return pd.DataFrame(rows, dtype=object).set_index("schedule").fillna("-")  # the reference: no difference


NOT_REPLAYED = "not replayed"


def provenance_runs(store: Path, real_data: bool) -> pd.DataFrame:
    """One row per finished run of ``store`` (one with a provenance.json): what it trained, its
    provenance class (``provenance.provenance_class``), the commits it names (each stretch's, when
    resumed), the notes entered by hand in its record, and its replay: the largest relative
    difference of its first epochs' losses retrained with this history's code (``reidlab.replay``;
    ``provenance/replay.csv`` beside a real store), else "not replayed"."""
    from reidlab.provenance import hand_notes, provenance_class, read_json, run_commits

    replays = _replays(store.parent / "provenance" / "replay.csv") if real_data else {}
    rows = []
    READS.everything = True  # the page is stale when any run joins the store
    for path in sorted(store.glob("*/provenance.json")):
        record, run = read_json(path), path.parent.name
        rows.append({"run": run, "trained": _trained(path.parent), "class": provenance_class(record),
                     "commit": " → ".join(c[:7] for c in run_commits(record)) or "none",
                     "note": " ".join(hand_notes(record).values()) or "–", "replay": replays.get(run, NOT_REPLAYED)})
    return pd.DataFrame(rows, columns=["run", "trained", "class", "commit", "note", "replay"]).set_index("run")


def provenance_table(store: Path, real_data: bool) -> pd.DataFrame:
    """The store by provenance class (``provenance_runs``), each class a row even with no runs: the
    runs recorded at run time in one row; those reconstructed by hand a row per note (what it says
    was corrected or entered); those naming a commit outside the history a row per run, with its
    replay (the check that this history's code trains the same network)."""
    from reidlab.provenance import BY_HAND, OUTSIDE, RECORDED

    runs = provenance_runs(store, real_data)
    runs["row"] = np.select([runs["class"] == BY_HAND, runs["class"] == OUTSIDE], [runs.note, runs.index], "–")
    rows = []
    for cls in dict.fromkeys([RECORDED, BY_HAND, OUTSIDE, *runs["class"]]):
        group = runs[runs["class"] == cls]
        for _, part in group.groupby("row", sort=False):
            one = len(part) == 1
            rows.append({"class": cls, "runs": len(part), "run": part.index[0] if one else "–",
                         "trained": part.trained.iloc[0] if one else "–", "commit": _some(part.commit, "commits"),
                         "note or replay": part.replay.iloc[0] if cls == OUTSIDE else part.note.iloc[0]})
        if group.empty:
            rows.append({"class": cls, "runs": 0})
    return pd.DataFrame(rows, columns=["class", "runs", "run", "trained", "commit", "note or replay"]) \
        .fillna("–").set_index("class")


def device_segments(store: Path) -> pd.DataFrame:
    """Runs whose epochs trained on more than one device, a row per stretch: from the run's
    ``provenance.NOTES`` (what the history states, each stretch citing the commit that states it),
    else from the ``segments`` it recorded itself when they name more than one device; beside the
    device its provenance.json names (the one that finished it)."""
    from reidlab.provenance import NOTES, read_json

    rows = []
    READS.everything = True  # the page is stale when any run joins the store
    for path in sorted(store.glob("*/provenance.json")):
        record, run = read_json(path), path.parent
        notes = read_json(run / NOTES) if (run / NOTES).exists() else {}
        stretches = notes.get("device_segments") or _recorded_stretches(record, run)
        rows += [{"run": run.name, "trained": _trained(run), **s, "device recorded": record.get("device", "?")}
                 for s in stretches]
    return pd.DataFrame(rows, columns=["run", "trained", "epochs", "device", "source", "device recorded"]) \
        .set_index(["run", "trained"])


def _recorded_stretches(record: dict, run: Path) -> list[dict]:
    """A resumed run's own ``segments`` as stretches of epochs, where they name more than one kind
    of device (a CPU's thread count is no other device)."""
    segments = record.get("segments", [])
    if len({s["device"].split(" (")[0] for s in segments}) < 2:
        return []
    last = yaml.safe_load((run / "config.yaml").read_text()).get("epochs", "?")
    ends = [s["first_epoch"] - 1 for s in segments[1:]] + [last]
    return [{"epochs": f"{s['first_epoch']}-{end}", "device": s["device"],
             "source": f"provenance.json segments (recorded at run time; code {s['git_commit'][:7]})"}
            for s, end in zip(segments, ends)]


def _trained(run: Path) -> str:
    """What a stored run trained, in a few words: dataset, tasks, fold, seed, profile."""
    c = yaml.safe_load((run / "config.yaml").read_text())
    split = f", split seed {c['split_seed']}" if c.get("split_seed") else ""
    profile = run / "profile.json"
    at = f" ({json.loads(profile.read_text())['profile']})" if profile.exists() else ""
    return f"{c.get('dataset')} {c.get('tasks')}, fold {c.get('fold', c.get('trial'))}{split}, seed {c.get('seed')}{at}"


def _replays(path: Path) -> dict[str, str]:
    """run -> its replay as ``reidlab replay --out`` wrote it: the largest relative difference, and
    over which epochs."""
    if not path.is_file():
        return {}
    table = pd.read_csv(path, dtype={"run": str})
    return {run: f"{d:.1e} (epoch{f's 1-{n}' if n > 1 else ' 1'})"
            for run, d, n in zip(table.run, table["max relative difference"], table.epochs)}


def _some(values: pd.Series, noun: str, most: int = 3) -> str:
    """The distinct ``values``, or how many there are when more than ``most``."""
    distinct = list(dict.fromkeys(values))
    return ", ".join(distinct) if len(distinct) <= most else f"{len(distinct)} {noun}"


# --- Beyond the paper (issue 33) -----------------------------------------------------------------------

def pose_probe_table(frame: pd.DataFrame, store: Path, data_root: str | None, variants: Sequence[str]) -> pd.DataFrame:
    """Per variant: the pose probe's test accuracy over the stored runs with weights (mean ± sd,
    percent), the majority pose's share (chance) beside it, and the folds it rests on
    (``probe.pose_probe``; runs stored before their item kept weights have none, so the folds of
    two rows may differ)."""
    from reidlab.probe import pose_probe
    from reidlab.run import final_weights

    probes: dict[str, dict[int, object]] = {v: {} for v in variants}
    for row in frame.itertuples():
        if row.variant in probes and final_weights(store / row.run) is not None:
            probes[row.variant][row.fold] = pose_probe(store / row.run, data_root)
    rows = {}
    for variant, found in probes.items():
        accuracy = pd.Series([p.accuracy for p in found.values()], dtype=float)
        rows[variant] = {"probe accuracy (%)": _mean_sd(accuracy.mean(), accuracy.std()) if found
                         else "no stored weights",
                         "majority pose (%)": f"{np.mean([p.chance for p in found.values()]):.1f}" if found else "-",
                         "fold ids": ", ".join(map(str, sorted(found))) or "-"}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("variant")


def label_sets_table(data_root: str | None, floors: Sequence[float]) -> pd.DataFrame:
    """The attribute sets a run can learn, per dataset: attributes, binary and multi-class ones,
    and the mean share of the binary ones' rarer value (how balanced they are)."""
    from reidlab.data import load_dataset
    from reidlab.data.attributes import minority_rate

    sets = [("Layne's 15", "layne", None), ("PETA's 105", "peta", None),
            *((f"rich, floor {f:g}", "rich", f) for f in floors)]
    datasets = ("viper", "peta-reid") if data_root else ("synthetic",)
    rows = []
    for name in datasets:
        for label, attribute_set, floor in sets if data_root else [("synthetic", None, None)]:
            data = load_dataset(name, data_root, attribute_set=attribute_set, attribute_floor=floor)
            classes = np.array(data.classes_per_attribute)
            binary = data.attributes[:, classes == 2]
            rows.append({"dataset": name, "set": label, "attributes": len(classes),
                         "binary": int((classes == 2).sum()), "multi-class": int((classes > 2).sum()),
                         "binary: mean share of the rarer value": round(
                             float(np.mean([minority_rate(binary[:, j]) for j in range(binary.shape[1])])), 3)})
    return pd.DataFrame(rows).set_index(["dataset", "set"])
