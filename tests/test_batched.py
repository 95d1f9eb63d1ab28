"""A batched group of runs gives each run's result as if it had been trained alone."""

import json

import numpy as np
import pytest
import torch

from reidlab.batched import RunGroup, group_key
from reidlab.config import RunConfig
from reidlab.run import Run

TINY = dict(dataset="synthetic", synthetic_persons=24, epochs=3, widths=[8, 16], feature_dim=16,
            curve_every=1, checkpoint_every=1, test_views="flip")


def _alone_and_grouped(tmp_path, configs):
    alone = [Run(c, tmp_path / f"alone{i}", progress=False).execute() for i, c in enumerate(configs)]
    runs = [Run(c, tmp_path / f"group{i}", progress=False) for i, c in enumerate(configs)]
    grouped = RunGroup(runs, progress=False).execute()
    return alone, grouped


def _close(a: dict, b: dict, tol: float = 1e-3) -> None:
    assert a["cmc_curve"] == pytest.approx(b["cmc_curve"], abs=tol)
    assert a["mAP"] == pytest.approx(b["mAP"], abs=tol)
    for ea, eb in zip(a["history"]["epochs"], b["history"]["epochs"], strict=True):
        assert ea == pytest.approx(eb, rel=1e-4)
    for ca, cb in zip(a["history"]["curve"], b["history"]["curve"], strict=True):
        assert ca == pytest.approx(cb, abs=tol)


@pytest.mark.parametrize("extra", [{}, {"pairs_per_step": 5, "momentum": 0.9, "lr_start": 1e-4}])
def test_group_equals_runs_alone(tmp_path, extra):
    configs = [RunConfig(**{**TINY, **extra, "fold": t, "seed": s}) for t, s in ((0, 0), (1, 0), (0, 3))]
    alone, grouped = _alone_and_grouped(tmp_path, configs)
    for a, g in zip(alone, grouped):
        _close(a, g)
        assert g["batched"] == {"runs": 3, "cuda_graph": False}
    wa = torch.load(tmp_path / "alone2/checkpoints/final.pt")["model"]
    wg = torch.load(tmp_path / "group2/checkpoints/final.pt")["model"]
    assert all(torch.allclose(wa[k], wg[k], atol=1e-4) for k in wa)
    # the runs differ from each other: the test would notice runs mixed up inside the group
    assert alone[0]["cmc_curve"] != alone[1]["cmc_curve"]


def test_gradient_reversal_runs_group_as_alone(tmp_path):
    # the reversal's coefficient follows each run's own schedule (here 4 epochs: 0, then rising)
    configs = [RunConfig(**{**TINY, "epochs": 4, "fold": t, "seed": s, "pose_reversal": 0.5})
               for t, s in ((0, 0), (1, 2))]
    alone, grouped = _alone_and_grouped(tmp_path, configs)
    for a, g in zip(alone, grouped):
        _close(a, g)
    plain = Run(RunConfig(**{**TINY, "epochs": 4}), tmp_path / "plain", progress=False).execute()
    assert plain["history"]["epochs"][-1] != alone[0]["history"]["epochs"][-1]  # the reversal changed training


def _with_multiclass(monkeypatch):
    """Synthetic data whose first attributes become multi-class ones (as the rich set's age and
    colours), their number set by the dataset's size: runs of a group with different columns."""
    import dataclasses

    import reidlab.run
    from reidlab.data import load_dataset

    def load(name, root=None, **options):
        data = load_dataset(name, root, **{k: v for k, v in options.items() if not k.startswith("attribute")})
        binary = data.attributes
        four, three = binary[:, 0] + binary[:, 1] + binary[:, 2], binary[:, 3] + binary[:, 4]
        small = len(data.filenames) < 60  # a 4-class attribute; else a 3-class one, then that
        columns, classes = ([four], [4]) if small else ([three, four], [3, 4])
        labels = np.concatenate([binary[:, 5:], np.stack(columns, 1)], 1).astype(np.int8)
        return dataclasses.replace(data, attributes=labels, attribute_names=[f"a{j}" for j in range(labels.shape[1])],
                                   attribute_classes=[2] * (binary.shape[1] - 5) + classes)
    monkeypatch.setattr(reidlab.run, "load_dataset", load)
    monkeypatch.setattr(reidlab.run, "_SHARED", {})


