"""reidlab plan: trainings counted once, trained images by hand, stored vs pending."""

from reidlab.config import RunConfig
from reidlab.cost import rate, summary, trained_images
from reidlab.executors import threads_per_job
from reidlab.schedule import run_item
from reidlab.study import plan, trained_items


def test_trained_images_by_hand():
    cfg = RunConfig(dataset="synthetic", synthetic_persons=40, epochs=3)
    # two-camera split: 20 training persons -> 20 positive + 20 negative pairs, 2 images each
    assert trained_images(cfg, None) == 3 * 2 * 20 * 2


def test_summary_counts_each_training_once_and_sees_the_store(tmp_path):
    table = summary("smoke", None, tmp_path, ["fig4", "table4"])
    # Fig. 4's multi-task run is Table IV's "Ours": counted under fig4 only
    assert table.loc["fig4", "trainings"] == 2 and table.loc["table4", "trainings"] == 1
    assert table.loc["total", "pending"] == 3 and table.loc["total", "stored"] == 0
    run_item("fig4", "smoke", None, tmp_path, progress=False)
    after = summary("smoke", None, tmp_path, ["fig4", "table4"])
    assert after.loc["fig4", "stored"] == 2 and after.loc["total", "pending"] == 1
    images = sum(trained_images(r.config, None) for r in plan("table4", "smoke", False)
                 if r.variant == "Ours Multi-Label")
    assert after.loc["table4", "pending images (M)"] == round(images / 1e6, 1)
    assert after.loc["table4", "CPU hours"] == round(images / rate("CPU", 1) / 3600, 1)
    assert list(summary("smoke", None, tmp_path).index) == trained_items() + ["total"]
    each_claims_next_decision_counts_the_trainings_it_waits_for(tmp_path)


def each_claims_next_decision_counts_the_trainings_it_waits_for(store):
    """(with Fig. 4 stored, by the test above: training it again would double its minutes)"""
    from reidlab.cost import claims_summary
    from reidlab.study import claims

    number = {(item, c.a): n for n, (item, c) in enumerate(claims())}
    fig4, multi_label = number[("fig4", "multi-task")], number[("table4", "Ours Multi-Label")]
    pooled = number[("replication", "Ours, 3 seed sets")]
    trainings = lambda item, names, folds=range(3): {r.identity for r in plan(item, "smoke", False)  # noqa: E731
                                                     if r.variant in names and r.fold in folds}
    after = claims_summary("smoke", None, store)
    assert after.loc[fig4, "pending"] == 0 and after.loc[fig4, "CPU hours"] == 0
    # Table IV's "Ours" is Fig. 4's multi-task run, stored: the multi-label runs are left
    assert after.loc[multi_label, "pending"] == len(trainings("table4", ["Ours Multi-Label"])) > 0
    # the pre-registered headline waits for every declared fold of its three seed sets (fold 0's
    # "seed 0" and "seed = fold" are one run)
    sets = ["Ours, seed 0", "Ours, seed = fold", "Ours, seed = 100 + fold"]
    assert after.loc[pooled, "pending"] == len(trainings("replication", sets, range(10)) - trainings("fig4", ["multi-task"]))
    assert after[after.folds != "-"]["CPU hours"].is_monotonic_increasing


def test_the_folds_a_claims_next_decision_needs_by_hand():
    from reidlab.cost import decision_folds

    assert decision_folds("holds", None, 10, False) is None
    assert decision_folds("contradicted (lower than the paper)", None, 10, False) is None
    assert decision_folds("pending", None, 10, False) == range(3)  # rounds 1-2
    assert decision_folds("pending (pre-registered on 10 folds; 5 have every set)", None, 10, True) == range(10)
    assert decision_folds("inconclusive (about 7 folds would decide it)", 7, 10, False) == range(7)
    assert decision_folds("inconclusive (about 40 folds would decide it)", 40, 5, False) == range(5)  # all it has
    assert decision_folds("inconclusive (1 fold: no spread to judge by)", None, 10, False) == range(3)


def test_evaluation_runs_follow_their_network_and_keep_its_weights(tmp_path):
    runs = run_item("fig8", "smoke", None, tmp_path, progress=False)
    evaluation = next(r for r in runs if r.variant == "DA train")
    network = tmp_path / evaluation.config.pretrained[len("@store/"):]
    assert evaluation.config.epochs == 0 and (tmp_path / evaluation.identity / "metrics.json").is_file()
    assert (network / "weights.pt").is_file()  # kept: the evaluation can be made again anywhere
    table = summary("smoke", None, tmp_path, ["fig8"])
    assert table.loc["fig8", "trainings"] == 2 and table.loc["fig8", "evaluations"] == 2


