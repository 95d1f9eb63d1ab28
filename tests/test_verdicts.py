"""Verdicts on the paper's claims: paired statistics recomputed by hand on tiny inputs."""

import numpy as np
import pandas as pd
import pytest

from reidlab.verdicts import equivalence_p, folds_to_decide, interval, paired_effect, units_to_decide, verdict


def test_paired_effect_by_hand():
    a = pd.Series([30.0, 32.0, 34.0, 99.0], index=[0, 1, 2, 3])
    b = pd.Series([28.0, 31.0, 33.0], index=[0, 1, 2])  # fold 3 has A only: left out
    e = paired_effect(a, b)
    # d = 2, 1, 1: mean 4/3, sd sqrt(1/3), se 1/3; t(0.975, 2) = 4.3027; t = 4, p = 0.0572
    assert (e.n, e.mean) == (3, pytest.approx(4 / 3))
    assert (e.low, e.high) == (pytest.approx(4 / 3 - 4.3027 / 3, abs=1e-3), pytest.approx(4 / 3 + 4.3027 / 3, abs=1e-3))
    assert e.p == pytest.approx(0.0572, abs=1e-3)
    assert verdict(e).startswith("inconclusive (about")
    # (1.96 sd / mean)^2 = 0.72 folds: already decided by that rule, so one fold more than now
    assert folds_to_decide(e) == 4


def test_verdict_rules():
    up = paired_effect(pd.Series([30.0, 31.0, 32.0, 33.0]), pd.Series([20.0, 20.5, 21.0, 22.0]))
    assert verdict(up) == "holds"
    down = paired_effect(pd.Series([20.0, 20.5, 21.0, 22.0]), pd.Series([30.0, 31.0, 32.0, 33.0]))
    assert verdict(down) == "contradicted"
    assert verdict(paired_effect(pd.Series([30.0]), pd.Series([20.0]))).startswith("inconclusive (1 fold")
    low = paired_effect(pd.Series([23.0, 23.5, 24.0]), 33.6)
    assert verdict(low, "reaches") == "contradicted (lower than the paper)"
    assert verdict(paired_effect(pd.Series([43.0, 43.5, 44.0]), 33.6), "reaches") == "contradicted (higher than the paper)"
    assert paired_effect(pd.Series(dtype=float), 33.6) is None


def test_reaches_is_an_equivalence_test_by_hand():
    # d = 31 - 33.6, 33 - 33.6, 35 - 33.6 = -2.6, -0.6, 1.4: mean -0.6, sd 2, se 1.1547
    near = paired_effect(pd.Series([31.0, 33.0, 35.0]), 33.6)
    # t(0.95, 2) = 2.9200: the 90% interval is -0.6 +- 3.3717 = [-3.97, 2.77], not inside +-3.2
    assert interval(near, 0.90) == (pytest.approx(-3.9717, abs=1e-3), pytest.approx(2.7717, abs=1e-3))
    # the 95% interval holds 0 (the old rule said "holds"): a failed rejection is no equivalence
    assert near.low < 0 < near.high
    assert verdict(near, "reaches", margin=3.2).startswith("inconclusive (about")
    # TOST: t = (-0.6 + 3.2) / 1.1547 = 2.2517 and (-0.6 - 3.2) / 1.1547 = -3.2909, 2 df:
    # p = max(sf(2.2517), cdf(-3.2909)) = max(0.0766, 0.0406)
    assert equivalence_p(near, 3.2) == pytest.approx(0.0766, abs=1e-3)
    # the same differences three times: sd sqrt(3 x 8 / 8) = 1.7321, se 0.5774, t(0.95, 8) = 1.8595:
    # 90% [-1.674, +0.474], inside +-3.2
    many = paired_effect(pd.Series([31.0, 33.0, 35.0] * 3), 33.6)
    assert interval(many, 0.90) == (pytest.approx(-1.6737, abs=1e-3), pytest.approx(0.4737, abs=1e-3))
    assert verdict(many, "reaches", margin=3.2) == "holds"
    assert equivalence_p(many, 3.2) < 0.05
    # a difference shown (the 95% interval below 0) but not within the margin: lower than the paper
    # like Table IV's seed-0 set (-2.6 [-4.5, -0.7]): here mean -2.9, the 95% interval below 0
    seed0 = paired_effect(pd.Series([29.1, 31.0, 32.9, 29.1, 31.0, 32.9, 29.1, 31.0, 32.9, 28.0]), 33.6)
    assert seed0.high < 0 and interval(seed0, 0.90)[0] < -3.2
    assert verdict(seed0, "reaches", margin=3.2) == "contradicted (lower than the paper)"
    # a small but certain difference inside the margin: equivalent, so the claim holds
    small = paired_effect(pd.Series([32.0, 32.1, 32.2, 32.3]), 33.6)
    assert small.high < 0 and verdict(small, "reaches", margin=3.2) == "holds"


