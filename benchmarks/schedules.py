"""Training throughput of the study's protocols, alone and batched, against the FLOP limit.

    python benchmarks/schedules.py [--device cpu|cuda] [--runs R] [--epochs E] [--fast NAME]

On VIPeR (with ``$REIDLAB_DATA_ROOT``; else the synthetic default, which has VIPeR's shape: 632
persons, two cameras, 15 attributes, pose) it times, with the real training code:

* the paper schedule (one pair per step) trained alone (``train.train_epoch``);
* the same schedule for R runs at once (``batched.RunGroup``; a CUDA graph per step on a GPU);
* the fast schedule (``study.FAST_CANDIDATES[NAME]``), alone and batched;
* the fast schedule batched in bf16 (``precision: bf16``), with R and with ``--big`` runs;
* the evaluations (a Fig. 4 curve point, the final ten-crop ranking): per run alone, and batched
  over the R runs of a group (``RunGroup.rankings``);

and prints images/s (R runs x images/s for a group), the fraction of the machine's measured
matmul FLOP/s (fp32, or bf16 for bf16 rows) that this is, the training time of a full 10-fold
VIPeR Table IV at each (training only; the evaluation seconds are printed apart), and the minutes the
study's pending trainings would take at that rate (``reidlab plan`` at the fast profile).
Timings exclude one warm-up epoch.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_eval import matmul_flops_per_s, timed  # noqa: E402

from reidlab.batched import RunGroup  # noqa: E402
from reidlab.config import RunConfig  # noqa: E402
from reidlab.data import resolve_data_root  # noqa: E402
from reidlab.evaluate import evaluate  # noqa: E402
from reidlab.study import FAST_CANDIDATES, FAST_SCHEDULE, plan  # noqa: E402
from reidlab.flops import train_flops  # noqa: E402
from reidlab.run import Run  # noqa: E402
from reidlab.train import train_epoch  # noqa: E402

FOLDS = 10


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def rate_alone(cfg: RunConfig, out: Path, epochs: int, before_timing=None) -> tuple[float, Run]:
    """images/s of ``cfg`` trained alone (``before_timing``: called after the warm-up epoch)."""
    run = Run(cfg, out / "alone", resolve_data_root(None), progress=False)
    epoch = lambda e: train_epoch(run.model, run.loss, run.optimizer, run.trainset, cfg, e)  # noqa: E731
    epoch(1)  # warm-up
    _sync(run.device)
    if before_timing:
        before_timing()
    start = time.perf_counter()
    for e in range(2, 2 + epochs):
        epoch(e)
    _sync(run.device)
    images = epochs * 2 * run.trainset.sampler.pairs_per_epoch  # two images per pair
    return images / (time.perf_counter() - start), run


def make_group(cfg: RunConfig, out: Path, runs: int) -> RunGroup:
    return RunGroup([Run(RunConfig(**{**cfg.to_dict(), "fold": t}), out / f"g{t}", resolve_data_root(None),
                         progress=False)
                     for t in range(runs)], progress=False)


def rate_group(cfg: RunConfig, out: Path, runs: int, epochs: int) -> float:
    group = make_group(cfg, out, runs)
    group.train_epoch(1)  # warm-up (and CUDA-graph capture)
    _sync(group.device)
    start = time.perf_counter()
    for e in range(2, 2 + epochs):
        group.train_epoch(e)
    _sync(group.device)
    return runs * epochs * 2 * group.n / (time.perf_counter() - start)


def evaluation_seconds(cfg: RunConfig, out: Path, runs: int) -> dict[str, tuple[float, float]]:
    """Seconds per run of one Fig. 4 curve point (train and test rank-1, ``curve_views``) and of the
    final test ranking (``test_views``): each run alone (``Run``) and the group batched."""
    group = make_group(cfg, out, runs)
    group.train_epoch(1)  # stacks the weights
    alone = {"curve point": lambda r: r.rank1(),
             "final ranking": lambda r: evaluate(r.model.features, *r.ranked("test"), cfg.test_views, cfg.distance)}
    batched = {"curve point": lambda: [group.rankings(w, cfg.curve_views) for w in ("train", "test")],
               "final ranking": lambda: group.rankings("test", cfg.test_views)}
    seconds = {}
    for name in alone:
        each = lambda: [alone[name](r) for r in group.runs]  # noqa: E731
        seconds[name] = (timed(each, 1) / runs, timed(batched[name], 1) / runs)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--runs", type=int, default=10, help="runs in the batched group")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs per measurement")
    parser.add_argument("--fast", default=FAST_SCHEDULE, choices=list(FAST_CANDIDATES))
    parser.add_argument("--big", type=int, default=0, help="also a bf16 group of this many runs (GPU)")
    args = parser.parse_args()
    device = torch.device(args.device)
    peak = {"fp32": matmul_flops_per_s(device), "bf16": matmul_flops_per_s(device, dtype=torch.bfloat16)}
    real = resolve_data_root(None) is not None
    base = RunConfig(dataset="viper" if real else "synthetic", device=args.device)
    fast = next(r.config for r in plan("schedules", "paper", real) if r.variant == args.fast)
    fast = RunConfig(**{**fast.to_dict(), "dataset": base.dataset, "device": args.device})
    print(f"device {device} ({torch.get_num_threads()} CPU threads), matmul peak measured "
          f"{peak['fp32'] / 1e12:.2f} TFLOP/s fp32, {peak['bf16'] / 1e12:.2f} bf16; {base.dataset} data, "
          "full task set (V+I+A+P)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        alone, run = rate_alone(base, out / "paper", args.epochs)
        flops = train_flops(run.model.features)
        rows.append(("paper schedule, alone", base, 1, alone))
        rows.append((f"paper schedule, {args.runs} runs batched", base, args.runs,
                     rate_group(base, out / "paper", args.runs, args.epochs)))
        rows.append((f"fast ({args.fast}), alone", fast, 1, rate_alone(fast, out / "fast", args.epochs)[0]))
        rows.append((f"fast ({args.fast}), {args.runs} runs batched", fast, args.runs,
                     rate_group(fast, out / "fast", args.runs, args.epochs)))
        bf16 = RunConfig(**{**fast.to_dict(), "precision": "bf16"})
        for runs in sorted({args.runs, args.big} - {0}):
            rows.append((f"fast, {runs} runs batched, bf16", bf16, runs, rate_group(bf16, out / f"bf16-{runs}", runs,
                                                                                    args.epochs)))
        evals = evaluation_seconds(fast, out / "eval", args.runs)
    print(f"model: ~{flops / 1e6:.0f} MFLOP per training image (forward + backward)")
    curve_points = fast.epochs // fast.curve_every + 1
    print(f"evaluation, seconds per run ({args.runs} runs): alone / batched (ratio)")
    for name, (a, b) in evals.items():
        print(f"  {name:16s} {a:8.3f} / {b:8.3f} ({a / b:.1f}x)")
    total = [curve_points * evals["curve point"][i] + evals["final ranking"][i] for i in (0, 1)]
    print(f"  a {fast.epochs}-epoch run's {curve_points} curve points + final ranking: {total[0]:.1f} s alone, "
          f"{total[1]:.1f} s batched ({total[0] / total[1]:.1f}x)")
    images_per_run = lambda cfg: cfg.epochs * 2 * 632  # noqa: E731  VIPeR: 316 + 316 pairs/epoch
    study = study_images()
    print(f"study: {study / 1e6:.0f}M trained images pending at the fast profile (reidlab plan)")
    print(f"{'schedule':44s} {'images/s':>10s} {'of peak':>8s} {'10-fold Table IV':>17s} {'vs paper alone':>15s} "
          f"{'study':>10s}")
    for name, cfg, runs, rate in rows:
        seconds = FOLDS * images_per_run(cfg) / rate
        ratio = FOLDS * images_per_run(base) / alone / seconds
        print(f"{name:44s} {rate:10.0f} {rate * flops / peak[cfg.precision]:8.2%} {seconds / 60:14.1f} min "
              f"{ratio:14.1f}x {study / rate / 60:6.0f} min")


def study_images() -> float:
    """Trained images of the study's pending runs at the fast profile (0 without data)."""
    from reidlab.cost import summary

    root = resolve_data_root(None)
    return 0.0 if root is None else summary("fast", str(root)).loc["total", "pending images (M)"] * 1e6


if __name__ == "__main__":
    main()
