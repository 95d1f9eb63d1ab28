"""Command line: ``reidlab <command> ...``; ``reidlab --help`` lists the commands."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from reidlab.data import DATASETS, load_dataset, resolve_data_root
from reidlab.data.splits import DEFAULT_PROTOCOL, make_splits, save_splits
from reidlab.errors import ConfigError, ReidlabError, writable_folder
from reidlab.provenance import write_json_atomic
from reidlab.store import SCRATCH, STORE


def default_dataset(data_root: Path | None) -> str:
    """VIPeR when real data is present, else the embedded synthetic set."""
    return "viper" if data_root is not None else "synthetic"


def cmd_prepare(args: argparse.Namespace) -> None:
    """Load a dataset, make its splits, save them with a contact sheet, and print statistics."""
    from reidlab.viz import contact_sheet

    root = resolve_data_root(args.data_root)
    name = args.dataset or default_dataset(root)
    data = load_dataset(name, root)
    protocol = args.protocol or DEFAULT_PROTOCOL.get(name, "one-gallery-image")
    splits = make_splits(data, protocol, seed=args.seed, folds=args.folds)
    summary = data.summary()
    # real data's splits are evidence (results/data); the synthetic set's go to scratch
    out = writable_folder(Path(args.out or (STORE.parent / "data" if root else SCRATCH / "data")), "--out") / name
    # write everything first: an interrupted command leaves no half-set of results
    save_splits(splits, out / f"splits_{protocol}_seed{args.seed}.json")
    contact_sheet(load_dataset(name, root, size=(128, 64)), out / "contact_sheet.png", seed=args.seed)
    write_json_atomic(out / "summary.json", {**summary, "splits": [s.summary() for s in splits]})
    print(f"{name}: {summary['images']} images, {summary['persons']} persons, "
          f"{summary['cameras']} cameras, {summary['attributes']} attributes, "
          f"pose labels: {'yes' if summary['has_pose'] else 'no'} (layout: {data.layout})")
    if name == "synthetic":
        print("  NOTE: synthetic pedestrians (embedded default) — not real data; "
              "set REIDLAB_DATA_ROOT to use the real datasets.")
    print(f"  protocol {protocol}, seed {args.seed}, {len(splits)} folds:")
    for s in splits:
        print("    fold {fold}: {train_persons} train persons, {queries} queries, "
              "{gallery} gallery images".format(**s.summary()))
    print(f"  wrote {out}/ (summary.json, splits, contact_sheet.png)")


def cmd_run(args: argparse.Namespace) -> None:
    """Train and evaluate one config; writes a run directory (resumes an unfinished one)."""
    from reidlab.config import RunConfig, apply_overrides
    from reidlab.run import Run

    cfg = RunConfig.load(args.config) if args.config else RunConfig()
    cfg = apply_overrides(cfg, args.set or [])
    root = resolve_data_root(args.data_root)
    if args.config is None and not any(s.startswith("dataset=") for s in args.set or []):
        cfg = apply_overrides(cfg, [f"dataset={default_dataset(root)}"])
    run_dir = writable_folder(args.out, "--out") / (args.name or f"{cfg.dataset}-{cfg.identity()}")
    if not run_dir.resolve().is_relative_to(Path(args.out).resolve()) or run_dir.resolve() == Path(args.out).resolve():
        raise ReidlabError(f"--name {args.name!r} leaves --out {args.out}: give a plain folder name")
    print(f"run {run_dir}: {cfg.dataset}, tasks {cfg.tasks}, {cfg.epochs} epochs, "
          f"{cfg.pairs_per_step} pair(s)/step, fold {cfg.fold}")
    metrics = Run(cfg, run_dir, root, progress=not args.quiet, snapshots=args.snapshots).execute()
    cmc = metrics["cmc"]
    print(f"  CMC rank 1/5/10/20/50: {cmc['1']:.1f} / {cmc['5']:.1f} / {cmc['10']:.1f} / "
          f"{cmc['20']:.1f} / {cmc['50']:.1f} %   mAP {metrics['mAP']:.1f} %")
    print(f"  wrote {run_dir}/ (config.yaml, metrics.json, provenance.json, checkpoints/)")


def refuse_while_set_aside(store: Path) -> None:
    """A GPU call is prepared (``scripts/gpu_prepare.sh``): the committed results beside ``store``
    are set aside, so a run here would not see its stored result or checkpoint."""
    hidden = store.resolve().parent.parent / ".gpu-hidden"
    if hidden.is_dir():
        raise ReidlabError(f"the committed results are set aside in {hidden} for a GPU call: run "
                           "scripts/gpu_prepare.sh --restore first")


def cmd_study(args: argparse.Namespace) -> None:
    """Run the declared runs of paper items (skipping stored ones) into the results store."""
    import time

    from reidlab.carry import read_index
    from reidlab.lifecycle import OutOfTime
    from reidlab.schedule import run_items
    from reidlab.shipping import Shipper
    from reidlab.store import store_for, stored
    from reidlab.study import PROFILES, ROUNDS, trained_items

    root = resolve_data_root(args.data_root)
    print(f"profile {PROFILES[args.profile].describe()}")
    if root is None:
        print("  NOTE: no data root: every run uses the synthetic dataset (not real data)")
    items, data = args.items or trained_items(), str(root) if root else None
    store = Path(args.store) if args.store else store_for(args.profile, root is not None)
    print(f"  store: {store}")
    refuse_while_set_aside(store)
    overrides = {"device": args.device}
    deadline = time.time() + 60 * args.time_limit if args.time_limit else None
    batch = args.batch if args.batch > 1 else 0  # > 1: group runs across items
    shipper = Shipper(writable_folder(args.ship, "--ship"), store) if args.ship else None
    executor = None
    if args.executor == "ray":
        from reidlab.cluster import RayExecutor

        if batch or args.rehearse or args.ship:
            raise ConfigError("--executor ray trains each run as a task: not with --batch, --rehearse or --ship")
        executor = RayExecutor(args.address, args.cpus_per_run, args.gpus_per_run)
    try:
        skip = read_index(args.skip_stored) if args.skip_stored else None
        plans = run_items(items, args.profile, data, store, args.jobs, not args.quiet, overrides, batch,
                          deadline if batch else None, args.variant, args.rehearse,
                          [*(args.fold or ()), *ROUNDS.get(args.round, ())] or None, shipper, skip,
                          not args.trainings_only, executor)
    except OutOfTime as exc:
        print(f"  stopped: {exc}")
        return
    finally:
        if shipper is not None:
            _ship_last(shipper, args.ship_last)
    if args.rehearse:
        return
    for item, runs in plans.items():
        done = sum(stored(r.config, store) is not None for r in runs)
        print(f"  {item}: {done}/{len(runs)} runs stored")


def _ship_last(shipper, checkpoints: bool) -> None:
    """What is left to send at the end of a call: runs finished since the last group, and (with
    ``checkpoints``) the ``last.pt`` of unfinished runs, to resume elsewhere; then a summary line."""
    shipper.ship()
    if checkpoints:
        shipper.ship(shipper.unfinished(), last=True)
    runs = sum(map(len, shipper.shipped.values()))
    print(f"  shipped {runs} run(s) in {len(shipper.shipped)} part(s) to {shipper.out}"
          + (f"; left out: {', '.join(shipper.left_out)}" if shipper.left_out else ""), flush=True)


def cmd_pack(args: argparse.Namespace) -> None:
    """Pack datasets (decoded, resized images and labels) into one compressed file each."""
    from reidlab.data.packs import PACKS_ENV, write_pack

    root = resolve_data_root(args.data_root)
    if root is None:
        raise ReidlabError("packing needs the real data: set REIDLAB_DATA_ROOT or pass --data-root")
    writable_folder(args.out, "--out")
    for name in args.datasets:
        path = write_pack(name, root, args.out)
        print(f"  {path}: {path.stat().st_size / 2**20:.1f} MiB")
    print(f"read them with {PACKS_ENV}={args.out} (no data root needed)")


def cmd_carry(args: argparse.Namespace) -> None:
    """Prepare what a GPU call carries for ITEMs: dataset packs, the index of stored runs, the
    stored networks pending runs start from (scripts/gpu_prepare.sh)."""
    from reidlab.carry import describe, prepare
    from reidlab.store import STORE

    root = resolve_data_root(args.data_root)
    if root is None:
        raise ReidlabError("a call's data comes from the real data: set REIDLAB_DATA_ROOT or pass --data-root")
    store = Path(args.store) if args.store else STORE
    if args.split:
        import tempfile

        from reidlab.carry import calls

        with tempfile.TemporaryDirectory() as scratch:
            for k, (items, names, size) in enumerate(calls(args.items, args.profile, str(root), store, Path(scratch)), 1):
                print(f"call {k}: ITEMS=\"{' '.join(items)}\"  ({', '.join(names)}: {size / 2**20:.0f} MiB of packs)")
        return
    sizes = prepare(args.items, args.profile, str(root), store, writable_folder(args.out, "--out"))
    print(describe(sizes))
    print(f"carried: {sum(sizes.values()) / 2**20:.1f} MiB in {args.out}")


def cmd_plan(args: argparse.Namespace) -> None:
    """Per item: trainings, stored / pending, pending images, predicted CPU and GPU time."""
    import pandas as pd

    from reidlab.cost import claims_summary, queue_note, rate, rounds_summary, summary, with_queue_hours
    from reidlab.store import store_for
    from reidlab.study import PROFILES, ROUNDS

    root = resolve_data_root(args.data_root)
    print(f"profile {PROFILES[args.profile].describe()}")
    print(f"data: {root if root else 'SYNTHETIC (set REIDLAB_DATA_ROOT for the real study)'}")
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 60):
        store = Path(args.store) if args.store else store_for(args.profile, root is not None)
        data = str(root) if root else None
        if args.claims:
            table = with_queue_hours(claims_summary(args.profile, data, store), store, data)
            table = table.assign(text=table.text.str.slice(0, 60), **{"verdict now": table["verdict now"].str.slice(0, 45)})
            print("each claim's next decision (rounds 1-2 of its variants; an inconclusive claim, the folds its verdict "
                  "estimates; a pre-registered claim, all its folds), cheapest first; a training two claims need counts in each:")
            print(table.to_string())
            print(f"\n{queue_note(store, data)}")
            return
        if args.round:
            print(f"round {args.round}: folds {', '.join(map(str, ROUNDS[args.round]))}")
        print(with_queue_hours(summary(args.profile, data, store, args.items or None, ROUNDS.get(args.round)), store, data))
        print("\nthe queue by round (reidlab study --round N):")
        print(with_queue_hours(rounds_summary(args.profile, data, store, args.items or None), store, data))
    print(f"\nCPU hours: one run alone on 2 cores at the benchmark's rate ({rate('CPU', 8)} images/s at 8 pairs/step, "
          f"{rate('CPU', 1)} at 1); {queue_note(store, data)}")


def cmd_replay(args: argparse.Namespace) -> None:
    """Retrain the first epochs of stored runs with this code; compare their logged losses."""
    from reidlab.replay import check

    store = Path(args.store) if args.store else STORE
    missing = [r for r in args.runs if not (store / r / "config.yaml").exists()]
    if missing:
        raise ReidlabError(f"not in the store {store}: {', '.join(missing)} (give run ids, e.g. e37b07cc1852)")
    table = check([store / r for r in args.runs], args.epochs, resolve_data_root(args.data_root))
    print(table.to_string(float_format=lambda x: f"{x:.1e}"))
    if args.out:
        table.to_csv(args.out)
        print(f"written: {args.out}")


def cmd_verify(args: argparse.Namespace) -> None:
    """Evaluate stored weights again on each run's split and compare with its metrics.json."""
    from reidlab import verify
    from reidlab.store import STORE

    store = Path(args.store) if args.store else STORE
    runs = verify.verifiable(store) if args.all else args.runs
    if not runs:
        raise ReidlabError("name runs to verify (run ids in the store, e.g. 859a864db81c) or give --all"
                           if not args.all else f"no run in {store} has stored weights to verify")
    _check_finished(store, runs)
    from tqdm import tqdm

    root = resolve_data_root(args.data_root)
    checks = []
    for r in tqdm(runs, desc="verify", unit="run"):  # each result as it comes: a long --all shows its way
        checks.append(verify.verify(store / r, str(root) if root else None))
        c = checks[-1]
        tqdm.write(f"{r}: rank-1 {c.stored['rank1']:.2f} -> {c.recomputed['rank1']:.2f}, "
                   f"largest difference {c.largest_difference:.3f}{'' if c.ok else '  NOT VERIFIED'}")
    table = verify.table(checks)
    print(table.to_string())
    failed = [c.run for c in checks if not c.ok]
    if failed:
        raise ReidlabError(f"{len(failed)} of {len(checks)} run(s) did not reproduce their metrics.json: "
                           f"{', '.join(failed)}")
    print(f"verified: {len(checks)} run(s) reproduce their stored metrics (within {verify.TOLERANCE} points)")


