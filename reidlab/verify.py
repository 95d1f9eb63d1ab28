"""Re-check a stored result from its committed weights (``reidlab verify``).

A run that keeps its final weights (``weights.pt``: the headline networks, and every network
other runs evaluate or analyse) can be evaluated again by anyone, on the run's own split, and
compared with its ``metrics.json``: the ranking numbers should come out the same. Weights are
kept in fp16 (half the bytes); that rounding may move a near-tie in the ranking, so the
comparison allows ``TOLERANCE`` points, about one VIPeR query (1 of 316 = 0.32 points).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from reidlab.errors import ConfigError
from reidlab.provenance import read_json

TOLERANCE = 0.5  # CMC and mAP points
RANKS = ("1", "5", "10", "20", "50")


@dataclass(frozen=True)
class Check:
    """One run's stored numbers against its recomputed ones (percent)."""
    run: str
    stored: dict[str, float]
    recomputed: dict[str, float]

    @property
    def largest_difference(self) -> float:
        return max(abs(self.recomputed[k] - v) for k, v in self.stored.items())

    @property
    def ok(self) -> bool:
        return self.largest_difference <= TOLERANCE


def verifiable(store: Path) -> list[str]:
    """The finished runs of ``store`` whose weights are stored (their own, or an evaluation's
    pretrained network's), in name order."""
    from reidlab.config import RunConfig
    from reidlab.run import final_weights
    from reidlab.store import referenced

    runs = []
    for run_dir in sorted(p for p in store.iterdir() if (p / "metrics.json").exists()):
        cfg = RunConfig.load(run_dir / "config.yaml")
        source = store / referenced(cfg) if cfg.epochs == 0 and referenced(cfg) else run_dir
        if final_weights(source) is not None:
            runs.append(run_dir.name)
    return runs


def verify(run_dir: Path, data_root: str | None) -> Check:
    """Evaluate ``run_dir``'s final weights again on its split with its test settings."""
    from reidlab.evaluate import evaluate
    from reidlab.run import load_finished

    if not (run_dir / "metrics.json").exists():
        raise ConfigError(f"{run_dir} has no metrics.json: only a finished run can be verified")
    run = load_finished(run_dir, data_root)
    run.model.eval()
    result = evaluate(run.model.features, *run.ranked("test"), run.cfg.test_views, run.cfg.distance).summary()
    metrics = read_json(run_dir / "metrics.json")
    pick = lambda m: {**{f"rank{r}": m["cmc"][r] for r in RANKS if r in m["cmc"]}, "mAP": m["mAP"]}  # noqa: E731
    return Check(run_dir.name, pick(metrics), pick(result))


def table(checks: list[Check]) -> pd.DataFrame:
    """One row per check: stored and recomputed rank-1 and mAP, the largest difference, the verdict."""
    return pd.DataFrame([{"run": c.run, "rank-1 stored": round(c.stored["rank1"], 2),
                          "rank-1 recomputed": round(c.recomputed["rank1"], 2),
                          "mAP stored": round(c.stored["mAP"], 2), "mAP recomputed": round(c.recomputed["mAP"], 2),
                          "largest difference": round(c.largest_difference, 3),
                          "verified": "yes" if c.ok else f"NO (> {TOLERANCE})"} for c in checks]).set_index("run")
