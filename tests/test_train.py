"""Training at a tiny size: it learns, it is deterministic, resume equals an uninterrupted run."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from reidlab.cli import main
from reidlab.config import RunConfig, apply_overrides
from reidlab.errors import ConfigError
from reidlab.run import Run
from reidlab.train import PairSampler, learning_rate

TINY = dict(dataset="synthetic", synthetic_persons=24, epochs=4, widths=[8, 16], feature_dim=16,
            curve_every=2, checkpoint_every=2, test_views="flip")


def test_pair_sampler_epoch():
    pids = np.repeat(np.arange(6), 2)
    camids = np.tile([0, 1], 6)
    a, b, same = PairSampler(pids, camids).epoch(np.random.default_rng(0))
    assert len(a) == 12 and same.sum() == 6
    assert (pids[a][same] == pids[b][same]).all() and (pids[a][~same] != pids[b][~same]).all()
    assert (camids[a] == 0).all() and (camids[b] == 1).all()  # camera A vs camera B
    rows = np.arange(100, 112)  # the training images are rows 100-111 of a larger dataset
    a2, b2, same2 = PairSampler(pids, camids, rows).epoch(np.random.default_rng(0))
    assert (a2 == a + 100).all() and (b2 == b + 100).all() and (same2 == same).all()
    no_cams = PairSampler(np.array([0, 0, 0, 1, 1]), np.full(5, -1)).epoch(np.random.default_rng(1))
    assert (no_cams[0] != no_cams[1]).all()  # never an image paired with itself


def test_an_epoch_of_all_positive_pairs():
    # person 0: 2 images per camera -> 2x2 cross-camera pairs; person 1: 3 images, no camera ->
    # 3 unordered pairs; person 2: one image (no positive pair); one negative per positive
    pids = np.array([0, 0, 0, 0, 1, 1, 1, 2])
    camids = np.array([0, 0, 1, 1, -1, -1, -1, -1])
    sampler = PairSampler(pids, camids, epoch_pairs="all")
    a, b, same = sampler.epoch(np.random.default_rng(0))
    assert sampler.pairs_per_epoch == len(a) == 2 * (4 + 3) and same.sum() == 7
    positives = {tuple(sorted(p)) for p in zip(a[same].tolist(), b[same].tolist())}
    assert positives == {(0, 2), (0, 3), (1, 2), (1, 3), (4, 5), (4, 6), (5, 6)}  # each once
    assert (pids[a][~same] != pids[b][~same]).all()
    assert PairSampler(pids, camids).pairs_per_epoch == 2 * 2  # per person: persons 0 and 1
    with pytest.raises(ValueError, match="epoch_pairs"):
        PairSampler(pids, camids, epoch_pairs="most")


def test_pair_sampler_with_several_images_per_side():
    pids = np.repeat(np.arange(5), 4)           # 4 images per person, 2 in each camera
    camids = np.tile([0, 0, 1, 1], 5)
    sampler = PairSampler(pids, camids)
    seen = set()
    for seed in range(50):
        a, b, same = sampler.epoch(np.random.default_rng(seed))
        assert len(a) == sampler.pairs_per_epoch == 10
        assert (pids[a][same] == pids[b][same]).all() and (pids[a][~same] != pids[b][~same]).all()
        assert (camids[a] == 0).all() and (camids[b] == 1).all()
        seen |= set(zip(a[same].tolist(), b[same].tolist()))
    assert len(seen) == 5 * 2 * 2  # every cross-camera positive pair turns up
    one_camera = PairSampler(np.repeat([0, 1], 3), np.full(6, -1))
    for seed in range(30):
        a, b, same = one_camera.epoch(np.random.default_rng(seed))
        assert (a != b).all()


def test_learning_rate_is_linear():
    cfg = RunConfig(epochs=600)
    assert learning_rate(cfg, 1) == pytest.approx(1e-3) and learning_rate(cfg, 600) == pytest.approx(1e-5)
    assert learning_rate(cfg, 300) == pytest.approx(1e-3 + (1e-5 - 1e-3) * 299 / 599)


def test_training_learns_and_writes_a_run(tmp_path):
    metrics = Run(RunConfig(**{**TINY, "epochs": 8}), tmp_path / "r", progress=False, snapshots=True).execute()
    losses = [e["total"] for e in metrics["history"]["epochs"]]
    assert losses[-1] < losses[0]
    assert [c["epoch"] for c in metrics["history"]["curve"]] == [0, 2, 4, 6, 8]
    assert set(metrics["cmc"]) >= {"1", "5", "10", "20", "50"} and 0 <= metrics["mAP"] <= 100
    assert metrics["pose"]["accuracy"] >= 0 and len(metrics["attributes"]["per_attribute"]) == 15
    for name in ("config.yaml", "metrics.json", "provenance.json", "checkpoints/final.pt",
                 "checkpoints/epoch_0004.pt"):
        assert (tmp_path / "r" / name).exists()
    prov = json.loads((tmp_path / "r" / "provenance.json").read_text())
    assert {"git_commit", "packages", "device", "seeds", "wall_time_s"} <= set(prov)


def test_provenance_of_a_gpu_run_says_which_products_ran_as_tf32(monkeypatch):
    """fp32 on a GPU is not fp32 throughout: PyTorch runs convolutions as TF32 by default."""
    from reidlab.provenance import provenance

    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device: "a GPU")
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)
    gpu = provenance(torch.device("cuda"), {"seed": 0}, 1.0, commit="abc")
    assert gpu["device"] == "a GPU" and gpu["tf32"] == {"convolutions": True, "matmul": False}
    assert "tf32" not in provenance(torch.device("cpu"), {"seed": 0}, 1.0, commit="abc")


def test_a_run_keeps_only_its_latest_and_final_weights_unless_asked(tmp_path):
    """Snapshots of every checkpoint (~4 MB each, 60 per 600-epoch run) would fill a GPU
    machine's disk over the study: by default a run keeps last.pt (to resume) and final.pt."""
    Run(RunConfig(**{**TINY, "epochs": 4}), tmp_path / "r", progress=False).execute()
    assert sorted(p.name for p in (tmp_path / "r" / "checkpoints").iterdir()) == ["final.pt", "last.pt"]


