"""The run folders under `runs/`, read for the Runs and Digits pages.

A run is a folder holding the files a task writes (run.json, config.json, result.json,
metrics.jsonl, model.npz), directly under the runs folder or nested a few levels down
(`fcnet demo` writes runs/demo-<time>/mnist). It is named by its path relative to the
runs folder, "/"-separated.

Every name that comes from a request is checked here before it touches the file system:
each part a plain folder name (no `..`, nothing hidden), the folder inside the runs
folder. Every file is read through the run folder's one reader, `fcnet.runs.reader`,
with `inside=` the run: a regular file, bounded in size and JSON depth, inside its run (a
link leading out is refused). A run whose files cannot be read is skipped and listed with
its problem; it never breaks the list.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fcnet._fileio import FileError, MiB
from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.runs import reader
from fcnet.runs.layout import CONFIG, METRICS_LOG, MODEL, RESULT, RUN_JSON

_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.=+-]{0,127}")
_PLOT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.=+-]{0,127}\.png")
# How deep under the runs folder a run may sit (runs/demo-<time>/mnist is 2).
MAX_DEPTH = 3
# At most this many folders are looked at, and this many runs listed, per listing.
MAX_SCANNED = 5000
MAX_RUNS = 1000
# A model.npz the studio loads: its members may hold at most this many bytes in all.
MAX_MODEL_BYTES = 256 * MiB
# The metric a run is known by, per task (the first one present is shown in its label).
_HEADLINE = {
    "fit": ("test_mse",),
    "mnist": ("test_accuracy",),
    "binary": ("test_auc", "test_accuracy"),
}
_ANY_HEADLINE = ("test_accuracy", "test_auc", "test_mse", "val_accuracy", "val_auc", "val_loss")
# The headline metrics as a label names them (the key's words; in the request's language).
_HEADLINE_NAMES = {
    "test_accuracy": N_("test accuracy"),
    "test_auc": N_("test auc"),
    "test_mse": N_("test mse"),
    "val_accuracy": N_("val accuracy"),
    "val_auc": N_("val auc"),
    "val_loss": N_("val loss"),
}


def _clean(value: Any) -> Any:
    """Make a JSON value safe to send: NaN and inf become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _check_name(runs_dir: Path, name: Any) -> list[str]:
    parts = name.split("/") if isinstance(name, str) else []
    if (
        not parts
        or len(parts) > MAX_DEPTH
        or len(name) > 300
        or not all(_PART.fullmatch(p) and ".." not in p for p in parts)
    ):
        raise ValueError(
            _(
                "run: expected a folder name under {runs_dir} (letters, digits, _ . = + -, at most "
                "{max_depth} parts joined by /), got {name!r}"
            ).format(runs_dir=runs_dir, max_depth=MAX_DEPTH, name=str(name)[:80])
        )
    return parts


def run_path(runs_dir: Path, name: str) -> Path:
    """The folder of run `name` under `runs_dir`; ValueError for any name that could escape.

    >>> run_path(Path("runs"), "../etc")
    Traceback (most recent call last):
    ValueError: run: expected a folder name under runs (letters, digits, _ . = + -, at most 3 parts joined by /), got '../etc'
    """  # noqa: E501
    parts = _check_name(runs_dir, name)
    root = runs_dir.resolve()
    path = root.joinpath(*parts).resolve()
    if not path.is_relative_to(root) or path == root:
        raise ValueError(
            _("run: {name!r} leads outside {runs_dir}").format(name=name, runs_dir=runs_dir)
        )
    if not path.is_dir():
        raise FileNotFoundError(
            _("run: no run named {name!r} under {runs_dir}").format(name=name, runs_dir=runs_dir)
        )
    return path


def plot_path(runs_dir: Path, name: str, plot: str) -> Path:
    """A PNG file directly inside run `name` (a regular file); ValueError for any other name."""
    run = run_path(runs_dir, name)
    if not _PLOT.fullmatch(plot) or ".." in plot:
        raise ValueError(
            _("plot: expected a .png file name inside run {name!r}, got {plot!r}").format(
                name=name, plot=plot
            )
        )
    path = (run / plot).resolve()
    try:
        regular = path.parent == run and stat.S_ISREG(path.stat().st_mode)
    except OSError:
        regular = False
    if not regular:
        raise FileNotFoundError(
            _("plot: no plot {plot!r} in run {name!r}").format(plot=plot, name=name)
        )
    return path


def _read(run: Path, file: str, problems: list[str], read: Callable[..., Any] | None = None) -> Any:
    """File `file` of the run read by `read` (one of `fcnet.runs.reader`'s, confined to the
    run; `read_json` unless named), NaN and inf made null; None when absent, or refused
    with its problem noted."""
    if not os.path.lexists(run / file):
        return None
    try:
        return _clean((read or reader.read_json)(run, file, inside=run))
    except FileError as exc:
        problems.append(str(exc))
    except OSError as exc:
        problems.append(
            _("{name}: cannot be read ({strerror})").format(name=file, strerror=exc.strerror)
        )
    return None


