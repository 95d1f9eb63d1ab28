"""What a GPU call carries (``scripts/gpu_prepare.sh``): the device tool copies the working tree
and the paths named in ``carry``, at most 64 MiB in all, and the device reaches no data folder.

So a call carries a lean tree (the results store and the book's pages stay here, set aside by
the script) and, in ``.gpu-data/``: the packs of the datasets its pending runs read
(``reidlab.data.packs``), ``stored.txt``, the identities of the finished runs and of those a
process here trains now (``reidlab study --skip-stored``: the device leaves them), the stored networks its pending runs
start from (``store/``: Table V's pre-training, a cross-dataset network) and ``COMMIT``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

from reidlab.data.packs import write_pack
from reidlab.data.registry import PETA_REID_PARTS
from reidlab.errors import ConfigError
from reidlab.store import referenced, stored
from reidlab.study import PlannedRun, plan, pretrain_runs

LIMIT = 64 * 2**20  # what one call may send, tree and carried paths together
SIZE = (64, 64)  # the images' size in every run (``load_dataset``'s default)


def pending(items: list[str], profile: str, store: Path) -> list[PlannedRun]:
    """The trainings of ``items`` at ``profile`` not stored yet (real data), Table V's pre-training
    first. A call trains only (``reidlab study --trainings-only``): evaluations, seconds each on a
    CPU, would need the packs of every test set."""
    runs = [*(pretrain_runs(profile, True) if "table5" in items else []),
            *(r for item in items for r in plan(item, profile, True))]
    return [r for r in runs if r.config.epochs and stored(r.config, store) is None]


def datasets(runs: list[PlannedRun]) -> list[str]:
    """The datasets ``runs`` read (a pooled set as its parts), in first use order."""
    names = [n for r in runs for n in (r.config.dataset, r.config.test_dataset) if n]
    parts = [p for n in names for p in (PETA_REID_PARTS if n == "peta-reid" else (n,))]
    return list(dict.fromkeys(parts))


def networks(runs: list[PlannedRun], store: Path) -> list[str]:
    """The stored runs ``runs`` start from (``pretrained: "@store/<id>"``): they travel with their weights."""
    ids = {referenced(r.config) for r in runs} - {None}
    return sorted(i for i in ids if (store / i / "metrics.json").exists())


def prepare(items: list[str], profile: str, data_root: str, store: Path, out: Path) -> dict[str, int]:
    """Write ``out`` for a call that trains the pending runs of ``items``; returns bytes per part."""
    runs = pending(items, profile, store)
    out.mkdir(parents=True, exist_ok=True)
    for old in (out / "packs", out / "store"):
        shutil.rmtree(old, ignore_errors=True)
    # what the call trains is what was prepared for it (scripts/gpu_study.sh reads these)
    (out / "ITEMS").write_text(" ".join(items) + "\n")
    (out / "PROFILE").write_text(profile + "\n")
    sizes = {}
    for name in datasets(runs):
        path = write_pack(name, data_root, out / "packs", SIZE)
        sizes[f"packs/{path.name}"] = path.stat().st_size
    finished = sorted(d.name for d in store.iterdir() if (d / "metrics.json").exists())
    # runs a process here trains now (the CPU queue): the call leaves them to it
    (out / "stored.txt").write_text("".join(f"{i}\n" for i in finished + busy(store)))
    sizes["stored.txt"] = (out / "stored.txt").stat().st_size
    for identity in networks(runs, store):
        if not (store / identity / "weights.pt").exists():
            raise ConfigError(f"pending runs start from {identity}, whose weights are not stored: train it "
                              "here first, or commit its weights.pt")
        for name in ("config.yaml", "metrics.json", "weights.pt"):
            target = out / "store" / identity / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(store / identity / name, target)
            sizes[f"store/{identity}/{name}"] = target.stat().st_size
    return sizes


def busy(store: Path) -> list[str]:
    """Runs of ``store`` that a process holds the lock of (``lifecycle.run_lock``): being trained now."""
    held = []
    for lock in sorted(store.glob("*/.lock")):
        fd = os.open(lock, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            held.append(lock.parent.name)
        finally:
            os.close(fd)
    return held


def read_index(path: str | Path) -> set[str]:
    """The identities a ``stored.txt`` lists."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no index of stored runs at {path}: scripts/gpu_prepare.sh writes it")
    return {line.strip() for line in path.read_text().splitlines() if line.strip()}


def describe(sizes: dict[str, int]) -> str:
    """What ``prepare`` wrote, one line per pack and one for the rest."""
    packs = {k: v for k, v in sizes.items() if k.startswith("packs/")}
    lines = [f"  {k}: {v / 2**20:.1f} MiB" for k, v in packs.items()]
    rest = sum(v for k, v in sizes.items() if k not in packs)
    lines.append(f"  stored.txt and {sum(k.startswith('store/') for k in sizes) // 3} network(s): {rest / 2**20:.1f} MiB")
    return "\n".join(lines)



def calls(items: list[str], profile: str, data_root: str, store: Path, scratch: Path,
          budget: int = LIMIT - 2 * 2**20) -> list[tuple[list[str], list[str], int]]:
    """The queue ``items`` split into calls that each fit in ``budget`` bytes of packs (the lean
    tree and the index take the rest), in queue order: (items, datasets, bytes) per call. An item
    whose datasets alone pass the budget is a call of its own (``prepare`` refuses it: its
    variants go in separate calls)."""
    sizes: dict[str, int] = {}
    plan_calls: list[tuple[list[str], list[str], int]] = []
    for item in items:
        needed = datasets(pending([item], profile, store))
        for name in needed:
            if name not in sizes:
                sizes[name] = write_pack(name, data_root, scratch).stat().st_size
        if not needed:
            continue
        if plan_calls:
            these, names, _ = plan_calls[-1]
            union = list(dict.fromkeys(names + needed))
            if sum(sizes[n] for n in union) <= budget:
                plan_calls[-1] = (these + [item], union, sum(sizes[n] for n in union))
                continue
        plan_calls.append(([item], needed, sum(sizes[n] for n in needed)))
    return plan_calls
