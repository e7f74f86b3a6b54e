"""The benchmark harness: `python -m benchmarks [--quick] [--only SECTION] [--out PATH]`.

Runs the sections in turn (all of them, or those named by --only), prints a table for
each, and writes every figure to `benchmarks/results.json` (atomically, after every
section, so an interrupted run keeps what it measured). The file's top-level keys are
exactly the sections; a section not selected holds {"skipped": ...}, one that
failed {"error": ...}. The machine, the software versions, the BLAS, the thread count
and the date are under `gemm.environment` (the section about the machine's limit).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import SECTIONS, _common
from benchmarks._common import REPO_ROOT, THREADS_ENV, TINY_ENV, error_text, thread_env

DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results.json"
ALIASES = {"idx": "idx_read", "mnist": "mnist_mlp", "mlp": "mnist_mlp", "roc_auc": "auc"}


def _section_names(values: list[str] | None) -> list[str]:
    """The sections --only names (comma-separated or repeated), in run order."""
    if not values:
        return list(SECTIONS)
    chosen = set()
    for value in values:
        for name in filter(None, (v.strip() for v in value.split(","))):
            key = ALIASES.get(name, name)
            if key not in SECTIONS:
                raise ValueError(f"--only: expected one of {', '.join(SECTIONS)}, got {name!r}")
            chosen.add(key)
    return [k for k in SECTIONS if k in chosen]


def jsonable(obj: Any) -> Any:
    """`obj` with numpy scalars/arrays turned into Python ones and NaN/inf into None."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):  # numpy scalar/array
        return jsonable(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return str(obj)


def write_results(path: Path, results: dict[str, Any]) -> None:
    """Write `results` as JSON to `path`, atomically."""
    from fcnet._fileio import atomic_write_text

    text = json.dumps(jsonable(results), indent=2, allow_nan=False)
    atomic_write_text(path, text + "\n")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v[:6]) + (", ..." if len(v) > 6 else "") + "]"
    return str(v)


def generic_table(title: str, result: dict[str, Any]) -> Any:
    """A table for a section that brings none: one row per sub-dict, then the scalars."""
    from rich.table import Table

    rows = {k: v for k, v in result.items() if isinstance(v, dict)}
    scalars = {k: v for k, v in result.items() if not isinstance(v, dict)}
    t = Table(title=title)
    cols: list[str] = []
    for v in rows.values():
        cols += [c for c in v if c not in cols and not isinstance(v[c], dict)]
    t.add_column("")
    for c in cols:
        t.add_column(c, justify="right")
    for name, v in rows.items():
        t.add_row(name, *(_fmt(v.get(c, "")) for c in cols))
    if scalars:
        t.caption = "; ".join(f"{k}: {_fmt(v)}" for k, v in scalars.items())
    return t


def _table(module: Any, key: str, result: dict[str, Any]) -> Any:
    if "error" in result and len(result) <= 2:
        return f"[red]{key}: error: {result['error']}[/red]"
    fn = getattr(module, "table", None)
    if fn is not None:
        try:
            out = fn(result)
            if isinstance(out, str):  # plain text: no rich markup in it
                from rich.text import Text

                return Text(out)
            return out
        except Exception as exc:  # a broken table must not lose the figures
            return f"[red]{key}: table failed ({error_text(exc)})[/red]"
    return generic_table(key, result)


def omp_wait_policy(choice: str) -> str:
    """Set OMP_WAIT_POLICY for this run (before torch loads); say what was chosen and why."""
    busy = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    if choice == "auto":
        if os.environ.get("OMP_WAIT_POLICY"):
            return f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']} (from the environment)"
        if busy <= cores:
            return f"OMP_WAIT_POLICY unset (library default; load {busy:.1f} on {cores} cores)"
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        return (
            f"OMP_WAIT_POLICY=PASSIVE: the machine is busy (load {busy:.1f} on {cores} cores), "
            "where spin-waiting OpenMP threads make torch tens of times slower"
        )
    if choice == "default":
        os.environ.pop("OMP_WAIT_POLICY", None)
        return "OMP_WAIT_POLICY unset (library default; --omp-wait-policy default)"
    os.environ["OMP_WAIT_POLICY"] = choice.upper()
    return f"OMP_WAIT_POLICY={choice.upper()} (--omp-wait-policy)"