def test_matches_rule_by_hand():
    # d = 1, 2, 0, 1: mean 1, sd sqrt(2/3) = 0.8165, se 0.4082; t(0.95, 3) = 2.3534: 90% [0.039, 1.961]
    same = paired_effect(pd.Series([31.0, 32.0, 30.0, 31.0]), pd.Series([30.0] * 4))
    assert interval(same, 0.90) == (pytest.approx(1 - 0.9607, abs=1e-3), pytest.approx(1 + 0.9607, abs=1e-3))
    assert verdict(same, "matches", margin=3.0) == "holds"  # inside +-3
    assert verdict(same, "matches", margin=1.5, than="3 layers") == "inconclusive (about 5 folds would decide it)"
    # inside +-1.5 needs (1.645 sd / (1.5 - 1))^2 = 7.2 folds; leaving 0 needs (1.96 sd / 1)^2 = 2.6: 5
    assert folds_to_decide(same, 1.5, 1.645) == 8 and folds_to_decide(same) == 5
    assert units_to_decide(same, "matches", 1.5) == 5 and units_to_decide(same, "matches", 3.0) is not None
    far = paired_effect(pd.Series([40.0, 41.0, 42.0]), pd.Series([30.0, 30.0, 30.0]))
    assert verdict(far, "matches", than="3 layers") == "contradicted (higher than 3 layers)"
    # d = 0, 2: mean 1, sd sqrt(2); (1.96 * 1.414 / 1)^2 = 7.7
    assert verdict(paired_effect(pd.Series([30.0, 31.0]), pd.Series([30.0, 29.0])), "beats") \
        == "inconclusive (2 folds: a verdict needs 3; about 8 folds would decide it)"
    # d = 10, 10.5: the 95% interval (t = 12.7 on one degree of freedom) is [+7.1, +13.4], clear of 0,
    # yet two folds decide nothing (MIN_UNITS); a third would
    clear = paired_effect(pd.Series([40.0, 40.5]), pd.Series([30.0, 30.0]))
    assert clear.low > 0 and verdict(clear, "beats") == "inconclusive (2 folds: a verdict needs 3; about 3 folds would decide it)"
    third = paired_effect(pd.Series([40.0, 40.5, 40.2]), pd.Series([30.0, 30.0, 30.0]))
    assert verdict(third, "beats") == "holds"
    # folds that tie (rank-1 moves in steps of 100/316 on VIPeR) have no spread: a zero-width interval
    # would make 0.0 "hold" and 1.0 "beat"; neither is evidence, whatever the mean
    flat = paired_effect(pd.Series([30.0, 30.0, 30.0]), pd.Series([30.0] * 3))
    assert verdict(flat, "matches") == "inconclusive (3 folds, all the same difference: no spread to judge by)"
    assert np.isnan(equivalence_p(flat, 3.2)) and np.isnan(flat.p)
    tied = paired_effect(pd.Series([31.0, 32.0]), pd.Series([30.0, 31.0]))
    assert tied.sd == 0 and verdict(tied, "beats").startswith("inconclusive (2 folds")
    assert units_to_decide(tied, "beats") is None and units_to_decide(flat, "matches") is None


