"""The training loop's callbacks: each concern around `fcnet.train.train` one small class.

`Callback` is the base a user (or the studio) subclasses; the loop builds the rest from
its arguments, in this order: `MetricsLog` (metrics.jsonl), `EarlyStopping` (watches a
validation metric, keeps and restores the best weights), `ProgressBar` (rich, on stderr),
the caller's callbacks, then `Checkpointer` (a checkpoint every so many seconds and at
the end). Ctrl-C is `fcnet.interrupt.CtrlC`; the checkpoint's format `fcnet.checkpoint`.

Hooks, all optional: `on_train_begin(state)`, `on_step_end(epoch, step, loss)`,
`on_epoch_record(record)` (the record is final; runs with Ctrl-C held, so the log and the
loop's state move together), `on_epoch_end(record)`, `on_train_end()` (after the last
epoch, not after an interruption). A callback stops training by setting
`state.history.stopped_early`; raising KeyboardInterrupt is Ctrl-C.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fcnet import checkpoint
from fcnet._fileio import atomic_write_text
from fcnet.i18n import gettext as _

if TYPE_CHECKING:  # pragma: no cover
    from fcnet.backends import Model
    from fcnet.checkpoint import LoopState
    from fcnet.interrupt import CtrlC


class Callback:
    """Hooks into the loop; override what you need. Raising KeyboardInterrupt is Ctrl-C."""

    def on_train_begin(self, state: LoopState) -> None:
        """Before the first step (of a resumed run too: `state` says where it stands)."""

    def on_step_end(self, epoch: int, step: int, loss: float) -> None:
        """After optimiser step `step` (1-based within the epoch) of epoch `epoch` (1-based)."""

    def on_epoch_record(self, record: dict[str, Any]) -> None:
        """The epoch's record is final (the loop's state already counts the epoch)."""

    def on_epoch_end(self, record: dict[str, Any]) -> None:
        """After an epoch's evaluation; `record` is the line written to metrics.jsonl."""

    def on_train_end(self) -> None:
        """After the last epoch (or an early stop), before the final checkpoint."""


def json_line(record: Mapping[str, Any]) -> str:
    """One line of metrics.jsonl."""
    return json.dumps(record, allow_nan=True) + "\n"


class MetricsLog(Callback):
    """The JSON-lines file of records, one per epoch (rewritten from the history on a
    resume, so lines written after the checkpoint are dropped)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path

    def on_train_begin(self, state: LoopState) -> None:
        atomic_write_text(self.path, "".join(json_line(r) for r in state.history.records))

    def on_epoch_record(self, record: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json_line(record))


class EarlyStopping(Callback):
    """Stop when `key` (e.g. "val_loss") has not improved for `patience` epochs; the best
    epoch's weights are kept in the loop's state and put back at the end."""

    def __init__(self, model: Model, key: str, minimise: bool, patience: int) -> None:
        self.model, self.key, self.minimise, self.patience = model, key, minimise, patience
        self.state: LoopState | None = None

    def on_train_begin(self, state: LoopState) -> None:
        self.state = state

    def on_epoch_record(self, record: dict[str, Any]) -> None:
        assert self.state is not None
        state, history, value = self.state, self.state.history, record[self.key]
        best = history.best_value
        better = best is None or (value < best if self.minimise else value > best)
        if better and math.isfinite(value):
            history.best_value, history.best_epoch, state.wait = float(value), state.epoch, 0
            state.best_weights = {
                k: np.array(v, copy=True) for k, v in self.model.get_weights().items()
            }
        else:
            state.wait += 1
            if state.wait >= self.patience:
                history.stopped_early = True

    def on_train_end(self) -> None:
        if self.state is not None and self.state.best_weights is not None:
            self.model.set_weights(self.state.best_weights)


class Checkpointer(Callback):
    """The checkpoint every `every` seconds (between epochs) and at the end of training;
    `save()` is also what the loop calls on Ctrl-C (`ctrl_c`: the loop's `CtrlC`)."""

    def __init__(self, path: Path, model: Model, every: float, ctrl_c: CtrlC) -> None:
        self.path, self.model, self.every, self.ctrl_c = path, model, every, ctrl_c
        self.state: LoopState | None = None
        self.last = time.perf_counter()

    def on_train_begin(self, state: LoopState) -> None:
        self.state = state
        self.last = time.perf_counter()

    def save(self) -> None:
        assert self.state is not None
        with self.ctrl_c.shielded():  # a Ctrl-C while saving waits for the save
            checkpoint.save(self.path, self.model, self.state)
        self.last = time.perf_counter()

    def on_epoch_end(self, record: dict[str, Any]) -> None:
        # after a Ctrl-C the loop saves on its way out
        if time.perf_counter() - self.last > self.every and not self.ctrl_c.flag:
            self.save()

    def on_train_end(self) -> None:
        self.save()


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


class ProgressBar(Callback):
    """A rich progress bar over epochs and batches, on stderr."""

    def __init__(self, label: str, epochs: int, n_batches: int) -> None:
        self.label, self.epochs, self.n_batches = label, epochs, n_batches
        self.info = ""
        self.total = 0.0
        self._progress: Any = None

    def on_train_begin(self, state: LoopState) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = p = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[info]}"),
            console=Console(stderr=True),
            transient=True,
        )
        p.__enter__()
        self.total = state.loss_sum if state.order is not None else 0.0
        self._epochs = p.add_task(self.label, total=self.epochs, completed=state.epoch, info="")
        self._batches = p.add_task(
            _("epoch {epoch}").format(epoch=state.epoch + 1),
            total=self.n_batches,
            completed=state.step if state.order is not None else 0,
            info="",
        )

    def close(self) -> None:
        """Take the bar off the terminal (the loop calls it however training ends)."""
        if self._progress is not None:
            self._progress.__exit__(None, None, None)
            self._progress = None

    def on_step_end(self, epoch: int, step: int, loss: float) -> None:
        if step == 1:
            self.total = 0.0
        self.total += loss
        if self._progress is not None:
            self._progress.update(
                self._batches, advance=1, info=f"loss {self.total / step:.4g}{self.info}"
            )

    def on_epoch_end(self, record: dict[str, Any]) -> None:
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
    "Callback",
    "Checkpointer",
    "EarlyStopping",
    "MetricsLog",
    "ProgressBar",
    "json_line",
]
