"""Stored weights re-checked against stored metrics (``reidlab verify``): a committed real run
reproduces its numbers, and a changed number or changed weights are caught."""

import json
import shutil
from pathlib import Path

import pytest
import torch

from reidlab.cli import main
from reidlab.schedule import run_item
from reidlab.verify import TOLERANCE, verifiable, verify

# Table IV "Ours", fold 0, fast schedule (seed 0 = fold 0): its weights are committed
COMMITTED = "859a864db81c"
STORE = Path(__file__).resolve().parents[1] / "results" / "store"  # not $REIDLAB_STORE (CI: a scratch store)


def test_a_committed_real_run_reproduces_its_metrics(data_root):
    check = verify(STORE / COMMITTED, str(data_root))
    assert check.ok and check.stored["rank1"] == pytest.approx(check.recomputed["rank1"], abs=TOLERANCE)
    assert COMMITTED in verifiable(STORE)


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    """A smoke store where the headline's runs keep their (fp16) weights."""
    store = tmp_path_factory.mktemp("store")
    runs = run_item("replication", "smoke", None, store, progress=False)
    return store, [r.identity for r in runs]


def test_the_headline_keeps_compact_weights_and_verifies(kept):
    store, runs = kept
    for run in runs:
        weights = torch.load(store / run / "weights.pt", weights_only=True)["model"]
        assert {v.dtype for v in weights.values() if v.is_floating_point()} == {torch.float16}
    assert sorted(verifiable(store)) == sorted(set(runs))
    assert all(verify(store / run, None).ok for run in set(runs))


def test_a_changed_number_or_changed_weights_fail(kept, tmp_path):
    store, runs = kept
    run = tmp_path / runs[0]
    shutil.copytree(store / runs[0], run)
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["mAP"] += 2 * TOLERANCE
    (run / "metrics.json").write_text(json.dumps(metrics))
    check = verify(run, None)
    assert not check.ok and check.largest_difference == pytest.approx(2 * TOLERANCE)
    shutil.copy(store / runs[0] / "metrics.json", run / "metrics.json")
    state = torch.load(run / "weights.pt", weights_only=True)
    state["model"] = {k: torch.zeros_like(v) if k.startswith("features.fc") else v for k, v in state["model"].items()}
    torch.save(state, run / "weights.pt")
    assert not verify(run, None).ok  # a network that maps every image to one point ranks at random


def test_cli_verify(kept, tmp_path, capsys, monkeypatch):
    store, runs = kept
    monkeypatch.delenv("REIDLAB_DATA_ROOT", raising=False)
    assert main(["verify", "--all", "--store", str(store)]) == 0
    assert f"verified: {len(set(runs))} run(s)" in capsys.readouterr().out
    assert main(["verify", "--store", str(store)]) == 2
    assert "give --all" in capsys.readouterr().err
    assert main(["verify", "nosuchrun", "--store", str(store)]) == 2
    assert "no finished run nosuchrun" in capsys.readouterr().err
    shutil.copytree(store, tmp_path / "store")
    metrics = tmp_path / "store" / runs[0] / "metrics.json"
    metrics.write_text(metrics.read_text().replace('"mAP": ', '"mAP": 1', 1))
    assert main(["verify", "--all", "--store", str(tmp_path / "store")]) == 2
    assert "did not reproduce" in capsys.readouterr().err
