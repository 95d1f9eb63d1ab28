"""The study's manifest and its runs: plans, identities, the store, skipping finished runs."""

import json

import pytest

from reidlab.config import RunConfig
from reidlab.errors import ConfigError
from reidlab.schedule import run_item
from reidlab.store import stored
from reidlab.study import (DEV_FOLDS, DEV_SPLIT_SEED, FAST_SCHEDULE, HEADLINE, ITEMS, PAPERS_RATE_LABEL,
                           PAPERS_SCHEDULE_LABEL, POOLED, PROFILES, item_folds, plan, pretrain_config, pretrain_runs, waits)


@pytest.mark.parametrize("item", list(ITEMS))
def test_every_item_plans_valid_configs(item):
    for profile in PROFILES:
        runs = plan(item, profile, real_data=True)
        ready = [v for v in ITEMS[item].variants.values() if not waits(v)]  # waiting: for a dev choice
        assert len(runs) == len(ready) * item_folds(item, profile)
        # at 2 epochs, 1/4 and 1/2 of the schedules' are both 1; seed 0 is seed = fold on fold 0
        shared = len(HEADLINE) if item == "replication" else 0
        if "lr_start" not in PROFILES[profile].overrides:  # at the paper's step, its rate's and its
            # schedule's rows are the declared ones
            shared += sum(r.variant.endswith((PAPERS_RATE_LABEL, PAPERS_SCHEDULE_LABEL)) for r in runs)
        if (item, profile) != ("schedules", "smoke"):
            assert len({r.identity for r in runs}) == len(runs) - shared  # distinct configs, distinct ids
    synthetic = plan(item, "smoke", real_data=False)
    assert all(r.config.dataset == "synthetic" and r.config.test_dataset is None for r in synthetic)


def test_dev_items_never_touch_the_test_folds():
    for item in ITEMS:
        seeds = {r.config.split_seed for r in plan(item, "paper", real_data=True)}
        assert seeds == ({DEV_SPLIT_SEED} if ITEMS[item].dev else {0} if ITEMS[item].variants else set())
    assert DEV_SPLIT_SEED != 0 and item_folds("fidelity", "paper") == 3


def test_each_test_fold_has_its_own_initialisation():
    # the paper varies the initialisation across folds: test fold k trains from seed k
    ours = [r for r in plan("table4", "paper", real_data=True) if r.variant == "Ours"]
    assert [r.config.seed for r in ours] == list(range(10))
    assert {r.config.seed for r in pretrain_runs("paper", True)} == set(range(10))
    # seed 0 where a choice was made from it (dev partitions, the schedule check) and for a network
    # trained on all of a dataset, which every fold of a cross-dataset table evaluates
    for item in ("fidelity", "epoch-pairs", "schedules"):
        assert {r.config.seed for r in plan(item, "paper", real_data=True)} == {0}
    trainers = {r.config.pretrained for r in plan("table7", "paper", real_data=True) if r.fold > 0}
    assert trainers and all(store_id.startswith("@store/") for store_id in trainers)
    # an explicit seed (the initialisation check) still wins, and fold 0 is seed 0 either way
    pinned = plan("table4", "paper", real_data=True, overrides={"seed": 0})
    assert {r.config.seed for r in pinned} == {0} and pinned[0].identity == ours[0].identity


def test_the_pre_registered_seed_sets():
    # issue 28: Table IV's Ours and Fig. 4's verification only from seed 0, seed = fold, seed = 100 + fold
    runs = plan("replication", "fast", real_data=True)
    seeds = {}
    for r in runs:
        seeds.setdefault(r.variant, []).append(r.config.seed)
    assert seeds["Ours, seed 0"] == [0] * 10 and seeds["Ours, seed = fold"] == list(range(10))
    assert seeds["verification only, seed = 100 + fold"] == list(range(100, 110))
    # the stored sets are the runs of Table IV and Fig. 4, not new ones
    ours = {r.fold: r.identity for r in plan("table4", "fast", real_data=True) if r.variant == "Ours"}
    assert {r.fold: r.identity for r in runs if r.variant == "Ours, seed = fold"} == ours
    verification = {r.fold: r.identity for r in plan("fig4", "fast", real_data=True) if r.variant == "verification only"}
    assert {r.fold: r.identity for r in runs if r.variant == "verification only, seed = fold"} == verification
    assert {r.config.tasks for r in runs if r.variant.startswith("verification only")} == {"V"}


