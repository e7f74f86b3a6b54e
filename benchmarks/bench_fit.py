"""Section 4, function fitting: sin(3x) + 0.3x^2 on [-3, 3], the same budget everywhere.

2,000 training points drawn uniformly, 1,000 test points on an even grid; one hidden
layer of 64 ReLU units, mean squared error, Adam (lr 1e-2), batch 64, shuffled every
epoch, the same number of epochs (so the same number of optimiser steps) for every
contestant: fcnet numpy (fcnet.build + train_step), a hand-written PyTorch loop, and
scikit-learn's MLPRegressor (alpha=0, no early stopping; it minimises MSE/2, which
Adam's scale invariance makes the same problem). Contestants run in turn in this
process, alternating, after a warm-up; each repetition uses a new seed (the seed moves
the initial weights and the shuffling), and the figures are medians.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._common import (
    THREADS,
    Target,
    error_text,
    limit_threads,
    median,
    setup_torch,
    tiny,
)

CONTESTANTS = ("fcnet-numpy", "pytorch", "sklearn")
HIDDEN = 64
BATCH = 64
LR = 1e-2


def target(x: np.ndarray) -> np.ndarray:
    """The function to fit: sin(3x) + 0.3 x^2."""
    return np.sin(3 * x) + 0.3 * x**2


def make_data(n_train: int, n_test: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """x (n_train, 1) uniform on [-3, 3], y = target(x); the test set an even grid. float32."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, size=(n_train, 1)).astype(np.float32)
    xt = np.linspace(-3.0, 3.0, n_test, dtype=np.float32).reshape(-1, 1)
    return x, target(x), xt, target(xt)


def _fit_fcnet(data, epochs: int, seed: int) -> float:
    import fcnet
    from fcnet.spec import NetSpec

    x, y, xt, yt = data
    spec = NetSpec.from_dict(
        {
            "input_size": 1,
            "hidden": [{"width": HIDDEN, "activation": "relu"}],
            "output_size": 1,
            "loss": "mse",
            "optimizer": {"name": "adam", "lr": LR},
            "dtype": "float32",
            "seed": seed,
        }
    )
    model = fcnet.build(spec, "numpy")
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        perm = rng.permutation(len(x))
        for i in range(0, len(x), BATCH):
            idx = perm[i : i + BATCH]
            model.train_step(x[idx], y[idx])
    return float(np.mean((model.predict(xt).reshape(-1, 1) - yt) ** 2))


def _fit_pytorch(data, epochs: int, seed: int) -> float:
    torch = setup_torch()
    from torch import nn

    torch.manual_seed(seed)
    x, y, xt, yt = (torch.from_numpy(a) for a in data)
    model = nn.Sequential(nn.Linear(1, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.MSELoss()
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), BATCH):
            idx = perm[i : i + BATCH]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
    with torch.inference_mode():
        return float(loss_fn(model(xt), yt))


