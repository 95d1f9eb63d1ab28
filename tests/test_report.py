"""Report helpers: paper tables line up with the runner's variants; verdict rules; differences."""

import numpy as np
import pandas as pd
import pytest

from reidlab.study import ITEMS
from reidlab.report import beside_paper, mean_std, paper_frame, schedule_table


@pytest.mark.parametrize("item", ["table2", "table3", "table4", "table5", "table6", "table7"])
def test_every_variant_has_the_papers_numbers(item):
    paper = paper_frame(item)
    if item == "table6":  # the paper shows its averages and 6 of the 12 pairs
        assert {v for v in paper.index if not v.startswith("Average")} < set(ITEMS[item].variants)
        assert {"Average entropy", "Average equal", "Average none"} < set(paper.index)
    else:
        assert set(ITEMS[item].variants) <= set(paper.index)
    assert paper.notna().any(axis=None)


def test_paper_numbers_are_the_transcribed_ones():
    assert paper_frame("table4").loc["Ours", "rank1"] == 33.6
    assert paper_frame("table7").loc["viper->ilids", "rank1"] == 29.7  # the 119-person row
    # the same network at another seed or schedule stands beside the same row of the paper
    table7 = paper_frame("table7")
    assert table7.loc["ilids->viper, seed 2", "rank1"] == table7.loc["ilids->viper, paper's schedule", "rank1"] == 9.7
    assert table7.loc["ilids->prid, paper's schedule", "rank1"] == 6.0


def test_beside_paper_difference():
    frame = pd.DataFrame({"variant": ["Ours", "Ours"], "rank1": [30.0, 34.0], "rank5": [60.0, 60.0]})
    table = beside_paper(mean_std(frame, ["rank1", "rank5"]), paper_frame("table4"), ranks=(1, 5))
    assert table.loc[("Ours", "difference"), "CMC 1"] == pytest.approx(32.0 - 33.6, abs=0.05)
    assert table.loc[("Ours", "reproduced"), "CMC 1"] == "32.0 ± 2.8"
    assert table.loc[("Ours", "paper"), "CMC 5"] == 62.9


def test_schedule_table_matches_within_the_pooled_fold_noise():
    def runs(variant, rank1, mAP):
        return [{"variant": variant, "fold": f, "rank1": r, "rank10": 50.0, "mAP": m,
                 "metrics": {"train_time_s": 10.0}} for f, (r, m) in enumerate(zip(rank1, mAP))]

    frame = pd.DataFrame(runs("paper schedule", [20, 22, 24], [30, 32, 34])    # std 2
                         + runs("close", [21, 23, 24], [31, 32, 35])           # +0.7, +0.7
                         + runs("far", [15, 17, 19], [25, 27, 29])             # -5
                         + runs("two folds", [20, 22], [30, 32])
                         # -2 is within the noise pooled with its own spread: sqrt((2*4 + 4*20) / 6) = 3.8
                         + runs("noisy, 5 folds", [18, 20, 22, 26, 14], [30, 32, 34, 30, 30])
                         + runs("steady but off", [23, 25, 27], [33, 35, 37]))  # +3 > 2

    table = schedule_table(frame)
    assert table.loc["close", "verdict"] == "matches"
    assert table.loc["far", "verdict"] == "does not match" and table.loc["far", "rank-1 diff"] == "-5.0 ± 0.0"
    assert table.loc["two folds", "verdict"] == "inconclusive (2 common folds)"
    assert table.loc["noisy, 5 folds", "noise rank-1 / mAP"] == "3.8 / 1.9"
    assert table.loc["noisy, 5 folds", "verdict"] == "matches"
    assert table.loc["steady but off", "verdict"] == "does not match"
    assert table.loc["far", "common folds"] == "3"
    assert table.loc["paper schedule", "rank1"] == "22.0 ± 2.0"


