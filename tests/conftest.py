"""Shared fixtures. Real-data tests use ``data_root``: they skip when no data root is set, and
fail instead when ``REIDLAB_REQUIRE_DATA=1`` (CI), so a missing dataset cannot pass silently."""

import os
from pathlib import Path

import pytest

from reidlab.data import load_dataset


@pytest.fixture(scope="session")
def data_root() -> Path:
    root = os.environ.get("REIDLAB_DATA_ROOT")
    if root and Path(root, "PETA").is_dir():
        return Path(root)
    message = f"real data not found (REIDLAB_DATA_ROOT={root!r}); see ../shared/datasets/README.md"
    if os.environ.get("REIDLAB_REQUIRE_DATA") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def viper(data_root):
    return load_dataset("viper", data_root)


@pytest.fixture(scope="session")
def synthetic():
    return load_dataset("synthetic", n_persons=60, seed=0)
