"""The study as declared runs: each paper item is a set of configs, run once, stored, reused.

A run's identity is the hash of its full config (``RunConfig.identity``), which includes the
dataset, split seed and fold, so two items that need the same run share it. The store keeps one
directory per finished run under ``results/store/<identity>/`` (config snapshot, metrics,
provenance); ``run_item`` skips runs already stored, so work accumulates across sessions and
machines. Checkpoints stay out of git.

Profiles say how much of the paper's protocol a run follows; each is a named set of deviations,
written into every result:

* ``paper``: the paper's protocol (600 epochs, one pair per step, 10 folds, ten-crop test).
* ``fast``: the paper's runs with the fast protocol ``FAST_PROTOCOL`` (several pairs per step,
  learning rate scaled alike); the page "Methods check" says whether it matches the paper's.
* ``quick``: CPU-affordable: 100 epochs, 3 folds, centre-crop curves; otherwise the paper's.
* ``smoke``: seconds, for CI: 2 epochs, 1 fold, a 2-layer narrow network, 40 synthetic persons.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from reidlab.config import RECIPES, RunConfig
from reidlab.data.attributes import LAYNE_ATTRIBUTES
from reidlab.errors import ConfigError


@dataclass(frozen=True)
class Profile:
    name: str
    folds: int
    overrides: dict = field(default_factory=dict)
    note: str = ""

    def describe(self) -> str:
        if not self.overrides:
            return f"{self.name}: the paper's protocol, {self.folds} folds"
        changes = ", ".join(f"{k}={v}" for k, v in self.overrides.items())
        note = f" ({self.note})" if self.note else ""
        return f"{self.name}: {self.folds} fold(s); deviations from the paper: {changes}{note}"


PROFILES: dict[str, Profile] = {
    "paper": Profile("paper", 10),
    "quick": Profile("quick", 3, {"epochs": 100}),
    "smoke": Profile("smoke", 1, {"epochs": 2, "widths": [8, 16], "feature_dim": 32,
                                  "synthetic_persons": 40, "test_views": "flip", "curve_every": 1}),
}

# paper item -> {variant label: config overrides}; every variant runs on each fold of the profile
VIPER, PETA = {"dataset": "viper"}, {"dataset": "peta-reid", "tasks": "V+I+A"}
ITEMS: dict[str, dict[str, dict]] = {
    "fig4": {"multi-task": {**VIPER}, "verification only": {**VIPER, "tasks": "V"}},
    "fig5": {
        **{f"VIPeR {t}": {**VIPER, "tasks": t} for t in ("V", "V+I", "V+A", "V+I+A", "V+I+A+P")},
        **{f"PETA {t}": {**PETA, "tasks": t} for t in ("V", "V+I", "V+A", "V+I+A")},
    },
    "table1": {"multi-task": {**VIPER}},
    "fig6": {"none": {**VIPER, "tasks": "V"}, **{
        a: {**VIPER, "tasks": "V+A", "attribute_weighting": "given",
            "attribute_weights": [float(b == a) for b in LAYNE_ATTRIBUTES]} for a in LAYNE_ATTRIBUTES}},
    "table2": {f"{d} {w}": {**base, "attribute_weighting": w}
               for d, base in (("VIPeR", VIPER), ("PETA", PETA)) for w in ("entropy", "equal", "none")},
    "table3": {f"{w1}/{w2}/{w2} f{f}": {**VIPER, "widths": [w1, w2, w2], "feature_dim": f}
               for w1, w2, f in [(16, 32, 32), (16, 64, 32), (16, 128, 32), (16, 32, 64), (16, 64, 64),
                                 (16, 128, 64), (16, 32, 128), (16, 64, 128), (16, 128, 128),
                                 (16, 256, 256)]},
    "fig7": {f"{n} layers": {**VIPER, "widths": [16, 64, 64, 64][:n]} for n in (1, 2, 3, 4)},
    "fig8": {"DA train+test": {**VIPER}, "DA train": {**VIPER, "test_views": "centre"},
             "DA test": {**VIPER, "augment": False}, "no DA": {**VIPER, "augment": False, "test_views": "centre"}},
    "table4": {"Ours": {**VIPER}, "Ours Multi-Label": {**VIPER, "attribute_head": "multilabel"}},
    "table5": {f"{d} {p}": {"dataset": d, "tasks": "V+I+A", **({"pretrained": "@viper"} if p == "VIPeR" else {})}
               for d in ("ilids", "caviar", "3dpes") for p in ("VIPeR", "none")},
    "table6": {f"{a}->{b} {w}": {"dataset": a, "test_dataset": b, "tasks": "V+I+A", "attribute_set": "peta",
                                 "attribute_weighting": w}
               for a, b in (("viper", "ilids"), ("viper", "caviar"), ("viper", "3dpes"), ("ilids", "viper"),
                            ("caviar", "viper"), ("3dpes", "viper")) for w in ("entropy", "none")},
    "table7": {f"{a}->{b}": {"dataset": a, "test_dataset": b, "tasks": t}
               for a, b, t in (("viper", "ilids", "V+I+A+P"), ("viper", "caviar", "V+I+A+P"),
                               ("viper", "3dpes", "V+I+A+P"), ("viper", "cuhk01", "V+I+A+P"),
                               ("viper", "prid", "V+I+A+P"), ("cuhk01", "prid", "V+I"),
                               ("cuhk01", "viper", "V+I"), ("ilids", "viper", "V+I+A"),
                               ("ilids", "prid", "V+I+A"), ("prid", "viper", "V+I+A"))},
}
# Not a paper item: the methods check of a faster protocol against the paper's, fold by fold.
# Linear scaling: k pairs per step with k times the learning rate; fewer epochs cut CPU time.
# ``epochs_fraction`` scales the profile's epochs (600 at the paper profile), so each profile
# compares like with like.
FAST_CANDIDATES = {
    "8 pairs/step, lr x8, 300 epochs": {"pairs_per_step": 8, "lr_start": 8e-3, "lr_end": 8e-5, "epochs_fraction": 0.5},
    "lr x4, 150 epochs": {"lr_start": 4e-3, "lr_end": 4e-5, "epochs_fraction": 0.25},
    "8 pairs/step, lr x8, 150 epochs": {"pairs_per_step": 8, "lr_start": 8e-3, "lr_end": 8e-5,
                                        "epochs_fraction": 0.25},
    # the paper's per-pair learning rates and epochs, 8 pairs averaged per step
    "8 pairs/step, lr x8, 600 epochs": {"pairs_per_step": 8, "lr_start": 8e-3, "lr_end": 8e-5},
}
# the candidate the ``fast`` profile uses (its verdict: the book page "Methods check")
FAST_PROTOCOL = "8 pairs/step, lr x8, 600 epochs"
# the reference pins the paper's step so that it stays the paper's under any profile
PAPER_STEP = {"pairs_per_step": RunConfig.pairs_per_step, "lr_start": RunConfig.lr_start, "lr_end": RunConfig.lr_end}
# The check was made with recipe "reidlab-v1" (before the fidelity study), and stays so.
V1 = {**VIPER, **RECIPES["reidlab-v1"]}
ITEMS["protocols"] = {"paper protocol": {**V1, **PAPER_STEP}, **{k: {**V1, **v} for k, v in FAST_CANDIDATES.items()}}


def _candidate_profile(name: str) -> Profile:
    values = dict(FAST_CANDIDATES[name])
    if "epochs_fraction" in values:
        values["epochs"] = round(values.pop("epochs_fraction") * RunConfig.epochs)
    note = f"the fast protocol '{name}'; whether it matches the paper's: see the page 'Methods check'"
    return Profile("fast", PROFILES["paper"].folds, values, note)


PROFILES["fast"] = _candidate_profile(FAST_PROTOCOL)
# Not a paper item: the fidelity study (issue 9). Each detail where reidlab's first recipe
# ("reidlab-v1") and the authors' code differ, measured both ways on the dev partitions: the
# authors' recipe with one detail put back to v1 ("authors - X"), and v1 with one detail of the
# authors' ("v1 + X"); the normalisation also in its "dataset" form.
DETAILS = {"momentum": ("momentum", "momentum_style"), "normalisation": ("normalisation",),
           "verification loss": ("verification_loss",), "task set": ("tasks",),
           "pairing": ("pairing",), "crops": ("crop_offset_min",)}


def _with(recipe: str, detail: str, source: str) -> dict:
    return {**RECIPES[recipe], **{k: RECIPES[source][k] for k in DETAILS[detail]}}


# The fidelity runs take the fast protocol's step under every profile (checked against the paper's
# on the page "Methods check"; epochs follow the profile), fewer curve points and checkpoints
FIDELITY_RUN = {**VIPER, **FAST_CANDIDATES[FAST_PROTOCOL], "curve_every": 50, "checkpoint_every": 100}
ITEMS["fidelity"] = {  # the choice: both recipes, and v1 with each of the authors' details
    "reidlab v1": {**FIDELITY_RUN, **RECIPES["reidlab-v1"]},
    "authors": {**FIDELITY_RUN, **RECIPES["authors"]},
    **{f"v1 + {d}": {**FIDELITY_RUN, **_with("reidlab-v1", d, "authors")} for d in DETAILS},
    "v1 + normalisation (dataset)": {**FIDELITY_RUN, **RECIPES["reidlab-v1"], "normalisation": "dataset"},
}
ITEMS["fidelity-attribution"] = {  # after the choice: the authors' recipe without each detail
    **{f"authors - {d}": {**FIDELITY_RUN, **_with("authors", d, "reidlab-v1")} for d in DETAILS},
    "authors + normalisation (dataset)": {**FIDELITY_RUN, **RECIPES["authors"], "normalisation": "dataset"},
    # the paper's "~800k" parameters (a 9x9 last map; the authors' code has 10x10), on the default;
    # it names the widths too, as the padding is per layer (the smoke profile's net has 2 layers)
    "v2 + parameter count": {**FIDELITY_RUN, **RECIPES["reidlab-v2"], "widths": [16, 64, 64], "padding": [4, 4, 3]}}
# Items run on the dev partitions (split seed DEV_SPLIT_SEED, at most DEV_FOLDS of them), never on
# the 10 test folds (split seed 0): the recipe is chosen there, as the paper chose its own on "an
# initial random partitioning of VIPeR ... not included during testing".
DEV_SPLIT_SEED, DEV_FOLDS = 1, 3
DEV_ITEMS = ("fidelity", "fidelity-attribution")
# The analyses of Sec. V-D use the trained network of Table IV's "Ours".
ANALYSIS_ITEMS = {"fig9": ("table4", "Ours"), "fig10": ("table4", "Ours")}


STORE_REF = "@store/"  # a run directory in the same store, in a config (``Run.pretrained_dir``)


@dataclass
class PlannedRun:
    item: str
    variant: str
    fold: int
    config: RunConfig

    @property
    def identity(self) -> str:
        return self.config.identity()


def _synthetic_fallback(values: dict, real_data: bool) -> dict:
    """Without a data root every run uses the synthetic set (labelled so in every result)."""
    if real_data:
        return values
    values = {**values, "dataset": "synthetic"}
    values.pop("test_dataset", None)
    values.pop("attribute_set", None)
    return values


def plan(item: str, profile: str = "smoke", real_data: bool = False,
         overrides: dict | None = None) -> list[PlannedRun]:
    """The runs of ``item`` under ``profile``; ``pretrained: "@viper"`` resolves to
    ``"@store/<identity>"`` of the VIPeR pre-training run of the same fold (``pretrain_config``):
    a path relative to the store, so that identities do not depend on where the store is."""
    if item not in ITEMS:
        raise ConfigError(f"unknown paper item '{item}'; choose one of: {', '.join(ITEMS)}")
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile '{profile}'; choose one of: {', '.join(PROFILES)}")
    prof, overrides_all = PROFILES[profile], overrides
    runs = []
    dev = {"split_seed": DEV_SPLIT_SEED} if item in DEV_ITEMS else {}
    for variant, overrides in ITEMS[item].items():
        for fold in range(item_folds(item, profile)):
            # the variant's own keys win: they are what the item measures
            values = _synthetic_fallback({**prof.overrides, **(overrides_all or {}), **overrides,
                                          **dev, "trial": fold}, real_data)
            if "epochs_fraction" in values:
                fraction = values.pop("epochs_fraction")
                values["epochs"] = max(1, round(fraction * prof.overrides.get("epochs", RunConfig.epochs)))
            if values.get("pretrained") == "@viper":
                source = pretrain_config(prof, fold, real_data)
                values["pretrained"] = f"{STORE_REF}{source.identity()}"
            runs.append(PlannedRun(item, variant, fold, RunConfig.from_dict(values)))
    return runs


def item_folds(item: str, profile: str) -> int:
    """Folds (or dev partitions) each variant of ``item`` runs on under ``profile``."""
    folds = PROFILES[profile].folds
    return min(folds, DEV_FOLDS) if item in DEV_ITEMS else folds


def pretrain_config(prof: Profile, fold: int, real_data: bool) -> RunConfig:
    """Table V's pre-training run: VIPeR's training half of the same fold, PETA attributes."""
    values = _synthetic_fallback({**prof.overrides, "dataset": "viper", "tasks": "V+I+A",
                                  "attribute_set": "peta", "trial": fold}, real_data)
    return RunConfig.from_dict(values)


def _repo_path(env: str, relative: str) -> Path:
    """``$env`` if set, else ``relative`` under the checkout holding this package (or the cwd)."""
    if os.environ.get(env):
        return Path(os.environ[env])
    repo = Path(__file__).resolve().parents[1]
    return (repo if (repo / "results").is_dir() else Path.cwd()) / relative


# results/ holds evidence only: real data at a real profile. Synthetic or smoke output goes to an
# ignored scratch folder, so that no demo or test run can replace a committed result.
STORE = _repo_path("REIDLAB_STORE", "results/store")
BOOK_OUT = _repo_path("REIDLAB_BOOK_OUT", "results/book")
SCRATCH = _repo_path("REIDLAB_SCRATCH", "_build/scratch")


def is_evidence(profile: str, real_data: bool) -> bool:
    return real_data and profile != "smoke"


def store_for(profile: str, real_data: bool) -> Path:
    """Where runs of ``profile`` go: ``results/store`` for evidence, else the scratch store
    (``$REIDLAB_STORE`` overrides both)."""
    if os.environ.get("REIDLAB_STORE") or is_evidence(profile, real_data):
        return STORE
    return SCRATCH / "store"


def book_out_for(profile: str, real_data: bool) -> Path:
    """Where the pages' tables and figures go: ``results/book`` for evidence, else scratch."""
    if os.environ.get("REIDLAB_BOOK_OUT") or is_evidence(profile, real_data):
        return BOOK_OUT
    return SCRATCH / "book"
