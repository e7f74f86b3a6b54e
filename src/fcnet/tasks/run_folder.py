"""The run folder: where a task's options are resolved and recorded, and every file goes.

`start_run` resolves the options (`fcnet.tasks.options.resolve`; a resumed run's saved
options < the given ones) and checks --out; nothing is written until the task writes its
first file (after its data loaded and its model was built), so input that fails leaves
no folder behind. `run.json` holds the task, the options and, per option, where its value
came from (`sources`: flag, config, preset, default). `finish` writes `result.json`,
saves the model and prints the summary; `read_run` and `load_model` read a folder back.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fcnet import __version__, runtime
from fcnet._fileio import atomic_write_text
from fcnet.backends._common import NATIVE_SUFFIX
from fcnet.i18n import gettext as _
from fcnet.interrupt import sigint_handler
from fcnet.spec import NetSpec
from fcnet.tasks.options import RESUMABLE, TaskOptions, check, flag, resolve

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from fcnet.backends import Model
    from fcnet.checkpoint import History


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


class Run:
    """One run folder: every file a task writes goes through here, and only here.

    options: the resolved values; sources: where each came from; config: the --config
    file's NetSpec (None without one). A silent Run (the other ranks of a distributed
    run) prints nothing and writes no file of the run but its checkpoints.
    """

    def __init__(
        self,
        task: str,
        out_dir: Path,
        options: dict[str, Any],
        resuming: bool,
        meta: dict[str, Any] | None = None,
        *,
        sources: dict[str, str] | None = None,
        config: NetSpec | None = None,
        replace: bool = False,
        silent: bool = False,
    ):
        from rich.console import Console

        self.task = task
        self.out_dir = out_dir
        self.options = options
        self.sources = dict(sources or {})
        self.config = config
        self.resuming = resuming
        self.silent = silent
        self._meta = meta  # run.json, written with the folder on the first file
        self._replace = replace  # --force: clear what --out holds when the folder is made
        self.console: Console = Console(quiet=silent)
        self.err: Console = Console(stderr=True, quiet=silent or bool(options["quiet"]))
        self.files: list[Path] = []
        self.started = time.perf_counter()
        self.made_dir = False  # whether this run made out_dir (an interrupt may remove it)
        _CURRENT_RUN.set(self)

    def path(self, name: str) -> Path:
        """Where file `name` goes; the folder (and its run.json) is made on the first call,
        so input that fails to load leaves nothing behind."""
        if not self.out_dir.is_dir() or self._meta is not None:
            if self._replace:
                _clear(self.out_dir)
                self._replace = False
            if not self.out_dir.is_dir():
                self.made_dir = True
            self.out_dir.mkdir(parents=True, exist_ok=True)
            meta, self._meta = self._meta, None
            if meta is not None:
                self.write_json("run.json", meta)
        return self.out_dir / name

    def write_json(self, name: str, obj: Any) -> Path:
        path = self.path(name)
        if not self.silent:
            atomic_write_text(path, json.dumps(jsonable(obj), indent=2) + "\n")
            self.keep(path)
        return path

    def write_text(self, name: str, text: str) -> Path:
        path = self.path(name)
        if not self.silent:
            atomic_write_text(path, text)
            self.keep(path)
        return path

    def save_spec(self, spec: NetSpec, name: str = "config.json") -> Path:
        """The run's NetSpec (config.json), which a resumed run reads back."""
        path = self.path(name)
        if not self.silent:
            spec.save(path)
            self.keep(path)
        return path

    def keep(self, path: Path) -> None:
        """Count `path` among the run's files (TaskResult.files)."""
        if path not in self.files:
            self.files.append(path)

    def plot(self, fn_name: str, name: str, *args: Any, **kwargs: Any) -> Path | None:
        """Draw `fcnet.plots.<fn_name>(*args, **kwargs, path=...)` to `name`; None if it failed.

        A figure is a nicety: a plotting failure is reported, never fatal to a finished run.
        """
        if self.silent:
            return None
        path = self.path(name)
        with _ctrl_c_held():
            try:
                from fcnet import plots

                getattr(plots, fn_name)(*args, path=path, **kwargs)
            except Exception as exc:
                self.err.print(
                    _("[yellow]warning:[/] could not draw {name}: {error}").format(
                        name=name, error=exc
                    )
                )
                return None
            finally:
                gc.collect()  # the figure's reference cycles, and their finalizers, now
        self.keep(path)
        return path

    def save_model(self, model: Model, stem: str = "model") -> list[Path]:
        """The portable .npz, plus the backend's native file where it has one."""
        if self.silent:
            return []
        paths = [self.path(f"{stem}.npz")]
        if model.backend in NATIVE_SUFFIX:
            paths.append(self.path(stem + NATIVE_SUFFIX[model.backend]))
        for p in paths:
            model.save(p)
            self.keep(p)
        return paths


