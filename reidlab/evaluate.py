"""Re-identification evaluation: features over test views, distances, CMC and mAP (Sec. IV-C).

The paper's distance between a query and a gallery image is the mean Euclidean distance over
all 10 x 10 pairs of their ten-crop features (``distance="mean-pairwise"``); the cheaper
``"mean-feature"`` compares the mean of each image's view features.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from reidlab.data.record import ReidDataset
from reidlab.data.splits import EvalSet
from reidlab.metrics import cmc, cmc_auc, mean_average_precision
from reidlab.transforms import test_views

DISTANCES = ("mean-pairwise", "mean-feature")
REPORT_RANKS = (1, 5, 10, 20, 30, 40, 50, 100)


@torch.no_grad()
def extract_features(net: torch.nn.Module, x: torch.Tensor, views: str = "ten-crop",
                     batch_size: int = 1024) -> torch.Tensor:
    """``(V, N, D)`` features of the pre-processed 64x64 images ``x`` ``(N, 3, 64, 64)``."""
    was_training = net.training
    net.eval()
    device = next(net.parameters()).device
    crops = test_views(x, views)  # (V, N, 3, 56, 56)
    flat = crops.reshape(-1, *crops.shape[2:])
    out = torch.cat([net(flat[i:i + batch_size].to(device)).float().cpu()
                     for i in range(0, len(flat), batch_size)])
    net.train(was_training)
    return out.view(crops.shape[0], crops.shape[1], -1)


def distance_matrix(query: torch.Tensor, gallery: torch.Tensor, kind: str = "mean-pairwise") -> np.ndarray:
    """``(Q, G)`` distances from view features ``(V, Q, D)`` and ``(V', G, D)`` (computed in float64
    on the features' device)."""
    if kind == "mean-feature":
        return torch.cdist(query.mean(0).double(), gallery.mean(0).double()).cpu().numpy()
    if kind != "mean-pairwise":
        raise ValueError(f"distance must be one of {DISTANCES}, not {kind!r}")
    vq, nq, d = query.shape
    vg, ng, _ = gallery.shape
    pairwise = torch.cdist(query.reshape(vq * nq, d).double(), gallery.reshape(vg * ng, d).double())
    return pairwise.view(vq, nq, vg, ng).mean(dim=(0, 2)).cpu().numpy()


@dataclass
class RankingResult:
    cmc: np.ndarray  # curve over ranks 1..G, fractions
    mAP: float
    num_queries: int
    num_gallery: int

    def summary(self, ranks=REPORT_RANKS) -> dict:
        curve = self.cmc
        return {
            "cmc": {str(r): 100.0 * float(curve[min(r, len(curve)) - 1]) for r in ranks},
            "mAP": 100.0 * self.mAP,
            "cmc_auc": cmc_auc(curve),
            "num_queries": self.num_queries,
            "num_gallery": self.num_gallery,
        }


def rank(dist: np.ndarray, data: ReidDataset, ev: EvalSet) -> RankingResult:
    """CMC (multi-shot: every gallery image counts) and mAP of ``dist`` over ``ev``'s rows."""
    args = (data.pids[ev.query], data.pids[ev.gallery], data.camids[ev.query], data.camids[ev.gallery])
    result = cmc(dist, *args)
    return RankingResult(result.curve, mean_average_precision(dist, *args), len(ev.query), len(ev.gallery))


def evaluate(net: torch.nn.Module, images: torch.Tensor, data: ReidDataset, ev: EvalSet,
             views: str = "ten-crop", distance: str = "mean-pairwise") -> RankingResult:
    """Rank ``ev``'s gallery for each query with feature network ``net``.

    ``images`` are the pre-processed ``(N, 3, 64, 64)`` images of all of ``data`` (a tensor, or
    ``transforms.Normalised``: anything indexed by rows).
    """
    return rank_features(extract_features(net, images[eval_rows(ev)], views), data, ev, distance)


def eval_rows(ev: EvalSet) -> np.ndarray:
    """The rows whose features an evaluation needs: ``ev``'s queries, then its gallery."""
    return np.concatenate([ev.query, ev.gallery])


def rank_features(feats: torch.Tensor, data: ReidDataset, ev: EvalSet, distance: str = "mean-pairwise"
                  ) -> RankingResult:
    """Rank from the view features ``(V, Q + G, D)`` of :func:`eval_rows`."""
    q, g = feats[:, :len(ev.query)], feats[:, len(ev.query):]
    return rank(distance_matrix(q, g, distance), data, ev)


def train_eval_set(data: ReidDataset, train_rows: np.ndarray) -> EvalSet:
    """Query/gallery among the training persons, for the train-set curve of Fig. 4.

    Camera A queries camera B where both cameras exist; otherwise each person's first image is
    the gallery and the rest are queries.
    """
    cams = data.camids[train_rows]
    if set(np.unique(cams).tolist()) >= {0, 1}:
        q, g = train_rows[cams == 0], train_rows[cams == 1]
        return EvalSet(q[np.isin(data.pids[q], data.pids[g])], g)
    _, first = np.unique(data.pids[train_rows], return_index=True)
    gallery = train_rows[first]
    return EvalSet(np.setdiff1d(train_rows, gallery), gallery)