def test_multiclass_attribute_runs_group_as_alone(tmp_path, monkeypatch):
    _with_multiclass(monkeypatch)
    rich = {**TINY, "tasks": "V+I+A", "attribute_set": "rich", "attribute_floor": 0.05}
    configs = [RunConfig(**{**rich, "synthetic_persons": n, "fold": t, "seed": s}) for n, t, s in ((24, 0, 0), (40, 1, 2))]
    alone, grouped = _alone_and_grouped(tmp_path, configs)
    assert [len(m["attribute_weights"]) for m in alone] == [11, 12]  # 10 binary + one or two multi-class
    for a, g in zip(alone, grouped):
        _close(a, g)
        assert g["attributes"]["multiclass"] == a["attributes"]["multiclass"]


def test_runs_of_different_sizes_share_a_group(tmp_path):
    """Datasets of different sizes (epochs of 12, 15 and 9 pairs; 12, 15 and 9 identities) in one
    group, with steps of 5 pairs and momentum: padding pairs weigh 0, a run whose epoch is over
    takes no step (its momentum buffer waits), identity logits beyond a run's own are masked."""
    base = {**TINY, "pairs_per_step": 5, "momentum": 0.9, "lr_start": 1e-4}
    configs = [RunConfig(**{**base, "synthetic_persons": p, "fold": i}) for i, p in enumerate((24, 30, 18))]
    assert len({group_key(c.to_dict()) for c in configs}) == 1
    alone, grouped = _alone_and_grouped(tmp_path, configs)
    for a, g in zip(alone, grouped):
        _close(a, g)
    assert len({len(a["cmc_curve"]) for a in alone}) == 3  # three sizes indeed


def test_a_run_without_identities_beside_a_smaller_one_with_them(tmp_path):
    """A verification-only run on the larger data beside a multi-task run on smaller data: its
    person labels exceed the group's identity head, and must not reach the other run's loss."""
    configs = [RunConfig(**{**TINY, "synthetic_persons": 30, "tasks": "V"}),
               RunConfig(**{**TINY, "synthetic_persons": 18, "fold": 1})]
    alone, grouped = _alone_and_grouped(tmp_path, configs)
    for a, g in zip(alone, grouped):
        _close(a, g)


def test_a_bf16_group_trains_as_its_runs_alone(tmp_path):
    """bf16 autocast inside the vmapped step: the same arithmetic as alone, to bf16 tolerance."""
    configs = [RunConfig(**{**TINY, "precision": "bf16", "fold": t}) for t in (0, 1)]
    alone, grouped = _alone_and_grouped(tmp_path, configs)
    for a, g in zip(alone, grouped):
        for ea, eb in zip(a["history"]["epochs"], g["history"]["epochs"], strict=True):
            assert ea["total"] == pytest.approx(eb["total"], rel=2e-2)


def test_mixed_recipes_group_equals_runs_alone(tmp_path):
    """Runs that differ in every recipe key (task set, loss, momentum form, lr, normalisation,
    pairing, crops) share one group, and each still trains exactly as it would alone."""
    from reidlab.config import RECIPES

    base = {**TINY, "pairs_per_step": 3, "lr_start": 2e-3}
    configs = [RunConfig(**{**base, **RECIPES["reidlab-v1"]}),
               RunConfig(**{**base, **RECIPES["authors"], "fold": 1}),
               RunConfig(**{**base, **RECIPES["authors"], "tasks": "V", "momentum_style": "torch",
                            "lr_start": 1e-3, "normalisation": "dataset", "margin": 1.0})]
    assert len({group_key(c.to_dict()) for c in configs}) == 1
    alone, grouped = _alone_and_grouped(tmp_path, configs)
    for i, (a, g) in enumerate(zip(alone, grouped)):
        _close(a, g)
        assert set(g["history"]["epochs"][0]) == set(a["history"]["epochs"][0])  # its own terms only
        wa = torch.load(tmp_path / f"alone{i}/checkpoints/final.pt")["model"]
        wg = torch.load(tmp_path / f"group{i}/checkpoints/final.pt")["model"]
        assert wa.keys() == wg.keys()
        assert all(torch.allclose(wa[k], wg[k], atol=1e-4) for k in wa)
    assert "pose" not in alone[1]["history"]["epochs"][0] and "pose" in alone[0]["history"]["epochs"][0]


