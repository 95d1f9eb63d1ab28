"""One experiment run: data, split, model, training, evaluation, and its run directory.

A run directory holds ``config.yaml`` (the config snapshot), ``metrics.json`` (CMC, mAP,
attribute and pose metrics, per-epoch curves), ``provenance.json``, ``progress.json`` (the epoch
reached; while unfinished, the history too) and ``checkpoints/``
(``last.pt`` for resuming, ``epoch_NNNN.pt`` every ``checkpoint_every`` epochs, ``final.pt``;
checkpoints are not committed). ``metrics.json`` is written last, atomically: it exists only
for finished runs. Re-running a finished run returns its metrics; an unfinished one resumes.
"""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import yaml

from reidlab.config import LEGACY, RunConfig, load_yaml, with_current_names
from reidlab.data import load_dataset
from reidlab.data.packs import PACKS_ENV
from reidlab.data.registry import DATA_ROOT_ENV
from reidlab.data.record import POSE_ANGLES, ReidDataset
from reidlab.data.splits import DEFAULT_PROTOCOL, EvalSet, Split, cross_dataset, make_splits
from reidlab.errors import ConfigError, ReidlabError
from reidlab.evaluate import RankingResult, evaluate, train_eval_set
from reidlab.lifecycle import Alone, execute, refuse_while_trained
from reidlab.losses import LossConfig, MultiTaskLoss, attribute_weights, parse_tasks
from reidlab.metrics import binary_attribute_metrics, label_entropy, mean_accuracy_ma, multiclass_metrics
from reidlab.model import HeadsConfig, ModelConfig, MultiTaskSiamese, count_parameters
from reidlab.provenance import device_description, git_commit, provenance, read_json, write_json_atomic, writing
from reidlab.store import write_profile
from reidlab.train import PairSampler, TrainSet, make_optimizer
from reidlab.transforms import Normalised, centre_crop, channel_stats, preprocess, rgb_to_yuv, to_float


def pick_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' requested but no CUDA device is available; use 'auto' or 'cpu'")
    return torch.device("cuda" if name in ("auto", "cuda") and torch.cuda.is_available() else "cpu")


# What runs only read is shared by the runs of one process while any of them holds it: a group of
# 64 PETA runs otherwise held 64 copies of the dataset and of its pre-processed images (~15 GB).
_SHARED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _shared(key: tuple, make: Callable):
    value = _SHARED.get(key)
    if value is None:
        _SHARED[key] = value = make()
    return value


def _data_key(cfg: RunConfig, name: str, data_root) -> tuple:
    if name == "synthetic":
        return name, cfg.synthetic_persons, cfg.split_seed
    return name, cfg.attribute_set, cfg.attribute_floor, str(data_root or os.environ.get(DATA_ROOT_ENV)), os.environ.get(PACKS_ENV)


def load_data(cfg: RunConfig, name: str, data_root) -> ReidDataset:
    """Dataset ``name`` as ``cfg``'s runs read it, shared by the runs of a process while any holds it."""
    extra = {"n_persons": cfg.synthetic_persons, "seed": cfg.split_seed} if name == "synthetic" else {}
    return _shared(_data_key(cfg, name, data_root),
                   lambda: load_dataset(name, data_root, attribute_set=cfg.attribute_set,
                                        attribute_floor=cfg.attribute_floor, **extra))


def training_split(cfg: RunConfig, data_root) -> tuple[ReidDataset, ReidDataset, Split]:
    """A run's data: its training dataset, its test dataset (the same one unless the run is
    cross-dataset, ``test_dataset``) and its split, fold ``cfg.fold`` of the dataset's protocol."""
    train = load_data(cfg, cfg.dataset, data_root)
    test = load_data(cfg, cfg.test_dataset, data_root) if cfg.test_dataset else train
    if cfg.test_dataset:
        return train, test, cross_dataset(train, test, cfg.split_seed, cfg.fold, test_persons=cfg.test_persons,
                                          gallery=cfg.gallery)
    protocol = cfg.protocol or DEFAULT_PROTOCOL.get(cfg.dataset, "one-gallery-image")
    options = {} if cfg.gallery == "one-image" else {"gallery": cfg.gallery}  # two-camera sets refuse it
    return train, test, make_splits(train, protocol, cfg.split_seed, folds=cfg.fold + 1, **options)[cfg.fold]