# occlusion iterations of Fig. 9 per profile (the paper: 1000; the fast profile changes training only)
OCCLUSION_ITERATIONS = {"paper": 1000, "fast": 1000, "quick": 200, "smoke": 12}


def trained_run(item: str, variant: str, profile: str, data_root: str | None, store: Path | None = None,
                overrides: dict | None = None, fold: int = 0, execute: bool = True):
    """The stored run of ``item``/``variant`` with its final weights loaded, for the analyses of
    Sec. V-D, or None when its weights are not at hand. With ``execute`` a run not yet stored is
    trained first; a stored run is never trained again (its weights are kept beside it, committed:
    ``run.keep_weights``)."""
    from reidlab.run import Run, final_weights, keep_weights

    store = store or store_for(profile, data_root is not None)
    planned = next(r for r in plan(item, profile, data_root is not None, overrides)
                   if r.variant == variant and r.fold == fold)
    run_dir = store / planned.identity
    if execute and stored(planned, store) is None:
        _run_all([(planned.config, run_dir)], data_root, 1, False, item)
    if final_weights(run_dir) is None:
        return None
    keep_weights(run_dir)
    run = Run(planned.config, run_dir, data_root, progress=False)
    run.load_final()
    return run


def stored(run: PlannedRun | RunConfig, store: Path = STORE) -> dict | None:
    """The stored metrics of a run, or None if it has not finished."""
    cfg = run.config if isinstance(run, PlannedRun) else run
    path = store / cfg.identity() / "metrics.json"
    return json.loads(path.read_text()) if path.exists() else None


