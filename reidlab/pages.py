"""The book's pages: each kind of page as functions a notebook cell calls, one call per cell.

A page's notebook (``reidlab.notebooks`` writes them) opens the page (``open_page``: runs the
item's declared runs unless told not to, and reads them from the store), calls the functions its
item declares (``study.PaperItem.page``, by name), then ``close``: the files the page must write
are checked, and the runs it read are recorded beside them (``reads.json``: ``reidlab book`` says
when a page is older than the store). The tables and figures come from ``reidlab.report`` and
``reidlab.figures``; nothing here computes a number of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from reidlab import figures, report
from reidlab.paper import GALLERIES, table2_gallery, table6_beside_table7, table6_gallery, table7_others
from reidlab.schedule import run_item
from reidlab.store import READS, book_out_for, store_for
from reidlab.study import (CHOSEN, DEV_CHOICE, FLOOR_CANDIDATES, ITEMS,
                           PETA_GALLERY_HYPOTHESIS, item_folds, trained_items)
from reidlab.study import claims as declared_claims


@dataclass
class Page:
    """One page as its notebook was executed: the item, its parameters, where it reads and writes."""
    item: str
    profile: str
    data_root: str | None
    store: Path
    out: Path  # the page's tables and figures
    overrides: dict
    jobs: int = 1
    execute_runs: bool = True
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)  # the item's stored runs (``report.runs_frame``)

    @property
    def real(self) -> bool:
        return self.data_root is not None

    @property
    def title(self) -> str:
        return ITEMS[self.item].title

    @property
    def data(self) -> str:
        """What a VIPeR page's figure titles say it shows."""
        return "VIPeR" if self.real else "SYNTHETIC data"

    def runs(self, item: str | None = None) -> pd.DataFrame:
        """``item``'s (default: this page's) declared runs, trained first unless ``execute_runs`` is
        off, as stored."""
        item = item or self.item
        if self.execute_runs:
            run_item(item, self.profile, self.data_root, self.store, jobs=self.jobs, progress=False,
                     overrides=self.overrides)
        return report.runs_frame(item, self.profile, self.real, self.store, self.overrides)

    def figure(self, draw: Callable, name: str, caption: str, runs: pd.DataFrame | None = None) -> None:
        """Show ``draw()``'s figure (saved as ``name``) with its caption; with no stored runs
        (``runs``, default the page's), no figure: what would make it, its command and cost."""
        if (self.frame if runs is None else runs).empty:
            import matplotlib.pyplot as plt

            placeholder = figures.unavailable_figure()  # the page's files stay complete
            placeholder.savefig(self.out / name)
            plt.close(placeholder)
            from IPython.display import Markdown, display

            display(Markdown(self.not_run()))  # a paragraph: it wraps on a phone
        else:
            figures.show(draw(), self.out / name, caption)

    def not_run(self) -> str:
        from reidlab.cost import summary

        row = summary(self.profile, self.data_root, self.store, items=[self.item]).loc[self.item]
        data = " --data-root DIR" if self.real else ""
        lead = ("No run of this item is stored" if self.frame.empty
                else "The runs this figure needs are not all stored")  # e.g. an average over all pairs
        return (f"{lead} at profile {self.profile} yet, so no figure: `reidlab study "
                f"{self.item} --profile {self.profile}{data}` trains its {report.plural(row.pending, 'pending training')} (about "
                f"{row['CPU hours']:g} CPU hours on 2 cores, or {row['GPU minutes']:g} GPU minutes).")

    def save(self, table: pd.DataFrame, name: str, shown: pd.DataFrame | None = None) -> pd.DataFrame:
        """Write ``table`` to ``name`` beside the page's figures and show it (or ``shown``)."""
        from IPython.display import display

        table.to_csv(self.out / name)
        display(table if shown is None else shown)
        return table


