"""Tables and figures of the book: reproduced numbers from the store beside the paper's.

Notebooks call these; they hold no logic of their own. Every reproduced number comes from
``results/store`` (``reidlab.store``), found through the manifest (``reidlab.study``); every paper
number from ``reidlab/paper_tables`` (``reidlab.paper``).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from reidlab.paper import paper_table
from reidlab.store import STORE, stored
from reidlab.study import FAST_SCHEDULE, ITEMS, PROFILES, item_folds, plan

RANKS = (1, 5, 10, 20, 50)


def runs_frame(item: str, profile: str, real_data: bool, store: Path = STORE,
               overrides: dict | None = None) -> pd.DataFrame:
    """One row per stored run of ``item``: variant, fold, CMC at ``RANKS``, mAP, CMC AUC, the
    full CMC curve and the metrics dict (for item-specific tables)."""
    rows = []
    for run in plan(item, profile, real_data, overrides):
        m = stored(run.config, store)
        if m is None:
            continue
        row = {"variant": run.variant, "fold": run.fold, "dataset": run.config.dataset,
               "mAP": m["mAP"], "cmc_auc": m["cmc_auc"], "run": run.identity,
               "curve": np.array(m["cmc_curve"]), "metrics": m}
        row.update({f"rank{r}": m["cmc"].get(str(r), np.nan) for r in RANKS})
        rows.append(row)
    columns = ["variant", "fold", "dataset", "mAP", "cmc_auc", "run", "curve", "metrics"] + \
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
    needed = pd.Series(declared).str.rsplit(" ", n=1).str[-1].value_counts()
    setting = frame.variant.str.rsplit(" ", n=1).str[-1]
    numbers = ["mAP", "cmc_auc"] + [f"rank{r}" for r in RANKS]
    rows = []
    for (s, fold), group in frame.groupby([setting, "fold"], sort=False):
        if group.variant.nunique() < needed.get(s, 0):
            continue
        n = min(len(c) for c in group.curve)
        rows.append({"variant": f"Average {s}", "fold": fold, "dataset": "average", "run": "-",
                     "curve": np.mean([c[:n] for c in group.curve], axis=0), "metrics": {},
                     **group[numbers].mean().to_dict()})
    return pd.concat([pd.DataFrame(rows, columns=frame.columns), frame], ignore_index=True)


NOT_RUN = "no stored runs for this item at this profile yet"


def unavailable_figure(message: str = NOT_RUN):
    """A figure that says why the real one is missing (so every page still has its files)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 2))
    ax.text(0.5, 0.5, message, ha="center", va="center")
    ax.axis("off")
    return fig