def test_a_finished_run_stores_its_history_once(tmp_path):
    """The per-epoch history is in metrics.json; a finished run's progress.json keeps only how far
    it got (a copy there doubled the committed store). Losses are kept to 6 significant digits."""
    metrics = Run(RunConfig(**TINY), tmp_path / "r", progress=False).execute()
    progress = json.loads((tmp_path / "r" / "progress.json").read_text())
    assert progress["epoch"] == TINY["epochs"] and "history" not in progress and progress["git_commit"]
    epochs = metrics["history"]["epochs"]
    assert [e["epoch"] for e in epochs] == [1, 2, 3, 4]
    assert all(v == float(f"{v:.6g}") for e in epochs for v in e.values())


def test_resume_equals_uninterrupted(tmp_path, monkeypatch):
    full = Run(RunConfig(**TINY), tmp_path / "full", progress=False).execute()
    # interrupted: stop after epoch 2 (a config with epochs=4 whose run dir holds epoch 2's checkpoint)
    part = Run(RunConfig(**TINY), tmp_path / "part", progress=False)
    from reidlab.lifecycle import Alone

    train_epoch = Alone.train_epoch

    def two_epochs(self, epoch):
        if epoch > 2:
            raise KeyboardInterrupt
        return train_epoch(self, epoch)

    with monkeypatch.context() as patch:
        patch.setattr(Alone, "train_epoch", two_epochs)
        with pytest.raises(KeyboardInterrupt):
            part.execute()
    assert not (tmp_path / "part" / "metrics.json").exists()  # no half-written result
    resumed = Run(RunConfig(**TINY), tmp_path / "part", progress=False).execute()
    assert resumed["cmc_curve"] == full["cmc_curve"] and resumed["mAP"] == full["mAP"]
    assert resumed["history"]["epochs"] == full["history"]["epochs"]
    a = torch.load(tmp_path / "full/checkpoints/final.pt")["model"]
    b = torch.load(tmp_path / "part/checkpoints/final.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_run_resumes_on_another_device(tmp_path):
    first = Run(RunConfig(**{**TINY, "epochs": 1}), tmp_path / "r", progress=False).execute()
    # the device is where a run executes, not what it is: the same run directory accepts it
    again = Run(RunConfig(**{**TINY, "epochs": 1, "device": "cpu"}), tmp_path / "r", progress=False)
    assert again.execute() == first


def test_a_checkpoint_without_its_code_version_leaves_the_code_that_finishes_the_run(tmp_path, monkeypatch):
    """Provenance never says ``unknown`` for a run's code: a checkpoint written where git was not
    reachable (the first GPU calls) names the commit that finishes the run, its stretch says so."""
    import reidlab.run as run_module

    Run(RunConfig(**TINY), tmp_path / "r", progress=False).execute()
    last = tmp_path / "r" / "checkpoints" / "last.pt"
    state = torch.load(last, weights_only=False)
    torch.save({**{k: v for k, v in state.items() if k != "segments"}, "commit": "unknown"}, last)
    for name in ("metrics.json", "provenance.json"):
        (tmp_path / "r" / name).unlink()
    monkeypatch.setattr(run_module, "git_commit", lambda: "abc123")
    Run(RunConfig(**TINY), tmp_path / "r", progress=False).execute()
    prov = json.loads((tmp_path / "r" / "provenance.json").read_text())
    assert prov["git_commit"] == "abc123"
    assert [s["git_commit"] for s in prov["segments"]] == ["unknown", "abc123"]


def test_a_run_stored_before_a_key_existed_resumes(tmp_path):
    first = Run(RunConfig(**{**TINY, "epochs": 1}), tmp_path / "r", progress=False).execute()
    path = tmp_path / "r" / "config.yaml"
    old = {k: v for k, v in yaml.safe_load(path.read_text()).items() if k != "padding"}
    path.write_text(yaml.safe_dump(old, sort_keys=False))  # as written before `padding` existed
    assert Run(RunConfig(**{**TINY, "epochs": 1}), tmp_path / "r", progress=False).execute() == first
    with pytest.raises(ConfigError, match="another config"):  # but not under another value of it
        Run(RunConfig(**{**TINY, "epochs": 1, "padding": [4, 3]}), tmp_path / "r", progress=False).execute()


def test_a_0_epoch_run_evaluates_its_pretrained_network(tmp_path):
    trained = Run(RunConfig(**{**TINY, "epochs": 1}), tmp_path / "a", progress=False).execute()
    evaluation = {**TINY, "epochs": 0, "curve_every": 0, "pretrained": "@store/a"}
    again = Run(RunConfig(**evaluation), tmp_path / "b", progress=False).execute()
    assert again["cmc_curve"] == trained["cmc_curve"] and again["mAP"] == trained["mAP"]
    assert again["history"] == {"epochs": [], "curve": []}  # nothing trained
    assert not (tmp_path / "b" / "checkpoints" / "final.pt").exists()  # its weights are a's
    with pytest.raises(ConfigError, match="0 epochs: an evaluation of a pretrained network"):
        RunConfig(**{**TINY, "epochs": 0}).validate()  # of no network


def test_finished_run_is_not_retrained(tmp_path):
    first = Run(RunConfig(**{**TINY, "epochs": 1}), tmp_path / "r", progress=False).execute()
    shutil.rmtree(tmp_path / "r" / "checkpoints")
    assert Run(RunConfig(**{**TINY, "epochs": 1}), tmp_path / "r", progress=False).execute() == first
    with pytest.raises(ConfigError, match="another config"):
        Run(RunConfig(**{**TINY, "epochs": 2}), tmp_path / "r", progress=False).execute()


def test_floats_as_yaml_1_2_reads_them(tmp_path):
    assert apply_overrides(RunConfig(), ["lr_start=8e-3"]).lr_start == 0.008  # YAML 1.1: the string "8e-3"
    (tmp_path / "c.yaml").write_text("lr_start: 1e-3\nlr_end: 1.0e-05\nepochs: 20\ntasks: V+I\n")
    cfg = RunConfig.load(tmp_path / "c.yaml")
    assert (cfg.lr_start, cfg.lr_end, cfg.epochs, cfg.tasks) == (0.001, 1e-05, 20, "V+I")


def test_config_errors_name_the_key(tmp_path):
    with pytest.raises(ConfigError, match="'verification_loss'.*allowed"):
        RunConfig(verification_loss="triplet").validate()
    with pytest.raises(ConfigError, match="'epochs'.*int"):
        apply_overrides(RunConfig(), ["epochs=ten"])
    with pytest.raises(ConfigError, match="unknown config key"):
        RunConfig.from_dict({"epoch": 3})
    with pytest.raises(ConfigError, match="tasks"):
        RunConfig(tasks="V+Q").validate()
    (tmp_path / "bad.yaml").write_text("dataset: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        RunConfig.load(tmp_path / "bad.yaml")


def test_tasks_need_labels(data_root, tmp_path):
    with pytest.raises(ConfigError, match="no pose labels"):
        Run(RunConfig(dataset="ilids", tasks="V+P", epochs=1), tmp_path / "r", data_root, progress=False)


def test_cli_run(tmp_path, capsys):
    args = ["run", "--out", str(tmp_path), "--name", "cli", "--quiet"]
    for key, value in {**TINY, "epochs": 1}.items():
        args += ["--set", f"{key}={json.dumps(value)}"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "CMC rank 1/5/10/20/50" in out and (tmp_path / "cli" / "metrics.json").exists()
    assert main(["run", "--set", "optimizer=rmsprop", "--out", str(tmp_path)]) == 2
    assert "'optimizer'" in capsys.readouterr().err


def test_pretrained_feature_network_initialises_fine_tuning(tmp_path):
    """Table V: G trained on one dataset initialises G on another; the heads start fresh."""
    source = Run(RunConfig(**{**TINY, "epochs": 1}), tmp_path / "src", progress=False)
    source.execute()
    target_cfg = RunConfig(**{**TINY, "epochs": 1, "split_seed": 5, "synthetic_persons": 30,
                              "pretrained": str(tmp_path / "src")})
    target = Run(target_cfg, tmp_path / "dst", progress=False)
    trained = torch.load(tmp_path / "src/checkpoints/final.pt")["model"]
    for name, value in target.model.features.state_dict().items():
        assert torch.equal(value.cpu(), trained["features." + name])
    assert target.model.heads.identity.out_features == 15  # the target's own training persons
    with pytest.raises(ConfigError, match="no final weights"):
        Run(RunConfig(**{**TINY, "pretrained": str(tmp_path / "nothing")}), tmp_path / "x", progress=False)


def test_authors_pairing_draws_negatives_from_any_camera_and_alternates():
    pids = np.repeat(np.arange(40), 2)
    camids = np.tile([0, 1], 40)
    cross = PairSampler(pids, camids)
    authors = PairSampler(pids, camids, pairing="authors")
    same_camera = []
    for seed in range(20):
        a, b, same = cross.epoch(np.random.default_rng(seed))
        assert (camids[a[~same]] != camids[b[~same]]).all()  # cross-camera negatives only
        a, b, same = authors.epoch(np.random.default_rng(seed))
        assert (same[0::2]).all() and (~same[1::2]).all()  # positive, negative, positive, ...
        assert (pids[a][same] == pids[b][same]).all() and (pids[a][~same] != pids[b][~same]).all()
        assert (camids[a[same]] != camids[b[same]]).all()  # positives stay cross-camera
        same_camera.append(np.mean(camids[a[~same]] == camids[b[~same]]))
    assert 0.4 < np.mean(same_camera) < 0.6  # each camera at random: about half same-camera
    with pytest.raises(ValueError, match="pairing"):
        PairSampler(pids, camids, pairing="random")


def test_lua_momentum_is_a_moving_average_of_gradients():
    """optim.sgd (Lua): buf = g on the first step, then buf = m buf + (1 - m) g; p -= lr buf."""
    from reidlab.train import make_optimizer

    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    start = [p.detach().clone() for p in model.parameters()]
    cfg = RunConfig(momentum=0.9, momentum_style="lua", lr_start=0.1)
    opt = make_optimizer(cfg, model)
    x = torch.randn(4, 3)
    grads = []
    for _ in range(3):
        opt.zero_grad()
        model(x).pow(2).sum().backward()
        grads.append([p.grad.clone() for p in model.parameters()])
        opt.step()
    for k, p in enumerate(model.parameters()):  # the same three steps by hand
        q, buf = start[k].clone(), None
        for g in grads:
            buf = g[k].clone() if buf is None else 0.9 * buf + 0.1 * g[k]
            q -= 0.1 * buf
        assert torch.allclose(p, q, atol=1e-6)
    torch_style = make_optimizer(RunConfig(momentum=0.9, lr_start=0.1), model)
    assert torch_style.param_groups[0]["dampening"] == 0 and opt.param_groups[0]["dampening"] == 0.9


def test_the_stacked_sgd_step_is_optim_sgd_run_by_run():
    """``sgd_step`` on 3 stacked runs (own lr, momentum and dampening; clipped; one run idle for a
    step) against clip_grad_value_ + torch.optim.SGD stepping each run alone."""
    from reidlab.train import sgd_step

    gen = torch.Generator().manual_seed(0)
    lr, momentum, dampening = torch.tensor([0.1, 0.05, 0.2]), torch.tensor([0.9, 0.0, 0.5]), torch.tensor([0.9, 0.0, 0.0])
    shapes = [(4, 3), (4,)]
    start = [torch.randn(3, *s, generator=gen) for s in shapes]
    grads = [[torch.randn(3, *s, generator=gen) * 4 for s in shapes] for _ in range(4)]  # some past the clip
    active = [torch.ones(3), torch.tensor([1.0, 0.0, 1.0]), torch.ones(3), torch.ones(3)]
    params, buffers, started = [p.clone() for p in start], [torch.zeros_like(p) for p in start], torch.zeros(3)
    for g, a in zip(grads, active):
        sgd_step(params, [x.clone() for x in g], buffers, lr, a, momentum, dampening, started, clip=5.0)
    for r in range(3):
        alone = [torch.nn.Parameter(p[r].clone()) for p in start]
        opt = torch.optim.SGD(alone, lr=float(lr[r]), momentum=float(momentum[r]), dampening=float(dampening[r]))
        for g, a in zip(grads, active):
            if a[r]:
                for p, x in zip(alone, g):
                    p.grad = x[r].clone()
                torch.nn.utils.clip_grad_value_(alone, 5.0)
                opt.step()
        for p, q in zip(params, alone):
            torch.testing.assert_close(p[r], q.detach())
    moved = [p - s for p, s in zip(params, start)]
    assert all(m.abs().max() > 0.1 for m in moved)  # the steps did something to compare


def test_a_fix_invalidates_the_runs_it_touches_only(monkeypatch):
    from reidlab import config

    viper, peta = RunConfig(dataset="viper"), RunConfig(dataset="peta-reid", tasks="V+I+A")
    before = viper.identity(), peta.identity()
    assert config.code_version(peta) == 1 and config.code_version(viper) == 0  # B1 touched PETA only
    monkeypatch.setattr(config, "FIXES", config.FIXES + [("a VIPeR fix", lambda c: c.dataset == "viper")])
    assert viper.identity() != before[0] and peta.identity() == before[1]


def test_recipes_and_legacy_identities():
    from reidlab.config import RECIPES

    assert {tuple(sorted(r)) for r in RECIPES.values()} == {tuple(sorted(RECIPES["authors"]))}  # same keys
    assert all(getattr(RunConfig(), k) == v for k, v in RECIPES["reidlab-v2"].items())  # the default
    # keys added or renamed later do not change the identities of runs stored before them (Table IV fold 0, v1)
    assert RunConfig(dataset="viper", **RECIPES["reidlab-v1"]).identity() == "9e31156bace8"
    assert RunConfig.from_dict({"dataset": "viper", "trial": 3}).fold == 3  # a stored config.yaml
    assert RunConfig(dataset="viper", **{**RECIPES["reidlab-v1"], "pairing": "authors"}).identity() != "9e31156bace8"
    with pytest.raises(ConfigError, match="crop_offset_min"):
        RunConfig(crop_offset_min=2).validate()
    with pytest.raises(ConfigError, match="'padding'"):
        RunConfig(padding=[4, 4]).validate()
    with pytest.raises(ConfigError, match="'padding'"):
        RunConfig(padding=[4, "3", 4]).validate()
    assert RunConfig(padding=[4, 4, 4]).validate().identity() == RunConfig().identity()
    assert RunConfig(padding=[4, 4, 4]).padding is None  # canonical from construction on
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):  # a config is never changed in place
        RunConfig().epochs = 3


def test_every_stored_config_read_back_has_its_folders_identity():
    """The one canonical form: a committed config.yaml, read as stored (a key it predates holds its
    LEGACY value; "trial" is "fold"), hashes to the name of the folder it lies in."""
    import yaml

    from reidlab.store import STORE

    folders = [d for d in STORE.iterdir() if (d / "config.yaml").is_file()]
    assert len(folders) > 50  # the committed store
    wrong = [d.name for d in folders if RunConfig.from_stored(yaml.safe_load((d / "config.yaml").read_text())).identity() != d.name]
    assert wrong == []
    stored = yaml.safe_load((folders[0] / "config.yaml").read_text())
    assert RunConfig.from_stored({**stored, "device": "cuda"}).canonical() == RunConfig.from_stored(stored).canonical()
    assert RunConfig.from_stored({**stored, "seed": stored["seed"] + 1}).identity() != folders[0].name


def test_pair_sampler_on_a_pooled_set_of_two_camera_and_camera_less_persons():
    """The pooled PETA set keeps VIPeR's cameras (0/1) and has none (-1) for i-LIDS, CAVIAR and
    3DPeS: every person must still give positive pairs, and no pair may use a padding row."""
    pids = np.array([0, 0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 5])
    camids = np.array([0, 1, 0, 1, 0, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1])
    for pairing in ("cross-camera", "authors"):
        sampler = PairSampler(pids, camids, pairing=pairing)
        assert sampler.pairs_per_epoch == 12  # all six persons give a positive pair
        for seed in range(30):
            a, b, same = sampler.epoch(np.random.default_rng(seed))
            assert a.min() >= 0 and b.min() >= 0 and (a != b).all()
            assert (pids[a][same] == pids[b][same]).all() and (pids[a][~same] != pids[b][~same]).all()
            viper = same & (camids[a] >= 0)
            assert (camids[a[viper]] != camids[b[viper]]).all()  # two-camera persons: cross-camera


def test_evidence_names_its_code(tmp_path, monkeypatch):
    import json
    from pathlib import Path

    from reidlab import run as run_module, store

    monkeypatch.setattr(store, "STORE", tmp_path / "store")
    monkeypatch.setattr(run_module, "git_commit", lambda: "unknown")
    with pytest.raises(ConfigError, match="REIDLAB_GIT_COMMIT"):
        Run(RunConfig(**{**TINY, "epochs": 1}), tmp_path / "store" / "r", progress=False).execute()
    Run(RunConfig(**{**TINY, "epochs": 1}), tmp_path / "scratch", progress=False).execute()  # not evidence: fine
    committed = Path(__file__).resolve().parents[1] / "results" / "store"
    unknown = [p.parent.name for p in committed.glob("*/provenance.json")
               if json.loads(p.read_text())["git_commit"] == "unknown"]
    assert not unknown, f"stored runs without their code version: {unknown}"


def test_evidence_names_code_in_this_history():
    # a stored run's commit is in main's history, or its first epoch was replayed with this code
    # (reidlab replay) and matched to the CPU's rounding: results/provenance/replay.csv
    import json
    import subprocess
    from pathlib import Path

    from reidlab.provenance import commit_known

    repo = Path(__file__).resolve().parents[1]
    shallow = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=repo, capture_output=True,
                             text=True).stdout.strip()
    if shallow != "false" or not commit_known("HEAD"):
        pytest.skip("needs the full git history")
    replayed = pd.read_csv(repo / "results" / "provenance" / "replay.csv", index_col="run", dtype={"run": str})
    close = set(replayed.index[replayed["max relative difference"] < 1e-3])
    unknown = [p.parent.name for p in (repo / "results" / "store").glob("*/provenance.json")
               if not commit_known(json.loads(p.read_text())["git_commit"]) and p.parent.name not in close]
    assert not unknown, f"stored runs whose code is nowhere in this history: {unknown} (reidlab replay them)"


def test_bf16_training_is_an_option_of_its_own(tmp_path):
    from reidlab.train import forward_precision

    layer = torch.nn.Linear(4, 2)
    for precision, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        with forward_precision(RunConfig(precision=precision), torch.device("cpu")):
            assert layer(torch.ones(1, 4)).dtype == dtype
    fp32, bf16 = RunConfig(**TINY), RunConfig(**{**TINY, "precision": "bf16"})
    assert fp32.identity() == RunConfig(**{**TINY, "precision": "fp32"}).identity() != bf16.identity()
    metrics = Run(RunConfig(**{**TINY, "epochs": 1, "precision": "bf16"}), tmp_path / "r", progress=False).execute()
    assert np.isfinite(metrics["history"]["epochs"][0]["total"])


def test_a_planted_pickle_is_refused(tmp_path):
    """A checkpoint is input from elsewhere (unfinished runs' last.pt are committed): loading it
    must never run code."""
    import os
    import pickle

    class Planted:
        def __reduce__(self):
            return os.system, (f"touch {tmp_path / 'pwned'}",)

    Run(RunConfig(**{**TINY, "epochs": 2, "checkpoint_every": 1}), tmp_path / "r", progress=False).execute()
    last = tmp_path / "r" / "checkpoints" / "last.pt"
    (tmp_path / "r" / "metrics.json").unlink()  # unfinished again: the next start resumes from last.pt
    with open(last, "wb") as f:
        pickle.dump({"model": Planted()}, f)
    with pytest.raises(ConfigError, match="not a readable checkpoint.*delete it and run again"):
        Run(RunConfig(**{**TINY, "epochs": 2, "checkpoint_every": 1}), tmp_path / "r", progress=False).execute()
    assert not (tmp_path / "pwned").exists()
    last.write_bytes(b"truncated")
    with pytest.raises(ConfigError, match="last.pt is not a readable checkpoint"):
        Run(RunConfig(**{**TINY, "epochs": 2, "checkpoint_every": 1}), tmp_path / "r", progress=False).execute()


def test_one_trainer_per_run_directory(tmp_path):
    import os
    import subprocess
    import sys

    from reidlab.lifecycle import run_lock

    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path; "
                               "from reidlab.lifecycle import run_lock\n"
                               "with run_lock(Path(sys.argv[1])):\n print('locked', flush=True); time.sleep(60)",
                               str(tmp_path / "r")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError, match=f"being trained by process {holder.pid}"):
            Run(RunConfig(**{**TINY, "epochs": 1}), tmp_path / "r", progress=False).execute()
    finally:
        holder.kill()  # however its process ends, the kernel releases the lock
        holder.wait()
    assert Run(RunConfig(**{**TINY, "epochs": 1}), tmp_path / "r", progress=False).execute()["mAP"] >= 0
    with run_lock(tmp_path / "s"):
        assert (tmp_path / "s" / ".lock").read_text() == str(os.getpid())
        with pytest.raises(ConfigError, match="being trained"):  # a second holder, even in this process
            with run_lock(tmp_path / "s"):
                pass
    with run_lock(tmp_path / "s"):  # released: taken again
        pass