def _fit_sklearn(data, epochs: int, seed: int) -> float:
    from sklearn.neural_network import MLPRegressor

    x, y, xt, yt = data
    reg = MLPRegressor(
        hidden_layer_sizes=(HIDDEN,),
        activation="relu",
        solver="adam",
        alpha=0.0,
        batch_size=BATCH,
        learning_rate_init=LR,
        max_iter=epochs,
        shuffle=True,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        early_stopping=False,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: the budget is the point
        reg.fit(x, y.ravel())
    return float(np.mean((reg.predict(xt).reshape(-1, 1) - yt) ** 2))


_FITS: dict[str, Callable[..., float]] = {
    "fcnet-numpy": _fit_fcnet,
    "pytorch": _fit_pytorch,
    "sklearn": _fit_sklearn,
}


def run(quick: bool = False) -> dict:
    """Fit the function with each contestant; test MSE and seconds (medians), the budget."""
    if tiny():
        n_train, n_test, epochs, repeats = 256, 128, 2, 1
    elif quick:
        n_train, n_test, epochs, repeats = 2000, 1000, 40, 1
    else:
        n_train, n_test, epochs, repeats = 2000, 1000, 200, 3
    data = make_data(n_train, n_test)
    steps = epochs * -(-n_train // BATCH)
    _limits = limit_threads()
    runs: dict[str, list[tuple[float, float]]] = {c: [] for c in CONTESTANTS}
    errors: dict[str, str] = {}
    for c in CONTESTANTS:  # warm-up: imports, first allocations
        try:
            _FITS[c](data, 1, 0)
        except Exception as exc:
            errors[c] = error_text(exc)
    for rep in range(repeats):
        order = CONTESTANTS if rep % 2 == 0 else CONTESTANTS[::-1]
        for c in order:
            if c in errors:
                continue
            t0 = time.perf_counter()
            mse = _FITS[c](data, epochs, rep)
            runs[c].append((time.perf_counter() - t0, mse))
    del _limits
    result: dict[str, Any] = {
        "settings": {
            "function": "sin(3x) + 0.3x^2 on [-3, 3]",
            "n_train": n_train,
            "n_test": n_test,
            "network": f"1-{HIDDEN}-1 ReLU, MSE",
            "optimizer": f"Adam lr {LR:g}",
            "batch": BATCH,
            "epochs": epochs,
            "steps": steps,
            "repetitions": repeats,
            "threads": THREADS,
            "note": "seconds include set-up and the final test prediction; seeds 0..repetitions-1",
        }
    }
    for c in CONTESTANTS:
        if c in errors:
            result[c] = {"error": errors[c]}
            continue
        secs = [s for s, _ in runs[c]]
        mses = [m for _, m in runs[c]]
        result[c] = {
            "test_mse": median(mses),
            "seconds": median(secs),
            "test_mse_per_run": mses,
            "seconds_per_run": secs,
            "dtype": "float32",
        }
    ours, theirs = result["fcnet-numpy"], result["sklearn"]
    if "error" not in ours and "error" not in theirs:
        result["mse_ratio_numpy_vs_sklearn"] = ours["test_mse"] / theirs["test_mse"]
        result["time_ratio_numpy_vs_sklearn"] = ours["seconds"] / theirs["seconds"]
    return result


def table(result: dict) -> Any:
    """A rich table of `run`'s result."""
    from rich.table import Table

    st = result.get("settings", {})
    t = Table(
        title=(
            f"Fit {st.get('function')}: {st.get('network')}, {st.get('optimizer')}, "
            f"{st.get('steps')} steps, threads {st.get('threads')}"
        )
    )
    t.add_column("contestant")
    t.add_column("test MSE", justify="right")
    t.add_column("seconds", justify="right")
    for c in CONTESTANTS:
        e = result.get(c, {})
        if "error" in e:
            t.add_row(c, f"[red]error: {e['error']}[/red]", "-")
        else:
            t.add_row(c, f"{e['test_mse']:.3g}", f"{e['seconds']:.2f}")
    if "mse_ratio_numpy_vs_sklearn" in result:
        t.caption = (
            f"fcnet-numpy / sklearn: MSE {result['mse_ratio_numpy_vs_sklearn']:.2f}, "
            f"time {result['time_ratio_numpy_vs_sklearn']:.2f}; "
            f"{st.get('repetitions')} repetition(s), medians"
        )
    return t


def targets(fit: dict) -> list[Target]:
    """Section fit's target (issue 6)."""
    fo, fs = fit.get("fcnet-numpy", {}), fit.get("sklearn", {})
    if "test_mse" in fo and "test_mse" in fs:
        measured = (
            f"MSE {fo['test_mse']:.3g} vs {fs['test_mse']:.3g}; "
            f"{fo['seconds']:.2f} s vs {fs['seconds']:.2f} s"
        )
        met: bool | None = fo["test_mse"] < fs["test_mse"] and fo["seconds"] < fs["seconds"]
    else:
        measured, met = "-", None
    return [Target(6, "Fit: lower test MSE than MLPRegressor, in less time", measured, met)]