def open_page(item: str, profile: str = "smoke", data_root: str | None = None, device: str = "auto",
              seed: int | None = None, jobs: int = 1, execute_runs: bool = True, store: str | None = None,
              output_dir: str | None = None) -> Page:
    """The page of ``item`` at these (papermill) parameters: its item's runs trained unless stored
    (or ``execute_runs`` is off) and read; prints the page's header (profile, folds, data, devices)."""
    real = data_root is not None
    overrides = {"device": device, **({} if seed is None else {"seed": seed})}
    out = (Path(output_dir) if output_dir else book_out_for(profile, real)) / item
    out.mkdir(parents=True, exist_ok=True)
    page = Page(item, profile, data_root, Path(store) if store else store_for(profile, real), out, overrides,
                jobs, execute_runs)
    pd.set_option("display.max_rows", 500)  # every row of a page's table, none elided
    pd.set_option("display.max_colwidth", 120)  # a verdict or a note whole (an HTML cell wraps it)
    if ITEMS[item].variants:
        page.frame = page.runs()
    print(report.profile_note(profile, real, item, page.frame if ITEMS[item].variants else None))
    return page


def close(page: Page) -> None:
    """Check that the page wrote what its item declares, and record the runs it read."""
    for name in ITEMS[page.item].files:
        assert (page.out / name).is_file(), f"{name} was not produced"
    READS.write(page.out / "reads.json", page.store)


# --- CMC pages: the table beside the paper's, and the curves ---------------------------------------

def cmc_table(page: Page) -> None:
    page.save(report.cmc_table(page.frame, page.item), "table.csv")  # "not run yet" where none is stored
    for line in report.same_networks(page.item, page.profile, page.real):  # the paper's own spread
        print(report.wrapped(line))


def cmc_figure(page: Page) -> None:
    paper = report.paper_frame(page.item)
    circles = paper is not None and bool(paper.select_dtypes("number").notna().any().any())
    what = "Mean CMC over the stored folds (lines)" + (" and the paper's tabulated points (circles)." if circles
                                                       else "; the paper gives no numbers to draw beside them.")
    page.figure(lambda: figures.plot_cmc(page.frame, paper, title=page.title), "cmc.png",
                figures.caption(page.item, page.frame, what))


def averaged_cmc_table(page: Page) -> None:
    """Table VI: the per-fold mean over the item's variants of each setting ("Average <setting>")."""
    page.frame = report.with_averages(page.frame, page.item)
    cmc_table(page)


def averaged_cmc_figure(page: Page) -> None:
    averages = page.frame[page.frame.variant.str.startswith("Average")]
    page.figure(lambda: figures.plot_cmc(averages, report.paper_frame(page.item), title=page.title), "cmc.png",
                figures.caption(page.item, averages, "The Average rows: mean CMC over the 12 ordered dataset "
                                "pairs and the stored folds (lines), and the paper's (circles); every pair is in "
                                "the table.", sorted(averages.variant.unique())), averages)


def gallery_check(page: Page) -> None:
    """Table VI's gap, examined: the paper against itself (Tables VI and VII), then VIPeR's
    networks under either gallery (item "table6-gallery")."""
    beside = page.save(table6_beside_table7(), "paper_vi_vii.csv")
    runs = page.runs("table6-gallery")
    page.save(report.cmc_table(runs, "table6-gallery"), "gallery.csv")
    reproduced, theirs = runs.groupby("variant").rank1.mean(), table6_gallery().rank1
    bars = report.gallery_bars(reproduced, theirs, beside)
    page.figure(lambda: figures.plot_rank1_bars(bars), "gallery.png",
                "**Figure.** Rank-1 of VIPeR's networks on three sets with several images per person: ours with "
                "one gallery image per test person and with all of a person's other images (mean over the stored "
                "folds), beside the paper's Table VI and, for the same pair, its Table VII (its own test count).",
                runs)
    for gallery in GALLERIES.values():
        pairs = [v for v in reproduced.index if v.endswith(f", {gallery}")]
        if pairs:
            signed = reproduced[pairs] - theirs[pairs]
            each = ", ".join(f"{v.rsplit(', ', 1)[0]} {d:+.1f}" for v, d in signed.items())
            print(report.wrapped(f"{gallery}: rank-1 minus Table VI's: {each}; mean absolute difference "
                                 f"{signed.abs().mean():.1f} points ({report.plural(len(pairs), 'variant')} stored)"))