def test_fast_candidates_scale_the_profiles_epochs():
    epochs = {r.variant: r.config.epochs for r in plan("schedules", "paper", real_data=True) if r.fold == 0}
    assert epochs == {"paper schedule": 600, "8 pairs/step, lr x8, 300 epochs": 300,
                      "lr x4, 150 epochs": 150, "8 pairs/step, lr x8, 150 epochs": 150,
                      "8 pairs/step, lr x8, 600 epochs": 600}
    assert {r.config.epochs for r in plan("schedules", "quick", real_data=True)} == {100, 50, 25}


def test_fast_profile_is_the_fast_schedule_and_keeps_the_reference():
    fast = {r.variant: r.config for r in plan("schedules", "fast", real_data=True) if r.fold == 0}
    paper = {r.variant: r.config for r in plan("schedules", "paper", real_data=True) if r.fold == 0}
    step = lambda c: (c.pairs_per_step, c.lr_start, c.lr_end)  # noqa: E731
    # the reference keeps the paper's step (at the profile's epochs, like every profile)
    assert step(fast["paper schedule"]) == step(paper["paper schedule"]) == (1, 1e-3, 1e-5)
    ours = plan("table4", "fast", real_data=True)[0].config
    # Table IV at the fast profile takes the checked candidate's step (the check itself stays v1's)
    assert step(ours) == step(paper[FAST_SCHEDULE]) and ours.epochs == paper[FAST_SCHEDULE].epochs
    assert ours.pairs_per_step > 1 and paper[FAST_SCHEDULE].normalisation == "image" != ours.normalisation
    assert "Methods check" in PROFILES["fast"].describe()


def test_profiles_change_only_what_they_declare():
    paper = plan("table4", "paper", real_data=True)[0].config
    assert (paper.epochs, paper.pairs_per_step, paper.test_views) == (600, 1, "ten-crop")
    quick = plan("table4", "quick", real_data=True)[0].config
    assert quick.epochs == 100 and quick.test_views == "ten-crop"
    assert "deviations" in PROFILES["quick"].describe() and "paper's schedule" in PROFILES["paper"].describe()


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
    assert all(stored(r.config, tmp_path) is not None for r in runs)
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


def test_study_batches_runs_of_equal_shape(tmp_path, monkeypatch, capsys):
    from reidlab.cli import main

    monkeypatch.delenv("REIDLAB_DATA_ROOT", raising=False)
    assert main(["study", "table2", "--profile", "smoke", "--batch", "4", "--store", str(tmp_path), "--quiet"]) == 0
    runs = plan("table2", "smoke", real_data=False)
    metrics = [stored(r.config, tmp_path) for r in runs]
    assert all(m is not None for m in metrics)
    # all six share a network shape (a run without the attribute head or pose task trains a
    # zero head it never uses), so --batch 4 makes a group of 4 and one of 2
    assert sorted({m["batched"]["runs"] for m in metrics}) == [2, 4]
    assert "runs at once" in capsys.readouterr().out  # the parent says how each group went


