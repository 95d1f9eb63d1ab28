"""The numbers the hand-written book pages (``book/*.md``) quote from the study's results, each with
the code that computes it from the committed store or a benchmark table: ``stale_quotes`` lists
every quote a page no longer shows as the results give it, and a test fails on any, so the prose
cannot silently fall behind the runs. The paper's numbers and the configuration's are not quoted
here: a run landing does not move them.

A quote is a fragment as its page reads it (whitespace and the typographic minus normalised);
its ``compute`` rebuilds the fragment from the results, so the code behind each number is here,
and a moved number shows as "the page says X, the results give Y"."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import pandas as pd

from reidlab import report
from reidlab.paper import PAPERS_RATE_LABEL, PAPERS_SCHEDULE_LABEL
from reidlab.study import CROSS_VALIDATED, FAST_SCHEDULE, ITEMS, MARGIN, POOLED, claims
from reidlab.verdicts import Effect, verdict_word

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "results" / "store"  # the study's evidence, which the prose discusses ($REIDLAB_STORE aside)
PROFILE = "fast"  # the profile of the real study's pages, which the prose discusses
DATASETS = {"ilids": "i-LIDS", "caviar": "CAVIAR", "3dpes": "3DPeS"}  # Table V's, in its order
FAST150 = "fast (8 pairs/step, lr x8, 150 epochs)"  # the benchmarks' row of the 150-epoch candidate
PAPER_SCHEDULE = "paper schedule"  # item schedules' variant
VIPER_TO = ("viper->ilids entropy", "viper->3dpes entropy", "viper->caviar entropy")  # Table VI's VIPeR networks
HEADLINE, ILIDS, CUHK01 = f"Ours, {POOLED}", "ilids->viper", "cuhk01->viper"  # the claims' sides (``claim_of``)


class Results:
    """The committed results the quotes read, each table computed once."""

    def __init__(self, store: Path = COMMITTED, repo: Path = REPO):
        self.store, self.repo = store, repo

    @lru_cache(maxsize=None)
    def frame(self, item: str) -> pd.DataFrame:
        return report.runs_frame(item, PROFILE, True, self.store)

    def folds(self, item: str, variant: str) -> pd.DataFrame:
        f = self.frame(item)
        return f[f.variant == variant].set_index("fold").sort_index()

    def rank1(self, item: str, variant: str) -> pd.Series:
        return self.folds(item, variant).rank1

    def last_loss(self, item: str, variant: str, fold: int, term: str = "identity") -> float:
        return self.folds(item, variant).metrics[fold]["history"]["epochs"][-1][term]

    @lru_cache(maxsize=None)
    def claim(self, item: str, side: str) -> pd.Series:
        """The claims page's row of ``item``'s claim about variant ``side`` (its ``a``)."""
        from reidlab import verdicts

        return verdicts.claims(PROFILE, True, self.store, [item]).set_index("claim").loc[claim_of(item, side).text]

    @cached_property
    def seed_sets(self) -> pd.DataFrame:
        return report.seed_sets(PROFILE, True, self.store)

    @cached_property
    def schedules(self) -> pd.DataFrame:
        return report.schedule_table(self.frame("schedules"))

    @cached_property
    def fine_tuning(self) -> pd.DataFrame:
        return report.fine_tuning_by_fold(self.frame("table5"))

    @cached_property
    def segments(self) -> pd.DataFrame:
        return report.device_segments(self.store).reset_index()

    def rate(self, table: str, row: str) -> int:
        from reidlab.cost import measured_rate

        return measured_rate(self.repo / "results" / "benchmarks" / table, row)


def claim_of(item: str, side: str):
    """The declared claim of ``item`` about variant ``side``: quotes find claims by their sides, not their words."""
    return next(c for name, c in claims() if name == item and c.a == side)


def claimed_number(item: str, side: str) -> float:
    """The number a claim compares ``side`` with (the paper's, or another method's)."""
    return float(claim_of(item, side).b)


def mean_sd(values: pd.Series) -> str:
    return f"{values.mean():.1f} ± {values.std(ddof=1):.1f}"


def effect(e: Effect) -> str:
    """A ``verdicts.Effect`` as the pages write it: mean [95% interval], signed."""
    return f"{e.mean:+.1f} [{e.low:+.1f}, {e.high:+.1f}]"


def span(values: Iterable[float]) -> str:
    """A range, ``low-high`` to one decimal."""
    values = list(values)
    return f"{min(values):.1f}-{max(values):.1f}"


def against(r: Results, item: str, variant: str, number: float) -> Effect:
    from reidlab.verdicts import paired_effect

    return paired_effect(r.rank1(item, variant), number)


@dataclass(frozen=True)
class Quote:
    page: str                            # a page of book/ ("methods.md"), or "item:NAME" (``page_text``)
    text: str                            # the fragment as the page reads it
    compute: Callable[[Results], str]    # the fragment, rebuilt from the results


# --- methods.md: the table of deviations ---

def momentum_explodes(r: Results) -> str:
    epochs = json.loads((r.repo / "results/runs/viper-momentum0.9/metrics.json").read_text())["history"]["epochs"]
    return f"explodes within {next(e['epoch'] for e in epochs if e['verification'] > 100)} epochs"


def fidelity(r: Results, table: str, row: str, column: str) -> str:
    """A number of the Fidelity page's tables (``recipe`` or ``detail``), without its spread."""
    from reidlab import fidelity as f

    tables = {"recipe": f.recipe_table, "detail": f.detail_table}
    return tables[table](r.frame("fidelity")).loc[row, column].split(" ± ")[0]