def test_a_default_changes_only_for_a_gain_beyond_the_fold_noise():
    from reidlab.report import better_beyond_noise

    def runs(variant, rank1, mAP):
        return [{"variant": variant, "fold": f, "rank1": r, "mAP": m} for f, (r, m) in enumerate(zip(rank1, mAP))]

    base = runs("per person", [20, 22, 24], [30, 32, 34])  # sd 2 in both
    frame = pd.DataFrame(base + runs("all pairs", [25, 27, 29], [35, 37, 39]))  # +5 > noise 2
    assert better_beyond_noise(frame, "per person", "all pairs").endswith("all pairs is better beyond the noise")
    assert "rank-1 +5.0, mAP +5.0 (fold noise 2.0 / 2.0)" in better_beyond_noise(frame, "per person", "all pairs")
    frame = pd.DataFrame(base + runs("all pairs", [25, 27, 29], [31, 33, 35]))  # mAP +1: within the noise
    assert better_beyond_noise(frame, "per person", "all pairs").endswith("per person stays")
    frame = pd.DataFrame(base + runs("all pairs", [25, 27], [35, 37]))
    assert better_beyond_noise(frame, "per person", "all pairs").endswith("undecided")


def test_a_rule_pooled_over_datasets_judges_by_the_partition_noise():
    # issue 30: Table V's fine-tuning rate, decided over (dataset, partition) pairs
    from reidlab.report import better_beyond_noise, pooled_over_datasets

    rows = [{"variant": f"{d}: {rate}", "fold": f, "rank1": level + gain + f, "mAP": level + gain + 2 * f}
            for d, level in (("caviar", 10), ("ilids", 60)) for rate, gain in (("fast", 0), ("paper", 4))
            for f in range(3)]
    pooled = pooled_over_datasets(pd.DataFrame(rows))
    assert set(pooled.variant) == {"fast", "paper"} and len(set(pooled.fold)) == 6
    # centred per dataset: caviar fast fold 0 is 10 - mean(10, 11, 12, 14, 15, 16) = -3
    assert pooled[(pooled.variant == "fast") & (pooled.fold == "caviar 0")].rank1.item() == -3
    # paired gain 4; noise: within each rate, the six centred values -3..-1, -3..-1 ... sd 0.89 (rank-1)
    sentence = better_beyond_noise(pooled, "fast", "paper")
    assert "over 6 common folds: rank-1 +4.0, mAP +4.0 (fold noise 0.9 / 1.8)" in sentence
    assert sentence.endswith("paper is better beyond the noise")
    # unpooled, the datasets' own spread (10 against 60) would be the noise and hide the gain
    raw = pd.DataFrame([{**r, "variant": r["variant"].split(": ")[1], "fold": f"{r['variant'][:5]} {r['fold']}"}
                        for r in rows])
    assert better_beyond_noise(raw, "fast", "paper").endswith("fast stays")


def test_averages_by_hand():
    from reidlab.report import with_averages

    frame = pd.DataFrame({"variant": ["a->b x", "b->a x", "a->b y"], "fold": [0, 0, 0], "dataset": "d",
                          "mAP": [10.0, 20.0, 5.0], "cmc_auc": 0.5, "run": "r", "network": ["n1", "n2", "n3"], "metrics": [{}] * 3,
                          "curve": [np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0]), np.array([0.0, 1.0])],
                          **{f"rank{r}": [10.0, 30.0, 7.0] for r in (1, 5, 10, 20, 50)}})
    out = with_averages(frame, ["a->b x", "b->a x", "a->b y"]).set_index("variant")
    assert out.loc["Average x", "rank1"] == 20.0 and out.loc["Average x", "mAP"] == 15.0
    assert out.loc["Average x", "network"] == "n1 + n2"  # the trainings the average rests on
    assert out.loc["Average y", "rank1"] == 7.0
    assert out.loc["Average x", "curve"].tolist() == [2.0, 3.0]  # over the ranks both curves have
    partial = with_averages(frame, ["a->b x", "b->a x", "a->b y", "b->a y"]).variant  # b->a y not stored
    assert "Average x" in set(partial) and "Average y" not in set(partial)


def test_a_check_of_no_runs_says_so():
    from reidlab.report import NOT_RUN, runs_frame

    empty = runs_frame("precision", "smoke", False, store=__import__("pathlib").Path("/nonexistent"))
    assert schedule_table(empty, "fp32").iloc[0, 0] == NOT_RUN