def test_a_run_name_cannot_leave_out(tmp_path, capsys):
    from reidlab.cli import main

    for name in ("../escape", str(tmp_path / "abs"), "."):
        assert main(["run", "--out", str(tmp_path / "runs"), "--name", name, "--set", "epochs=1"]) == 2
        assert "leaves --out" in capsys.readouterr().err
    assert not (tmp_path / "escape").exists()


@pytest.mark.parametrize("override, key", [("widths=[0]", "widths"), ("checkpoint_every=0", "checkpoint_every"),
                                           ("fold=-1", "fold"), ("lr_start=-1.0", "lr_start"),
                                           ("synthetic_persons=1", "synthetic_persons"),
                                           ("curve_every=-2", "curve_every"), ("gallery=every", "gallery"),
                                           ("gallery=all-images", "gallery")])  # a two-camera test set
def test_bad_values_are_refused_before_any_work(tmp_path, override, key):
    with pytest.raises(ConfigError, match=f"'{key}'"):
        Run(apply_overrides(RunConfig(**TINY), [override]), tmp_path / "r", progress=False)
    assert not (tmp_path / "r").exists()  # no half-made run folder blocks the corrected rerun


def test_a_config_file_must_be_a_mapping(tmp_path):
    for text in ("- 3\n- 4\n", "3\n"):
        (tmp_path / "c.yaml").write_text(text)
        with pytest.raises(ConfigError, match="not a mapping"):
            RunConfig.load(tmp_path / "c.yaml")


