"""The study's queue: which declared runs (``study.plan``) to train, in what order, and what
follows them. Items in book order (the priority), their variants and folds (a round of the queue,
``study.ROUNDS``), the VIPeR pre-training runs before the runs that start from them, trainings
before the evaluation runs (0 epochs) that read their networks, and the weights other runs use
kept as each run finishes. Stored runs are skipped: a run is never trained twice. Where the runs
train is an executor's business (``executors``, ``cluster``); what they cost, ``cost``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reidlab.config import RunConfig
from reidlab.errors import ConfigError
from reidlab.executors import rehearse, run_work
from reidlab.run import Run, final_weights, keep_weights
from reidlab.store import referenced, store_for, stored, write_profile
from reidlab.study import ANALYSIS_ITEMS, ITEMS, PROFILES, PlannedRun, plan, pretrain_runs

if TYPE_CHECKING:
    from reidlab.cluster import RayExecutor
    from reidlab.shipping import Shipper


def trained_run(item: str, variant: str, profile: str, data_root: str | None, store: Path | None = None,
                overrides: dict | None = None, fold: int = 0, execute: bool = True):
    """The stored run of ``item``/``variant`` with its final weights loaded, for the analyses of
    Sec. V-D, or None when its weights are not at hand. With ``execute`` a run not yet stored is
    trained first; a stored run is never trained again (its weights are kept beside it, committed:
    ``run.keep_weights``)."""
    store = store or store_for(profile, data_root is not None)
    planned = next(r for r in plan(item, profile, data_root is not None, overrides)
                   if r.variant == variant and r.fold == fold)
    run_dir = store / planned.identity
    if stored(planned.config, store) is None and execute:  # (looked up first: the page's read log)
        run_work([(planned.config, run_dir)], data_root, 1, False, item)
    if final_weights(run_dir) is None:
        return None
    keep_weights(run_dir)
    run = Run(planned.config, run_dir, data_root, progress=False)
    run.load_final()
    return run


def run_item(item: str, profile: str = "smoke", data_root: str | None = None, store: Path | None = None,
             jobs: int = 1, progress: bool = True, overrides: dict | None = None,
             batch: int = 0, deadline: float | None = None) -> list[PlannedRun]:
    """Run every not-yet-stored run of ``item``; returns the plan (all runs then stored)."""
    return run_items([item], profile, data_root, store, jobs, progress, overrides, batch, deadline)[item]


def _pretraining(plans: dict[str, list[PlannedRun]], profile: str, real: bool) -> list[PlannedRun]:
    """The VIPeR pre-training runs the planned runs start from (Table V's fine-tuned rows, and the
    dev choice of their learning rate, item finetune-rate)."""
    named = {referenced(r.config) for runs in plans.values() for r in runs}
    return [r for r in pretrain_runs(profile, real) if r.identity in named]


def run_items(items: list[str], profile: str = "smoke", data_root: str | None = None, store: Path | None = None,
              jobs: int = 1, progress: bool = True, overrides: dict | None = None,
              batch: int = 0, deadline: float | None = None,
              variants: list[str] | None = None, rehearsal: bool = False,
              folds: list[int] | None = None, shipper: Shipper | None = None,
              skip: set[str] | None = None, evaluations: bool = True,
              executor: RayExecutor | None = None) -> dict[str, list[PlannedRun]]:
    """Run every not-yet-stored run of ``items`` (shared runs once); returns each item's plan.

    ``overrides`` (e.g. ``{"device": "cuda", "seed": 1}``) apply to every run.
    ``batch`` > 1 trains up to that many runs of equal shape at once (``reidlab.batched``; for a
    GPU), across items; ``deadline`` (``time.time()``) stops batched groups there, checkpointed.
    ``variants``: run only the variants of these names; ``folds``: only these folds (both keep the
    networks their evaluation runs evaluate). ``store`` defaults to ``store_for``. ``shipper``
    (``shipping.Shipper``): batched groups send their finished runs as they finish. ``skip``:
    identities to count as stored (a lean GPU tree carries their index, not the store).
    ``evaluations``: False trains only (a GPU call: the evaluations follow on a CPU).
    ``rehearsal``: only rehearse the batched groups of the pending trainings (``rehearse``).
    ``executor``: train on a Ray cluster (``cluster.RayExecutor``); the evaluations (seconds each)
    stay on this machine."""
    real = data_root is not None
    store = store or store_for(profile, real)
    skip = skip or set()
    plans = {item: plan(item, profile, real, overrides) for item in items}
    if variants or folds is not None:
        unknown = set(variants or ()) - {r.variant for runs in plans.values() for r in runs}
        if unknown:
            raise ConfigError(f"no variant(s) {sorted(unknown)} in {', '.join(items)}")
        wanted = lambda r: (not variants or r.variant in variants) and (folds is None or r.fold in folds)  # noqa: E731
        # the chosen runs, and the networks their evaluation runs evaluate
        needed = {referenced(r.config) for runs in plans.values() for r in runs if wanted(r)}
        plans = {item: [r for r in runs if wanted(r) or r.identity in needed] for item, runs in plans.items()}
    if rehearsal:
        first = _pretraining(plans, profile, real)
        runs = [*first, *(r for runs in plans.values() for r in runs)]
        work = {r.identity: (r.config, store / r.identity) for r in runs
                if r.config.epochs and stored(r.config, store) is None and r.identity not in skip}
        print(f"  rehearsal: {rehearse(list(work.values()), data_root, max(batch, 1))} group(s), nothing stored")
        return plans
    record = profile_record(profile, real)  # profile.json, written as each run starts
    kept = weights_kept(profile, real, overrides)

    def after_group() -> None:  # the weights to keep, then the finished runs sent on
        _keep_used_weights(plans, store, kept)
        if shipper is not None:
            shipper.ship()

    pretraining = _pretraining(plans, profile, real)
    if pretraining:  # the pre-training runs first
        run_work([(r.config, store / r.identity) for r in pretraining if r.identity not in skip],
                 data_root, jobs, progress, "VIPeR pretrain", batch, deadline, record, after_group, executor)
    todo = {r.identity: r for runs in plans.values() for r in runs
            if stored(r.config, store) is None and r.identity not in skip}
    label = "+".join(items)
    trainings = [(r.config, store / i) for i, r in todo.items() if r.config.epochs]
    try:
        run_work(trainings, data_root, jobs, progress, label, batch, deadline, record, after_group, executor)
    finally:  # also when a deadline stops the call: the runs finished by then keep theirs
        after_group()
    if evaluations:
        evaluated = [(r.config, store / i) for i, r in todo.items() if not r.config.epochs]
        run_work(_evaluable(evaluated, store), data_root, jobs, progress, f"{label} evaluations", record=record)
        after_group()
    for runs in plans.values():
        for run in runs:
            write_profile(store / run.identity, profile_record(profile, real))
    return plans


def weights_kept(profile: str, real: bool, overrides: dict | None = None) -> set[str]:
    """The runs of the items that keep all their weights (``PaperItem.keep_weights``: the headline's,
    the pose probe's), whichever item's queue trains them."""
    return {r.identity for item, declared in ITEMS.items() if declared.keep_weights
            for r in plan(item, profile, real, overrides)}


def _keep_used_weights(plans: dict[str, list[PlannedRun]], store: Path, kept: set[str] = frozenset()) -> None:
    """Keep (commit) the final weights of the networks other runs use: the analyses' runs, and
    every run named as ``pretrained`` (pre-training, evaluation runs), so none is trained twice;
    and of the runs in ``kept`` (``weights_kept``)."""
    for runs in plans.values():
        for run in runs:
            if ((run.item, run.variant) in ANALYSIS_ITEMS.values() and run.fold == 0) or run.identity in kept:
                keep_weights(store / run.identity)
            if referenced(run.config):
                keep_weights(store / referenced(run.config))


def _evaluable(evaluations: list[tuple[RunConfig, Path]], store: Path) -> list[tuple[RunConfig, Path]]:
    """The evaluation runs whose network is at hand; the others are named, with the way out."""
    ready = []
    for cfg, run_dir in evaluations:
        source = store / referenced(cfg)
        if final_weights(source) is not None:
            ready.append((cfg, run_dir))
        elif (source / "metrics.json").exists():
            print(f"  {run_dir.name}: waits: its network {source.name} is stored without its weights "
                  f"(trained before they were kept); move {source.name}/metrics.json away to train it again")
        else:
            print(f"  {run_dir.name}: waits: its network {source.name} is not trained yet (a deadline, or it diverged)")
    return ready


def profile_record(profile: str, real_data: bool) -> dict:
    """What ``profile.json`` beside a stored run says: the profile and its deviations."""
    prof = PROFILES[profile]
    return {"profile": profile, "deviations": prof.overrides, "folds": prof.folds,
            "description": prof.describe(), "real_data": real_data}