def test_a_variant_without_runs_is_a_row_that_says_so():
    from reidlab.report import cmc_table

    frame = pd.DataFrame({"variant": ["Ours", "Ours"], "fold": [0, 1], "mAP": [40.0, 42.0],
                          **{f"rank{r}": [30.0, 34.0] for r in (1, 5, 10, 20, 50)}})
    table = cmc_table(frame, "table4")
    assert list(table.index.get_level_values(0).unique()) == ["Ours", "Ours Multi-Label"]
    assert table.loc[("Ours Multi-Label", "reproduced"), "CMC 1"] == "not run yet"
    assert table.loc[("Ours Multi-Label", "difference"), "CMC 1"] == "–"
    assert table.loc[("Ours", "reproduced"), "CMC 1"] == "32.0 ± 2.8"
    assert table.loc[("Ours", "paper"), "mAP"] == "–"  # the paper reports no mAP
    plain = cmc_table(frame.assign(variant=["VIPeR V", "VIPeR V"]), "fig5")  # no paper table
    assert plain.loc["PETA V+I+A"].tolist() == [0] + ["not run yet"] * (plain.shape[1] - 1)  # 0 folds
    assert plain.loc["VIPeR V", "folds"] == 2 and table.loc[("Ours", "reproduced"), "folds"] == 2
    assert str(table.loc[("Ours Multi-Label", "reproduced"), "folds"]) == "0"  # not "0.0"
    one = cmc_table(frame.iloc[:1], "table4").loc[("Ours", "reproduced")]  # one fold: no sd to show
    assert one["folds"] == 1 and one["CMC 1"] == "30.0"
    assert plain.loc["VIPeR V", "CMC 1"] == "32.0 ± 2.8" and plain.loc["VIPeR V", "mAP"] == "41.0 ± 1.4"


def test_every_page_says_how_many_folds_are_stored_of_those_declared():
    from reidlab.report import profile_note

    frame = pd.DataFrame({"variant": ["Ours", "Ours", "Ours"], "fold": [0, 1, 2], "dataset": "viper",
                          "device": ["cpu", "cpu", "NVIDIA H100"]})
    note = profile_note("fast", True, "table4", frame)
    assert max(map(len, note.splitlines())) <= 64  # read without scrolling
    flat = " ".join(note.split())
    assert "10 test folds per variant declared; stored: Ours 3/10, Ours Multi-Label 0/10;" in flat
    assert "Data: real data (viper). Finished on: cpu (2 runs), NVIDIA H100 (1 run);" in flat
    assert flat.startswith("Profile fast: deviations") and "10 fold" not in flat.split("Folds:")[0]  # said once
    assert "SYNTHETIC" in profile_note("smoke", False, "fig4")
    # an analysis page names the network it analyses
    assert 'Data: real data (viper); the network of Table IV "Ours", fold 0.' in " ".join(
        profile_note("fast", True, "fig9").split())


def test_initialisation_pairs_each_fold_from_seed_0_and_from_seed_fold(tmp_path):
    """The same fold from two seeds: only the seed differs; fold 0 (seed 0 either way) stays out."""
    import json

    from reidlab.report import initialisation
    from reidlab.study import plan

    def store(seed: int, fold: int, rank1: float) -> None:
        run = next(r for r in plan("table4", "fast", False, {"seed": seed}) if r.variant == "Ours" and r.fold == fold)
        (tmp_path / run.identity).mkdir()
        metrics = {"mAP": rank1 + 10, "cmc_auc": 0.5, "cmc": {"1": rank1}, "cmc_curve": [rank1],
                   "train_time_s": 60.0}
        (tmp_path / run.identity / "metrics.json").write_text(json.dumps(metrics))

    for fold, (same, own) in enumerate([(30, 30), (20, 23), (22, 24), (24, 28)]):
        store(0, fold, same)
        if fold:
            store(fold, fold, own)
    table = initialisation(tmp_path, False, "fast")
    assert table.loc["Ours: seed 0", "rank1"] == "22.0 ± 2.0"  # folds 1-3 only
    assert table.loc["Ours: seed = fold", "rank-1 diff"] == "+3.0 ± 1.0"
    assert table.loc["Ours: seed = fold", "common folds"] == "3"
    assert table.loc["Ours: seed = fold", "one run's SD rank-1 / mAP"] == "0.7 / 0.7"  # sd(3, 2, 4) / sqrt(2)
    assert table.loc["Ours: seed 0", "one run's SD rank-1 / mAP"] == "-"
    assert "verification only: seed 0" not in table.index  # nothing stored