def test_damaged_results_and_a_full_disk_are_said_plainly(tmp_path, monkeypatch):
    from reidlab.errors import ReidlabError
    from reidlab.store import stored

    cfg = RunConfig(**{**TINY, "epochs": 1})
    Run(cfg, tmp_path / cfg.identity(), progress=False).execute()
    (tmp_path / cfg.identity() / "metrics.json").write_text('{"cmc": {"1": 3')  # torn by hand
    with pytest.raises(ReidlabError, match="metrics.json is damaged.*git checkout"):
        stored(cfg, tmp_path)

    def full(*args, **kwargs):
        raise RuntimeError("[enforce fail at inline_container.cc:672] . PytorchStreamWriter failed writing file")
    monkeypatch.setattr(torch, "save", full)
    with pytest.raises(ReidlabError, match="the disk is full"):
        Run(RunConfig(**{**TINY, "epochs": 1}), tmp_path / "other", progress=False).execute()
    assert not list((tmp_path / "other").rglob("*.tmp"))  # no partial file left


def test_a_replay_retrains_a_stored_runs_first_epochs_exactly(tmp_path, monkeypatch):
    from reidlab.replay import replay

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the stored runs trained: deterministic on the CPU
    try:
        Run(RunConfig(**{**TINY, "epochs": 2}), tmp_path / "r", progress=False).execute()
        same = replay(tmp_path / "r", epochs=2)
        assert len(same) and same.equal.all() and set(same.epoch) == {1, 2}
        assert main(["replay", "r", "--store", str(tmp_path), "--out", str(tmp_path / "replay.csv")]) == 0
        table = pd.read_csv(tmp_path / "replay.csv")
        assert table.equal.tolist() == [True] and table["commit in history"].tolist() == [True]
        config = tmp_path / "r" / "config.yaml"  # another initialisation: the replay tells
        config.write_text(config.read_text().replace("\nseed: 0\n", "\nseed: 1\n"))
        assert not replay(tmp_path / "r", epochs=1).equal.any()
    finally:
        torch.set_num_threads(threads)
    with pytest.raises(ConfigError, match="at most"):
        replay(tmp_path / "r", epochs=3)
    assert main(["replay", "no-such-run", "--store", str(tmp_path)]) != 0


