"""Where the study stands, for the book's banner and index: what the store holds (runs, datasets,
profiles, devices) and, from an edition's own pages, how far each paper item and claim has come.

Both read only what is committed or built: the store's run folders, the manifest (``study.plan``),
and the verdicts the claims page wrote (``claims/table.csv``), so the index says what the pages say.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from reidlab.provenance import read_json
from reidlab.store import finished_runs


NAMES = {"viper": "VIPeR", "ilids": "i-LIDS", "3dpes": "3DPeS", "caviar": "CAVIAR4REID", "prid": "PRID",
         "grid": "GRID", "peta": "PETA", "cuhk01": "CUHK01"}


def _device(name: str) -> str | None:
    """'cpu (x86_64, 1 threads, 2 cores)' -> 'CPUs'; 'NVIDIA H100 80GB HBM3' -> 'H100'; unrecorded: None."""
    if name.startswith("cpu"):
        return "CPUs"
    return name.split()[1] if name.startswith("NVIDIA ") else None


def store_facts(store: Path) -> dict[str, list[str] | int]:
    """The finished runs of ``store``: how many, and the datasets, profiles and devices among them."""
    runs = finished_runs(store)
    datasets, profiles, devices = set(), set(), set()
    for run in runs:
        folder = store / run
        config = yaml.safe_load((folder / "config.yaml").read_text()) if (folder / "config.yaml").exists() else {}
        datasets |= {config[k] for k in ("dataset", "test_dataset") if config.get(k)}
        if (folder / "profile.json").exists():
            profiles.add(read_json(folder / "profile.json")["profile"])
        if (folder / "provenance.json").exists():
            record = read_json(folder / "provenance.json")
            devices |= {_device(s.get("device", "")) for s in [record, *record.get("segments", [])]}
    gpus = sorted(d for d in devices if d and d != "CPUs")
    return {"runs": len(runs), "datasets": sorted(NAMES.get(d, d) for d in datasets), "profiles": sorted(profiles),
            "devices": (["CPUs"] if "CPUs" in devices else []) + ([f"{_and(gpus)} GPUs"] if gpus else [])}


def _and(words: list[str]) -> str:
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words) or "none"


def banner(store: Path, book: Path) -> str:
    """The real edition's banner: what its numbers come from, and the claims decided so far."""
    facts = store_facts(store)
    claims = _claims(book)
    decided = "" if claims is None else (
        f" {_decided(claims)} of {len(claims)} claims decided.")
    return (f"The real study: every number comes from the {facts['runs']} runs committed in results/ (real "
            f"{_and(facts['datasets'])} data; profile {_and(facts['profiles'])}; {_and(facts['devices'])})."
            f"{decided} Each page states its profile, folds and devices.")


def _decided(claims: pd.DataFrame) -> int:
    """Claims that hold or are contradicted (not inconclusive, not pending)."""
    return int(claims.verdict.str.startswith(("holds", "contradicted")).sum())


def _claims(book: Path) -> pd.DataFrame | None:
    path = book / "claims" / "table.csv"
    return pd.read_csv(path) if path.exists() else None


def item_table(store: Path, book: Path, profile: str = "fast", real_data: bool = True) -> pd.DataFrame:
    """A row per item that trains: its trainings at ``profile`` stored of declared (a network two
    items share counts for both), its status, and its claims decided of stated (the claims page's)."""
    from reidlab.study import plan, trained_items

    claims = _claims(book)
    beyond = book / "claims" / "beyond.csv"  # the claims of the part beyond the paper
    if claims is not None and beyond.exists():
        claims = pd.concat([claims, pd.read_csv(beyond)])
    rows = []
    for item in trained_items() + trained_items("beyond"):
        trainings = [r for r in plan(item, profile, real_data) if r.config.epochs]
        done = sum((store / r.identity / "metrics.json").exists() for r in trainings)
        status = "complete" if done == len(trainings) else "partial" if done else "not run yet"
        mine = claims[claims["item"] == item] if claims is not None else pd.DataFrame(columns=["verdict"])
        rows.append({"item": item, "status": status, "trainings stored": f"{done} of {len(trainings)}",
                     "claims decided": f"{_decided(mine)} of {len(mine)}" if len(mine) else "–"})
    return pd.DataFrame(rows).set_index("item")


def markdown(store: Path, book: Path, profile: str = "fast", real_data: bool = True) -> str:
    """The index's "where the study stands": one line of totals, then the table by item."""
    table = item_table(store, book, profile, real_data)
    counts = table.status.value_counts()
    line = (f"{counts.get('complete', 0)} of {len(table)} items complete, {counts.get('partial', 0)} partial, "
            f"{counts.get('not run yet', 0)} not run yet; {store_facts(store)['runs']} runs stored.")
    claims = _claims(book)
    if claims is not None:
        from reidlab.verdicts import tally

        line += f" {tally(claims)}"
    header = "| item | status | trainings stored | claims decided |\n|---|---|---|---|\n"
    body = "".join(f"| {item} | {r.status} | {r['trainings stored']} | {r['claims decided']} |\n"
                   for item, r in table.iterrows())
    return f"{line}\n\n{header}{body}"
