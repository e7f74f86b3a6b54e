"""Run the backends side by side on the same spec, weights and batches, and measure how far
each one's per-step loss is from numpy's and how long a step takes.

    >>> from fcnet.backends import compare
    >>> result = compare.run(steps=100)                      # doctest: +SKIP
    >>> result["torch"]["max_loss_rel_diff"], result["ok"]   # doctest: +SKIP

This is what `fcnet compare` prints; the benchmarks call it too.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from fcnet._speed import limit_threads
from fcnet.backends import BACKENDS, backend_name, build
from fcnet.spec import NetSpec

DEFAULT_SPEC = {
    "input_size": 20,
    "hidden": [{"width": 32}, {"width": 16, "activation": "tanh"}],
    "output_size": 4,
    "loss": "cross_entropy",
    "optimizer": {"name": "adam", "lr": 0.01},
    "dtype": "float64",
}
# float64 agrees to rounding (1e-15 or so); float32 runs drift apart by rounding alone
DEFAULT_TOL = {"float64": 1e-6, "float32": 1e-3}


def default_spec() -> NetSpec:
    """A small classifier (20-32-16-4, Adam) in float64: what `fcnet compare` runs by default."""
    return NetSpec.from_dict(DEFAULT_SPEC)


def synthetic_batches(
    spec: NetSpec, steps: int, batch_size: int = 16, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`steps` batches cycling over 8 batches of a learnable problem shaped for spec's loss
    (inputs N(0, 1); targets from a fixed random linear teacher)."""
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size: expected >= 1, got {steps} and {batch_size}")
    from fcnet.limits import MAX_STEPS, check_array, check_count

    check_count("steps", steps, MAX_STEPS)
    check_array(f"batch_size {batch_size:,}", (8 * batch_size, spec.input_size), 8, copies=3)
    rng = np.random.default_rng(seed)
    n = 8 * batch_size
    x = rng.standard_normal((n, spec.input_size))
    z = x @ rng.standard_normal((spec.input_size, max(spec.output_size, 2)))
    if spec.loss == "cross_entropy":
        y = z[:, : spec.output_size].argmax(axis=1)
    elif spec.loss in ("bce", "bce_with_logits"):
        y = (z[:, :1] > 0).astype(np.float64)
    else:
        y = np.tanh(z[:, : spec.output_size])
    x = x.astype(spec.dtype)
    starts = [(t % 8) * batch_size for t in range(steps)]
    return [(x[s : s + batch_size], y[s : s + batch_size]) for s in starts]


def run(
    spec: NetSpec | None = None,
    steps: int = 200,
    batch_size: int = 16,
    backends: Sequence[str] = BACKENDS,
    tol: float | None = None,
    seed: int = 0,
    dtype: str | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """Train one model per backend from the same spec and weights on the same batches.

    Returns one JSON-ready dict: for each backend `{"max_loss_rel_diff": ..., "s_per_step":
    ..., "final_loss": ...}` (the difference is against numpy, per step, relative), and
    `steps`, `batch_size`, `dtype`, `tolerance`, `ok` (every difference within tolerance),
    `notes`. `dtype` overrides the spec's. Dropout is switched off (each framework draws
    its own masks, so with dropout no two runs could agree). `threads` caps the threads of
    numpy's BLAS, torch and TensorFlow for the run (tiny nets on a busy machine are much
    faster on one thread than on contended ones); None keeps each library's default.
    """
    with limit_threads(threads):
        return _run(spec, steps, batch_size, backends, tol, seed, dtype, threads)


def _run(spec, steps, batch_size, backends, tol, seed, dtype, threads) -> dict[str, Any]:
    spec = default_spec() if spec is None else spec
    notes: list[str] = []
    if dtype is not None and dtype != spec.dtype:
        spec = spec.replace(dtype=dtype)
    if any(h.dropout > 0 for h in spec.hidden):
        spec = spec.replace(hidden=[h.replace(dropout=0.0) for h in spec.hidden])
        notes.append("dropout set to 0: each framework draws its own masks")
    names = [backend_name(b) for b in backends]
    if "numpy" not in names:
        names.insert(0, "numpy")
    if tol is not None and not tol >= 0:
        raise ValueError(f"tol: expected a number >= 0, got {tol!r}")
    tolerance = DEFAULT_TOL[spec.dtype] if tol is None else float(tol)
    data = synthetic_batches(spec, steps, batch_size, seed)

    losses: dict[str, np.ndarray] = {}
    result: dict[str, Any] = {}
    for name in names:
        model = build(spec, name)
        per_step = np.empty(steps)
        per_step[0] = model.train_step(*data[0])  # the first step traces / warms up: untimed
        start = time.perf_counter()
        for t in range(1, steps):
            per_step[t] = model.train_step(*data[t])
        seconds = time.perf_counter() - start
        losses[name] = per_step
        result[name] = {
            "s_per_step": seconds / max(steps - 1, 1),
            "final_loss": float(per_step[-1]),
        }
    ref = losses["numpy"]
    ok = True
    for name in names:
        rel = np.abs(losses[name] - ref) / np.maximum(np.abs(ref), np.finfo(np.float64).tiny)
        worst = float(np.nanmax(rel)) if np.isfinite(rel).all() else float("inf")
        result[name]["max_loss_rel_diff"] = worst
        result[name]["ok"] = worst <= tolerance
        ok = ok and worst <= tolerance
    result.update(
        steps=steps,
        batch_size=batch_size,
        dtype=spec.dtype,
        tolerance=tolerance,
        ok=ok,
        backends=names,
        net="-".join(
            map(str, [spec.input_size, *(h.width for h in spec.hidden), spec.output_size])
        ),
        loss=spec.loss,
        optimizer=spec.optimizer.name,
        notes=notes,
        threads=threads,
    )
    return result


def format_table(result: dict[str, Any]) -> str:
    """The result as a few lines of text (what `fcnet compare` prints)."""
    lines = [
        f"net {result['net']}, loss {result['loss']}, optimizer {result['optimizer']}, "
        f"{result['dtype']}",
        f"{result['steps']} steps of batch {result['batch_size']}; "
        f"per-step loss against numpy, tolerance {result['tolerance']:.0e}",
        f"{'backend':<12}{'max rel diff':>14}{'ms/step':>10}{'final loss':>14}",
    ]
    for name in result["backends"]:
        r = result[name]
        mark = "ok" if r["ok"] else "DIFFERS"
        lines.append(
            f"{name:<12}{r['max_loss_rel_diff']:>14.2e}{r['s_per_step'] * 1e3:>10.3f}"
            f"{r['final_loss']:>14.6g}  {mark}"
        )
    lines.extend(f"note: {n}" for n in result["notes"])
    return "\n".join(lines)