def test_group_attribute_weightings_and_resume(tmp_path):
    configs = [RunConfig(**{**TINY, "attribute_weighting": w}) for w in ("entropy", "equal")]
    alone = [Run(c, tmp_path / f"alone{i}", progress=False).execute() for i, c in enumerate(configs)]
    # a group resumes from its runs' checkpoints (here: two runs stopped after epoch 2)
    short = [RunConfig(**{**c.to_dict(), "epochs": 3}) for c in configs]
    for i, c in enumerate(short):
        run = Run(c, tmp_path / f"group{i}", progress=False)
        history, _, _ = run.resume()
        from reidlab.train import train_epoch

        for epoch in (1, 2):
            run.end_epoch(epoch, train_epoch(run.model, run.loss, run.optimizer, run.trainset, c, epoch), history, 0.0)
    grouped = RunGroup([Run(c, tmp_path / f"group{i}", progress=False) for i, c in enumerate(short)],
                       progress=False).execute()
    for a, g in zip(alone, grouped):
        _close(a, g)


def test_group_refuses_runs_of_different_shape(tmp_path):
    a = Run(RunConfig(**TINY), tmp_path / "a", progress=False)
    b = Run(RunConfig(**{**TINY, "feature_dim": 8}), tmp_path / "b", progress=False)
    with pytest.raises(ValueError, match="share every config key"):
        RunGroup([a, b])
    with pytest.raises(ValueError, match="SGD"):
        RunGroup([Run(RunConfig(**TINY, optimizer="adam"), tmp_path / "c", progress=False)])
    assert group_key(RunConfig(fold=1).to_dict()) == group_key(RunConfig(fold=2, seed=5).to_dict())
    assert json.loads(group_key(RunConfig().to_dict()))["epochs"] == 600


def test_group_stops_at_its_deadline_and_resumes(tmp_path):
    import time

    from reidlab.lifecycle import OutOfTime

    configs = [RunConfig(**{**TINY, "fold": t, "checkpoint_every": 10}) for t in (0, 1)]
    full = RunGroup([Run(c, tmp_path / f"full{i}", progress=False) for i, c in enumerate(configs)],
                    progress=False).execute()
    runs = lambda: [Run(c, tmp_path / f"cut{i}", progress=False) for i, c in enumerate(configs)]  # noqa: E731
    with pytest.raises(OutOfTime, match="after epoch 1"):
        RunGroup(runs(), progress=False).execute(deadline=time.time() - 1)
    assert all((tmp_path / f"cut{i}/checkpoints/last.pt").exists() for i in range(2))
    assert not any((tmp_path / f"cut{i}/metrics.json").exists() for i in range(2))  # nothing half-written
    resumed = RunGroup(runs(), progress=False).execute()
    for a, b in zip(full, resumed):
        _close(a, b)
    # provenance says where each stretch trained (here: both on this CPU, from epochs 1 and 2)
    cut = json.loads((tmp_path / "cut0/provenance.json").read_text())
    assert [s["first_epoch"] for s in cut["segments"]] == [1, 2]
    assert "segments" not in json.loads((tmp_path / "full0/provenance.json").read_text())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_graph_group_equals_eager_group(tmp_path):
    """On a GPU the group replays one captured CUDA graph per step; it must train as eager does."""
    configs = [RunConfig(**{**TINY, "device": "cuda", "fold": t}) for t in (0, 1)]
    eager = RunGroup([Run(c, tmp_path / f"eager{i}", progress=False) for i, c in enumerate(configs)],
                     graphs=False, progress=False).execute()
    graph = RunGroup([Run(c, tmp_path / f"graph{i}", progress=False) for i, c in enumerate(configs)],
                     graphs=True, progress=False).execute()
    for e, g in zip(eager, graph):
        assert g["batched"]["cuda_graph"] and not e["batched"]["cuda_graph"]
        _close(e, g)


