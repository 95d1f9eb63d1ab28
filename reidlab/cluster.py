"""The study's trainings as Ray tasks: ``reidlab study ITEMS --executor ray [--address auto]``.

Each run is a task with its resources (``--cpus-per-run``, ``--gpus-per-run``); no filesystem is
shared with the workers. The driver, on the machine that holds the results store:

- locks each run's directory before sending it (``lifecycle.run_lock``): a second driver on the
  same store skips the runs the first holds, and a run stored meanwhile is not sent again;
- sends the task the run's config and, for a run that starts from another's network, that
  network's weights;
- writes what comes back into the store: each checkpoint as the task reaches it, through a
  :class:`Recorder` actor on the driver's node, so that a task whose worker dies is retried by Ray
  and resumes from it; at the end the finished run, ``metrics.json`` last.

Workers need this package (the driver's version: the run records the driver's git commit) and
the data, at ``data_root`` on every node or as packs (``REIDLAB_PACKS``). A run that fails is
reported in one line; the others go on. Batched GPU groups (``--batch``) stay on one machine
(``reidlab.batched``): here a run is a task.
"""

from __future__ import annotations

import contextlib
import io
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from reidlab.config import RunConfig
from reidlab.errors import ConfigError
from reidlab.lifecycle import run_lock
from reidlab.provenance import git_commit
from reidlab.store import referenced

CHECKPOINT_FILES = ("config.yaml", "profile.json", "checkpoints/last.pt", "progress.json")
RESULT_FILES = ("config.yaml", "profile.json", "metrics.json", "provenance.json", "progress.json", "diverged.json", "checkpoints/final.pt")


@dataclass
class RayExecutor:
    """Where and how the tasks run: ``address`` of a running cluster (``"auto"``; None starts a
    local one), resources per run, and retries of a task whose worker died."""
    address: str | None = None
    cpus_per_run: float = 1
    gpus_per_run: float = 0
    retries: int = 3
    after_checkpoint: Callable[[str, int], None] | None = None  # in the task (tests: a worker dies)

    def run(self, work: list[tuple[RunConfig, Path]], data_root: str | None, progress: bool, label: str,
            record: dict | None = None, after_run: Callable[[], None] | None = None) -> None:
        """Train (or evaluate) ``work`` on the cluster; every finished run lands in its directory
        (then ``after_run``: the weights other runs use are kept as their runs land)."""
        from tqdm import tqdm

        ray = _ray()
        if not ray.is_initialized():
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
        here = ray.get_runtime_context().get_node_id()
        recorder = ray.remote(Recorder).options(
            scheduling_strategy=ray.util.scheduling_strategies.NodeAffinitySchedulingStrategy(here, soft=False)
        ).remote()
        task = ray.remote(_train).options(num_cpus=self.cpus_per_run, num_gpus=self.gpus_per_run,
                                          max_retries=self.retries)
        threads = max(1, int(self.cpus_per_run))
        with _held(work) as mine:
            pending = {}
            for cfg, run_dir in mine:
                ray.get(recorder.own.remote(run_dir.name, str(run_dir)))
                pending[task.remote(cfg.to_dict(), run_dir.name, _network(cfg, run_dir), data_root, threads,
                                    record, git_commit(), recorder, self.after_checkpoint)] = run_dir
            bar = tqdm(total=len(pending), desc=f"{label} (ray)", unit="run", disable=not progress)
            while pending:
                (ref,), _ = ray.wait(list(pending), num_returns=1)
                run_dir = pending.pop(ref)
                try:
                    write_back(ray.get(ref), run_dir)
                except ray.exceptions.RayError as exc:
                    print(f"  {run_dir.name}: failed on the cluster: {_first_line(exc)}", flush=True)
                if after_run is not None:
                    after_run()
                bar.update()
            bar.close()


class Recorder:
    """On the driver's node (a Ray actor): writes each task's checkpoint into its run directory
    as it comes, and gives a retried task the latest one, so it resumes there."""

    def __init__(self):
        self.dirs: dict[str, Path] = {}

    def own(self, identity: str, run_dir: str) -> None:
        self.dirs[identity] = Path(run_dir)

    def latest(self, identity: str) -> bytes:
        """The run's stored config and latest checkpoint, where it has them (tar bytes)."""
        return pack(self.dirs[identity], ("config.yaml", "checkpoints/last.pt"))

    def checkpoint(self, identity: str, files: bytes) -> None:
        write_back(files, self.dirs[identity])


