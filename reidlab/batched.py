"""Many runs of the same shape trained at once, as one batched model (``torch.func.vmap``).

The paper's protocol takes one pair (two 56x56 images) per SGD step, which leaves a GPU idle.
A :class:`RunGroup` stacks the parameters of R runs that differ only in fold, seeds or attribute
weights (``PER_RUN``) and takes the R runs' steps together: ``vmap(grad(loss))`` over the stacked
parameters is one step of R independent runs (the convolutions become grouped convolutions).
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
from tqdm import tqdm

from reidlab.errors import ReidlabError
from reidlab.run import Run
from reidlab.train import TrainingDiverged, check_finite, epoch_batch, learning_rate

# config keys that may differ between the runs of a group; all others must be equal
PER_RUN = ("trial", "split_seed", "seed", "attribute_weighting", "attribute_weights", "pretrained", "device")


def group_key(config: dict) -> str:
    """Runs with equal keys can share a group (their parameter shapes are checked too)."""
    shared = {k: v for k, v in config.items() if k not in PER_RUN}
    shared["attribute head"] = config.get("attribute_weighting") != "none"  # weighting "none" drops it
    return json.dumps(shared, sort_keys=True)


class RunGroup:
    """R runs (:class:`reidlab.run.Run`, not yet finished) trained in lockstep."""

    def __init__(self, runs: list[Run], graphs: bool | None = None, progress: bool = True):
        if not runs:
            raise ValueError("a run group needs at least one run")
        keys = {group_key(r.cfg.to_dict()) for r in runs}
        shapes = {tuple((k, tuple(p.shape)) for k, p in r.model.named_parameters()) for r in runs}
        if len(keys) > 1 or len(shapes) > 1 or len({r.device for r in runs}) > 1:
            raise ValueError("runs of a group must share every config key but "
                             f"{', '.join(PER_RUN)}, their parameter shapes and their device")
        self.runs, self.cfg, self.progress = runs, runs[0].cfg, progress
        self.device = runs[0].device
        self.graphs = self.device.type == "cuda" if graphs is None else graphs
        self.base, self.loss = runs[0].model, runs[0].loss  # templates for functional_call
        self._vgrad = vmap(grad(self._loss, has_aux=True))
        self.graph: torch.cuda.CUDAGraph | None = None

    # --- one step of every run ----------------------------------------------------------------
    def _loss(self, params, alpha, x, keep, same, labels):
        z, heads = functional_call(self.base, params, (x, keep))
        terms = functional_call(self.loss, {"attribute_alpha": alpha}, (z, heads, same, labels))
        return terms["total"], terms

    def _stack(self) -> None:
        named = [dict(r.model.named_parameters()) for r in self.runs]
        self.params = {k: torch.stack([n[k].detach() for n in named]).contiguous() for k in named[0]}
        self.buffers = {k: torch.stack([_momentum(r, n[k]) for r, n in zip(self.runs, named)])
                        for k in named[0]} if self.cfg.momentum else {}
        self.alpha = torch.stack([r.loss.attribute_alpha for r in self.runs])

    def _unstack(self) -> None:
        """Copy the stacked weights (and momentum) back into each run's model and optimizer."""
        with torch.no_grad():
            for i, run in enumerate(self.runs):
                for k, p in run.model.named_parameters():
                    p.copy_(self.params[k][i])
                    if self.buffers:
                        run.optimizer.state[p]["momentum_buffer"] = self.buffers[k][i].clone()

    def _step(self, size: int) -> None:
        """Pairs ``counter*k .. +size`` of the epoch buffers, for every run; SGD update in place."""
        s = self.counter * self.cfg.pairs_per_step
        ar = self.arange[:size] + s
        idx = torch.cat([ar, ar + self.n])
        grads, terms = self._vgrad(self.params, self.alpha, self.views.index_select(1, idx),
                                   self.keep.index_select(1, idx), self.same.index_select(1, ar),
                                   {k: v.index_select(1, idx) for k, v in self.labels.items()})
        with torch.no_grad():  # SGD on every run at once: multi-tensor (foreach) kernels
            params, g = list(self.params.values()), [grads[k] for k in self.params]
            if self.cfg.grad_clip:
                torch._foreach_clamp_min_(g, -self.cfg.grad_clip)
                torch._foreach_clamp_max_(g, self.cfg.grad_clip)
            if self.buffers:
                bufs = list(self.buffers.values())
                torch._foreach_mul_(bufs, self.cfg.momentum)
                torch._foreach_add_(bufs, g)
                g = bufs
            torch._foreach_sub_(params, torch._foreach_mul(g, self.lr))
            self.sums += torch.stack([terms[t] for t in self.term_names], 1) * size
            self.counter += 1

    # --- epochs -------------------------------------------------------------------------------
    def _load_epoch(self, epoch: int) -> None:
        """Draw every run's epoch (as it would alone) into the static buffers the steps read."""
        fc = self.base.features.fc_inputs
        batches = [epoch_batch(r.trainset, r.cfg, epoch, fc) for r in self.runs]
        fields = {"views": [b.views for b in batches], "same": [b.same for b in batches],
                  "keep": [b.keep if b.keep is not None else torch.ones(len(b.views), fc, device=self.device)
                           for b in batches]}
        labels = {k: [b.labels[k] for b in batches] for k in batches[0].labels}
        if not hasattr(self, "views"):  # first epoch: allocate (CUDA graphs need fixed addresses)
            self.n = batches[0].pairs
            for name, parts in fields.items():
                setattr(self, name, torch.stack(parts))
            self.labels = {k: torch.stack(v) for k, v in labels.items()}
            self.arange = torch.arange(self.cfg.pairs_per_step, device=self.device)
            self.counter = torch.zeros((), dtype=torch.long, device=self.device)
            self.lr = torch.zeros((), device=self.device)
            return
        for name, parts in fields.items():
            getattr(self, name).copy_(torch.stack(parts))
        for k, v in labels.items():
            self.labels[k].copy_(torch.stack(v))

    def _init_terms(self) -> None:
        probe = epoch_batch(self.runs[0].trainset, self.cfg, 1, self.base.features.fc_inputs)
        rows = torch.tensor([0, probe.pairs], device=self.device)
        self.base.train()
        z, heads = self.base(probe.views[rows], None)
        terms = self.loss(z, heads, probe.same[:1], {k: v[rows] for k, v in probe.labels.items()})
        self.term_names = list(terms)
        self.sums = torch.zeros(len(self.runs), len(self.term_names), device=self.device)

    def _capture(self) -> torch.cuda.CUDAGraph:
        """Record one step as a CUDA graph (after warm-up steps whose effects are undone)."""
        saved = [t.clone() for t in (*self.params.values(), *self.buffers.values())]
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                self.counter.zero_()
                self._step(self.cfg.pairs_per_step)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self._step(self.cfg.pairs_per_step)
        with torch.no_grad():
            for t, s in zip((*self.params.values(), *self.buffers.values()), saved):
                t.copy_(s)
        return graph

    def train_epoch(self, epoch: int) -> list[dict[str, float]]:
        """One epoch of every run (each as it would alone); returns each run's mean loss terms."""
        if not hasattr(self, "params"):
            self._stack()
            self._init_terms()
        self._load_epoch(epoch)
        k = self.cfg.pairs_per_step
        if self.graph is None and self.graphs and self.n // k:
            try:
                self.graph = self._capture()
            except RuntimeError as exc:  # keep going, slowly, rather than lose the runs
                print(f"CUDA graph capture failed ({exc}); stepping eagerly", flush=True)
                self.graphs = False
        self.lr.fill_(learning_rate(self.cfg, epoch))
        self.counter.zero_()
        self.sums.zero_()
        for _ in range(self.n // k):
            self.graph.replay() if self.graph is not None else self._step(k)
        if self.n % k:
            self._step(self.n % k)
        means = (self.sums / self.n).tolist()
        return [dict(zip(self.term_names, m)) for m in means]

    def execute(self, deadline: float | None = None) -> list[dict]:
        """Train every run to the end (resuming from their checkpoints) and write their results.

        ``deadline`` (a ``time.time()``): past it, checkpoint every run and raise :class:`OutOfTime`
        (a later ``execute`` resumes)."""
        for run in self.runs:
            run._write_config()
        states = [run.resume() for run in self.runs]
        if len({start for _, start, _ in states}) > 1:
            raise ValueError("runs of a group must resume from the same epoch; run them alone")
        histories = [h for h, _, _ in states]
        start, elapsed = states[0][1], max(e for _, _, e in states)
        t0 = time.perf_counter() - elapsed
        bar = tqdm(range(start, self.cfg.epochs + 1), desc=f"train x{len(self.runs)}", unit="epoch",
                   initial=start - 1, total=self.cfg.epochs, disable=not self.progress)
        for epoch in bar:
            losses = self.train_epoch(epoch)
            late = deadline is not None and time.time() > deadline
            self._end_epoch(epoch, losses, histories, time.perf_counter() - t0, force_checkpoint=late)
            bar.set_postfix(total=f"{sum(m['total'] for m in losses) / len(losses):.3f}")
            if late and epoch < self.cfg.epochs:
                raise OutOfTime(f"deadline reached after epoch {epoch}; checkpoints saved, run again to resume")
        self._unstack()
        extra = {"batched": {"runs": len(self.runs), "cuda_graph": self.graph is not None}}
        return [run.finish(h, time.perf_counter() - t0, t0, extra) for run, h in zip(self.runs, histories)]

    def _end_epoch(self, epoch: int, losses: list[dict], histories: list[dict], elapsed: float,
                   force_checkpoint: bool = False) -> None:
        cfg = self.cfg
        due = (cfg.curve_every and epoch % cfg.curve_every == 0) or epoch % cfg.checkpoint_every == 0 \
            or epoch == cfg.epochs or force_checkpoint
        for run, m, h in zip(self.runs, losses, histories):
            try:
                check_finite(m, epoch)
            except TrainingDiverged as exc:  # a group stops as a run alone would
                run.record_divergence(exc, h)
                raise
        if due:
            self._unstack()
        for run, m, h in zip(self.runs, losses, histories):
            run.end_epoch(epoch, m, h, elapsed, force_checkpoint)


class OutOfTime(ReidlabError):
    """A group stopped at its deadline; its runs resume from their checkpoints."""


def _momentum(run: Run, p: torch.Tensor) -> torch.Tensor:
    buf = run.optimizer.state.get(p, {}).get("momentum_buffer")
    return torch.zeros_like(p) if buf is None else buf.detach().clone()