def test_group_resumes_momentum_runs_beside_a_plain_one(tmp_path):
    """Lua-style and PyTorch-style momentum and none, stopped after epoch 1 and resumed as one
    group: the momentum buffers come back from each optimizer and each run ends as alone."""
    from reidlab.train import train_epoch

    base = {**TINY, "pairs_per_step": 4, "lr_start": 5e-4}
    configs = [RunConfig(**base, momentum=0.9, momentum_style="lua"),
               RunConfig(**base, momentum=0.5, fold=1), RunConfig(**base)]
    alone = [Run(c, tmp_path / f"alone{i}", progress=False).execute() for i, c in enumerate(configs)]
    for i, c in enumerate(configs):
        run = Run(c, tmp_path / f"group{i}", progress=False)
        history, _, _ = run.resume()
        run.end_epoch(1, train_epoch(run.model, run.loss, run.optimizer, run.trainset, c, 1), history, 0.0,
                      force_checkpoint=True)
    grouped = RunGroup([Run(c, tmp_path / f"group{i}", progress=False) for i, c in enumerate(configs)],
                       progress=False).execute()
    for i, (a, g) in enumerate(zip(alone, grouped)):
        _close(a, g)
        wa = torch.load(tmp_path / f"alone{i}/checkpoints/final.pt")["model"]
        wg = torch.load(tmp_path / f"group{i}/checkpoints/final.pt")["model"]
        assert all(torch.allclose(wa[k], wg[k], atol=1e-4) for k in wa)


def test_study_groups_runs_by_the_epoch_they_resume_from(tmp_path, monkeypatch):
    """A run checkpointed at epoch 1 and a fresh one share a group key but not a group."""
    from reidlab import executors
    from reidlab.train import train_epoch

    configs = [RunConfig(**TINY), RunConfig(**TINY, fold=1)]
    run = Run(configs[0], tmp_path / "a", progress=False)
    history, _, _ = run.resume()
    run.end_epoch(1, train_epoch(run.model, run.loss, run.optimizer, run.trainset, configs[0], 1), history, 0.0,
                  force_checkpoint=True)
    import reidlab.batched as batched

    sizes = []

    class Spy(batched.RunGroup):
        def __init__(self, runs, **kw):
            sizes.append(len(runs))
            super().__init__(runs, **kw)

    monkeypatch.setattr("reidlab.executors.GROUP_CONTEXT", None)  # the groups in this process: watched here
    monkeypatch.setattr(batched, "RunGroup", Spy)
    executors.run_batched([(configs[0], tmp_path / "a"), (configs[1], tmp_path / "b")], None, 4, False, None)
    assert sorted(sizes) == [1, 1]
    assert (tmp_path / "a/metrics.json").exists() and (tmp_path / "b/metrics.json").exists()


def test_a_group_refuses_evidence_without_its_code_version(tmp_path, monkeypatch):
    from reidlab import run as run_module, store
    from reidlab.errors import ConfigError

    monkeypatch.setattr(store, "STORE", tmp_path)
    monkeypatch.setattr(run_module, "git_commit", lambda: "unknown")
    runs = [Run(RunConfig(**{**TINY, "fold": t}), tmp_path / f"r{t}", progress=False) for t in (0, 1)]
    with pytest.raises(ConfigError, match="code version is unknown"):
        RunGroup(runs, progress=False).execute()


def test_groups_are_taken_in_queue_order(tmp_path, monkeypatch):
    """The items' order is the priority: the first group holds the first runs of the queue."""
    from reidlab import executors
    import reidlab.batched as batched

    seen = []

    class Spy(batched.RunGroup):
        def __init__(self, runs, **kw):
            seen.append([r.cfg.fold for r in runs])
            super().__init__(runs, **kw)

    monkeypatch.setattr("reidlab.executors.GROUP_CONTEXT", None)  # the groups in this process: watched here
    monkeypatch.setattr(batched, "RunGroup", Spy)
    configs = [RunConfig(**{**TINY, "epochs": 1, "fold": f}) for f in (2, 0, 1)]
    executors.run_batched([(c, tmp_path / str(c.fold)) for c in configs], None, 2, False, None)
    assert seen == [[2, 0], [1]]


