"""The one training loop the tasks share: batches, epochs, evaluation, guard rails.

`train(model, x, y, ...)` runs mini-batch epochs on any backend's `Model`, evaluates the
named data sets (validation, test, ...) after every epoch, and keeps a `History` of one
record per epoch. Around that loop sit the guard rails:

- a non-finite loss stops training with `TrainingDiverged`, naming the epoch and step;
- Ctrl-C (or a callback raising KeyboardInterrupt) between two steps writes a checkpoint
  and raises `Interrupted`; `train(..., resume=True)` continues from it, bit for bit on
  the numpy backend (the model's state, the shuffling generator's state, the epoch's
  permutation and the position in it all go into the checkpoint);
- early stopping watches a validation metric and restores the best weights.

Checkpoints are `.npz` files (no pickle) written atomically.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fcnet._fileio import atomic_write, atomic_write_text
from fcnet.i18n import N_
from fcnet.i18n import gettext as _

if TYPE_CHECKING:  # pragma: no cover
    from fcnet.backends import Model

MONITORS = ("loss", "accuracy", "auc")
_CHECKPOINT_VERSION = 1

Scorer = Callable[["Model", np.ndarray, np.ndarray], dict[str, float]]


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite: the message names the epoch, the step and what to try."""


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


class Callback:
    """Hooks into the loop; override what you need. Raising KeyboardInterrupt is Ctrl-C."""

    def on_step_end(self, epoch: int, step: int, loss: float) -> None:
        """After optimiser step `step` (1-based within the epoch) of epoch `epoch` (1-based)."""

    def on_epoch_end(self, record: dict[str, Any]) -> None:
        """After an epoch's evaluation; `record` is the line written to metrics.jsonl."""


