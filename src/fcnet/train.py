"""The one training loop the tasks share: batches, epochs, evaluation, guard rails.

`train(model, x, y, ...)` runs mini-batch epochs on any backend's `Model`, evaluates the
named data sets (validation, test, ...) after every epoch, and keeps a `History` of one
record per epoch. The loop itself is short; each concern around it is a callback
(`fcnet.callbacks`): the metrics log, early stopping (watches a validation metric and
restores the best weights), the progress bar, the caller's callbacks and the checkpoints.
Ctrl-C is held between steps (`fcnet.interrupt`) and ends in a checkpoint and
`Interrupted`; `train(..., resume=True)` continues from it, bit for bit on the numpy
backend (`fcnet.checkpoint` keeps the model's state, the shuffling generator's state, the
epoch's permutation and the position in it). A non-finite loss stops training with
`TrainingDiverged`, naming the epoch and step.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from fcnet import checkpoint as _checkpoint
from fcnet.callbacks import Callback, Checkpointer, EarlyStopping, MetricsLog, ProgressBar
from fcnet.checkpoint import History, LoopState
from fcnet.i18n import gettext as _
from fcnet.interrupt import CtrlC, sigint_handler

if TYPE_CHECKING:  # pragma: no cover
    from fcnet.backends import Model

MONITORS = ("loss", "accuracy", "auc")

Scorer = Callable[["Model", np.ndarray, np.ndarray], dict[str, float]]


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite: the message names the epoch, the step and what to try;
    `loss` is the value it became."""

    def __init__(self, message: str, loss: float = math.nan) -> None:
        super().__init__(message)
        self.loss = loss


class Interrupted(KeyboardInterrupt):
    """Training was interrupted (Ctrl-C); `checkpoint` is where it was saved, or None."""

    def __init__(self, message: str, checkpoint: Path | None, epoch: int, step: int) -> None:
        super().__init__(message)
        self.message = message
        self.checkpoint = checkpoint
        self.epoch = epoch
        self.step = step

    def __str__(self) -> str:
        return self.message