def test_a_declared_schedule_without_runs_is_a_row_that_says_so():
    from reidlab.report import NOT_RUN_ROW

    frame = pd.DataFrame({"variant": ["fp32"] * 3, "fold": [0, 1, 2], "rank1": [30.0, 31.0, 29.0],
                          "rank10": [75.0] * 3, "mAP": [45.0] * 3, "metrics": [{"train_time_s": 10.0}] * 3})
    table = schedule_table(frame, "fp32", declared=["fp32", "bf16"])
    assert table.loc["bf16", "verdict"] == NOT_RUN_ROW and table.loc["bf16", "folds"] == 0
    assert table.loc["fp32", "rank1"] == "30.0 ± 1.0" and "bf16" not in schedule_table(frame, "fp32").index


def test_fig6_relative_auc_by_hand_on_shared_folds_and_a_row_per_declared_attribute():
    """Fold 2 of the baseline has no "jeans" run, so it stays out of jeans' ratio."""
    from reidlab.report import NOT_RUN_ROW, relative_auc, relative_auc_table

    frame = pd.DataFrame({"variant": ["none"] * 3 + ["jeans"] * 2, "fold": [0, 1, 2, 0, 1],
                          "cmc_auc": [0.80, 0.90, 0.50, 0.88, 0.96]})
    assert relative_auc(frame)["jeans"] == pytest.approx((0.88 + 0.96) / (0.80 + 0.90))
    table = relative_auc_table(frame, ["none", "jeans", "sex"])
    assert table.loc["jeans", "relative CMC AUC"] == f"{1.84 / 1.70:.3f}" and table.loc["jeans", "folds"] == 2
    assert table.loc["none", "relative CMC AUC"] == "1.000" and table.loc["none", "folds"] == 3
    assert table.loc["sex", "relative CMC AUC"] == NOT_RUN_ROW and table.loc["sex", "folds"] == 0
    assert (relative_auc_table(frame.iloc[3:], ["none", "jeans"])["relative CMC AUC"] == NOT_RUN_ROW).all()


def test_pooled_headline_by_hand():
    from reidlab.report import with_pooled

    sets = ["Ours, seed 0", "Ours, seed = fold", "Ours, seed = 100 + fold"]
    rows = [(v, f, r) for f, values in ((0, (30.0, 30.0, 33.0)), (1, (29.0, 32.0, 35.0))) for v, r in zip(sets, values)]
    rows.append(("Ours, seed 0", 2, 31.0))  # fold 2 has one set only: no pooled row there
    frame = pd.DataFrame({"variant": [v for v, _, _ in rows], "fold": [f for _, f, _ in rows], "dataset": "viper",
                          "mAP": [r + 10 for *_, r in rows], "cmc_auc": 0.5, "run": "r", "metrics": [{}] * len(rows),
                          "network": [f"{v} {f}" for v, f, _ in rows],
                          "curve": [np.array([r, 100.0]) for *_, r in rows],
                          **{f"rank{k}": [r for *_, r in rows] for k in (1, 5, 10, 20, 50)}})
    pooled = with_pooled(frame)
    pooled = pooled[pooled.variant == "Ours, 3 seed sets"].set_index("fold")
    # fold 0: (30 + 30 + 33) / 3 = 31 (seed 0 = fold 0: one run, counted in both sets); fold 1: 32
    assert pooled.rank1.to_dict() == {0: 31.0, 1: 32.0} and pooled.loc[1, "mAP"] == 42.0
    assert list(pooled.loc[0, "curve"]) == [31.0, 100.0]


def _stored_run(store, name: str, record: dict, fold: int = 0, epochs: int = 20) -> None:
    """A finished run's files as far as provenance reads them."""
    import json

    (store / name).mkdir(parents=True)
    (store / name / "config.yaml").write_text(f"dataset: viper\ntasks: V+I+A+P\nfold: {fold}\nseed: {fold}\n"
                                              f"epochs: {epochs}\n")
    (store / name / "provenance.json").write_text(json.dumps({"device": "cpu (x86_64, 1 threads, 2 cores)", **record}))