@dataclass
class History:
    """What training produced: a record per epoch, and how it ended."""

    records: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int | None = None
    best_value: float | None = None
    stopped_early: bool = False
    seconds: float = 0.0

    def column(self, key: str) -> list[float]:
        """The values of `key` over the epochs (NaN where an epoch lacks it)."""
        return [float(r.get(key, math.nan)) for r in self.records]


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
    augment: augment(x_batch, rng) -> a changed copy, applied to every training batch;
        it draws from the loop's generator, so a resumed run draws the same.
    checkpoint: the .npz written on Ctrl-C, every `checkpoint_every` seconds and at the
        end; resume=True continues from it. metrics_log: the JSON-lines file of records.
    """
    evals = dict(evals or {})
    _check_args(x, y, epochs, batch_size, evals, early_stopping, monitor, patience)
    n = len(x)
    if sample_weights is not None:
        sample_weights = np.asarray(sample_weights, dtype=np.float64)
        if sample_weights.shape != (n,) or not np.all(sample_weights >= 0):
            raise ValueError(
                _("sample_weights: expected {n} non-negative numbers, got shape {shape}").format(
                    n=n, shape=sample_weights.shape
                )
            )
        sample_weights = sample_weights / sample_weights.sum()
    n_batches = math.ceil(n / batch_size)
    spec = getattr(model, "spec", None)
    if spec is not None:  # the batch's activations, beside the weights the spec checked
        from fcnet.limits import check_network

        check_network(spec, min(batch_size, n), what="training")
    ckpt = Path(checkpoint) if checkpoint is not None else None
    key = f"val_{monitor}"
    minimise = monitor == "loss"

    state = _LoopState(rng=np.random.default_rng([seed, 7]))
    if resume:
        if ckpt is None:
            raise ValueError(_("resume: needs a checkpoint path"))
        state = _load_checkpoint(ckpt, model, n, n_batches)
    history = state.history

    # a backend that can keep the training set on its device (torch on a GPU) says so
    hook = getattr(model, "resident_steps", None) if augment is None else None
    resident = hook(x, y) if hook is not None else None

    stop = _StopFlag()
    bar = _Bar(enabled=progress, label=label, epochs=epochs, n_batches=n_batches)
    interrupted: Interrupted | None = None
    # Ctrl-C only sets stop.flag (checked between steps) from the first file written until
    # training has ended and its checkpoint is on disk: whenever it comes, a resumable
    # checkpoint is left behind.
    with stop.installed():
        if metrics_log is not None:  # (resumed: drop lines written after the checkpoint)
            atomic_write_text(metrics_log, "".join(_json_line(r) for r in history.records))
        t_start = time.perf_counter() - history.seconds
        last_save = time.perf_counter()
        epoch = state.epoch
        try:
            # overflow shows as a non-finite loss, which the guard reports in one line
            with bar, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                bar.start(epoch, state.step)
                while epoch < epochs and not history.stopped_early:
                    if state.order is None:
                        state.order = _epoch_order(state.rng, n, sample_weights)
                        state.step, state.loss_sum, state.seconds = 0, 0.0, 0.0
                    state.t_epoch = time.perf_counter() - state.seconds
                    order = state.order
                    while state.step < n_batches:
                        lo, hi = state.step * batch_size, (state.step + 1) * batch_size
                        if resident is None:
                            idx = order[lo:hi]
                            xb = x[idx] if augment is None else augment(x[idx], state.rng)
                        stop.in_step = True
                        if resident is not None:  # the data on the GPU: batches gathered there
                            loss = resident(order, lo, hi)
                        else:
                            loss = model.train_step(xb, y[idx])
                        stop.in_step = False
                        state.step += 1
                        if not math.isfinite(loss):
                            raise TrainingDiverged(
                                _diverged_message(model, loss, epoch + 1, state.step, n_batches)
                            )
                        state.loss_sum += loss
                        bar.step(state.loss_sum / state.step)
                        for cb in callbacks:
                            cb.on_step_end(epoch + 1, state.step, loss)
                        if stop.flag:
                            raise KeyboardInterrupt
                    record = {"epoch": epoch + 1, "train_loss": state.loss_sum / n_batches}
                    for name, (ex, ey) in evals.items():
                        for metric, value in scorer(model, ex, ey).items():
                            if not (name == "train" and metric == "loss"):
                                record[f"{name}_{metric}"] = float(value)
                    record["seconds"] = round(time.perf_counter() - state.t_epoch, 4)
                    with stop.shielded():  # the record, the log and the state move together
                        history.records.append(record)
                        epoch += 1
                        state.epoch, state.order = epoch, None
                        if metrics_log is not None:
                            with open(metrics_log, "a", encoding="utf-8") as fh:
                                fh.write(_json_line(record))
                        if early_stopping:
                            _early_stop_update(state, model, record[key], epoch, minimise, patience)
                        history.seconds = time.perf_counter() - t_start
                    bar.epoch_done(record)
                    for cb in callbacks:
                        cb.on_epoch_end(record)
                    if stop.flag:
                        raise KeyboardInterrupt
                    if ckpt is not None and time.perf_counter() - last_save > checkpoint_every:
                        with stop.shielded():
                            _save_checkpoint(ckpt, model, state)
                        last_save = time.perf_counter()
        except KeyboardInterrupt as exc:
            if isinstance(exc, Interrupted):
                raise
            with stop.shielded():
                interrupted = _interrupted(ckpt, model, state, epoch, stop)
        else:
            with stop.shielded():  # a second Ctrl-C waits for the final save
                history.seconds = time.perf_counter() - t_start
                if early_stopping and state.best_weights is not None:
                    model.set_weights(state.best_weights)
                if ckpt is not None:
                    _save_checkpoint(ckpt, model, state)
            if stop.flag and ckpt is not None:
                msg = _(
                    "interrupted after the last epoch; checkpoint saved to {checkpoint}"
                ).format(checkpoint=ckpt)
                interrupted = Interrupted(msg, ckpt, epoch, state.step)
    if interrupted is not None:
        raise interrupted
    return history


# ----- the loop's state, and its checkpoint -------------------------------------------------


@dataclass
class _LoopState:
    """Everything besides the model that exact resumption needs."""

    rng: np.random.Generator
    history: History = field(default_factory=History)
    epoch: int = 0  # epochs completed
    order: np.ndarray | None = None  # the current epoch's sample order, None between epochs
    step: int = 0  # steps done in the current epoch
    loss_sum: float = 0.0
    seconds: float = 0.0  # seconds spent in the current epoch before an interruption
    wait: int = 0
    best_weights: dict[str, np.ndarray] | None = None
    t_epoch: float = 0.0  # perf_counter() at the (resumed) start of the current epoch


def _epoch_order(rng: np.random.Generator, n: int, weights: np.ndarray | None) -> np.ndarray:
    if weights is None:
        return rng.permutation(n)
    return rng.choice(n, size=n, replace=True, p=weights)


def _early_stop_update(
    state: _LoopState, model: Model, value: float, epoch: int, minimise: bool, patience: int
) -> None:
    history = state.history
    best = history.best_value
    better = best is None or (value < best if minimise else value > best)
    if better and math.isfinite(value):
        history.best_value, history.best_epoch, state.wait = float(value), epoch, 0
        state.best_weights = {k: np.array(v, copy=True) for k, v in model.get_weights().items()}
    else:
        state.wait += 1
        if state.wait >= patience:
            history.stopped_early = True


def _save_checkpoint(path: Path, model: Model, state: _LoopState) -> None:
    """Write the model's state and the loop's state to `path` atomically (npz, no pickle)."""
    h = state.history
    meta = {
        "version": _CHECKPOINT_VERSION,
        "backend": getattr(model, "backend", None),
        "epoch": state.epoch,
        "step": state.step,
        "loss_sum": state.loss_sum,
        "seconds": state.seconds,
        "wait": state.wait,
        "rng": state.rng.bit_generator.state,
        "history": {
            "records": h.records,
            "best_epoch": h.best_epoch,
            "best_value": h.best_value,
            "stopped_early": h.stopped_early,
            "seconds": h.seconds,
        },
    }
    arrays: dict[str, np.ndarray] = {"__meta__": np.array(json.dumps(meta))}
    for k, v in model.get_state().items():
        arrays[f"state/{k}"] = np.asarray(v)
    if state.order is not None:
        arrays["order"] = state.order
    for k, v in (state.best_weights or {}).items():
        arrays[f"best/{k}"] = np.asarray(v)
    with atomic_write(path, "wb") as fh:
        np.savez(fh, **arrays)


_META_LIMIT = 64 << 20  # bytes of a checkpoint's JSON metadata (the history grows per epoch)


def _load_checkpoint(path: Path, model: Model, n: int, n_batches: int) -> _LoopState:
    """The loop's state from `path`, every field checked before the model is touched."""
    from fcnet._fileio import FileError, load_npz, parse_json, scalar_text

    if not path.is_file():
        raise FileNotFoundError(2, _("no checkpoint to resume from"), str(path))
    arrays = load_npz(path, N_("checkpoint"), small={"__meta__": _META_LIMIT})
    meta = parse_json(scalar_text(arrays, "__meta__", str(path)), f"{path}: __meta__")
    check = _MetaCheck(path, meta)
    if meta.get("version") != _CHECKPOINT_VERSION:
        raise FileError(
            _("{path}: checkpoint version {version} is not supported").format(
                path=path, version=repr(meta.get("version"))
            )
        )
    backend = getattr(model, "backend", None)
    if meta.get("backend") != backend:
        raise FileError(
            _(
                "{path}: the checkpoint was written by backend {saved}, cannot resume it on "
                "{backend}"
            ).format(path=path, saved=repr(meta.get("backend")), backend=repr(backend))
        )
    epoch = check.integer("epoch")
    step = check.integer("step")
    loss_sum = check.number("loss_sum")
    seconds = check.number("seconds")
    wait = check.integer("wait")
    h = check.table("history")
    hist = _MetaCheck(path, h, "history.")
    records = hist.records("records", epoch)
    best_epoch = hist.integer("best_epoch", optional=True)
    best_value = hist.number("best_value", optional=True)
    stopped_early = hist.boolean("stopped_early")
    h_seconds = hist.number("seconds")
    rng = np.random.default_rng()
    try:
        rng.bit_generator.state = check.table("rng")
        rng.random()  # a state the generator accepted but cannot draw from fails here
        rng.bit_generator.state = meta["rng"]
    except FileError:
        raise
    except Exception as exc:
        raise FileError(
            _("{path}: field 'rng' is not a generator state ({error})").format(path=path, error=exc)
        ) from None
    order = arrays.get("order")
    if order is not None:
        if order.ndim != 1 or order.dtype.kind not in "iu" or len(order) != n:
            raise FileError(
                _(
                    "{path}: field 'order' must be {n} sample indices, got shape {shape} of {dtype}"
                ).format(path=path, n=n, shape=order.shape, dtype=order.dtype)
            )
        if n and (order.min() < 0 or order.max() >= n):
            raise FileError(
                _("{path}: field 'order' holds indices outside 0..{last}").format(
                    path=path, last=n - 1
                )
            )
        if step > n_batches:
            raise FileError(
                _("{path}: field 'step' is {step}, an epoch has {n_batches} steps").format(
                    path=path, step=step, n_batches=n_batches
                )
            )
    best = {k[5:]: v for k, v in arrays.items() if k.startswith("best/")}
    if best:
        _check_like(path, "best", best, model.get_weights())
    state = {k[6:]: v for k, v in arrays.items() if k.startswith("state/")}
    try:
        model.set_state(state)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise FileError(
            _("{path}: field 'state' does not fit this model ({detail})").format(
                path=path, detail=detail
            )
        ) from None
    return _LoopState(
        rng=rng,
        history=History(
            records=records,
            best_epoch=best_epoch,
            best_value=best_value,
            stopped_early=stopped_early,
            seconds=h_seconds,
        ),
        epoch=epoch,
        order=order,
        step=step,
        loss_sum=loss_sum,
        seconds=seconds,
        wait=wait,
        best_weights=best or None,
    )


