"""Many runs of the same shape trained at once, as one batched model (``torch.func.vmap``).

The paper's schedule takes one pair (two 56x56 images) per SGD step, which leaves a GPU idle.
A :class:`RunGroup` stacks the parameters of R runs of one network shape, which may differ in
fold, seeds, task set, losses, optimiser settings, pre-processing and data (``PER_RUN``), and
takes the R runs' steps together: ``vmap(grad(loss))`` over the stacked parameters is one step of R
independent runs (the convolutions become grouped convolutions). A head that a run lacks is
stacked as zeros that its own loss never touches (the other runs' losses see it with weight 0);
each run's loss is its own (one-hot weights over the group's distinct losses). Runs on data of
different sizes are padded: heads to the largest (identity logits beyond a run's own persons
masked), epochs to the longest (padding pairs weigh 0; a run whose epoch is over takes no step).
Each run keeps its own data split, initial weights, pairs, crops and dropout masks
(``train.epoch_batch``), curves, checkpoints and run directory, so each result equals, to
float tolerance, the same run trained alone (``tests/test_batched.py``). On CUDA the step is
captured once as a CUDA graph and replayed, removing the per-step launch overhead that dominates
at one pair per step. Everything also runs on the CPU (slower than separate runs there: the CPU
is already busy with one run).
"""

from __future__ import annotations

import json
import time

import torch
from torch.func import functional_call, grad, vmap

from reidlab.evaluate import RankingResult, eval_rows, rank_features
from reidlab.lifecycle import execute
from reidlab.model import HeadsConfig, MultiTaskSiamese, class_mask
from reidlab.run import Run, curve_point
from reidlab.train import (check_finite, dampening, epoch_batch, forward_precision, learning_rate,
                           losses_in_fp32, reversal_coefficient, sgd_step)
from reidlab.transforms import CROP, test_views

# config keys that may differ between the runs of a group; all others must be equal. Recipe keys
# are per run too: a task a run lacks is a head it never trains (its loss term weighs 0 for that
# run), and the loss, momentum, learning rate, pre-processing and pairing are per-run values.
PER_RUN = ("fold", "split_seed", "seed", "attribute_weighting", "attribute_weights", "pretrained", "device",
           "tasks", "verification_loss", "margin", "momentum", "momentum_style", "lr_start", "lr_end",
           "normalisation", "pairing", "crop_offset_min",
           # data: a group pads every run's epoch to the longest (padding pairs weigh 0 and a run
           # takes no step once its own pairs are done), and its heads to the largest
           "dataset", "test_dataset", "test_persons", "attribute_set", "protocol", "synthetic_persons",
           "epoch_pairs")

EVAL_CROPS = 1 << 14  # crops per batched evaluation forward over a group (~8 GB of activations)


def group_key(config: dict) -> str:
    """Runs with equal keys can share a group (their parameter shapes are checked too)."""
    key = {k: v for k, v in config.items() if k not in PER_RUN}
    if config.get("attribute_set") == "rich":  # 11 logits per attribute: never beside 2-logit heads
        key["multi-class attributes"] = True
    return json.dumps(key, sort_keys=True)


def _union_model(runs: list[Run]) -> torch.nn.Module:
    """A model with every head any run has, each as large as the largest (a run's identity
    logits beyond its own persons are masked; attributes it lacks weigh 0): the template the
    group's step calls."""
    heads = [r.model.heads.cfg for r in runs]
    if len({h.attribute_width for h in heads if h.num_attributes}) > 1:
        raise ValueError("the runs of a group must share the logits per attribute (the rich set's 11, or 2)")
    union = HeadsConfig(*(max(getattr(h, n) for h in heads) for n in ("num_identities", "num_attributes")),
                        heads[0].attribute_head, max(h.num_poses for h in heads),
                        heads[0].reverse_pose,  # pose_reversal is a group key: one for every run
                        _union_classes(heads))
    base = runs[0].model
    model = MultiTaskSiamese(base.features.cfg, union)
    return model.to(runs[0].device, memory_format=torch.channels_last)


