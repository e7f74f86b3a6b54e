"""Shared helpers for the benchmark sections: threads, timing, sizes, the machine."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

THREADS_ENV = "FCNET_BENCH_THREADS"
THREADS = int(os.environ.get(THREADS_ENV, "2"))
"""Threads every framework gets: 2, as the machine has two cores (`--threads` changes it)."""

REPO_ROOT = Path(__file__).resolve().parent.parent
MNIST_DIR = REPO_ROOT / "data" / "mnist"
TINY_ENV = "FCNET_BENCH_TINY"
"""Set to 1 to shrink every section of this package to a few hundred samples (for the test)."""

_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class Target(NamedTuple):
    """One target of a section, as RESULTS.md lists it: the issue that set it, what it
    asks, what was measured, and whether it was met (None: not measured this run).
    Each section module owns its targets: `targets(result) -> list[Target]`."""

    issue: int
    text: str
    measured: str
    met: bool | None


def fmt(v: Any, spec: str, none: str = "-") -> str:
    """`v` formatted with `spec` when it is a number, else `none`."""
    return format(v, spec) if isinstance(v, (int, float)) and not isinstance(v, bool) else none


def tiny() -> bool:
    """Whether the sections should run on tiny data (the harness test sets this)."""
    return os.environ.get(TINY_ENV, "") not in ("", "0")


def thread_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of `env` (default os.environ) with the BLAS/OpenMP thread counts set to THREADS.

    OPENBLAS_CORETYPE is left alone on purpose: the BLAS picks its own kernels.
    """
    out = dict(os.environ if env is None else env)
    for name in _THREAD_ENV:
        out[name] = str(THREADS)
    out.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return out


def limit_threads() -> Any:
    """Limit numpy's BLAS to THREADS threads; keep the returned object alive."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=THREADS)


def setup_torch() -> Any:
    """Import torch with THREADS intra-op threads (and THREADS inter-op, if still settable)."""
    import torch

    torch.set_num_threads(THREADS)
    try:
        torch.set_num_interop_threads(THREADS)
    except RuntimeError:  # already set, or parallel work already started
        pass
    return torch


def setup_tensorflow() -> Any:
    """Import tensorflow quietly with THREADS intra-op and THREADS inter-op threads."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(THREADS)
        tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    except RuntimeError:  # the runtime is already initialised
        pass
    return tf


def median(values: Sequence[float]) -> float | None:
    """The median of `values`, or None when there are none."""
    vals = [float(v) for v in values if v is not None and math.isfinite(v)]
    return statistics.median(vals) if vals else None


def time_call(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> list[float]:
    """Wall seconds of `repeats` calls of `fn` after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB.

    Read from /proc/self/status (VmHWM): getrusage's ru_maxrss carries the parent's peak
    across fork and exec, so a worker started by a big harness would report the harness's.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def error_text(exc: BaseException) -> str:
    """One line describing `exc`, for a section's {"error": ...}."""
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0] if text else type(exc).__name__


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or platform's guess elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    """The machine and software a run used: versions, BLAS, CPU, threads, date (UTC)."""
    blas: list[dict[str, Any]] = []
    try:
        import numpy  # noqa: F401  (load numpy's BLAS so threadpoolctl sees it)
        from threadpoolctl import threadpool_info

        keep = ("user_api", "internal_api", "version", "architecture", "threading_layer")
        blas = [
            {k: info.get(k) for k in keep} | {"library": Path(info.get("filepath", "")).name}
            for info in threadpool_info()
        ]
    except Exception as exc:  # the BLAS report is informative, never fatal
        blas = [{"error": error_text(exc)}]
    return {
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "threads": THREADS,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {
            "fcnet": _version("fcnet"),
            "numpy": _version("numpy"),
            "torch": _version("torch"),
            "tensorflow": _version("tensorflow-cpu") or _version("tensorflow"),
            "keras": _version("keras"),
            "scikit-learn": _version("scikit-learn"),
        },
        "blas": blas,
        "load_average": list(os.getloadavg()),  # the machine is shared: how busy it was
    }
