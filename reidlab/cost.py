"""What the study costs: trained images per run, and the CPU hours and GPU minutes of the pending
ones at the measured rates (``reidlab plan``).

A training is counted once, under the first item (in book order) that declares it: items share
runs (Fig. 4's multi-task run is Table IV's "Ours"); Table V counts its VIPeR pre-training runs.
Evaluation runs (0 epochs: a test-time variant, or a cross-dataset network on another test set or
fold; ``study.plan``) are counted apart: they take seconds.
Trained images per run = epochs x pairs per epoch x 2, the pairs counted by the run's own pair
sampler on its split (``epoch_pairs``). The rates are read from the benchmark tables committed in
``results/benchmarks`` (``RATE_SOURCES``), so a new measurement changes the plan with no code.
The CPU queue as it actually runs (two 1-thread processes, beside whatever else the machine does)
is slower than the benchmark's one run alone: ``queue_factor`` measures how much from the store's
own CPU trainings, and ``reidlab plan`` prints the queue hours beside the benchmark's.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from reidlab.config import RunConfig, load_yaml
from reidlab.data.splits import DEFAULT_PROTOCOL
from reidlab.errors import ConfigError
from reidlab.run import training_split
from reidlab.provenance import cpu_model, read_json
from reidlab.store import STORE, finished_runs, referenced, stored
from reidlab.study import ITEMS, POOLED, ROUNDS, claims, item_folds, plan, pretrain_runs, trained_items
from reidlab.train import PairSampler
from reidlab.verdicts import verdict_word

BENCHMARKS = Path(__file__).resolve().parents[1] / "results" / "benchmarks"
# images/s by device and pairs per step, measured on real VIPeR: (benchmark table, its row)
RATE_SOURCES = {
    ("CPU", 1): ("schedules_cpu-2core.txt", "paper protocol, alone"),  # 2 cores, one run alone
    ("CPU", 8): ("schedules_cpu-2core.txt", "fast (8 pairs/step, lr x8, 600 epochs), alone"),
    ("GPU", 1): ("schedules_nvidia-h200.txt", "paper protocol, 10 runs batched"),  # H200
    ("GPU", 8): ("gpu_fidelity_h100.txt", "27 runs, mixed recipes"),  # H100, a whole study call
}


def measured_rate(table: Path, row: str) -> int:
    """images/s of the row of a benchmark table that begins with ``row`` (columns apart by two
    or more spaces; the column headed ``images/s``)."""
    if not table.is_file():
        raise ConfigError(f"benchmark table {table} is missing: the plan's rates are read from it "
                          "(run from a clone of the repository)")
    lines = [line.strip() for line in table.read_text().splitlines() if not line.startswith("#")]
    header = next(line for line in lines if "images/s" in line)
    column = re.split(r"\s{2,}", header).index("images/s")
    found = [line for line in lines if line.startswith(row)]
    if not found:
        raise ConfigError(f"no row {row!r} in {table}")
    return int(float(re.split(r"\s{2,}", found[0])[column].replace(",", "")))


@lru_cache(maxsize=None)
def rates(device: str) -> dict[int, int]:
    """images/s of ``device`` ("CPU" or "GPU") by pairs per step (``RATE_SOURCES``)."""
    return {pairs: measured_rate(BENCHMARKS / table, row)
            for (where, pairs), (table, row) in RATE_SOURCES.items() if where == device}


def rate(device: str, pairs_per_step: int) -> int:
    """The measured rate of the nearest measured step size at or below ``pairs_per_step``."""
    measured = rates(device)
    return measured[max(k for k in measured if k <= pairs_per_step)]


_EPOCH_PAIRS: dict[tuple, int] = {}


def epoch_pairs(cfg: RunConfig, data_root: str | None) -> int:
    """Pairs an epoch of ``cfg``'s run presents (positives and as many negatives), counted by its
    own pair sampler on its training split (``run.training_split``)."""
    key = (cfg.dataset, cfg.test_dataset, cfg.test_persons, cfg.protocol, cfg.split_seed, cfg.fold,
           cfg.synthetic_persons, cfg.epoch_pairs, cfg.attribute_set, data_root)
    if key not in _EPOCH_PAIRS:
        train, _, split = training_split(cfg, data_root)
        rows = split.train_index(train)
        _EPOCH_PAIRS[key] = PairSampler(train.pids[rows], train.camids[rows], rows,
                                        epoch_pairs=cfg.epoch_pairs).pairs_per_epoch
    return _EPOCH_PAIRS[key]


def trained_images(cfg: RunConfig, data_root: str | None) -> int:
    """Images a run trains on: epochs x pairs per epoch x 2."""
    return cfg.epochs * epoch_pairs(cfg, data_root) * 2


QUEUES = 2  # the CPU queue: two 1-thread studies side by side on the 2 cores (``make cpu-study``)
MIN_CALIBRATION_RUNS = 5


@lru_cache(maxsize=None)
def queue_factor(store: Path, data_root: str | None) -> tuple[float, int] | None:
    """(factor, runs): how much longer the CPU queue takes on this machine's CPU model than
    ``CPU hours`` says. The median, over the stored trainings this CPU model ran wholly at 1 thread
    (provenance ``cpu_model``, recorded since 2026-12-05), of the machine time each took in the queue
    (``train_time_s`` / ``QUEUES``: two train at once) over what the benchmark rate predicts for
    it (one run alone on 2 cores; ``rate``). None under ``MIN_CALIBRATION_RUNS`` such runs: on
    another machine the plan keeps the benchmark's hours only. A store of real data counts real runs;
    a resumed run counts under the model that finished it."""
    ratios, here = [], cpu_model()
    for name in finished_runs(store):
        run_dir = store / name
        prov, metrics = read_json(run_dir / "provenance.json"), read_json(run_dir / "metrics.json")
        devices = [prov.get("device", "")] + [s.get("device", "") for s in prov.get("segments", ())]
        if (prov.get("cpu_model") != here or "batched" in metrics
                or not all(d.startswith("cpu") and " 1 thread" in d for d in devices)):
            continue
        cfg = RunConfig.from_stored(load_yaml((run_dir / "config.yaml").read_text()))
        if not cfg.epochs or (cfg.dataset == "synthetic") != (data_root is None):
            continue
        images = trained_images(cfg, data_root)
        ratios.append(metrics["train_time_s"] / QUEUES / (images / rate("CPU", cfg.pairs_per_step)))
    return (round(float(np.median(ratios)), 2), len(ratios)) if len(ratios) >= MIN_CALIBRATION_RUNS else None


def with_queue_hours(table: pd.DataFrame, store: Path, data_root: str | None) -> pd.DataFrame:
    """``table`` (``summary``, ``rounds_summary``) with its CPU hours as this CPU model's queue takes
    them beside them (``queue_factor``), where the store can calibrate them."""
    calibration = queue_factor(store, data_root)
    if calibration is None:
        return table
    table = table.copy()
    table.insert(table.columns.get_loc("CPU hours") + 1, "queue hours", (table["CPU hours"] * calibration[0]).round(1))
    return table


def queue_note(store: Path, data_root: str | None) -> str:
    """What ``queue hours`` means here, or why the plan has none (``queue_factor``)."""
    calibration = queue_factor(store, data_root)
    if calibration is None:
        return (f"no queue hours: fewer than {MIN_CALIBRATION_RUNS} stored trainings ran on this CPU model "
                f"({cpu_model()}) at 1 thread to calibrate them")
    factor, runs = calibration
    return (f"queue hours: the CPU hours x {factor:g}, the median slowdown of the {runs} stored trainings this CPU "
            f"model ({cpu_model()}) ran in the queue ({QUEUES} one-thread studies side by side)")


def pairs_table(data_root: str | None) -> pd.DataFrame:
    """Pairs per epoch of each dataset (fold 0's training split), one positive pair per person
    or all of them (``epoch_pairs``), and the ratio: what the two readings of an epoch cost."""
    names = [n for n in ("viper", "ilids", "caviar", "3dpes", "prid", "cuhk01", "peta-reid") if n in DEFAULT_PROTOCOL]
    rows = []
    for name in names if data_root else ["synthetic"]:
        count = {e: epoch_pairs(RunConfig(dataset=name, epoch_pairs=e), data_root) for e in ("per-person", "all")}
        rows.append({"dataset": name, **count, "all / per-person": round(count["all"] / count["per-person"], 1)})
    return pd.DataFrame(rows).set_index("dataset")


def summary(profile: str, data_root: str | None = None, store: Path = STORE,
            items: list[str] | None = None, folds: tuple[int, ...] | None = None,
            seen: set[str] | None = None) -> pd.DataFrame:
    """One row per item, and a total: what ``reidlab plan`` prints (``folds``: of those folds only,
    with the networks their evaluations evaluate, as ``run_items`` runs them). A run is counted
    once, under the first item that has it; ``seen``: runs counted already (it grows)."""
    seen = set() if seen is None else seen
    rows = []
    for item in items or trained_items():
        runs = plan(item, profile, data_root is not None)
        if item == "table5":  # its VIPeR pre-training runs, trained first (``run_items``)
            runs = pretrain_runs(profile, data_root is not None) + runs
        if folds is not None:
            needed = {referenced(r.config) for r in runs if r.fold in folds}
            runs = [r for r in runs if r.fold in folds or r.identity in needed]
        mine = [r for r in runs if r.identity not in seen]
        seen |= {r.identity for r in mine}
        evaluations = [r for r in mine if not r.config.epochs]  # no training: seconds each
        mine = [r for r in mine if r.config.epochs]
        pending = [r for r in mine if stored(r.config, store) is None]
        images = [trained_images(r.config, data_root) for r in pending]
        rows.append({
            "item": item, "variants": len(ITEMS[item].variants), "folds": item_folds(item, profile),
            "trainings": len(mine), "evaluations": len(evaluations),
            "stored": len(mine) - len(pending), "pending": len(pending),
            "pending images (M)": round(sum(images) / 1e6, 1),
            "CPU hours": round(sum(n / rate("CPU", r.config.pairs_per_step)
                                   for n, r in zip(images, pending)) / 3600, 1),
            "GPU minutes": round(sum(n / rate("GPU", r.config.pairs_per_step)
                                     for n, r in zip(images, pending)) / 60, 1),
        })
    frame = pd.DataFrame(rows)
    if folds is not None:
        frame["folds"] = [", ".join(str(f) for f in folds if f < n) or "-" for n in frame.folds]
    total = {c: round(frame[c].sum(), 1) for c in frame.columns if c not in ("item", "folds")}
    total.update(item="total", folds="-")
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True).set_index("item")


def rounds_summary(profile: str, data_root: str | None = None, store: Path = STORE,
                   items: list[str] | None = None) -> pd.DataFrame:
    """One row per round of the queue (``study.ROUNDS``): its folds and the totals of ``summary``
    (a network an earlier round trains is counted there only); then the part beyond the paper."""
    rows, seen = {}, set()
    for number, folds in ROUNDS.items():
        total = summary(profile, data_root, store, items, folds, seen).loc["total"]
        rows[f"round {number}"] = {"folds": f"{folds[0]}" + (f"-{folds[-1]}" if len(folds) > 1 else ""),
                                   **total.drop(["folds", "variants"]).to_dict()}
    if items is None:  # then the part "Beyond the paper", every fold (its knobs' dev runs first)
        total = summary(profile, data_root, store, trained_items("beyond"), None, seen).loc["total"]
        rows["beyond the paper"] = {"folds": "all", **total.drop(["folds", "variants"]).to_dict()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("round")


FIRST_DECISION = ROUNDS[1] + ROUNDS[2]  # the folds that give every claim a paired test (n = 3)


def decision_folds(verdict: str, needed: int | None, declared: int, pre_registered: bool) -> range | None:
    """The folds a claim's next decision needs, from its verdict now (``verdicts.claims``): none
    once it holds or is contradicted; a pre-registered claim, all declared; an inconclusive one,
    the ``needed`` folds its verdict estimates would decide it; else rounds 1-2 (``FIRST_DECISION``)."""
    if verdict_word(verdict) in ("holds", "contradicted"):
        return None
    if pre_registered:
        return range(declared)
    return range(min(declared, max(needed or 0, len(FIRST_DECISION))))


def claims_summary(profile: str, data_root: str | None = None, store: Path = STORE) -> pd.DataFrame:
    """One row per claim (numbered as on the claims page): its verdict now and the pending
    trainings its next decision needs (``decision_folds`` of the variants it compares,
    ``Claim.variants``, with the networks their evaluations evaluate) and what they cost;
    cheapest first, then the decided claims, then those waiting for a variant's runs to be
    declared (a knob chosen on the dev partitions). A training two claims need counts in each.
    The fold order stays the declared one: this orders the queue, it stops no variant."""
    from reidlab.verdicts import claims as verdicts

    now = verdicts(profile, data_root is not None, store)
    runs_of = {}
    rows = []
    for number, (item, claim) in enumerate(claims()):
        if item not in runs_of:
            runs = plan(item, profile, data_root is not None)
            runs_of[item] = (pretrain_runs(profile, data_root is not None) if item == "table5" else []) + runs
        runs, variants = runs_of[item], claim.variants(ITEMS[item].variants)
        verdict, needed = now.loc[number, ["verdict", "folds to decide"]]
        row = {"claim": number, "item": item, "text": claim.text, "verdict now": verdict}
        undeclared = [v for v in variants if not any(r.variant == v for r in runs)]
        needed = None if pd.isna(needed) else int(needed)
        folds = decision_folds(verdict, needed, item_folds(item, profile), claim.a.endswith(POOLED))
        if undeclared or folds is None:
            rows.append({**row, "folds": "-", "waits for": f"runs of {', '.join(undeclared)}" if undeclared else "-",
                         "pending": 0, "pending images (M)": 0.0, "CPU hours": 0.0, "order": 2 if undeclared else 1})
            continue
        mine = [r for r in runs if r.variant in variants and r.fold in folds]
        needed = {referenced(r.config) for r in mine} | {r.identity for r in mine}
        pending = [r for r in runs if r.identity in needed and r.config.epochs and stored(r.config, store) is None]
        pending = list({r.identity: r for r in pending}.values())
        images = [trained_images(r.config, data_root) for r in pending]
        rows.append({**row, "folds": f"{folds[0]}-{folds[-1]}", "waits for": "-", "pending": len(pending),
                     "pending images (M)": round(sum(images) / 1e6, 1),
                     "CPU hours": round(sum(n / rate("CPU", r.config.pairs_per_step)
                                            for n, r in zip(images, pending)) / 3600, 1), "order": 0})
    frame = pd.DataFrame(rows).set_index("claim")
    return frame.sort_values(["order", "CPU hours", "pending"], kind="stable").drop(columns="order")
