"""The book's pages as notebooks: the cells every page shares, the cells of each kind of page, and
the writers of ``notebooks/NN_<item>.ipynb`` and ``_toc.yml`` from the study's manifest
(``study.ITEMS``; ``python notebooks/_generate.py`` writes them, a test checks they are current).

Notebooks hold no logic of their own: a ``parameters`` cell (papermill), a call that runs the
item's declared runs (skipping stored ones), and calls to ``reidlab.report`` for the tables and
figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:  # nbformat is a book dependency; a GPU machine that only trains lacks it
    import nbformat as nbf

PARAMETERS = '''import os

profile = "smoke"   # smoke (seconds) | quick (CPU-affordable) | fast (the fast schedule) | paper (the paper's)
data_root = os.environ.get("REIDLAB_DATA_ROOT") or None  # folder holding PETA/ and CUHK01/ (None: synthetic)
device = "auto"     # auto | cpu | cuda
seed = None         # None: as declared (seed = fold on the test folds, 0 on dev partitions); an int pins every run
jobs = 1            # runs at once
execute_runs = True # False: only read the runs already stored (build the book from results)
store = None        # results store (default: results/store for real data, else _build/scratch/store)
output_dir = None   # where tables and figures go (default: results/book for real data, else _build/scratch/book)'''

SETUP = '''from pathlib import Path

import pandas as pd
from IPython.display import display

from reidlab import figures, report
from reidlab.schedule import run_item
from reidlab.store import book_out_for, store_for
from reidlab.study import ITEMS

ITEM, TITLE = {item!r}, {title!r}
real = data_root is not None
DATA = "VIPeR" if real else "SYNTHETIC data"  # what a VIPeR page's figure titles say it shows
overrides = {{"device": device, **({{}} if seed is None else {{"seed": seed}})}}
store = Path(store) if store else store_for(profile, real)  # synthetic/smoke: never results/
out = (Path(output_dir) if output_dir else book_out_for(profile, real)) / ITEM
out.mkdir(parents=True, exist_ok=True)
pd.set_option("display.max_rows", 500)  # every row of a page's table, none elided
{run}
print(report.profile_note(profile, real, ITEM, locals().get("frame")))'''

RUN = '''if execute_runs:
    run_item(ITEM, profile, data_root, store, jobs=jobs, progress=False, overrides=overrides)
frame = report.runs_frame(ITEM, profile, real, store, overrides)'''

CHECK = '''for name in {files}:
    assert (out / name).is_file(), f"{{name}} was not produced"
from reidlab.store import READS

READS.write(out / "reads.json", store)  # the runs this page read: `reidlab book` says when it is stale'''

# a page of CMC numbers: the table beside the paper's, and the curves
CMC = ('''paper = report.paper_frame(ITEM)
table = report.cmc_table(frame, ITEM)  # every declared variant; "not run yet" where none is stored
table.to_csv(out / "table.csv")
display(table)''',
       '''figures.show(figures.plot_cmc(frame, paper, title=TITLE), out / "cmc.png", figures.caption(
    ITEM, frame, "Mean CMC over the stored folds (lines) and the paper's tabulated points (circles)."))''')

# Table IV's headline from three seed sets, pre-registered (issue 28; item "replication")
SEED_SETS = ('''from reidlab import verdicts

seeds = report.seed_sets(profile, real, store)  # each set, and their per-fold mean: the headline
seeds.to_csv(out / "seed_sets.csv")
display(seeds)
headline = verdicts.claims(profile, real, store, items=["replication"]).iloc[0]
print(f"{headline.claim}: {headline.reproduced} (n = {headline.n}); equivalence: {headline.equivalence}; "
      f"{headline.verdict}")''',)

# the same, with the per-fold mean over an item's variants of each setting ("Average <setting>")
CMC_AVERAGED = ("frame = report.with_averages(frame, ITEM)", CMC[0],
                '''averages = frame[frame.variant.str.startswith("Average")]
figures.show(figures.plot_cmc(averages, paper, title=TITLE), out / "cmc.png", figures.caption(
    ITEM, averages, "The Average rows: mean CMC over the 12 ordered dataset pairs and the stored folds "
    "(lines), and the paper's (circles); every pair is in the table.", sorted(averages.variant.unique())))''')

CURVES = ('''paper = report.paper_frame(ITEM)  # the level the paper's text states
figures.show(figures.plot_training_curves(frame, paper, title=f"{DATA} rank-1 by epoch"), out / "curves.png",
             figures.caption(ITEM, frame, "Rank-1 of the centre crop during training, mean over the stored "
                             "folds: test split (solid), training split (dashed). Final rank-1 uses ten crops."))''',
          '''final = report.mean_sd_table(frame, ["rank1", "mAP"], list(ITEMS[ITEM].variants))
final.to_csv(out / "table.csv")
display(final)''')

ATTRIBUTES = ('''table = report.attribute_table(frame)
table.to_csv(out / "table.csv")
display(table)
print(report.never_predicted(table))''',)

RELATIVE_AUC = ('''table = report.relative_auc_table(frame, list(ITEMS[ITEM].variants))
table.to_csv(out / "table.csv")
display(table)''',
                '''figures.show(figures.plot_relative_auc(report.relative_auc(frame)), out / "auc.png", figures.caption(
    ITEM, frame, "CMC area under the curve with verification and one attribute, relative to verification alone "
    "(1.0: no change), each over the folds it shares with verification alone."))''')

_TRAINED = '''from reidlab.schedule import trained_run

# the trained network of Table IV's "Ours" (fold 0); None if not stored and runs are not executed
run = trained_run("table4", "Ours", profile, data_root, store, overrides, execute=execute_runs)
# the analyses below draw their random choices from this run's seed
if run is None:
    print(report.NOT_RUN)'''

OCCLUSION = (_TRAINED + '''
else:
    from reidlab.analysis import occlusion_importance
    from reidlab.study import OCCLUSION_ITERATIONS

    occ = occlusion_importance(run.model.features, run.test_images, run.test_data, run.eval_set,
                               iterations=OCCLUSION_ITERATIONS[profile], seed=run.cfg.seed, progress=False)
    print(f"baseline rank-1 {occ.baseline_rank1:.1f}%, {len(occ.rank1)} occlusions, "
          f"rank-1 under occlusion {occ.rank1.mean():.1f}% on average")''',
             '''fig = figures.unavailable_figure() if run is None else figures.plot_occlusion(
    run.test_data.images[run.eval_set.query[0]], occ.heatmap)
figures.show(fig, out / "heatmap.png", figures.analysis_caption(
    ITEM, "Region importance: per pixel, the summed rank-1 loss of the random occlusions covering it "
    "(red: important), for Table IV's network (*Ours*, fold 0), beside a test image."))''')

ACTIVATIONS = (_TRAINED + '''
else:
    from reidlab.analysis import activation_images
    from reidlab.evaluate import extract_features
    from reidlab.transforms import centre_crop, to_float

    acts = extract_features(run.model.features, run.test_images, "centre")[0]
    rgb = centre_crop(to_float(run.test_data.images)).permute(0, 2, 3, 1)
    pos, neg = activation_images(acts, rgb)''',
               '''fig = figures.unavailable_figure() if run is None else figures.plot_activation_images(pos, neg, seed=run.cfg.seed)
figures.show(fig, out / "activations.png", figures.analysis_caption(
    ITEM, "For 8 random final-layer neurons of Table IV's network (*Ours*, fold 0): the softmax-weighted "
    "mean of the test images that excite it most (top) and least (bottom), minus the mean image."))''')

DATASETS = ('''table = report.dataset_table(data_root)
table.to_csv(out / "table.csv")
display(table)''',
            '''from reidlab.data import load_dataset
from reidlab.viz import contact_sheet

for name in table.index:  # what each dataset looks like: 16 random persons, two images each
    sheet = contact_sheet(load_dataset(name, data_root), out / f"{name}.png")
    figures.show_image(sheet, f"**{name}**: 16 random persons, two images each (person id, camera).")''')

CLAIMS = ('''from reidlab import verdicts

table = verdicts.claims(profile, real, store)
table.to_csv(out / "table.csv")
print(verdicts.tally(table))
display(table.drop(columns="item").style.hide(axis="index"))  # the claim names its figure or table''',)

SCHEDULES = ('''table = report.schedule_table(frame)
table.to_csv(out / "table.csv")
display(table.T)  # a column per schedule: narrow enough to read without scrolling''',
             '''figures.show(figures.plot_cmc(frame, title=f"{DATA} CMC by training schedule"), out / "cmc.png",
             figures.caption(ITEM, frame, "Mean CMC per training schedule over the stored folds (recipe v1)."))''',
             '''again = report.revalidation(store, real)  # under the default recipe (Table IV "Ours")
again.to_csv(out / "revalidation.csv")
display(again.T)''',
             '''if execute_runs:
    run_item("precision", profile, data_root, store, jobs=jobs, progress=False, overrides=overrides)
precision = report.schedule_table(report.runs_frame("precision", profile, real, store, overrides), "fp32",
                                  declared=list(ITEMS["precision"].variants))  # bf16: a GPU's
precision.to_csv(out / "precision.csv")
display(precision.T)''',
             '''from reidlab.schedule import pairs_table

pairs = pairs_table(data_root)  # what an epoch is, per dataset (fold 0's training split)
pairs.to_csv(out / "pairs_per_epoch.csv")
display(pairs)
if execute_runs:
    run_item("epoch-pairs", profile, data_root, store, jobs=jobs, progress=False, overrides=overrides)
epochs = report.runs_frame("epoch-pairs", profile, real, store, overrides)
composition = report.mean_sd_table(epochs, ["rank1", "rank10", "mAP"], list(ITEMS["epoch-pairs"].variants))
composition.to_csv(out / "epoch_pairs.csv")
display(composition)
print(report.better_beyond_noise(epochs, *ITEMS["epoch-pairs"].variants))  # the rule the default follows''',
             '''seeds = report.initialisation(store, real)  # the same fold from two seeds (fast schedule)
seeds.to_csv(out / "initialisation.csv")
display(seeds.T)''',
             '''runs = report.provenance_runs(store, real)  # every stored run: its provenance class, commits, notes, replay
runs.to_csv(out / "provenance_runs.csv")
print("; ".join(f"{c}: {n} runs" for c, n in runs["class"].value_counts().items()))
provenance = report.provenance_table(store, real)  # by class: a row per note entered by hand, per run outside
provenance.to_csv(out / "provenance.csv")
display(provenance)
segments = report.device_segments(store)  # runs whose epochs trained on more than one device
segments.to_csv(out / "device_segments.csv")
display(segments)''',
             '''from reidlab.schedule import summary

book = profile if profile in ("smoke", "quick") else "fast"  # the profile the item pages are built with
left = summary(book, data_root, store_for(book, real))  # `reidlab plan`: what the study still has to train
left.to_csv(out / "plan.csv")
print(f"the study at profile {book}: {left.loc['total', 'stored']} trainings stored, "
      f"{left.loc['total', 'pending']} pending")
display(left)''')

FIDELITY = ('''from reidlab import fidelity

if execute_runs:
    run_item("fidelity-attribution", profile, data_root, store, jobs=jobs, progress=False, overrides=overrides)
frame = pd.concat([frame, report.runs_frame("fidelity-attribution", profile, real, store, overrides)])
details = fidelity.detail_table(frame)
details.to_csv(out / "details.csv")
effects = [c for c in details.columns if ": rank-1 / mAP" in c]
display(details.drop(columns=effects))  # what each source does, then what each detail measured
display(details[effects])''',
            '''recipes = fidelity.recipe_table(frame)
recipes.to_csv(out / "recipes.csv")
display(recipes)
if not frame.empty:
    print("highest mean dev rank-1:", fidelity.best_variant(frame))''',
            '''figures.show(fidelity.plot_effects(frame), out / "effects.png")''',
            '''tests = fidelity.test_folds(store, real)
tests.to_csv(out / "test_folds.csv")
display(tests)''')


def notebook(name: str, item) -> nbf.NotebookNode:
    """The notebook of paper item ``name`` (a ``study.PaperItem``)."""
    import nbformat as nbf

    nb = nbf.v4.new_notebook()
    params = nbf.v4.new_code_cell(PARAMETERS)
    # the book shows the parameters papermill injected (what the page was built with), not these defaults
    params.metadata["tags"] = ["parameters", "remove-cell"]
    setup = SETUP.format(item=name, title=item.title, run=RUN if item.variants else "")
    cells = [nbf.v4.new_markdown_cell(f"# {item.title}\n\n{item.text}"), params, nbf.v4.new_code_cell(setup)]
    cells += [nbf.v4.new_code_cell(code) for code in item.page]
    cells.append(nbf.v4.new_code_cell(CHECK.format(files=list(item.files))))
    for cell in cells[2:]:  # the book shows results first; code stays one click away
        cell.metadata.setdefault("tags", []).append("hide-input")
    for k, cell in enumerate(cells):
        cell.id = f"{name}-{k}"  # stable ids: regenerating changes only what changed
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def notebook_names(items: dict) -> dict[str, str]:
    """item -> notebook file stem, numbered in the manifest's order (items with a page only)."""
    pages = [name for name, item in items.items() if item.page]
    return {name: f"{k:02d}_{name}" for k, name in enumerate(pages, 1)}


def toc(items: dict, study_part: list[str]) -> str:
    """``_toc.yml``: the study's part (``study_part``: item names and ``book/*`` pages, in order),
    then every other item with a page, in the manifest's order."""
    stems = notebook_names(items)
    entry = lambda n: {"file": f"book/executed/{stems[n]}" if n in stems else n}  # noqa: E731
    others = [n for n in stems if n not in study_part]
    parts = [{"caption": "The study", "chapters": [entry(n) for n in study_part]},
             {"caption": "Paper items", "chapters": [entry(n) for n in others]}]
    head = "# written by notebooks/_generate.py from reidlab.study.ITEMS: edit those, not this\n"
    return head + yaml.safe_dump({"format": "jb-book", "root": "book/intro", "parts": parts}, sort_keys=False)
