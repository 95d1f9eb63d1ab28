"""The book's figures: panels keep legends short, ticks are ranks, captions carry the numbers."""

import numpy as np
import pandas as pd

from reidlab import figures
from reidlab.study import ITEMS


def _frame(variants, folds=2):
    curve = np.linspace(30, 100, 60)
    return pd.DataFrame([{"variant": v, "fold": f, "rank1": 30.0 + f, "curve": curve} for v in variants
                         for f in range(folds)])


def test_panels_hold_at_most_six_variants_grouped_by_meaning():
    for item in ("fig5", "table3", "table7", "table6", "fig6"):
        groups = figures.panels(list(ITEMS[item].variants))
        assert all(1 <= len(v) <= figures.MAX_PER_PANEL for _, v in groups)
        assert sum(len(v) for _, v in groups) == len(ITEMS[item].variants)
    assert [name for name, _ in figures.panels(list(ITEMS["fig5"].variants))] == ["VIPeR", "PETA"]


def test_cmc_figure_legends_have_at_most_eight_entries_and_rank_ticks():
    from reidlab.report import paper_frame

    fig = figures.plot_cmc(_frame(list(ITEMS["table3"].variants)), paper_frame("table3"))
    axes = [a for a in fig.axes if a.get_legend() is not None]
    assert len(axes) == 4
    for ax in axes:
        assert len(ax.get_legend().get_texts()) <= 8
        assert [t for t in ax.get_xticks()] == list(figures.CMC_TICKS)
    assert "paper" in [t.get_text() for t in axes[0].get_legend().get_texts()]


def test_caption_gives_rank1_beside_the_paper_and_marks_missing_variants():
    text = figures.caption("table4", _frame(["Ours"], folds=3), "Mean CMC.")
    assert "Ours 31.0 (3 folds), paper 33.6" in text
    assert "Ours Multi-Label not run yet, paper 33.1" in text
    assert "approaches ~33%" in figures.caption("fig4", _frame([]).reindex(columns=["variant", "rank1"]), "x")
    assert "different folds" not in text  # one variant stored: nothing to compare


def test_a_caption_says_when_its_means_are_over_different_folds():
    uneven = pd.concat([_frame(["VIPeR V"], folds=3), _frame(["VIPeR V+I"], folds=1)])
    text = figures.caption("fig5", uneven, "Mean CMC.")
    assert "VIPeR V 31.0 (3 folds)" in text and "VIPeR V+I 30.0 (1 fold)" in text
    assert "means over different folds; the paired differences" in text  # fig5 has claims below
    assert "different folds" not in figures.caption("fig5", _frame(["VIPeR V", "VIPeR V+I"]), "Mean CMC.")


def test_the_paper_points_of_a_variant_not_run_are_drawn_and_only_drawn_styles_are_named():
    from reidlab.report import paper_frame

    fig = figures.plot_cmc(_frame(["Ours"]), paper_frame("table4"))
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["Ours", "Ours Multi-Label (paper only)", "reproduced", "paper"]
    assert len(fig.axes[0].lines) == 3  # Ours, its paper points, Multi-Label's paper points
    legend = [t.get_text() for t in figures.plot_cmc(_frame(["V", "V+I"])).axes[0].get_legend().get_texts()]
    assert legend == ["V", "V+I"]  # one style drawn: no style entries
    fig = figures.plot_cmc(_frame(["16/64/64 f128"]), paper_frame("table3"))
    only_paper = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]  # a panel with no run stored
    assert only_paper and all(t.endswith("(paper only)") for t in only_paper)
