"""Analytic FLOP count of the feature network (multiply-add = 2 FLOPs)."""

from __future__ import annotations

from torch import nn

from reidlab.model import FeatureNet


def forward_flops(net: FeatureNet) -> int:
    """FLOPs of one forward pass of one 56x56 image through conv and fc layers."""
    cfg, size, total = net.cfg, net.cfg.input_size, 0
    for layer in net.conv:
        if isinstance(layer, nn.Conv2d):
            size = size + 2 * cfg.padding - cfg.kernel + 1
            total += 2 * size * size * layer.out_channels * layer.in_channels * cfg.kernel ** 2
        elif isinstance(layer, nn.MaxPool2d):
            size //= 2
    return total + 2 * net.fc.in_features * net.fc.out_features


def train_flops(net: FeatureNet) -> int:
    """Forward + backward (about twice the forward) per training image."""
    return 3 * forward_flops(net)