def peta_gallery(page: Page) -> None:
    """Table II's PETA gap, examined: PETA networks of item "table2-gallery" under either gallery."""
    runs = page.runs("table2-gallery")
    print(report.wrapped(f"PETA's gallery, checked (item `table2-gallery`). {PETA_GALLERY_HYPOTHESIS}"))
    page.save(report.cmc_table(runs, "table2-gallery"), "gallery.csv")
    print(report.wrapped(report.gallery_hypothesis(runs, table2_gallery(), ITEMS["table2-gallery"].folds)))


def other_methods(page: Page) -> None:
    """Table VII's other methods, as the paper cites them (its claims compare with two of them)."""
    table = table7_others()
    print("The other methods of Table VII, as the paper cites them (it gives no rank 5 for them; "
          "DTRSVM: Ma et al. 2015, in the References; IDML and DML: both from the paper's ref. [61]):")
    page.save(table, "others.csv", report.dashes(table))


def schedule_check(page: Page) -> None:
    """Table VII's i-LIDS network at the paper's schedule beside its fast-schedule networks."""
    print("Does the fast schedule explain the gap? The i-LIDS network at the paper's schedule (rows "
          "'paper's schedule') beside its networks at the fast schedule, on the folds all of them have:")
    table = report.schedule_check(page.frame, page.item)
    page.save(table.round(1), "schedule_check.csv", report.dashes(table.round(1)))
    print(report.schedule_check_summary(table) if page.real else "Synthetic data: the check is shown, not read.")


def seed_sets(page: Page) -> None:
    """Table IV's headline from three seed sets, pre-registered (issue 28; item "replication")."""
    from reidlab import verdicts

    page.save(report.seed_sets(page.profile, page.real, page.store), "seed_sets.csv")
    headline = verdicts.claims(page.profile, page.real, page.store, items=["replication"]).iloc[0]
    print(report.wrapped(f"{headline.claim}: {headline.reproduced} (n = {headline.n}); equivalence: "
                         f"{headline.equivalence}; {headline.verdict}",
                         "On fold 0 the sets 'seed 0' and 'seed = fold' are one run (seed 0 = fold 0), so fold 0's "
                         "pooled number counts it twice, as pre-registered: fold 0 has two initialisations, "
                         "folds 1-9 three."))


# --- Fig. 4: training curves -------------------------------------------------------------------------

def curves(page: Page) -> None:
    page.figure(lambda: figures.plot_training_curves(page.frame, report.paper_frame(page.item),
                                                     title=f"{page.data} rank-1 by epoch"), "curves.png",
                figures.caption(page.item, page.frame, "Rank-1 of the centre crop during training, mean over the "
                                "stored folds: test split (solid), training split (dashed). Final rank-1 uses ten "
                                "crops."))


def final_table(page: Page) -> None:
    page.save(report.mean_sd_table(page.frame, ["rank1", "mAP"], list(ITEMS[page.item].variants)), "table.csv")


# --- Table I, Fig. 6: attributes ----------------------------------------------------------------------

def attributes(page: Page) -> None:
    table = page.save(report.attribute_table(page.frame), "table.csv")
    print(report.never_predicted(table))


def relative_auc_table(page: Page) -> None:
    page.save(report.relative_auc_table(page.frame, list(ITEMS[page.item].variants)), "table.csv")


def relative_auc_figure(page: Page) -> None:
    relative = report.relative_auc(page.frame)  # empty until an attribute shares a fold with "none"
    page.figure(lambda: figures.plot_relative_auc(relative), "auc.png",
                figures.caption(page.item, page.frame, "CMC area under the curve with verification and one "
                                "attribute, relative to verification alone (1.0: no change), each over the folds "
                                "it shares with verification alone."), page.frame.iloc[:0] if relative.empty else None)


# --- Figs. 9-10: analyses of Table IV's network --------------------------------------------------------

def _trained(page: Page):
    """Table IV's "Ours" network (fold 0), or None if not stored and runs are not executed."""
    from reidlab.schedule import trained_run

    run = trained_run("table4", "Ours", page.profile, page.data_root, page.store, page.overrides,
                      execute=page.execute_runs)
    if run is None:
        print(report.NOT_RUN)
    return run


