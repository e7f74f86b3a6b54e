"""Training a task's model: `fcnet.train.train` with the run folder's checkpoint and log.

`fit_model` trains with the run's options (one line per epoch when there is no progress
bar; Ctrl-C leaves a checkpoint and says how to resume); `stream` gives each purpose its
random generator under the one --seed; `one_blas_thread` runs a small task on one BLAS
thread. The run folder is `fcnet.runs` (started by `fcnet.tasks.run_folder`), options -> NetSpec
`fcnet.tasks.netspec`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from fcnet import runtime
from fcnet._speed import limit_threads
from fcnet.i18n import gettext as _
from fcnet.limits import check_network
from fcnet.runs.layout import CHECKPOINT, CONFIG, METRICS_LOG
from fcnet.train import Callback, History, Interrupted, Scorer, default_scorer, train

if TYPE_CHECKING:  # pragma: no cover
    from fcnet.backends import Model
    from fcnet.runs import Run
    from fcnet.spec import NetSpec

# Independent random streams drawn from one seed (spec.seed seeds the initialisation).
_STREAMS = {"data": 1, "split": 2, "init": 4}


def one_blas_thread(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a task with one BLAS thread: for matrices as small as a fit's, a second thread
    only waits (on a busy machine it spins: three times the CPU for the same result)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with limit_threads(1, frameworks=False):
            return fn(*args, **kwargs)

    return wrapper


def stream(seed: int, purpose: str) -> np.random.Generator:
    """The generator for `purpose` ("data", "split", "init") under `seed`."""
    return np.random.default_rng([seed, _STREAMS[purpose]])


class _EpochLines(Callback):
    """One line per epoch on stderr when there is no progress bar (a log, a pipe)."""

    def __init__(self, run: Run, epochs: int) -> None:
        self.run, self.epochs = run, epochs
        self.every = max(1, math.ceil(epochs / 20))

    def on_epoch_end(self, record: dict[str, Any]) -> None:
        e = record["epoch"]
        if e % self.every and e != self.epochs:
            return
        parts = [_("epoch {epoch}/{epochs}").format(epoch=e, epochs=self.epochs)]
        parts += [
            f"{k} {v:.4g}"
            for k, v in record.items()
            if k not in ("epoch", "seconds") and isinstance(v, float)
        ]
        parts.append(_("{seconds:.1f}s").format(seconds=record["seconds"]))
        self.run.err.print("  ".join(parts), highlight=False, soft_wrap=True)


def fit_model(
    run: Run,
    model: Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    evals: Mapping[str, tuple[np.ndarray, np.ndarray]],
    scorer: Scorer = default_scorer,
    monitor: str,
    sample_weights: np.ndarray | None = None,
    augment: Any = None,
    callbacks: Sequence[Callback] = (),
    label: str | None = None,
    checkpoint: str = CHECKPOINT,
    metrics_log: str = METRICS_LOG,
) -> History:
    """Train with the run's options; Ctrl-C leaves a checkpoint and a resume hint."""
    from rich.console import Console

    o = run.options
    progress = not o["quiet"] and Console(stderr=True).is_terminal
    extra: list[Callback] = [] if progress or o["quiet"] else [_EpochLines(run, o["epochs"])]
    try:
        history = train(
            model,
            x,
            y,
            epochs=o["epochs"],
            batch_size=o["batch_size"],
            seed=o["seed"],
            evals=evals,
            scorer=scorer,
            early_stopping=bool(o["early_stopping"]),
            monitor=monitor,
            patience=o["patience"],
            sample_weights=sample_weights,
            augment=augment,
            callbacks=[*extra, *callbacks],
            checkpoint=run.path(checkpoint),
            resume=run.resuming,
            metrics_log=run.path(metrics_log),
            progress=progress,
            label=label or f"{run.task} ({model.backend})",
        )
    except Interrupted as exc:
        hint = (
            _("; continue with: fcnet {task} --resume {folder}").format(
                task=run.task, folder=run.out_dir
            )
            if exc.checkpoint
            else ""
        )
        raise Interrupted(exc.message + hint, exc.checkpoint, exc.epoch, exc.step) from None
    run.keep(run.path(checkpoint))
    run.keep(run.path(metrics_log))
    return history


def build_model(run: Run, spec: NetSpec, config_name: str = CONFIG) -> Model:
    """The run's model (through `fcnet.runtime`: a distributed session builds its own),
    then its NetSpec saved as `config_name`; a model that cannot be built writes nothing.
    The memory check counts the run's real batch (the spec alone only counts weights)."""
    batch = run.options.get("batch_size")
    check_network(spec, batch if isinstance(batch, int) and batch > 0 else 1, what="training")
    model = runtime.build_model(spec, run.options["backend"], run.options.get("device", "cpu"))
    run.save_spec(spec, config_name)
    return model