def replay_bound(r: Results) -> str:
    replays = pd.read_csv(r.repo / "results/provenance/replay.csv").query("not `commit in history`")
    bound = math.ceil(replays["max relative difference"].max() * 1e4)  # in units of 1e-4
    return f"(first epoch within {bound}e-4)"


def all_pairs(r: Results) -> str:
    said = report.better_beyond_noise(r.frame("epoch-pairs"), "i-LIDS, per person", "i-LIDS, all pairs")
    rank1, mAP, noise = re.search(r"rank-1 (\S+), mAP (\S+) \(fold noise ([\d.]+ / [\d.]+)\)", said).groups()
    return f"all pairs gained {rank1} rank-1 and {mAP} mAP against a fold noise of {noise}"


# --- methods.md: the headline ---

def ranks_5_to_50(r: Results) -> str:
    table = report.cmc_table(r.frame("table4"), "table4")
    d = table.loc[("Ours", "difference"), ["CMC 5", "CMC 10", "CMC 20", "CMC 50"]].astype(float)
    return f"ranks 5-50 within {d.abs().max():.1f} points of the paper's, {'all' if (d > 0).all() else 'not all'} above it"


def seed_rule(r: Results) -> str:
    row = report.initialisation(r.store, True).loc["Ours: seed = fold"]
    return f"on the {row['common folds']} folds both have the difference, {row['rank-1 diff']}"


def paper_gap(r: Results) -> str:
    """Table IV's rank-1 gap in standard errors of the difference of two 10-fold means."""
    x, paper = r.rank1("table4", "Ours"), claimed_number("replication", HEADLINE)
    gap = paper - x.mean()  # the paper's 10 folds have the SD the margin is (``study.MARGIN``)
    return f"gap, {gap:.1f} points, is {gap / math.sqrt(x.var() / len(x) + MARGIN ** 2 / CROSS_VALIDATED):.1f} standard"


def equivalence(r: Results, seed_set: str) -> tuple[float, str, str]:
    """A seed set's mean difference from the paper, its 90% interval and verdict (Table IV page)."""
    said = r.seed_sets.loc[f"Ours, {seed_set}"].filter(like="equivalence").iloc[0]
    mean, interval, verdict = re.match(r"([-+\d.]+), 90% (\[.+?\]).*: (.+)$", said).groups()
    return float(mean), interval, verdict