def test_choosing_an_evaluation_variant_trains_its_network(tmp_path):
    from reidlab.schedule import run_items

    plans = run_items(["fig8"], "smoke", None, tmp_path, progress=False, variants=["DA train"])
    assert {r.variant for r in plans["fig8"]} == {"DA train", "DA train+test"}
    assert all((tmp_path / r.identity / "metrics.json").is_file() for r in plans["fig8"])


def test_a_group_too_large_for_the_device_is_halved_until_it_fits(tmp_path, monkeypatch):
    import torch

    from reidlab import batched, executors
    from reidlab.executors import run_work

    log = tmp_path / "sizes"
    execute = batched.RunGroup.execute

    def tight(self, deadline=None):  # a device that holds 2 runs at once
        with log.open("a") as f:
            f.write(f"{len(self.runs)}\n")
        if len(self.runs) > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return execute(self, deadline)

    monkeypatch.setattr(executors, "GROUP_CONTEXT", None)  # in this process, where the patch is
    monkeypatch.setattr(batched.RunGroup, "execute", tight)
    configs = [RunConfig(dataset="synthetic", synthetic_persons=40, epochs=1, widths=[8, 16], feature_dim=32,
                         test_views="flip", seed=s) for s in range(5)]
    run_work([(c, tmp_path / c.identity()) for c in configs], None, 1, False, "test", batch=8)
    assert log.read_text().split() == ["5", "2", "3", "1", "2"]  # 5 -> 2 + 3; 3 -> 1 + 2
    assert all((tmp_path / c.identity() / "metrics.json").is_file() for c in configs)


def test_a_study_cut_off_still_says_each_runs_profile(tmp_path, monkeypatch):
    """A session ends mid-study: the runs already done, and the one cut off, say their profile."""
    import json

    import pytest

    from reidlab.run import Run
    from reidlab.schedule import run_items

    execute = Run.execute
    done = []

    def cut_off_after_one(self):
        if done:
            self.write_config()  # the run starts,
            raise KeyboardInterrupt  # and the session ends
        done.append(execute(self))
        return done[-1]

    monkeypatch.setattr(Run, "execute", cut_off_after_one)
    with pytest.raises(KeyboardInterrupt):
        run_items(["fig4", "table4"], "smoke", None, tmp_path, progress=False)
    # 3 runs: one done, one cut off (its config written); the one never reached leaves no folder
    dirs = [d for d in tmp_path.iterdir() if d.is_dir()]
    assert len(dirs) == 2 and sum((d / "metrics.json").exists() for d in dirs) == 1
    assert all(json.loads((d / "profile.json").read_text())["profile"] == "smoke" for d in dirs)


def test_a_study_cut_off_keeps_the_weights_its_finished_networks_give_others(tmp_path, monkeypatch):
    """A session is killed (no ``finally`` runs) after a network trains and before the runs that
    use it: its weights are already kept (a checkpoint folder is not committed: they would be lost
    with the machine). Seen here as each later run starts."""
    from reidlab.run import Run
    from reidlab.schedule import run_items
    from reidlab.store import referenced

    networks = {referenced(r.config) for r in plan("fig8", "smoke", False)} - {None}
    execute, seen = Run.execute, []

    def looking_first(self):
        seen.extend(i for i in networks if (tmp_path / i / "metrics.json").is_file()
                    and not (tmp_path / i / "weights.pt").is_file())
        return execute(self)

    monkeypatch.setattr(Run, "execute", looking_first)
    run_items(["fig8"], "smoke", None, tmp_path, progress=False)
    assert seen == [] and all((tmp_path / i / "weights.pt").is_file() for i in networks)


def test_a_rehearsal_forms_the_groups_and_stores_nothing(tmp_path, capsys):
    from reidlab.schedule import run_items

    run_items(["fig4", "table4"], "smoke", None, tmp_path, progress=False, batch=64, rehearsal=True)
    out = capsys.readouterr().out
    assert "group 1:" in out and "rehearsal:" in out
    assert not any(tmp_path.iterdir())


def test_each_run_takes_the_threads_it_is_given(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert (threads_per_job(1), threads_per_job(4), threads_per_job(16)) == (8, 2, 1)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # two studies sharing the machine
    assert threads_per_job(1) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "")
    assert threads_per_job(2) == 4