# The run being made in this thread, for the message of a Ctrl-C outside the training loop.
_CURRENT_RUN: contextvars.ContextVar[Run | None] = contextvars.ContextVar("fcnet_run", default=None)


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Ctrl-C inside the block is held back and delivered at its end, to the handler that
    was there before. Drawing a figure runs matplotlib's finalizers (weakref callbacks);
    a KeyboardInterrupt raised inside one cannot propagate: Python prints "Exception
    ignored in ..." and goes on, and the user's Ctrl-C is lost."""
    held: list[Any] = []
    with sigint_handler(lambda signum, frame: held.append(frame)) as previous:
        yield
    if held and callable(previous):
        previous(signal.SIGINT, held[0])


def interrupted_message(task: str) -> str:
    """What a Ctrl-C outside the training loop left: a finished run, a resumable checkpoint,
    or nothing (a new run interrupted before training started is removed)."""
    run = _CURRENT_RUN.get()
    _CURRENT_RUN.set(None)
    if run is None or run.task != task:
        return _("interrupted before training started; nothing was written")
    folder = run.out_dir
    if (folder / "result.json") in run.files:
        return _("interrupted after the run finished; its results are in {folder}").format(
            folder=folder
        )
    if (folder / "checkpoint.npz").is_file():
        return _(
            "interrupted; the checkpoint in {folder} is kept; continue with: "
            "fcnet {task} --resume {folder}"
        ).format(folder=folder, task=task)
    if run.resuming:
        return _("interrupted before training started; {folder} is as it was").format(folder=folder)
    if any(folder.glob("*metrics.jsonl")):  # training had started: never remove its traces
        return _("interrupted during training; no checkpoint was written in {folder}").format(
            folder=folder
        )
    for name in {*(p.name for p in run.files), "run.json", "config.json", "metrics.jsonl"}:
        with contextlib.suppress(OSError):
            (folder / name).unlink()
    if run.made_dir:
        with contextlib.suppress(OSError):
            folder.rmdir()
    return _("interrupted before training started; nothing was written")


def _clear(out_dir: Path) -> None:
    """--force: the file at `out_dir`, or the run folder's contents, removed."""
    if out_dir.is_symlink() or out_dir.is_file():
        out_dir.unlink()
    elif out_dir.is_dir():
        for child in out_dir.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()


def silent_run(
    task: str, out_dir: Path, options: dict[str, Any], sources: dict[str, str], resuming: bool
) -> Run:
    """A Run that prints nothing and writes no file of the run (in a scratch folder)."""
    return Run(task, out_dir, options, resuming, sources=sources, silent=True)


