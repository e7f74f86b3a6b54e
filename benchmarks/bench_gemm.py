"""Section 2, GEMM peak: float32 matrix products on this machine, numpy and torch.

The large square product is the machine's ceiling; the MLP shapes are the products one
batch of the 784-256-10 MNIST network does (forward, dW, dX; batch 128), the ceiling
for everything in section 3. Each figure is the median GFLOP/s over repetitions, each
repetition timing a loop of products long enough (~0.1 s) to swamp the timer.
`copy_gbps`, the bandwidth of a plain copy, is the other ceiling: with the products it
gives each MNIST network's roofline floor (`roofline_floor`).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._common import THREADS, error_text, limit_threads, median, setup_torch, tiny

# (name, A shape, B shape, transpose A, transpose B): C = op(A) @ op(B).
# W1 is (256, 784) and W2 is (10, 256) in PyTorch's layout; the batch is 128.
MLP_SHAPES: list[tuple[str, tuple[int, int], tuple[int, int], bool, bool]] = [
    ("fwd1 x@W1.T (128x784 @ 784x256)", (128, 784), (256, 784), False, True),
    ("dW1 d1.T@x (256x128 @ 128x784)", (128, 256), (128, 784), True, False),
    ("fwd2 a1@W2.T (128x256 @ 256x10)", (128, 256), (10, 256), False, True),
    ("dW2 d2.T@a1 (10x128 @ 128x256)", (128, 10), (128, 256), True, False),
    ("dX2 d2@W2 (128x10 @ 10x256)", (128, 10), (10, 256), False, False),
]
"""The products of one training batch of 784-256-10 (the first layer's dX is not needed)."""


def _flops(a: tuple[int, int], b: tuple[int, int], ta: bool, tb: bool) -> float:
    m, k = (a[1], a[0]) if ta else a
    n = b[0] if tb else b[1]
    return 2.0 * m * n * k


def _rates(fns: dict[str, Callable[[], Any]], flops: float, repeats: int, min_time: float):
    """Median GFLOP/s of each of `fns` over `repeats` timed loops of >= `min_time` seconds.

    The contestants alternate within each repetition, so that the machine's noise
    (it is shared) falls on all of them alike.
    """
    inner: dict[str, int] = {}
    for name, fn in fns.items():
        fn()  # warm-up (allocations, thread pool start)
        t0 = time.perf_counter()
        fn()
        inner[name] = max(1, int(min_time / max(time.perf_counter() - t0, 1e-7)))
    rates: dict[str, list[float]] = {name: [] for name in fns}
    for rep in range(repeats):
        order = list(fns) if rep % 2 == 0 else list(fns)[::-1]
        for name in order:
            fn, k = fns[name], inner[name]
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            rates[name].append(flops * k / (time.perf_counter() - t0) / 1e9)
    return {name: float(median(r)) for name, r in rates.items()}


def _numpy_product(shape_a, shape_b, ta, tb, rng) -> Callable[[], Any]:
    a = rng.standard_normal(shape_a, dtype=np.float32)
    b = rng.standard_normal(shape_b, dtype=np.float32)
    a_op = a.T if ta else a
    b_op = b.T if tb else b
    out = np.empty((a_op.shape[0], b_op.shape[1]), dtype=np.float32)
    return lambda: np.matmul(a_op, b_op, out=out)


def _torch_product(torch, shape_a, shape_b, ta, tb, rng) -> Callable[[], Any]:
    a = torch.from_numpy(rng.standard_normal(shape_a, dtype=np.float32))
    b = torch.from_numpy(rng.standard_normal(shape_b, dtype=np.float32))
    a_op = a.T if ta else a
    b_op = b.T if tb else b
    out = torch.empty((a_op.shape[0], b_op.shape[1]), dtype=torch.float32)
    return lambda: torch.matmul(a_op, b_op, out=out)


def run(quick: bool = False) -> dict:
    """Measure float32 GEMM GFLOP/s for numpy and torch with THREADS threads.

    Returns {"threads", "square_n", "peak_gflops", "numpy": {...}, "torch": {...},
    "mlp_batch_gflop", "mlp_epoch_gemm_s"}: per library the square product's GFLOP/s
    and each MLP shape's; `peak_gflops` is the best square figure of the two.
    """
    n = 256 if tiny() else (1024 if quick else 2048)
    repeats = 1 if tiny() else (3 if quick else 5)
    min_time = 0.01 if tiny() else (0.05 if quick else 0.2)
    rng = np.random.default_rng(0)
    _limits = limit_threads()
    result: dict[str, Any] = {"threads": THREADS, "square_n": n, "repeats": repeats}
    square = ((n, n), (n, n), False, False)

    libs: dict[str, Callable[..., Callable[[], Any]]] = {"numpy": _numpy_product}
    try:
        torch = setup_torch()
        libs["torch"] = lambda *args: _torch_product(torch, *args)
    except Exception as exc:
        result["torch"] = {"error": error_text(exc)}

    products = [("square", *square), *MLP_SHAPES]
    measured = {
        name: _rates(
            {lib: make(a, b, ta, tb, rng) for lib, make in libs.items()},
            _flops(a, b, ta, tb),
            repeats,
            min_time,
        )
        for name, a, b, ta, tb in products
    }
    batches = 60000 / 128
    for lib in libs:
        entry: dict[str, Any] = {"square_gflops": measured["square"][lib]}
        entry["mlp_shapes_gflops"] = {name: measured[name][lib] for name, *_ in MLP_SHAPES}
        # Seconds the GEMMs of one 60,000-sample epoch need at these rates.
        entry["mlp_epoch_gemm_s"] = batches * sum(
            _flops(a, b, ta, tb) / (measured[name][lib] * 1e9) for name, a, b, ta, tb in MLP_SHAPES
        )
        result[lib] = entry
    del _limits

    squares = [
        v["square_gflops"] for v in result.values() if isinstance(v, dict) and "square_gflops" in v
    ]
    result["peak_gflops"] = max(squares)
    result["mlp_batch_gflop"] = sum(_flops(a, b, ta, tb) for _, a, b, ta, tb in MLP_SHAPES) / 1e9
    result["copy_gbps"] = copy_bandwidth(quick)
    return result


def mlp_shapes(sizes: list[int], batch: int = 128):
    """The products of one training batch of an MLP with layer widths `sizes` (PyTorch's
    layout, W of shape (out, in)): forward, dW and dX per layer, no dX for the first."""
    shapes = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        shapes.append((f"fwd{i + 1} ({batch}x{n_in} @ {n_in}x{n_out})", (batch, n_in),
                       (n_out, n_in), False, True))  # fmt: skip
        shapes.append((f"dW{i + 1} ({n_out}x{batch} @ {batch}x{n_in})", (batch, n_out),
                       (batch, n_in), True, False))  # fmt: skip
        if i:
            shapes.append((f"dX{i + 1} ({batch}x{n_out} @ {n_out}x{n_in})", (batch, n_out),
                           (n_out, n_in), False, False))  # fmt: skip
    return shapes


def gemm_floor(sizes: list[int], n_train: int, batch: int = 128, quick: bool = True) -> dict:
    """The GEMM floor of one epoch of the MLP `sizes` on `n_train` samples: the seconds its
    products take at the best rate measured here for each shape (numpy or torch, THREADS
    threads). {"gemm_floor_s": ..., "shapes_gflops": {shape: best GFLOP/s}}."""
    repeats = 1 if tiny() else (3 if quick else 5)
    min_time = 0.01 if tiny() else (0.05 if quick else 0.2)
    rng = np.random.default_rng(0)
    _limits = limit_threads()
    libs: dict[str, Callable[..., Callable[[], Any]]] = {"numpy": _numpy_product}
    try:
        torch = setup_torch()
        libs["torch"] = lambda *args: _torch_product(torch, *args)
    except Exception:  # the floor from numpy alone
        pass
    best, seconds = {}, 0.0
    for name, a, b, ta, tb in mlp_shapes(sizes, batch):
        rates = _rates({lib: make(a, b, ta, tb, rng) for lib, make in libs.items()},
                       _flops(a, b, ta, tb), repeats, min_time)  # fmt: skip
        best[name] = max(rates.values())
        seconds += _flops(a, b, ta, tb) / (best[name] * 1e9)
    del _limits
    return {"gemm_floor_s": seconds * n_train / batch, "shapes_gflops": best}


def copy_bandwidth(quick: bool = True) -> float:
    """The memory bandwidth a plain copy reaches here, GB/s (bytes read plus bytes written
    over the best time of a few copies of a 64 MiB float32 array, far beyond the caches)."""
    n = (1 << 20) if tiny() else (16 << 20)
    src = np.ones(n, np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # touch both once
    best = math.inf
    for _ in range(3 if tiny() or quick else 7):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t0)
    return 2 * src.nbytes / best / 1e9


ADAM_ARRAYS = 7
"""Arrays Adam streams per parameter and step: p, m and v read and written, g read."""


def traffic_per_step(sizes: list[int], batch: int = 128, dropout: float = 0.0) -> dict:
    """Bytes one training step must move through memory besides its products (float32):
    {"optimizer": Adam's 7 arrays over every parameter, "batch_gather": the batch's rows
    read from the training set and written (x only; the labels are 1/784 of it),
    "activations": the element-wise passes over the activations at their fewest (per
    hidden layer: z += b read and written, ReLU forward read and written, ReLU' reading
    delta and a and writing, db's sum reading delta, and with dropout its forward and
    backward reading two arrays and writing one each; the output layer: the bias, the
    softmax and its gradient, db)}."""
    item = 4
    params = sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(sizes))
    per_hidden = 2 + 2 + 3 + 1 + (6 if dropout else 0)
    act = sum(per_hidden * w for w in sizes[1:-1]) + (2 + 3 + 1) * sizes[-1]
    return {
        "optimizer": ADAM_ARRAYS * params * item,
        "batch_gather": 2 * batch * sizes[0] * item,
        "activations": act * batch * item,
    }