def test_the_queue_in_rounds_counts_each_training_once(tmp_path, data_root):
    from reidlab.cost import rounds_summary, summary
    from reidlab.study import ROUNDS

    assert ROUNDS[1] == (0,) and ROUNDS[2] == (1, 2) and set(ROUNDS[3]) == set(range(3, 10))
    items, root = ["fig8", "table7"], str(data_root)  # test-time variants; networks every fold evaluates
    whole = summary("quick", root, tmp_path, items)
    rounds = rounds_summary("quick", root, tmp_path, items)
    assert rounds.pending.sum() == whole.loc["total", "pending"]  # the quick profile: folds 0-2
    assert rounds.evaluations.sum() == whole.loc["total", "evaluations"]
    first = summary("quick", root, tmp_path, items, ROUNDS[1])
    # round 1: fig8's 2 trained networks of fold 0 (its other 2 variants evaluate them), and
    # table7's networks (trained on all of a dataset), which round 1's evaluations need
    assert first.loc["fig8", "trainings"] == 2 and first.loc["fig8", "evaluations"] == 2
    assert first.loc["table7", "trainings"] == whole.loc["table7", "trainings"]
    assert rounds.loc["round 2", "trainings"] == 2 * 2  # fig8 on folds 1-2; table7's networks counted once


def test_a_group_whose_every_run_diverges_ends_cleanly(tmp_path, monkeypatch):
    from reidlab import batched
    from reidlab.executors import _train_group
    from reidlab.train import TrainingDiverged

    class Diverging:  # every run of the group diverges at its first epoch
        def __init__(self, runs, **kw):
            if not runs:
                raise ValueError("a run group needs at least one run")  # as RunGroup's
            self.runs = runs

        def execute(self, deadline=None):
            for run in self.runs:
                (run.run_dir / "diverged.json").write_text("{}")
            raise TrainingDiverged("loss is nan at epoch 1 (simulated)")

    monkeypatch.setattr(batched, "RunGroup", Diverging)
    config = RunConfig(dataset="synthetic", synthetic_persons=40, epochs=1, widths=[8, 16], feature_dim=32)
    (tmp_path / "a").mkdir()
    _train_group([(config, tmp_path / "a", None)], None, False, None, None)  # no group of no runs is made
    assert (tmp_path / "a" / "diverged.json").exists()


def test_the_plans_rates_are_read_from_the_benchmark_tables(tmp_path):
    import pytest

    from reidlab.cost import RATE_SOURCES, measured_rate, rates
    from reidlab.errors import ConfigError

    table = tmp_path / "bench.txt"
    table.write_text("# a note: 999 images/s here is a comment\n"
                     "group                     epochs/s  images/s\n"
                     "27 runs, mixed (8 pairs)      1.21    41,300   (600 epochs: 489 s)\n"
                     "10 runs, alone                2.9     36,700\n")
    assert measured_rate(table, "27 runs") == 41_300 and measured_rate(table, "10 runs") == 36_700
    with pytest.raises(ConfigError, match="no row"):
        measured_rate(table, "5 runs")
    with pytest.raises(ConfigError, match="missing"):
        measured_rate(tmp_path / "none.txt", "27 runs")
    for device in ("CPU", "GPU"):  # every declared source is found, and a GPU is the faster
        assert set(rates(device)) == {p for d, p in RATE_SOURCES if d == device}
    assert all(rates("GPU")[p] > 10 * rates("CPU")[p] > 0 for p in rates("CPU"))


def test_reversal_and_rich_label_runs_batch_in_a_study(tmp_path):
    from reidlab.executors import run_work
    from reidlab.groups import trains_alone

    plain = RunConfig(dataset="synthetic", synthetic_persons=40, epochs=2, widths=[8, 16], feature_dim=32,
                      test_views="flip", tasks="V+I+P")
    reversed_ = RunConfig(**{**plain.to_dict(), "pose_reversal": 0.5})
    rich = RunConfig(**{**plain.to_dict(), "attribute_set": "rich", "attribute_floor": 0.05})
    assert trains_alone(reversed_) is None and trains_alone(plain) is None and trains_alone(rich) is None
    from reidlab.batched import group_key  # never in one group with binary-only runs: heads of other widths
    assert group_key(rich.to_dict()) != group_key({**rich.to_dict(), "attribute_set": "peta", "attribute_floor": 0.05})
    run_work([(c, tmp_path / c.identity()) for c in (reversed_, plain)], None, 1, False, "test", batch=8)
    assert all((tmp_path / c.identity() / "metrics.json").is_file() for c in (reversed_, plain))


def test_a_dev_partition_of_the_fine_tuning_rate_trains_its_viper_network_first(tmp_path):
    # the finetune-rate item starts from Table V's VIPeR networks: the queue trains the one it needs
    from reidlab.schedule import run_items
    from reidlab.study import pretrain_runs

    run_items(["finetune-rate"], "smoke", None, tmp_path, progress=False, folds=[0], variants=["caviar: fast rate"])
    assert (tmp_path / pretrain_runs("smoke", False)[0].identity / "metrics.json").exists()


