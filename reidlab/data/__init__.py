"""Datasets, the on-disk cache and the split protocols.

``load_dataset(name, root)`` is the one entry point; ``DATASETS`` lists the names.
"""

from reidlab.data.record import POSE_ANGLES, UNKNOWN, ReidDataset
from reidlab.data.registry import DATASETS, load_dataset, resolve_data_root

__all__ = ["DATASETS", "POSE_ANGLES", "UNKNOWN", "ReidDataset", "load_dataset", "resolve_data_root"]
