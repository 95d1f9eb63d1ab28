"""The index's 'where the study stands' and the real edition's banner, from a hand-made store."""

import json

import pandas as pd
import yaml

from reidlab import standing
from reidlab.study import plan


def _run(store, identity, dataset, profile, devices):
    folder = store / identity
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text("{}")
    (folder / "config.yaml").write_text(yaml.safe_dump({"dataset": dataset}))
    (folder / "profile.json").write_text(json.dumps({"profile": profile}))
    segments = [{"device": d} for d in devices]
    (folder / "provenance.json").write_text(json.dumps({"device": devices[-1], "segments": segments}))


def test_the_banner_says_what_the_stored_runs_are(tmp_path):
    store, book = tmp_path / "store", tmp_path / "book"
    _run(store, "a", "viper", "fast", ["NVIDIA H100 80GB HBM3", "cpu (x86_64, 1 threads, 2 cores)"])
    _run(store, "b", "ilids", "paper", ["not recorded"])
    (store / "c").mkdir()  # unfinished: no metrics.json
    (book / "claims").mkdir(parents=True)
    pd.DataFrame({"item": ["fig4", "fig5", "fig5"], "verdict": ["holds", "inconclusive (about 3 folds would "
                  "decide it)", "contradicted (lower than the paper)"]}).to_csv(book / "claims" / "table.csv")
    assert standing.banner(store, book) == (
        "The real study: every number comes from the 2 runs committed in results/ (real VIPeR and i-LIDS data; "
        "profile fast and paper; CPUs and H100 GPUs). 2 of 3 claims decided. Each page states its profile, "
        "folds and devices.")


def test_each_item_counts_its_own_trainings_stored(tmp_path):
    store, book = tmp_path / "store", tmp_path / "book"
    fig4 = [r for r in plan("fig4", "smoke") if r.config.epochs]
    _run(store, fig4[0].identity, "synthetic", "smoke", ["cpu"])
    table = standing.item_table(store, book, "smoke", real_data=False)
    assert table.loc["fig4"].tolist() == ["partial", f"1 of {len(fig4)}", "–"]  # no claims page built
    assert table.loc["table5", "status"] == "not run yet"
    for run in fig4[1:]:
        _run(store, run.identity, "synthetic", "smoke", ["cpu"])
    table = standing.item_table(store, book, "smoke", real_data=False)
    assert table.loc["fig4", "status"] == "complete"
    assert table.loc["table4", "trainings stored"].startswith("1 of")  # Table IV's "Ours" is Fig. 4's network
    lines = standing.markdown(store, book, "smoke", real_data=False).splitlines()
    complete = (table.status == "complete").sum()  # Fig. 4, and Table I (which reads Fig. 4's network)
    assert complete == 2 and lines[0].startswith(f"2 of {len(table)} items complete")
    assert lines[2] == "| item | status | trainings stored | claims decided |"
