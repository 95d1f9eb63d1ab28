"""The book's figures, each readable at a glance: CMC curves with the paper's points beside them,
training curves with the level the paper's text states, bars and images; at most ``MAX_PER_PANEL``
variants per panel (more are split into panels, so a legend never covers the curves); a caption
under each with its key numbers (``caption``); ``show`` saves, displays and captions a figure."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from reidlab.report import NOT_RUN, NOT_RUN_ROW, paper_frame, plural
from reidlab.study import ITEMS

MAX_PER_PANEL = 6  # variants per panel: a legend of at most 8 entries with the two style entries
CMC_TICKS = (1, 5, 10, 20, 30, 40, 50)


def show(fig, path: Path, caption: str = "") -> None:
    """Save ``fig`` to ``path``, display it, then its caption (Markdown) under it."""
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display

    fig.savefig(path, dpi=120)
    display(fig)
    plt.close(fig)
    if caption:
        display(Markdown(caption))


def show_image(path: Path, caption: str) -> None:
    """Display a saved picture (e.g. a contact sheet) with its caption under it."""
    from IPython.display import Image, Markdown, display

    display(Image(filename=str(path)))
    display(Markdown(caption))


def caption(item: str, frame: pd.DataFrame, what: str, variants: list[str] | None = None) -> str:
    """A figure's caption: what it shows, rank-1 per variant (mean over the stored folds, with the
    paper's where its table has it; "not run yet" where none is stored) and what the paper's
    text says of the figure (``PaperItem.paper_says``)."""
    variants = variants if variants is not None else list(ITEMS[item].variants) or list(frame.variant.unique())
    paper = paper_frame(item)
    rank1 = frame.groupby("variant").rank1.agg(["mean", "size"]) if len(frame) else pd.DataFrame()
    parts = []
    for v in variants:
        ours = f"{rank1.loc[v, 'mean']:.1f} ({plural(rank1.loc[v, 'size'], 'fold')})" if v in rank1.index else NOT_RUN_ROW
        theirs = paper.loc[v, "rank1"] if paper is not None and v in paper.index and "rank1" in paper else None
        parts.append(f"{v} {ours}" + (f", paper {theirs:.1f}" if theirs is not None and not np.isnan(theirs) else ""))
    shown = "; ".join(parts[:12]) + (f"; and {len(parts) - 12} more (see the table)" if len(parts) > 12 else "")
    counts = {int(rank1.loc[v, "size"]) for v in variants if v in rank1.index}
    if len(counts) > 1:  # a mean of 10 folds beside one of 1 is not a comparison
        shown += (". These are means over different folds; the paired differences, on the folds both sides "
                  "have, are the claims' (below)" if ITEMS[item].claims else
                  ". These are means over different folds")
    says = ITEMS[item].paper_says
    return (f"**Figure.** {what} **Rank-1**: {shown}." + (f" **The paper**: {says}" if says else ""))


def analysis_caption(item: str, what: str) -> str:
    """The caption of an analysis figure (no runs of its own): what it shows, what the paper says."""
    says = ITEMS[item].paper_says
    return f"**Figure.** {what}" + (f" **The paper**: {says}" if says else "")


def panels(variants: list[str], most: int = MAX_PER_PANEL) -> list[tuple[str, list[str]]]:
    """``variants`` in panels of at most ``most``: grouped by their first word (Fig. 5's dataset,
    Table VII's training set), else by their last (Table III's feature length), else in order."""
    if len(variants) <= most:
        return [("", variants)]
    for key in (lambda v: re.split(r"->| ", v)[0], lambda v: v.split()[-1]):
        groups: dict[str, list[str]] = {}
        for v in variants:
            groups.setdefault(key(v), []).append(v)
        if len(groups) > 1 and max(map(len, groups.values())) <= most:
            return list(groups.items())
    return [(f"{k // most + 1}", variants[k:k + most]) for k in range(0, len(variants), most)]


def _grid(count: int, width: float = 6.4, height: float = 3.6):
    """Panels one under another: a figure one panel wide is shown at its own size in the book's
    text column and at half of it on a phone (two side by side would halve both)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(count, 1, figsize=(width, height * count + 0.5), squeeze=False)
    return fig, axes.ravel()


def _style_legend(ax, entries: list[tuple[str, dict]]) -> None:
    """The variants' colours, then one entry per line style (only when more than one style is
    drawn), beside the axes: a legend never covers a curve."""
    from matplotlib.lines import Line2D

    handles, labels = ax.get_legend_handles_labels()
    for label, style in entries if len(entries) > 1 else []:
        handles.append(Line2D([], [], color="0.3", **style))
        labels.append(label)
    ax.legend(handles, labels, fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0,
              frameon=False)