def occlusion(page: Page) -> None:
    """Region importance by random occlusions (drawn from the analysed run's seed)."""
    from reidlab.analysis import mean_importance_map, occlusion_importance
    from reidlab.study import OCCLUSION_ITERATIONS

    run = _trained(page)
    if run is not None:
        occ = occlusion_importance(run.model.features, run.test_images, run.test_data, run.eval_set,
                                   iterations=OCCLUSION_ITERATIONS[page.profile], seed=run.cfg.seed, progress=False)
        print(f"baseline rank-1 {occ.baseline_rank1:.1f}%, {len(occ.rank1)} occlusions, "
              f"rank-1 under occlusion {occ.rank1.mean():.1f}% on average")
    fig = figures.unavailable_figure() if run is None else figures.plot_occlusion(
        run.test_data.images[run.eval_set.query[0]], occ.heatmap, mean_importance_map(occ))
    figures.show(fig, page.out / "heatmap.png", figures.analysis_caption(
        page.item, "Region importance: per pixel, the summed rank-1 loss of the random occlusions covering it "
        "(red: important), for Table IV's network (*Ours*, fold 0), beside a test image; right, the same "
        "divided by how many occlusions cover the pixel. Rectangles kept inside the image cover its centre "
        "far more often than its border, so the paper's sum peaks at the centre even for a network that "
        "weighs every pixel alike; the mean per covering occlusion does not."))


def activations(page: Page) -> None:
    """The images that excite 8 random final-layer neurons most and least."""
    from reidlab.analysis import activation_images
    from reidlab.evaluate import extract_features
    from reidlab.transforms import centre_crop, to_float

    run = _trained(page)
    if run is None:
        fig = figures.unavailable_figure()
    else:
        acts = extract_features(run.model.features, run.test_images[:], "centre")[0]
        rgb = centre_crop(to_float(run.test_data.images)).permute(0, 2, 3, 1)
        fig = figures.plot_activation_images(*activation_images(acts, rgb), seed=run.cfg.seed)
    figures.show(fig, page.out / "activations.png", figures.analysis_caption(
        page.item, "For 8 random final-layer neurons of Table IV's network (*Ours*, fold 0): the softmax-weighted "
        "mean of the test images that excite it most (top) and least (bottom), minus the mean image."))


# --- The study's own pages ----------------------------------------------------------------------------

def datasets(page: Page) -> None:
    """What each dataset holds, and 16 random persons of each, two images each."""
    from reidlab.data import load_dataset
    from reidlab.viz import contact_sheet

    table = page.save(report.dataset_table(page.data_root), "table.csv")
    for name in table.index:
        sheet = contact_sheet(load_dataset(name, page.data_root), page.out / f"{name}.png")
        figures.show_image(sheet, f"**{name}**: 16 random persons, two images each (person id, camera).")


VERDICT_COLUMNS = ["claim", "verdict", "reproduced", "n", "paper"]  # what a page shows first
TEST_COLUMNS = ["claim", "tested", "p", "equivalence"]  # how each verdict was reached


def claims(page: Page) -> None:
    """The paper's claims, then those of the part "Beyond the paper" (declared before their runs):
    each as its verdicts, then the tests behind them (two tables narrow enough for a phone)."""
    from IPython.display import Markdown, display

    for items, name, lead in ((trained_items("paper"), "table.csv", None),
                              (trained_items("beyond"), "beyond.csv", "**Beyond the paper**: the paper's own "
                               "conjectures (Sec. VI), tested with claims declared before their runs.")):
        if lead:
            display(Markdown(lead))
        table = _claims(page, items, name, VERDICT_COLUMNS)
        display(Markdown("How each verdict was reached: the rule tested, the paired t-test's p and, for a "
                         "*matches* or *reaches* claim, the equivalence test."))
        display(table[TEST_COLUMNS].style.hide(axis="index"))


