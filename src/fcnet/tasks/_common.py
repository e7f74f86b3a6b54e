"""What the three tasks share: options, the run folder, options -> NetSpec, training, summary.

A task is called with the CLI's options as keyword arguments, None meaning "not given".
`start_run` resolves them (task defaults < a resumed run's saved options < the given
ones), makes the run folder and records the options in `run.json`; `resolve_spec`
turns them into the NetSpec saved as `config.json`; `fit_model` trains through
`fcnet.train.train` with the folder's checkpoint and metrics log; `finish` writes
`result.json`, saves the model and prints the summary table.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fcnet import __version__
from fcnet._fileio import atomic_write_text
from fcnet.spec import LayerSpec, NetSpec, ScheduleSpec, SpecError
from fcnet.train import MONITORS, Callback, History, Interrupted, Scorer, default_scorer, train

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from fcnet.backends import Model

BACKENDS = ("numpy", "torch", "tensorflow")
NATIVE_SUFFIX = {"torch": ".pt", "tensorflow": ".weights.h5"}

# Options every task takes, with their defaults (None: the task decides).
COMMON_DEFAULTS: dict[str, Any] = {
    "backend": "numpy",
    "config": None,
    "hidden": None,
    "activation": None,
    "optimizer": None,
    "lr": None,
    "batch_size": None,
    "epochs": None,
    "weight_decay": None,
    "dropout": None,
    "seed": 0,
    "out": None,
    "early_stopping": False,
    "patience": 5,
    "monitor": None,
    "quiet": False,
}
# Options a resumed run may change; the others must stay as the run was started.
RESUMABLE = ("epochs", "quiet", "out")

# Independent random streams drawn from one seed (spec.seed seeds the initialisation).
_STREAMS = {"data": 1, "split": 2, "init": 4}


def one_blas_thread(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a task with one BLAS thread: for matrices as small as a fit's, a second thread
    only waits (on a busy machine it spins: three times the CPU for the same result)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper


def stream(seed: int, purpose: str) -> np.random.Generator:
    """The generator for `purpose` ("data", "split", "init") under `seed`."""
    return np.random.default_rng([seed, _STREAMS[purpose]])


@dataclass
class TaskResult:
    """What a task returns: `.metrics` (also in result.json) and `.out_dir` (the run folder)."""

    task: str
    metrics: dict[str, float]
    out_dir: Path
    backend: str = "numpy"
    seconds: float = 0.0
    history: History | None = None
    spec: NetSpec | None = None
    details: dict[str, Any] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.6g}" for k, v in self.metrics.items() if _is_number(v))
        return f"TaskResult({self.task}, {shown}, out_dir={str(self.out_dir)!r})"


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


# ----- options --------------------------------------------------------------------------------


def parse_hidden(value: Any, flag: str = "--hidden") -> list[int] | None:
    """Hidden widths from "512,256", 64, or [512, 256]; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
        try:
            widths = [int(p) for p in parts]
        except ValueError:
            raise ValueError(
                f"{flag}: expected comma-separated widths such as 512,256, got {value!r}"
            ) from None
    elif isinstance(value, int | np.integer):
        widths = [int(value)]
    else:
        widths = [int(v) for v in value]
    if not widths or any(w < 1 for w in widths):
        raise ValueError(f"{flag}: expected widths >= 1, got {value!r}")
    return widths


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def check_options(o: Mapping[str, Any], monitors: Sequence[str] = MONITORS) -> None:
    """Range checks with the CLI's flag names in the message (the spec checks the rest)."""
    if o["backend"] not in BACKENDS:
        raise ValueError(f"--backend: expected one of {', '.join(BACKENDS)}, got {o['backend']!r}")
    for name in ("batch_size", "epochs", "patience"):
        v = o.get(name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"{_flag(name)}: expected an int >= 1, got {v!r}")
    seed = o.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"--seed: expected an int >= 0, got {seed!r}")
    if o.get("lr") is not None and not (o["lr"] > 0 and math.isfinite(o["lr"])):
        raise ValueError(f"--lr: expected a learning rate > 0, got {o['lr']!r}")
    if o.get("dropout") is not None and not 0 <= o["dropout"] < 1:
        raise ValueError(f"--dropout: expected 0 <= p < 1, got {o['dropout']!r}")
    if o.get("weight_decay") is not None and not o["weight_decay"] >= 0:
        raise ValueError(f"--weight-decay: expected a number >= 0, got {o['weight_decay']!r}")
    if o.get("monitor") is not None and o["monitor"] not in monitors:
        raise ValueError(
            f"--monitor: expected one of {', '.join(monitors)} for this task, got {o['monitor']!r}"
        )