def roofline_floor(
    sizes: list[int],
    n_train: int,
    gemm_floor_s: float,
    bandwidth_gb_s: float,
    batch: int = 128,
    dropout: float = 0.0,
) -> dict:
    """The roofline floor of one epoch: the products at their measured rates
    (`gemm_floor_s`) plus the optimiser's, the batch gather's and the activations' memory
    traffic (`traffic_per_step`) at the measured copy bandwidth. What no implementation of
    the same step on this machine can beat; {"roofline_floor_s": ..., "parts": {...}}."""
    steps = -(-n_train // batch)
    bw = bandwidth_gb_s * 1e9
    parts = {"gemm_s": gemm_floor_s}
    for name, nbytes in traffic_per_step(sizes, batch, dropout).items():
        parts[f"{name}_s"] = steps * nbytes / bw
    total = sum(parts.values())  # (every part in seconds; the bandwidth beside them)
    return {"roofline_floor_s": total, "parts": {**parts, "copy_gbps": bandwidth_gb_s}}


def table(result: dict) -> Any:
    """A rich table of `run`'s result."""
    from rich.table import Table

    libs = [k for k in ("numpy", "torch") if isinstance(result.get(k), dict)]
    t = Table(title=f"GEMM float32, GFLOP/s (threads {result.get('threads')}, median)")
    t.add_column("product")
    for lib in libs:
        t.add_column(lib, justify="right")
    n = result.get("square_n")
    rows = [(f"square {n}x{n} @ {n}x{n}", "square_gflops")]
    rows += [(name, name) for name, *_ in MLP_SHAPES]
    for label, key in rows:
        cells = []
        for lib in libs:
            entry = result[lib]
            val = (
                entry.get(key)
                if key == "square_gflops"
                else entry.get("mlp_shapes_gflops", {}).get(key)
            )
            cells.append(f"{val:.1f}" if isinstance(val, float) else str(entry.get("error", "-")))
        t.add_row(label, *cells)
    cells = []
    for lib in libs:
        val = result[lib].get("mlp_epoch_gemm_s")
        cells.append(f"{val:.3f}" if isinstance(val, float) else "-")
    t.add_row("GEMM seconds of one MNIST epoch (s)", *cells)
    t.caption = (
        f"peak: {result.get('peak_gflops', float('nan')):.1f} GFLOP/s; "
        f"a plain copy: {result.get('copy_gbps', float('nan')):.1f} GB/s"
    )
    return t