def run_section(key: str, quick: bool, extra: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Import and run one section; its module (or None) and its result (or an error)."""
    module = None
    t0 = time.perf_counter()
    try:
        module = importlib.import_module(SECTIONS[key])
        params = inspect.signature(module.run).parameters
        kwargs = {k: v for k, v in extra.items() if k in params}
        result = module.run(quick=quick, **kwargs)
        if not isinstance(result, dict):
            result = {"error": f"run() returned {type(result).__name__}, expected dict"}
    except Exception as exc:
        result = {"error": error_text(exc)}
    result = dict(result)
    result.setdefault("wall_s", time.perf_counter() - t0)
    result.setdefault("load_average_at_end", list(os.getloadavg()))  # the machine is shared
    return module, result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; 0 when results.json was written (sections may hold errors)."""
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer epochs, repetitions, smaller sets")
    p.add_argument(
        "--only",
        action="append",
        metavar="SECTION",
        help=f"run only these sections (repeat or comma-separate): {', '.join(SECTIONS)}",
    )
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the JSON goes")
    p.add_argument(
        "--tiny",
        action="store_true",
        help=f"a few hundred samples and 1 epoch everywhere (the harness test; sets {TINY_ENV})",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=_common.THREADS,
        help="threads for every framework (default 2: the machine's cores)",
    )
    p.add_argument(
        "--omp-wait-policy",
        choices=("auto", "default", "passive", "active"),
        default="auto",
        help=(
            "OpenMP threads' waiting (torch): 'auto' (the default) keeps the library default on "
            "an idle machine and sets PASSIVE when the load average exceeds the core count, "
            "where spinning threads make torch many times slower; an OMP_WAIT_POLICY already "
            "in the environment wins over 'auto'"
        ),
    )
    args = p.parse_args(argv)
    try:
        keys = _section_names(args.only)
    except ValueError as exc:
        p.error(str(exc))
    if args.threads < 1:
        p.error(f"--threads: expected an int >= 1, got {args.threads}")
    _common.THREADS = args.threads  # the sections read it when they are imported, below
    os.environ[THREADS_ENV] = str(args.threads)  # and the workers they start
    # Threads before numpy, torch or tensorflow load (OPENBLAS_CORETYPE is left alone).
    os.environ.update(thread_env())
    if args.tiny:
        os.environ[TINY_ENV] = "1"
    wait_note = omp_wait_policy(args.omp_wait_policy)

    from rich.console import Console

    from benchmarks._common import environment

    console = Console(width=None if sys.stdout.isatty() else 140)
    mode = "tiny" if args.tiny else ("quick" if args.quick else "full")
    console.print(
        f"[bold]fcnet benchmarks[/bold] ({mode}): {', '.join(keys)}; "
        f"{_common.THREADS} threads for every framework; results -> {args.out}"
    )
    console.print(wait_note)
    results: dict[str, Any] = {k: {"skipped": "not selected (--only)"} for k in SECTIONS}
    extra: dict[str, Any] = {}
    t_all = time.perf_counter()
    load_start = list(os.getloadavg())
    for key in keys:
        console.rule(key)
        module, result = run_section(key, args.quick, extra)
        if key == "gemm" and isinstance(result.get("peak_gflops"), float):
            extra["peak_gflops"] = result["peak_gflops"]
            extra["gemm"] = result
        results[key] = result
        extra["results"] = results  # earlier sections' figures (gpu compares with the CPU's)
        console.print(_table(module, key, result))
        console.print(f"[dim]{key}: {result['wall_s']:.1f} s[/dim]")
        write_results(args.out, results)
    env = environment()
    env["load_average_at_start"] = load_start
    env["omp_wait_policy"] = wait_note
    results["gemm"]["environment"] = env
    write_results(args.out, results)
    failed = [k for k in keys if "error" in results[k]]
    console.rule()
    console.print(
        f"{env['cpu_model']}, {env['cpu_count']} CPUs, {_common.THREADS} threads; {env['date']}; "
        f"total {time.perf_counter() - t_all:.0f} s; wrote {args.out}"
    )
    if failed:
        console.print(f"[red]sections with errors: {', '.join(failed)}[/red]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