def headline_holds(r: Results) -> str:
    mean = equivalence(r, POOLED)[0]
    return (f"which *{r.claim('replication', HEADLINE).verdict}* ({r.seed_sets.loc[HEADLINE, 'CMC 1']} "
            f"rank-1, {abs(mean):.1f} points {'below' if mean < 0 else 'above'} the paper's)")


def headline(r: Results) -> str:
    mean, interval, _ = equivalence(r, POOLED)
    return (f"per-fold mean is {r.seed_sets.loc[HEADLINE, 'CMC 1']} rank-1, {mean:+.1f} from the paper, "
            f"90% interval {interval}, inside ±{MARGIN:g}, so it *{r.claim('replication', HEADLINE).verdict}*")


def headline_95(r: Results) -> str:
    """The claims page's own 95% interval of the headline (its column *reproduced*: mean [interval])."""
    low, high = map(float, re.search(r"\[(\S+), (\S+)\]", r.claim("replication", HEADLINE).reproduced).groups())
    return f"the 95% interval [{low:+.1f}, {high:+.1f}] {'includes' if low <= 0 <= high else 'excludes'} 0"


def old_rule(r: Results, seed_set: str) -> str:
    e = against(r, "replication", f"Ours, {seed_set}", claimed_number("replication", HEADLINE))
    return f"{effect(e)}, p = {e.p:.3f}"


def revalidated(r: Results) -> str:
    row = report.revalidation(r.store, True).loc[f"{FAST_SCHEDULE} (default recipe)"]
    return f"on {row['common folds']} common folds: {row['rank-1 diff']} rank-1, {row['mAP diff']} mAP, *{row['verdict']}*"


def replication_devices(r: Results) -> str:
    runs = r.frame("replication").query("variant.str.startswith('Ours, ')", engine="python").drop_duplicates("run")
    return f"all {len(runs)} networks finished on {'CPUs' if runs.device.str.startswith('cpu').all() else 'CPUs and GPUs'}"


def gpu_first(r: Results) -> str:
    """The headline's seed-0 networks that trained some epochs on a GPU, and which epochs."""
    runs = set(r.frame("replication").query("variant == 'Ours, seed 0'").run)
    gpu = r.segments[r.segments.run.isin(runs) & ~r.segments.device.str.startswith("cpu")]
    return f"the {gpu.run.nunique()} seed-0 networks had trained epochs {'/'.join(sorted(set(gpu.epochs)))} on"


# --- methods.md: Tables VI, VII and V ---

def gallery(r: Results) -> str:
    from reidlab.paper import table6_gallery

    ours, paper = r.frame("table6-gallery").groupby("variant").rank1.mean(), table6_gallery().rank1
    every, one = ([f"{v}, {g}" for v in VIPER_TO] for g in ("all images", "one image"))
    diff = [ours[v] - paper[v] for v in every]
    off = {g: sum(abs(ours[v] - paper[v]) for v in names) / len(names) for g, names in (("all", every), ("one", one))}
    return (f"{ours[every[0]]:.1f}, {ours[every[1]]:.1f} and {ours[every[2]]:.1f}, that is {diff[0]:+.1f}, "
            f"{diff[1]:+.1f} and {diff[2]:+.1f} from Table VI (mean absolute difference {off['all']:.1f} points, "
            f"against {off['one']:.1f}")


def gallery_sizes(r: Results) -> str:
    sizes = [r.folds("table6", v).metrics.iloc[0]["num_gallery"] for v in (VIPER_TO[0], VIPER_TO[2])]
    return f"({sizes[0]} and {sizes[1]})"


def ilids_by_folds(r: Results) -> str:
    """Table VII's i-LIDS -> VIPeR claim with the seed-0 network's folds read as independent units."""
    return effect(against(r, "table7", ILIDS, claimed_number("table7", ILIDS)))


def by_networks(r: Results, side: str) -> str:
    row = r.claim("table7", side)
    return f"*{verdict_word(row.verdict)}* ({row.reproduced}, {row.n} networks)"