def test_provenance_classes_a_run_by_where_its_commit_is_and_what_was_entered_by_hand(tmp_path):
    """Recorded (HEAD, no note), reconstructed by hand (HEAD, a note), outside the history (an unknown
    commit, replayed or not): each row says what the class rests on."""
    import subprocess

    from reidlab.provenance import BY_HAND, OUTSIDE, RECORDED
    from reidlab.report import NOT_REPLAYED, provenance_runs, provenance_table

    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    if not head:
        pytest.skip("needs the git history")
    lost = "0123456789abcdef0123456789abcdef01234567"
    store = tmp_path / "store"
    _stored_run(store, "known", {"git_commit": head})
    _stored_run(store, "handmade", {"git_commit": head, "git_commit_note": "corrected by hand: the copy said 90f3c0a"})
    _stored_run(store, "lost", {"git_commit": lost}, fold=1)
    _stored_run(store, "resumed", {"git_commit": head, "segments": [  # code outside the history in one stretch
        {"first_epoch": 1, "device": "cpu", "git_commit": head}, {"first_epoch": 5, "device": "cpu", "git_commit": lost}]})
    (tmp_path / "provenance").mkdir()
    pd.DataFrame({"run": ["lost"], "commit": [lost[:7]], "commit in history": [False], "epochs": [1], "equal": [False],
                  "max relative difference": [1.5e-4]}).to_csv(tmp_path / "provenance" / "replay.csv", index=False)

    runs = provenance_runs(store, True)
    assert runs["class"].to_dict() == {"handmade": BY_HAND, "known": RECORDED, "lost": OUTSIDE, "resumed": OUTSIDE}
    assert runs.loc["lost", "replay"] == "1.5e-04 (epoch 1)" and runs.loc["resumed", "replay"] == NOT_REPLAYED
    assert runs.loc["resumed", "commit"] == f"{head[:7]} → 0123456"
    assert runs.loc["lost", "trained"] == "viper V+I+A+P, fold 1, seed 1"
    assert provenance_runs(store, False).loc["lost", "replay"] == NOT_REPLAYED  # replays are the real store's

    table = provenance_table(store, True)
    assert table.loc[RECORDED, "runs"] == 1 and table.loc[BY_HAND, "note or replay"].startswith("corrected by hand")
    outside = table.loc[OUTSIDE].set_index("run")
    assert outside["note or replay"].to_dict() == {"lost": "1.5e-04 (epoch 1)", "resumed": NOT_REPLAYED}


def test_device_segments_say_which_epochs_ran_where_and_who_says_so(tmp_path):
    """A note beside the record (what the history says) is shown beside the recorded device; a run's own
    segments count when they name two kinds of device, not two thread counts of one CPU."""
    import json

    from reidlab.provenance import NOTES
    from reidlab.report import device_segments

    cpu = "cpu (x86_64, 1 threads, 2 cores)"
    _stored_run(tmp_path, "noted", {"git_commit": "abc"})
    (tmp_path / "noted" / NOTES).write_text(json.dumps({"device_segments": [
        {"epochs": "1-10", "device": "NVIDIA H100", "source": "b980cc8: epochs 1-10 on the H100"},
        {"epochs": "11-20", "device": cpu, "source": "b980cc8"}]}))
    _stored_run(tmp_path, "resumed", {"git_commit": "abc", "segments": [
        {"first_epoch": 1, "device": cpu, "git_commit": "abc"},
        {"first_epoch": 8, "device": "NVIDIA H200", "git_commit": "def"}]})
    _stored_run(tmp_path, "threads", {"git_commit": "abc", "segments": [
        {"first_epoch": 1, "device": "cpu (x86_64, 2 threads, 2 cores)", "git_commit": "abc"},
        {"first_epoch": 5, "device": cpu, "git_commit": "abc"}]})
    _stored_run(tmp_path, "one device", {"git_commit": "abc"})

    table = device_segments(tmp_path).reset_index()
    assert list(table.run) == ["noted", "noted", "resumed", "resumed"]
    noted = table[table.run == "noted"]
    assert list(noted.device) == ["NVIDIA H100", cpu] and set(noted["device recorded"]) == {cpu}
    assert noted.source.iloc[0].startswith("b980cc8")
    resumed = table[table.run == "resumed"]
    assert list(resumed.epochs) == ["1-7", "8-20"] and list(resumed.device) == [cpu, "NVIDIA H200"]
    assert "recorded at run time; code def" in resumed.source.iloc[1]


