"""Runs sent back from a call as they finish (``reidlab.shipping``), and groups in processes of
their own: a killed group loses only its own runs."""

import json
import os
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


def test_parts_hold_whole_runs_and_unpack_on_their_own(tmp_path):
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
    assert sorted(p.name for p in out.iterdir()) == ["runs-01.tgz"]  # the part grows while it has room
    # whole run directories, without checkpoints
    assert _members(out / "runs-01.tgz") == [f"{r}{f}" for r in "abc" for f in
                                             ("", "/config.yaml", "/metrics.json", "/weights.pt")]
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
    shipper.ship()  # the finished run, without its checkpoint
    shipper.ship(shipper.unfinished(), last=True)  # the same part, rewritten: "done" keeps no checkpoint
    assert _members(tmp_path / "out" / "runs-01.tgz") == [
        "done", "done/config.yaml", "done/metrics.json", "done/weights.pt",
        "half", "half/checkpoints", "half/checkpoints/last.pt"]
    assert shipper.unfinished() == []  # shipped once


def test_the_return_limit_is_never_passed(tmp_path, capsys):
    store, out = tmp_path / "store", tmp_path / "out"
    store.mkdir()
    (out / "study.log").parent.mkdir()
    (out / "study.log").write_text("")
    (out / "gpu.txt").write_text("")
    shipper = Shipper(out, store, part_bytes=3000, total_bytes=5500)
    assert shipper.parts == 6  # 8 files come back: the log and gpu.txt are two of them
    shipper.parts = 2
    for k in range(3):  # ~1.2 kB each (1000 incompressible bytes): two fit in a part, four in the limit
        _finish(store, f"run{k}", size=1000)
    assert shipper.ship() == ["run0", "run1", "run2"]  # one batch larger than a part: the next part takes it
    sent = []
    for k in range(3, 8):
        _finish(store, f"run{k}", size=1000)
        sent += shipper.ship()
    parts = sorted(out.glob("runs-*.tgz"))
    assert len(parts) == 2 and all(p.stat().st_size <= 3000 for p in parts)
    assert sum(p.stat().st_size for p in parts) <= 5500 and sent == ["run3"]  # four in all
    assert shipper.left_out == ["run4", "run5", "run6", "run7"]
    # the last part was rewritten with the runs it already held: none is lost by a rewrite
    shipped = [m for p in parts for m in _members(p) if "/" not in m]
    assert sorted(shipped) == ["run0", "run1", "run2", "run3"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # nothing half written comes back
    assert "left out (the return limit is reached)" in capsys.readouterr().out


def test_a_killed_group_loses_only_its_own_runs(tmp_path, monkeypatch, capsys):
    from group_faults import train_group_killed_at_last_table2_run

    from reidlab import executors

    victim = plan("table2", "smoke")[-1].identity  # the last run: in the second group of --batch 4
    monkeypatch.setattr(executors, "_train_group", train_group_killed_at_last_table2_run)
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
