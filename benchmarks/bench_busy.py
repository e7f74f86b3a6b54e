"""Section busy: fcnet-numpy's MNIST epoch with and without a neighbour busy on one core.

A student's laptop is never idle. The harness trains 784-256-10 (section mnist_mlp's
recipe) twice in a subprocess: once as the machine is, once while a neighbour process it
starts spins on one core for the whole training (and stops afterwards). `slowdown` is
busy over quiet seconds per epoch (median over epochs 2..); PyTorch's plain loop gets
the same treatment, for reference. The other developers' work on a shared machine is
part of both figures: `load_average` says how busy it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

from benchmarks import bench_mnist
from benchmarks._common import Target, fmt, median, tiny

CONTESTANTS = ("fcnet-numpy", "pytorch")


def neighbour() -> subprocess.Popen:
    """A process that keeps one core busy until terminated."""
    return subprocess.Popen(
        [sys.executable, "-c", "while True:\n    pass"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _s_per_epoch(out: dict[str, Any]) -> float | None:
    if "error" in out:
        return None
    epochs = out["epoch_s"]
    return median(epochs[1:] or epochs)


def run(quick: bool = False) -> dict[str, Any]:
    """quiet_s_per_epoch, busy_s_per_epoch and slowdown for fcnet-numpy (top level) and
    for pytorch (under "pytorch")."""
    if tiny():
        epochs, n_train, n_test, timeout = 1, 512, 256, 300
    elif quick:
        epochs, n_train, n_test, timeout = 3, 12000, 2000, 600
    else:
        epochs, n_train, n_test, timeout = 4, None, 2000, 1200
    result: dict[str, Any] = {
        "settings": {
            "network": "784-256-10 ReLU, Adam lr 0.001, batch 128, float32",
            "epochs": epochs,
            "n_train": n_train or 60000,
            "neighbour": "one process spinning in a Python loop (one core), started and "
            "stopped by the harness around the busy run",
            "cpu_count": os.cpu_count(),
        }
    }
    for c in CONTESTANTS:
        entry: dict[str, Any] = {}
        for mode in ("quiet", "busy"):
            spin = neighbour() if mode == "busy" else None
            try:
                if spin is not None:
                    time.sleep(0.2)  # let it start spinning
                out = bench_mnist._run_worker(c, epochs, n_train, n_test, seed=0, timeout=timeout)
            finally:
                if spin is not None:
                    spin.terminate()
                    spin.wait(timeout=10)
            entry[f"{mode}_s_per_epoch"] = _s_per_epoch(out)
            entry[f"{mode}_epoch_s"] = out.get("epoch_s")
            entry[f"{mode}_load_average"] = list(os.getloadavg())
            if "error" in out:
                entry[f"{mode}_error"] = out["error"]
        q, b = entry.get("quiet_s_per_epoch"), entry.get("busy_s_per_epoch")
        entry["slowdown"] = b / q if q and b else None
        result[c] = entry
    numpy = result["fcnet-numpy"]
    result["quiet_s_per_epoch"] = numpy["quiet_s_per_epoch"]
    result["busy_s_per_epoch"] = numpy["busy_s_per_epoch"]
    result["slowdown"] = numpy["slowdown"]
    result["pytorch_slowdown"] = result["pytorch"]["slowdown"]
    errors = [f"{c} ({m}): {result[c][f'{m}_error']}" for c in CONTESTANTS
              for m in ("quiet", "busy") if f"{m}_error" in result[c]]  # fmt: skip
    if errors and result["slowdown"] is None:
        result["error"] = "; ".join(errors)
    return result


def table(result: dict) -> Any:
    from rich.table import Table

    t = Table(title="A busy neighbour: s/epoch of 784-256-10 with one core kept busy")
    for col in ("contestant", "quiet s/epoch", "busy s/epoch", "slowdown"):
        t.add_column(col, justify="left" if col == "contestant" else "right")

    def f(v: Any) -> str:
        return f"{v:.3f}" if isinstance(v, (int, float)) else "-"

    for c in CONTESTANTS:
        e = result.get(c, {})
        t.add_row(c, f(e.get("quiet_s_per_epoch")), f(e.get("busy_s_per_epoch")),
                  f(e.get("slowdown")))  # fmt: skip
    return t


def targets(busy: dict[str, Any]) -> list[Target]:
    """Section busy's target (issue 16)."""
    slow = busy.get("slowdown")
    return [
        Target(
            16,
            "`busy`: fcnet-numpy's slowdown with one core kept busy <= 1.6",
            f"{fmt(busy.get('quiet_s_per_epoch'), '.3f')} -> "
            f"{fmt(busy.get('busy_s_per_epoch'), '.3f')} s/epoch: {fmt(slow, '.2f')}x "
            f"(pytorch {fmt(busy.get('pytorch_slowdown'), '.2f')}x)",
            slow <= 1.6 if isinstance(slow, float) else None,
        )
    ]