def _atomic_save(obj, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # two writers never share a temporary file
    with writing(path, tmp):
        torch.save(obj, tmp)
    tmp.replace(path)


def load_checkpoint(path: Path) -> dict:
    """A checkpoint or weights file: tensors and plain values only (``weights_only``), so a file
    from elsewhere (committed ``last.pt`` files are) cannot run code when loaded. Loaded on the
    CPU (the callers move it), so a failure here is the file's."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, MemoryError) as exc:  # the file is fine, or may be: say what failed
        raise ConfigError(f"{path} could not be read: {exc}") from None
    except Exception as exc:  # an unpickler refusing code, a truncated or damaged file
        advice = ("delete it and run again (a run without its last.pt starts from scratch)" if path.name == "last.pt"
                  else f"restore it (git checkout -- {path}) or train its run again (delete {path.parent})")
        raise ConfigError(f"{path} is not a readable {'checkpoint' if path.name == 'last.pt' else 'weights file'} "
                          f"({type(exc).__name__}: {str(exc)[:120]}); {advice}") from None
    return state


def final_weights(run_dir: Path) -> Path | None:
    """A finished run's final weights: ``weights.pt`` (kept, committed) or ``checkpoints/final.pt``."""
    for path in (run_dir / "weights.pt", run_dir / "checkpoints" / "final.pt"):
        if path.is_file():
            return path
    return None


def keep_weights(run_dir: Path) -> None:
    """Copy a finished run's final weights to ``weights.pt`` beside its metrics (committed; fp16,
    ~2 MB): for the runs that analyses or other runs use, and the headline's, so that no one has
    to train them again and anyone can re-check their numbers (``reidlab verify``)."""
    source, kept = final_weights(run_dir), run_dir / "weights.pt"
    if source is not None and source != kept:
        model = load_checkpoint(source)["model"]
        _atomic_save({"model": {k: v.half() if v.is_floating_point() else v for k, v in model.items()}}, kept)


def curve_point(train: RankingResult, test: RankingResult) -> dict[str, float]:
    """A point of the Fig. 4 curve: rank-1 on the training persons and on the test set."""
    return {"train_rank1": 100 * float(train.cmc[0]), "test_rank1": 100 * float(test.cmc[0])}


def write_progress(run_dir: Path, state: dict | None = None) -> dict:
    """``progress.json`` of an unfinished run: the epoch reached and its per-epoch history, so how
    far a run got is committed even while its checkpoints are not."""
    if state is None:
        state = load_checkpoint(run_dir / "checkpoints" / "last.pt")
    progress = {"epoch": state["epoch"], "elapsed_s": round(state["elapsed"], 1),
                "git_commit": state.get("commit"), "history": state["history"]}
    write_json_atomic(run_dir / "progress.json", progress)
    return progress


def settle_progress(run_dir: Path) -> None:
    """A finished run's ``progress.json`` keeps its epoch, seconds and commit, not its history:
    ``metrics.json`` holds that (a copy doubled the committed store and what a GPU call carries)."""
    path = run_dir / "progress.json"
    if path.exists() and (run_dir / "metrics.json").exists():
        try:
            progress = read_json(path)
        except ReidlabError:  # derived, and the run has finished: metrics and provenance say it all
            path.unlink()
            return
        if progress.pop("history", None) is not None:
            write_json_atomic(path, progress)


def _significant(losses: dict[str, float], digits: int = 6) -> dict[str, float]:
    """Per-epoch losses to 6 significant digits: what a curve shows, at half the bytes of full
    floats in every stored history."""
    return {k: float(f"{v:.{digits}g}") for k, v in losses.items()}


class Run:
    """Everything one config needs, built once; ``execute`` trains and evaluates."""

    def __init__(self, cfg: RunConfig, run_dir: str | Path, data_root=None, progress: bool = True,
                 snapshots: bool = False, profile_record: dict | None = None):
        """``snapshots``: keep every checkpoint's weights (``epoch_NNNN.pt``), not only the
        latest (``last.pt``, to resume) and the final ones: ~4 MB each, 60 per run at 600
        epochs, more than a GPU machine's disk holds over the whole study.
        ``profile_record``: what ``profile.json`` says (a study's profile), written when the run starts."""
        self.cfg, self.run_dir, self.progress, self.snapshots = cfg.validate(), Path(run_dir), progress, snapshots
        self.profile_record = profile_record
        self.device = pick_device(cfg.device)
        self.commit = git_commit()  # the code that starts the run (a resumed run keeps its first)
        self.segments: list[dict] = []  # where each stretch of epochs trained (``resume``)
        self.tasks = parse_tasks(cfg.tasks)
        self.on_checkpoint: Callable[[int], None] | None = None  # after each checkpoint (``cluster``: sends it on)
        self.data_root = data_root
        if not (self.run_dir / "metrics.json").exists():
            refuse_while_trained(self.run_dir)  # before minutes of loading, not after
        self.train_data, self.test_data, self.split = training_split(cfg, data_root)
        self.train_rows = self.split.train_index(self.train_data)
        self.eval_set = self.split.eval_set(self.test_data)
        self.train_eval = train_eval_set(self.train_data, self.train_rows)
        self._build()

    def _preprocess(self, name: str) -> torch.Tensor | Normalised:
        """Dataset ``name``'s images, pre-processed as this run's config says (shared, read-only):
        under training-set statistics, one YUV copy per dataset serves every fold."""
        data = self.train_data if name == self.cfg.dataset else self.test_data
        key = (*_data_key(self.cfg, name, self.data_root), self.cfg.normalisation, str(self.device))
        if self.stats is None:
            return _shared(key, lambda: preprocess(data.images, self.cfg.normalisation).to(self.device))
        yuv = _shared((*key[:-2], "yuv", key[-1]), lambda: rgb_to_yuv(to_float(data.images)).to(self.device))
        return _shared((*key, tuple(torch.cat(self.stats).tolist())), lambda: Normalised(yuv, self.stats))

    def _build(self) -> None:
        cfg, data = self.cfg, self.train_data
        self.stats = None
        if cfg.normalisation == "dataset":  # statistics of the training images only
            self.stats = channel_stats(rgb_to_yuv(to_float(data.images[self.train_rows])))
        self.train_images = self._preprocess(cfg.dataset)
        self.test_images = self.train_images if self.test_data is data else self._preprocess(cfg.test_dataset)
        rows = self.train_rows
        use_attr = "attributes" in self.tasks and data.attributes is not None and cfg.attribute_weighting != "none"
        use_pose = "pose" in self.tasks and data.poses is not None
        if "attributes" in self.tasks and not use_attr and cfg.attribute_weighting != "none":
            raise ConfigError(f"tasks include A but dataset '{data.name}' has no attribute labels")
        if "pose" in self.tasks and not use_pose:
            raise ConfigError(f"tasks include P but dataset '{data.name}' has no pose labels")
        tasks = tuple(t for t in self.tasks if t != "attributes" or use_attr)
        persons = np.unique(data.pids[rows])
        identity = np.full(len(data), -1)
        identity[rows] = np.searchsorted(persons, data.pids[rows])
        alpha = attribute_weights(cfg.attribute_weighting, data.attributes[rows], cfg.attribute_weights) if use_attr else None
        self.attribute_alpha = alpha
        heads = HeadsConfig(num_identities=len(persons) if "identity" in tasks else 0,
                            num_attributes=len(data.attribute_names) if use_attr else 0,
                            attribute_head=cfg.attribute_head,
                            num_poses=len(POSE_ANGLES) if use_pose else 0, reverse_pose=cfg.pose_reversal > 0,
                            attribute_classes=tuple(data.attribute_classes) if use_attr else ())
        torch.manual_seed(cfg.seed)  # weight initialisation (PyTorch's default = Lua Torch's)
        padding = 4 if cfg.padding is None else tuple(cfg.padding)
        self.model = MultiTaskSiamese(ModelConfig(tuple(cfg.widths), cfg.feature_dim, padding=padding,
                                                  dropout=cfg.dropout, centre_input=cfg.normalisation == "authors"),
                                      heads)
        if cfg.pretrained:
            self._load_pretrained(self.pretrained_dir())
        # channels-last is a memory layout only (same maths); it speeds up the CPU convolutions
        self.model.to(self.device, memory_format=torch.channels_last)
        self.loss = MultiTaskLoss(LossConfig(tasks, cfg.verification_loss, cfg.margin,
                                             attribute_head=cfg.attribute_head), alpha).to(self.device)
        self.optimizer = make_optimizer(cfg, self.model)
        to = lambda a: None if a is None else torch.as_tensor(a, dtype=torch.long, device=self.device)  # noqa: E731
        self.trainset = TrainSet(
            images=self.train_images, identity=to(identity),
            attributes=to(data.attributes) if use_attr else None,
            pose=to(data.poses) if use_pose else None,
            sampler=PairSampler(data.pids[rows], data.camids[rows], rows, cfg.pairing, cfg.epoch_pairs),
        )

    def final_weights(self) -> Path | None:
        return final_weights(self.run_dir)

    def load_final(self) -> None:
        """Load this run's final weights (for analyses of a finished run)."""
        path = self.final_weights()
        if path is None:
            raise ConfigError(f"{self.run_dir} has no final weights (checkpoints are not committed; "
                              "weights.pt is kept only for the runs analyses use)")
        self.model.load_state_dict(load_checkpoint(path)["model"])
        self.model.eval()

    def pretrained_dir(self) -> Path:
        """``cfg.pretrained`` as a directory: ``"@store/<identity>"`` is a sibling of this run's
        directory (runs of one store), else the store of this checkout; anything else a path."""
        from reidlab.store import STORE, referenced

        identity = referenced(self.cfg)
        if identity is None:
            return Path(self.cfg.pretrained)
        sibling = self.run_dir.parent / identity
        return sibling if sibling.is_dir() else STORE / identity

    def _load_pretrained(self, run_dir: Path) -> None:
        path = final_weights(run_dir)
        if path is None:
            raise ConfigError(f"pretrained run {run_dir} has no final weights (weights.pt or "
                              "checkpoints/final.pt); train it first")
        state = load_checkpoint(path)["model"]
        self.model.features.load_state_dict({k[len("features."):]: v for k, v in state.items()
                                             if k.startswith("features.")})

    # --- the per-epoch curve of Fig. 4 -------------------------------------------------------
    def ranked(self, which: str) -> tuple[torch.Tensor | Normalised, ReidDataset, EvalSet]:
        """What an evaluation ranks: the test set (``"test"``) or the training persons (``"train"``,
        the Fig. 4 curve), as (pre-processed images, dataset, query/gallery rows)."""
        if which == "test":
            return self.test_images, self.test_data, self.eval_set
        return self.train_images, self.train_data, self.train_eval

    def rank1(self) -> dict[str, float]:
        views, distance = self.cfg.curve_views, self.cfg.distance
        train, test = (evaluate(self.model.features, *self.ranked(w), views, distance) for w in ("train", "test"))
        return curve_point(train, test)

    def execute(self, deadline: float | None = None) -> dict:
        """Train (resuming), evaluate and store this run alone (``lifecycle.execute``)."""
        return execute(Alone(self), deadline)[0]

    @property
    def evaluation_only(self) -> bool:
        """A 0-epoch run evaluates its pretrained network (``cfg.pretrained``): a test-time
        variant, or one of the test sets and folds of a cross-dataset network, trained once."""
        return self.cfg.epochs == 0

    @property
    def finished(self) -> bool:
        return (self.run_dir / "metrics.json").exists()

    def resume(self) -> tuple[dict, int, float]:
        """(history, first epoch to train, seconds already spent) from ``last.pt`` if present."""
        history, start, elapsed = {"epochs": [], "curve": []}, 1, 0.0
        last = self.run_dir / "checkpoints" / "last.pt"
        now = {"device": device_description(self.device), "git_commit": self.commit}
        earlier = []
        if last.exists():
            state = load_checkpoint(last)
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            history, start, elapsed = state["history"], state["epoch"] + 1, state["elapsed"]
            # the run names the code that started it; a checkpoint that predates that record (or
            # was written where git was not reachable) leaves the code that finishes it
            started = state.get("commit", "unknown")
            if started != "unknown":
                self.commit = started
            # where each stretch of epochs trained (a checkpoint from before this record: its commit only)
            earlier = state.get("segments") or [{"first_epoch": 1, "device": "not recorded", "git_commit": started}]
        elif self.cfg.curve_every and not self.evaluation_only:
            history["curve"].append({"epoch": 0, **self.rank1()})
        self.segments = [*earlier, {"first_epoch": start, **now}]
        return history, start, elapsed

    def curve_due(self, epoch: int) -> bool:
        return bool(self.cfg.curve_every) and (epoch % self.cfg.curve_every == 0 or epoch == self.cfg.epochs)

    def checkpoint_due(self, epoch: int) -> bool:
        return epoch % self.cfg.checkpoint_every == 0 or epoch == self.cfg.epochs

    def end_epoch(self, epoch: int, losses: dict[str, float], history: dict, elapsed: float,
                  force_checkpoint: bool = False, curve: dict[str, float] | None = None) -> None:
        """Log the epoch's losses, the Fig. 4 curve point (``curve`` when a group measured it),
        and checkpoint when due."""
        ckpt = self.run_dir / "checkpoints"
        history["epochs"].append({"epoch": epoch, **_significant(losses)})
        if self.curve_due(epoch):
            history["curve"].append({"epoch": epoch, **(curve or self.rank1())})
        if self.checkpoint_due(epoch) or force_checkpoint:
            state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                     "history": history, "epoch": epoch, "elapsed": elapsed, "commit": self.commit,
                     "segments": self.segments}
            _atomic_save(state, ckpt / "last.pt")
            write_progress(self.run_dir, state)
            if self.on_checkpoint is not None:
                self.on_checkpoint(epoch)
            if self.snapshots:
                _atomic_save({"model": state["model"], "epoch": epoch}, ckpt / f"epoch_{epoch:04d}.pt")

    def record_divergence(self, exc: Exception, history: dict) -> None:
        write_json_atomic(self.run_dir / "diverged.json", {"error": str(exc), "history": history})

    def finish(self, history: dict, train_time: float, t0: float, extra: dict | None = None,
               ranking: tuple[RankingResult, float] | None = None) -> dict:
        """Final weights, metrics (written last, atomically) and provenance. ``ranking``: the
        test ranking and its seconds when a group measured it."""
        cfg = self.cfg
        if not self.evaluation_only:  # an evaluation's weights are its pretrained run's
            _atomic_save({"model": self.model.state_dict(), "epoch": cfg.epochs}, self.run_dir / "checkpoints" / "final.pt")
        metrics = {**self.final_metrics(history, train_time, ranking), **(extra or {})}
        write_json_atomic(self.run_dir / "provenance.json", provenance(
            self.device, {"seed": cfg.seed, "split_seed": cfg.split_seed, "fold": cfg.fold},
            time.perf_counter() - t0, self.commit, self.segments))
        write_json_atomic(self.run_dir / "metrics.json", metrics)
        settle_progress(self.run_dir)
        return self.stored_metrics()

    def stored_metrics(self) -> dict:
        return read_json(self.run_dir / "metrics.json")

    def final_metrics(self, history: dict, train_time: float,
                      ranking: tuple[RankingResult, float] | None = None) -> dict:
        if ranking is None:
            t = time.perf_counter()
            result = evaluate(self.model.features, *self.ranked("test"), self.cfg.test_views, self.cfg.distance)
            ranking = (result, time.perf_counter() - t)
        ranking, eval_time = ranking
        out = {
            "config_id": self.cfg.identity(),
            "split": self.split.summary(),
            "parameters_G": count_parameters(self.model.features),
            **ranking.summary(),
            "cmc_curve": [round(100 * float(v), 4) for v in ranking.cmc],
            "history": history,
            "train_time_s": round(train_time, 2),
            "eval_time_s": round(eval_time, 3),
        }
        if self.attribute_alpha is not None:
            out["attribute_weights"] = dict(zip(self.train_data.attribute_names, self.attribute_alpha.round(5).tolist()))
        out.update(self.label_metrics())
        return out

    @torch.no_grad()
    def label_metrics(self) -> dict:
        """Attribute and pose predictions of the heads on the test images (Table I)."""
        data, heads = self.test_data, self.model.heads
        if self.test_data is not self.train_data or self.evaluation_only:  # heads not trained here
            return {}
        rows = np.unique(np.concatenate([self.eval_set.query, self.eval_set.gallery]))
        self.model.eval()
        _, logits = self.model(centre_crop(self.test_images[torch.as_tensor(rows, device=self.device)]))
        out = {}
        if "attributes" in logits:
            a = logits["attributes"].cpu()
            head = heads.cfg.attribute_head  # a regression output predicts 1 above 0.5, a logit above 0
            pred = (a.argmax(-1) if head == "softmax" else (a > (0.5 if head == "regression" else 0)).long()).numpy()
            target, train_labels = data.attributes[rows], self.train_data.attributes[self.train_rows]
            classes = np.array(data.classes_per_attribute)
            binary = np.flatnonzero(classes == 2)
            per = binary_attribute_metrics(pred[:, binary], target[:, binary], [data.attribute_names[j] for j in binary])
            for j, m in zip(binary, per):
                m["train_label_entropy"] = label_entropy(train_labels[:, j])
            out["attributes"] = {"per_attribute": per, "mA": mean_accuracy_ma(pred[:, binary], target[:, binary])}
            multiclass = {data.attribute_names[j]: {**multiclass_metrics(pred[:, j], target[:, j], int(classes[j])),
                                                    "train_label_entropy": label_entropy(train_labels[:, j])}
                          for j in np.flatnonzero(classes > 2)}
            if multiclass:  # the rich set's age and colours
                out["attributes"]["multiclass"] = multiclass
        if "pose" in logits:
            pred = logits["pose"].argmax(-1).cpu().numpy()
            out["pose"] = {**multiclass_metrics(pred, data.poses[rows], len(POSE_ANGLES)),
                           "train_label_entropy": label_entropy(self.train_data.poses[self.train_rows])}
        return out

    def refuse_evidence_without_commit(self) -> None:
        """A result in the evidence store names the code that made it (``provenance.json``)."""
        from reidlab.store import STORE

        if self.commit == "unknown" and self.run_dir.resolve().is_relative_to(STORE.resolve()):
            raise ConfigError(f"{self.run_dir}: the code version is unknown (no git checkout here), and a "
                              "result in the evidence store must name it; run from a git checkout, or set "
                              "REIDLAB_GIT_COMMIT to the commit this code is")

    def write_config(self) -> None:
        path = self.run_dir / "config.yaml"
        text = yaml.safe_dump(self.cfg.to_dict(), sort_keys=False)
        stored = load_yaml(path.read_text()) if path.exists() else None
        if path.exists() and (not isinstance(stored, dict)  # empty, or cut off before any key
                              or set(self.cfg.to_dict()) - set(with_current_names(stored)) - set(LEGACY)):
            raise ConfigError(f"{path} is empty or not a config (a write cut off?): delete {self.run_dir} "
                              "to train that run again")
        if stored is not None and RunConfig.from_stored(stored).canonical() != self.cfg.canonical():  # any device resumes
            raise ConfigError(f"{self.run_dir} holds a run of another config: delete that directory, or give "
                              "this run another folder (reidlab run --name)")
        if not path.exists():  # a stored config stays as it was committed
            self.run_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        if self.profile_record:  # a run cut off still says the profile it ran at
            write_profile(self.run_dir, self.profile_record)


def load_finished(run_dir: Path, data_root: str | None) -> "Run":
    """A finished run as the analyses read it (``verify``, ``probe``): its stored config on the CPU,
    its final weights loaded (an evaluation run's network: its pretrained run's, loaded already)."""
    cfg = RunConfig.load(run_dir / "config.yaml")
    run = Run(RunConfig.from_dict({**cfg.to_dict(), "device": "cpu"}), run_dir, data_root, progress=False)
    if not run.evaluation_only:
        run.load_final()
    return run