def cuhk01_networks(r: Results) -> str:
    return "CUHK01's networks are queued" if r.claim("table7", CUHK01).n == 0 else \
        f"CUHK01's claim is {by_networks(r, CUHK01)}"


def collapses(r: Results) -> str:
    return "; ".join(f"{DATASETS[d]} fold {f}: {row['fine-tuned']:.1f} against {row['scratch']:.1f}"
                     for (d, f), row in report.collapsed(r.fine_tuning, "fast").iterrows())


def collapse_free(r: Results, schedule: str, words: tuple[str, str]) -> str:
    """``words[0]`` where no stored fold of ``schedule`` collapsed, else ``words[1]``."""
    return words[report.collapsed(r.fine_tuning, schedule).size > 0]


def below_on_fold0(r: Results) -> str:
    delta = r.fine_tuning.xs((f"fast, {PAPERS_RATE_LABEL}", 0), level=("schedule", "fold"))["Δ"]
    return f"fell below from scratch on {'every' if (delta < 0).all() else 'not every'} fold-0 split"


def identity_losses(r: Results, variant: str) -> str:
    return span(r.last_loss("table5", variant.format(d=d), 0) for d in DATASETS)


def fast_rate_losses(r: Results) -> str:
    """The last identity loss of fold 0's fine-tuned runs at the fast rate that did not collapse, and from scratch."""
    gone = {d for d, _ in report.collapsed(r.fine_tuning, "fast").xs(0, level="fold", drop_level=False).index}
    kept = [d for d in DATASETS if d not in gone]
    return (f"fast rate {span(r.last_loss('table5', f'{d} VIPeR', 0) for d in kept)} where it did not collapse, "
            f"from scratch {identity_losses(r, '{d} none')}")


def paper_schedule_gain(r: Results) -> str:
    delta = r.fine_tuning.xs(PAPERS_SCHEDULE_LABEL, level="schedule")["Δ"].dropna().groupby(level="dataset")
    mean, folds = delta.mean().reindex(list(DATASETS)), delta.size().reindex(list(DATASETS))
    said = " / ".join(f"{m:+.1f}" for m in mean)
    counted = ("one fold each (folds 1-2 are queued)" if set(folds) == {1}
               else "over " + " / ".join(report.plural(int(n), "fold") for n in folds))
    return f"{said} rank-1 on {' / '.join(DATASETS.values())}, {counted}"


# --- methods.md: the paper schedule (recipe v1) and the fast schedule ---

def train_at_100(r: Results) -> str:
    reached = [next((c["epoch"] for c in m["history"]["curve"] if c["train_rank1"] >= 100), None)
               for m in r.folds("schedules", PAPER_SCHEDULE).metrics]
    return f"100% around epoch {round(pd.Series(reached).dropna().median() / 50) * 50}"


def v1_rank1(r: Results) -> str:
    x = r.rank1("schedules", PAPER_SCHEDULE)
    return f"reached VIPeR rank-1 {x.mean():.1f} (paper schedule, {len(x)} folds)"


def v1_folds(r: Results) -> str:
    x = r.rank1("schedules", PAPER_SCHEDULE)
    return f"rank-1 was {mean_sd(x.loc[0:7])}; with folds 8 and 9 (finished later) it is {mean_sd(x)}"


def first_three(r: Results) -> str:
    x = r.rank1("schedules", PAPER_SCHEDULE).loc[0:2]
    return f"to within {x.max() - x.min():.1f} rank-1 points (standard deviation {x.std():.1f})"


def fast_matches(r: Results) -> str:
    fast, paper = r.folds("schedules", FAST_SCHEDULE), r.folds("schedules", PAPER_SCHEDULE)
    row, common = r.schedules.loc[FAST_SCHEDULE], paper.loc[fast.index]
    noise_rank1, noise_mAP = row["noise rank-1 / mAP"].split(" / ")
    return (f"On folds {fast.index.min()}-{fast.index.max()} its rank-1 is {mean_sd(fast.rank1)} against {mean_sd(common.rank1)} for the paper schedule (paired "
            f"difference {row['rank-1 diff']}), and its mAP is {mean_sd(fast.mAP)} against {mean_sd(common.mAP)}. "
            f"The noise is {noise_rank1} rank-1 and {noise_mAP} mAP points, and the paper schedule's own spread over "
            f"its {len(paper)} folds is {paper.rank1.std():.1f} rank-1 and {paper.mAP.std():.1f} mAP")