# ----- the run folder -------------------------------------------------------------------------


class Run:
    """One run folder: every file a task writes goes through here, and only here."""

    def __init__(
        self,
        task: str,
        out_dir: Path,
        options: dict[str, Any],
        resuming: bool,
        meta: dict[str, Any] | None = None,
    ):
        from rich.console import Console

        self.task = task
        self.out_dir = out_dir
        self.options = options
        self.resuming = resuming
        self._meta = meta  # run.json, written with the folder on the first file
        self.console: Console = Console()
        self.err: Console = Console(stderr=True, quiet=bool(options["quiet"]))
        self.files: list[Path] = []
        self.started = time.perf_counter()
        self.made_dir = False  # whether this run made out_dir (an interrupt may remove it)
        _CURRENT_RUN.set(self)

    def path(self, name: str) -> Path:
        """Where file `name` goes; the folder (and its run.json) is made on the first call,
        so input that fails to load leaves nothing behind."""
        if not self.out_dir.is_dir() or self._meta is not None:
            if not self.out_dir.is_dir():
                self.made_dir = True
            self.out_dir.mkdir(parents=True, exist_ok=True)
            meta, self._meta = self._meta, None
            if meta is not None:
                self.write_json("run.json", meta)
        return self.out_dir / name

    def write_json(self, name: str, obj: Any) -> Path:
        path = self.path(name)
        atomic_write_text(path, json.dumps(_jsonable(obj), indent=2) + "\n")
        self._keep(path)
        return path

    def write_text(self, name: str, text: str) -> Path:
        path = self.path(name)
        atomic_write_text(path, text)
        self._keep(path)
        return path

    def _keep(self, path: Path) -> None:
        if path not in self.files:
            self.files.append(path)

    def plot(self, fn_name: str, name: str, *args: Any, **kwargs: Any) -> Path | None:
        """Draw `fcnet.plots.<fn_name>(*args, **kwargs, path=...)` to `name`; None if it failed.

        A figure is a nicety: a plotting failure is reported, never fatal to a finished run.
        """
        path = self.path(name)
        try:
            from fcnet import plots

            getattr(plots, fn_name)(*args, path=path, **kwargs)
        except Exception as exc:
            self.err.print(f"[yellow]warning:[/] could not draw {name}: {exc}")
            return None
        self._keep(path)
        return path

    def save_model(self, model: Model, stem: str = "model") -> list[Path]:
        """The portable .npz, plus the backend's native file where it has one."""
        paths = [self.path(f"{stem}.npz")]
        if model.backend in NATIVE_SUFFIX:
            paths.append(self.path(stem + NATIVE_SUFFIX[model.backend]))
        for p in paths:
            model.save(p)
            self._keep(p)
        return paths


# The run being made in this thread, for the message of a Ctrl-C outside the training loop.
_CURRENT_RUN: contextvars.ContextVar[Run | None] = contextvars.ContextVar("fcnet_run", default=None)


def interrupted_message(task: str) -> str:
    """What a Ctrl-C outside the training loop left: a finished run, a resumable checkpoint,
    or nothing (a new run interrupted before training started is removed)."""
    run = _CURRENT_RUN.get()
    _CURRENT_RUN.set(None)
    if run is None or run.task != task:
        return "interrupted before training started; nothing was written"
    folder = run.out_dir
    if (folder / "result.json") in run.files:
        return f"interrupted after the run finished; its results are in {folder}"
    if (folder / "checkpoint.npz").is_file():
        return (
            f"interrupted; the checkpoint in {folder} is kept; continue with: "
            f"fcnet {task} --resume {folder}"
        )
    if run.resuming:
        return f"interrupted before training started; {folder} is as it was"
    if any(folder.glob("*metrics.jsonl")):  # training had started: never remove its traces
        return f"interrupted during training; no checkpoint was written in {folder}"
    for name in {*(p.name for p in run.files), "run.json", "config.json", "metrics.jsonl"}:
        with contextlib.suppress(OSError):
            (folder / name).unlink()
    if run.made_dir:
        with contextlib.suppress(OSError):
            folder.rmdir()
    return "interrupted before training started; nothing was written"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def start_run(
    task: str,
    given: Mapping[str, Any],
    defaults: Mapping[str, Any],
    resume: str | os.PathLike[str] | None,
) -> Run:
    """Resolve the options and make (or reopen, for `resume`) the run folder.

    given: the options the caller passed (None = not given). A new run refuses an
    existing non-empty --out folder: nothing the user had is overwritten.
    In a distributed run only rank 0 does this; the other ranks get a silent Run in a
    scratch folder (fcnet.distributed).
    """
    from fcnet import distributed

    session = distributed.current()
    if session is not None:
        return session.start_run(_start_run, task, given, defaults, resume)
    return _start_run(task, given, defaults, resume)


