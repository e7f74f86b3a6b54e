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
        raise ValueError(f"--out {root}: exists and is not an empty folder; choose a new one")
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
    table = Table(title="fcnet demo", title_justify="left")
    for col in ("task", "backend", "metric", "value", "time"):
        table.add_column(col, justify="right" if col in ("value", "time") else "left")
    for r in rows:
        table.add_row(
            r["task"],
            r["backend"],
            r["metric"],
            f"{r['value']:.6g}",
            f"{r['seconds']:.1f} s",
        )
    console.print(table)
    for r in rows:
        console.print(f"{r['task']} plots in {r['out_dir']}/: {', '.join(r['plots']) or 'none'}")
    console.print(f"total {sum(r['seconds'] for r in rows):.1f} s; everything is in {root}/")
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