def plot_cmc(frame: pd.DataFrame, paper: pd.DataFrame | None = None, max_rank: int = 50, title: str = ""):
    """Mean CMC curve per variant (ranks 1..max_rank, lines) and the paper's tabulated points
    (circles), in panels of at most ``MAX_PER_PANEL`` variants."""
    if frame.empty:
        return unavailable_figure()
    stored = list(frame.variant.unique())
    drawn = stored + [v for v in (paper.index if paper is not None else []) if v not in stored]
    groups = panels(drawn)
    fig, axes = _grid(len(groups))
    for ax, (name, variants) in zip(axes, groups):
        has_paper = has_reproduced = False
        for variant in variants:
            if variant in stored:
                has_reproduced = True
                group = frame[frame.variant == variant]
                n = min(max_rank, min(len(c) for c in group.curve))
                mean = np.mean([c[:n] for c in group.curve], axis=0)
                colour = ax.plot(np.arange(1, n + 1), mean, label=variant)[0].get_color()
            if paper is not None and variant in paper.index:
                pts = paper.loc[variant].dropna()
                ranks = np.array([int(c[4:]) for c in pts.index])
                keep = ranks <= max_rank
                style = {"color": colour} if variant in stored else {"label": f"{variant} (paper only)"}
                ax.plot(ranks[keep], pts.values[keep], "o--", alpha=0.7, lw=0.8, **style)
                has_paper = True
        ax.set(xlabel="rank", ylabel="matching rate (%)", ylim=(0, 100), xlim=(1, max_rank), title=name)
        ax.set_xticks([t for t in CMC_TICKS if t <= max_rank])
        ax.grid(alpha=0.3)
        _style_legend(ax, ([("reproduced", {"ls": "-"})] if has_reproduced else [])
                      + ([("paper", {"ls": "--", "marker": "o"})] if has_paper else []))
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_training_curves(frame: pd.DataFrame, paper: pd.DataFrame | None = None, title: str = ""):
    """Fig. 4: train (dashed) and test (solid) rank-1 against epoch, per variant (mean over
    folds); dotted: the test rank-1 the paper's text states, where it states one."""
    import matplotlib.pyplot as plt

    if frame.empty:
        return unavailable_figure()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    styles = [("train", {"ls": "--"}), ("test", {"ls": "-"})]
    for variant, group in frame.groupby("variant", sort=False):
        curves = [pd.DataFrame(m["history"]["curve"]).set_index("epoch") for m in group.metrics]
        mean = pd.concat(curves).groupby(level=0).mean()
        line, = ax.plot(mean.index, mean["test_rank1"], "-", label=variant)
        ax.plot(mean.index, mean["train_rank1"], "--", color=line.get_color())
        if paper is not None and variant in paper.index:
            ax.axhline(paper.loc[variant, "rank1"], ls=":", color=line.get_color())
            styles = [*styles[:2], ("paper (test, its text)", {"ls": ":"})]
    ax.set(xlabel="epoch", ylabel="rank-1 (%)", title=title, ylim=(0, 100))
    ax.grid(alpha=0.3)
    _style_legend(ax, styles)
    fig.tight_layout()
    return fig


def unavailable_figure(message: str = NOT_RUN):
    """A figure that says why the real one is missing (so every page still has its files)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 2))
    ax.text(0.5, 0.5, message, ha="center", va="center")
    ax.axis("off")
    return fig


def plot_relative_auc(rel: pd.Series):
    """Fig. 6 as bars: 1.0 = the same CMC area as training without any attribute."""
    if rel.empty:
        return unavailable_figure()
    ax = rel.plot.bar(figsize=(7, 3.5), ylabel="CMC AUC relative to none")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.figure.tight_layout()
    return ax.figure


def plot_rank1_bars(table: pd.DataFrame, xlabel: str = "rank-1 (%)"):
    """Horizontal bars: a group per row of ``table`` and a bar per column, both top to bottom in
    the table's order (a missing number leaves a gap); columns named "paper..." in greys, the
    columns' legend under the axes."""
    ours = iter(f"C{k}" for k in range(10))
    greys = iter(("0.3", "0.55", "0.75", "0.9"))
    colours = [next(greys) if c.startswith("paper") else next(ours) for c in table.columns]
    ax = table.iloc[::-1, ::-1].plot.barh(figsize=(6.4, 0.9 * len(table) + 1.6), width=0.8, color=colours[::-1])
    ax.set(xlabel=xlabel, ylabel="", xlim=(0, 100))
    ax.grid(axis="x", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2,
              frameon=False)  # under the axes: the bars keep the figure's width on a phone
    ax.figure.tight_layout()
    return ax.figure


def plot_occlusion(image: np.ndarray, heatmap: np.ndarray, mean_map: np.ndarray | None = None):
    """Fig. 9: an example test image beside the region-importance heat map (red = important), and
    (``mean_map``) the same per covering occlusion, free of the sum's pull to the centre."""
    import matplotlib.pyplot as plt

    maps = [("region importance\n(the paper's sum)", heatmap)]
    if mean_map is not None:
        maps.append(("per covering\nocclusion (mean)", mean_map))
    fig, ax = plt.subplots(1, 1 + len(maps), figsize=(2.6 * (1 + len(maps)), 4))
    ax[0].imshow(image)
    ax[0].set_title("a test image", fontsize=9)
    for a, (title, values) in zip(ax[1:], maps):
        im = a.imshow(values, cmap="jet")
        a.set_title(title, fontsize=9)
        fig.colorbar(im, ax=a, fraction=0.05)
    for a in ax:
        a.axis("off")
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