def _start_run(
    task: str,
    given: Mapping[str, Any],
    defaults: Mapping[str, Any],
    resume: str | os.PathLike[str] | None,
) -> Run:
    given = {k: v for k, v in given.items() if v is not None}
    if resume is not None:
        out_dir = Path(resume)
        saved = read_run(out_dir, task)
        changed = [
            k
            for k, v in given.items()
            if k not in RESUMABLE and _jsonable(v) != saved["options"].get(k)
        ]
        if changed:
            flags = ", ".join(_flag(k) for k in changed)
            raise ValueError(
                f"--resume {out_dir}: a resumed run keeps its saved options; only --epochs "
                f"and --quiet may change, got {flags}"
            )
        if "out" in given and Path(given["out"]).resolve() != out_dir.resolve():
            raise ValueError(f"--out: a resumed run stays in {out_dir}, got {given['out']}")
        if not (out_dir / "checkpoint.npz").is_file():
            raise ValueError(f"--resume {out_dir}: no checkpoint.npz in it to continue from")
        options = {**saved["options"], **given, "out": str(out_dir)}
        return Run(task, out_dir, options, resuming=True)

    options = {**COMMON_DEFAULTS, **defaults, **given}
    if options["out"] is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out_dir = Path("runs") / f"{task}-{stamp}"
        k = 2
        while out_dir.exists():
            out_dir = Path("runs") / f"{task}-{stamp}-{k}"
            k += 1
    else:
        out_dir = Path(options["out"])
        if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
            raise ValueError(
                f"--out {out_dir}: exists and is not an empty folder; choose a new one "
                f"(nothing is overwritten), or continue that run with --resume {out_dir}"
            )
    options = _jsonable({**options, "out": str(out_dir)})
    meta = {
        "task": task,
        "fcnet_version": __version__,
        "started": datetime.now().isoformat(timespec="seconds"),
        "options": options,
    }
    return Run(task, out_dir, options, resuming=False, meta=meta)


_RUN_JSON_LIMIT = 1 << 20  # bytes: a run.json is about one KiB

# The JSON types each saved option may have in run.json (None is allowed for all but these
# first few); checked before a saved run is resumed or evaluated.
_NUM, _INT, _STR, _BOOL = (int, float), (int,), (str,), (bool,)
_OPTION_TYPES: dict[str, tuple[type, ...]] = {
    "backend": _STR,
    "seed": _INT,
    "early_stopping": _BOOL,
    "patience": _INT,
    "quiet": _BOOL,
    "config": _STR,
    "hidden": (str, int, list),
    "activation": _STR,
    "optimizer": _STR,
    "lr": _NUM,
    "batch_size": _INT,
    "epochs": _INT,
    "weight_decay": _NUM,
    "dropout": _NUM,
    "out": _STR,
    "monitor": _STR,
    "expr": _STR,
    "range": (list,),
    "yrange": (list,),
    "samples": _INT,
    "noise": _NUM,
    "sweep": _BOOL,
    "preset": _STR,
    "data_dir": _STR,
    "limit": _INT,
    "augment": _BOOL,
    "dataset": _STR,
    "pos": _INT,
    "neg": _INT,
    "path": _STR,
    "label": _STR,
    "positive": _STR,
    "pos_weight": (str, int, float),
    "features": _INT,
    "logits": _BOOL,
}
_NOT_NONE = ("backend", "seed", "early_stopping", "patience", "quiet")
_TASK_KEYS = {"fit": ("expr", "range", "samples"), "mnist": ("preset",), "binary": ("dataset",)}


