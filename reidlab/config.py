"""One run's configuration: every open detail of the method is a named option here.

Defaults are the paper's schedule (Secs. III-V) and, where the paper is silent, the facts in
``shared/paper/README.md`` (the authors' earlier code). Deviations are options, never defaults.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from reidlab.errors import ConfigError

CHOICES: dict[str, tuple] = {
    "verification_loss": ("contrastive", "hinge"),
    "attribute_weighting": ("none", "equal", "entropy", "given"),
    "attribute_head": ("softmax", "multilabel", "regression"),
    "epoch_pairs": ("per-person", "all"),
    "precision": ("fp32", "bf16"),
    "attribute_set": (None, "peta", "layne", "rich"),
    "optimizer": ("sgd", "adam"),
    "normalisation": ("image", "dataset", "authors"),
    "momentum_style": ("torch", "lua"),
    "pairing": ("cross-camera", "authors"),
    "test_views": ("none", "centre", "flip", "ten-crop"),  # none = centre crop only
    "gallery": ("one-image", "all-images"),
    "curve_views": ("none", "centre", "flip", "ten-crop"),
    "distance": ("mean-pairwise", "mean-feature"),
    "device": ("auto", "cpu", "cuda"),
}


@dataclass(frozen=True)
class RunConfig:
    """One run's recipe, data and evaluation: frozen, in one canonical form from construction on
    (the identity, the stored-config comparison and the split loader see the same values)."""
    # data and split
    dataset: str = "synthetic"
    test_dataset: str | None = None      # set for cross-dataset runs (train on all of `dataset`)
    test_persons: int | None = None      # cross-dataset: test persons drawn (None: half, Sec. V-F)
    protocol: str | None = None          # None: the dataset's own (see data/splits.py)
    fold: int = 0                        # which of the 10 folds (stored configs say "trial": RENAMED)
    split_seed: int = 0
    attribute_set: str | None = None     # PETA subsets: "peta", "layne" or "rich" (None: dataset default)
    attribute_floor: float | None = None  # "rich": keep a binary attribute whose rarer value covers this share
    synthetic_persons: int = 632         # only for dataset "synthetic"
    # model (Fig. 3, Table III)
    widths: list[int] = field(default_factory=lambda: [16, 64, 64])
    feature_dim: int = 128
    padding: list[int] | None = None     # per conv layer; None: 4 each (paper's "~800k" params: [4, 4, 3])
    dropout: float = 0.6
    # tasks and losses (Eqs. 2-8)
    tasks: str = "V+I+A+P"
    verification_loss: str = "contrastive"
    margin: float = 2.0
    attribute_weighting: str = "entropy"
    attribute_weights: list[float] | None = None  # for attribute_weighting "given"
    attribute_head: str = "softmax"
    # Beyond the paper (its Sec. VI conjecture): the pose head behind a gradient reversal layer whose
    # coefficient rises to this value (Ganin & Lempitsky 2015; ``train.reversal_coefficient``), so G
    # learns to hide pose; 0: no reversal, the paper's pose head
    pose_reversal: float = 0.0
    # training (Sec. V)
    epochs: int = 600
    pairs_per_step: int = 1
    optimizer: str = "sgd"
    lr_start: float = 1e-3
    lr_end: float = 1e-5
    # The paper names plain SGD with batch size 1 and no momentum; the authors' earlier code used
    # 0.9 in Lua optim's form ("lua": dampening = momentum, a moving average of gradients with unit
    # gain). PyTorch's form ("torch", no dampening) takes ~10x larger steps and diverged at lr 1e-3
    # (results/runs/viper-momentum0.9).
    momentum: float = 0.0
    momentum_style: str = "torch"
    grad_clip: float | None = 5.0        # each gradient element clipped to +-grad_clip
    precision: str = "fp32"              # the training forward pass: "fp32" or "bf16" (autocast; losses in fp32)
    augment: bool = True                 # random 56x56 crop + horizontal flip
    crop_offset_min: int = 0             # training crops start at offsets min..min+7 (authors: 1..8)
    pairing: str = "cross-camera"        # negatives across cameras, shuffled; "authors": any camera, alternating
    epoch_pairs: str = "per-person"      # positives per epoch: one per person (authors) or "all" image pairs (paper)
    # "dataset": (x - mean) / std with the training images' channel statistics; "image": each
    # image's own; "authors": (x - mean) / sqrt(std) per image and channel, and each crop's scalar
    # mean subtracted (training and test). The default since recipe "reidlab-v2" (see RECIPES).
    normalisation: str = "dataset"
    seed: int = 0
    pretrained: str | None = None        # run directory whose final weights initialise G (Table V);
                                         # "@store/<identity>": a run of the same store
    # evaluation
    test_views: str = "ten-crop"
    # sets without camera pairs: one drawn image per test person is the gallery (Sec. V-E2), or
    # "all-images", that image queries all the person's others (a deviation: item table6-gallery)
    gallery: str = "one-image"
    distance: str = "mean-pairwise"
    curve_every: int = 10                # train/test rank-1 every N epochs (Fig. 4); 0 = never
    curve_views: str = "centre"          # cheaper views for the per-epoch curves
    checkpoint_every: int = 10
    device: str = "auto"

    def __post_init__(self):
        w, p = self.widths, self.padding
        if p is not None and len(p) == len(w) and all(type(x) is int and x == 4 for x in p):
            object.__setattr__(self, "padding", None)  # the same network as the default: the same identity

    def validate(self) -> "RunConfig":
        from reidlab.data.registry import DATASETS
        from reidlab.losses import parse_tasks

        for f in dataclasses.fields(self):
            _check_type(f.name, f.type, getattr(self, f.name))
        for key, allowed in CHOICES.items():
            if getattr(self, key) not in allowed:
                raise ConfigError(f"config key '{key}' = {getattr(self, key)!r}; allowed: {allowed}")
        for key in ("dataset", "test_dataset"):
            value = getattr(self, key)
            if value is not None and value not in DATASETS:
                raise ConfigError(f"config key '{key}' = {value!r}; allowed: {', '.join(DATASETS)}")
        try:
            parse_tasks(self.tasks)
        except ValueError as exc:
            raise ConfigError(f"config key 'tasks': {exc}") from None
        if not 1 <= len(self.widths) <= 4 or min(self.widths) < 1:
            raise ConfigError(f"config key 'widths' = {self.widths}; give 1 to 4 conv layer widths, each >= 1")
        for key, low in MINIMA.items():  # before any data is loaded or folder made
            value = getattr(self, key)
            if value is not None and value < low:
                raise ConfigError(f"config key '{key}' must be >= {low}, not {value}")
        if self.lr_start <= 0 or self.lr_end <= 0:
            raise ConfigError(f"config keys 'lr_start', 'lr_end' must be > 0, not {self.lr_start}, {self.lr_end}")
        if self.test_persons is not None and not self.test_dataset:
            raise ConfigError(f"config key 'test_persons' = {self.test_persons}: cross-dataset runs only "
                              "(set test_dataset), or null")
        if self.gallery != "one-image" and self._two_camera_test():
            raise ConfigError(f"config key 'gallery' = {self.gallery!r} needs a test set without camera pairs "
                              f"(i-LIDS, CAVIAR, 3DPeS, pooled PETA); '{self.test_dataset or self.dataset}' "
                              "queries camera A against camera B: use 'one-image'")
        if self.epochs < 1 and not (self.epochs == 0 and self.pretrained):
            raise ConfigError(f"config key 'epochs' must be >= 1, not {self.epochs} (0 epochs: an "
                              "evaluation of a pretrained network, which needs 'pretrained')")
        if self.padding is not None:
            ok = all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in self.padding)
            if not ok or len(self.padding) != len(self.widths):
                raise ConfigError(f"config key 'padding' = {self.padding}: give one integer padding >= 0 "
                                  f"per conv layer ({len(self.widths)}), or null for 4 each")
        if self.crop_offset_min not in (0, 1):  # 8 offsets of a 56 crop in 64: 0..7 or 1..8
            raise ConfigError(f"config key 'crop_offset_min' must be 0 or 1, not {self.crop_offset_min}")
        if self.pose_reversal < 0 or (self.pose_reversal and "P" not in self.tasks.upper().split("+")):
            raise ConfigError(f"config key 'pose_reversal' = {self.pose_reversal}: a coefficient >= 0, and the "
                              "tasks must include the pose head (P) it reverses")
        if (self.attribute_set == "rich") != (self.attribute_floor is not None) or not 0 <= (self.attribute_floor or 0) < 0.5:
            raise ConfigError(f"config key 'attribute_floor' = {self.attribute_floor}: a share in [0, 0.5) with "
                              "attribute_set 'rich' (the least share of a binary attribute's rarer value), else null")
        if self.attribute_set == "rich" and self.attribute_head != "softmax":
            raise ConfigError("attribute_set 'rich' has multi-class attributes: it needs attribute_head 'softmax'")
        if not 0 <= self.momentum < 1:
            raise ConfigError(f"config key 'momentum' must be in [0, 1), not {self.momentum}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"config key 'dropout' must be in [0, 1), not {self.dropout}")
        if self.attribute_weighting == "given" and not self.attribute_weights:
            raise ConfigError("config key 'attribute_weights' is required when attribute_weighting is 'given'")
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def canonical(self) -> dict:
        """What determines the result, in the one form every comparison uses (the identity, a
        stored config against a run's): current key names, not ``device`` (where it runs), and
        the keys added after the store began left out while they hold their ``LEGACY`` value (the
        behaviour before they existed), so the runs stored earlier keep their identities."""
        return {k: v for k, v in self.to_dict().items() if k != "device" and not (k in LEGACY and v == LEGACY[k])}

    def _two_camera_test(self) -> bool:
        from reidlab.data.splits import DEFAULT_PROTOCOL

        if self.test_dataset:
            return DEFAULT_PROTOCOL.get(self.test_dataset) == "two-camera"
        return (self.protocol or DEFAULT_PROTOCOL.get(self.dataset)) == "two-camera"

    def identity(self) -> str:
        """Short hash of the canonical form (under the key names the store began with). The
        code version (``code_version``) enters once a fix has changed what this config computes,
        so a stored run never outlives a bug that touched it."""
        keys = {RENAMED.get(k, k): v for k, v in self.canonical().items()}
        version = code_version(self)
        if version:
            keys["code_version"] = version
        return hashlib.sha1(json.dumps(keys, sort_keys=True).encode()).hexdigest()[:12]

    @classmethod
    def from_dict(cls, values: dict) -> "RunConfig":
        values = with_current_names(values)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown config key(s) {unknown}; known keys: {', '.join(sorted(known))}")
        return cls(**values).validate()

    @classmethod
    def from_stored(cls, values: dict) -> "RunConfig":
        """A stored ``config.yaml``'s values: a key it predates holds its ``LEGACY`` value (not
        today's default), a renamed key is read under its current name."""
        return cls.from_dict({**LEGACY, **with_current_names(values)})

    @classmethod
    def load(cls, path: str | Path) -> "RunConfig":
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} not found")
        try:
            values = load_yaml(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
        if not isinstance(values, dict):
            raise ConfigError(f"config file {path} holds a {type(values).__name__}, not a mapping of "
                              "config keys to values (e.g. 'epochs: 100')")
        return cls.from_dict(values)


# Keys renamed after the store began: new name -> the name stored configs and identities use
RENAMED = {"fold": "trial"}


def with_current_names(values: dict) -> dict:
    """A config dict (e.g. a stored ``config.yaml``) with renamed keys under their current names."""
    old = {v: k for k, v in RENAMED.items()}
    return {old.get(k, k): v for k, v in values.items()}


# keys added after the store began: the value that reproduces the behaviour before they existed
LEGACY: dict = {"momentum_style": "torch", "crop_offset_min": 0, "pairing": "cross-camera", "padding": None,
                "test_persons": None, "epoch_pairs": "per-person", "precision": "fp32", "pose_reversal": 0.0,
                "attribute_floor": None, "gallery": "one-image"}

# Fixes that changed what some configs compute, oldest first: (what, which configs). A config's
# code version is the number of fixes that touch it; it is part of its identity (from 1 on), so
# adding a fix here turns the affected stored runs into pending ones and leaves the others be.
FIXES: list[tuple[str, Callable[["RunConfig"], bool]]] = [
    ("pooled PETA: pairs by each person's own cameras (issue 10, B1)",
     lambda c: "peta-reid" in (c.dataset, c.test_dataset)),
    ("pooled PETA with attribute_set 'layne': Layne's 15, no longer PETA's 105 (issue 33)",
     lambda c: c.dataset == "peta-reid" and c.attribute_set == "layne"),
]


def code_version(cfg: "RunConfig") -> int:
    return sum(touches(cfg) for _, touches in FIXES)


# Named recipes: complete sets of the recipe keys (the rest of a config is the schedule, the data and the evaluation).
# "reidlab-v1" is the recipe of every run stored before the fidelity study (issue 9);
# "reidlab-v2" is the default (RunConfig's values);
# "authors" is what the authors' Lua code does (shared/paper/authors_code.md, rows 4-6, 12, 15-16, 19).
RECIPES: dict[str, dict] = {
    "reidlab-v1": {"momentum": 0.0, "momentum_style": "torch", "normalisation": "image",
                   "verification_loss": "contrastive", "tasks": "V+I+A+P", "pairing": "cross-camera",
                   "crop_offset_min": 0},
    # chosen on the dev partitions (book page "Fidelity"): v1 with the training set's channel
    # statistics, the best of the 9 recipes measured there (rank-1 31.6 against v1's 24.8, the
    # authors' 30.6) and the one that keeps the paper's own equations (contrastive loss, no momentum)
    "reidlab-v2": {"momentum": 0.0, "momentum_style": "torch", "normalisation": "dataset",
                   "verification_loss": "contrastive", "tasks": "V+I+A+P", "pairing": "cross-camera",
                   "crop_offset_min": 0},
    "authors": {"momentum": 0.9, "momentum_style": "lua", "normalisation": "authors",
                "verification_loss": "hinge", "tasks": "V+I+A", "pairing": "authors",
                "crop_offset_min": 1},
}

class _Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2's floats: ``8e-3`` and ``1e-3`` are numbers (YAML 1.1, PyYAML's, reads strings)."""


_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."))


def load_yaml(text: str):
    return yaml.load(text, Loader=_Yaml12Loader)


# the smallest valid value of numeric keys (a split of synthetic persons needs two per side)
MINIMA = {"pairs_per_step": 1, "feature_dim": 1, "test_persons": 1, "fold": 0, "split_seed": 0, "seed": 0,
          "checkpoint_every": 1, "curve_every": 0, "synthetic_persons": 4, "margin": 1e-12, "grad_clip": 0}  # grad_clip 0 (or null): no clipping

_TYPES = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,),
          "list[int]": (list,), "list[float]": (list,)}


def _check_type(key: str, annotation: str, value) -> None:
    """Reject e.g. ``epochs: "ten"`` with the key's name, before it fails deep inside."""
    parts = [p.strip() for p in str(annotation).split("|")]
    if value is None and "None" in parts:
        return
    allowed = tuple(t for p in parts for t in _TYPES.get(p, ()))
    if isinstance(value, bool) and bool not in allowed:
        allowed = ()
    if allowed and not isinstance(value, allowed):
        raise ConfigError(f"config key '{key}' = {value!r} must be of type {annotation}")


def apply_overrides(cfg: RunConfig, overrides: list[str]) -> RunConfig:
    """``["epochs=20", "widths=[16,32]"]`` -> a new validated config (values parsed as YAML)."""
    values = cfg.to_dict()
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} is not key=value")
        key, raw = item.split("=", 1)
        values[key.strip()] = load_yaml(raw)
    return RunConfig.from_dict(values)
