"""Replay a stored run's first epochs with the code at hand and compare the logged losses.

A stored run names the commit that trained it (``provenance.json``). Where that commit cannot be
found (a branch that never landed) or the code has moved on, the replay is the check that the
code at hand still trains the same network: the same config and seed, the same epochs, the same
losses to the digits the history keeps (``run._significant``). Training on the CPU with one
thread is deterministic; on another device or thread count a replay is close, not equal.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from reidlab.config import RunConfig
from reidlab.errors import ConfigError
from reidlab.provenance import commit_known, read_json
from reidlab.run import Run, _significant, load_checkpoint


def replay(run_dir: str | Path, epochs: int = 2, data_root=None) -> pd.DataFrame:
    """Per epoch and loss term: the stored value, the replayed one, whether they are equal and
    their relative difference (rounding on another CPU: ~1e-4 after one epoch, growing with epochs).
    ``frame.attrs["commit"]`` is the commit the run names."""
    run_dir = Path(run_dir)
    commit, stored = _logged(run_dir)
    stored = stored[:epochs]
    if len(stored) < epochs:
        raise ConfigError(f"{run_dir} logged {len(stored)} epoch(s); replay at most that many")
    cfg = RunConfig.load(run_dir / "config.yaml")
    if cfg.pretrained or cfg.epochs == 0:
        raise ConfigError(f"{run_dir} starts from another run's network; replay that run instead")
    with tempfile.TemporaryDirectory() as scratch:
        run = _Replay(cfg, Path(scratch) / "replay", data_root=data_root, progress=False)
        run.stop_after = epochs
        try:  # the run's own path (build, epoch-0 curve, fit), so the random streams are the same
            run.execute()
        except _Stop:
            pass
    rows = []
    for logged, again in zip(stored, run.replayed):
        rows += [{"epoch": logged["epoch"], "term": k, "stored": v, "replayed": again.get(k)}
                 for k, v in logged.items() if k != "epoch"]
    frame = pd.DataFrame(rows)
    frame["equal"] = frame.stored == frame.replayed
    frame["relative difference"] = ((frame.replayed - frame.stored) / frame.stored).abs()
    frame.attrs["commit"] = commit
    return frame


def check(run_dirs: list[Path], epochs: int = 1, data_root=None) -> pd.DataFrame:
    """One row per run: the commit it names, whether this history holds it, and how its first
    ``epochs`` replay (all equal, the largest relative difference)."""
    rows = []
    for run_dir in run_dirs:
        frame = replay(run_dir, epochs, data_root)
        commit = frame.attrs["commit"]
        rows.append({"run": run_dir.name, "commit": commit[:7], "commit in history": commit_known(commit),
                     "epochs": epochs, "equal": bool(frame.equal.all()),
                     "max relative difference": float(frame["relative difference"].max())})
    return pd.DataFrame(rows).set_index("run")


class _Stop(Exception):
    pass


class _Replay(Run):
    """A run that logs its epochs' losses and stops after ``stop_after`` of them."""
    stop_after = 0
    replayed: list[dict]

    def end_epoch(self, epoch: int, losses: dict[str, float], history: dict, elapsed: float, **_) -> None:
        self.replayed = [*getattr(self, "replayed", []), _significant(losses)]
        if epoch >= self.stop_after:
            raise _Stop


def _logged(run_dir: Path) -> tuple[str, list[dict]]:
    """The commit a run names and its logged epochs: from ``provenance.json`` and ``metrics.json``,
    or from ``last.pt`` while it is unfinished."""
    if (run_dir / "metrics.json").exists():
        prov = run_dir / "provenance.json"
        commit = read_json(prov)["git_commit"] if prov.exists() else "unknown"
        return commit, read_json(run_dir / "metrics.json")["history"]["epochs"]
    last = run_dir / "checkpoints" / "last.pt"
    if last.exists():
        state = load_checkpoint(last)
        return state.get("commit", "unknown"), state["history"]["epochs"]
    raise ConfigError(f"{run_dir} holds no logged epochs (no metrics.json, no checkpoints/last.pt)")