def read_run(run_dir: str | os.PathLike[str], task: str | None = None) -> dict[str, Any]:
    """The run.json of a run folder (checked), for --resume, predict and evaluate.

    Read bounded (a regular file of at most 1 MiB, nested at most 64 deep); every field
    is checked for its type before anything uses it: a bad one is a ValueError naming the
    file and the field.
    """
    from fcnet._fileio import FileError, load_json

    run_dir = Path(run_dir)
    meta = run_dir / "run.json"
    if not meta.is_file():
        what = "does not exist" if not run_dir.exists() else "has no run.json"
        raise ValueError(f"{run_dir}: not an fcnet run folder ({what})")
    saved = load_json(meta, _RUN_JSON_LIMIT, "run.json")
    if not isinstance(saved, dict):
        raise FileError(f"{meta}: expected an object of keys, got {type(saved).__name__}")
    if not isinstance(saved.get("task"), str) or saved["task"] not in _TASK_KEYS:
        raise FileError(
            f"{meta}: field 'task' must be one of {', '.join(_TASK_KEYS)}, "
            f"got {_short(saved.get('task'))}"
        )
    options = saved.get("options")
    if not isinstance(options, dict):
        raise FileError(f"{meta}: field 'options' must be an object, got {_short(options)}")
    for key in (*_NOT_NONE, *_TASK_KEYS[saved["task"]]):
        if options.get(key) is None:
            raise FileError(f"{meta}: field 'options.{key}' is missing")
    for key, value in options.items():
        types = _OPTION_TYPES.get(key)
        if value is None or types is None:
            continue
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = " or ".join(t.__name__ for t in types)
            raise FileError(f"{meta}: field 'options.{key}' must be {names}, got {_short(value)}")
    hidden = options.get("hidden")
    if isinstance(hidden, list) and not all(
        isinstance(w, int) and not isinstance(w, bool) for w in hidden
    ):
        raise FileError(f"{meta}: field 'options.hidden' must be widths, got {_short(hidden)}")
    for key in ("range", "yrange"):
        r = options.get(key)
        if r is not None and not (
            len(r) == 2 and all(isinstance(v, int | float) and not isinstance(v, bool) for v in r)
        ):
            raise FileError(f"{meta}: field 'options.{key}' must be two numbers, got {_short(r)}")
    if task is not None and saved["task"] != task:
        raise ValueError(f"{run_dir}: is a {saved['task']!r} run, not a {task!r} run")
    return saved


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


# ----- options -> NetSpec ---------------------------------------------------------------------


DECAY_TO = 0.1  # the tasks' schedule: the lr falls to a tenth over the default epochs


def resolve_spec(
    run: Run,
    *,
    input_size: int,
    output_size: int,
    losses: Sequence[str],
    base: NetSpec,
    steps_per_epoch: int,
    widths: list[int] | None = None,
    config_name: str = "config.json",
    decay_epochs: int | None = None,
    decay_to: float = DECAY_TO,
) -> NetSpec:
    """The NetSpec of this run: `base` (the task's default), or --config, then explicit flags.

    widths: hidden widths that replace --hidden (a sweep's one width). decay_epochs: the
    task's learning-rate decay (see `decay`), unless --config gives the spec. A resumed run
    reuses its saved spec. The spec is saved as `config_name` (config.json).
    """
    o = run.options
    if run.resuming:
        return NetSpec.load(run.path(config_name))
    spec = base
    if o["config"] is not None:
        spec = NetSpec.load(o["config"])
        where = f"--config {o['config']}"
        if spec.input_size != input_size:
            raise SpecError(
                f"{where}: input_size {spec.input_size} does not match the data's "
                f"{input_size} features"
            )
        if spec.output_size != output_size:
            raise SpecError(
                f"{where}: output_size {spec.output_size} does not match this task's "
                f"{output_size} outputs"
            )
        if spec.loss not in losses:
            raise SpecError(
                f"{where}: loss {spec.loss!r} does not suit this task (allowed: "
                f"{', '.join(losses)})"
            )
    explicit = {k for k in ("hidden", "activation", "dropout") if o.get(k) is not None}
    layers = [layer.model_dump() for layer in spec.hidden]
    widths = widths or parse_hidden(o.get("hidden"))
    if widths is not None:
        template = layers[0] if layers else {"activation": "relu"}
        layers = [{**template, "width": w} for w in widths]
    for key in explicit - {"hidden"}:
        for layer in layers:
            layer[key] = o[key]
    opt = spec.optimizer.model_dump()
    if o.get("optimizer") is not None:
        opt["name"] = o["optimizer"]
    if o.get("lr") is not None:
        opt["lr"] = o["lr"]
    if o.get("weight_decay") is not None:
        opt["weight_decay"] = o["weight_decay"]
    if o["config"] is None and decay_epochs is not None:
        opt["schedule"] = decay(decay_epochs, steps_per_epoch, decay_to)
    spec = spec.replace(
        hidden=[LayerSpec(**layer) for layer in layers],
        optimizer=type(spec.optimizer)(**opt),
        seed=o["seed"],
    )
    spec.save(run.path(config_name))
    run._keep(run.path(config_name))
    return spec