class _MetaCheck:
    """Typed access to a checkpoint's metadata: a missing or wrong field is a FileError."""

    def __init__(self, path: Path, d: Any, prefix: str = "") -> None:
        from fcnet._fileio import FileError

        if not isinstance(d, dict):
            where = (
                _("field {name}").format(name=repr(prefix.rstrip("."))) if prefix else "__meta__"
            )
            raise FileError(_("{path}: {where} is not an object").format(path=path, where=where))
        self.path, self.d, self.prefix = path, d, prefix

    def _get(self, key: str, what: str, ok, optional: bool = False) -> Any:
        from fcnet._fileio import FileError

        if key not in self.d:
            raise FileError(
                _("{path}: field {field} is missing").format(
                    path=self.path, field=repr(self.prefix + key)
                )
            )
        v = self.d[key]
        if (v is None and optional) or ok(v):
            return v
        shown = repr(v) if len(repr(v)) <= 40 else repr(v)[:40] + "..."
        raise FileError(
            _("{path}: field {field} must be {what}, got {shown}").format(
                path=self.path, field=repr(self.prefix + key), what=_(what), shown=shown
            )
        )

    def integer(self, key: str, optional: bool = False) -> int:
        return self._get(
            key,
            N_("an integer >= 0"),
            lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**53,
            optional,
        )

    def number(self, key: str, optional: bool = False) -> float:
        return self._get(
            key,
            N_("a number"),
            lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            optional,
        )

    def boolean(self, key: str) -> bool:
        return self._get(key, N_("true or false"), lambda v: isinstance(v, bool))

    def table(self, key: str) -> dict[str, Any]:
        return self._get(key, N_("an object"), lambda v: isinstance(v, dict))

    def records(self, key: str, epoch: int) -> list[dict[str, Any]]:
        def ok(v: Any) -> bool:
            return (
                isinstance(v, list)
                and len(v) == epoch
                and all(
                    isinstance(r, dict)
                    and all(
                        isinstance(x, int | float) and not isinstance(x, bool) for x in r.values()
                    )
                    for r in v
                )
            )

        what = _("a list of {epoch} records of numbers (one per epoch)").format(epoch=epoch)
        return self._get(key, what, ok)