def shorter_schedules(r: Results) -> str:
    rows = [r.schedules.loc[f"8 pairs/step, lr x8, {e} epochs"] for e in (300, 150)]
    return (f"rank-1 {rows[0]['rank-1 diff']} and {rows[1]['rank-1 diff']} points against the paper schedule on "
            f"the {rows[1]['common folds']} common folds")


def device_time_out(r: Results) -> str:
    runs = set(r.folds("schedules", PAPER_SCHEDULE).run)
    first = r.segments[r.segments.run.isin(runs) & r.segments.epochs.str.startswith("1-")]
    ends = first.epochs.str[2:].astype(int).value_counts()
    return f"epoch {ends.idxmax()} (folds 1-2: {ends.index.max()})"


# --- benchmarks (results/benchmarks) ---

def rates(r: Results, table: str, rows: tuple[str, ...]) -> list[int]:
    return [r.rate(table, row) for row in rows]


def h200_paper(r: Results) -> str:
    alone, batched = rates(r, "schedules_nvidia-h200.txt", ("paper protocol, alone", "paper protocol, 10 runs batched"))
    return f"and {batched:,} images/s as 10 runs batched ({batched / alone:.1f}x"


def cpu_batched(r: Results) -> str:
    alone, batched = rates(r, "schedules_cpu-2core.txt", ("paper protocol, alone", "paper protocol, 2 runs batched"))
    return f"two runs batched {batched} images/s in all ({batched / alone:.1f}x)"


def cpu_layout(r: Results) -> str:
    two, both, one = rates(r, "cpu_layout_cpu-2core.txt", ("2 runs side by side", "one run, 2 threads", "one run, 1 thread"))
    return f"{two} images/s in all against {both} for one run on both threads ({two / both:.2f}x; one run on one thread: {one})"


def cpu_fast(r: Results) -> str:
    fast, paper = rates(r, "schedules_cpu-2core.txt", (f"fast ({FAST_SCHEDULE}), alone", "paper protocol, alone"))
    return f"{fast} images/s against {paper} ({fast / paper:.1f}x"


def h200_fast(r: Results) -> str:
    alone, batched = rates(r, "schedules_nvidia-h200.txt", (f"{FAST150}, alone", f"{FAST150}, 10 runs batched"))
    return f"8 pairs per step trained {alone:,} images/s alone and {batched:,} images/s as 10 runs batched"