def _execute(args: tuple[dict, str, str | None, int]) -> str:
    values, run_dir, data_root, threads = args
    import torch

    from reidlab.run import Run

    torch.set_num_threads(threads)
    Run(RunConfig.from_dict(values), run_dir, data_root, progress=False).execute()
    return run_dir


def run_item(item: str, profile: str = "smoke", data_root: str | None = None, store: Path | None = None,
             jobs: int = 1, progress: bool = True, overrides: dict | None = None,
             batch: int = 0, deadline: float | None = None) -> list[PlannedRun]:
    """Run every not-yet-stored run of ``item``; returns the plan (all runs then stored)."""
    return run_items([item], profile, data_root, store, jobs, progress, overrides, batch, deadline)[item]


def run_items(items: list[str], profile: str = "smoke", data_root: str | None = None, store: Path | None = None,
              jobs: int = 1, progress: bool = True, overrides: dict | None = None,
              batch: int = 0, deadline: float | None = None,
              variants: list[str] | None = None) -> dict[str, list[PlannedRun]]:
    """Run every not-yet-stored run of ``items`` (shared runs once); returns each item's plan.

    ``overrides`` (e.g. ``{"device": "cuda", "seed": 1}``) apply to every run.
    ``batch`` > 1 trains up to that many runs of equal shape at once (``reidlab.batched``; for a
    GPU), across items; ``deadline`` (``time.time()``) stops batched groups there, checkpointed.
    ``variants``: run only the variants of these names. ``store`` defaults to ``store_for``."""
    real = data_root is not None
    store = store or store_for(profile, real)
    plans = {item: plan(item, profile, real, overrides) for item in items}
    if variants:
        unknown = set(variants) - {r.variant for runs in plans.values() for r in runs}
        if unknown:
            raise ConfigError(f"no variant(s) {sorted(unknown)} in {', '.join(items)}")
        plans = {item: [r for r in runs if r.variant in variants] for item, runs in plans.items()}
    if "table5" in items:  # the pre-training runs first
        prof = PROFILES[profile]
        sources = {c.identity(): c for c in (pretrain_config(prof, f, real) for f in range(prof.folds))}
        _run_all([(c, store / i) for i, c in sources.items()], data_root, jobs, progress, "table5 pretrain",
                 batch, deadline)
    todo = {r.identity: r for runs in plans.values() for r in runs if stored(r, store) is None}
    _run_all([(r.config, store / i) for i, r in todo.items()], data_root, jobs, progress, "+".join(items),
             batch, deadline)
    for runs in plans.values():
        for run in runs:
            _write_profile(store / run.identity, profile, real)
            if (run.item, run.variant) in ANALYSIS_ITEMS.values() and run.fold == 0:
                from reidlab.run import keep_weights

                keep_weights(store / run.identity)  # the analyses' runs: weights committed
    return plans