def _check_like(
    path: Path, field: str, got: Mapping[str, np.ndarray], like: Mapping[str, np.ndarray]
) -> None:
    from fcnet._fileio import FileError

    if set(got) != set(like):
        raise FileError(
            _("{path}: field {field} holds {got}, expected {expected}").format(
                path=path, field=repr(field), got=sorted(got), expected=sorted(like)
            )
        )
    for k, v in got.items():
        if v.shape != np.shape(like[k]) or v.dtype.kind != "f":
            raise FileError(
                _(
                    "{path}: field '{field}' is {shape} of {dtype}, expected {expected} of floats"
                ).format(
                    path=path,
                    field=f"{field}/{k}",
                    shape=v.shape,
                    dtype=v.dtype,
                    expected=np.shape(like[k]),
                )
            )


def _interrupted(
    ckpt: Path | None, model: Model, state: _LoopState, epoch: int, stop: _StopFlag
) -> Interrupted:
    where = (
        _("epoch {epoch}, step {step}").format(epoch=epoch + 1, step=state.step)
        if state.order is not None
        else _("the end of epoch {epoch}").format(epoch=epoch)
    )
    if stop.in_step:  # a forced stop (Ctrl-C three times) inside a step: the state is torn
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
    if ckpt is None:
        msg = _("interrupted at {where}").format(where=where)
        return Interrupted(msg, None, epoch + 1, state.step)
    if state.order is not None:
        state.seconds = time.perf_counter() - state.t_epoch
    _save_checkpoint(ckpt, model, state)
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