def test_analysis_runs_keep_their_weights_and_are_never_retrained(tmp_path):
    import shutil

    from reidlab.schedule import trained_run
    from reidlab.study import ANALYSIS_ITEMS, OCCLUSION_ITERATIONS

    assert set(OCCLUSION_ITERATIONS) == set(PROFILES)  # every profile can draw Fig. 9
    assert ("table4", "Ours") in ANALYSIS_ITEMS.values()
    runs = run_item("table4", "smoke", None, tmp_path, progress=False)
    ours = next(r for r in runs if r.variant == "Ours" and r.fold == 0)
    run_dir = tmp_path / ours.identity
    assert (run_dir / "weights.pt").is_file()  # kept beside the metrics, for the analyses
    shutil.rmtree(run_dir / "checkpoints")  # as in a fresh clone: checkpoints are not committed
    metrics = (run_dir / "metrics.json").read_text()
    run = trained_run("table4", "Ours", "smoke", None, tmp_path)
    assert run is not None and not run.model.training
    (run_dir / "weights.pt").unlink()
    assert trained_run("table4", "Ours", "smoke", None, tmp_path) is None  # no weights: no retraining
    assert (run_dir / "metrics.json").read_text() == metrics  # the stored result untouched


def test_identities_do_not_depend_on_where_the_store_is():
    runs = plan("table5", "paper", real_data=True)
    assert all("/" not in (r.config.pretrained or "")[len("@store/"):] for r in runs)  # no path in an identity
    assert {r.config.pretrained for r in runs} - {None} == {
        f"@store/{c.identity()}" for c in (pretrain_config(PROFILES["paper"], f, True) for f in range(10))}


def test_synthetic_and_smoke_output_never_lands_in_results(tmp_path, monkeypatch):
    from reidlab import store
    from reidlab.cli import main

    for name in ("REIDLAB_STORE", "REIDLAB_BOOK_OUT", "REIDLAB_DATA_ROOT"):  # CI sets them
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(store, "SCRATCH", tmp_path / "scratch")
    monkeypatch.setattr(store, "STORE", tmp_path / "results" / "store")
    store.STORE.mkdir(parents=True)
    assert store.store_for("paper", True) == store.STORE  # real data: evidence
    assert store.store_for("smoke", True) == tmp_path / "scratch" / "store"
    assert store.store_for("paper", False) == tmp_path / "scratch" / "store"
    assert store.book_out_for("quick", False) == tmp_path / "scratch" / "book"
    assert main(["study", "table4", "--profile", "smoke", "--quiet"]) == 0  # no data: synthetic
    assert not any(store.STORE.iterdir())
    import reidlab.cli

    monkeypatch.setattr(reidlab.cli, "SCRATCH", tmp_path / "scratch")
    monkeypatch.setattr(reidlab.cli, "STORE", store.STORE)
    assert main(["prepare"]) == 0  # make study's first step: the synthetic set's splits go to scratch
    assert (tmp_path / "scratch" / "data" / "synthetic" / "summary.json").is_file()
    assert not (tmp_path / "results" / "data").exists()
    assert len(list((tmp_path / "scratch" / "store").iterdir())) == 2


