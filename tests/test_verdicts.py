"""Verdicts on the paper's claims: paired statistics recomputed by hand on tiny inputs."""

import pandas as pd
import pytest

from reidlab.verdicts import folds_to_decide, paired_effect, verdict


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
    near = paired_effect(pd.Series([31.0, 33.0, 35.0]), 33.6)  # the paper's number inside the interval
    assert verdict(near, "reaches") == "holds"
    low = paired_effect(pd.Series([23.0, 23.5, 24.0]), 33.6)
    assert verdict(low, "reaches") == "contradicted (lower than the paper)"
    assert verdict(paired_effect(pd.Series([43.0, 43.5, 44.0]), 33.6), "reaches") == "contradicted (higher than the paper)"
    assert paired_effect(pd.Series(dtype=float), 33.6) is None


def test_matches_rule_by_hand():
    # d = 1, 2, 0, 1: mean 1, sd sqrt(2/3) = 0.8165, se 0.4082; t(0.975, 3) = 3.1824: [-0.30, 2.30]
    same = paired_effect(pd.Series([31.0, 32.0, 30.0, 31.0]), pd.Series([30.0] * 4))
    assert (same.low, same.high) == (pytest.approx(1 - 1.2991, abs=1e-3), pytest.approx(1 + 1.2991, abs=1e-3))
    assert verdict(same, "matches", margin=3.0) == "holds"  # inside +-3
    assert verdict(same, "matches", margin=2.0).startswith("inconclusive (about")  # 2.30 > 2
    # (1.96 * 0.8165 / (2 - 1))^2 = 2.56: one fold more than the 4 there are
    assert folds_to_decide(same, margin=2.0) == 5
    far = paired_effect(pd.Series([40.0, 41.0, 42.0]), pd.Series([30.0, 30.0, 30.0]))
    assert verdict(far, "matches") == "contradicted"  # wholly beyond +3
    # mean exactly on the margin (d = 2, 3, 4: mean 3): no number of folds decides it
    edge = paired_effect(pd.Series([32.0, 33.0, 34.0]), pd.Series([30.0] * 3))
    assert verdict(edge, "matches", margin=3.0) == "inconclusive (the effect sits on the margin)"
    # d = 0, 2: mean 1, sd sqrt(2); (1.96 * 1.414 / 1)^2 = 7.7
    assert verdict(paired_effect(pd.Series([30.0, 31.0]), pd.Series([30.0, 29.0])), "beats") \
        == "inconclusive (about 8 folds would decide it)"


def test_every_claim_of_the_manifest_gets_a_row(tmp_path):
    from reidlab.study import claims
    from reidlab.verdicts import claims as table

    rows = table("fast", True, tmp_path)  # an empty store: every claim pending, none dropped
    assert len(rows) == len(claims()) >= 12
    assert set(rows.verdict) == {"pending"}
    # the paper's effect comes from its table where it has both sides (Table II: 29.8 - 27.8)
    entropy = rows[rows.claim.str.startswith("Entropy attribute weighting beats no weighting on VIPeR")]
    assert entropy.paper.item() == "+2.0 (29.8 vs 27.8)"


def test_tally_counts_each_kind_of_verdict():
    from reidlab.verdicts import tally

    table = pd.DataFrame({"verdict": ["holds", "holds", "contradicted", "contradicted (lower than the paper)",
                                      "inconclusive (about 7 folds would decide it)", "pending"]})
    assert tally(table) == "6 claims: 2 holds, 2 contradicted, 1 inconclusive, 1 pending."