def _run_batched(work: list[tuple[RunConfig, Path]], data_root, batch: int, progress: bool,
                 deadline: float | None) -> None:
    """Groups of up to ``batch`` runs of one network shape that resume from the same epoch (they
    may differ in fold, seeds and recipe: ``batched.PER_RUN``), each group trained at once (on a
    GPU: one CUDA-graph step for all of them). Non-SGD runs train alone; a run that diverges is
    recorded (``diverged.json``) and its group goes on without it."""
    from reidlab.batched import RunGroup, group_key
    from reidlab.run import Run
    from reidlab.train import TrainingDiverged

    alone = [(c, d) for c, d in work if c.optimizer != "sgd"]
    if alone:
        _run_all(alone, data_root, 1, progress, "alone (not SGD)")
    groups: dict[tuple[str, int], list[tuple[RunConfig, Path]]] = {}
    for cfg, run_dir in work:
        if cfg.optimizer == "sgd":
            groups.setdefault((group_key(cfg.to_dict()), _resume_epoch(run_dir)), []).append((cfg, run_dir))
    # cheapest groups first, so a deadline cuts the fewest groups short
    for members in sorted(groups.values(), key=lambda m: m[0][0].epochs / m[0][0].pairs_per_step):
        for i in range(0, len(members), batch):
            chunk = members[i:i + batch]
            while chunk:
                start = time.perf_counter()
                try:
                    RunGroup([Run(c, d, data_root, progress=False) for c, d in chunk],
                             progress=progress).execute(deadline)
                except TrainingDiverged as exc:
                    print(f"  a run diverged ({exc}); its group starts again without it", flush=True)
                    chunk = [(c, d) for c, d in chunk if not (d / "diverged.json").exists()]
                    continue
                cfg = chunk[0][0]
                print(f"  {len(chunk)} runs at once ({cfg.dataset}, {cfg.epochs} epochs, "
                      f"{cfg.pairs_per_step} pair(s)/step): {time.perf_counter() - start:.0f} s", flush=True)
                break