def test_the_notebooks_and_toc_are_generated_from_the_manifest(tmp_path):
    import importlib.util
    from pathlib import Path

    import nbformat

    repo = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("generate", repo / "notebooks" / "_generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    written = generate.write(tmp_path, tmp_path / "_toc.yml")
    for path in written:  # what the manifest says is what is committed
        assert nbformat.read(path, 4) == nbformat.read(repo / "notebooks" / path.name, 4), \
            f"notebooks/{path.name} is stale: run python notebooks/_generate.py"
    assert (tmp_path / "_toc.yml").read_text() == (repo / "_toc.yml").read_text()
    committed = sorted(p.name for p in (repo / "notebooks").glob("[0-9]*.ipynb"))
    assert committed == sorted(p.name for p in written)  # no notebook of an item that is gone
    assert {p.stem.split("_", 1)[1] for p in written} == {n for n, i in ITEMS.items() if i.page}


def test_every_page_cell_is_a_function_of_the_pages_module_and_the_manifest_imports_no_presentation():
    import ast
    import inspect
    from pathlib import Path

    from reidlab import pages, study

    for name, item in ITEMS.items():
        for kind in item.page:
            assert inspect.isfunction(getattr(pages, kind, None)), f"{name}: pages.{kind} is not a page function"
    tree = ast.parse(Path(study.__file__).read_text())
    imported = {a.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
    assert not imported & {"pages", "figures", "report", "IPython"}


def test_claims_name_declared_variants():
    from reidlab.study import claims

    for item, claim in claims():
        settings = {f"Average {v.rsplit(' ', 1)[-1]}" for v in ITEMS[item].variants}  # report.with_averages
        settings |= {f"{v.rsplit(', ', 1)[0]}, {POOLED}" for v in ITEMS[item].variants}  # report.with_pooled
        assert claim.a in ITEMS[item].variants or claim.a in settings
        assert isinstance(claim.b, float) or claim.b in ITEMS[item].variants or claim.b in settings


def test_single_split_items_have_enough_folds_for_a_paired_test():
    from reidlab.study import SINGLE_SPLIT

    assert SINGLE_SPLIT >= 3
    for item in ("fig5", "fig6", "fig7", "fig8", "table3"):
        assert item_folds(item, "paper") == SINGLE_SPLIT
    for item in ("table2", "table4", "table5", "table6", "table7"):  # cross-validated in the paper
        assert item_folds(item, "paper") == 10


def test_test_time_variants_and_cross_dataset_folds_evaluate_trained_networks():
    fig8 = {(r.variant, r.fold): r.config for r in plan("fig8", "paper", real_data=True)}
    for fold in range(item_folds("fig8", "paper")):
        for variant, source in (("DA train", "DA train+test"), ("no DA", "DA test")):
            evaluation, network = fig8[(variant, fold)], fig8[(source, fold)]
            assert evaluation.epochs == 0 and evaluation.pretrained == f"@store/{network.identity()}"
            assert (evaluation.test_views, network.test_views, network.epochs) == ("centre", "ten-crop", 600)
    # a cross-dataset network trains on all of dataset A: once for every test set and fold
    table7 = plan("table7", "paper", real_data=True)
    trainers = [r for r in table7 if r.config.epochs]
    # (the two networks Table VII's claims rest on at 3 seeds each: a claim's unit is a network)
    # (and the i-LIDS network at the paper's schedule: at the paper's profile, the seed-0 network itself)
    assert sorted((r.config.dataset, r.config.seed) for r in trainers) == [
        ("cuhk01", 0), ("cuhk01", 1), ("cuhk01", 2), ("ilids", 0), ("ilids", 0), ("ilids", 1), ("ilids", 2),
        ("prid", 0), ("viper", 0)]
    assert len({r.identity for r in trainers}) == len(trainers) - 1
    fast = {r.variant: r for r in plan("table7", "fast", real_data=True) if r.config.epochs}
    assert (fast["ilids->viper, paper's schedule"].config.pairs_per_step, fast["ilids->viper"].config.pairs_per_step) \
        == (1, 8)
    assert all(r.fold == 0 for r in trainers)
    names = {f"@store/{r.identity}": (r.config.dataset, r.config.seed) for r in trainers}
    assert all(names[r.config.pretrained] == (r.config.dataset, r.config.seed) for r in table7 if not r.config.epochs)
    # without real data the sets are one synthetic set: every run trains
    assert all(r.config.epochs for r in plan("table7", "smoke", real_data=False))


def test_a_test_time_variant_must_differ_in_test_settings_only(monkeypatch):
    from reidlab import study

    item = study.PaperItem("t", "x", {"a": {"dataset": "viper"},
                                      "b": {"dataset": "viper", "augment": False, "evaluates": "a"},
                                      "c": {"dataset": "viper", "evaluates": "d"}})
    monkeypatch.setitem(study.ITEMS, "tmp", item)
    with pytest.raises(ConfigError, match="differs from 'a' in \\['augment'\\]"):
        plan("tmp", "paper", True)
    monkeypatch.setitem(study.ITEMS, "tmp", study.PaperItem("t", "x", {"c": {"evaluates": "d"}}))
    with pytest.raises(ConfigError, match="must be declared before it"):
        plan("tmp", "paper", True)


def test_dev_measurements_take_the_fast_schedule_under_every_profile():
    """The Methods check page is built at the paper profile: the dev runs it shows (made at the
    fast profile) must be the same runs there."""
    for item in ("epoch-pairs", "fidelity", "precision"):
        fast, paper = ({r.identity for r in plan(item, p, real_data=True)} for p in ("fast", "paper"))
        assert fast == paper, item


def test_the_fine_tuning_rate_is_chosen_on_dev_partitions_from_table5s_networks():
    # issue 30: the dev partitions of each small set, fine-tuned from Table V's VIPeR network of the same index
    runs = plan("finetune-rate", "fast", real_data=True)
    pretrain = {r.fold: r.identity for r in pretrain_runs("fast", True)}
    assert {r.config.split_seed for r in runs} == {DEV_SPLIT_SEED} and len(runs) == 3 * 2 * DEV_FOLDS
    assert all(r.config.pretrained == f"@store/{pretrain[r.fold]}" for r in runs)
    rates = {r.variant.split(": ")[1]: (r.config.lr_start, r.config.pairs_per_step) for r in runs}
    assert rates == {"fast rate": (0.008, 8), "paper's rate": (RunConfig.lr_start, 8)}


def test_a_study_can_run_one_fold_of_the_queue(tmp_path):
    from reidlab.schedule import run_items

    plans = run_items(["fig8"], "quick", None, tmp_path, progress=False, rehearsal=True, folds=[1])
    assert {r.fold for r in plans["fig8"]} == {1}  # a round of the queue: fold 1 of every variant
    # a test-time variant keeps the network it evaluates (same fold here)
    assert {r.variant for r in plans["fig8"]} == set(ITEMS["fig8"].variants)
    with pytest.raises(ConfigError, match="no variant"):
        run_items(["fig8"], "quick", None, tmp_path, progress=False, rehearsal=True, variants=["nope"], folds=[0])


def test_beyond_the_paper_waits_for_its_dev_choices(monkeypatch):
    from reidlab import study

    variants = {v for v, values in ITEMS["pose-reversal"].variants.items() if waits(values)}
    assert variants == ({"V+I+A+P reversed"} if study.CHOSEN["pose_reversal"] is None else set())
    assert "V+I+A+P reversed" not in {r.variant for r in plan("pose-reversal", "paper", real_data=True)} or not variants
    # once chosen (a committed constant), the variant plans with it, on the test folds
    monkeypatch.setitem(ITEMS["pose-reversal"].variants, "V+I+A+P reversed", {"dataset": "viper", "pose_reversal": 0.3})
    runs = [r for r in plan("pose-reversal", "paper", real_data=True) if r.variant == "V+I+A+P reversed"]
    assert [r.config.pose_reversal for r in runs] == [0.3] * 10 and {r.config.split_seed for r in runs} == {0}
    # the dev items are not the paper's: not in its rounds or its claims tally
    assert set(study.trained_items("beyond")) == {"reversal-coefficient", "attribute-floor", "pose-reversal",
                                                  "rich-attributes"}
    assert not set(study.trained_items()) & set(study.trained_items("beyond"))


def test_a_claims_variants_by_hand():
    from reidlab.study import Claim

    declared = ["a x", "b x", "a y", "b y", "a z", "Ours, seed 0", "Ours, seed = fold", "Ours, seed = 100 + fold",
                "Ours, seed 1"]
    assert Claim("t", "Average x", "Average y").variants(declared) == ["a x", "b x", "a y", "b y"]
    assert Claim("t", "a x", "b y").variants(declared) == ["a x", "b y"]
    assert Claim("t", "Ours, 3 seed sets", 33.6, kind="reaches").variants(declared) == declared[5:8]
    assert Claim("t", "Ours, seed 0", 33.6, kind="reaches", also=("Ours, seed 1",)).variants(declared) == \
        ["Ours, seed 0", "Ours, seed 1"]
