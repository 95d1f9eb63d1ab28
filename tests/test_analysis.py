"""Occlusion importance and activation images against hand computations and a toy network."""

import math

import numpy as np
import pytest
import torch

from reidlab.analysis import (Occlusion, activation_images, coverage_map, importance_map, mean_importance_map,
                              occlusion_importance, random_regions)
from reidlab.data.record import ReidDataset
from reidlab.data.splits import EvalSet


def test_importance_map_by_hand():
    regions = np.array([[0, 0, 2, 2], [1, 1, 2, 2]])
    heat = importance_map(regions, np.array([10.0, 30.0]), baseline=40.0, size=3)
    a, b = 1 - 10 / 40, 1 - 30 / 40
    want = np.array([[a, a, 0], [a, a + b, b], [0, b, b]])
    np.testing.assert_allclose(heat, want)


def test_the_mean_per_covering_occlusion_divides_out_coverage_by_hand():
    regions = np.array([[0, 0, 2, 2], [1, 1, 2, 2]])
    np.testing.assert_array_equal(coverage_map(regions, 3), [[1, 1, 0], [1, 2, 1], [0, 1, 1]])
    heat = importance_map(regions, np.array([10.0, 30.0]), baseline=40.0, size=3)
    mean = mean_importance_map(Occlusion(heat, 40.0, regions, np.array([10.0, 30.0])))
    a, b = 1 - 10 / 40, 1 - 30 / 40
    np.testing.assert_allclose(mean, [[a, a, np.nan], [a, (a + b) / 2, b], [np.nan, b, b]])


def test_random_rectangles_cover_the_centre_most_so_a_uniform_loss_sums_to_a_centre_peak():
    regions = random_regions(1000, 64, 8, 32, seed=0)
    coverage = coverage_map(regions, 64)
    assert coverage[32, 32] > 5 * coverage[32, 0] > 5 * coverage[0, 0]  # the sum's pull to the centre
    uniform = Occlusion(importance_map(regions, np.full(1000, 20.0), 40.0, 64), 40.0, regions, np.full(1000, 20.0))
    np.testing.assert_allclose(mean_importance_map(uniform)[coverage > 0], 0.5)  # flat once divided


def test_random_regions_stay_inside():
    r = random_regions(500, 64, 8, 32, seed=1)
    assert (r[:, 2:] >= 8).all() and (r[:, 2:] <= 32).all()
    assert (r[:, 0] + r[:, 2] <= 64).all() and (r[:, 1] + r[:, 3] <= 64).all()
    assert r[:, 0].min() == 0 and (r[:, 0] + r[:, 2]).max() == 64


class CentreBlockNet(torch.nn.Module):
    """Features = mean colour of the 8x8 block at rows/cols 24-31 of the 56x56 centre crop."""

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x[:, :, 24:32, 24:32].mean(dim=(2, 3)) + self.dummy


def test_occlusion_finds_the_only_informative_region():
    n = 20
    gen = torch.Generator().manual_seed(0)
    images = torch.randn(2 * n, 3, 64, 64, generator=gen) * 0.01
    signature = torch.randn(n, 3, 1, 1, generator=gen)
    images[:, :, 28:36, 28:36] += signature.repeat(2, 1, 1, 1)  # centre crop offset 4 -> 24..31
    data = ReidDataset("toy", np.zeros((2 * n, 1, 1, 3), np.uint8), np.tile(np.arange(n), 2),
                       np.repeat([0, 1], n), [f"{i}" for i in range(2 * n)])
    ev = EvalSet(np.arange(n), np.arange(n, 2 * n))
    occ = occlusion_importance(CentreBlockNet(), images, data, ev, iterations=60, min_size=10,
                               max_size=20, seed=0, progress=False)
    assert occ.baseline_rank1 == 100.0
    inside = np.zeros((64, 64), bool)
    inside[28:36, 28:36] = True
    assert occ.heatmap[inside].mean() > 3 * occ.heatmap[~inside].mean()
    assert occ.heatmap[:8, :8].max() == pytest.approx(0.0)  # the corner never matters


def test_activation_images_against_loop():
    gen = torch.Generator().manual_seed(2)
    acts = torch.randn(5, 3, generator=gen)
    imgs = torch.rand(5, 4, 2, 3, generator=gen)
    pos, neg = activation_images(acts, imgs)
    mean = imgs.mean(0)
    for n in range(3):
        e = [math.exp(float(acts[i, n])) for i in range(5)]
        w = [v / sum(e) for v in e]
        want_pos = sum(w[i] * imgs[i] for i in range(5)) - mean
        inv = [1 - v for v in w]
        want_neg = sum(inv[i] / sum(inv) * imgs[i] for i in range(5)) - mean
        assert torch.allclose(pos[n], want_pos, atol=1e-6) and torch.allclose(neg[n], want_neg, atol=1e-6)
    # the image that excites a neuron most dominates its positive image
    acts = torch.tensor([[10.0], [0.0], [0.0]])
    imgs = torch.tensor([1.0, 0.0, 0.0]).view(3, 1, 1, 1)
    pos, neg = activation_images(acts, imgs)
    assert pos.item() > 0.6 and neg.item() < 0
