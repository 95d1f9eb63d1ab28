"""The benchmark's formulations of R stacked convnets compute the same thing (float64)."""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from conv_forms import check_agree  # noqa: E402


def test_grouped_convolution_and_batched_gemm_agree():
    assert check_agree(torch.device("cpu"), runs=2, n=2) < 1e-10