QUOTES: tuple[Quote, ...] = (
    Quote("methods.md", "explodes within 2 epochs", momentum_explodes),
    Quote("methods.md", "page *Fidelity*: +6.9 rank-1", lambda r: "page *Fidelity*: {} rank-1".format(
        fidelity(r, "detail", "normalisation (dataset)", "added to v1: rank-1 / mAP"))),
    Quote("methods.md", "(first epoch within 2e-4)", replay_bound),
    Quote("methods.md", "all 10 seed = fold folds of both runs are stored", lambda r: "all {} seed = fold folds of both "
          "runs are stored".format(min(len(r.rank1("replication", f"{v}, seed = fold")) for v in ("Ours", "verification only")))),
    Quote("methods.md", "all pairs gained +0.6 rank-1 and +0.3 mAP against a fold noise of 2.7 / 1.4", all_pairs),
    Quote("methods.md", "GPUs *matches*", lambda r: f"GPUs *{r.schedules.loc[FAST_SCHEDULE, 'verdict']}*"),
    Quote("methods.md", "raised rank-1 from 24.8 to 31.6", lambda r: "raised rank-1 from {} to {}".format(
        *(fidelity(r, "recipe", v, "rank1") for v in ("reidlab v1", "v1 + normalisation (dataset)")))),
    Quote("methods.md", "reached 30.6", lambda r: f"reached {fidelity(r, 'recipe', 'authors', 'rank1')}"),
    Quote("methods.md", "rank-1 32.2 ± 2.0 against", lambda r: f"rank-1 {mean_sd(r.rank1('table4', 'Ours'))} against"),
    Quote("methods.md", "ranks 5-50 within 1.5 points of the paper's, all above it", ranks_5_to_50),
    Quote("methods.md", "folds gave 31.0 ± 2.6", lambda r: f"folds gave {r.seed_sets.loc['Ours, seed 0', 'CMC 1']}"),
    Quote("methods.md", "on the 9 folds both have the difference, +1.4 ± 2.5", seed_rule),
    Quote("methods.md", "gap, 1.4 points, is 1.2 standard", paper_gap),
    Quote("methods.md", "(Table IV page: *holds*)", lambda r: f"(Table IV page: *{equivalence(r, 'seed = fold')[2]}*)"),
    Quote("methods.md", "which *holds* (31.5 ± 1.6 rank-1, 2.1 points below the paper's)", headline_holds),
    Quote("methods.md", "on 3 common folds: +0.3 ± 0.5 rank-1, −0.1 mAP, *matches*", revalidated),
    Quote("methods.md", "−2.6 [−4.5, −0.7], p = 0.012", lambda r: old_rule(r, "seed 0")),
    Quote("methods.md", "(−1.4 [−2.8, +0.1], p = 0.057)", lambda r: f"({old_rule(r, 'seed = fold')})"),
    Quote("methods.md", "its ten folds gave 32.2 ± 2.0",
          lambda r: f"its ten folds gave {r.seed_sets.loc['Ours, seed = fold', 'CMC 1']}"),
    Quote("methods.md", "all 29 networks finished on CPUs", replication_devices),
    Quote("methods.md", "the 10 seed-0 networks had trained epochs 1-334 on", gpu_first),
    Quote("methods.md", "per-fold mean is 31.5 ± 1.6 rank-1, −2.1 from the paper, 90% interval [−3.0, −1.1], "
          "inside ±3.2, so it *holds*", headline),
    Quote("methods.md", "the 95% interval [−3.2, −0.9] excludes 0", headline_95),
    Quote("methods.md", "reaches rank-1 29.5, 25.6 and 21.9", lambda r: "reaches rank-1 {:.1f}, {:.1f} and {:.1f}".format(
        *(r.rank1("table6", v).mean() for v in VIPER_TO))),
    Quote("methods.md", "(60 and 36)", gallery_sizes),
    Quote("methods.md", "43.8, 42.4 and 57.2, that is -6.6, +5.8 and -24.4 from Table VI (mean absolute difference "
          "12.3 points, against 30.5", gallery),
    Quote("methods.md", "(5.7 ± 1.0 rank-1 over VIPeR's 10 folds", lambda r: "({} rank-1 over VIPeR's {} folds".format(
        mean_sd(r.rank1("table7", ILIDS)), len(r.rank1("table7", ILIDS)))),
    Quote("methods.md", "(-5.9 [-6.6, -5.2])", lambda r: f"({ilids_by_folds(r)})"),
    Quote("methods.md", "*contradicted* (-6.1 [-7.8, -4.5], 3 networks)", lambda r: by_networks(r, ILIDS)),
    Quote("methods.md", "CUHK01's networks are queued", cuhk01_networks),
    Quote("methods.md", "i-LIDS fold 1: 4.8 against 29.8; CAVIAR fold 0: 8.2 against 33.0; CAVIAR fold 1: 12.4 "
          "against 35.6; CAVIAR fold 2: 4.3 against 30.0; 3DPeS fold 1: 4.8 against 40.6", collapses),
    Quote("methods.md", "fell below from scratch on every fold-0 split", below_on_fold0),
    Quote("methods.md", "identity loss is still 6.5-8.1 after", lambda r: "identity loss is still {} after".format(
        identity_losses(r, "{d} VIPeR, " + PAPERS_RATE_LABEL))),
    Quote("methods.md", "from scratch 0.9-2.6", lambda r: f"from scratch {identity_losses(r, '{d} none')}"),
    Quote("methods.md", "(identity loss 0.7-2.3 at the end", lambda r: "(identity loss {} at the end".format(
        identity_losses(r, "{d} VIPeR, " + PAPERS_SCHEDULE_LABEL))),
    Quote("methods.md", "-3.0 / -2.0 / +1.3 rank-1 on i-LIDS / CAVIAR / 3DPeS, one fold each (folds 1-2 are queued)",
          paper_schedule_gain),
    Quote("methods.md", "did not collapse but fell below", lambda r: collapse_free(
        r, f"fast, {PAPERS_RATE_LABEL}", ("did not collapse but fell below", "collapsed too and fell below"))),
    Quote("methods.md", "and collapses nowhere", lambda r: collapse_free(
        r, PAPERS_SCHEDULE_LABEL, ("and collapses nowhere", "and collapses too"))),
    Quote("methods.md", "100% around epoch 500", train_at_100),
    Quote("methods.md", "rank-1 was 23.1 ± 3.1; with folds 8 and 9 (finished later) it is 23.2 ± 3.1", v1_folds),
    Quote("methods.md", "to within 0.3 rank-1 points (standard deviation 0.2)", first_three),
    Quote("methods.md", "On folds 0-2 its rank-1 is 23.6 ± 0.5 against 22.7 ± 0.2 for the paper schedule (paired difference "
          "+0.9 ± 0.6), and its mAP is 37.9 ± 0.9 against 37.9 ± 0.2. The noise is 2.8 rank-1 and 2.2 mAP points, "
          "and the paper schedule's own spread over its 10 folds is 3.1 rank-1 and 2.4 mAP", fast_matches),
    Quote("methods.md", "Only 3 folds are common so far",
          lambda r: f"Only {r.schedules.loc[FAST_SCHEDULE, 'common folds']} folds are common so far"),
    Quote("methods.md", "rank-1 −3.9 ± 2.6 and −10.9 ± 2.6 points against the paper schedule on the 10 common folds",
          shorter_schedules),
    Quote("methods.md", "epoch 433 (folds 1-2: 460)", device_time_out),
    Quote("methods.md", "rank-1 26.6 and 20.6", lambda r: "rank-1 {:.1f} and {:.1f}".format(
        *r.rank1("schedules", PAPER_SCHEDULE).loc[[8, 9]])),
    Quote("methods.md", "the paper schedule trains 530 images/s alone", lambda r: "the paper schedule trains {} "
          "images/s alone".format(r.rate("schedules_nvidia-h200.txt", "paper protocol, alone"))),
    Quote("methods.md", "and 13,591 images/s as 10 runs batched (25.6x", h200_paper),
    Quote("methods.md", "one run trains 327 images/s",
          lambda r: f"one run trains {r.rate('schedules_cpu-2core.txt', 'paper protocol, alone')} images/s"),
    Quote("methods.md", "two runs batched 255 images/s in all (0.8x)", cpu_batched),
    Quote("methods.md", "497 images/s in all against 381 for one run on both threads (1.30x; one run on one "
          "thread: 243)", cpu_layout),
    Quote("methods.md", "552 images/s against 327 (1.7x", cpu_fast),
    Quote("methods.md", "8 pairs per step trained 3,646 images/s alone and 44,380 images/s as 10 runs batched", h200_fast),
    # the texts of the items' pages (study.ITEMS)
    Quote("item:table4", "the ten seed-0 folds first (31.0 rank-1", lambda r: "the ten seed-0 folds first ({} rank-1"
          .format(r.seed_sets.loc["Ours, seed 0", "CMC 1"].split(" ± ")[0])),
    Quote("item:table4", "declared after them (32.2)", lambda r: "declared after them ({})".format(
        r.seed_sets.loc["Ours, seed = fold", "CMC 1"].split(" ± ")[0])),
    Quote("item:table5", "i-LIDS fold 1: 4.8 against 29.8; CAVIAR fold 0: 8.2 against 33.0; CAVIAR fold 1: 12.4 "
          "against 35.6; CAVIAR fold 2: 4.3 against 30.0; 3DPeS fold 1: 4.8 against 40.6", collapses),
    Quote("item:table5", "identity loss is still 6.5-8.1", lambda r: "identity loss is still {}".format(
        identity_losses(r, "{d} VIPeR, " + PAPERS_RATE_LABEL))),
    Quote("item:table5", "fast rate 0.7-1.5 where it did not collapse, from scratch 0.9-2.6", fast_rate_losses),
    Quote("item:claims", "(-5.9 [-6.6, -5.2] over its 10 folds", lambda r: "({} over its {} folds".format(
        ilids_by_folds(r), len(r.rank1("table7", ILIDS)))),
    Quote("item:fidelity", "reached VIPeR rank-1 23.2 (paper schedule, 10 folds)", v1_rank1),
    # gpu.md
    Quote("gpu.md", "at 44,380 images/s", lambda r: "at {:,} images/s".format(
        r.rate("schedules_nvidia-h200.txt", f"{FAST150}, 10 runs batched"))),
    Quote("gpu.md", "reached 36,700 images/s", lambda r: "reached {:,} images/s".format(
        r.rate("gpu_fidelity_h100.txt", "10 runs, Table IV test folds"))),
    Quote("gpu.md", "27 mixed dev runs at 41,300 images/s", lambda r: "27 mixed dev runs at {:,} images/s".format(
        r.rate("gpu_fidelity_h100.txt", "27 runs, mixed recipes"))),
)


