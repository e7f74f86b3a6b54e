"""The run folder's writer (`Run`: every file a task writes goes through it) and the
loading of a finished run's model (`load_model`, through `fcnet.runs.reader`).

The folder is made on the first file written (with its run.json), so input that fails
to load leaves nothing behind; a Ctrl-C outside the training loop is answered by
`interrupted_message`, which removes a new run's files if training never started.
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
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fcnet._fileio import atomic_write_text
from fcnet.backends._common import NATIVE_SUFFIX
from fcnet.i18n import gettext as _
from fcnet.interrupt import pipe_closed, sigint_handler
from fcnet.runs import reader
from fcnet.runs.layout import CHECKPOINT, CONFIG, METRICS_LOG, RESULT, RUN_JSON
from fcnet.runs.records import read_run

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from fcnet.backends import Model
    from fcnet.spec import NetSpec


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
        self.task = task
        self.out_dir = out_dir
        self.options = options
        self.sources = dict(sources or {})
        self.config = config
        self.resuming = resuming
        self.silent = silent
        self._meta = meta  # run.json, written with the folder on the first file
        self._replace = replace  # --force: clear what --out holds when the folder is made
        self.console: Console = _console(quiet=silent)
        self.err: Console = _console(stderr=True, quiet=silent or bool(options["quiet"]))
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
                self.write_json(RUN_JSON, meta)
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

    def save_spec(self, spec: NetSpec, name: str = CONFIG) -> Path:
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


def _console(**kwargs: Any) -> Console:
    """A rich Console whose reader going away (`| head -1`) stops the run as Ctrl-C does
    (`fcnet.interrupt.pipe_closed`), where rich's own answer is SystemExit(1)."""
    from rich.console import Console

    class RunConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise pipe_closed()

    return RunConsole(**kwargs)


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
    if (folder / RESULT) in run.files:
        return _("interrupted after the run finished; its results are in {folder}").format(
            folder=folder
        )
    if (folder / CHECKPOINT).is_file():
        return _(
            "interrupted; the checkpoint in {folder} is kept; continue with: "
            "fcnet {task} --resume {folder}"
        ).format(folder=folder, task=task)
    if run.resuming:
        return _("interrupted before training started; {folder} is as it was").format(folder=folder)
    if any(folder.glob("*" + METRICS_LOG)):  # training had started: never remove its traces
        return _("interrupted during training; no checkpoint was written in {folder}").format(
            folder=folder
        )
    for name in {*(p.name for p in run.files), RUN_JSON, CONFIG, METRICS_LOG}:
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


def load_model(
    run_dir: str | os.PathLike[str], task: str | None = None, device: str = "cpu"
) -> tuple[Model, dict[str, Any]]:
    """The saved model of a run folder (its portable model.npz, on the numpy engine unless
    `device` asks for a GPU, then on torch) and its run.json."""
    from fcnet.backends import load

    saved = read_run(run_dir, task)
    backend = "torch" if device.startswith("cuda") else "numpy"
    return load(reader.model_path(run_dir), backend=backend, device=device), saved


__all__ = ["Run", "interrupted_message", "jsonable", "load_model", "silent_run"]
