"""The scheduler: runs the study's declared runs (``study.plan``) into the store, skipping stored
ones (one process per run, or many runs of one shape batched on a GPU), and says what the study
still costs (``reidlab plan``).

A training is counted once, under the first item (in book order) that declares it: items share
runs (Fig. 4's multi-task run is Table IV's "Ours"); Table V counts its VIPeR pre-training runs.
Evaluation runs (0 epochs: a test-time variant, or a cross-dataset network on another test set or
fold; ``study.plan``) are counted apart: they take seconds.
Trained images per run = epochs x pairs per epoch x 2, the pairs counted by the run's own pair
sampler on its split (``pairs_per_epoch``). The rates are measured ones (files below).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from reidlab.config import RunConfig
from reidlab.errors import ConfigError
from reidlab.store import STORE, referenced, resume_epoch, store_for, stored, write_profile
from reidlab.study import (ANALYSIS_ITEMS, ITEMS, PROFILES, ROUNDS, PlannedRun, item_folds, plan, pretrain_runs,
                           trained_items)

if TYPE_CHECKING:
    from reidlab.cluster import RayExecutor
    from reidlab.shipping import Shipper


def trained_run(item: str, variant: str, profile: str, data_root: str | None, store: Path | None = None,
                overrides: dict | None = None, fold: int = 0, execute: bool = True):
    """The stored run of ``item``/``variant`` with its final weights loaded, for the analyses of
    Sec. V-D, or None when its weights are not at hand. With ``execute`` a run not yet stored is
    trained first; a stored run is never trained again (its weights are kept beside it, committed:
    ``run.keep_weights``)."""
    from reidlab.run import Run, final_weights, keep_weights

    store = store or store_for(profile, data_root is not None)
    planned = next(r for r in plan(item, profile, data_root is not None, overrides)
                   if r.variant == variant and r.fold == fold)
    run_dir = store / planned.identity
    if stored(planned.config, store) is None and execute:  # (looked up first: the page's read log)
        _run_all([(planned.config, run_dir)], data_root, 1, False, item)
    if final_weights(run_dir) is None:
        return None
    keep_weights(run_dir)
    run = Run(planned.config, run_dir, data_root, progress=False)
    run.load_final()
    return run


def _execute(args: tuple[dict, str, str | None, int, dict | None]) -> str:
    values, run_dir, data_root, threads, record = args
    import torch

    from reidlab.run import Run

    torch.set_num_threads(threads)
    Run(RunConfig.from_dict(values), run_dir, data_root, progress=False, profile=record).execute()
    return run_dir


def run_item(item: str, profile: str = "smoke", data_root: str | None = None, store: Path | None = None,
             jobs: int = 1, progress: bool = True, overrides: dict | None = None,
             batch: int = 0, deadline: float | None = None) -> list[PlannedRun]:
    """Run every not-yet-stored run of ``item``; returns the plan (all runs then stored)."""
    return run_items([item], profile, data_root, store, jobs, progress, overrides, batch, deadline)[item]


def run_items(items: list[str], profile: str = "smoke", data_root: str | None = None, store: Path | None = None,
              jobs: int = 1, progress: bool = True, overrides: dict | None = None,
              batch: int = 0, deadline: float | None = None,
              variants: list[str] | None = None, rehearsal: bool = False,
              folds: list[int] | None = None, shipper: Shipper | None = None,
              skip: set[str] | None = None, evaluations: bool = True,
              executor: RayExecutor | None = None) -> dict[str, list[PlannedRun]]:
    """Run every not-yet-stored run of ``items`` (shared runs once); returns each item's plan.

    ``overrides`` (e.g. ``{"device": "cuda", "seed": 1}``) apply to every run.
    ``batch`` > 1 trains up to that many runs of equal shape at once (``reidlab.batched``; for a
    GPU), across items; ``deadline`` (``time.time()``) stops batched groups there, checkpointed.
    ``variants``: run only the variants of these names; ``folds``: only these folds (both keep the
    networks their evaluation runs evaluate). ``store`` defaults to ``store_for``. ``shipper``
    (``shipping.Shipper``): batched groups send their finished runs as they finish. ``skip``:
    identities to count as stored (a lean GPU tree carries their index, not the store).
    ``evaluations``: False trains only (a GPU call: the evaluations follow on a CPU).
    ``rehearsal``: only rehearse the batched groups of the pending trainings (``rehearse``).
    ``executor``: train on a Ray cluster (``cluster.RayExecutor``); the evaluations (seconds each)
    stay on this machine."""
    real = data_root is not None
    store = store or store_for(profile, real)
    skip = skip or set()
    plans = {item: plan(item, profile, real, overrides) for item in items}
    if variants or folds is not None:
        unknown = set(variants or ()) - {r.variant for runs in plans.values() for r in runs}
        if unknown:
            raise ConfigError(f"no variant(s) {sorted(unknown)} in {', '.join(items)}")
        wanted = lambda r: (not variants or r.variant in variants) and (folds is None or r.fold in folds)  # noqa: E731
        # the chosen runs, and the networks their evaluation runs evaluate
        needed = {referenced(r.config) for runs in plans.values() for r in runs if wanted(r)}
        plans = {item: [r for r in runs if wanted(r) or r.identity in needed] for item, runs in plans.items()}
    if rehearsal:
        first = [r for r in pretrain_runs(profile, real) if folds is None or r.fold in folds] if "table5" in items else []
        runs = [*first, *(r for runs in plans.values() for r in runs)]
        work = {r.identity: (r.config, store / r.identity) for r in runs
                if r.config.epochs and stored(r.config, store) is None and r.identity not in skip}
        print(f"  rehearsal: {rehearse(list(work.values()), data_root, max(batch, 1))} group(s), nothing stored")
        return plans
    record = profile_record(profile, real)  # profile.json, written as each run starts

    def after_group() -> None:  # the weights to keep, then the finished runs sent on
        _keep_used_weights(plans, store)
        if shipper is not None:
            shipper.ship()

    if "table5" in items:  # the pre-training runs first
        _run_all([(r.config, store / r.identity) for r in pretrain_runs(profile, real)
                  if (folds is None or r.fold in folds) and r.identity not in skip],
                 data_root, jobs, progress, "table5 pretrain", batch, deadline, record, after_group, executor)
    todo = {r.identity: r for runs in plans.values() for r in runs
            if stored(r.config, store) is None and r.identity not in skip}
    label = "+".join(items)
    trainings = [(r.config, store / i) for i, r in todo.items() if r.config.epochs]
    try:
        _run_all(trainings, data_root, jobs, progress, label, batch, deadline, record, after_group, executor)
    finally:  # also when a deadline stops the call: the runs finished by then keep theirs
        after_group()
    if evaluations:
        evaluated = [(r.config, store / i) for i, r in todo.items() if not r.config.epochs]
        _run_all(_evaluable(evaluated, store), data_root, jobs, progress, f"{label} evaluations", record=record)
        after_group()
    for runs in plans.values():
        for run in runs:
            write_profile(store / run.identity, profile_record(profile, real))
    return plans


def _keep_used_weights(plans: dict[str, list[PlannedRun]], store: Path) -> None:
    """Keep (commit) the final weights of the networks other runs use: the analyses' runs, and
    every run named as ``pretrained`` (pre-training, evaluation runs), so none is trained twice;
    and of the items that keep all theirs (the headline's, ``PaperItem.keep_weights``)."""
    from reidlab.run import keep_weights

    for runs in plans.values():
        for run in runs:
            if ((run.item, run.variant) in ANALYSIS_ITEMS.values() and run.fold == 0) or ITEMS[run.item].keep_weights:
                keep_weights(store / run.identity)
            if referenced(run.config):
                keep_weights(store / referenced(run.config))


def _evaluable(evaluations: list[tuple[RunConfig, Path]], store: Path) -> list[tuple[RunConfig, Path]]:
    """The evaluation runs whose network is at hand; the others are named, with the way out."""
    from reidlab.run import final_weights

    ready = []
    for cfg, run_dir in evaluations:
        source = store / referenced(cfg)
        if final_weights(source) is not None:
            ready.append((cfg, run_dir))
        elif (source / "metrics.json").exists():
            print(f"  {run_dir.name}: waits: its network {source.name} is stored without its weights "
                  f"(trained before they were kept); move {source.name}/metrics.json away to train it again")
        else:
            print(f"  {run_dir.name}: waits: its network {source.name} is not trained yet (a deadline, or it diverged)")
    return ready


def _queue(work: list[tuple[RunConfig, Path]], data_root) -> list[tuple[RunConfig, Path, tuple]]:
    """``work`` with each run's group key: its network shape and the config keys a group shares
    (``batched.group_key``), the epoch it resumes from, and its epoch length within a factor of ~2
    (a group pads every run to its longest)."""
    from reidlab.batched import group_key
    from reidlab.run import _load

    # each dataset loaded once while the queue is keyed (the shared loader frees what nothing holds)
    held = [_load(c, name, data_root) for c, _ in work for name in filter(None, (c.dataset, c.test_dataset))]  # noqa: F841
    return [(c, d, (group_key(c.to_dict()), resume_epoch(d), math.ceil(math.log2(_epoch_pairs(c, data_root)))))
            for c, d in work]


def _next_group(queue: list, batch: int) -> list:
    """Takes off ``queue`` the next group of at most ``batch`` runs: the first pending run and the
    next ones of its key (they may differ in fold, seeds, recipe and data: ``batched.PER_RUN``),
    in queue order (the items' order is the priority). A non-SGD run is a group of one."""
    head = queue[0]
    chunk = [head] if head[0].optimizer != "sgd" else [m for m in queue if m[2] == head[2]][:batch]
    queue[:] = [m for m in queue if m not in chunk]
    return chunk


# Each group trains in a process of its own, so that a CUDA error (a device-side assert poisons
# the process's context) ends that group, not the call; forkserver: each starts fast, and never
# from a process that has touched CUDA or started threads.
GROUP_CONTEXT: str | None = "forkserver"
OUT_OF_TIME = 75  # a group's exit code at the deadline (EX_TEMPFAIL): its runs checkpointed


def _run_batched(work: list[tuple[RunConfig, Path]], data_root, batch: int, progress: bool,
                 deadline: float | None, record: dict | None = None,
                 after_group: Callable[[], None] | None = None) -> None:
    """Groups of up to ``batch`` runs (``_next_group``), each trained at once in a process of its
    own (on a GPU: one CUDA-graph step for all of them); a group that fails is reported in one line
    and the next one goes on; a deadline checkpoints the group and the same command resumes.
    ``after_group`` runs after each group (``run_items``: keep weights, ship). Non-SGD runs
    train alone, in their turn."""
    from reidlab.lifecycle import OutOfTime

    queue, failed = _queue(work, data_root), []
    while queue:
        chunk = _next_group(queue, batch)
        if chunk[0][0].optimizer != "sgd":
            _run_all([chunk[0][:2]], data_root, 1, progress, "alone (not SGD)", record=record)
            continue
        start = time.perf_counter()
        exitcode = _in_own_process(_train_group, chunk, data_root, progress, deadline, record)
        if after_group is not None:
            after_group()
        if not exitcode:
            print(f"  {len(chunk)} runs at once ({_describe(chunk[0][0])}): {time.perf_counter() - start:.0f} s",
                  flush=True)
        if exitcode == OUT_OF_TIME:
            raise OutOfTime("deadline reached; the group's runs are checkpointed, run again to resume")
        if exitcode:
            failed.append(chunk)
            print(f"  a group of {len(chunk)} runs ({_describe(chunk[0][0])}) ended with exit code "
                  f"{exitcode}: its runs stay unfinished; the next group goes on", flush=True)
    if failed:
        print(f"  {len(failed)} group(s) failed: {sum(map(len, failed))} runs unfinished", flush=True)


def _in_own_process(target: Callable, *args) -> int:
    """``target(*args)`` in a process of ``GROUP_CONTEXT`` (None: in this one, for tests that watch
    a group from here); its exit code."""
    if GROUP_CONTEXT is None:
        try:
            target(*args)
        except SystemExit as exc:
            return int(exc.code or 0)
        return 0
    context = multiprocessing.get_context(GROUP_CONTEXT)
    if GROUP_CONTEXT == "forkserver":
        context.set_forkserver_preload(["torch", "reidlab.batched", "reidlab.run"])
    process = context.Process(target=target, args=args)
    process.start()
    process.join()
    return process.exitcode


def _train_group(chunk: list, data_root, progress: bool, deadline: float | None, record: dict | None) -> None:
    """Train one group to the end, in its own process: a run that diverges is recorded
    (``diverged.json``) and the group goes on without it; a group too large for the device's
    memory is halved until it fits. Exits with ``OUT_OF_TIME`` at the deadline."""
    import gc
    import sys

    import torch

    from reidlab.batched import RunGroup
    from reidlab.lifecycle import OutOfTime
    from reidlab.run import Run
    from reidlab.train import TrainingDiverged

    parts = [chunk]
    while parts:
        part = parts.pop(0)
        try:
            RunGroup([Run(c, d, data_root, progress=False, profile=record) for c, d, _ in part],
                     progress=progress).execute(deadline)
        except OutOfTime as exc:
            print(f"  stopped: {exc}", flush=True)
            sys.exit(OUT_OF_TIME)
        except TrainingDiverged as exc:
            print(f"  a run diverged ({exc}); its group starts again without it", flush=True)
            rest = [m for m in part if not (m[1] / "diverged.json").exists()]
            parts[:0] = [rest] if rest else []
            continue
        except torch.cuda.OutOfMemoryError:
            if len(part) == 1:
                raise
            # as memory allows: half the group now, the other half next (each resumes its checkpoint)
            half = len(part) // 2
            print(f"  {len(part)} runs do not fit in the device's memory: {half} at once", flush=True)
            parts[:0] = [part[:half], part[half:]]
            gc.collect()
            torch.cuda.empty_cache()


def rehearse(work: list[tuple[RunConfig, Path]], data_root, batch: int) -> int:
    """One step and a few features of every group a batched study of ``work`` would form, on this
    machine (the device of the runs' configs), in a scratch folder: nothing is stored. For the
    minutes of a GPU call: a group that breaks there breaks here first. Returns the groups."""
    import tempfile

    from reidlab.batched import RunGroup
    from reidlab.run import Run

    queue, groups = _queue(work, data_root), 0
    with tempfile.TemporaryDirectory(prefix="reidlab-rehearsal-") as scratch:
        while queue:
            chunk = _next_group(queue, batch)
            if chunk[0][0].optimizer != "sgd":
                print(f"  1 run alone (not SGD, {_describe(chunk[0][0])}): not rehearsed", flush=True)
                continue
            start, groups = time.perf_counter(), groups + 1
            runs = [Run(c, Path(scratch) / f"{groups}-{i}", data_root, progress=False)
                    for i, (c, _, _) in enumerate(chunk)]
            RunGroup(runs, progress=False).rehearse()
            print(f"  group {groups}: {len(chunk)} runs ({_describe(chunk[0][0])}): one step and a few "
                  f"features ran ({time.perf_counter() - start:.0f} s)", flush=True)
    return groups


def _describe(cfg: RunConfig) -> str:
    return f"{cfg.dataset}, {cfg.epochs} epochs, {cfg.pairs_per_step} pair(s)/step"


def _run_all(work: list[tuple[RunConfig, Path]], data_root, jobs: int, progress: bool, label: str,
             batch: int = 0, deadline: float | None = None, record: dict | None = None,
             after_group: Callable[[], None] | None = None, executor: RayExecutor | None = None) -> None:
    """Trains (or evaluates) ``work``: ``jobs`` processes, batched groups of up to ``batch``
    runs, or tasks of a Ray cluster (``executor``); ``record`` is the profile each run writes
    (``profile.json``) as it starts; ``after_group`` follows each finished run or group (at once:
    a study stopped later keeps the weights its finished runs give others)."""
    from tqdm import tqdm

    # finished runs, and runs that diverged (a finding, kept in diverged.json), are not run again
    work = [(c, d) for c, d in work if not (d / "metrics.json").exists() and not (d / "diverged.json").exists()]
    if not work:
        return
    if executor is not None:
        return executor.run(work, data_root, progress, label, record, after_group)
    if batch > 1:
        return _run_batched(work, data_root, batch, progress, deadline, record, after_group)
    args = [(c.to_dict(), str(d), data_root, threads_per_job(jobs), record) for c, d in work]
    bar = tqdm(total=len(args), desc=label, unit="run", disable=not progress)

    def finished() -> None:  # at once, not at the end: a session cut off later keeps them
        bar.update()
        if after_group is not None:
            after_group()

    if jobs <= 1:
        for a in args:
            _execute(a)
            finished()
    else:
        # forkserver, as for groups: a process forked after torch's OpenMP threads ran can hang
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("forkserver")) as pool:
            for _ in pool.map(_execute, args):
                finished()
    bar.close()


