"""Starting and finishing a task's run; the folder itself is `fcnet.runs`.

`start_run` resolves the options (`fcnet.tasks.options.resolve`; a resumed run's saved
options < the given ones) and checks --out; nothing is written until the task writes its
first file (after its data loaded and its model was built), so input that fails leaves
no folder behind. `run.json` holds the task, the options and, per option, where its value
came from (`sources`: flag, config, preset, default). `finish` writes `result.json`,
saves the model and prints the summary. `Run` (the writer), `read_run` and `load_model`
(the readers) are `fcnet.runs`', importable from here as before.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fcnet import __version__, runtime
from fcnet.i18n import gettext as _
from fcnet.runs.folder import Run, interrupted_message, jsonable, load_model, silent_run
from fcnet.runs.layout import CHECKPOINT, RESULT, RUN_JSON
from fcnet.runs.records import read_run
from fcnet.spec import NetSpec
from fcnet.tasks.options import RESUMABLE, TaskOptions, check, flag, resolve

if TYPE_CHECKING:  # pragma: no cover
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
        if not (out_dir / CHECKPOINT).is_file():
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
            if out_dir.is_dir() and not (out_dir / RUN_JSON).is_file():
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
    run.write_json(RESULT, result)
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
    "interrupted_message",
    "jsonable",
    "load_model",
    "read_run",
    "silent_run",
    "start_run",
]
