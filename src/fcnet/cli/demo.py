"""`fcnet demo` (what `make demo` runs): the three exercises, one after another.

MNIST with the numpy engine (784-512-256-10, 4 epochs: above 97.5% in well under two
minutes on two cores), one function fit (sin on -pi..pi), one binary task (MNIST 4 vs 9);
then a table of task, backend, metric and time, and where the plots are. Everything goes
under one folder, runs/demo-<timestamp>/ by default.
"""

from __future__ import annotations

import json
import math
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from fcnet._fileio import atomic_write_text
from fcnet.backends import BACKENDS
from fcnet.cli.tasks import _run
from fcnet.i18n import N_
from fcnet.i18n import gettext as _

# (name, task function name, headline metric, keyword arguments); quick: a smoke run.
STEPS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("mnist", "mnist", "test_accuracy", {"epochs": 4}),
    ("fit", "fit", "test_mse", {"expr": "sin(x)", "range": (-math.pi, math.pi)}),
    ("binary", "binary", "test_auc", {"dataset": "mnist-pair", "pos": 4, "neg": 9}),
]
QUICK: dict[str, dict[str, Any]] = {
    "mnist": {"epochs": 1, "limit": 2000, "hidden": "64"},
    "fit": {"epochs": 20, "samples": 500},
    "binary": {"epochs": 1, "hidden": "16"},
}


def run_demo(
    out: str | Path | None = None, backend: str = "numpy", quick: bool = False, quiet: bool = False
) -> list[dict[str, Any]]:
    """Run the three tasks under `out`; returns one row per task (also in summary.json)."""
    from rich.console import Console
    from rich.table import Table

    import fcnet.tasks

    root = Path(out) if out is not None else Path("runs") / f"demo-{_stamp()}"
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ValueError(
            _("--out {root}: exists and is not an empty folder; choose a new one").format(root=root)
        )
    console = Console()
    rows = []
    for name, fn_name, metric, kwargs in STEPS:
        kwargs = {**kwargs, **(QUICK[name] if quick else {})}
        console.rule(f"[bold]{name}[/] ({backend})")
        t0 = time.perf_counter()
        result = _run(
            getattr(fcnet.tasks, fn_name), out=root / name, backend=backend, quiet=quiet, **kwargs
        )
        rows.append(
            {
                "task": name,
                "backend": backend,
                "metric": metric,
                "value": result.metrics[metric],
                "seconds": round(time.perf_counter() - t0, 2),
                "out_dir": str(result.out_dir),
                "plots": sorted(p.name for p in Path(result.out_dir).glob("*.png")),
            }
        )
    atomic_write_text(root / "summary.json", json.dumps(rows, indent=2) + "\n")
    table = Table(title=_("fcnet demo"), title_justify="left")
    for col in (N_("task"), N_("backend"), N_("metric"), N_("value"), N_("time")):
        table.add_column(_(col), justify="right" if col in ("value", "time") else "left")
    for r in rows:
        table.add_row(
            r["task"],
            r["backend"],
            r["metric"],
            f"{r['value']:.6g}",
            _("{seconds:.1f} s").format(seconds=r["seconds"]),
        )
    console.print(table)
    for r in rows:
        line = _("{task} plots in {folder}/: {plots}")
        plots = _(", ").join(r["plots"]) or _("none")
        console.print(line.format(task=r["task"], folder=r["out_dir"], plots=plots))
    total = sum(r["seconds"] for r in rows)
    console.print(
        _("total {seconds:.1f} s; everything is in {folder}/").format(seconds=total, folder=root)
    )
    return rows


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


@click.command()
@click.option("--out", type=click.Path(file_okay=False), help="[default: runs/demo-<timestamp>]")
@click.option("--backend", type=click.Choice(BACKENDS), default="numpy", show_default=True)
@click.option("--quick", is_flag=True, help="A smoke run on small slices (seconds, not minutes).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or epoch lines.")
def demo(out: str | None, backend: str, quick: bool, quiet: bool) -> None:
    """The main job: MNIST, a function fit and a binary task, then a summary table."""
    run_demo(out, backend=backend, quick=quick, quiet=quiet)


COMMANDS = [demo]