def test_a_run_being_trained_is_refused_before_its_data_loads(tmp_path, monkeypatch):
    from reidlab import run as run_module
    from reidlab.lifecycle import run_lock

    def no_loading(*args):
        raise AssertionError("the data loaded before the lock was checked")

    with run_lock(tmp_path / "r"):  # another trainer holds it (a second fd conflicts even here)
        monkeypatch.setattr(run_module, "load_data", no_loading)
        with pytest.raises(ConfigError, match="being trained by process"):
            Run(RunConfig(**TINY), tmp_path / "r", progress=False)


def test_a_cut_off_config_or_weights_file_is_one_clear_line(tmp_path):
    from reidlab.run import load_checkpoint, settle_progress

    (tmp_path / "r").mkdir()
    for text in ("", "dataset: synth", "dataset"):  # empty; cut off after one key, within one
        (tmp_path / "r" / "config.yaml").write_text(text)
        with pytest.raises(ConfigError, match="config.yaml is empty or not a config .*delete .* to train"):
            Run(RunConfig(**TINY), tmp_path / "r", progress=False).execute()
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "weights.pt").write_bytes(b"truncated")
    with pytest.raises(ConfigError, match=r"weights.pt is not a readable weights file .*git checkout -- "):
        load_checkpoint(tmp_path / "w" / "weights.pt")
    (tmp_path / "w" / "metrics.json").write_text("{}")
    (tmp_path / "w" / "progress.json").write_text('{"epoch": 6')  # damaged, of a finished run: derived
    settle_progress(tmp_path / "w")
    assert not (tmp_path / "w" / "progress.json").exists()