def _json_line(record: Mapping[str, Any]) -> str:
    return json.dumps(record, allow_nan=True) + "\n"


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


# ----- Ctrl-C between steps ------------------------------------------------------------------


class _StopFlag:
    """Ctrl-C while training: the first two set `flag`, checked between steps; a third one
    stops at once, unless a checkpoint is being written (`shielded`): a save always ends."""

    FORCE_AFTER = 3

    def __init__(self) -> None:
        self.flag = False
        self.count = 0
        self.in_step = False
        self._shield = 0

    @contextlib.contextmanager
    def shielded(self) -> Iterator[None]:
        """Ctrl-C inside this block is only recorded."""
        self._shield += 1
        try:
            yield
        finally:
            self._shield -= 1

    def _handler(self, signum: int, frame: Any) -> None:
        self.count += 1
        self.flag = True
        if self.count >= self.FORCE_AFTER and not self._shield:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        with sigint_handler(self._handler):
            yield


@contextlib.contextmanager
def sigint_handler(handler: Callable[[int, Any], None]) -> Iterator[Any]:
    """`handler` takes Ctrl-C (SIGINT) inside the block; yields the handler it replaced
    (put back at the end), or None where none can be installed: off the main thread, or
    in an embedded interpreter that does not allow it."""
    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    previous = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # not allowed here (embedded interpreter)
        yield None
        return
    try:
        yield previous
    finally:
        signal.signal(signal.SIGINT, previous)


# ----- progress -----------------------------------------------------------------------------


# What the progress bar shows after each epoch, the first three present.
_SHOWN = (
    "val_loss",
    "train_auc",
    "val_auc",
    "val_accuracy",
    "val_mse",
    "test_loss",
    "test_auc",
    "test_accuracy",
    "test_mse",
)


class _Bar:
    """A rich progress bar over epochs and batches; nothing at all when disabled."""

    def __init__(self, enabled: bool, label: str, epochs: int, n_batches: int) -> None:
        self.enabled = enabled
        self.label, self.epochs, self.n_batches = label, epochs, n_batches
        self.info = ""
        self._progress = None

    def __enter__(self) -> _Bar:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[info]}"),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)

    def start(self, epoch: int, step: int) -> None:
        if self._progress is None:
            return
        p = self._progress
        self._epochs = p.add_task(self.label, total=self.epochs, completed=epoch, info="")
        self._batches = p.add_task(
            _("epoch {epoch}").format(epoch=epoch + 1),
            total=self.n_batches,
            completed=step,
            info="",
        )

    def step(self, running_loss: float) -> None:
        if self._progress is not None:
            self._progress.update(
                self._batches, advance=1, info=f"loss {running_loss:.4g}{self.info}"
            )

    def epoch_done(self, record: Mapping[str, Any]) -> None:
        if self._progress is None:
            return
        shown = [f"{k} {record[k]:.4g}" for k in _SHOWN if k in record][:3]
        self.info = "  " + "  ".join(shown) if shown else ""
        epoch = record["epoch"]
        self._progress.update(
            self._epochs, completed=epoch, info=f"train_loss {record['train_loss']:.4g}{self.info}"
        )
        self._progress.reset(
            self._batches,
            total=self.n_batches,
            description=_("epoch {epoch}").format(epoch=epoch + 1),
        )


__all__ = [
    "MONITORS",
    "Callback",
    "History",
    "Interrupted",
    "TrainingDiverged",
    "default_scorer",
    "train",
]