def mean_std(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Per variant: ``mean ± std`` over folds of ``columns`` (std 0 for a single fold)."""
    g = frame.groupby("variant", sort=False)[columns]
    mean, std = g.mean(), g.std(ddof=1).fillna(0.0)
    return pd.concat({"mean": mean, "std": std}, axis=1)


def beside_paper(reproduced: pd.DataFrame, paper: pd.DataFrame, ranks=RANKS,
                 variants: list[str] | None = None) -> pd.DataFrame:
    """``reproduced`` (from ``mean_std``) and ``paper`` (index variant, columns rank1...) side by
    side: paper, reproduced mean ± std, and the difference, per rank. ``variants``: the rows, in
    order (a variant with no runs is a "not run yet" row, never dropped); "–" where a number is
    missing."""
    if variants is not None:
        reproduced = reproduced.reindex(variants)
    out = {}
    for r in ranks:
        col = f"rank{r}"
        mean = reproduced[("mean", col)]
        std = reproduced[("std", col)]
        p = paper[col].reindex(mean.index) if col in paper else pd.Series(np.nan, index=mean.index)
        out[(f"CMC {r}", "paper")] = p
        out[(f"CMC {r}", "reproduced")] = [NOT_RUN_ROW if np.isnan(m) else f"{m:.1f} ± {s:.1f}"
                                           for m, s in zip(mean, std)]
        out[(f"CMC {r}", "diff")] = (mean - p).round(1)
    return _dashes(pd.DataFrame(out))


NOT_RUN_ROW = "not run yet"


def _dashes(table: pd.DataFrame) -> pd.DataFrame:
    """Missing numbers as "–" (not NaN)."""
    return table.astype(object).where(table.notna(), "–")


def cmc_table(frame: pd.DataFrame, item: str) -> pd.DataFrame:
    """The page table of a CMC item: every declared variant (and any derived row, e.g. an
    average) with its CMC and mAP, beside the paper's numbers where the paper gives them."""
    summary = mean_std(frame, [f"rank{r}" for r in RANKS] + ["mAP"])
    declared = list(ITEMS[item].variants)
    rows = [v for v in summary.index if v not in declared] + declared
    paper = paper_frame(item)
    if paper is not None:
        return beside_paper(summary, paper, variants=rows)
    table = summary.reindex(rows).round(1)
    missing = table.isna().all(axis=1)
    table = _dashes(table)
    table.loc[missing] = NOT_RUN_ROW
    return table


def profile_note(profile: str, real_data: bool, item: str | None = None, frame: pd.DataFrame | None = None) -> str:
    """The lines every page prints above its numbers: profile, folds (stored of declared, per
    variant, when ``frame`` holds the page's runs) and data."""
    data = "real data" if real_data else "SYNTHETIC data (embedded default, not the paper's datasets)"
    folds = ""
    if item is not None and ITEMS[item].variants:
        kind = "dev partitions" if ITEMS[item].dev else "test folds"
        declared = item_folds(item, profile)
        folds = f"\nThis page: {declared} {kind} per variant declared"
        if frame is not None:
            done = frame.groupby("variant").size().reindex(list(ITEMS[item].variants), fill_value=0)
            folds += "; stored: " + ", ".join(f"{v} {n}/{declared}" for v, n in done.items())
        folds += "."
    profile_line = textwrap.fill(f"Profile {PROFILES[profile].describe()}.", 96)
    return f"{profile_line}{textwrap.fill(folds, 96, replace_whitespace=False) if folds else ''}\nData: {data}."


def paper_frame(item: str) -> pd.DataFrame | None:
    """The paper's CMC numbers for ``item``, indexed by its variant labels (or None)."""
    source = ITEMS[item].paper
    return source() if source else None


def plot_cmc(frame: pd.DataFrame, paper: pd.DataFrame | None = None, max_rank: int = 50, title: str = ""):
    """Mean CMC curve per variant (ranks 1..max_rank), with the paper's tabulated points as markers."""
    import matplotlib.pyplot as plt

    if frame.empty:
        return unavailable_figure()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for variant, group in frame.groupby("variant", sort=False):
        n = min(max_rank, min(len(c) for c in group.curve))
        mean = np.mean([c[:n] for c in group.curve], axis=0)
        line, = ax.plot(np.arange(1, n + 1), mean, label=f"{variant} (reproduced)")
        if paper is not None and variant in paper.index:
            pts = paper.loc[variant].dropna()
            ranks = [int(c[4:]) for c in pts.index]
            keep = [i for i, r in enumerate(ranks) if r <= max_rank]
            ax.plot([ranks[i] for i in keep], pts.values[keep], "o--", color=line.get_color(),
                    alpha=0.7, label=f"{variant} (paper)")
    ax.set(xlabel="rank", ylabel="matching rate (%)", ylim=(0, 100), title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def plot_training_curves(frame: pd.DataFrame, title: str = ""):
    """Fig. 4: train and test rank-1 against epoch, per variant (mean over folds)."""
    import matplotlib.pyplot as plt

    if frame.empty:
        return unavailable_figure()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for variant, group in frame.groupby("variant", sort=False):
        curves = [pd.DataFrame(m["history"]["curve"]).set_index("epoch") for m in group.metrics]
        mean = pd.concat(curves).groupby(level=0).mean()
        for split, style in (("train_rank1", "--"), ("test_rank1", "-")):
            ax.plot(mean.index, mean[split], style, label=f"{variant}, {split.split('_')[0]}")
    ax.set(xlabel="epoch", ylabel="rank-1 (%)", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


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


def relative_auc(frame: pd.DataFrame, baseline: str = "none") -> pd.Series:
    """Fig. 6: each variant's mean CMC AUC relative to the baseline variant's (1.0 = no change)."""
    auc = frame.groupby("variant", sort=False)["cmc_auc"].mean()
    if baseline not in auc:
        return pd.Series(dtype=float, name="relative CMC AUC")
    return (auc / auc[baseline]).drop(baseline).rename("relative CMC AUC")


def plot_relative_auc(rel: pd.Series):
    """Fig. 6 as bars: 1.0 = the same CMC area as training without any attribute."""
    if rel.empty:
        return unavailable_figure()
    ax = rel.plot.bar(figsize=(7, 3.5), ylabel="CMC AUC relative to none")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.figure.tight_layout()
    return ax.figure


def plot_occlusion(image: np.ndarray, heatmap: np.ndarray):
    """Fig. 9: an example test image beside the region-importance heat map (red = important)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(5, 4))
    ax[0].imshow(image)
    ax[0].set_title("a test image")
    im = ax[1].imshow(heatmap, cmap="jet")
    ax[1].set_title("region importance")
    for a in ax:
        a.axis("off")
    fig.colorbar(im, ax=ax[1], fraction=0.05)
    return fig


def plot_activation_images(positive, negative, seed: int = 0, count: int = 8):
    """Fig. 10: for ``count`` random neurons, the positive (top) and negative (bottom) images."""
    import matplotlib.pyplot as plt
    import torch

    neurons = torch.randperm(positive.shape[0], generator=torch.Generator().manual_seed(seed))[:count]
    fig, ax = plt.subplots(2, len(neurons), figsize=(1.25 * len(neurons), 3.2), squeeze=False)
    stretch = lambda x: ((x - x.min()) / (x.max() - x.min() + 1e-9)).numpy()  # noqa: E731
    for j, n in enumerate(neurons.tolist()):
        ax[0, j].imshow(stretch(positive[n]))
        ax[1, j].imshow(stretch(negative[n]))
        ax[0, j].set_title(f"neuron {n}", fontsize=8)
    for a in ax.ravel():
        a.axis("off")
    fig.tight_layout()
    return fig


MIN_FOLDS = 3  # the fewest common folds a schedule check decides on


def fold_noise(a: pd.Series, b: pd.Series) -> float:
    """Fold-to-fold standard deviation pooled over two schedules' folds (each on all its folds),
    as in a two-sample t-test: a 3-fold estimate of one schedule alone is too rough to judge by."""
    dof = len(a) + len(b) - 2
    squares = ((a - a.mean()) ** 2).sum() + ((b - b.mean()) ** 2).sum()
    return float(np.sqrt(squares / dof)) if dof > 0 else float("nan")


def revalidation(store: Path, real_data: bool) -> pd.DataFrame:
    """The check again under the default recipe: Table IV "Ours" at the paper's schedule (profile
    ``paper``) against the fast schedule (profile ``fast``), fold by fold (``schedule_table``)."""
    frames = []
    for label, profile in (("paper schedule", "paper"), (FAST_SCHEDULE, "fast")):
        runs = runs_frame("table4", profile, real_data, store)
        frames.append(runs[runs.variant == "Ours"].assign(variant=f"{label} (default recipe)"))
    frame = pd.concat(frames, ignore_index=True)
    return schedule_table(frame, "paper schedule (default recipe)") if len(frame) else frame


def schedule_table(frame: pd.DataFrame, reference: str = "paper schedule") -> pd.DataFrame:
    """The fast-schedule check: each schedule's CMC over folds, and its paired difference from
    the ``reference`` schedule on the folds both have. A schedule *matches* when, on at least
    ``MIN_FOLDS`` common folds, its mean rank-1 and mAP differences are both within the
    fold-to-fold noise (``fold_noise`` of the two schedules)."""
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
        common = runs.index.intersection(ref.index)
        if variant != reference and len(common):
            diff = runs.loc[common, ["rank1", "mAP"]] - ref.loc[common, ["rank1", "mAP"]]
            noise = pd.Series({m: fold_noise(runs[m], ref[m]) for m in ("rank1", "mAP")})
            row["common folds"] = str(len(common))
            row["rank-1 diff"] = f"{diff.rank1.mean():+.1f} ± {diff.rank1.std(ddof=1) if len(common) > 1 else 0.0:.1f}"
            row["mAP diff"] = f"{diff.mAP.mean():+.1f}"
            row["noise rank-1 / mAP"] = f"{noise.rank1:.1f} / {noise.mAP:.1f}"
            if len(common) < MIN_FOLDS:
                row["verdict"] = f"inconclusive ({len(common)} common folds)"
            else:
                row["verdict"] = "matches" if (diff.mean().abs() <= noise).all() else "does not match"
        rows.append(row)
    return pd.DataFrame(rows, dtype=object).set_index("schedule").fillna("-")  # the reference: no difference
