"""Where a result came from: code version, packages, machine, seeds, time."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import torch

from reidlab.errors import ReidlabError

PACKAGES = ("reidlab", "torch", "torchvision", "numpy", "scipy", "pillow")


def git_commit() -> str:
    """HEAD of the checkout the package was imported from, with ``-dirty`` for local changes.

    ``$REIDLAB_GIT_COMMIT`` wins: a copy of the working tree made elsewhere (a lent GPU machine)
    may carry a stale ``.git`` or none, so the caller states the commit it copied
    (``scripts/gpu_prepare.sh`` writes it beside the data)."""
    if os.environ.get("REIDLAB_GIT_COMMIT"):
        return os.environ["REIDLAB_GIT_COMMIT"]
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "reidlab"], cwd=here.parent,
                               capture_output=True, text=True).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def commit_known(commit: str) -> bool | None:
    """Whether this checkout's history holds ``commit`` (None where there is no git to ask)."""
    here = Path(__file__).resolve().parent
    try:
        return subprocess.run(["git", "cat-file", "-e", f"{commit.removesuffix('-dirty')}^{{commit}}"],
                              cwd=here, capture_output=True).returncode == 0
    except OSError:
        return None


# Provenance classes of a stored run (``provenance_class``; the page "Methods check" counts them)
RECORDED, BY_HAND, OUTSIDE = "recorded at run time", "reconstructed by hand", "commit outside the history"
# Beside a stored run's provenance.json, which stays as the run wrote it: what was learnt later, each
# fact with its source, e.g. {"device_segments": [{"epochs": "1-334", "device": "...", "source":
# "<commit>: <what it says>"}], "note": "..."}
NOTES = "provenance_notes.json"


def run_commits(record: dict) -> list[str]:
    """The commits a provenance record names: the starting one, then each resumed stretch's
    (``segments``), in order, once each; "unknown" (a stretch whose code was not recorded) is none."""
    named = [record.get("git_commit", "unknown")] + [s.get("git_commit", "unknown") for s in record.get("segments", ())]
    return [c for c in dict.fromkeys(named) if c != "unknown"]


def hand_notes(record: dict) -> dict[str, str]:
    """The ``*_note`` fields of a provenance record. reidlab writes none: each was entered by hand
    after the run, saying what in the record was corrected or reconstructed."""
    return {k: v for k, v in record.items() if k.endswith("_note")}


def provenance_class(record: dict) -> str:
    """``OUTSIDE`` when a commit the record names is not in this history (it may be replayed instead,
    ``reidlab.replay``), else ``BY_HAND`` when a note says the record was entered or corrected by
    hand, else ``RECORDED``; "not checked (no git here)" where there is no history to ask. A record
    naming no commit at all is outside the history."""
    known = [commit_known(c) for c in run_commits(record)] or [False]
    if None in known:
        return "not checked (no git here)"
    if not all(known):
        return OUTSIDE
    return BY_HAND if hand_notes(record) else RECORDED


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def device_description(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    threads = torch.get_num_threads()
    return f"cpu ({platform.processor() or platform.machine()}, {threads} thread{'s' * (threads != 1)}, {os.cpu_count()} cores)"


def provenance(device: torch.device, seeds: dict, wall_time_s: float, commit: str | None = None,
               segments: list[dict] | None = None) -> dict:
    """``commit``: the code version when the work started (default: now). ``segments``: a run
    resumed elsewhere, e.g. begun on a CPU and finished on a GPU: from which epoch each stretch
    trained, on which device, with which code (``device`` is the one that finished it)."""
    record = {
        "git_commit": commit or git_commit(),
        "packages": package_versions(),
        "device": device_description(device),
        "seeds": seeds,
        "wall_time_s": round(wall_time_s, 2),
        "host": platform.node(),
    }
    if device.type == "cuda":
        record["tf32"] = tf32()
    else:  # the same code and seeds round differently on another CPU model: a run is bit-reproducible on its own
        record["cpu_model"] = cpu_model()
    return {**record, "segments": segments} if segments and len(segments) > 1 else record


def cpu_model() -> str:
    """This machine's CPU model (Linux's /proc/cpuinfo; else what ``platform`` says)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def tf32() -> dict[str, bool]:
    """Where fp32 work on a GPU runs as TF32 (10-bit mantissa, fp32 accumulation). PyTorch's
    defaults, which reidlab keeps: convolutions yes (cuDNN), matrix products no."""
    return {"convolutions": torch.backends.cudnn.allow_tf32, "matmul": torch.backends.cuda.matmul.allow_tf32}


def write_json_atomic(path: Path, obj) -> None:
    """Write JSON to a temp file, then rename: a killed process never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # two writers never share a temporary file
    text = json.dumps(obj, indent=1, default=_plain) + "\n"
    with writing(path, tmp):
        tmp.write_text(text)
    tmp.replace(path)


@contextlib.contextmanager
def writing(path: Path, tmp: Path):
    """Writes ``tmp`` (to become ``path``); a full disk (or any write failure) is said plainly,
    and the partial file removed."""
    try:
        yield
    except (OSError, RuntimeError) as exc:
        tmp.unlink(missing_ok=True)
        full = getattr(exc, "errno", None) == errno.ENOSPC or "enforce fail" in str(exc) or "No space" in str(exc)
        hint = "the disk is full: free space and run again (the run resumes)" if full else str(exc)[:200]
        raise ReidlabError(f"could not write {path}: {hint}") from None


def read_json(path: Path):
    """A JSON file the project wrote; a damaged one is named, with what to do."""
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReidlabError(f"{path} is damaged ({exc}); restore it (git checkout -- {path}) or delete it "
                           "(its run is then trained again)") from None


def _plain(value):
    """numpy scalars and arrays as plain JSON values."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
