"""Three ways to train R same-shaped convnets at once, timed against each other (issue 11).

    python benchmarks/conv_forms.py [--device cpu|cuda] [--runs R] [--pairs P] [--bf16] [--compile]

The feature network G of the paper (3 x [5x5 conv, padding 4, tanh, 2x2 max-pool], 16/64/64
filters, a linear layer to 128) for R runs, each on its own 2P images of 56x56, forward and
backward, in three formulations of the same arithmetic:

* ``grouped``: the runs' channels side by side, one grouped convolution per layer (``groups=R``)
  and a batched matrix product for the linear layer: what ``torch.func.vmap`` over a convolution
  lowers to, and so what ``reidlab.batched`` runs;
* ``bmm``: im2col (``unfold``) then one batched GEMM per layer over the runs;
* ``compiled``: ``torch.compile`` of ``grouped`` (with ``--compile``; minutes of compilation).

It first checks that the forms agree (outputs and gradients, fp32), then prints images/s per form
and its ratio to ``grouped``. Timings exclude warm-up steps.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

WIDTHS, KERNEL, PAD, CROP, FEATURE = (16, 64, 64), 5, 4, 56, 128


def init(runs: int, device: torch.device, seed: int = 0) -> list[torch.Tensor]:
    """Per run: 3 conv weights and biases and the linear layer's, stacked over runs (dim 0)."""
    gen = torch.Generator().manual_seed(seed)
    params, cin, size = [], 3, CROP
    for cout in WIDTHS:
        bound = (cin * KERNEL * KERNEL) ** -0.5
        params += [(torch.rand(runs, cout, cin, KERNEL, KERNEL, generator=gen) * 2 - 1) * bound,
                   (torch.rand(runs, cout, generator=gen) * 2 - 1) * bound]
        cin, size = cout, (size + 2 * PAD - KERNEL + 1) // 2
    flat = cin * size * size
    params += [(torch.rand(runs, flat, FEATURE, generator=gen) * 2 - 1) * flat ** -0.5,
               (torch.rand(runs, FEATURE, generator=gen) * 2 - 1) * flat ** -0.5]
    return [p.to(device).requires_grad_() for p in params]


def grouped(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """x: [R, N, 3, H, W] -> features [R, N, 128], the runs as convolution groups."""
    runs, n = x.shape[:2]
    h = x.transpose(0, 1).reshape(n, -1, *x.shape[-2:])  # [N, R*C, H, W]
    for w, b in zip(params[0:6:2], params[1:6:2]):
        h = F.conv2d(h, w.reshape(-1, *w.shape[2:]), b.reshape(-1), padding=PAD, groups=runs)
        h = F.max_pool2d(torch.tanh(h), 2)
    h = h.reshape(n, runs, -1).transpose(0, 1)  # [R, N, flat]
    return torch.baddbmm(params[7].unsqueeze(1), h, params[6])


def bmm(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The same network as im2col + one batched GEMM per layer over the runs."""
    runs, n = x.shape[:2]
    h = x
    for w, b in zip(params[0:6:2], params[1:6:2]):
        size = h.shape[-1] + 2 * PAD - KERNEL + 1
        cols = F.unfold(h.reshape(runs * n, *h.shape[2:]), KERNEL, padding=PAD)  # [R*N, C*25, L]
        cols = cols.reshape(runs, n, cols.shape[1], -1).transpose(1, 2).reshape(runs, cols.shape[1], -1)
        out = torch.baddbmm(b.unsqueeze(-1), w.reshape(runs, w.shape[1], -1), cols)  # [R, Cout, N*L]
        out = out.reshape(runs, -1, n, size, size).transpose(1, 2)  # [R, N, Cout, S, S]
        h = F.max_pool2d(torch.tanh(out.reshape(runs * n, -1, size, size)), 2)
        h = h.reshape(runs, n, *h.shape[1:])
    return torch.baddbmm(params[7].unsqueeze(1), h.reshape(runs, n, -1), params[6])


def step(form, params: list[torch.Tensor], x: torch.Tensor) -> list[torch.Tensor]:
    loss = form(params, x).float().square().mean()
    return torch.autograd.grad(loss, params)


def check_agree(device: torch.device, runs: int = 3, n: int = 4) -> float:
    """Largest difference between the forms' outputs and gradients, relative to the largest value,
    in float64 (so that it measures the formulation, not rounding order)."""
    params = [p.detach().double().requires_grad_() for p in init(runs, device)]
    x = torch.randn(runs, n, 3, CROP, CROP, device=device, dtype=torch.float64)
    pairs = [(grouped(params, x), bmm(params, x)), *zip(step(grouped, params, x), step(bmm, params, x))]
    return max(float((a - b).abs().max() / a.abs().max()) for a, b in pairs)


def rate(form, runs: int, images: int, device: torch.device, bf16: bool, steps: int = 5) -> float:
    params = init(runs, device)
    x = torch.randn(runs, images, 3, CROP, CROP, device=device)
    context = torch.autocast(device.type, torch.bfloat16) if bf16 else torch.autocast(device.type, enabled=False)
    with context:
        for _ in range(2):  # warm-up (and compilation)
            step(form, params, x)
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(steps):
            step(form, params, x)
        if device.type == "cuda":
            torch.cuda.synchronize()
    return steps * runs * images / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--pairs", type=int, default=8, help="pairs per run per step (2 images each)")
    p.add_argument("--bf16", action="store_true", help="bf16 autocast")
    p.add_argument("--compile", action="store_true", help="also torch.compile the grouped form")
    args = p.parse_args(argv)
    device = torch.device(args.device)
    print(f"forms agree: largest relative difference {check_agree(device):.1e} (float64)")
    forms = {"grouped": grouped, "bmm": bmm}
    if args.compile:
        forms["compiled"] = torch.compile(grouped)
    images = 2 * args.pairs
    print(f"device {device}, {args.runs} runs x {images} images per step, {'bf16' if args.bf16 else 'fp32'}")
    print(f"{'form':10s} {'images/s':>10s} {'vs grouped':>10s}")
    base = None
    for name, form in forms.items():
        try:
            r = rate(form, args.runs, images, device, args.bf16)
        except Exception as exc:  # e.g. no C++ compiler for torch.compile: say so, go on
            print(f"{name:10s} unavailable: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}")
            continue
        base = base or r
        print(f"{name:10s} {r:10.0f} {r / base:9.2f}x")


if __name__ == "__main__":
    main()
