"""Section 6, backend agreement: numpy, torch and tensorflow step for step in float64.

For a few (loss, optimiser) pairs, the same spec is built on the three backends with
the numpy model's initial weights, then trained on the same sequence of batches for
200 steps; `fcnet compare`'s own run (`fcnet.backends.compare.run`) is one more case.
Per backend: the largest per-step difference of its batch loss from numpy's (absolute
and relative), the largest final-weight difference, and the seconds per step.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks._common import (
    THREADS,
    Target,
    error_text,
    fmt,
    limit_threads,
    setup_tensorflow,
    setup_torch,
    tiny,
)

BACKENDS = ("numpy", "torch", "tensorflow")
TOLERANCE = 1e-6
"""Relative per-step loss difference the backends promise (issue 4)."""

CASES: dict[str, dict[str, Any]] = {
    "cross_entropy+adam": {
        "loss": "cross_entropy",
        "output_size": 4,
        "optimizer": {"name": "adam"},
    },
    "mse+sgd_momentum": {
        "loss": "mse",
        "output_size": 2,
        "optimizer": {"name": "sgd", "lr": 0.01, "momentum": 0.9},
    },
    "bce_with_logits+rmsprop": {
        "loss": "bce_with_logits",
        "output_size": 1,
        "optimizer": {"name": "rmsprop", "lr": 1e-3},
    },
    "cross_entropy+adamw_cosine": {
        "loss": "cross_entropy",
        "output_size": 3,
        "optimizer": {
            "name": "adamw",
            "weight_decay": 0.01,
            "schedule": {"name": "cosine", "warmup_steps": 10, "total_steps": 200},
        },
    },
}


def _batches(case: dict[str, Any], steps: int, batch: int, n_in: int, seed: int):
    """`steps` (x, y) batches in float64 fitting `case`'s loss."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        x = rng.standard_normal((batch, n_in))
        if case["loss"] == "cross_entropy":
            y = rng.integers(0, case["output_size"], size=batch)
        elif case["loss"] == "bce_with_logits":
            y = (rng.random((batch, 1)) < 0.5).astype(np.float64)
        else:
            y = rng.standard_normal((batch, case["output_size"]))
        out.append((x, y))
    return out


def _case(case: dict[str, Any], steps: int) -> dict[str, Any]:
    import fcnet

    n_in, batch = 10, 32
    spec = {
        "input_size": n_in,
        "hidden": [{"width": 32, "activation": "relu"}, {"width": 16, "activation": "tanh"}],
        "dtype": "float64",
        "seed": 0,
        **case,
    }
    models = {b: fcnet.build(spec, b) for b in BACKENDS}
    w0 = models["numpy"].get_weights()
    for b in BACKENDS[1:]:
        models[b].set_weights(w0)
    data = _batches(case, steps, batch, n_in, seed=1)
    losses: dict[str, np.ndarray] = {}
    secs: dict[str, float] = {}
    for b, model in models.items():
        step_s, loss = [], []
        for x, y in data:
            t0 = time.perf_counter()
            loss.append(model.train_step(x, y))
            step_s.append(time.perf_counter() - t0)
        losses[b] = np.array(loss, dtype=np.float64)
        secs[b] = float(np.median(step_s))  # the median skips the first step's tracing
    ref = losses["numpy"]
    w_ref = models["numpy"].get_weights()
    out: dict[str, Any] = {}
    for b in BACKENDS:
        diff = np.abs(losses[b] - ref)
        w = models[b].get_weights()
        out[b] = {
            "max_loss_abs_diff": float(diff.max()),
            "max_loss_rel_diff": float((diff / np.maximum(np.abs(ref), 1e-300)).max()),
            "max_weight_abs_diff": max(float(np.abs(w[k] - w_ref[k]).max()) for k in w_ref),
            "s_per_step": secs[b],
        }
    return out


def run(quick: bool = False) -> dict:
    """The largest per-step loss difference between the backends, per case and overall."""
    steps = 20 if tiny() else 200
    _limits = limit_threads()
    try:
        setup_torch()
        setup_tensorflow()
    except Exception as exc:
        return {"error": error_text(exc)}
    result: dict[str, Any] = {
        "settings": {
            "steps": steps,
            "dtype": "float64",
            "threads": THREADS,
            "tolerance": TOLERANCE,
        },
        "cases": {},
    }
    cases = dict(list(CASES.items())[:2]) if tiny() else CASES
    for name, case in cases.items():
        try:
            result["cases"][name] = _case(case, steps)
        except Exception as exc:
            result["cases"][name] = {"error": error_text(exc)}
    # `fcnet compare`'s own run (its default spec, 20-32-16-4 Adam), as the CLI prints it.
    try:
        from fcnet.backends import compare

        out = compare.run(steps=steps, threads=THREADS)
        result["cases"]["fcnet_compare_default"] = {
            b: {k: out[b][k] for k in ("max_loss_rel_diff", "s_per_step")} for b in BACKENDS
        }
    except Exception as exc:
        result["cases"]["fcnet_compare_default"] = {"error": error_text(exc)}
    del _limits
    done = [c for c in result["cases"].values() if "error" not in c]
    if not done:
        first = next(iter(result["cases"].values()))
        return {"error": first["error"], **result}
    result["max_loss_rel_diff"] = max(c[b]["max_loss_rel_diff"] for c in done for b in BACKENDS)
    result["max_loss_abs_diff"] = max(
        c[b].get("max_loss_abs_diff", 0.0) for c in done for b in BACKENDS
    )
    result["within_tolerance"] = bool(
        result["max_loss_rel_diff"] <= TOLERANCE and len(done) == len(result["cases"])
    )
    return result


def table(result: dict) -> Any:
    """A rich table of `run`'s result."""
    from rich.table import Table

    st = result.get("settings", {})
    t = Table(
        title=(
            f"Backend agreement, {st.get('steps')} steps in {st.get('dtype')}: "
            f"largest per-step loss difference from numpy (threads {st.get('threads')})"
        )
    )
    t.add_column("case")
    for b in BACKENDS[1:]:
        t.add_column(f"{b} rel diff", justify="right")
        t.add_column(f"{b} ms/step", justify="right")
    t.add_column("numpy ms/step", justify="right")
    errors = []
    for name, c in result.get("cases", {}).items():
        if "error" in c:
            t.add_row(name, "[red]error[/red]")
            errors.append(f"{name}: {c['error']}")
            continue
        cells = []
        for b in BACKENDS[1:]:
            cells += [f"{c[b]['max_loss_rel_diff']:.1e}", f"{c[b]['s_per_step'] * 1e3:.2f}"]
        t.add_row(name, *cells, f"{c['numpy']['s_per_step'] * 1e3:.2f}")
    if "max_loss_rel_diff" in result:
        t.caption = (
            f"largest relative difference {result['max_loss_rel_diff']:.1e} "
            f"(tolerance {st.get('tolerance'):g}): "
            + ("within" if result.get("within_tolerance") else "NOT within")
        )
    if errors:
        t.caption = (t.caption or "") + "\n[red]" + "\n".join(errors) + "[/red]"
    return t


def targets(ag: dict) -> list[Target]:
    """Section agreement's target (set by issue 4, listed with issue 6's)."""
    rel = ag.get("max_loss_rel_diff")
    return [
        Target(6, "Backends agree per step within 1e-6 relative (issue 4)", fmt(rel, ".1e"),
               ag.get("within_tolerance") if rel is not None else None)
    ]  # fmt: skip
