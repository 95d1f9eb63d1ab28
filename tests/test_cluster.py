"""The study on a Ray cluster (``reidlab.cluster``): a local cluster of 2 CPUs stands in for one.
The results equal the local executor's bit for bit; a worker that dies mid-run is retried and
resumes; a run another driver holds is not trained twice."""

import json
import os

import pytest
import torch

ray = pytest.importorskip("ray")

from reidlab.cluster import RayExecutor, pack, write_back  # noqa: E402
from reidlab.lifecycle import run_lock  # noqa: E402
from reidlab.schedule import run_items  # noqa: E402

TIMINGS = {"train_time_s", "eval_time_s", "wall_time_s", "elapsed_s"}


@pytest.fixture(scope="module")
def cluster():
    """A local cluster of 2 CPUs; its workers, as the local executor here, run 1 torch thread."""
    before = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
    if before is None:
        del os.environ["OMP_NUM_THREADS"]
    else:
        os.environ["OMP_NUM_THREADS"] = before


def _results(store):
    """Each finished run: its metrics without timings, and its final weights."""
    out = {}
    for run in sorted(p for p in store.iterdir() if (p / "metrics.json").exists()):
        metrics = {k: v for k, v in json.loads((run / "metrics.json").read_text()).items() if k not in TIMINGS}
        out[run.name] = (metrics, torch.load(run / "checkpoints" / "final.pt")["model"])
    return out


def _segments(run_dir):
    """Stretches of epochs a run trained in (provenance names them only when there are several)."""
    return json.loads((run_dir / "provenance.json").read_text()).get("segments", [{"first_epoch": 1}])


def test_a_study_on_ray_equals_the_local_one_bit_for_bit(tmp_path, cluster, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    run_items(["fig4"], "smoke", None, tmp_path / "local", progress=False)
    run_items(["fig4"], "smoke", None, tmp_path / "ray", progress=False, executor=RayExecutor())
    local, remote = _results(tmp_path / "local"), _results(tmp_path / "ray")
    assert local.keys() == remote.keys() and len(local) >= 2
    for name, (metrics, weights) in local.items():
        assert remote[name][0] == metrics
        assert all(torch.equal(weights[k], remote[name][1][k]) for k in weights)
    for run in (tmp_path / "ray").iterdir():  # the run folders hold what a local run's hold
        if run.is_dir():
            local_files = {p.relative_to(tmp_path / "local" / run.name) for p in (tmp_path / "local" / run.name).rglob("*")}
            assert {p.relative_to(run) for p in run.rglob("*")} == local_files


def test_a_worker_that_dies_mid_run_is_retried_and_resumes(tmp_path, cluster, monkeypatch):
    """The task's worker exits after its first checkpoint reached the store; Ray runs the task
    again, which resumes there: the run is stored once, as if never interrupted."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    marker = tmp_path / "died"

    def die_once(identity, epoch):
        if not marker.exists():
            marker.write_text(f"{identity} {epoch}")
            os._exit(1)

    each_epoch = {"checkpoint_every": 1}  # (2 epochs at smoke): it dies after epoch 1, resumes at 2
    run_items(["fig4"], "smoke", None, tmp_path / "plain", progress=False, overrides=each_epoch,
              variants=["multi-task"])
    run_items(["fig4"], "smoke", None, tmp_path / "ray", progress=False, overrides=each_epoch,
              variants=["multi-task"], executor=RayExecutor(after_checkpoint=die_once))
    assert marker.exists()
    died, epoch = marker.read_text().split()
    assert epoch == "1"
    plain, again = _results(tmp_path / "plain"), _results(tmp_path / "ray")
    assert plain[died][0] == again[died][0]
    assert all(torch.equal(plain[died][1][k], again[died][1][k]) for k in plain[died][1])
    assert len(_segments(tmp_path / "ray" / died)) == 2  # resumed once, from the checkpoint sent back


def test_a_run_another_driver_holds_is_skipped_and_not_trained_twice(tmp_path, cluster, capsys):
    from reidlab.study import plan

    store = tmp_path / "store"
    runs = [r for r in plan("fig4", "smoke") if r.config.epochs][:2]
    work = [(r.config, store / r.identity) for r in runs]
    held = store / runs[0].identity
    with run_lock(held):  # another driver trains it now
        RayExecutor().run(work, None, False, "fig4")
    assert "skipped" in capsys.readouterr().out
    assert not (held / "metrics.json").exists() and (store / runs[1].identity / "metrics.json").exists()
    first = (store / runs[1].identity / "metrics.json").read_bytes()
    RayExecutor().run(work, None, False, "fig4")  # the other driver gone: only the held run trains
    assert (held / "metrics.json").exists()
    assert (store / runs[1].identity / "metrics.json").read_bytes() == first
    assert len(_segments(store / runs[1].identity)) == 1


def test_what_comes_back_lands_whole_and_metrics_last(tmp_path):
    source, target = tmp_path / "a", tmp_path / "b"
    (source / "checkpoints").mkdir(parents=True)
    for name, text in (("metrics.json", "{}"), ("config.yaml", "x: 1"), ("checkpoints/final.pt", "w")):
        (source / name).write_text(text)
    files = pack(source, ("config.yaml", "metrics.json", "checkpoints/final.pt", "diverged.json"))
    order = []
    real = os.replace
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "replace", lambda a, b: (order.append(os.path.basename(b)), real(a, b)))
        target.mkdir()
        write_back(files, target)
    assert order[-1] == "metrics.json" and len(order) == 3
    assert (target / "checkpoints" / "final.pt").read_text() == "w"
    assert not (target / "diverged.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no scratch left beside it