@pytest.mark.parametrize("which, views", [("test", "ten-crop"), ("train", "centre")])
def test_batched_evaluation_equals_each_run_evaluated_alone(tmp_path, monkeypatch, which, views):
    """A group ranks every run at once, in chunks of images (here 3 per chunk, so runs of 24, 30
    and 18 persons end in padded chunks): each run's ranking as the run alone evaluates it."""
    import reidlab.batched as batched
    from reidlab.evaluate import evaluate

    monkeypatch.setattr(batched, "EVAL_CROPS", 3 * 10 * 3)
    configs = [RunConfig(**{**TINY, "synthetic_persons": p, "fold": i, "seed": i}) for i, p in enumerate((24, 30, 18))]
    group = RunGroup([Run(c, tmp_path / f"g{i}", progress=False) for i, c in enumerate(configs)], progress=False)
    group.train_epoch(1)
    group.sync()  # each run's own model holds its stacked weights
    for run, (ranking, seconds) in zip(group.runs, group.rankings(which, views), strict=True):
        alone = evaluate(run.model.features, *run.ranked(which), views)
        assert ranking.cmc == pytest.approx(alone.cmc, abs=1e-6)
        assert ranking.mAP == pytest.approx(alone.mAP, abs=1e-6)
        assert seconds > 0
    assert len({r.mAP for r, _ in group.rankings(which, views)}) == 3  # three different runs indeed


def test_a_rehearsal_catches_a_group_that_would_break_and_writes_nothing(tmp_path, monkeypatch):
    """The rehearsal of a GPU call's groups (one step, a few features): the mixed group above,
    with its labels made as before the fix, fails there; made right, it passes and stores nothing."""
    import reidlab.batched as batched

    configs = [RunConfig(**{**TINY, "synthetic_persons": 30, "tasks": "V"}),
               RunConfig(**{**TINY, "synthetic_persons": 18, "fold": 1})]
    runs = [Run(c, tmp_path / f"r{i}", progress=False) for i, c in enumerate(configs)]
    RunGroup(runs, progress=False).rehearse()
    assert not any(tmp_path.rglob("*.json")) and not any(tmp_path.rglob("*.pt"))
    monkeypatch.setattr(batched, "_counts", lambda run, label: True)  # as before the fix: its own labels
    with pytest.raises(ValueError, match="past the group's identity head"):
        RunGroup(runs, progress=False).rehearse()


def test_runs_of_one_dataset_share_its_images_while_any_of_them_lives(tmp_path):
    """A group's runs read one copy of the dataset and of its pre-processed images (a 64-run PETA
    group held 64 copies): under training-set statistics one YUV copy serves every fold, each fold
    normalising as it reads; another normalisation is another copy; the last run gone frees them."""
    import gc

    from reidlab import run as run_module
    from reidlab.transforms import preprocess

    own = {**TINY, "synthetic_persons": 23, "normalisation": "dataset"}  # a dataset no other test loads
    a, b = (Run(RunConfig(**own, seed=s), tmp_path / f"r{s}", progress=False) for s in (0, 1))
    other_fold = Run(RunConfig(**own, fold=1), tmp_path / "f1", progress=False)
    c = Run(RunConfig(**{**own, "normalisation": "image"}), tmp_path / "c", progress=False)
    assert a.train_data is b.train_data is c.train_data is other_fold.train_data
    assert a.train_images is b.train_images and c.train_images is not a.train_images
    assert other_fold.train_images.yuv is a.train_images.yuv and other_fold.stats[0].ne(a.stats[0]).any()
    for r in (a, other_fold):  # the numbers a per-fold normalised copy held, element for element
        assert torch.equal(r.train_images[:], preprocess(r.train_data.images, "dataset", r.stats))
    mine = {key for key in run_module._SHARED.keys() if key[:2] == ("synthetic", 23)}
    assert len(mine) == 5  # the dataset, its YUV copy, each fold's view of it, its image-normalised copy
    del a, b, c, other_fold, r
    gc.collect()
    assert not mine & set(run_module._SHARED.keys())