def _check_finished(store: Path, runs: list[str]) -> None:
    missing = [r for r in runs if not (store / r / "metrics.json").exists()]
    if missing:
        raise ReidlabError(f"no finished run {', '.join(missing)} in the store {store} (give run ids, e.g. 859a864db81c)")


def cmd_probe(args: argparse.Namespace) -> None:
    """The pose probe: a linear pose classifier on each run's frozen features, against chance."""
    import pandas as pd

    from reidlab.probe import pose_probe
    from reidlab.store import STORE

    store = Path(args.store) if args.store else STORE
    _check_finished(store, args.runs)
    root = resolve_data_root(args.data_root)
    probes = {r: pose_probe(store / r, str(root) if root else None).to_dict() for r in args.runs}
    print(pd.DataFrame.from_dict(probes, orient="index").to_string())


def cmd_book(args: argparse.Namespace) -> None:
    """Build the HTML book: with --from-results the real study's (no data, no training), else
    execute the notebooks (papermill) at --profile and build that edition."""
    from reidlab.book import build_html, execute_notebooks, real_edition, scratch_edition
    from reidlab.store import is_evidence
    from reidlab.study import PROFILES

    refuse_while_set_aside(STORE)
    if args.from_results:
        edition = real_edition()
        print(f"the real study's book, from {edition.pages}")
    else:
        root = resolve_data_root(args.data_root)
        print(f"profile {PROFILES[args.profile].describe()}")
        print(f"data: {root if root else 'SYNTHETIC (embedded default; set REIDLAB_DATA_ROOT for real data)'}")
        pages = execute_notebooks(args.profile, str(root) if root else None, args.jobs, args.items or None,
                                  execute_runs=not args.no_runs)
        print(f"pages: {pages}")
        real = root is not None
        edition = real_edition(pages) if is_evidence(args.profile, real) else scratch_edition(args.profile, real)
    if edition.evidence:  # the real study's pages: are they as new as its store?
        _say_stale(edition.pages)
    if args.no_html:
        return
    index = build_html(edition)
    print(f"book: {index}")
    if args.check:
        from reidlab.book import check_html

        rows = check_html(index.parent, screenshot_dir=Path(args.check))
        figures = sum(r["figures"] for r in rows)
        print(f"checked {len(rows)} pages in headless chromium, {figures} figures load; "
              f"screenshots in {args.check}")