def test_every_claim_of_the_manifest_gets_a_row(tmp_path):
    from reidlab.study import claims
    from reidlab.verdicts import claims as table

    rows = table("fast", True, tmp_path)  # an empty store: every claim pending, none dropped
    assert len(rows) == len(claims()) >= 12
    assert set(rows.verdict) == {"pending"} and rows["folds to decide"].isna().all()
    # the paper's effect comes from its table where it has both sides (Table II: 29.8 - 27.8)
    entropy = rows[rows.claim.str.startswith("Entropy attribute weighting beats no weighting on VIPeR")]
    assert entropy.paper.item() == "+2.0 (29.8 vs 27.8)"


def test_tally_counts_each_kind_of_verdict():
    from reidlab.verdicts import tally

    table = pd.DataFrame({"verdict": ["holds", "holds", "contradicted", "contradicted (lower than the paper)",
                                      "inconclusive (about 7 folds would decide it)", "pending"]})
    assert tally(table) == "6 claims: 2 holds, 2 contradicted, 1 inconclusive, 1 pending."


def test_a_verdict_word_drops_its_parenthesis_only():
    from reidlab.verdicts import verdict_word

    assert verdict_word("inconclusive (about 7 folds would decide it)") == "inconclusive"
    assert verdict_word("contradicted (lower than 11.61)") == "contradicted"
    assert verdict_word("no verdict: synthetic data") == "no verdict: synthetic data"


def test_the_pre_registered_headline_is_decided_on_all_its_folds(monkeypatch, tmp_path):
    import numpy as np

    from reidlab.verdicts import claims

    def frame(folds):
        sets = ["Ours, seed 0", "Ours, seed = fold", "Ours, seed = 100 + fold"]
        rows = [(v, f) for f in range(folds) for v in sets]
        return lambda *a, **k: pd.DataFrame({
            "variant": [v for v, _ in rows], "fold": [f for _, f in rows], "dataset": "viper", "device": "cpu",
            "mAP": 40.0, "cmc_auc": 0.5, "run": "r", "network": [f"{v} {f}" for v, f in rows],
            "curve": [np.array([33.0])] * len(rows), "metrics": [{}] * len(rows),
            **{f"rank{k}": [33.0 + 0.1 * (f % 3) for _, f in rows] for k in (1, 5, 10, 20, 50)}})

    monkeypatch.setattr("reidlab.report.runs_frame", frame(3))
    row = claims("fast", True, tmp_path, items=["replication"]).iloc[0]
    assert row.n == 3 and row.verdict == "pending (pre-registered on 10 folds; 3 have every set)"
    monkeypatch.setattr("reidlab.report.runs_frame", frame(10))
    row = claims("fast", True, tmp_path, items=["replication"]).iloc[0]
    assert row.n == 10 and row.verdict == "holds"  # 33.0-33.2 on every fold: within 3.2 of 33.6


def test_an_inconclusive_claim_carries_the_folds_its_verdict_names(monkeypatch, tmp_path):
    from reidlab.verdicts import claims

    rank1 = {"2 layers": [30.0, 32.0, 28.0], "3 layers": [31.0, 31.0, 31.0], "4 layers": [31.0, 33.0, 29.0]}
    rows = [(v, f, r, f"{v} {f}") for v, folds in rank1.items() for f, r in enumerate(folds)]
    frame = _frame(rows).assign(mAP=0.0, **{f"rank{k}": 0.0 for k in (5, 10, 20, 50)})
    monkeypatch.setattr("reidlab.report.runs_frame", lambda *a, **k: frame)
    table = claims("fast", True, tmp_path, items=["fig7"])
    undecided = table[table.verdict.str.startswith("inconclusive (about")]
    assert len(undecided) == 2  # 3 beats 2 and 4 matches 3: d = -1, 1, -3 and 0, 2, -2, both undecided
    for text, folds in zip(undecided.verdict, undecided["folds to decide"]):
        assert f"about {folds} folds would decide it" in text
    synthetic = claims("fast", False, tmp_path, items=["fig7"])  # the same numbers, drawn on synthetic data
    assert set(synthetic.verdict) == {"no verdict: synthetic data"} and synthetic["folds to decide"].isna().all()


