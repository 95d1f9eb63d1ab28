"""Training and evaluation throughput of the multi-task Siamese network, against the FLOP limit.

    python benchmarks/train_eval.py [--threads N] [--device cpu|cuda]

Prints images/s for training at 1 and 32 pairs per step (the paper's full task set on
VIPeR-sized heads), ten-crop feature extraction and the 316 x 316 evaluation, the model's FLOPs
per image, and each rate as a fraction of the machine's measured matmul FLOP/s.
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import torch

from reidlab.evaluate import distance_matrix, extract_features
from reidlab.flops import forward_flops, train_flops
from reidlab.losses import LossConfig, MultiTaskLoss
from reidlab.metrics import cmc, mean_average_precision
from reidlab.model import HeadsConfig, MultiTaskSiamese


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def matmul_flops_per_s(device: torch.device, dtype: torch.dtype = torch.float32) -> float:
    """The machine's attainable matmul rate: the denominator of every "% of peak". On a GPU the
    matrices are large (8192) and 20 products are timed with one sync, so that launch latency does
    not count: a 2048 product with a sync each (this function until 2026-11-27) read an H100's bf16
    rate as 245 TFLOP/s, a quarter of its nominal 990, and so overstated "% of peak"."""
    cuda = device.type == "cuda"
    n, repeats = (8192, 20) if cuda else (2048, 5)
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    sync = torch.cuda.synchronize if cuda else (lambda: None)

    def products():
        for _ in range(repeats):
            a @ b
        sync()

    return 2 * n ** 3 * repeats / timed(products, 2)


def train_rate(model, loss_fn, opt, pairs: int, device, steps: int, bf16: bool = False) -> float:
    x = torch.randn(2 * pairs, 3, 56, 56, device=device)
    labels = {"identity": torch.randint(0, 316, (2 * pairs,), device=device),
              "attributes": torch.randint(0, 2, (2 * pairs, 15), device=device),
              "pose": torch.randint(0, 5, (2 * pairs,), device=device)}
    same = torch.rand(pairs, device=device) < 0.5

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            z, heads = model(x)
            loss = loss_fn(z.float(), {k: v.float() for k, v in heads.items()}, same, labels)["total"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_value_(model.parameters(), 5.0)
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    return 2 * pairs / timed(step, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (slow to compile)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    model = MultiTaskSiamese(heads=HeadsConfig(316, 15, "softmax", 5)).to(device, memory_format=torch.channels_last)
    loss_fn = MultiTaskLoss(LossConfig(), np.full(15, 1 / 15)).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=1e-4)
    peak = matmul_flops_per_s(device)
    fwd, trn = forward_flops(model.features), train_flops(model.features)
    print(f"device {device} ({args.threads} threads); matmul peak measured {peak / 1e9:.1f} GFLOP/s")
    print(f"model: {fwd / 1e6:.1f} MFLOP forward, ~{trn / 1e6:.1f} MFLOP train per 56x56 image")
    rates = {}
    for pairs, steps in ((1, 100), (32, 10)):
        rates[pairs] = train_rate(model, loss_fn, opt, pairs, device, steps)
        print(f"train, {pairs:2d} pair(s)/step: {rates[pairs]:8.0f} images/s  "
              f"({rates[pairs] * trn / peak:6.1%} of matmul peak)")
    print(f"  ratio 32 vs 1 pair/step: {rates[32] / rates[1]:.1f}x")
    # options for the single-run path, each against plain fp32 at 1 pair/step
    # (the study trains channels-last, as ``model``; the first row checks that this pays)
    nchw = copy.deepcopy(model).to(memory_format=torch.contiguous_format)
    variants = {"channels-first (NCHW)": (nchw, False), "bf16 autocast": (model, True)}
    if args.compile:
        variants["torch.compile"] = (torch.compile(model), False)
    for name, (net, bf16) in variants.items():
        net_opt = opt if net is model else torch.optim.SGD(net.parameters(), lr=1e-4)
        r = train_rate(net, loss_fn, net_opt, 1, device, 100, bf16=bf16)
        print(f"train, 1 pair/step, {name}: {r:8.0f} images/s  ({r / rates[1]:.2f}x fp32 eager)")
    epoch_images = 2 * 632  # one VIPeR epoch: 316 positive + 316 negative pairs
    print(f"  paper schedule on VIPeR (600 epochs at 1 pair/step): {600 * epoch_images / rates[1] / 60:.1f} min per run")
    x = torch.randn(632, 3, 64, 64)
    dt = timed(lambda: extract_features(model.features, x, "ten-crop"), 3)
    print(f"features, ten-crop: {632 * 10 / dt:8.0f} crops/s  ({632 * 10 * fwd / dt / peak:6.1%} of matmul peak)")
    pids = np.arange(316)

    def ranking(feats):
        d = distance_matrix(feats[:, :316], feats[:, 316:])
        cmc(d, pids, pids)
        mean_average_precision(d, pids, pids)

    ten = extract_features(model.features, x, "ten-crop")
    rank_time = timed(lambda: ranking(ten), 3)
    print(f"316 x 316 ten-crop evaluation: {dt + rank_time:.2f} s = features {dt:.2f} s (FLOP-bound: "
          f"{632 * 10 * fwd / 1e12:.2f} TFLOP) + 100-crop-pair distances, CMC and mAP {rank_time * 1e3:.0f} ms")
    centre = extract_features(model.features, x, "centre")
    dt1 = timed(lambda: extract_features(model.features, x, "centre"), 3) + timed(lambda: ranking(centre), 3)
    print(f"316 x 316 centre-crop evaluation: {dt1:.2f} s")


if __name__ == "__main__":
    main()
