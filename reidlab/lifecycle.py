"""A run's life, whatever trains it: lock, config check, resume, epochs, divergence, checkpoints,
deadline, finish. One function, ``execute``, lives it for every trainer (issue 32).

A trainer (:class:`Trainer`) only trains: :class:`Alone`, one run by the eager trainer
(``train.train_epoch`` with ``torch.optim``), or ``batched.RunGroup``, many runs in lockstep. The
run directory's files are ``run.Run``'s (``resume``, ``end_epoch``, ``finish``, ``record_divergence``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tqdm import tqdm

from reidlab.errors import ConfigError, ReidlabError
from reidlab.evaluate import RankingResult
from reidlab.train import TrainingDiverged, check_finite, train_epoch

if TYPE_CHECKING:
    from reidlab.run import Run


class OutOfTime(ReidlabError):
    """The deadline came before the last epoch: every run is checkpointed; running again resumes."""


class RunBusy(ConfigError):
    """Another process trains this run now (``run_lock``): a study skips it, that process stores it."""


class Trainer(Protocol):
    runs: list[Run]
    label: str  # the progress bar's
    progress: bool

    def train_epoch(self, epoch: int) -> list[dict[str, float]]:
        """Epoch ``epoch`` of every run; each run's mean loss terms."""

    def curve_points(self) -> list[dict[str, float] | None]:
        """Each run's Fig. 4 point now (None: the run measures its own)."""

    def sync(self) -> None:
        """Each run's model and optimizer hold what has been trained (before a checkpoint)."""

    def finals(self) -> tuple[dict | None, list[tuple[RankingResult, float] | None]]:
        """(metrics the trainer adds, each run's test ranking and its seconds, None: the run ranks)."""


class Alone:
    """One run, trained alone by the eager trainer."""

    label = "train"

    def __init__(self, run: Run):
        self.runs, self.progress = [run], run.progress

    def train_epoch(self, epoch: int) -> list[dict[str, float]]:
        r = self.runs[0]
        return [train_epoch(r.model, r.loss, r.optimizer, r.trainset, r.cfg, epoch)]

    def curve_points(self) -> list[None]:
        return [None]

    def sync(self) -> None:
        pass

    def finals(self) -> tuple[None, list[None]]:
        return None, [None]


def execute(trainer: Trainer, deadline: float | None = None) -> list[dict]:
    """Train every run of ``trainer`` to its last epoch (resuming its checkpoint) and write its
    results; each run's metrics. A finished run returns its stored metrics. ``deadline`` (a
    ``time.time()``): past it, checkpoint every run and raise :class:`OutOfTime`."""
    runs = trainer.runs
    for run in runs:
        run.refuse_evidence_without_commit()
    with contextlib.ExitStack() as locks:
        for run in runs:
            locks.enter_context(run_lock(run.run_dir))
        for run in runs:
            run.write_config()  # refuses a run directory that holds another config
        finished = [run.finished for run in runs]
        if all(finished):
            return [run.stored_metrics() for run in runs]
        if any(finished):
            raise ValueError("a group's runs are all unfinished or all finished; train the others alone")
        return _train(trainer, deadline)


def _train(trainer: Trainer, deadline: float | None) -> list[dict]:
    runs, cfg = trainer.runs, trainer.runs[0].cfg
    states = [run.resume() for run in runs]
    if len({start for _, start, _ in states}) > 1:
        raise ValueError("runs of a group must resume from the same epoch; run them alone")
    histories, start = [h for h, _, _ in states], states[0][1]
    t0 = time.perf_counter() - max(elapsed for _, _, elapsed in states)
    bar = tqdm(range(start, cfg.epochs + 1), desc=trainer.label, unit="epoch", initial=start - 1,
               total=cfg.epochs, disable=not trainer.progress)
    for epoch in bar:
        losses = trainer.train_epoch(epoch)
        for run, m, history in zip(runs, losses, histories):
            try:
                check_finite(m, epoch)
            except TrainingDiverged as exc:  # a finding, not a crash: keep the evidence
                run.record_divergence(exc, history)
                raise
        late = deadline is not None and time.time() > deadline
        curves = trainer.curve_points() if runs[0].curve_due(epoch) else [None] * len(runs)
        if runs[0].checkpoint_due(epoch) or late:
            trainer.sync()
        for run, m, history, curve in zip(runs, losses, histories, curves):
            run.end_epoch(epoch, m, history, time.perf_counter() - t0, force_checkpoint=late, curve=curve)
        bar.set_postfix(total=f"{sum(m['total'] for m in losses) / len(losses):.3f}")
        if late and epoch < cfg.epochs:
            raise OutOfTime(f"deadline reached after epoch {epoch}; checkpoints saved, run again to resume")
    trainer.sync()
    extra, rankings = trainer.finals()
    train_time = time.perf_counter() - t0
    return [run.finish(h, train_time, t0, extra, r) for run, h, r in zip(runs, histories, rankings)]


@contextlib.contextmanager
def run_lock(run_dir: Path):
    """One trainer per run directory: an exclusive ``flock`` on ``run_dir/.lock`` (the kernel
    releases it when its process ends, however it ends); a second process is told which process
    holds it."""
    run_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(run_dir / ".lock", os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode().strip() or "?"
        os.close(fd)
        raise RunBusy(f"{run_dir} is being trained by process {holder}; wait for it to finish, or "
                          "stop it (then this command resumes the run)") from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    try:
        yield
    finally:
        os.close(fd)  # releases the lock; the file stays (git-ignored), so no one locks a stale copy


def refuse_while_trained(run_dir: Path) -> None:
    """Refuse at once a run directory another process is training (``run_lock``, taken and let go)."""
    if (run_dir / ".lock").exists():
        with run_lock(run_dir):
            pass