def normalised(text: str) -> str:
    """Whitespace collapsed, the typographic minus as a hyphen: how quotes and pages compare."""
    return re.sub(r"\s+", " ", text).replace("−", "-")


def page_text(page: str, repo: Path) -> str:
    """A hand-written page of ``book/``, or ``item:NAME``, the text of a declared item (``study.ITEMS``)
    that its page shows under its title."""
    if page.startswith("item:"):
        return ITEMS[page.removeprefix("item:")].text
    return (repo / "book" / page).read_text()


def where(page: str) -> str:
    """The file a quote's page is edited in."""
    return f"reidlab/study.py ITEMS[{page.removeprefix('item:')!r}].text" if page.startswith("item:") else f"book/{page}"


def built_page(page: str, repo: Path) -> str:
    """The markdown of the committed page that shows an item's text (``results/book/pages``), '' if none."""
    import nbformat

    found = sorted((repo / "results" / "book" / "pages").glob(f"[0-9]*_{page.removeprefix('item:')}.ipynb"))
    return "".join(c.source for c in nbformat.read(found[0], as_version=4).cells if c.cell_type == "markdown") \
        if found else ""


def stale_quotes(store: Path = COMMITTED, repo: Path = REPO, quotes: tuple[Quote, ...] = QUOTES) -> list[str]:
    """Every quote its page no longer shows as the results give it: a line each, saying what to edit."""
    results, problems = Results(store, repo), []
    for q in quotes:
        text, name = normalised(q.text), getattr(q.compute, "__name__", "")
        if text not in normalised(page_text(q.page, repo)):
            problems.append(f"{where(q.page)} no longer reads {q.text!r}: edit the quote in reidlab/prose.py")
            continue
        if q.page.startswith("item:") and text not in normalised(built_page(q.page, repo)):
            problems.append(f"the committed page of {q.page} does not show {q.text!r} yet: run notebooks/_generate.py "
                            f"and `reidlab book {q.page.removeprefix('item:')} --profile fast --no-runs --no-html`")
        try:
            now = q.compute(results)
        except Exception as exc:  # a quote whose runs left the store, or a renamed table
            problems.append(f"{where(q.page)}: {q.text!r} cannot be computed (prose.{name}: {type(exc).__name__}: {exc})")
            continue
        if normalised(now) != text:
            problems.append(f"{where(q.page)} says {q.text!r}; the results give {now!r}: edit both (prose.{name})")
    return problems
