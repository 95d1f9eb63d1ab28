"""Distances against explicit loops; ranking plumbing."""

import numpy as np
import pytest
import torch

from reidlab.evaluate import distance_matrix, extract_features, train_eval_set
from reidlab.model import FeatureNet


def test_mean_pairwise_distance_against_double_loop():
    gen = torch.Generator().manual_seed(0)
    q, g = torch.randn(10, 4, 6, generator=gen), torch.randn(10, 5, 6, generator=gen)
    got = distance_matrix(q, g, "mean-pairwise")
    for i in range(4):
        for j in range(5):
            want = np.mean([torch.dist(q[a, i], g[b, j]).item() for a in range(10) for b in range(10)])
            assert got[i, j] == pytest.approx(want, rel=1e-6)
    mean = distance_matrix(q, g, "mean-feature")
    assert mean[1, 2] == pytest.approx(torch.dist(q[:, 1].mean(0), g[:, 2].mean(0)).item(), rel=1e-6)
    assert (mean <= got + 1e-9).all()  # ||mean a - mean b|| <= mean ||a - b|| (convexity)


def test_extract_features_views_and_eval_mode():
    net = FeatureNet().train()
    x = torch.randn(3, 3, 64, 64)
    ten = extract_features(net, x, "ten-crop")
    assert ten.shape == (10, 3, 128) and net.training  # restored
    again = extract_features(net, x, "ten-crop")
    assert torch.equal(ten, again)  # dropout off while extracting
    assert torch.allclose(extract_features(net, x, "centre")[0], ten[4], atol=1e-5)


def test_train_eval_set(synthetic):
    rows = np.flatnonzero(synthetic.pids < 10)
    ev = train_eval_set(synthetic, rows)
    assert (synthetic.camids[ev.query] == 0).all() and (synthetic.camids[ev.gallery] == 1).all()
    assert len(ev.query) == len(ev.gallery) == 10
