"""Runs sent back from a call as they finish (``reidlab.shipping``), and groups in processes of
their own: a killed group loses only its own runs."""

import json
import os
import signal
import tarfile

import pytest

from reidlab.schedule import run_items
from reidlab.shipping import Shipper
from reidlab.store import stored
from reidlab.study import plan


def _finish(store, name, size=100):
    run = store / name
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.pt").write_bytes(b"x" * 50)
    (run / "config.yaml").write_text("epochs: 1\n")
    (run / "weights.pt").write_bytes(os.urandom(size))  # incompressible, as weights are
    (run / "metrics.json").write_text(json.dumps({"mAP": 1.0}))


def _members(part):
    with tarfile.open(part) as tar:
        return sorted(tar.getnames())


def test_each_batch_is_a_part_that_unpacks_on_its_own(tmp_path):
    store, out = tmp_path / "store", tmp_path / "out"
    store.mkdir()
    _finish(store, "old")
    os.utime(store / "old" / "metrics.json", (0, 0))  # finished before the call: not sent
    shipper = Shipper(out, store)
    _finish(store, "a")
    assert shipper.ship() == ["a"] and shipper.ship() == []  # once
    _finish(store, "b")
    _finish(store, "c")
    assert shipper.ship() == ["b", "c"]
    assert sorted(p.name for p in out.iterdir()) == ["runs-01.tgz", "runs-02.tgz"]
    # whole run directories, without checkpoints
    assert _members(out / "runs-02.tgz") == ["b", "b/config.yaml", "b/metrics.json", "b/weights.pt",
                                             "c", "c/config.yaml", "c/metrics.json", "c/weights.pt"]
    with tarfile.open(out / "runs-01.tgz") as tar:
        tar.extractall(tmp_path / "here", filter="data")
    assert (tmp_path / "here" / "a" / "weights.pt").read_bytes() == (store / "a" / "weights.pt").read_bytes()


def test_unfinished_runs_bring_their_checkpoint_to_resume(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    shipper = Shipper(tmp_path / "out", store)
    _finish(store, "done")
    (store / "done" / "checkpoints" / "last.pt").touch()
    (store / "half" / "checkpoints").mkdir(parents=True)
    (store / "half" / "checkpoints" / "last.pt").write_bytes(b"state")
    (store / "half" / "checkpoints" / "epoch_0010.pt").write_bytes(b"old")
    assert shipper.unfinished() == ["half"]
    shipper.ship(shipper.unfinished(), last=True)
    assert _members(tmp_path / "out" / "runs-01.tgz") == ["half", "half/checkpoints", "half/checkpoints/last.pt"]


def test_the_return_limit_is_never_passed(tmp_path, capsys):
    store, out = tmp_path / "store", tmp_path / "out"
    store.mkdir()
    shipper = Shipper(out, store, parts=2, part_bytes=3000, total_bytes=5500)
    sent = []
    for k in range(8):  # ~1.2 kB each (1000 incompressible bytes): two fit in a part, four in the limit
        _finish(store, f"run{k}", size=1000)
        sent += shipper.ship()
    files = list(out.iterdir())
    assert len(files) <= 2 and sum(f.stat().st_size for f in files) <= 5500
    assert len(sent) >= 3 and sorted(sent + shipper.left_out) == [f"run{k}" for k in range(8)]
    # the last part was rewritten with the runs it already held: none is lost by a rewrite
    shipped = [m for f in files for m in _members(f) if "/" not in m]
    assert sorted(shipped) == sorted(sent)
    assert "left out (the return limit is reached)" in capsys.readouterr().out


def test_a_killed_group_loses_only_its_own_runs(tmp_path, monkeypatch, capsys):
    from reidlab import schedule
    from reidlab.batched import RunGroup

    victim = plan("table2", "smoke")[-1].identity  # the last run: in the second group of --batch 4
    execute = RunGroup.execute

    def killed(self, deadline=None):  # as a device-side assert or the OOM killer would
        if any(run.run_dir.name == victim for run in self.runs):
            os.kill(os.getpid(), signal.SIGKILL)
        return execute(self, deadline)

    monkeypatch.setattr(schedule, "GROUP_CONTEXT", "fork")  # the patch reaches the group's process
    monkeypatch.setattr(RunGroup, "execute", killed)
    store, out = tmp_path / "store", tmp_path / "out"
    plans = run_items(["table2"], "smoke", None, store, progress=False, batch=4, shipper=Shipper(out, store))
    runs = plans["table2"]
    done = [r.identity for r in runs if stored(r.config, store) is not None]
    assert len(done) == 4 and victim not in done  # the first group: finished and shipped
    shipped = {m for part in out.iterdir() for m in _members(part) if "/" not in m}
    assert shipped == set(done)
    assert "ended with exit code -9" in capsys.readouterr().out


def test_a_deadline_ends_the_call_with_every_finished_run_shipped(tmp_path, capsys):
    from reidlab.cli import main

    out = tmp_path / "out"
    code = main(["study", "table2", "--batch", "4", "--store", str(tmp_path / "store"), "--quiet",
                 "--time-limit", "0.0001", "--ship", str(out), "--ship-last"])
    assert code == 0
    text = capsys.readouterr().out
    assert "stopped" in text and "shipped" in text
    # nothing finished by the deadline: every run of the first group comes back with its last.pt
    members = [m for part in out.iterdir() for m in _members(part)]
    assert sum(m.endswith("checkpoints/last.pt") for m in members) == 4