def _claims(page: Page, items: list[str], name: str, shown: list[str] | None = None) -> pd.DataFrame:
    """The verdicts on the claims of ``items``, with their tally, saved as ``name`` (its ``shown``
    columns displayed, default all)."""
    from IPython.display import display

    from reidlab import verdicts

    table = verdicts.claims(page.profile, page.real, page.store, items)
    table.to_csv(page.out / name)
    print(verdicts.tally(table))
    columns = shown or [c for c in table.columns if c != "item"]  # the claim names its figure or table
    caveats = {c.text: c.caveat for item, c in declared_claims() if item in items and c.caveat}
    marks = {caveat: "*" * (i + 1) for i, caveat in enumerate(dict.fromkeys(caveats.values()))}
    shown_table = table.assign(verdict=[v + (f" ({marks[caveats[c]]} note)" if c in caveats else "")
                                        for c, v in zip(table.claim, table.verdict)])
    display(shown_table[columns].style.hide(axis="index"))
    for caveat, mark in marks.items():  # each note once, under the table
        named = "; ".join(c for c, said in caveats.items() if said == caveat)
        print(report.wrapped(f"{mark} {named}: {caveat}."))
    return table


def schedule_table(page: Page) -> None:
    table = report.schedule_table(page.frame)
    page.save(table, "table.csv", table.T)  # a column per schedule: narrow enough to read without scrolling


def schedule_figure(page: Page) -> None:
    page.figure(lambda: figures.plot_cmc(page.frame, title=f"{page.data} CMC by training schedule"), "cmc.png",
                figures.caption(page.item, page.frame, "Mean CMC per training schedule over the stored folds "
                                "(recipe v1)."))


def revalidation(page: Page) -> None:
    """The schedules again under the default recipe (Table IV "Ours")."""
    again = report.revalidation(page.store, page.real)
    page.save(again, "revalidation.csv", again.T)


def precision(page: Page) -> None:
    """fp32 against bf16 (bf16: a GPU's)."""
    table = report.schedule_table(page.runs("precision"), "fp32", declared=list(ITEMS["precision"].variants))
    page.save(table, "precision.csv", table.T)


def epoch_pairs(page: Page) -> None:
    """What an epoch is, per dataset, and the epoch composition the default follows."""
    from reidlab.cost import pairs_table

    page.save(pairs_table(page.data_root), "pairs_per_epoch.csv")  # fold 0's training split
    epochs, _ = _dev_table(page, "epoch-pairs", "epoch_pairs.csv")
    print(report.better_beyond_noise(epochs, *ITEMS["epoch-pairs"].variants))  # the rule the default follows


def fine_tuning_folds(page: Page) -> None:
    """Table V fold by fold: from scratch and fine-tuned at either rate, on the same folds."""
    table = report.fine_tuning_by_fold(page.frame)
    page.save(table, "folds.csv", report.dashes(table))
    print(report.fine_tuning_summary(table))


def finetune_rate(page: Page) -> None:
    """Table V's fine-tuning rate, chosen on the dev partitions (item "finetune-rate")."""
    runs, declared = _dev_table(page, "finetune-rate", "finetune_rate.csv")
    if len(runs) < declared:  # the declared rule decides on every (dataset, partition) pair, not before
        print(f"{len(runs)} of {declared} dev runs stored: undecided; the rule decides when all are.")
    else:
        print(report.better_beyond_noise(report.pooled_over_datasets(runs), "fast rate", "paper's rate"))


def _dev_table(page: Page, item: str, name: str) -> tuple[pd.DataFrame, int]:
    """A dev item's runs, their mean ± sd per variant (saved as ``name``) and how many it declares."""
    runs = page.runs(item)
    page.save(report.mean_sd_table(runs, ["rank1", "rank10", "mAP"], list(ITEMS[item].variants)), name)
    return runs, len(ITEMS[item].variants) * item_folds(item, page.profile)


def initialisation(page: Page) -> None:
    """The same fold from two seeds (fast schedule)."""
    seeds = report.initialisation(page.store, page.real)
    page.save(seeds, "initialisation.csv", seeds.T)


def provenance(page: Page) -> None:
    """Every stored run by provenance class, and the runs trained on more than one device."""
    runs = report.provenance_runs(page.store, page.real)
    runs.to_csv(page.out / "provenance_runs.csv")
    print("; ".join(f"{c}: {n} runs" for c, n in runs["class"].value_counts().items()))
    page.save(report.provenance_table(page.store, page.real), "provenance.csv")  # a row per note, per outside run
    page.save(report.device_segments(page.store), "device_segments.csv")


