"""The experiment runner: plans, identities, the store, skipping finished runs."""

import json

import pytest

from reidlab.errors import ConfigError
from reidlab.experiments import ITEMS, PROFILES, plan, run_item, stored


@pytest.mark.parametrize("item", list(ITEMS))
def test_every_item_plans_valid_configs(item):
    for profile in PROFILES:
        runs = plan(item, profile, real_data=True, store=None)
        assert len(runs) == len(ITEMS[item]) * PROFILES[profile].folds
        assert len({r.identity for r in runs}) == len(runs)  # distinct configs, distinct ids
    synthetic = plan(item, "smoke", real_data=False)
    assert all(r.config.dataset == "synthetic" and r.config.test_dataset is None for r in synthetic)


def test_profiles_change_only_what_they_declare():
    paper = plan("table4", "paper", real_data=True)[0].config
    assert (paper.epochs, paper.pairs_per_step, paper.test_views) == (600, 1, "ten-crop")
    quick = plan("table4", "quick", real_data=True)[0].config
    assert quick.epochs == 100 and quick.test_views == "ten-crop"
    assert "deviations" in PROFILES["quick"].describe() and "paper's protocol" in PROFILES["paper"].describe()


def test_shared_runs_have_one_identity():
    fig4 = {r.identity for r in plan("fig4", "paper", True) if r.variant == "multi-task"}
    table4 = {r.identity for r in plan("table4", "paper", True) if r.variant == "Ours"}
    assert fig4 == table4


def test_unknown_item_or_profile():
    with pytest.raises(ConfigError, match="unknown paper item"):
        plan("fig99")
    with pytest.raises(ConfigError, match="unknown profile"):
        plan("fig4", "huge")


def test_run_item_stores_and_skips(tmp_path):
    runs = run_item("fig4", "smoke", store=tmp_path, progress=False)
    assert all(stored(r, tmp_path) is not None for r in runs)
    profile = json.loads((tmp_path / runs[0].identity / "profile.json").read_text())
    assert profile["profile"] == "smoke" and profile["deviations"]["epochs"] == 2 and not profile["real_data"]
    stamps = {r.identity: (tmp_path / r.identity / "metrics.json").stat().st_mtime_ns for r in runs}
    run_item("fig4", "smoke", store=tmp_path, progress=False)  # nothing left to do
    assert stamps == {r.identity: (tmp_path / r.identity / "metrics.json").stat().st_mtime_ns for r in runs}


def test_cli_study(tmp_path, capsys):
    from reidlab.cli import main

    assert main(["study", "fig4", "--store", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "fig4: 2/2 runs stored" in out and "synthetic" in out
    assert main(["study", "fig99", "--store", str(tmp_path)]) == 2
    assert "unknown paper item" in capsys.readouterr().err