def _frame(rows: list[tuple[str, int, float, str]]) -> pd.DataFrame:
    """Stored runs as ``report.runs_frame`` gives them: (variant, fold, rank-1, network)."""
    return pd.DataFrame(rows, columns=["variant", "fold", "rank1", "network"])


def test_folds_that_evaluate_one_network_are_one_unit_by_hand():
    from reidlab.verdicts import claim_effect

    one = _frame([("ilids->viper", f, r, "N") for f, r in enumerate([5.0, 6.0, 7.0])])
    e = claim_effect(one, "ilids->viper", 11.61, "table7")
    assert (e.n, e.unit, e.mean) == (1, "network", pytest.approx(6.0 - 11.61))  # not 3 folds: one training
    assert verdict(e, "matches") == "inconclusive (1 network, its folds vary the test persons only: no spread to judge by)"
    # two more seeds (``Claim.also``): each network's mean over its folds is a unit
    more = _frame([("ilids->viper, seed 1", 0, 4.0, "M"), ("ilids->viper, seed 1", 1, 6.0, "M"),
                   ("ilids->viper, seed 2", 0, 8.0, "K")])
    e = claim_effect(pd.concat([one, more]), "ilids->viper", 11.61, "table7",
                     ("ilids->viper, seed 1", "ilids->viper, seed 2"))
    units = pd.Series([6.0, 5.0, 8.0]) - 11.61  # N, M, K
    assert (e.n, e.unit, e.mean) == (3, "network", pytest.approx(units.mean()))
    assert e.sd == pytest.approx(units.std(ddof=1))
    # networks of their own on each fold: the folds are the units, as before
    own = _frame([("ilids->viper", f, r, f"N{f}") for f, r in enumerate([5.0, 6.0, 7.0])])
    e = claim_effect(own, "ilids->viper", 11.61, "table7")
    assert (e.n, e.unit) == (3, "fold") and e == paired_effect(pd.Series([5.0, 6.0, 7.0]), 11.61)
    assert verdict(e, "matches") == "contradicted (lower than B)"


def test_an_average_over_networks_is_tested_over_its_network_pairs_by_hand():
    from itertools import permutations

    from reidlab.report import with_averages
    from reidlab.verdicts import claim_effect

    gain = {"viper": 1.0, "ilids": 2.0, "3dpes": 4.0, "caviar": 5.0}  # entropy minus none, by source network
    rows = [(f"{a}->{b} {w}", fold, 20.0 + fold + (gain[a] if w == "entropy" else 0.0) + (w == "equal"), f"{a} {w}")
            for a, b in permutations(gain, 2) for w in ("entropy", "equal", "none") for fold in (0, 1)]
    frame = _frame(rows).assign(curve=[np.array([0.2])] * len(rows), mAP=0.0, cmc_auc=0.0,
                                **{f"rank{k}": 0.0 for k in (5, 10, 20, 50)})
    e = claim_effect(with_averages(frame, "table6"), "Average entropy", "Average none", "table6")
    # 12 pairs x 2 folds, but 4 pairs of trained networks (one per source, each on 3 test sets and 2 folds)
    assert (e.n, e.unit) == (4, "network pair")
    assert (e.mean, e.sd) == (pytest.approx(3.0), pytest.approx(pd.Series(gain).std(ddof=1)))
