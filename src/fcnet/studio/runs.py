"""The run folders under `runs/`, read for the Runs and Digits pages.

Every name that comes from a request is checked here before it touches the file system:
a run is a plain folder name directly under the runs directory (no `..`, no slashes, no
symbolic link leading out of it), and a plot is a `.png` file directly inside the run.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.=+-]{0,127}")
_PLOT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.=+-]{0,127}\.png")
# Files bigger than this are not read for a page (a metrics log of a long run is far smaller).
_MAX_TEXT_BYTES = 4 * 1024 * 1024
_MAX_METRIC_LINES = 5000
# The model file the tasks write (portable npz, spec JSON under "__spec__").
MODEL_FILE = "model.npz"


def _clean(value: Any) -> Any:
    """Make a JSON value safe to send: NaN and inf become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def run_path(runs_dir: Path, name: str) -> Path:
    """The folder of run `name` under `runs_dir`; ValueError for any name that could escape.

    >>> run_path(Path("runs"), "../etc")
    Traceback (most recent call last):
    ValueError: run: expected a folder name under runs (letters, digits, _ . = + -), got '../etc'
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise ValueError(
            f"run: expected a folder name under {runs_dir} (letters, digits, _ . = + -), "
            f"got {name!r}"
        )
    root = runs_dir.resolve()
    path = (root / name).resolve()
    if path.parent != root:
        raise ValueError(f"run: {name!r} leads outside {runs_dir}")
    if not path.is_dir():
        raise FileNotFoundError(f"run: no run named {name!r} under {runs_dir}")
    return path


def plot_path(runs_dir: Path, name: str, plot: str) -> Path:
    """A PNG file directly inside run `name`; ValueError for any other name."""
    run = run_path(runs_dir, name)
    if not _PLOT.fullmatch(plot) or ".." in plot:
        raise ValueError(f"plot: expected a .png file name inside run {name!r}, got {plot!r}")
    path = (run / plot).resolve()
    if path.parent != run or not path.is_file():
        raise FileNotFoundError(f"plot: no plot {plot!r} in run {name!r}")
    return path


def _read_json(path: Path) -> Any:
    """A JSON file's content, or None when it is missing, too big or not JSON."""
    try:
        if path.stat().st_size > _MAX_TEXT_BYTES:
            return None
        return _clean(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """The records of a metrics.jsonl file (one JSON object a line); bad lines are skipped."""
    try:
        if path.stat().st_size > _MAX_TEXT_BYTES:
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    records = []
    for line in lines[:_MAX_METRIC_LINES]:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(_clean(record))
    return records


def read_model_spec(path: Path) -> dict[str, Any] | None:
    """The spec stored in a portable model .npz (key `__spec__`), without loading weights."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if "__spec__" not in data.files:
                return None
            raw = data["__spec__"]
        if raw.dtype.kind == "U":  # a str array
            text = str(raw[()]) if raw.ndim == 0 else "".join(raw.tolist())
        else:  # UTF-8 bytes
            text = raw.tobytes().decode("utf-8")
        spec = json.loads(text)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return None
    return spec if isinstance(spec, dict) else None


def is_run(path: Path) -> bool:
    """A run folder holds at least one of the files the tasks write."""
    return any(
        (path / f).is_file()
        for f in ("run.json", "config.json", "metrics.jsonl", "result.json", MODEL_FILE)
    )


def list_runs(runs_dir: Path) -> list[dict[str, Any]]:
    """A summary of every run folder directly under `runs_dir`, newest first."""
    if not runs_dir.is_dir():
        return []
    root = runs_dir.resolve()
    runs = []
    for path in runs_dir.iterdir():
        if not _NAME.fullmatch(path.name) or not path.is_dir():
            continue
        if path.resolve().parent != root or not is_run(path):
            continue
        result = _read_json(path / "result.json")
        metrics = result.get("metrics") if isinstance(result, dict) else None
        if not isinstance(metrics, dict) and isinstance(result, dict):
            metrics = {k: v for k, v in result.items() if isinstance(v, int | float)}
        meta = _read_json(path / "run.json")
        task = meta.get("task") if isinstance(meta, dict) else None
        if not isinstance(task, str) and isinstance(result, dict):
            task = result.get("task")
        mtime = path.stat().st_mtime
        runs.append(
            {
                "name": path.name,
                "task": task if isinstance(task, str) else path.name.split("-", 1)[0],
                "modified": datetime.fromtimestamp(mtime, UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "mtime": mtime,
                "has_model": (path / MODEL_FILE).is_file(),
                "metrics": metrics or {},
            }
        )
    runs.sort(key=lambda r: r["mtime"], reverse=True)
    return runs


def run_detail(runs_dir: Path, name: str) -> dict[str, Any]:
    """Everything the Runs page shows of one run: config, result, metric records, plots."""
    path = run_path(runs_dir, name)
    plots = sorted(
        p.name
        for p in path.iterdir()
        if p.is_file() and _PLOT.fullmatch(p.name) and ".." not in p.name
    )
    return {
        "name": name,
        "run": _read_json(path / "run.json"),
        "config": _read_json(path / "config.json"),
        "result": _read_json(path / "result.json"),
        "metrics": read_metrics(path / "metrics.jsonl"),
        "plots": plots,
        "has_model": (path / MODEL_FILE).is_file(),
    }


def mnist_models(runs_dir: Path) -> list[dict[str, Any]]:
    """Runs whose model.npz is a 784-input, 10-output classifier: what Digits can use."""
    models = []
    for run in list_runs(runs_dir):
        if not run["has_model"]:
            continue
        spec = read_model_spec(runs_dir / run["name"] / MODEL_FILE)
        if not spec or spec.get("input_size") != 784 or spec.get("output_size") != 10:
            continue
        widths = [h.get("width") if isinstance(h, dict) else h for h in spec.get("hidden", [])]
        acc = run["metrics"].get("test_accuracy")
        label = run["name"] + " (784-" + "-".join(str(w) for w in widths) + "-10"
        label += f", test accuracy {acc:.2%})" if isinstance(acc, float) else ")"
        models.append({"id": f"run:{run['name']}", "label": label})
    return models