def decay(epochs: int, steps_per_epoch: int, to: float = DECAY_TO) -> ScheduleSpec:
    """The tasks' schedule: lr * gamma**t, falling to `to` x lr over the task's default
    `epochs` (not the run's --epochs).

    The rate at step t depends on t alone, never on how long the run is planned to be,
    so 2 epochs resumed for 2 more give the same weights as 4 epochs, bit for bit (a cosine
    schedule sized to --epochs could not); a run longer than the default goes on at a
    rate below `to` x lr.
    """
    return ScheduleSpec(name="exponential", gamma=to ** (1.0 / (epochs * steps_per_epoch)))


def build_model(spec: NetSpec, backend: str) -> Model:
    from fcnet import distributed
    from fcnet.backends import build

    session = distributed.current()
    if session is not None:  # torch under DistributedDataParallel
        return session.build(spec, backend)
    return build(spec, backend=backend)


# ----- training -------------------------------------------------------------------------------


class _EpochLines(Callback):
    """One line per epoch on stderr when there is no progress bar (a log, a pipe)."""

    def __init__(self, run: Run, epochs: int) -> None:
        self.run, self.epochs = run, epochs
        self.every = max(1, math.ceil(epochs / 20))

    def on_epoch_end(self, record: dict[str, Any]) -> None:
        e = record["epoch"]
        if e % self.every and e != self.epochs:
            return
        parts = [f"epoch {e}/{self.epochs}"]
        parts += [
            f"{k} {v:.4g}"
            for k, v in record.items()
            if k not in ("epoch", "seconds") and isinstance(v, float)
        ]
        parts.append(f"{record['seconds']:.1f}s")
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
    checkpoint: str = "checkpoint.npz",
    metrics_log: str = "metrics.jsonl",
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
        hint = f"; continue with: fcnet {run.task} --resume {run.out_dir}" if exc.checkpoint else ""
        raise Interrupted(exc.message + hint, exc.checkpoint, exc.epoch, exc.step) from None
    run._keep(run.path(checkpoint))
    run._keep(run.path(metrics_log))
    return history


# ----- the end of a run -----------------------------------------------------------------------


def finish(
    run: Run,
    model: Model,
    history: History,
    metrics: dict[str, Any],
    details: Mapping[str, Any] | None = None,
    notes: Sequence[str] = (),
    save: bool = True,
) -> TaskResult:
    """Save the model, write result.json (the metrics and the rest), print the summary."""
    if save:
        run.save_model(model)
    seconds = time.perf_counter() - run.started
    details = dict(details or {})
    result = {
        "task": run.task,
        "backend": model.backend,
        "metrics": metrics,
        "epochs_run": len(history.records),
        "best_epoch": history.best_epoch,
        "stopped_early": history.stopped_early,
        "train_seconds": round(history.seconds, 3),
        "seconds": round(seconds, 3),
        **details,
    }
    run.write_json("result.json", result)
    print_summary(run, model.backend, metrics, history, notes)
    return TaskResult(
        task=run.task,
        metrics=dict(metrics),
        out_dir=run.out_dir,
        backend=model.backend,
        seconds=seconds,
        history=history,
        spec=model.spec,
        details=details,
        files=list(run.files),
    )


def print_summary(
    run: Run, backend: str, metrics: Mapping[str, Any], history: History, notes: Sequence[str]
) -> None:
    from rich.table import Table

    table = Table(title=f"fcnet {run.task} ({backend})", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in metrics.items():
        if _is_number(v):
            table.add_row(k, f"{v:.6g}")
    table.add_row("epochs", str(len(history.records)))
    if history.stopped_early:
        table.add_row("early stop", f"best epoch {history.best_epoch}")
    table.add_row("train time", f"{history.seconds:.1f} s")
    run.console.print(table)
    for note in notes:
        run.console.print(note)
    run.console.print(f"run folder: {run.out_dir}")


def mse_scorer(sigma: float) -> Scorer:
    """The loss, and the MSE in the target's own units (targets were scaled by 1/sigma)."""

    def score(model: Model, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        loss = float(model.evaluate(x, y)["loss"])
        err = (model.predict(x).astype(np.float64) - y) * sigma
        return {"loss": loss, "mse": float(np.mean(err * err))}

    return score
