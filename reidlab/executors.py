"""Executors: where and how a list of runs trains. ``run_work`` is the one entry: ``jobs``
processes of this machine (one run each), batched groups each in a process of its own (a GPU;
``groups`` says which runs train together), or the tasks of a Ray cluster (``cluster``). Each run
goes through the one run lifecycle (``lifecycle.execute``) wherever it trains.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from tqdm import tqdm

from reidlab import batched
from reidlab.config import RunConfig
from reidlab.groups import keyed, next_group, trains_alone
from reidlab.lifecycle import OutOfTime, RunBusy
from reidlab.run import Run
from reidlab.train import TrainingDiverged

if TYPE_CHECKING:
    from reidlab.cluster import RayExecutor

Work = list[tuple[RunConfig, Path]]


def run_work(work: Work, data_root, jobs: int, progress: bool, label: str,
             batch: int = 0, deadline: float | None = None, record: dict | None = None,
             after_each: Callable[[], None] | None = None, executor: RayExecutor | None = None) -> None:
    """Trains (or evaluates) ``work``: ``jobs`` processes, batched groups of up to ``batch``
    runs, or tasks of a Ray cluster (``executor``); ``record`` is the profile each run writes
    (``profile.json``) as it starts; ``after_each`` follows each finished run or group (at once:
    a study stopped later keeps the weights its finished runs give others). A run that another
    process trains now (two studies over one store) is skipped with a line; that process stores it."""
    # finished runs, and runs that diverged (a finding, kept in diverged.json), are not run again
    work = [(c, d) for c, d in work if not (d / "metrics.json").exists() and not (d / "diverged.json").exists()]
    if not work:
        return
    if executor is not None:
        return executor.run(work, data_root, progress, label, record, after_each)
    if batch > 1:
        return run_batched(work, data_root, batch, progress, deadline, record, after_each)
    args = [(c.to_dict(), str(d), data_root, threads_per_job(jobs), record) for c, d in work]
    bar = tqdm(total=len(args), desc=label, unit="run", disable=not progress)

    def finished() -> None:  # at once, not at the end: a session cut off later keeps them
        bar.update()
        if after_each is not None:
            after_each()

    if jobs <= 1:
        for a in args:
            train_one(a)
            finished()
    else:
        with worker_pool(jobs) as pool:
            for _ in pool.map(train_one, args):
                finished()
    bar.close()


def worker_pool(jobs: int) -> ProcessPoolExecutor:
    """``jobs`` worker processes, each ended with the process that started it (``end_with_parent``);
    forkserver, as for groups: a process forked after torch's OpenMP threads ran can hang."""
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("forkserver"),
                               initializer=end_with_parent)


def end_with_parent() -> None:
    """In a worker process: end it (SIGTERM) once the process that asked for it ends, however that
    ends. A forkserver's worker is the server's child, and the server lives while any worker does,
    so without this a study killed outright (SIGKILL) leaves its runs training on as orphans. The
    parent's sentinel (``multiprocessing.parent_process``) says when; each run keeps its last
    checkpoint, as at any stop."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def _ended_with_parent(target: Callable, *args) -> None:
    end_with_parent()
    target(*args)


def threads_per_job(jobs: int) -> int:
    """Threads each run may use: ``OMP_NUM_THREADS`` where set (e.g. two studies sharing a
    machine, one thread each), else the machine's cores shared among ``jobs``."""
    if os.environ.get("OMP_NUM_THREADS", "").isdigit() and int(os.environ["OMP_NUM_THREADS"]) > 0:
        return int(os.environ["OMP_NUM_THREADS"])
    return max(1, (os.cpu_count() or 1) // max(1, jobs))


def train_one(args: tuple[dict, str, str | None, int, dict | None]) -> str:
    """One run, in this process (a pool's worker): (config values, run directory, data root,
    threads, profile record)."""
    values, run_dir, data_root, threads, record = args
    torch.set_num_threads(threads)
    try:
        Run(RunConfig.from_dict(values), run_dir, data_root, progress=False, profile_record=record).execute()
    except RunBusy as exc:  # two studies over one store: the other one stores it
        print(f"  {Path(run_dir).name}: skipped: {str(exc).split(';')[0]}", flush=True)
    return run_dir


# Each group trains in a process of its own, so that a CUDA error (a device-side assert poisons
# the process's context) ends that group, not the call; forkserver: each starts fast, and never
# from a process that has touched CUDA or started threads.
GROUP_CONTEXT: str | None = "forkserver"
OUT_OF_TIME = 75  # a group's exit code at the deadline (EX_TEMPFAIL): its runs checkpointed


def run_batched(work: Work, data_root, batch: int, progress: bool,
                 deadline: float | None, record: dict | None = None,
                 after_each: Callable[[], None] | None = None) -> None:
    """Groups of up to ``batch`` runs (``groups.next_group``), each trained at once in a process of its
    own (on a GPU: one CUDA-graph step for all of them); a group that fails is reported in one line
    and the next one goes on; a deadline checkpoints the group and the same command resumes.
    ``after_each`` runs after each group (``run_items``: keep weights, ship). A run that
    cannot join a group (``groups.trains_alone``) trains alone, in its turn."""
    queue, failed = keyed(work, data_root), []
    while queue:
        chunk = next_group(queue, batch)
        if why := trains_alone(chunk[0][0]):
            run_work([chunk[0][:2]], data_root, 1, progress, f"alone ({why})", record=record)
            continue
        start = time.perf_counter()
        exitcode = _in_own_process(_train_group, chunk, data_root, progress, deadline, record)
        if after_each is not None:
            after_each()
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
        context.set_forkserver_preload(["torch", "reidlab.executors"])
    process = context.Process(target=_ended_with_parent, args=(target, *args))
    process.start()
    process.join()
    return process.exitcode


def _train_group(chunk: list, data_root, progress: bool, deadline: float | None, record: dict | None) -> None:
    """Train one group to the end, in its own process: a run that diverges is recorded
    (``diverged.json``) and the group goes on without it; a group too large for the device's
    memory is halved until it fits. Exits with ``OUT_OF_TIME`` at the deadline."""
    parts = [chunk]
    while parts:
        part = parts.pop(0)
        try:
            batched.RunGroup([Run(c, d, data_root, progress=False, profile_record=record) for c, d, _ in part],
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


def rehearse(work: Work, data_root, batch: int) -> int:
    """One step and a few features of every group a batched study of ``work`` would form, on this
    machine (the device of the runs' configs), in a scratch folder: nothing is stored. For the
    minutes of a GPU call: a group that breaks there breaks here first. Returns the groups."""
    queue, groups = keyed(work, data_root), 0
    with tempfile.TemporaryDirectory(prefix="reidlab-rehearsal-") as scratch:
        while queue:
            chunk = next_group(queue, batch)
            if why := trains_alone(chunk[0][0]):
                print(f"  1 run alone ({why}, {_describe(chunk[0][0])}): not rehearsed", flush=True)
                continue
            start, groups = time.perf_counter(), groups + 1
            runs = [Run(c, Path(scratch) / f"{groups}-{i}", data_root, progress=False)
                    for i, (c, _, _) in enumerate(chunk)]
            batched.RunGroup(runs, progress=False).rehearse()
            print(f"  group {groups}: {len(chunk)} runs ({_describe(chunk[0][0])}): one step and a few "
                  f"features ran ({time.perf_counter() - start:.0f} s)", flush=True)
    return groups


def _describe(cfg: RunConfig) -> str:
    return f"{cfg.dataset}, {cfg.epochs} epochs, {cfg.pairs_per_step} pair(s)/step"