def _resume_epoch(run_dir: Path) -> int:
    """The epoch a run's checkpoint reached (0: none), from its ``progress.json``."""
    path = run_dir / "progress.json"
    if not (run_dir / "checkpoints" / "last.pt").exists() or not path.exists():
        return 0
    return json.loads(path.read_text())["epoch"]


def _write_profile(run_dir: Path, profile: str, real_data: bool) -> None:
    """``profile.json`` beside a stored run: the profile it was run at and its deviations."""
    from reidlab.provenance import write_json_atomic

    path = run_dir / "profile.json"
    if run_dir.is_dir() and not path.exists():
        prof = PROFILES[profile]
        write_json_atomic(path, {"profile": profile, "deviations": prof.overrides, "folds": prof.folds,
                                 "description": prof.describe(), "real_data": real_data})


def _run_all(work: list[tuple[RunConfig, Path]], data_root, jobs: int, progress: bool, label: str,
             batch: int = 0, deadline: float | None = None) -> None:
    from tqdm import tqdm

    # finished runs, and runs that diverged (a finding, kept in diverged.json), are not run again
    work = [(c, d) for c, d in work if not (d / "metrics.json").exists() and not (d / "diverged.json").exists()]
    if not work:
        return
    if batch > 1:
        return _run_batched(work, data_root, batch, progress, deadline)
    threads = max(1, (os.cpu_count() or 1) // max(1, jobs))
    args = [(c.to_dict(), str(d), data_root, threads) for c, d in work]
    bar = tqdm(total=len(args), desc=label, unit="run", disable=not progress)
    if jobs <= 1:
        for a in args:
            _execute(a)
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for _ in pool.map(_execute, args):
                bar.update()
    bar.close()