def test_an_unusable_output_folder_is_one_clear_line(tmp_path):
    from reidlab.cli import main
    from reidlab.errors import ReidlabError, writable_folder

    (tmp_path / "afile").write_text("x")
    with pytest.raises(ReidlabError, match="--ship .*afile is a file, not a folder"):
        writable_folder(tmp_path / "afile", "--ship")
    assert main(["run", "--out", str(tmp_path / "afile"), "--set", "epochs=1"]) != 0
    assert writable_folder(tmp_path / "new" / "deeper", "--out").is_dir()


def test_the_reversal_coefficient_follows_ganins_schedule_by_hand():
    import math

    from reidlab.train import reversal_coefficient

    cfg = RunConfig(**{**TINY, "tasks": "V+P", "pose_reversal": 0.3, "epochs": 11})
    assert reversal_coefficient(cfg, 1) == 0.0  # p = 0
    assert math.isclose(reversal_coefficient(cfg, 6), 0.3 * (2 / (1 + math.exp(-5)) - 1))  # p = 0.5
    assert math.isclose(reversal_coefficient(cfg, 11), 0.3 * (2 / (1 + math.exp(-10)) - 1))  # p = 1
    assert reversal_coefficient(RunConfig(**TINY), 6) == 0.0  # the paper's head: no reversal
    with pytest.raises(ConfigError, match="pose_reversal"):
        RunConfig(**{**TINY, "tasks": "V+I", "pose_reversal": 0.3}).validate()
    with pytest.raises(ConfigError, match="pose_reversal"):
        RunConfig(**{**TINY, "pose_reversal": -1.0}).validate()
    assert RunConfig(**TINY).identity() == RunConfig(**{**TINY, "pose_reversal": 0.0}).identity()


