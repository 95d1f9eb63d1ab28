"""What the trained network looks at (paper Sec. V-D): region importance and activation images.

Occlusion importance (Fig. 9): the test set is evaluated once clean (baseline rank-1 ``b``),
then ``iterations`` times with one random rectangle zeroed in every test image (the same
rectangle for all images of an iteration; rank-1 ``c_r``). Pixel p's importance is
``sum over regions r containing p of (1 - c_r / b)``. Rectangles are zeroed in the network's
input space (normalised YUV, so zero is the image's mean colour) on the 64x64 image before the
test views are cut; their sides are uniform in ``[min_size, max_size]`` pixels (the paper gives
no sizes) and their positions uniform over the image. The sum favours the centre, which more
rectangles cover (``coverage_map``); ``mean_importance_map`` divides it out.

Activation images (Fig. 10): for final-layer neuron n with activation x_{n,i} on image i,
w_{n,i} = softmax_i(x_{n,i}); the positive image is sum_i w_{n,i} I_i and the negative image the
average with weights 1 - w_{n,i} (normalised to sum to 1); the plain mean image is subtracted
from both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from reidlab.data.record import ReidDataset
from reidlab.data.splits import EvalSet
from reidlab.evaluate import evaluate

Region = tuple[int, int, int, int]  # top, left, height, width


def random_regions(n: int, size: int, min_size: int, max_size: int, seed: int = 0) -> np.ndarray:
    """``(n, 4)`` random rectangles (top, left, height, width) inside a ``size`` x ``size`` image."""
    rng = np.random.default_rng(seed)
    hw = rng.integers(min_size, max_size + 1, size=(n, 2))
    top = rng.integers(0, size - hw[:, 0] + 1)
    left = rng.integers(0, size - hw[:, 1] + 1)
    return np.stack([top, left, hw[:, 0], hw[:, 1]], axis=1)


def importance_map(regions: np.ndarray, rank1: np.ndarray, baseline: float, size: int) -> np.ndarray:
    """``(size, size)``: per pixel, the sum over regions covering it of ``1 - rank1_r / baseline``."""
    heat = np.zeros((size, size))
    for (top, left, h, w), c in zip(regions, rank1):
        heat[top:top + h, left:left + w] += 1.0 - c / baseline
    return heat


def coverage_map(regions: np.ndarray, size: int) -> np.ndarray:
    """``(size, size)``: how many regions cover each pixel. Random rectangles kept inside the image
    cover its centre far more often than its border, so the paper's sum (``importance_map``) peaks
    at the centre even for a network that cares for every pixel alike: its map divided by this one
    (the mean loss of the occlusions covering a pixel) is free of that."""
    return importance_map(regions, np.zeros(len(regions)), 1.0, size)


def mean_importance_map(occlusion: "Occlusion") -> np.ndarray:
    """Per pixel, the mean ``1 - rank1_r / baseline`` over the regions covering it (nan: none)."""
    coverage = coverage_map(occlusion.regions, occlusion.heatmap.shape[0])
    return np.divide(occlusion.heatmap, coverage, out=np.full_like(coverage, np.nan), where=coverage > 0)


@dataclass
class Occlusion:
    heatmap: np.ndarray     # (64, 64)
    baseline_rank1: float   # percent
    regions: np.ndarray     # (iterations, 4)
    rank1: np.ndarray       # (iterations,) percent


def occlusion_importance(net: torch.nn.Module, images: torch.Tensor, data: ReidDataset, ev: EvalSet,
                         iterations: int = 1000, min_size: int = 8, max_size: int = 32, seed: int = 0,
                         views: str = "centre", progress: bool = True) -> Occlusion:
    """Fig. 9 on the pre-processed images ``(N, 3, 64, 64)`` of ``data`` and the eval set ``ev``."""
    rows = np.concatenate([ev.query, ev.gallery])
    local = EvalSet(np.arange(len(ev.query)), np.arange(len(ev.query), len(rows)))
    sub = data.subset(rows)
    clean = images[torch.as_tensor(rows)].cpu()
    baseline = 100 * evaluate(net, clean, sub, local, views).cmc[0]
    if baseline == 0:
        raise ValueError("baseline rank-1 is 0: importance (1 - c/b) is undefined")
    regions = random_regions(iterations, images.shape[-1], min_size, max_size, seed)
    rank1 = np.empty(iterations)
    for k, (top, left, h, w) in enumerate(tqdm(regions, desc="occlusion", disable=not progress)):
        corrupted = clean.clone()
        corrupted[:, :, top:top + h, left:left + w] = 0
        rank1[k] = 100 * evaluate(net, corrupted, sub, local, views).cmc[0]
    return Occlusion(importance_map(regions, rank1, baseline, images.shape[-1]), baseline, regions, rank1)


def activation_images(activations: torch.Tensor, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Fig. 10: ``activations`` ``(N, D)`` and display images ``(N, H, W, C)`` ->
    (positive, negative) activation images ``(D, H, W, C)``, each minus the mean image."""
    w = torch.softmax(activations.double(), dim=0)          # (N, D), columns sum to 1
    inverse = (1 - w) / (1 - w).sum(dim=0, keepdim=True)    # the 1 - w weights, normalised
    flat = images.double().reshape(len(images), -1)
    mean = flat.mean(dim=0)
    positive = w.T @ flat - mean
    negative = inverse.T @ flat - mean
    shape = (activations.shape[1], *images.shape[1:])
    return positive.view(shape).float(), negative.view(shape).float()