def plan(page: Page) -> None:
    """``reidlab plan``: what the study still has to train, at the profile its item pages use."""
    from reidlab.cost import summary

    book = page.profile if page.profile in ("smoke", "quick") else "fast"
    left = summary(book, page.data_root, store_for(book, page.real))
    print(f"the study at profile {book}: {left.loc['total', 'stored']} trainings stored, "
          f"{left.loc['total', 'pending']} pending")
    page.save(left, "plan.csv")


# --- Fidelity: the recipe's details measured on the dev partitions -------------------------------------

def fidelity_details(page: Page) -> None:
    """What each source of a detail does, then what each detail measured."""
    from IPython.display import display

    from reidlab import fidelity

    page.frame = pd.concat([page.frame, page.runs("fidelity-attribution")])
    details = fidelity.detail_table(page.frame)
    details.to_csv(page.out / "details.csv")
    effects = [c for c in details.columns if ": rank-1 / mAP" in c]
    display(details.drop(columns=effects))
    display(details[effects])


def fidelity_recipes(page: Page) -> None:
    from reidlab import fidelity

    page.save(fidelity.recipe_table(page.frame), "recipes.csv")
    if not page.frame.empty:
        print("highest mean dev rank-1:", fidelity.best_variant(page.frame))


def fidelity_effects(page: Page) -> None:
    from reidlab import fidelity

    figures.show(fidelity.plot_effects(page.frame), page.out / "effects.png")


def fidelity_test_folds(page: Page) -> None:
    from reidlab import fidelity

    page.save(fidelity.test_folds(page.store, page.real), "test_folds.csv")


# --- Beyond the paper: the knob chosen on dev data, the claims, the probe, the conjecture -------------

def dev_choice(page: Page) -> None:
    """The item's knob on the dev partitions, the rule's pick and the choice committed (``study.CHOSEN``)."""
    dev, knob = DEV_CHOICE[page.item]
    (runs, declared), variants = _dev_table(page, dev, "dev.csv"), ITEMS[dev].variants
    candidates = [v for v, values in variants.items() if knob in values]
    best = report.best_on_dev(runs, candidates, item_folds(dev, page.profile))
    chosen = CHOSEN[knob]
    if best is None:
        print(f"{len(runs)} of {declared} dev runs stored: the rule has not "
              f"chosen {knob} yet, and the variants that take it wait.")
        return
    pick = variants[best][knob]
    print(f"The rule picks {best} ({knob} = {pick:g}). " + (
        f"Committed: {knob} = {chosen:g}." if chosen == pick else
        f"Not committed yet: set study.CHOSEN['{knob}'] = {pick:g} and commit before the test folds run."
        if chosen is None else f"Committed {knob} = {chosen:g}, NOT the rule's pick."))


def item_claims(page: Page) -> None:
    """This item's claims, declared before its runs, and their verdicts (narrower than the claims
    page: its test, p and equivalence columns are in claims.csv and on that page)."""
    _claims(page, [page.item], "claims.csv", VERDICT_COLUMNS)


def pose_probes(page: Page) -> None:
    """How much pose the features still carry (a linear probe on the frozen network, ``probe``)."""
    table = report.pose_probe_table(page.frame, page.store, page.data_root, list(ITEMS[page.item].variants))
    page.save(table, "probes.csv")


def label_sets(page: Page) -> None:
    """The attribute sets compared, counted on each dataset."""
    page.save(report.label_sets_table(page.data_root, FLOOR_CANDIDATES), "label_sets.csv")


def conjecture(page: Page) -> None:
    """The paper's conjecture, and what its first claim's verdict says of it, in a sentence."""
    from reidlab import verdicts

    claim = verdicts.claims(page.profile, page.real, page.store, [page.item]).iloc[0]
    verdict = verdicts.verdict_word(claim.verdict)
    said = {"holds": "supported here", "contradicted": "contradicted here",
            "inconclusive": "not decided yet: the difference stays within the noise of the folds stored",
            "pending": "not tested yet: the runs it needs are not stored"}.get(verdict, verdict)
    evidence = f" (rank-1 {claim.reproduced} over {claim.n} folds)" if claim.n else ""
    print(f"The paper: {ITEMS[page.item].paper_says}.\nThe conjecture is {said}{evidence}: {claim.claim}.")