def test_a_run_an_item_keeps_the_weights_of_keeps_them_whichever_queue_trains_it(tmp_path):
    # Fig. 5's V+I+A is the pose probe's baseline (item pose-reversal keeps its weights); V+I is no one's
    from reidlab.schedule import run_items, weights_kept

    runs = {r.variant: r.identity for r in plan("fig5", "smoke") if r.variant in ("VIPeR V+I+A", "VIPeR V+I")}
    assert runs["VIPeR V+I+A"] in weights_kept("smoke", False) and runs["VIPeR V+I"] not in weights_kept("smoke", False)
    run_items(["fig5"], "smoke", None, tmp_path, progress=False, variants=list(runs))
    assert (tmp_path / runs["VIPeR V+I+A"] / "weights.pt").is_file()
    assert not (tmp_path / runs["VIPeR V+I"] / "weights.pt").exists()


def test_every_item_that_trains_is_in_a_queue():
    """scripts/gpu_queue (a GPU call) and scripts/cpu_queue (make cpu-study, a study per line, read
    as shell words) between them hold every item that trains: nothing declared is left untrained.
    The CPU takes a GPU item's folds or variants only (while no GPU is lent), each variant declared."""
    import itertools
    import shlex
    from pathlib import Path

    from reidlab.study import ITEMS

    root = Path(__file__).resolve().parents[1] / "scripts"
    gpu = (root / "gpu_queue").read_text().split()
    cpu = []
    for line in (root / "cpu_queue").read_text().splitlines():
        words = list(shlex.shlex(line, posix=True, punctuation_chars=True))  # an unquoted '->' would redirect
        items = list(itertools.takewhile(lambda w: not w.startswith("-"), words))  # a line: items, then options
        options = words[len(items):]
        variants = [v for flag, v in zip(options, options[1:]) if flag == "--variant"]
        assert all(v in ITEMS[i].variants for i in items for v in variants), line
        assert not set(items) & set(gpu) or {"--fold", "--round", "--variant"} & set(options), line
        cpu += items
    trains = {i for i in trained_items() + trained_items("beyond") if any(r.config.epochs for r in plan(i, "fast", True))}
    assert trains <= set(gpu) | set(cpu), sorted(trains - set(gpu) - set(cpu))
    assert set(gpu) | set(cpu) <= set(trained_items()) | set(trained_items("beyond"))


def _stored_run(store, cfg, train_time_s: float, model: str, device: str = "cpu (x86_64, 1 thread, 2 cores)"):
    """A finished run as the store holds one: what ``queue_factor`` reads."""
    import json

    import yaml

    run_dir = store / f"{cfg.identity()}-{train_time_s}-{model}-{device[-14:-7]}"
    run_dir.mkdir()
    (run_dir / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict()))
    (run_dir / "metrics.json").write_text(json.dumps({"train_time_s": train_time_s}))
    (run_dir / "provenance.json").write_text(json.dumps({"device": device, "cpu_model": model}))


def test_the_queue_hours_are_the_cpu_hours_slowed_as_this_cpu_model_ran_the_queue(tmp_path):
    from reidlab.cost import MIN_CALIBRATION_RUNS, queue_factor, with_queue_hours
    from reidlab.provenance import cpu_model

    cfg = RunConfig(dataset="synthetic", synthetic_persons=40, epochs=3)
    alone = trained_images(cfg, None) / rate("CPU", cfg.pairs_per_step)  # benchmark seconds, 2 cores
    # two runs at once: machine time = train_time / 2; slowdowns 1, 2, 3, 4 (and 10, below)
    for slowdown in (1, 2, 3, 4):
        _stored_run(tmp_path, cfg, 2 * slowdown * alone, cpu_model())
    _stored_run(tmp_path, cfg, 2 * 50 * alone, "another CPU")  # not this model: left out
    _stored_run(tmp_path, cfg, 2 * 50 * alone, cpu_model(), "cpu (x86_64, 2 threads, 2 cores)")  # not the queue's
    assert MIN_CALIBRATION_RUNS == 5 and queue_factor(tmp_path, None) is None  # 4 runs: too few
    assert "queue hours" not in with_queue_hours(summary("smoke", None, tmp_path, ["table4"]), tmp_path, None)
    _stored_run(tmp_path, cfg, 2 * 10 * alone, cpu_model())
    queue_factor.cache_clear()
    assert queue_factor(tmp_path, None) == (3.0, 5)  # median of 1, 2, 3, 4, 10
    table = with_queue_hours(summary("smoke", None, tmp_path, ["table4"]), tmp_path, None)
    assert table.loc["table4", "queue hours"] == round(table.loc["table4", "CPU hours"] * 3.0, 1)
    queue_factor.cache_clear()


def test_plan_claims_prints_each_claims_next_decision(tmp_path, capsys, monkeypatch):
    from reidlab.cli import main

    monkeypatch.delenv("REIDLAB_DATA_ROOT", raising=False)
    assert main(["plan", "--profile", "smoke", "--claims", "--store", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "each claim's next decision" in out and "The multi-label variant performs like" in out
