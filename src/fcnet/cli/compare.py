"""`fcnet compare`: the three backends side by side on the same spec, weights and batches."""

from __future__ import annotations

import json
from pathlib import Path

import click

from fcnet.backends import BACKENDS
from fcnet.limits import MAX_STEPS


@click.command(short_help="Run numpy, torch and tensorflow side by side; show they agree.")
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A spec (.toml or .json; in a run .toml, its [net] table). Default: a 20-32-16-4 net.",
)
@click.option(
    "--steps",
    type=click.IntRange(min=2, max=MAX_STEPS),
    default=200,
    show_default=True,
    help=f"Optimiser steps (at most {MAX_STEPS:,}).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Rows per batch (synthetic data shaped for the spec's loss).",
)
@click.option(
    "--dtype",
    type=click.Choice(["float64", "float32", "spec"]),
    default="float64",
    show_default=True,
    help="float64 shows formula differences; 'spec' keeps the config's dtype.",
)
@click.option(
    "--tol",
    type=click.FloatRange(min=0),
    default=None,
    help="Largest relative loss difference allowed [default: 1e-6 in float64, 1e-3 in float32].",
)
@click.option(
    "--backends",
    default=",".join(BACKENDS),
    show_default=True,
    help="Comma-separated backends (numpy is always run: it is the reference).",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="Cap numpy/torch/tensorflow threads (1 is fastest for tiny nets on a busy machine).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def compare(
    config: Path | None,
    steps: int,
    batch_size: int,
    dtype: str,
    tol: float | None,
    backends: str,
    threads: int | None,
    as_json: bool,
) -> None:
    """Train the same network in each backend on the same batches and print, per backend,
    the largest per-step loss difference from numpy and the time per step. Exits 1 when
    a difference is beyond the tolerance."""
    from fcnet.backends import compare as _compare
    from fcnet.spec import NetSpec

    spec = NetSpec.load(config) if config is not None else None
    names = [b.strip() for b in backends.split(",") if b.strip()]
    result = _compare.run(
        spec,
        steps=steps,
        batch_size=batch_size,
        backends=names,
        tol=tol,
        dtype=None if dtype == "spec" else dtype,
        threads=threads,
    )
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(_compare.format_table(result))
    if not result["ok"]:
        raise click.exceptions.Exit(1)


COMMANDS = [compare]