def _union_classes(heads: list[HeadsConfig]) -> tuple[int, ...]:
    """Classes per attribute of the union head, where some run has multi-class attributes: per
    column, the most any run has there (each run's own counts are its mask, ``_attribute_masks``)."""
    if not any(h.attribute_classes for h in heads):
        return ()
    width = max(h.num_attributes for h in heads)
    own = [tuple(h.attribute_classes) or (2,) * h.num_attributes for h in heads]
    return tuple(max((c[j] for c in own if j < len(c)), default=2) for j in range(width))


def _attribute_masks(runs: list[Run], union: HeadsConfig, device: torch.device) -> torch.Tensor:
    """(R, A, W): 0 on each run's own classes of each attribute, -1e4 beyond (exp: 0); a column
    a run lacks keeps 2 classes (its weight is 0)."""
    padded = [(tuple(h.attribute_classes) or (2,) * h.num_attributes) + (2,) * (union.num_attributes - h.num_attributes)
              for h in (run.model.heads.cfg for run in runs)]
    return torch.stack([class_mask(classes, union.attribute_width) for classes in padded]).to(device)


class RunGroup:
    """R runs (:class:`reidlab.run.Run`, not yet finished) trained in lockstep."""

    def __init__(self, runs: list[Run], graphs: bool | None = None, progress: bool = True):
        if not runs:
            raise ValueError("a run group needs at least one run")
        keys = {group_key(r.cfg.to_dict()) for r in runs}
        shapes = {tuple((k, tuple(p.shape)) for k, p in r.model.features.named_parameters()) for r in runs}
        if len(keys) > 1 or len(shapes) > 1 or len({r.device for r in runs}) > 1:
            raise ValueError("runs of a group must share every config key but "
                             f"{', '.join(PER_RUN)}, their parameter shapes and their device")
        if runs[0].cfg.optimizer != "sgd":
            raise ValueError(f"a run group steps with SGD; run '{runs[0].cfg.optimizer}' runs alone")
        self.runs, self.cfg, self.progress = runs, runs[0].cfg, progress
        self.device = runs[0].device
        self.graphs = self.device.type == "cuda" if graphs is None else graphs
        self.base = _union_model(runs)  # template for functional_call
        # one loss template per distinct loss config; each run picks its own (one-hot weights)
        self.losses: dict[str, torch.nn.Module] = {}
        for r in runs:
            self.losses.setdefault(repr(r.loss.cfg), r.loss)
        self.choice = torch.tensor([[float(repr(r.loss.cfg) == k) for k in self.losses] for r in runs],
                                   device=self.device)
        self._vgrad = vmap(grad(self._loss, has_aux=True))
        self.graph: torch.cuda.CUDAGraph | None = None

    # --- one step of every run ----------------------------------------------------------------
    def _loss(self, params, per_run, x, keep, same, labels, weight):
        with forward_precision(self.cfg, self.device):
            z, heads = functional_call(self.base, {**params, "features.centre_input": per_run["centre_input"],
                                                   "heads.pose_reversal": per_run["pose_reversal"]}, (x, keep))
        z, heads = losses_in_fp32(z, heads)
        if "identity" in heads:  # only the run's own persons: exp(-1e9) is exactly 0
            heads = {**heads, "identity": heads["identity"] + per_run["identity_mask"]}
        if "attribute_mask" in per_run:  # only each attribute's own classes (the rich set)
            heads = {**heads, "attributes": heads["attributes"] + per_run["attribute_mask"]}
        out: dict = {}
        for k, loss in enumerate(self.losses.values()):  # each run's own loss weighs 1, the others 0
            terms = functional_call(loss, {"attribute_alpha": per_run["alpha"]}, (z, heads, same, labels, weight))
            for name, value in terms.items():
                out[name] = out.get(name, 0.0) + per_run["choice"][k] * value
        return out["total"], out

    def _stack(self) -> None:
        named = [dict(r.model.named_parameters()) for r in self.runs]
        template = dict(self.base.named_parameters())  # a head a run lacks: zeros, never trained
        self.params = {k: torch.stack([_padded(n[k].detach(), t) if k in n else torch.zeros_like(t)
                                       for n in named]).contiguous()
                       for k, t in template.items()}
        self.momentum = torch.tensor([r.cfg.momentum for r in self.runs], device=self.device)
        self.dampening = torch.tensor([dampening(r.cfg) for r in self.runs], device=self.device)
        self.started = torch.tensor([float(_momentum(r, next(r.model.parameters())) is not None) for r in self.runs],
                                    device=self.device)
        self.buffers = {k: torch.stack([_padded(_momentum_or_zero(r, n.get(k), t), t) for r, n in zip(self.runs, named)])
                        for k, t in template.items()} if any(r.cfg.momentum for r in self.runs) else {}
        width, persons = self.base.heads.cfg.num_attributes, self.base.heads.cfg.num_identities
        pad = lambda a: torch.cat([a, torch.zeros(width - len(a), device=self.device)])  # noqa: E731
        own = torch.tensor([r.model.heads.cfg.num_identities or persons for r in self.runs], device=self.device)
        self.per_run = {
            "alpha": torch.stack([pad(r.loss.attribute_alpha) for r in self.runs]),
            "centre_input": torch.stack([r.model.features.centre_input for r in self.runs]),
            "pose_reversal": torch.zeros(len(self.runs), device=self.device),  # this epoch's, per run
            "choice": self.choice,
            "identity_mask": torch.where(torch.arange(persons, device=self.device) < own[:, None], 0.0, -1e9),
        }
        if self.base.heads.cfg.attribute_classes:
            self.per_run["attribute_mask"] = _attribute_masks(self.runs, self.base.heads.cfg, self.device)

    def sync(self) -> None:
        """Copy the stacked weights (and momentum) back into each run's model and optimizer."""
        started = self.started.tolist()  # one device sync, not one per parameter
        with torch.no_grad():
            for i, run in enumerate(self.runs):
                for k, p in run.model.named_parameters():
                    own = (i, *(slice(0, d) for d in p.shape))  # a head as large as the run's own
                    p.copy_(self.params[k][own])
                    if self.buffers and run.cfg.momentum and started[i]:
                        run.optimizer.state[p]["momentum_buffer"] = self.buffers[k][own].clone()

    def _step(self) -> None:
        """Pairs ``counter*k .. +k`` of the epoch buffers, for every run; SGD update in place. A
        run's pairs beyond its own epoch weigh 0, and a run whose epoch is done takes no step."""
        s = self.counter * self.cfg.pairs_per_step
        ar = self.arange + s
        idx = torch.cat([ar, ar + self.n])
        step = self.counter.view(1)
        weight, active = self.weight.index_select(0, step)[0], self.active.index_select(0, step)[0]
        grads, terms = self._vgrad(self.params, self.per_run, self.views.index_select(1, idx),
                                   self.keep.index_select(1, idx).float(), self.same.index_select(1, ar),
                                   {k: v.index_select(1, idx) for k, v in self.labels.items()}, weight)
        with torch.no_grad():
            sgd_step(list(self.params.values()), [grads[k] for k in self.params], list(self.buffers.values()),
                     self.lr, active, self.momentum, self.dampening, self.started, self.cfg.grad_clip)
            self.sums += torch.stack([terms[t] for t in self.term_names], 1) * (weight > 0).sum(1, keepdim=True)
            self.counter += 1

    # --- epochs -------------------------------------------------------------------------------
    def _load_epoch(self, epoch: int) -> None:
        """Draw every run's epoch (as it would alone) into the static buffers the steps read, each
        padded to the group's epoch length ``n`` (a multiple of the step): one run at a time, so
        the buffers are the group's only copy of its epoch (a 64-run PETA epoch is gigabytes)."""
        if not hasattr(self, "views"):  # first epoch: allocate (CUDA graphs need fixed addresses)
            self._allocate()
        fc = self.base.features.fc_inputs
        for i, run in enumerate(self.runs):
            b = epoch_batch(run.trainset, run.cfg, epoch, fc)
            p = b.pairs
            self.views[i].copy_(_pad_pairs(b.views, self.n, 0))
            self.keep[i].copy_(_pad_pairs(b.keep, self.n, 1) if b.keep is not None else 1)
            self.same[i].zero_()
            self.same[i, :p] = b.same
            for name, buffer in self.labels.items():  # a label a run lacks, or trains no task of: unknown (-1)
                own = b.labels.get(name) if _counts(run, name) else None
                own = buffer.new_full((2 * p, *buffer.shape[2:]), -1) if own is None else own
                buffer[i].copy_(_pad_pairs(_pad_columns(own, buffer.shape[-1]) if name == "attributes" else own,
                                           self.n, 0))
        if "identity" in self.labels:  # on a GPU, a label past the head is a device-side assert, not an error
            top = int(self.labels["identity"].max())  # one device sync
            if top >= self.base.heads.cfg.num_identities:
                raise ValueError(f"a person label ({top}) reaches past the group's identity head "
                                 f"({self.base.heads.cfg.num_identities} persons)")

    def _allocate(self) -> None:
        """The epoch buffers, from each run's pairs per epoch and the labels of its training set."""
        fc, k, r, device = self.base.features.fc_inputs, self.cfg.pairs_per_step, len(self.runs), self.device
        self.pairs = [run.trainset.sampler.pairs_per_epoch for run in self.runs]
        self.n = n = -(-max(self.pairs) // k) * k
        images = self.runs[0].trainset.images
        self.views = torch.zeros(r, 2 * n, images.shape[1], CROP, CROP, dtype=images[:1].dtype, device=device)
        self.keep = torch.ones(r, 2 * n, fc, dtype=torch.bool, device=device)  # 0/1 masks: a quarter of float
        self.same = torch.zeros(r, n, dtype=torch.bool, device=device)
        present = [run.trainset.labels(torch.zeros(1, dtype=torch.long, device=device)) for run in self.runs]
        width = self.base.heads.cfg.num_attributes
        self.labels = {name: torch.zeros(r, 2 * n, *([width] if name == "attributes" else []), dtype=torch.long,
                                         device=device)
                       for name in dict.fromkeys(name for labels in present for name in labels)}
        self.arange = torch.arange(k, device=device)
        self.counter = torch.zeros((), dtype=torch.long, device=device)
        self.lr = torch.zeros(r, device=device)
        self.weight, self.active = _step_weights(self.pairs, n, k, device)

    def _init_terms(self) -> None:
        """The term names of each run's loss, and of the group (their union)."""
        self.own_terms = []
        for run in self.runs:
            probe = epoch_batch(run.trainset, run.cfg, 1, self.base.features.fc_inputs)
            rows = torch.tensor([0, probe.pairs], device=self.device)
            run.model.train()
            z, heads = run.model(probe.views[rows], None)
            terms = run.loss(z, heads, probe.same[:1], {k: v[rows] for k, v in probe.labels.items()})
            self.own_terms.append(list(terms))
        self.term_names = list(dict.fromkeys(n for names in self.own_terms for n in names))
        self.sums = torch.zeros(len(self.runs), len(self.term_names), device=self.device)

    def _capture(self) -> torch.cuda.CUDAGraph:
        """Record one step as a CUDA graph (after warm-up steps whose effects are undone)."""
        state = (*self.params.values(), *self.buffers.values(), self.started)
        saved = [t.clone() for t in state]
        try:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(3):
                    self.counter.zero_()
                    self._step()
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self._step()
        finally:  # also when capture fails: the eager steps must start from the true state
            with torch.no_grad():
                for t, s in zip(state, saved):
                    t.copy_(s)
        return graph

    def train_epoch(self, epoch: int, steps: int | None = None) -> list[dict[str, float]]:
        """One epoch of every run (each as it would alone; its first ``steps`` only, if given);
        returns each run's mean loss terms."""
        if not hasattr(self, "params"):
            self._stack()
            self._init_terms()
        self._load_epoch(epoch)
        k = self.cfg.pairs_per_step
        if self.graph is None and self.graphs:
            try:
                self.graph = self._capture()
            except RuntimeError as exc:  # keep going, slowly, rather than lose the runs
                print(f"CUDA graph capture failed ({exc}); stepping eagerly", flush=True)
                self.graphs = False
        self.lr.copy_(torch.tensor([learning_rate(r.cfg, epoch) for r in self.runs]))
        self.per_run["pose_reversal"].copy_(torch.tensor([reversal_coefficient(r.cfg, epoch) for r in self.runs]))
        self.counter.zero_()
        self.sums.zero_()
        for _ in range(min(self.n // k, steps or self.n)):
            self.graph.replay() if self.graph is not None else self._step()
        means = (self.sums / torch.tensor(self.pairs, device=self.device)[:, None]).tolist()
        return [{t: v for t, v in zip(self.term_names, m) if t in own} for m, own in zip(means, self.own_terms)]

    def rehearse(self, images: int = 4) -> None:
        """One eager step of every run and the batched features of a few of each run's test and
        training images, nothing written: the group's shapes, labels and heads checked on the CPU
        before a GPU call spends its minutes (``reidlab study --rehearse``; the rankings themselves
        are tested against each run alone in ``tests/test_batched.py``; on the CPU they take minutes)."""
        self.graphs = False
        self.train_epoch(1, steps=1)
        check_finite({t: v for t, v in zip(self.term_names, self.sums.sum(0).tolist())}, 1)
        for which in ("train", "test"):
            self._features([x[:images] for x, _, _ in (r.ranked(which) for r in self.runs)], self.cfg.test_views)

    # --- what the run lifecycle asks of a trainer (``reidlab.lifecycle``) -----------------------
    @property
    def label(self) -> str:
        return f"train x{len(self.runs)}"

    def execute(self, deadline: float | None = None) -> list[dict]:
        """Train every run to the end (resuming from their checkpoints) and write their results
        (``lifecycle.execute``; ``deadline``: checkpoint and raise ``OutOfTime`` past it)."""
        return execute(self, deadline)

    def curve_points(self) -> list[dict[str, float]]:
        views = self.cfg.curve_views
        return [curve_point(a, b) for (a, _), (b, _) in zip(self.rankings("train", views), self.rankings("test", views))]

    def finals(self) -> tuple[dict, list[tuple[RankingResult, float]]]:
        return ({"batched": {"runs": len(self.runs), "cuda_graph": self.graph is not None}},
                self.rankings("test", self.cfg.test_views))

    # --- evaluation of every run at once ------------------------------------------------------
    @torch.no_grad()
    def rankings(self, which: str, views: str) -> list[tuple[RankingResult, float]]:
        """Each run's ranking (and its share of the seconds) of its test set (``"test"``) or of its
        training persons (``"train"``, the Fig. 4 curve), every run's features in one batched
        forward of the stacked weights, distances on the device."""
        t = time.perf_counter()
        sets = [r.ranked(which) for r in self.runs]
        feats = self._features([x[torch.as_tensor(eval_rows(ev), device=x.device)] for x, _, ev in sets], views)
        if self.device.type != "cuda":  # float64 distances: on the CPU unless CUDA has them
            feats = [f.cpu() for f in feats]
        out = [rank_features(f, data, ev, r.cfg.distance) for f, (_, data, ev), r in zip(feats, sets, self.runs)]
        share = (time.perf_counter() - t) / len(self.runs)
        return [(o, share) for o in out]

    def _features(self, images: list[torch.Tensor], views: str) -> list[torch.Tensor]:
        """``(V, N_r, D)`` view features of each run's images ``(N_r, 3, 64, 64)`` by its own G,
        in chunks of images (at most ``EVAL_CROPS`` crops over the group; runs padded to the chunk)."""
        params = {k.removeprefix("features."): v for k, v in self.params.items() if k.startswith("features.")}
        net, was_training = self.base.features, self.base.features.training
        net.eval()  # no dropout, as a run alone evaluates
        forward = vmap(lambda p, c, xb: functional_call(net, {**p, "centre_input": c}, (xb,)))
        v = len(test_views(images[0][:1], views))
        n = max(len(x) for x in images)
        m = max(1, EVAL_CROPS // (v * len(self.runs)))
        chunks = []
        for i in range(0, n, m):
            rows = min(m, n - i)
            crops = torch.stack([_pad_rows(test_views(x[i:i + rows], views).transpose(0, 1), rows).flatten(0, 1)
                                 for x in images])  # (R, rows * V, 3, 56, 56): image-major
            chunks.append(forward(params, self.per_run["centre_input"], crops).unflatten(1, (rows, v)))
        net.train(was_training)
        z = torch.cat(chunks, 1).transpose(1, 2).float()  # (R, V, N, D)
        return [zr[:, :len(x)] for zr, x in zip(z, images)]


def _momentum(run: Run, p: torch.Tensor) -> torch.Tensor | None:
    return run.optimizer.state.get(p, {}).get("momentum_buffer")


def _momentum_or_zero(run: Run, p: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    buf = None if p is None else _momentum(run, p)
    return torch.zeros_like(like) if buf is None else buf.detach().clone()


def _padded(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``t`` zero-padded at the end of each dimension to the shape of ``like`` (a larger head)."""
    if t.shape == like.shape:
        return t
    out = torch.zeros_like(like)
    out[tuple(slice(0, d) for d in t.shape)] = t
    return out


def _counts(run: Run, label: str) -> bool:
    """Whether a run's labels ``label`` go into the group's buffers: not where it trains no such
    task (its person labels could exceed a smaller run's identity head)."""
    return label in run.loss.cfg.tasks


def _pad_columns(labels: torch.Tensor, width: int) -> torch.Tensor:
    missing = width - labels.shape[1]
    return labels if not missing else torch.cat([labels, labels.new_full((len(labels), missing), -1)], 1)


def _pad_rows(x: torch.Tensor, n: int) -> torch.Tensor:
    """``x`` with zero rows appended up to ``n`` rows."""
    return torch.cat([x, x.new_zeros(n - len(x), *x.shape[1:])]) if len(x) < n else x


def _pad_pairs(x: torch.Tensor, n: int, fill) -> torch.Tensor:
    """Rows ``[x1 of every pair; x2 of every pair]`` of ``len(x) // 2`` pairs, padded to ``n`` pairs."""
    pairs = len(x) // 2
    if pairs == n:
        return x
    filler = torch.full((n - pairs, *x.shape[1:]), fill, dtype=x.dtype, device=x.device)
    return torch.cat([x[:pairs], filler, x[pairs:], filler])


def _step_weights(pairs: list[int], n: int, k: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Per step and run: each pair's weight (1/size of the run's own step, 0 for padding), and
    whether the run takes the step at all (its epoch is not over)."""
    steps = n // k
    pair = torch.arange(n, device=device).view(steps, 1, k)  # the pair each step reads
    own = torch.tensor(pairs, device=device).view(1, -1, 1)
    valid = (pair < own).float()  # (steps, R, k)
    size = valid.sum(-1, keepdim=True)
    return valid / size.clamp_min(1), (size[..., 0] > 0).float()