def _has_model(run: Path) -> bool:
    model = run / MODEL
    return os.path.lexists(model) and not model.is_symlink() and model.is_file()


def _walk(root: Path) -> tuple[list[tuple[str, Path]], bool]:
    """(name, folder) of the runs under `root`, breadth first, links not followed."""
    found: list[tuple[str, Path]] = []
    queue: list[tuple[str, Path, int]] = [("", root, 0)]
    scanned = 0
    while queue:
        prefix, folder, depth = queue.pop(0)
        try:
            with os.scandir(folder) as it:
                entries = sorted(itertools.islice(it, MAX_SCANNED + 1), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            scanned += 1
            if scanned > MAX_SCANNED or len(found) >= MAX_RUNS:
                return found, True
            if not _PART.fullmatch(entry.name) or ".." in entry.name:
                continue
            try:
                if not entry.is_dir(follow_symlinks=False):
                    continue
            except OSError:
                continue
            name = prefix + entry.name
            path = Path(entry.path)
            if reader.is_run(path):
                found.append((name, path))
            elif depth + 1 < MAX_DEPTH:
                queue.append((name + "/", path, depth + 1))
    return found, False


def _sizes(spec: Any) -> list[int] | None:
    """[input, *hidden widths, output] of a spec as JSON (a config.json, a model's
    `__spec__`); None when it does not say."""
    if not isinstance(spec, dict):
        return None
    hidden = spec.get("hidden")
    if not isinstance(hidden, list | None):
        return None
    widths = [h.get("width") if isinstance(h, dict) else h for h in hidden or []]
    sizes = [spec.get("input_size"), *widths, spec.get("output_size")]
    ints = [s for s in sizes if isinstance(s, int) and not isinstance(s, bool)]
    return ints if len(ints) == len(sizes) else None


def _network(config: Any) -> str | None:
    """784-64-10 from a config.json (None when it does not say)."""
    sizes = _sizes(config)
    return "-".join(str(s) for s in sizes) if sizes is not None else None


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1e-3 or abs(v) >= 1e4 else f"{v:.4g}"


def describe(task: str, options: Any, result: Any, config: Any, metrics: dict) -> dict[str, Any]:
    """What a run was: task, function or dataset, network, headline metric, as a label."""
    o = options if isinstance(options, dict) else {}
    r = result if isinstance(result, dict) else {}
    what = None
    if task == "fit":
        expr = r.get("expr", o.get("expr"))
        what = f"f = {expr}" if isinstance(expr, str) else None
    elif task == "binary":
        dataset = r.get("dataset", o.get("dataset"))
        if dataset == "mnist-pair" and isinstance(o.get("pos"), int):
            what = f"MNIST {o['pos']} vs {o.get('neg')}"
        elif isinstance(dataset, str):
            what = dataset
    elif task == "mnist":
        what = _("MNIST digits")
    network = _network(config)
    keys = (*_HEADLINE.get(task, ()), *_ANY_HEADLINE)
    headline = next((k for k in keys if isinstance(metrics.get(k), int | float)), None)
    parts = [task, what, network]
    if headline is not None:
        value = metrics[headline]
        shown = f"{value:.2%}" if "accuracy" in headline else _fmt(value)
        name = _HEADLINE_NAMES.get(headline)
        parts.append(f"{_(name) if name else headline.replace('_', ' ')} {shown}")
    return {
        "what": what,
        "network": network,
        "headline": headline,
        "label": " · ".join(str(p)[:80] for p in parts if p),
    }


def _summary(name: str, path: Path) -> dict[str, Any]:
    """One run's line in the list; FileError when one of its files is refused."""
    problems: list[str] = []
    result = _read(path, RESULT, problems)
    meta = _read(path, RUN_JSON, problems)
    config = _read(path, CONFIG, problems)
    for file in (METRICS_LOG, MODEL):  # not read here, but checked
        _read(path, file, problems, reader.check_file)
    if problems:
        raise FileError("; ".join(problems))
    metrics = result.get("metrics") if isinstance(result, dict) else None
    if isinstance(result, dict) and "metrics" not in result:  # an older flat result.json
        metrics = {k: v for k, v in result.items() if isinstance(v, int | float)}
    metrics = metrics if isinstance(metrics, dict) else {}
    metrics = {k: v for k, v in metrics.items() if isinstance(v, int | float | None)}
    task = meta.get("task") if isinstance(meta, dict) else None
    if not isinstance(task, str) and isinstance(result, dict):
        task = result.get("task")
    if not isinstance(task, str):
        task = name.rsplit("/", 1)[-1].split("-", 1)[0]
    options = meta.get("options") if isinstance(meta, dict) else None
    mtime = path.stat().st_mtime
    return {
        "name": name,
        "task": task[:40],
        **describe(task[:40], options, result, config, metrics),
        "modified": datetime.fromtimestamp(mtime, UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "mtime": mtime,
        "has_model": _has_model(path),
        "metrics": metrics,
    }


def scan_runs(runs_dir: Path) -> dict[str, Any]:
    """{"runs": [...] newest first, "skipped": [{"name", "problem"}], "truncated": bool}."""
    if not runs_dir.is_dir():
        return {"runs": [], "skipped": [], "truncated": False}
    found, truncated = _walk(runs_dir.resolve())
    runs, skipped = [], []
    for name, path in found:
        try:
            runs.append(_summary(name, path))
        except (FileError, OSError) as exc:
            skipped.append({"name": name, "problem": str(exc)})
        except Exception as exc:  # a file of a shape nobody foresaw: skip it, keep the list
            skipped.append({"name": name, "problem": f"unreadable ({type(exc).__name__}: {exc})"})
    runs.sort(key=lambda r: r["mtime"], reverse=True)
    return {"runs": runs, "skipped": skipped, "truncated": truncated}


def run_detail(runs_dir: Path, name: str) -> dict[str, Any]:
    """Everything the Runs page shows of one run: config, result, metric records, plots,
    and the problems of any file it refused to read."""
    path = run_path(runs_dir, name)
    plots = []
    with os.scandir(path) as it:
        names = sorted(e.name for e in itertools.islice(it, MAX_SCANNED))
    for p in (path / n for n in names):
        if _PLOT.fullmatch(p.name) and ".." not in p.name:
            try:
                plot_path(runs_dir, name, p.name)
            except (ValueError, OSError):
                continue
            plots.append(p.name)
    problems: list[str] = []
    meta = _read(path, RUN_JSON, problems)
    config = _read(path, CONFIG, problems)
    result = _read(path, RESULT, problems)
    metrics_log = _read(path, METRICS_LOG, problems, reader.read_metrics) or []
    task = meta.get("task") if isinstance(meta, dict) else None
    if not isinstance(task, str):
        task = result.get("task") if isinstance(result, dict) else None
    task = task if isinstance(task, str) else name.rsplit("/", 1)[-1].split("-", 1)[0]
    metrics = result.get("metrics") if isinstance(result, dict) else None
    metrics = metrics if isinstance(metrics, dict) else {}
    options = meta.get("options") if isinstance(meta, dict) else None
    return {
        "name": name,
        "task": task[:40],
        **describe(
            task[:40], options, result, config, metrics if isinstance(metrics, dict) else {}
        ),
        "run": meta,
        "config": config,
        "result": result,
        "metrics": metrics_log,
        "plots": plots,
        "has_model": _has_model(path),
        "problems": problems,
    }


def _mnist_widths(spec: dict[str, Any]) -> list[int] | None:
    """The hidden widths of a 784-input, 10-class spec with a sane size; None otherwise."""
    sizes = _sizes(spec)
    if sizes is None or sizes[0] != 784 or sizes[-1] != 10 or len(sizes) > 2 + 16:
        return None
    widths = sizes[1:-1]
    if not all(1 <= w <= 65536 for w in widths):
        return None
    params = sum(a * b + b for a, b in itertools.pairwise(sizes))
    return widths if params * 4 <= MAX_MODEL_BYTES else None


def check_mnist_spec(name: str, spec: dict[str, Any]) -> list[int]:
    widths = _mnist_widths(spec)
    if widths is None:
        raise ValueError(
            _("model: run {name!r} is not a 784-input, 10-class MNIST model").format(name=name)
        )
    return widths


def mnist_models(runs_dir: Path) -> dict[str, Any]:
    """Runs whose model.npz is a 784-input, 10-output classifier: what Digits can use.

    {"models": [{"id", "label"}], "skipped": [{"name", "problem"}]}: a run whose model
    file cannot be read safely is skipped and named with its problem.
    """
    scan = scan_runs(runs_dir)
    models, skipped = [], list(scan["skipped"])
    for run in scan["runs"]:
        path = runs_dir.resolve() / run["name"]
        if not os.path.lexists(path / MODEL):
            continue
        try:
            spec = reader.read_model_spec(path, limit=MAX_MODEL_BYTES, inside=path)
        except (FileError, OSError) as exc:
            skipped.append({"name": run["name"], "problem": str(exc)})
            continue
        widths = _mnist_widths(spec)
        if widths is None:
            continue
        acc = run["metrics"].get("test_accuracy")
        label = run["name"] + " (784-" + "-".join(str(w) for w in widths) + "-10"
        label += f", {_('test accuracy')} {acc:.2%})" if isinstance(acc, float) else ")"
        models.append({"id": f"run:{run['name']}", "label": label})
    return {"models": models, "skipped": skipped}
