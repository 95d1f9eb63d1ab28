"""What the study still costs: per item, its trainings, trained images, stored / pending, and the
predicted time on this project's CPU and on a lent GPU (``reidlab plan``).

A training is counted once, under the first item (in book order) that declares it: items share
runs (Fig. 4's multi-task run is Table IV's "Ours"); Table V counts its VIPeR pre-training runs. Trained images per run = epochs x pairs per
epoch x 2; pairs per epoch = 2 x the training persons (one positive and one negative pair each;
exact where every training person has two images, as in VIPeR), from the run's split. The rates are measured ones (files below).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from reidlab.experiments import ITEMS, PROFILES, STORE, PlannedRun, plan, pretrain_config, stored

# images/s by pairs per step, measured on real VIPeR:
# CPU: results/benchmarks/protocols_cpu-2core.txt (2 cores, one run alone);
# GPU: batched groups; 1 pair/step results/benchmarks/protocols_nvidia-h200.txt (10 runs, H200),
# 8 pairs/step results/benchmarks/gpu_fidelity_h100.txt (27 runs, H100)
CPU_RATE = {1: 327, 8: 552}
GPU_RATE = {1: 13_591, 8: 41_000}


@lru_cache(maxsize=None)
def _train_persons(dataset: str, test_dataset: str | None, protocol: str | None, seed: int, trial: int,
                   data_root: str | None, persons: int) -> int:
    from reidlab.config import RunConfig
    from reidlab.run import _load, _split

    cfg = RunConfig(dataset=dataset, test_dataset=test_dataset, protocol=protocol, split_seed=seed,
                    trial=trial, synthetic_persons=persons)
    train = _load(cfg, dataset, data_root)
    split = _split(cfg, train, _load(cfg, test_dataset, data_root) if test_dataset else train)
    return len(split.train_pids)


def trained_images(cfg, data_root: str | None) -> int:
    persons = _train_persons(cfg.dataset, cfg.test_dataset, cfg.protocol, cfg.split_seed, cfg.trial,
                             data_root, cfg.synthetic_persons)
    return cfg.epochs * 2 * persons * 2


def _rate(rates: dict[int, int], pairs_per_step: int) -> int:
    return rates[max(k for k in rates if k <= pairs_per_step)]


def summary(profile: str, data_root: str | None = None, store: Path = STORE,
            items: list[str] | None = None) -> pd.DataFrame:
    """One row per item, and a total: what ``reidlab plan`` prints."""
    seen: set[str] = set()
    rows = []
    for item in items or list(ITEMS):
        runs = plan(item, profile, data_root is not None)
        if item == "table5":  # its VIPeR pre-training runs, trained first (``run_items``)
            runs = [PlannedRun(item, "pre-training", f, pretrain_config(PROFILES[profile], f, data_root is not None))
                    for f in range(PROFILES[profile].folds)] + runs
        mine = [r for r in runs if r.identity not in seen]
        seen |= {r.identity for r in mine}
        pending = [r for r in mine if stored(r, store) is None]
        images = [trained_images(r.config, data_root) for r in pending]
        rows.append({
            "item": item, "variants": len(ITEMS[item]), "folds": len({r.fold for r in runs}),
            "trainings": len(mine), "stored": len(mine) - len(pending), "pending": len(pending),
            "pending images (M)": round(sum(images) / 1e6, 1),
            "CPU hours": round(sum(n / _rate(CPU_RATE, r.config.pairs_per_step)
                                   for n, r in zip(images, pending)) / 3600, 1),
            "GPU minutes": round(sum(n / _rate(GPU_RATE, r.config.pairs_per_step)
                                     for n, r in zip(images, pending)) / 60, 1),
        })
    frame = pd.DataFrame(rows)
    total = {c: round(frame[c].sum(), 1) for c in frame.columns if c not in ("item", "folds")}
    total.update(item="total", folds="-")
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True).set_index("item")
