"""Which pending runs train together, and in what order (``--batch``): a group is the first
pending run of the queue and the next ones of its key, at most ``batch`` of them, so the items'
order stays the priority. Runs of one key share a network shape and the config keys a batched
step cannot vary per run (``batched.group_key``), the epoch they resume from, and an epoch
length within a factor of ~2 (a group pads every run to its longest); they may differ in fold,
seeds, recipe and data (``batched.PER_RUN``).
"""

from __future__ import annotations

import math
from pathlib import Path

from reidlab.batched import group_key
from reidlab.config import RunConfig
from reidlab.cost import epoch_pairs
from reidlab.run import load_data
from reidlab.store import resume_epoch

Queued = tuple[RunConfig, Path, tuple]  # a run, its directory, its group key


def keyed(work: list[tuple[RunConfig, Path]], data_root) -> list[Queued]:
    """``work`` in its order, each run with its group key."""
    # each dataset loaded once while the queue is keyed (the shared loader frees what nothing holds)
    held = [load_data(c, name, data_root) for c, _ in work for name in filter(None, (c.dataset, c.test_dataset))]  # noqa: F841
    return [(c, d, (group_key(c.to_dict()), resume_epoch(d), math.ceil(math.log2(epoch_pairs(c, data_root)))))
            for c, d in work]


def trains_alone(cfg: RunConfig) -> str | None:
    """Why a run cannot join a batched group (it trains alone, eagerly, in its turn), or None."""
    if cfg.optimizer != "sgd":
        return "not SGD"
    return None


def next_group(queue: list[Queued], batch: int) -> list[Queued]:
    """Takes off ``queue`` the next group of at most ``batch`` runs; a run that trains alone
    (``trains_alone``) is a group of one."""
    head = queue[0]
    chunk = [head] if trains_alone(head[0]) else [m for m in queue if m[2] == head[2]][:batch]
    queue[:] = [m for m in queue if m not in chunk]
    return chunk
