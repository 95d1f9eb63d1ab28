"""How the CPU queue should use the cores: one run on all threads, or one 1-thread run per core.

    python benchmarks/cpu_layout.py [--epochs E]

Times the study's fast recipe (``study.FAST_SCHEDULE``) on VIPeR (``$REIDLAB_DATA_ROOT``; else
the synthetic default) with the real training code (``train.train_epoch``), in three layouts:

* one run alone on 1 thread (what a core gives when nothing else runs);
* one run on every core (``torch.get_num_threads()``: ``--jobs 1`` with all threads);
* one 1-thread run per core, side by side in separate processes (``make cpu-study``: two
  1-thread queues), their images/s summed over a common timed window;

and prints images/s and each layout's ratio to one run on every core. Run it on an otherwise
idle machine: anything else running (a study queue included) takes its share of the cores.
Timings exclude one warm-up epoch; the side-by-side runs start their timed epochs together.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from schedules import rate_alone  # noqa: E402

from reidlab.config import RunConfig  # noqa: E402
from reidlab.data import resolve_data_root  # noqa: E402
from reidlab.study import FAST_SCHEDULE, plan  # noqa: E402


def fast_config(fold: int) -> RunConfig:
    real = resolve_data_root(None) is not None
    cfg = next(r.config for r in plan("schedules", "paper", real) if r.variant == FAST_SCHEDULE)
    return RunConfig(**{**cfg.to_dict(), "dataset": "viper" if real else "synthetic", "device": "cpu", "fold": fold})


def rate(threads: int, fold: int, epochs: int, start: mp.Barrier | None = None) -> float:
    """images/s of one run of the fast recipe on ``threads`` threads (after ``start``, if given)."""
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        return rate_alone(fast_config(fold), Path(tmp), epochs, before_timing=start.wait if start else None)[0]


def _side_by_side_worker(fold: int, epochs: int, start: mp.Barrier, out: mp.Queue) -> None:
    out.put(rate(1, fold, epochs, start))


def side_by_side(processes: int, epochs: int) -> float:
    """Summed images/s of ``processes`` 1-thread runs (different folds) in processes of their own."""
    ctx = mp.get_context("spawn")
    start, out = ctx.Barrier(processes), ctx.Queue()
    workers = [ctx.Process(target=_side_by_side_worker, args=(fold, epochs, start, out)) for fold in range(processes)]
    for w in workers:
        w.start()
    rates = [out.get() for _ in workers]
    for w in workers:
        w.join()
    return sum(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6, help="timed epochs per layout")
    args = parser.parse_args()
    cores = torch.get_num_threads()
    data = "viper" if resolve_data_root(None) else "synthetic"
    print(f"{cores} cores; the fast recipe ({FAST_SCHEDULE}) on {data}, {args.epochs} timed epochs per layout")
    rows = [("one run, 1 thread", rate(1, 0, args.epochs)),
            (f"one run, {cores} threads", rate(cores, 0, args.epochs)),
            (f"{cores} runs side by side, 1 thread each", side_by_side(cores, args.epochs))]
    reference = rows[1][1]
    print(f"{'layout':42s} {'images/s':>9s} {'vs one run on every core':>25s}")
    for name, value in rows:
        print(f"{name:42s} {value:9.0f} {value / reference:24.2f}x")


if __name__ == "__main__":
    main()