def test_seed_sets_show_each_set_and_its_equivalence_with_the_paper(tmp_path, monkeypatch):
    from reidlab import report

    def frame(item, profile, real, store, overrides=None):  # Ours from seed 0 on 3 folds, 33.6 - 1, -2, 0
        rank1 = [32.6, 31.6, 33.6]
        return pd.DataFrame({"variant": "Ours, seed 0", "fold": range(3), "dataset": "viper", "device": "cpu (x86)",
                             "mAP": 40.0, "cmc_auc": 0.5, "run": "r", "network": ["n0", "n1", "n2"],
                             "curve": [np.array([r]) for r in rank1],
                             "metrics": [{}] * 3, **{f"rank{k}": rank1 for k in (1, 5, 10, 20, 50)}})

    monkeypatch.setattr(report, "runs_frame", frame)
    table = report.seed_sets("fast", True, tmp_path)
    assert table.loc["Ours, seed 0", "folds"] == "3/10" and table.loc["Ours, seed 0", "finished on"] == "cpu x3"
    # d = -1, -2, 0: mean -1, sd 1, se 0.577; t(0.95, 2) = 2.920: 90% [-2.69, +0.69], inside +-3.2
    assert table.loc["Ours, seed 0", "CMC 1 - 33.6: equivalence"] == "-1.0, 90% [-2.7, +0.7] in +-3.2?: holds"
    assert table.loc["Ours, 3 seed sets", "CMC 1"] == "not run yet"  # the other sets are not stored

    def three_sets(item, profile, real, store, overrides=None):  # every set on folds 0-1: the headline waits
        runs = pd.concat([frame(item, profile, real, store).assign(variant=f"Ours, {s}") for s in report.SEED_SETS])
        return runs[runs.fold < 2]

    monkeypatch.setattr(report, "runs_frame", three_sets)
    table = report.seed_sets("fast", True, tmp_path)
    assert table.loc["Ours, 3 seed sets", "folds"] == "2/10"
    # each set alone is judged on the folds it has: d = -1, -2: mean -1.5, sd 0.707, se 0.5; t(0.95, 1) = 6.314:
    # 90% [-4.66, +1.66], not inside +-3.2; (1.645 x 0.707 / 1.7)^2 < 1 and (1.96 x 0.707 / 1.5)^2 < 1: 3 folds
    assert table.loc["Ours, seed 0", "CMC 1 - 33.6: equivalence"] == \
        "-1.5, 90% [-4.7, +1.7] in +-3.2?: inconclusive (2 folds: a verdict needs 3; about 3 folds would decide it)"
    # the pooled headline is decided on the 10 pre-registered folds only
    assert table.loc["Ours, 3 seed sets", "CMC 1 - 33.6: equivalence"] == \
        "pending (pre-registered on 10 folds; 2 have every set)"


def test_table1_says_which_attributes_the_head_never_predicts():
    from reidlab.report import never_predicted

    columns = pd.MultiIndex.from_product([["paper", "reproduced"], ["accuracy", "precision", "recall", "entropy"]])
    table = pd.DataFrame([[93, 0.0, 0.0, 0.34, 88, 0.46, 0.07, 0.51], [91, 0.0, 0.0, 0.41, 97.9, 0.0, 0.0, 0.17],
                          [78, 0.36, 0.21, 0.71, 90.4, 0.0, 0.0, 0.47]], index=["Sandals", "V-Neck", "Logo"],
                         columns=columns)
    said = never_predicted(table)
    assert said.startswith("2 attribute(s) are never predicted present") and ": V-Neck, Logo." in said
    assert "(entropy 0.17-0.47 bits of 1)" in said and said.endswith("shows 0.00 for Sandals, V-Neck.")
    table.loc["Logo", ("reproduced", "precision")] = table.loc["V-Neck", ("reproduced", "recall")] = 0.5
    assert never_predicted(table).startswith("Every attribute is predicted present")


def test_a_citation_reads_as_the_references_page_lists_it(tmp_path):
    from reidlab.report import citation

    bib = tmp_path / "r.bib"
    bib.write_text("@article{one2001,\n  author = {Solo, Han},\n  year = {2001}\n}\n\n"
                   "@inproceedings{two2002,\n  author    = {Ana, B. and Cruz, D.},\n  title = {T},\n  year      = {2002},\n}\n\n"
                   "@misc{three2003,\n  author = {Xu, A. and Yi, B. and Zo, C.},\n  year = {2003}\n}\n")
    assert [citation(k, bib) for k in ("one2001", "two2002", "three2003")] == [
        "Solo 2001", "Ana and Cruz 2002", "Xu et al. 2003"]
    assert citation("missing", bib) == "missing" and citation("one2001", tmp_path / "none.bib") == "one2001"