def jsonable(obj: Any) -> Any:
    """`obj` with numpy values, tuples and paths as JSON's own types."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def start_run(
    task: str,
    options: type[TaskOptions],
    given: Mapping[str, Any],
    resume: str | os.PathLike[str] | None,
    preset: Mapping[str, Any] | None = None,
) -> Run:
    """Resolve the options and make (or reopen, for `resume`) the run folder.

    given: the options the caller passed (None = not given); preset: the task's preset or
    data set defaults. Every value is checked and the --config file read here, before any
    file is written. A new run refuses an existing file or non-empty --out folder unless
    --force (nothing the user had is overwritten). In a distributed run only rank 0 does
    this; the other ranks get a silent Run in a scratch folder (`fcnet.runtime`).
    """
    return runtime.start_run(
        _start_run, silent_run, task, options, dict(given), resume, dict(preset or {})
    )


def _start_run(
    task: str,
    cls: type[TaskOptions],
    given: dict[str, Any],
    resume: str | os.PathLike[str] | None,
    preset: dict[str, Any],
) -> Run:
    from fcnet.tasks.netspec import config_options, read_config

    given = {k: v for k, v in given.items() if v is not None}
    if resume is not None:
        out_dir = Path(resume)
        saved = read_run(out_dir, task)
        given = check(cls, given)
        changed = [
            k
            for k, v in given.items()
            if k not in RESUMABLE and jsonable(v) != saved["options"].get(k)
        ]
        if changed:
            flags = ", ".join(flag(k) for k in changed)
            raise ValueError(
                _(
                    "--resume {out_dir}: a resumed run keeps its saved options; only --epochs and "
                    "--quiet may change, got {flags}"
                ).format(out_dir=out_dir, flags=flags)
            )
        if "out" in given and Path(given["out"]).resolve() != out_dir.resolve():
            raise ValueError(
                _("--out: a resumed run stays in {out_dir}, got {given_out}").format(
                    out_dir=out_dir, given_out=given["out"]
                )
            )
        if not (out_dir / "checkpoint.npz").is_file():
            raise ValueError(
                _("--resume {out_dir}: no checkpoint.npz in it to continue from").format(
                    out_dir=out_dir
                )
            )
        options = {**saved["options"], **jsonable(given), "out": str(out_dir)}
        options.setdefault("device", "cpu")
        sources = {**saved.get("sources", {}), **dict.fromkeys(given, "flag")}
        return Run(task, out_dir, options, resuming=True, sources=sources)

    config = None
    from_config: dict[str, Any] = {}
    if given.get("config") is not None:
        config = read_config(given["config"])
        from_config = config_options(config)
    resolved = resolve(cls, given, preset, from_config)
    options = resolved.values
    replace = False
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
            if not options["force"]:
                raise ValueError(
                    _(
                        "--out {out_dir}: exists and is not an empty folder; choose a new one "
                        "(nothing is overwritten), or continue that run with --resume {out_dir}"
                    ).format(out_dir=out_dir)
                )
            if out_dir.is_dir() and not (out_dir / "run.json").is_file():
                raise ValueError(
                    _(
                        "--force: replaces a file or an fcnet run folder, and {out_dir} is a "
                        "folder without run.json; choose another --out"
                    ).format(out_dir=out_dir)
                )
            replace = True
    options = jsonable({**options, "out": str(out_dir)})
    meta = {
        "task": task,
        "fcnet_version": __version__,
        "started": datetime.now().isoformat(timespec="seconds"),
        "options": options,
        "sources": resolved.sources,
    }
    return Run(
        task,
        out_dir,
        options,
        resuming=False,
        meta=meta,
        sources=resolved.sources,
        config=config,
        replace=replace,
    )


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
    "distort": _BOOL,
    "dataset": _STR,
    "pos": _INT,
    "neg": _INT,
    "path": _STR,
    "label": _STR,
    "positive": _STR,
    "pos_weight": (str, int, float),
    "features": _INT,
    "logits": _BOOL,
    "force": _BOOL,
    "device": _STR,
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
        if not run_dir.exists():
            msg = _("{run_dir}: not an fcnet run folder (does not exist)")
        else:
            msg = _("{run_dir}: not an fcnet run folder (has no run.json)")
        raise ValueError(msg.format(run_dir=run_dir))
    saved = load_json(meta, _RUN_JSON_LIMIT, "run.json")
    if not isinstance(saved, dict):
        raise FileError(
            _("{path}: expected an object of keys, got {type}").format(
                path=meta, type=type(saved).__name__
            )
        )
    if not isinstance(saved.get("task"), str) or saved["task"] not in _TASK_KEYS:
        raise FileError(
            _("{path}: field 'task' must be one of {names}, got {value}").format(
                path=meta, names=", ".join(_TASK_KEYS), value=_short(saved.get("task"))
            )
        )
    options = saved.get("options")
    if not isinstance(options, dict):
        raise FileError(
            _("{path}: field 'options' must be an object, got {value}").format(
                path=meta, value=_short(options)
            )
        )
    for key in (*_NOT_NONE, *_TASK_KEYS[saved["task"]]):
        if options.get(key) is None:
            raise FileError(
                _("{path}: field 'options.{key}' is missing").format(path=meta, key=key)
            )
    for key, value in options.items():
        types = _OPTION_TYPES.get(key)
        if value is None or types is None:
            continue
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = _(" or ").join(t.__name__ for t in types)
            raise FileError(
                _("{path}: field 'options.{key}' must be {names}, got {value}").format(
                    path=meta, key=key, names=names, value=_short(value)
                )
            )
    hidden = options.get("hidden")
    if isinstance(hidden, list) and not all(
        isinstance(w, int) and not isinstance(w, bool) for w in hidden
    ):
        raise FileError(
            _("{path}: field 'options.hidden' must be widths, got {value}").format(
                path=meta, value=_short(hidden)
            )
        )
    for key in ("range", "yrange"):
        r = options.get(key)
        if r is not None and not (
            len(r) == 2 and all(isinstance(v, int | float) and not isinstance(v, bool) for v in r)
        ):
            raise FileError(
                _("{path}: field 'options.{key}' must be two numbers, got {value}").format(
                    path=meta, key=key, value=_short(r)
                )
            )
    if task is not None and saved["task"] != task:
        raise ValueError(
            _("{run_dir}: is a {saved_task!r} run, not a {task!r} run").format(
                run_dir=run_dir, saved_task=saved["task"], task=task
            )
        )
    return saved


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


def load_model(
    run_dir: str | os.PathLike[str], task: str | None = None, device: str = "cpu"
) -> tuple[Model, dict[str, Any]]:
    """The saved model of a run folder (its portable model.npz, on the numpy engine unless
    `device` asks for a GPU, then on torch) and its run.json."""
    from fcnet.backends import load

    saved = read_run(run_dir, task)
    path = Path(run_dir) / "model.npz"
    if not path.is_file():
        raise ValueError(
            _("{run_dir}: has no model.npz (did the run finish?)").format(run_dir=run_dir)
        )
    backend = "torch" if device.startswith("cuda") else "numpy"
    return load(path, backend=backend, device=device), saved


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

    table = Table(
        title=_("fcnet {task} ({backend})").format(task=run.task, backend=backend),
        title_justify="left",
    )
    table.add_column(_("metric"))
    table.add_column(_("value"), justify="right")
    for k, v in metrics.items():
        if _is_number(v):
            table.add_row(k, f"{v:.6g}")
    table.add_row(_("epochs"), str(len(history.records)))
    if history.stopped_early:
        table.add_row(_("early stop"), _("best epoch {epoch}").format(epoch=history.best_epoch))
    table.add_row(_("train time"), _("{seconds:.1f}s").format(seconds=history.seconds))
    run.console.print(table)
    for note in notes:
        run.console.print(note)
    run.console.print(_("run folder: {folder}").format(folder=run.out_dir))


__all__ = [
    "Run",
    "TaskResult",
    "finish",
    "jsonable",
    "load_model",
    "read_run",
    "silent_run",
    "start_run",
]