def test_a_study_skips_a_run_another_process_trains(tmp_path, capsys):
    from reidlab.executors import run_work
    from reidlab.lifecycle import run_lock

    held, other = tmp_path / "held", tmp_path / "other"
    work = [(RunConfig(**{**TINY, "epochs": 1}), held), (RunConfig(**{**TINY, "epochs": 1, "seed": 1}), other)]
    with run_lock(held):  # another study trains it now
        run_work(work, None, 1, False, "x")
    assert "held: skipped: " in capsys.readouterr().out
    assert not (held / "metrics.json").exists() and (other / "metrics.json").exists()
    run_work(work, None, 1, False, "x")  # the other study gone: only the held run trains now
    assert (held / "metrics.json").exists()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads a process's state in /proc")
def test_a_study_killed_outright_leaves_no_worker_training():
    """A study's pool (``executors.worker_pool``): SIGKILL the process that holds it, and its busy
    worker ends too, instead of training on as an orphan."""
    script = ("import os, sys, time\n"
              "from reidlab.executors import worker_pool\n"
              "pool = worker_pool(1)\n"
              "print(pool.submit(os.getpid).result(), flush=True)\n"
              "pool.submit(time.sleep, 600)\n"
              "time.sleep(600)\n")
    study = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                             stderr=subprocess.DEVNULL)  # its resource tracker warns of what the kill left
    worker = int(study.stdout.readline())
    time.sleep(1)  # the worker is busy with the long task
    study.kill()
    study.wait()
    deadline = time.time() + 30
    while time.time() < deadline and _alive(worker):
        time.sleep(0.2)
    alive = _alive(worker)
    if alive:
        os.kill(worker, signal.SIGKILL)
    assert not alive, "the worker outlived its study"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its parent has not collected it