def test_gallery_bars_sets_each_pair_beside_both_paper_tables():
    from reidlab.paper import table6_beside_table7, table6_gallery
    from reidlab.report import gallery_bars

    ours = pd.Series({"viper->3dpes entropy, one image": 25.0, "viper->3dpes entropy, all images": 40.0,
                      "viper->caviar none, all images": 50.0})
    bars = gallery_bars(ours, table6_gallery().rank1, table6_beside_table7())
    assert list(bars.index) == ["viper->3dpes entropy", "viper->caviar none"]  # stored pairs only, declared order
    assert bars.loc["viper->3dpes entropy"].tolist() == [25.0, 40.0, 36.6, 26.0]  # the paper's Tables VI and VII
    assert np.isnan(bars.loc["viper->caviar none", "ours, one image"])
    assert bars.loc["viper->caviar none", "paper, Table VI"] == 80.6


def test_fine_tuning_by_fold_sets_each_schedule_beside_from_scratch_on_the_same_fold():
    from reidlab.report import fine_tuning_by_fold, fine_tuning_summary

    runs = pd.DataFrame([("caviar none", 0, 33.0), ("caviar none", 1, 30.0), ("caviar VIPeR", 0, 8.2),
                         ("caviar VIPeR", 1, 12.4), ("caviar VIPeR, paper's rate", 0, 22.0),
                         ("caviar none, paper's schedule", 0, 31.0), ("caviar VIPeR, paper's schedule", 0, 36.5)],
                        columns=["variant", "fold", "rank1"])
    table = fine_tuning_by_fold(runs, ["caviar", "ilids"])
    assert table.loc[("caviar", 0, "fast"), "Δ"] == -24.8
    assert table.loc[("caviar", 0, "fast, paper's rate"), "Δ"] == -11.0  # beside the fast schedule's scratch
    assert table.loc[("caviar", 0, "paper's schedule"), "Δ"] == 5.5
    assert list(table.loc[("caviar", 1)].index) == ["fast"]  # no row for a schedule without a run on that fold
    assert "ilids" not in table.index.get_level_values("dataset")  # no runs, no rows
    summary = fine_tuning_summary(table).replace("\n  ", " ")
    assert "caviar: Δ fast -21.2 (2 folds); fast, paper's rate -11.0 (1 fold); paper's schedule +5.5 (1 fold)" in summary
    assert "(paper: +9.1)" in summary  # 38.2 - 29.1


def test_table5_claims_carry_the_fine_tuning_caveat():
    from reidlab.study import FINE_TUNING_CAVEAT, claims

    table5 = [c for item, c in claims() if item == "table5"]
    assert table5 and all(c.caveat == FINE_TUNING_CAVEAT for c in table5)
    others = {c.a: c.caveat for item, c in claims() if item != "table5" and c.caveat}
    assert list(others) == ["ilids->viper"] and "schedule" in others["ilids->viper"]  # Table VII's check


def test_table7_others_are_the_papers_comparisons_its_claims_cite():
    from reidlab.paper import table7_others
    from reidlab.study import ITEMS

    others = table7_others()
    assert not any(v.endswith(" Ours") for v in others.index) and len(others) == 9
    for claim in ITEMS["table7"].claims:  # each claim's number is a row of the table the page shows
        assert (others.rank1 == claim.b).any()
    assert others.loc["cuhk01->viper DML", "rank1"] == 16.17 and "rank5" not in others  # the paper gives no rank 5


def test_a_page_names_the_other_pages_that_show_the_same_network_with_the_papers_numbers():
    from reidlab.report import same_networks

    lines = same_networks("table2", "fast", real_data=True)
    default = next(line for line in lines if line.startswith("'VIPeR entropy'"))
    assert "Table IV 'Ours' (paper 33.6)" in default and "Table III '16/64/64 f128' (paper 31)" in default
    assert default.endswith("the paper's rank-1 for it here: 29.8.")  # the paper's own spread: 29.8 / 31 / 33.6
    assert not any(line.startswith("'VIPeR none'") for line in lines)  # a network of this page alone