def default_scorer(model: Model, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """`model.evaluate`: the loss, and the accuracy for classification losses."""
    return {k: float(v) for k, v in model.evaluate(x, y).items()}


def train(
    model: Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    seed: int = 0,
    evals: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    scorer: Scorer = default_scorer,
    early_stopping: bool = False,
    monitor: str = "loss",
    patience: int = 5,
    sample_weights: np.ndarray | None = None,
    loss_weights: np.ndarray | None = None,
    shuffle: bool = True,
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
    callbacks: Sequence[Callback] = (),
    checkpoint: str | os.PathLike[str] | None = None,
    checkpoint_every: float = 60.0,
    resume: bool = False,
    metrics_log: str | os.PathLike[str] | None = None,
    progress: bool = True,
    label: str = "train",
) -> History:
    """Train `model` on (x, y) for `epochs` epochs of mini-batches of `batch_size`.

    evals: named (x, y) sets scored by `scorer` after every epoch; the record gets
        "<name>_<metric>" for each (for the set named "train", its loss is left out:
        "train_loss" is the mean of the epoch's batch losses).
    early_stopping: stop when "val_<monitor>" (monitor: loss, accuracy or auc) has not
        improved for `patience` epochs, then restore the best weights. Needs evals["val"].
    sample_weights: draw each epoch's batches with replacement, with probability
        proportional to these weights (a weighted sampler), instead of a permutation.
    loss_weights: weigh each sample's loss instead (`model.train_step(x, y, w)`, as
        scikit-learn's sample_weight); a batch whose weights sum to 0 is skipped, and
        "train_loss" is then the epoch's weighted mean.
    shuffle: False keeps the samples' order in every epoch (no sampler).
    augment: augment(x_batch, rng) -> a changed copy, applied to every training batch;
        it draws from the loop's generator, so a resumed run draws the same.
    callbacks: `fcnet.callbacks.Callback`s, run after the progress bar's (a callback
        stops training by setting `state.history.stopped_early`).
    checkpoint: the .npz written on Ctrl-C, every `checkpoint_every` seconds and at the
        end; resume=True continues from it. metrics_log: the JSON-lines file of records.
    """
    evals = dict(evals or {})
    _check_args(x, y, epochs, batch_size, evals, early_stopping, monitor, patience)
    n = len(x)
    sampler = _weights("sample_weights", sample_weights, n)
    if sampler is not None:
        sampler = sampler / sampler.sum()
    weights = _weights("loss_weights", loss_weights, n)
    n_batches = math.ceil(n / batch_size)
    spec = getattr(model, "spec", None)
    if spec is not None:  # the batch's activations, beside the weights
        from fcnet.limits import check_network

        check_network(spec, min(batch_size, n), what="training")
    ckpt = Path(checkpoint) if checkpoint is not None else None

    state = LoopState(rng=np.random.default_rng([seed, 7]))
    if resume:
        if ckpt is None:
            raise ValueError(_("resume: needs a checkpoint path"))
        state = _checkpoint.load(ckpt, model, n, n_batches)
    history = state.history

    # a backend that can keep the training set on its device (torch on a GPU) says so
    hook = getattr(model, "resident_steps", None) if augment is None and weights is None else None
    resident = hook(x, y) if hook is not None else None
    checked = _checked_set(model, x, y) if resident is None and augment is None else None

    ctrl_c = CtrlC()
    bar = ProgressBar(label, epochs, n_batches) if progress else None
    saver = Checkpointer(ckpt, model, checkpoint_every, ctrl_c) if ckpt is not None else None
    loop: list[Callback] = []
    if metrics_log is not None:
        loop.append(MetricsLog(metrics_log))
    if early_stopping:
        loop.append(EarlyStopping(model, f"val_{monitor}", monitor == "loss", patience))
    loop += [*([bar] if bar else []), *callbacks, *([saver] if saver else [])]

    interrupted: Interrupted | None = None
    # Ctrl-C only sets ctrl_c.flag (checked between steps) from the first file written
    # until training has ended and its checkpoint is on disk: whenever it comes, a
    # resumable checkpoint is left behind.
    with ctrl_c.installed():
        t_start = time.perf_counter() - history.seconds
        try:
            try:
                # overflow shows as a non-finite loss, which the guard reports in one line
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    for cb in loop:
                        cb.on_train_begin(state)
                    while state.epoch < epochs and not history.stopped_early:
                        record = _epoch(model, x, y, state, sampler, weights, shuffle, batch_size,
                                        n_batches, augment, resident, checked, loop,
                                        ctrl_c)  # fmt: skip
                        for name, (ex, ey) in evals.items():
                            for metric, value in scorer(model, ex, ey).items():
                                if not (name == "train" and metric == "loss"):
                                    record[f"{name}_{metric}"] = float(value)
                        record["seconds"] = round(time.perf_counter() - state.t_epoch, 4)
                        with ctrl_c.shielded():  # the record, the log and the state move together
                            history.records.append(record)
                            state.epoch, state.order = state.epoch + 1, None
                            for cb in loop:
                                cb.on_epoch_record(record)
                            history.seconds = time.perf_counter() - t_start
                        for cb in loop:
                            cb.on_epoch_end(record)
                        ctrl_c.check()
                    with ctrl_c.shielded():  # a second Ctrl-C waits for the final save
                        history.seconds = time.perf_counter() - t_start
                        for cb in loop:
                            cb.on_train_end()
            finally:
                if bar is not None:
                    bar.close()
        except KeyboardInterrupt as exc:
            if isinstance(exc, Interrupted):
                raise
            with ctrl_c.shielded():
                interrupted = _interrupted(ckpt, saver, state, ctrl_c)
        else:
            if ctrl_c.flag and ckpt is not None:
                msg = _(
                    "interrupted after the last epoch; checkpoint saved to {checkpoint}"
                ).format(checkpoint=ckpt)
                interrupted = Interrupted(msg, ckpt, state.epoch, state.step)
    if interrupted is not None:
        raise interrupted
    return history


def _epoch(
    model: Model,
    x: np.ndarray,
    y: np.ndarray,
    state: LoopState,
    sampler: np.ndarray | None,
    weights: np.ndarray | None,
    shuffle: bool,
    batch_size: int,
    n_batches: int,
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None,
    resident: Any,
    checked: _CheckedSet | None,
    loop: Sequence[Callback],
    ctrl_c: CtrlC,
) -> dict[str, Any]:
    """The steps of one epoch (from where `state` stands); the record's first two keys."""
    n = len(x)
    if state.order is None:
        state.order = _epoch_order(state.rng, n, sampler, shuffle)
        state.step, state.loss_sum, state.seconds = 0, 0.0, 0.0
    state.t_epoch = time.perf_counter() - state.seconds
    order = state.order
    while state.step < n_batches:
        lo, hi = state.step * batch_size, (state.step + 1) * batch_size
        step = model.train_step
        if checked is not None:  # the set checked once: its batches are not checked again
            idx, step = order[lo:hi], checked.step
            xb, yb = checked.x[idx], checked.y[idx]
        elif resident is None:
            idx = order[lo:hi]
            xb = x[idx] if augment is None else augment(x[idx], state.rng)
            yb = y[idx]
        ctrl_c.in_step = True
        if resident is not None:  # the data on the GPU: batches gathered there
            loss = resident(order, lo, hi)
        elif weights is None:
            loss = step(xb, yb)
        else:
            share = float(weights[idx].sum())
            # a batch of weightless samples teaches nothing: no step
            loss = step(xb, yb, weights[idx]) if share > 0 else 0.0
        ctrl_c.in_step = False
        state.step += 1
        if not math.isfinite(loss):
            raise TrainingDiverged(
                _diverged_message(model, loss, state.epoch + 1, state.step, n_batches), loss
            )
        state.loss_sum += loss if weights is None else loss * share
        for cb in loop:
            cb.on_step_end(state.epoch + 1, state.step, loss)
        ctrl_c.check()
    if weights is None:
        train_loss = state.loss_sum / n_batches
    else:
        total = float(weights.sum())
        train_loss = state.loss_sum / total if total > 0 else 0.0
    return {"epoch": state.epoch + 1, "train_loss": train_loss}


class _CheckedSet(NamedTuple):
    """The training set as the model's checks give it, checked once per fit."""

    x: np.ndarray  # (n, in)
    y: np.ndarray  # (n,) labels or (n, out)
    step: Callable[..., float]  # the model's step on checked batches


def _checked_set(model: Model, x: np.ndarray, y: np.ndarray) -> _CheckedSet | None:
    """(x, y) checked once for the whole fit, so that no batch is checked again; None where
    each batch is checked as it comes: a model without the shared checks (`ModelBase`), or
    an x that the check would copy whole (another dtype or layout than the model's)."""
    from fcnet.backends._base import ModelBase
    from fcnet.backends._common import check_xy

    xa = np.asarray(x)
    if not isinstance(model, ModelBase) or xa.dtype != model.spec.dtype:
        return None
    if not xa.flags.c_contiguous:
        return None
    xs, ys = check_xy(model.spec, xa, y)
    return _CheckedSet(xs, ys, model._train_checked)


def _weights(name: str, w: np.ndarray | None, n: int) -> np.ndarray | None:
    """`w` as n non-negative float64 numbers, or None."""
    if w is None:
        return None
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (n,) or not np.all(w >= 0):
        raise ValueError(
            _("{name}: expected {n} non-negative numbers, got shape {shape}").format(
                name=name, n=n, shape=w.shape
            )
        )
    return w


def _epoch_order(
    rng: np.random.Generator, n: int, sampler: np.ndarray | None, shuffle: bool
) -> np.ndarray:
    if sampler is not None:
        return rng.choice(n, size=n, replace=True, p=sampler)
    return rng.permutation(n) if shuffle else np.arange(n)


def _interrupted(
    ckpt: Path | None, saver: Checkpointer | None, state: LoopState, ctrl_c: CtrlC
) -> Interrupted:
    epoch = state.epoch
    where = (
        _("epoch {epoch}, step {step}").format(epoch=epoch + 1, step=state.step)
        if state.order is not None
        else _("the end of epoch {epoch}").format(epoch=epoch)
    )
    if ctrl_c.in_step:  # a forced stop (Ctrl-C three times) inside a step: the state is torn
        if ckpt is not None and ckpt.is_file():
            msg = _(
                "aborted inside an optimiser step ({where}); the last checkpoint, {checkpoint}, "
                "is kept"
            ).format(where=where, checkpoint=ckpt)
            return Interrupted(msg, ckpt, epoch + 1, state.step)
        msg = _("aborted inside an optimiser step ({where}); no checkpoint written").format(
            where=where
        )
        return Interrupted(msg, None, epoch + 1, state.step)
    if ckpt is None or saver is None:
        msg = _("interrupted at {where}").format(where=where)
        return Interrupted(msg, None, epoch + 1, state.step)
    if state.order is not None:
        state.seconds = time.perf_counter() - state.t_epoch
    saver.save()
    msg = _("interrupted at {where}; checkpoint saved to {checkpoint}").format(
        where=where, checkpoint=ckpt
    )
    return Interrupted(msg, ckpt, epoch + 1, state.step)


def _diverged_message(model: Model, loss: float, epoch: int, step: int, n_batches: int) -> str:
    spec = getattr(model, "spec", None)
    hints = []
    if spec is not None:
        hints.append(_("a lower learning rate (lr is {lr})").format(lr=f"{spec.optimizer.lr:g}"))
        if spec.reduction == "sum":
            hints.append(_('reduction "mean" instead of "sum"'))
        if spec.optimizer.clip_norm is None:
            hints.append(_("gradient clipping (optimizer.clip_norm)"))
    else:
        hints.append(_("a lower learning rate"))
    return _(
        "training diverged: the loss became {loss} at epoch {epoch}, step {step} of "
        "{n_batches}; try {hints}"
    ).format(loss=loss, epoch=epoch, step=step, n_batches=n_batches, hints=_(", or ").join(hints))


def _check_args(x, y, epochs, batch_size, evals, early_stopping, monitor, patience) -> None:
    if len(x) != len(y):
        raise ValueError(
            _("x and y: expected the same number of rows, got {n_x} and {n_y}").format(
                n_x=len(x), n_y=len(y)
            )
        )
    if len(x) == 0:
        raise ValueError(_("x: expected at least one training sample, got none"))
    if not (isinstance(epochs, int) and epochs >= 1):
        raise ValueError(_("epochs: expected an int >= 1, got {value}").format(value=repr(epochs)))
    if not (isinstance(batch_size, int) and batch_size >= 1):
        raise ValueError(
            _("batch_size: expected an int >= 1, got {value}").format(value=repr(batch_size))
        )
    if monitor not in MONITORS:
        raise ValueError(
            _("monitor: expected one of {names}, got {value}").format(
                names=", ".join(MONITORS), value=repr(monitor)
            )
        )
    if early_stopping:
        if "val" not in evals:
            raise ValueError(_("early_stopping: needs a validation set (evals['val'])"))
        if not (isinstance(patience, int) and patience >= 1):
            raise ValueError(
                _("patience: expected an int >= 1, got {value}").format(value=repr(patience))
            )


__all__ = [
    "MONITORS",
    "Callback",
    "History",
    "Interrupted",
    "TrainingDiverged",
    "default_scorer",
    "sigint_handler",
    "train",
]