def _say_stale(pages: Path) -> None:
    """Which real pages are older than results/store, and the command that rebuilds them."""
    from reidlab.book import page_profile, stale_pages

    stale = stale_pages(pages, pages.parent.parent / "store")  # results/book/pages: results/store
    by_profile: dict[str, list[str]] = {}
    for item, why in stale.items():
        print(f"stale page {item}: {why}")
        by_profile.setdefault(page_profile(pages, item), []).append(item)
    for profile, items in by_profile.items():
        print(f"rebuild from the store: reidlab book {' '.join(items)} --profile {profile} --no-runs --no-html "
              "--data-root DIR")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reidlab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help=cmd_prepare.__doc__)
    p.add_argument("--dataset", choices=list(DATASETS), help="default: viper with data, else synthetic")
    p.add_argument("--data-root", help="folder holding PETA/ and CUHK01/ (default: $REIDLAB_DATA_ROOT)")
    p.add_argument("--protocol", help="split protocol (default: the dataset's own)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--folds", type=int, default=10)
    p.add_argument("--out", help="parent folder (default: results/data for real data, else _build/scratch/data)")
    p.set_defaults(func=cmd_prepare)
    r = sub.add_parser("run", help=cmd_run.__doc__)
    r.add_argument("--config", help="YAML file of RunConfig keys (default: the paper's schedule)")
    r.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config key (repeatable)")
    r.add_argument("--data-root", help="folder holding PETA/ and CUHK01/ (default: $REIDLAB_DATA_ROOT)")
    r.add_argument("--out", default="runs", help="parent of the run directory")
    r.add_argument("--name", help="run directory name (default: DATASET-CONFIGHASH)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--snapshots", action="store_true",
                   help="also keep the weights of every checkpoint (checkpoints/epoch_NNNN.pt, ~4 MB each)")
    r.set_defaults(func=cmd_run)
    from reidlab.study import PROFILES, ROUNDS, trained_items

    st = sub.add_parser("study", help=cmd_study.__doc__)
    st.add_argument("items", nargs="*", metavar="ITEM",
                    help=f"paper items (default: all): {', '.join(trained_items())}")
    st.add_argument("--profile", choices=list(PROFILES), default="smoke")
    st.add_argument("--data-root", help="folder holding PETA/ and CUHK01/ (default: $REIDLAB_DATA_ROOT)")
    st.add_argument("--store", help="results store (default: results/store for real data at a real "
                    "profile, else the ignored _build/scratch/store)")
    st.add_argument("--jobs", type=int, default=1, help="runs at once (processes)")
    st.add_argument("--batch", type=int, default=0, metavar="N",
                    help="train up to N runs of equal shape as one batched model (GPU; see reidlab.batched)")
    st.add_argument("--variant", action="append", metavar="NAME",
                    help="run only this variant (repeatable; e.g. --variant Ours)")
    st.add_argument("--ship", metavar="DIR", help="send runs to DIR as they finish: tar parts that unpack on "
                    "their own into a store (a GPU call's $OUT; reidlab.shipping)")
    st.add_argument("--ship-last", action="store_true", help="with --ship: at the end, also the last.pt of "
                    "unfinished runs, to resume elsewhere")
    st.add_argument("--trainings-only", action="store_true", help="train, and leave the evaluation runs "
                    "(seconds each on a CPU) to a later study")
    st.add_argument("--skip-stored", metavar="FILE", help="identities listed in FILE count as stored (a GPU "
                    "call's lean tree carries this index, .gpu-data/stored.txt, not the store)")
    st.add_argument("--fold", action="append", type=int, metavar="K",
                    help="run only fold (or dev partition) K (repeatable; with --round, its folds too)")
    st.add_argument("--round", type=int, choices=list(ROUNDS), help="run only the folds of this round of the "
                    "queue (study.ROUNDS: 1 = fold 0, 2 = folds 1-2, 3 = the rest)")
    st.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    st.add_argument("--time-limit", type=float, metavar="MIN",
                    help="with --batch: stop after MIN minutes, checkpointed (run again to resume)")
    st.add_argument("--rehearse", action="store_true",
                    help="with --batch: one step and the evaluations of every group the study would form, "
                    "on --device (e.g. cpu, before a GPU call), in a scratch folder; nothing stored")
    st.add_argument("--executor", choices=["local", "ray"], default="local",
                    help="ray: each training a task of a Ray cluster, results written here (reidlab.cluster; "
                    "pip install 'reidlab[cluster]')")
    st.add_argument("--address", help="with --executor ray: the cluster's address (e.g. auto; default: "
                    "start a local one)")
    st.add_argument("--cpus-per-run", type=float, default=1, metavar="N", help="with --executor ray (default 1)")
    st.add_argument("--gpus-per-run", type=float, default=0, metavar="N", help="with --executor ray (default 0)")
    st.add_argument("--quiet", action="store_true")
    st.set_defaults(func=cmd_study)
    pl = sub.add_parser("plan", help=cmd_plan.__doc__)
    pl.add_argument("items", nargs="*", metavar="ITEM", help="only these items (default: all)")
    pl.add_argument("--profile", choices=list(PROFILES), default="paper")
    pl.add_argument("--data-root", help="folder holding PETA/ and CUHK01/ (default: $REIDLAB_DATA_ROOT)")
    pl.add_argument("--store", help="results store (default: as for study)")
    pl.add_argument("--round", type=int, choices=list(ROUNDS), help="the items' table for this round only")
    pl.add_argument("--claims", action="store_true", help="per claim instead: its verdict now, the pending "
                    "trainings its next decision needs and their hours, cheapest first")
    pl.set_defaults(func=cmd_plan)
    rp = sub.add_parser("replay", help=cmd_replay.__doc__)
    rp.add_argument("runs", nargs="+", metavar="RUN", help="run ids in the store")
    rp.add_argument("--epochs", type=int, default=1)
    rp.add_argument("--store", help="results store (default: results/store)")
    rp.add_argument("--data-root", help="folder holding PETA/ and CUHK01/ (default: $REIDLAB_DATA_ROOT)")
    rp.add_argument("--out", help="also write the table to this CSV file")
    rp.set_defaults(func=cmd_replay)
    pk = sub.add_parser("pack", help=cmd_pack.__doc__)
    pk.add_argument("datasets", nargs="+", metavar="DATASET")
    pk.add_argument("--out", required=True, help="folder for the packs (then set REIDLAB_PACKS to it)")
    pk.add_argument("--data-root", help="folder holding PETA/ and CUHK01/ (default: $REIDLAB_DATA_ROOT)")
    pk.set_defaults(func=cmd_pack)

    ca = sub.add_parser("carry", help=cmd_carry.__doc__)
    ca.add_argument("items", nargs="+", metavar="ITEM")
    ca.add_argument("--profile", choices=list(PROFILES), default="fast")
    ca.add_argument("--out", default=".gpu-data", help="the carried folder (default: .gpu-data)")
    ca.add_argument("--split", action="store_true", help="write nothing: the items split into calls that "
                    "each fit the 64 MiB a call carries, with their datasets")
    ca.add_argument("--store", help="results store (default: results/store)")
    ca.add_argument("--data-root", help="folder holding PETA/ and CUHK01/ (default: $REIDLAB_DATA_ROOT)")
    ca.set_defaults(func=cmd_carry)

    vf = sub.add_parser("verify", help=cmd_verify.__doc__)
    vf.add_argument("runs", nargs="*", metavar="RUN", help="run ids in the store")
    vf.add_argument("--all", action="store_true", help="every finished run whose weights are stored")
    vf.add_argument("--store", help="results store (default: results/store)")
    vf.add_argument("--data-root", help="folder holding PETA/ and CUHK01/ (default: $REIDLAB_DATA_ROOT)")
    vf.set_defaults(func=cmd_verify)

    pb = sub.add_parser("probe", help=cmd_probe.__doc__)
    pb.add_argument("runs", nargs="+", metavar="RUN", help="run ids in the store (VIPeR, with stored weights)")
    pb.add_argument("--store", help="results store (default: results/store)")
    pb.add_argument("--data-root", help="folder holding PETA/ and CUHK01/ (default: $REIDLAB_DATA_ROOT)")
    pb.set_defaults(func=cmd_probe)

    bk = sub.add_parser("book", help=cmd_book.__doc__)
    bk.add_argument("items", nargs="*", metavar="ITEM", help="only these items (default: all)")
    bk.add_argument("--profile", choices=list(PROFILES), default="smoke")
    bk.add_argument("--data-root", help="folder holding PETA/ and CUHK01/ (default: $REIDLAB_DATA_ROOT)")
    bk.add_argument("--jobs", type=int, default=1, help="runs at once within a notebook")
    bk.add_argument("--no-html", action="store_true", help="execute the notebooks only")
    bk.add_argument("--no-runs", action="store_true", help="train nothing: show only the runs already stored")
    bk.add_argument("--from-results", action="store_true", help="the real study's book from the pages "
                    "committed in results/book/pages: no data, no execution (make book)")
    bk.add_argument("--check", metavar="DIR", help="then open every page in headless chromium, check its "
                    "figures load, and save screenshots in DIR")
    bk.set_defaults(func=cmd_book)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except ReidlabError as exc:
        print(f"reidlab: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