def _train(values: dict, identity: str, network: tuple[str, bytes] | None, data_root: str | None,
           threads: int, record: dict | None, commit: str, recorder, after_checkpoint) -> bytes:
    """The task: the run in a scratch folder of the worker, from its latest checkpoint; its
    checkpoints and, at the end, its results go back as tar bytes."""
    import ray
    import torch

    from reidlab.run import Run
    from reidlab.train import TrainingDiverged

    torch.set_num_threads(threads)
    os.environ["REIDLAB_GIT_COMMIT"] = commit  # the driver's code: the worker may have no checkout
    with tempfile.TemporaryDirectory(prefix="reidlab-task-") as scratch:
        run_dir = Path(scratch) / identity
        run_dir.mkdir()
        write_back(ray.get(recorder.latest.remote(identity)), run_dir)  # a retry resumes where the last try got
        if network is not None:  # the network it starts from, where ``Run.pretrained_dir`` looks
            name, weights = network
            (Path(scratch) / referenced(RunConfig.from_dict(values))).mkdir()
            (Path(scratch) / referenced(RunConfig.from_dict(values)) / name).write_bytes(weights)
        run = Run(RunConfig.from_dict(values), run_dir, data_root, progress=False, profile_record=record)

        def send(epoch: int) -> None:  # waits for the store to hold it: a death after this resumes here
            ray.get(recorder.checkpoint.remote(identity, pack(run_dir, CHECKPOINT_FILES)))
            if after_checkpoint is not None:
                after_checkpoint(identity, epoch)

        run.on_checkpoint = send
        try:
            run.execute()
        except TrainingDiverged:  # a finding: diverged.json goes back
            pass
        return pack(run_dir, RESULT_FILES)


def _network(cfg: RunConfig, run_dir: Path) -> tuple[str, bytes] | None:
    """The final weights of the stored network a run starts from (name, bytes), or None."""
    from reidlab.run import final_weights

    identity = referenced(cfg)
    if identity is None:
        if cfg.pretrained:
            raise ConfigError(f"{run_dir.name}: pretrained '{cfg.pretrained}' is a path, which a worker "
                              "does not have; use the local executor")
        return None
    weights = final_weights(run_dir.parent / identity)
    if weights is None:
        raise ConfigError(f"{run_dir.name}: its network {identity} has no final weights in the store")
    return weights.name, weights.read_bytes()


def pack(run_dir: Path, names: tuple[str, ...]) -> bytes:
    """The files ``names`` of ``run_dir`` that exist, as tar bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in names:
            if (run_dir / name).is_file():
                tar.add(run_dir / name, arcname=name)
    return buffer.getvalue()


def write_back(files: bytes, run_dir: Path) -> None:
    """Unpack tar bytes into ``run_dir``, each file replaced whole and ``metrics.json`` last (a
    run is finished only once everything else is in place)."""
    with tempfile.TemporaryDirectory(dir=run_dir.parent, prefix=f".{run_dir.name}-") as scratch:
        with tarfile.open(fileobj=io.BytesIO(files)) as tar:
            tar.extractall(scratch, filter="data")
            names = sorted(tar.getnames(), key=lambda n: n == "metrics.json")
        for name in names:
            (run_dir / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(Path(scratch) / name, run_dir / name)


@contextlib.contextmanager
def _held(work: list[tuple[RunConfig, Path]]):
    """The runs of ``work`` this driver locked (until the end) and that are not finished: another
    driver's runs are skipped, one line each, and a run stored meanwhile is not sent again."""
    with contextlib.ExitStack() as locks:
        mine = []
        for cfg, run_dir in work:
            try:
                locks.enter_context(run_lock(run_dir))
            except ConfigError as exc:
                print(f"  {run_dir.name}: skipped: {_first_line(exc)}", flush=True)
                continue
            if not (run_dir / "metrics.json").exists():
                mine.append((cfg, run_dir))
        yield mine


def _ray():
    try:
        import ray
        import ray.util.scheduling_strategies  # noqa: F401
    except ImportError:
        raise ConfigError("the ray executor needs Ray: pip install 'reidlab[cluster]'") from None
    return ray


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[-1][:300]
