"""`DistributedModel`: the torch backend's Model, trained under DistributedDataParallel.

A subclass of `fcnet.backends.torch_backend.Model` that overrides the step, evaluation
and prediction (`_train_step`, `evaluate`, `_predict`); everything else (weights, state,
files, the loss, the optimiser and scheduler step) is the torch backend's own. Built by
the data-parallel session of `fcnet.distributed` (`Session.build`), which it knows only
as an object with `rank`, `world_size`, `device` and `lost(exc, where)`.

`train_step(x, y)` takes the *global* batch and trains on this rank's rows of it (r,
r + W, ...); `evaluate` and `predict` split their input the same way and reduce or
gather the results, so every rank gets the numbers one process would compute. Those
three are collective: all ranks call them together. Weights are identical on every rank:
DDP starts from rank 0's weights and every rank applies the same averaged gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from fcnet.backends._common import accuracy, check_xy
from fcnet.backends.torch_backend import Model, build_loss
from fcnet.spec import NetSpec


class DistributedModel(Model):
    """The torch backend's Model whose step, evaluation and prediction span the ranks."""

    def __init__(self, spec: NetSpec, session: Any) -> None:
        super().__init__(spec, device=session.device)
        self.session = session
        self.rank, self.world_size = session.rank, session.world_size
        dev = self.device
        self.ddp: DistributedDataParallel | None = DistributedDataParallel(
            self.module, device_ids=[dev.index] if dev.type == "cuda" else None
        )
        self._loss_sum = build_loss(spec, reduction="sum")
        # "sum" only for mse and bce (the spec's rule); the others always average
        self._mean = not (spec.reduction == "sum" and spec.loss in ("mse", "bce"))
        if self.rank:  # different dropout masks on each rank; rank 0 keeps one process's
            torch.manual_seed(spec.seed + 100_003 * self.rank)

    def _shard(self, a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a[self.rank :: self.world_size])

    def _denominator(self, n_rows: int) -> float:
        """What the summed loss is divided by to give the spec's reduction over n_rows."""
        if not self._mean:
            return 1.0
        per_row = 1 if self.spec.loss == "cross_entropy" else self.spec.output_size
        return float(max(n_rows * per_row, 1))

    def resident_steps(self, x, y) -> None:
        """None: each rank draws its shard of the global batch on the host (`_train_step`)."""
        return None

    def _train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One data-parallel optimiser step on the global batch (x, y); its loss (all ranks)."""
        assert self.ddp is not None, "the session that built this model is closed"
        denom = self._denominator(len(x))
        try:
            self.module.train()
            self.optimizer.zero_grad(set_to_none=True)
            out = self.ddp(self._tensor(self._shard(x)))
            loss_sum = self._loss_sum(out, self._tensor(self._shard(y)))
            total = loss_sum.detach().to(torch.float64).reshape(1).clone()
            work = dist.all_reduce(total, async_op=True)  # the batch loss, for the log
            # DDP averages the W gradients; W times this rank's share gives their sum
            self._apply_gradients(loss_sum * (self.world_size / denom))
            work.wait()
        except RuntimeError as exc:
            raise self.session.lost(exc, f"at optimiser step {self.steps + 1}") from None
        return float(total.item()) / denom

    def evaluate(self, x: Any, y: Any) -> dict[str, float]:
        """{"loss", and "accuracy" for classification} over all of (x, y), split across ranks."""
        xa, ya = check_xy(self.spec, x, y)
        xs, ys = self._shard(xa), self._shard(ya)
        self.module.eval()
        with torch.no_grad():
            out = self.module(self._tensor(xs))
            loss_sum = float(self._loss_sum(out, self._tensor(ys)).item())
        acc = accuracy(self.spec, out.cpu().numpy(), ys) if len(ys) else None
        right = 0.0 if acc is None else acc * len(ys)
        sums = torch.tensor([loss_sum, right], dtype=torch.float64, device=self.device)
        try:
            dist.all_reduce(sums)
        except RuntimeError as exc:
            raise self.session.lost(exc, "while evaluating") from None
        loss_total, right_total = sums.tolist()
        result = {"loss": loss_total / self._denominator(len(xa))}
        if self.spec.loss != "mse":
            result["accuracy"] = right_total / len(xa)
        return result

    def _predict(self, x: np.ndarray) -> np.ndarray:
        """The network's output for all of x: each rank computes its rows, all gather them."""
        n, w = len(x), self.world_size
        rows = -(-n // w)
        mine = super()._predict(self._shard(x))  # (<= rows, out)
        padded = np.zeros((rows, self.spec.output_size), dtype=mine.dtype)
        padded[: len(mine)] = mine
        local = torch.from_numpy(padded).to(self.device)
        parts = [torch.empty_like(local) for _ in range(w)]
        try:
            dist.all_gather(parts, local)
        except RuntimeError as exc:
            raise self.session.lost(exc, "while predicting") from None
        out = np.empty((n, self.spec.output_size), dtype=mine.dtype)
        for r, part in enumerate(parts):
            out[r::w] = part.cpu().numpy()[: len(range(r, n, w))]
        return out

    def __repr__(self) -> str:
        return f"<DistributedModel rank {self.rank} of {self.world_size}: {super().__repr__()}>"


__all__ = ["DistributedModel"]
