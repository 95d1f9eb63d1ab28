"""The results store: one directory per finished run, ``<store>/<identity>/``.

A run's identity is the hash of its config (``RunConfig.identity``), so two paper items that need
the same run share it, and a run is never trained twice. A run directory holds the config snapshot,
metrics, provenance, the profile it was run at and, for the runs the analyses use, the final
weights; checkpoints stay out of git.

``results/`` holds evidence only: real data at a real profile. Synthetic or smoke output goes to an
ignored scratch folder, so that no demo or test run can replace a committed result.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from reidlab.config import RunConfig

STORE_REF = "@store/"  # a run directory in the same store, in a config (``Run.pretrained_dir``)


def reference(config: RunConfig) -> str:
    """How another run's config names ``config``'s run (``pretrained: "@store/<identity>"``): a
    path relative to the store, so that identities do not depend on where the store is."""
    return f"{STORE_REF}{config.identity()}"


def referenced(config: RunConfig) -> str | None:
    """The identity of the stored run ``config`` starts from, if it names one (``reference``)."""
    ref = config.pretrained or ""
    return ref[len(STORE_REF):] if ref.startswith(STORE_REF) else None


def _repo_path(env: str, relative: str) -> Path:
    """``$env`` if set, else ``relative`` under the checkout holding this package (or the cwd)."""
    if os.environ.get(env):
        return Path(os.environ[env])
    repo = Path(__file__).resolve().parents[1]
    return (repo if (repo / "results").is_dir() else Path.cwd()) / relative


STORE = _repo_path("REIDLAB_STORE", "results/store")
BOOK_OUT = _repo_path("REIDLAB_BOOK_OUT", "results/book")
SCRATCH = _repo_path("REIDLAB_SCRATCH", "_build/scratch")


def is_evidence(profile: str, real_data: bool) -> bool:
    return real_data and profile != "smoke"


def store_for(profile: str, real_data: bool) -> Path:
    """Where runs of ``profile`` go: ``results/store`` for evidence, else the scratch store
    (``$REIDLAB_STORE`` overrides both)."""
    if os.environ.get("REIDLAB_STORE") or is_evidence(profile, real_data):
        return STORE
    return SCRATCH / "store"


def book_out_for(profile: str, real_data: bool) -> Path:
    """Where the pages' tables and figures go: ``results/book`` for evidence, else scratch."""
    if os.environ.get("REIDLAB_BOOK_OUT") or is_evidence(profile, real_data):
        return BOOK_OUT
    return SCRATCH / "book"


def stored(config: RunConfig, store: Path = STORE) -> dict | None:
    """The stored metrics of a run, or None if it has not finished."""
    path = store / config.identity() / "metrics.json"
    from reidlab.provenance import read_json

    READS.runs[path.parent.name] = path.exists()
    return read_json(path) if path.exists() else None


def finished_runs(store: Path) -> list[str]:
    return sorted(d.name for d in store.iterdir() if (d / "metrics.json").exists()) if store.is_dir() else []


@dataclass
class ReadLog:
    """What this process looked up in the store: each run and whether it had finished then (and
    whether it read every run, as a provenance table does). A page writes it beside its tables
    (``reads.json``), so a later store tells whether the page is stale (``stale``)."""
    runs: dict[str, bool] = field(default_factory=dict)
    everything: bool = False

    def write(self, path: Path, store: Path) -> None:
        record = {"runs": dict(sorted(self.runs.items())), "everything": self.everything}
        if self.everything:
            record["finished"] = finished_runs(store)
        path.write_text(json.dumps(record, indent=0) + "\n")


READS = ReadLog()


def stale(record: dict, store: Path) -> str | None:
    """Why a page that read ``record`` (a written ``ReadLog``) is out of date with ``store``, or None."""
    done = lambda identity: (store / identity / "metrics.json").exists()  # noqa: E731
    new = [r for r, was in record["runs"].items() if not was and done(r)]
    gone = [r for r, was in record["runs"].items() if was and not done(r)]
    if record.get("everything"):
        now, then = set(finished_runs(store)), set(record["finished"])
        new, gone = sorted(set(new) | (now - then)), sorted(set(gone) | (then - now))
    if not new and not gone:
        return None
    said = [f"{len(new)} run(s) finished since it was built (" + ", ".join(new[:3]) + (", ...)" if new[3:] else ")")
            ] if new else []
    return "; ".join(said + ([f"{len(gone)} run(s) it shows are no longer stored"] if gone else []))


def resume_epoch(run_dir: Path) -> int:
    """The epoch a run's checkpoint reached (0: none), from its ``progress.json``."""
    path = run_dir / "progress.json"
    if not (run_dir / "checkpoints" / "last.pt").exists() or not path.exists():
        return 0
    from reidlab.errors import ReidlabError
    from reidlab.provenance import read_json

    try:
        return read_json(path)["epoch"]
    except (ReidlabError, KeyError, TypeError):  # damaged: only the grouping reads it; the run reads last.pt
        return 0


def write_profile(run_dir: Path, record: dict) -> None:
    """``profile.json`` beside a stored run: the profile it was run at and its deviations."""
    from reidlab.provenance import write_json_atomic

    path = run_dir / "profile.json"
    if run_dir.is_dir() and not path.exists():
        write_json_atomic(path, record)