def test_peta_gallery_hypothesis_by_its_declared_criterion():
    from reidlab.paper import table2_gallery
    from reidlab.report import gallery_hypothesis
    from reidlab.study import ALL_IMAGES, ONE_IMAGE

    def runs(one, every, folds=3):  # rank-1 and rank-50 per fold, for one image and for all images
        rows = [{"variant": f"PETA entropy, {g}", "fold": f, "rank1": r1, "rank50": r50}
                for g, values in ((ONE_IMAGE, one), (ALL_IMAGES, every)) for f, (r1, r50) in enumerate(values[:folds])]
        return pd.DataFrame(rows)

    theirs = table2_gallery()  # 50.1 / 97.0
    one, every = [(31.0, 95.0), (32.0, 96.0), (33.0, 97.0)], [(48.0, 96.0), (49.0, 97.0), (50.0, 98.0)]
    # all images: rank-1 49 - 50.1 = -1.1, rank-50 97 - 97 = 0 (both within 3.2); one image: 32 - 50.1 = -18.1
    text = gallery_hypothesis(runs(one, every), theirs, 3)
    assert "rank-1 -1.1 and rank-50 +0.0; with one image rank-1 -18.1" in text
    assert "is supported" in text and "rank-1 +17.0." in text
    far = [(44.0, 96.0), (45.0, 97.0), (46.0, 98.0)]  # all images rank-1 45 - 50.1 = -5.1: outside the margin
    assert "is not supported" in gallery_hypothesis(runs(one, far), theirs, 3)
    assert gallery_hypothesis(runs(one, every, folds=2), theirs, 3) == \
        "The criterion is decided on 3 folds with both galleries; 2 stored."


def test_schedule_check_by_hand():
    """Table VII's i-LIDS network at the paper's schedule beside its three fast networks."""
    from reidlab.report import schedule_check, schedule_check_summary

    rank1 = {"ilids->viper": [5.0, 6.0, 7.0, 30.0], "ilids->viper, seed 1": [4.5, 5.5, 6.5],
             "ilids->viper, seed 2": [5.5, 6.5, 7.5], "ilids->viper, paper's schedule": [8.0, 9.0, 10.0]}
    frame = pd.DataFrame([(v, f, r, 2 * r) for v, rs in rank1.items() for f, r in enumerate(rs)],
                         columns=["variant", "fold", "rank1", "mAP"])
    table = schedule_check(frame, "table7")
    checked = table.loc["ilids->viper"]
    assert list(checked.index) == ["ilids->viper", "ilids->viper, seed 1", "ilids->viper, seed 2",
                                   "ilids->viper, paper's schedule"]
    # folds 0-2 only (fold 3 is seed 0's alone): networks 6.0, 5.5, 6.5 and 9.0; mAP twice that
    assert list(checked.rank1) == [6.0, 5.5, 6.5, 9.0] and checked.mAP.iloc[-1] == 18.0
    assert list(checked["stored folds"]) == [4, 3, 3, 3]
    assert set(checked.folds) == {"0, 1, 2"} and set(checked["paper rank1"]) == {9.7}
    assert table.loc["ilids->prid", "rank1"].isna().all()  # not run: no folds in common
    # sd 0.5 over 3 networks: 6.0 +- 4.303 x 0.5 x sqrt(4/3) = [3.5, 8.5]; 9.0 is above, 3.0 of the 3.7 gap
    said = schedule_check_summary(table).replace("\n  ", " ")
    assert "would fall in [3.5, 8.5] (95%): above the range of one more fast network: the schedule matters, " \
           "closing 81% of the gap to the paper" in said and "ilids->prid: not run yet at the paper's schedule" in said
    inside = frame.assign(rank1=frame.rank1.where(frame.variant != "ilids->viper, paper's schedule", 7.0))
    said = schedule_check_summary(schedule_check(inside, "table7")).replace("\n  ", " ")
    assert "the paper's schedule 7.0" in said and "the schedule is not shown to explain the gap" in said
    beyond = frame.assign(rank1=frame.rank1.where(frame.variant != "ilids->viper, paper's schedule", 11.0))
    said = schedule_check_summary(schedule_check(beyond, "table7")).replace("\n  ", " ")
    assert "closing all of the gap to the paper (+1.3 beside it)" in said
    # at the paper's profile the check's network is the seed-0 network itself: nothing to compare
    one = frame.assign(network=frame.variant.replace({"ilids->viper, paper's schedule": "ilids->viper"}))
    assert "ilids->viper" not in schedule_check(one, "table7").index.get_level_values("checked")
    assert schedule_check_summary(schedule_check(one, "table7").iloc[:0]).startswith("At this profile")
