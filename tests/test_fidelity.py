"""The fidelity tables: paired differences recomputed by hand on a tiny frame."""

import pandas as pd
import pytest

from reidlab import fidelity


def _frame(rows):
    history = {"history": {"epochs": [{"distance_same": 1.0, "distance_different": 3.0}]}}
    return pd.DataFrame([{"variant": v, "fold": f, "rank1": r, "rank10": r + 40, "mAP": m, "metrics": history}
                         for v, f, r, m in rows])


FRAME = _frame([("reidlab v1", 0, 20.0, 30.0), ("reidlab v1", 1, 24.0, 34.0),
                ("v1 + pairing", 0, 23.0, 31.0), ("v1 + pairing", 1, 25.0, 37.0),
                ("authors", 0, 30.0, 40.0), ("authors - pairing", 0, 29.0, 42.0)])


def test_paired_differences_by_hand():
    # v1 + pairing minus v1: rank-1 +3, +1 (mean 2, sd 1.41); mAP +1, +3 (mean 2, sd 1.41)
    assert fidelity._paired(FRAME, "v1 + pairing", "reidlab v1") == "+2.0 ± 1.4 / +2.0 ± 1.4 (n=2)"
    # one partition only: sd 0
    assert fidelity._paired(FRAME, "authors", "authors - pairing") == "+1.0 ± 0.0 / -2.0 ± 0.0 (n=1)"
    assert fidelity._paired(FRAME, "v1 + crops", "reidlab v1") == "not run"


def test_detail_and_recipe_tables():
    details = fidelity.detail_table(FRAME)
    assert details.loc["pairing", "added to v1: rank-1 / mAP"].startswith("+2.0")
    assert details.loc["momentum", "reidlab v1"] == "0" and details.loc["momentum", "default (v2)"] == "0"
    recipes = fidelity.recipe_table(FRAME)
    assert recipes.loc["reidlab v1", "rank1"] == "22.0 ± 2.8"
    assert recipes.loc["authors", "last epoch: distance same / other person"] == "1.00 / 3.00"
    assert fidelity.best_variant(FRAME) == "authors"


def test_tables_of_no_runs_are_empty_not_errors():
    empty = FRAME.iloc[:0]
    assert fidelity.recipe_table(empty).empty
    assert (fidelity.detail_table(empty)["added to v1: rank-1 / mAP"] == "not run").all()


@pytest.mark.parametrize("variants", [["reidlab v1"], ["authors"]])
def test_effects_figure_draws_or_says_why_not(variants):
    fig = fidelity.plot_effects(FRAME[FRAME.variant.isin(variants)])
    assert fig is not None


def test_parameter_counts_are_the_models():
    from reidlab.model import FeatureNet, count_parameters
    count = f"{count_parameters(FeatureNet()):,}"  # the default network (no task heads)
    assert fidelity._value("reidlab-v2", fidelity.PARAMETERS).startswith(count)
    assert fidelity.SOURCES[fidelity.PARAMETERS][1].endswith(count)


def test_test_fold_table_shows_each_recipe_and_schedule_beside_the_paper(tmp_path):
    from reidlab.fidelity import test_folds

    table = test_folds(tmp_path, real_data=True)  # an empty store: nothing run yet
    assert list(table.index) == ["reidlab v1, paper schedule, seed 0", "reidlab v1, fast schedule, seed 0",
                                 "default (v2), fast schedule, seed 0", "default (v2), fast schedule, seed = fold",
                                 "default (v2), paper schedule, seed 0",
                                 "v2 - v1, like for like (fast schedule, seed 0, folds none)", "paper (Table IV)"]
    assert (table.loc[table.index[:6], "rank1"] == "not run").all()
    assert table.loc["paper (Table IV)", "rank1"] == 33.6  # the paper's number, read from its table
    assert table.loc["paper (Table IV)", "mAP"] == "–"  # it gives none: a dash, never NaN


def test_test_fold_table_finds_the_committed_runs_from_their_own_seeds():
    from pathlib import Path

    from reidlab.fidelity import test_folds

    committed = Path(__file__).resolve().parents[1] / "results" / "store"  # not $REIDLAB_STORE
    table = test_folds(committed, real_data=True)  # the committed evidence, made from seed 0
    assert table.loc["reidlab v1, paper schedule, seed 0", "folds"] == 10
    assert table.loc["default (v2), paper schedule, seed 0", "folds"] == 3
    assert table.loc["default (v2), fast schedule, seed = fold", "folds"] >= 7
    # like for like: v1 and v2 at the fast schedule from seed 0, on the folds both have
    like = table.index[table.index.str.startswith("v2 - v1, like for like")].item()
    assert like.endswith("folds 0, 1, 2)") and table.loc[like, "folds"] == 3


def test_like_for_like_is_the_mean_of_per_fold_differences(tmp_path, monkeypatch):
    from reidlab import fidelity

    def frame(item, profile, real, store, overrides):  # v1: 20, 22, 30 on folds 0-2; v2: 25, 28 on 0-1
        v1 = overrides is not None and "normalisation" in overrides
        rank1 = [20.0, 22.0, 30.0] if v1 else [25.0, 28.0]
        return pd.DataFrame({"variant": "Ours", "fold": range(len(rank1)), "mAP": rank1,
                             **{f"rank{r}": rank1 for r in (1, 5, 10, 20, 50)}})

    monkeypatch.setattr("reidlab.report.runs_frame", frame)
    table = fidelity.test_folds(tmp_path)
    # folds 0-1: 25 - 20 = 5, 28 - 22 = 6: mean 5.5, sd 0.71 (fold 2, v1's only, is left out)
    assert table.loc["v2 - v1, like for like (fast schedule, seed 0, folds 0, 1)", "rank1"] == "+5.5 ± 0.7"