def threads_per_job(jobs: int) -> int:
    """Threads each run may use: ``OMP_NUM_THREADS`` where set (e.g. two studies sharing a
    machine, one thread each), else the machine's cores shared among ``jobs``."""
    if os.environ.get("OMP_NUM_THREADS", "").isdigit() and int(os.environ["OMP_NUM_THREADS"]) > 0:
        return int(os.environ["OMP_NUM_THREADS"])
    return max(1, (os.cpu_count() or 1) // max(1, jobs))


def profile_record(profile: str, real_data: bool) -> dict:
    """What ``profile.json`` beside a stored run says: the profile and its deviations."""
    prof = PROFILES[profile]
    return {"profile": profile, "deviations": prof.overrides, "folds": prof.folds,
            "description": prof.describe(), "real_data": real_data}


# images/s by pairs per step, measured on real VIPeR:
# CPU: results/benchmarks/schedules_cpu-2core.txt (2 cores, one run alone);
# GPU: batched groups; 1 pair/step results/benchmarks/schedules_nvidia-h200.txt (10 runs, H200),
# 8 pairs/step results/benchmarks/gpu_fidelity_h100.txt (27 runs, H100)
CPU_RATE = {1: 327, 8: 552}
GPU_RATE = {1: 13_591, 8: 41_000}


@lru_cache(maxsize=None)
def pairs_per_epoch(dataset: str, test_dataset: str | None, protocol: str | None, seed: int, fold: int,
                    data_root: str | None, persons: int, epoch_pairs: str = "per-person",
                    attribute_set: str | None = None) -> int:
    """Pairs an epoch presents (positives and as many negatives) on a run's training split."""
    from reidlab.config import RunConfig
    from reidlab.run import _load, _split
    from reidlab.train import PairSampler

    cfg = RunConfig(dataset=dataset, test_dataset=test_dataset, protocol=protocol, split_seed=seed,
                    fold=fold, synthetic_persons=persons, attribute_set=attribute_set)
    train = _load(cfg, dataset, data_root)
    rows = _split(cfg, train, _load(cfg, test_dataset, data_root) if test_dataset else train).train_index(train)
    return PairSampler(train.pids[rows], train.camids[rows], rows, epoch_pairs=epoch_pairs).pairs_per_epoch


def _epoch_pairs(cfg: RunConfig, data_root: str | None) -> int:
    return pairs_per_epoch(cfg.dataset, cfg.test_dataset, cfg.protocol, cfg.split_seed, cfg.fold,
                           data_root, cfg.synthetic_persons, cfg.epoch_pairs, cfg.attribute_set)


def trained_images(cfg: RunConfig, data_root: str | None) -> int:
    """Images a run trains on: epochs x pairs per epoch x 2."""
    return cfg.epochs * _epoch_pairs(cfg, data_root) * 2


def pairs_table(data_root: str | None) -> pd.DataFrame:
    """Pairs per epoch of each dataset (fold 0's training split), one positive pair per person
    or all of them (``epoch_pairs``), and the ratio: what the two readings of an epoch cost."""
    from reidlab.data.splits import DEFAULT_PROTOCOL

    names = [n for n in ("viper", "ilids", "caviar", "3dpes", "prid", "cuhk01", "peta-reid") if n in DEFAULT_PROTOCOL]
    rows = []
    for name in names if data_root else ["synthetic"]:
        count = {e: pairs_per_epoch(name, None, None, 0, 0, data_root, RunConfig.synthetic_persons, e)
                 for e in ("per-person", "all")}
        rows.append({"dataset": name, **count, "all / per-person": round(count["all"] / count["per-person"], 1)})
    return pd.DataFrame(rows).set_index("dataset")


def _rate(rates: dict[int, int], pairs_per_step: int) -> int:
    return rates[max(k for k in rates if k <= pairs_per_step)]


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
            "CPU hours": round(sum(n / _rate(CPU_RATE, r.config.pairs_per_step)
                                   for n, r in zip(images, pending)) / 3600, 1),
            "GPU minutes": round(sum(n / _rate(GPU_RATE, r.config.pairs_per_step)
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
    (a network an earlier round trains is counted there only)."""
    rows, seen = {}, set()
    for number, folds in ROUNDS.items():
        total = summary(profile, data_root, store, items, folds, seen).loc["total"]
        rows[f"round {number}"] = {"folds": f"{folds[0]}" + (f"-{folds[-1]}" if len(folds) > 1 else ""),
                                   **total.drop(["folds", "variants"]).to_dict()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("round")
