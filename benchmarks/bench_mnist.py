"""Section 3, MNIST MLP: the same network trained by six contestants, side by side.

784-256-10 ReLU, softmax cross-entropy, batch 128, Adam (lr 1e-3), float32, shuffled
every epoch, test accuracy after every epoch (its time excluded). Contestants:
`fcnet-numpy`, `fcnet-torch`, `fcnet-tensorflow` (fcnet.build, then `fcnet.train.train`
on the CPU as the tasks train, Model.train_step on a GPU; Model.predict), `pytorch` (a
hand-written loop over tensors, no DataLoader), `keras` (`model.fit`, a callback records
each epoch's time and accuracy) and `sklearn` (`MLPClassifier.partial_fit`, one call per
epoch; alpha=0 so that no contestant has weight decay). Each contestant runs in its own
subprocess, so that its peak memory and thread settings are its own: THREADS threads for
BLAS/OpenMP (environment and threadpoolctl), torch.set_num_threads, tf.config.threading.

Run one contestant by hand: `python -m benchmarks.bench_mnist --contestant pytorch`.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import (
    REPO_ROOT,
    THREADS,
    Target,
    fmt,
    limit_threads,
    median,
    peak_rss_mb,
    setup_tensorflow,
    setup_torch,
    thread_env,
    tiny,
)

CONTESTANTS = ("fcnet-numpy", "fcnet-torch", "fcnet-tensorflow", "pytorch", "keras", "sklearn")
TARGET = 0.975
"""Test accuracy whose first attainment `s_to_target` times."""
BATCH = 128
HIDDEN = 256
BUDGET_S = 900.0
"""Seconds the section may take before it stops adding repetitions (it always does one)."""
LR = 1e-3

NETS: dict[str, dict[str, Any]] = {
    "small": {"hidden": (HIDDEN,), "dropout": 0.0, "contestants": CONTESTANTS},
    "big": {
        "hidden": (1024, 1024),
        "dropout": 0.2,
        "contestants": ("fcnet-numpy", "fcnet-torch", "pytorch", "keras"),
    },
}
"""The networks: "small" is section mnist_mlp's 784-256-10; "big" is section
mnist_mlp_big's 784-1024-1024-10 with dropout 0.2 after each hidden layer (--preset best's
network, without its augmentation)."""


def flops_per_epoch(n_train: int, hidden: tuple[int, ...] = (HIDDEN,)) -> float:
    """GEMM flops of one epoch: forward, dW and dX per layer (not the first layer's dX).

    2*m*n*k per product; for 784-256-10, per sample that is 2*(784*256) twice for
    layer 1 and 2*(256*10) three times for layer 2.
    """
    sizes = [784, *hidden, 10]
    per_sample = sum(
        a * b * (2 if i == 0 else 3) for i, (a, b) in enumerate(itertools.pairwise(sizes))
    )
    return 2.0 * n_train * per_sample


# --------------------------------------------------------------------------- data


def load_data(n_train: int | None, n_test: int | None) -> tuple[np.ndarray, ...]:
    """The shipped MNIST (verified) as float32 in [0, 1], (N, 784), int64 labels.

    Returns x, y, x_test, y_test; `n_train` / `n_test` keep the first that many samples
    (None: all of them). Tiny runs take both from the test split (loading is quicker).
    """
    from fcnet.data.mnist import load_mnist

    if tiny():  # the harness test: both sets from the small test split, disjoint
        x, y = load_mnist("test")
        xt, yt = x[len(x) // 2 :], y[len(y) // 2 :]
    else:
        x, y = load_mnist("train")
        xt, yt = load_mnist("test")
    return (
        np.ascontiguousarray(x[:n_train]),
        y[:n_train],
        np.ascontiguousarray(xt[:n_test]),
        yt[:n_test],
    )


# ------------------------------------------------------------------- contestants


def _batches(perm: np.ndarray):
    for i in range(0, len(perm), BATCH):
        yield perm[i : i + BATCH]


def _hidden_spec(net: str) -> list[dict[str, Any]]:
    conf = NETS[net]
    return [{"width": w, "activation": "relu", "dropout": conf["dropout"]} for w in conf["hidden"]]


def _train_fcnet(
    backend: str, data, epochs: int, seed: int, net: str = "small", device: str = "cpu"
) -> dict[str, Any]:
    if backend == "torch":
        setup_torch()
    elif backend == "tensorflow":
        setup_tensorflow()
    import fcnet
    from fcnet.spec import NetSpec

    x, y, xt, yt = data
    spec = NetSpec.from_dict(
        {
            "input_size": 784,
            "hidden": _hidden_spec(net),
            "output_size": 10,
            "loss": "cross_entropy",
            "optimizer": {"name": "adam", "lr": LR},
            "dtype": "float32",
            "seed": seed,
        }
    )
    model = fcnet.build(spec, backend, device=device)
    if device == "cpu":
        return _fit_fcnet(model, data, epochs, seed)
    rng = np.random.default_rng(seed)
    epoch_s, acc = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        for idx in _batches(rng.permutation(len(x))):
            model.train_step(x[idx], y[idx])
        epoch_s.append(time.perf_counter() - t0)
        acc.append(float(np.mean(np.argmax(model.predict(xt), axis=1) == yt)))
    return {"epoch_s": epoch_s, "accuracy": acc, "dtype": "float32"}


def _fit_fcnet(model, data, epochs: int, seed: int) -> dict[str, Any]:
    """An fcnet model trained on the CPU by `fcnet.train.train`, the loop `fcnet mnist` runs
    (the training set checked once per fit, not every batch): each epoch's seconds from the
    loop's record (no evaluation in it), the test accuracy after each epoch (untimed)."""
    from fcnet.train import Callback, train

    x, y, xt, yt = data
    acc: list[float] = []

    class TestAccuracy(Callback):
        def on_epoch_end(self, record: dict[str, Any]) -> None:
            acc.append(float(np.mean(np.argmax(model.predict(xt), axis=1) == yt)))

    history = train(model, x, y, epochs=epochs, batch_size=BATCH, seed=seed,
                    callbacks=[TestAccuracy()], progress=False)  # fmt: skip
    return {"epoch_s": [r["seconds"] for r in history.records], "accuracy": acc, "dtype": "float32"}


def _torch_net(nn, net: str):
    layers, n_in = [], 784
    for width in NETS[net]["hidden"]:
        layers += [nn.Linear(n_in, width), nn.ReLU()]
        if NETS[net]["dropout"]:
            layers.append(nn.Dropout(NETS[net]["dropout"]))
        n_in = width
    return nn.Sequential(*layers, nn.Linear(n_in, 10))


def _train_pytorch(
    data, epochs: int, seed: int, net: str = "small", device: str = "cpu"
) -> dict[str, Any]:
    torch = setup_torch()
    from torch import nn

    torch.manual_seed(seed)
    x, y, xt, yt = (torch.from_numpy(a).to(device) for a in data)
    model = _torch_net(nn, net).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    epoch_s, acc = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(len(x), device=device)
        for i in range(0, len(x), BATCH):
            idx = perm[i : i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        epoch_s.append(time.perf_counter() - t0)
        model.eval()
        with torch.inference_mode():
            acc.append(float((model(xt).argmax(1) == yt).float().mean()))
        if device != "cpu":
            torch.cuda.synchronize()
    return {"epoch_s": epoch_s, "accuracy": acc, "dtype": "float32"}


def _train_keras(data, epochs: int, seed: int, net: str = "small") -> dict[str, Any]:
    setup_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)
    x, y, xt, yt = data
    layers: list[Any] = [keras.Input((784,))]
    for width in NETS[net]["hidden"]:
        layers.append(keras.layers.Dense(width, activation="relu"))
        if NETS[net]["dropout"]:
            layers.append(keras.layers.Dropout(NETS[net]["dropout"]))
    model = keras.Sequential([*layers, keras.layers.Dense(10)])
    # epsilon 1e-8 as torch.optim.Adam and fcnet (Keras's default is 1e-7).
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=LR, epsilon=1e-8),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    epoch_s: list[float] = []
    acc: list[float] = []

    class Record(keras.callbacks.Callback):
        """Each epoch's training seconds, then the test accuracy (its time excluded)."""

        def on_epoch_begin(self, epoch, logs=None):
            if epoch > 0:  # epoch 0 counts from the fit call (data set-up, tracing)
                self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            epoch_s.append(time.perf_counter() - self.t0)
            logits = np.asarray(self.model(xt, training=False))
            acc.append(float(np.mean(np.argmax(logits, axis=1) == yt)))

    record = Record()
    record.t0 = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=True, verbose=0, callbacks=[record])
    return {"epoch_s": epoch_s, "accuracy": acc, "dtype": str(model.layers[0].kernel.dtype)}


def _train_sklearn(data, epochs: int, seed: int) -> dict[str, Any]:
    import warnings

    from sklearn.neural_network import MLPClassifier

    x, y, xt, yt = data
    clf = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,),
        activation="relu",
        solver="adam",
        alpha=0.0,
        batch_size=BATCH,
        learning_rate_init=LR,
        shuffle=True,
        random_state=seed,
    )
    classes = np.arange(10)
    epoch_s, acc = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.partial_fit(x, y, classes=classes)
        epoch_s.append(time.perf_counter() - t0)
        acc.append(float(np.mean(clf.predict(xt) == yt)))
    return {"epoch_s": epoch_s, "accuracy": acc, "dtype": str(clf.coefs_[0].dtype)}


def train(
    contestant: str,
    epochs: int,
    n_train: int | None,
    n_test: int | None,
    seed: int,
    net: str = "small",
    device: str = "cpu",
):
    """Train `contestant` in this process; return its per-epoch seconds and accuracies."""
    _limits = limit_threads()
    data = load_data(n_train, n_test)
    if contestant.startswith("fcnet-"):
        backend = contestant.removeprefix("fcnet-")
        out = _train_fcnet(backend, data, epochs, seed, net, device)
    elif contestant == "pytorch":
        out = _train_pytorch(data, epochs, seed, net, device)
    elif contestant == "keras":
        out = _train_keras(data, epochs, seed, net)
    elif contestant == "sklearn":
        out = _train_sklearn(data, epochs, seed)
    else:
        raise ValueError(
            f"--contestant: expected one of {', '.join(CONTESTANTS)}, got {contestant!r}"
        )
    del _limits
    out["n_train"] = len(data[0])
    out["n_test"] = len(data[2])
    out["peak_rss_mb"] = peak_rss_mb()
    return out


# ------------------------------------------------------------------- the section


def _run_worker(
    contestant: str,
    epochs: int,
    n_train,
    n_test,
    seed: int,
    timeout: float,
    net: str = "small",
    device: str = "cpu",
):
    """Run `train` for `contestant` in a fresh interpreter; its result, or {"error": ...}."""
    with tempfile.TemporaryDirectory(prefix="fcnet-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.bench_mnist",
            "--contestant",
            contestant,
            "--epochs",
            str(epochs),
            "--seed",
            str(seed),
            "--out",
            str(out),
            "--net",
            net,
            "--device",
            device,
        ]
        if n_train is not None:
            cmd += ["--n-train", str(n_train)]
        if n_test is not None:
            cmd += ["--n-test", str(n_test)]
        env = thread_env()
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
        )
        try:
            proc = subprocess.run(
                cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:.0f} s"}
        if proc.returncode != 0 or not out.exists():
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
            return {"error": lines[-1] if lines else f"exit code {proc.returncode}"}
        return json.loads(out.read_text())


def _summarise(
    runs: list[dict[str, Any]], n_train: int, hidden: tuple[int, ...] = (HIDDEN,)
) -> dict[str, Any]:
    """The contestant's figures from its repetitions (each a full training run)."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"error": runs[0]["error"] if runs else "not run"}
    # Epoch 1 carries one-off costs (tracing, allocation): the median is over epochs 2+.
    later = [s for r in ok for s in (r["epoch_s"][1:] or r["epoch_s"])]
    s_per_epoch = median(later)
    to_target = []
    for r in ok:
        cum = np.cumsum(r["epoch_s"])
        hit = [i for i, a in enumerate(r["accuracy"]) if a >= TARGET]
        to_target.append(float(cum[hit[0]]) if hit else None)
    reached = [t for t in to_target if t is not None]
    gflops = flops_per_epoch(n_train, hidden) / s_per_epoch / 1e9 if s_per_epoch else None
    return {
        "s_per_epoch": s_per_epoch,
        "s_to_target": median(reached) if len(reached) * 2 > len(ok) else None,
        "test_accuracy": median([r["accuracy"][-1] for r in ok]),
        "gflops": gflops,
        "peak_rss_mb": max(r["peak_rss_mb"] for r in ok),
        "dtype": ok[0]["dtype"],
        "repetitions": len(ok),
        "accuracy_per_epoch": ok[0]["accuracy"],
        "epoch_s": [r["epoch_s"] for r in ok],
        "s_to_target_per_run": to_target,
    }


def run(quick: bool = False, peak_gflops: float | None = None, gemm: dict | None = None) -> dict:
    """Train every contestant; per contestant the figures the issue asks for.

    `peak_gflops` is the GEMM section's peak (measured here briefly when not given);
    each contestant's `fraction_of_peak` is its achieved GFLOP/s over it. `gemm`, the
    GEMM section's result, gives the epoch's GEMM floor: the seconds its products take
    at the best rate measured for each shape (numpy or torch); without it the floor is
    measured here, briefly. `gemm_floor_s` is that floor for the section's n_train;
    `roofline_floor_s` adds the memory traffic no step can avoid (Adam's arrays, the
    batch gather, the activations' element-wise passes) at the measured copy bandwidth,
    its parts in `roofline_parts` (`bench_gemm.roofline_floor`).
    """
    if tiny():
        epochs, n_train, n_test, repeats, timeout = 1, 512, 256, 1, 300
    elif quick:
        epochs, n_train, n_test, repeats, timeout = 2, 12000, 10000, 1, 300
    else:
        epochs, n_train, n_test, repeats, timeout = 10, None, None, 3, 900
    return run_net("small", epochs, n_train, n_test, repeats, timeout, peak_gflops, gemm)


def run_net(
    net: str,
    epochs: int,
    n_train: int | None,
    n_test: int | None,
    repeats: int,
    timeout: float,
    peak_gflops: float | None = None,
    gemm: dict | None = None,
    device: str = "cpu",
    contestants: tuple[str, ...] | None = None,
) -> dict:
    """The section for network `net` (see NETS): every contestant, `repeats` times."""
    conf = NETS[net]
    contestants = contestants or conf["contestants"]
    hidden = tuple(conf["hidden"])
    repeats = int(os.environ.get("FCNET_BENCH_MNIST_REPEATS", repeats))
    budget_s = float(os.environ.get("FCNET_BENCH_MNIST_BUDGET_S", BUDGET_S))
    t_start = time.perf_counter()
    stopped = None
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in contestants}
    job = functools.partial(
        _run_worker, epochs=epochs, n_train=n_train, n_test=n_test, timeout=timeout,
        net=net, device=device,
    )  # fmt: skip
    for rep in range(repeats):
        order = contestants if rep % 2 == 0 else contestants[::-1]
        if tiny():  # the harness test: timings mean nothing, so use both cores at once
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=THREADS) as pool:
                outs = pool.map(functools.partial(job, seed=rep), order)
                for c, out in zip(order, outs, strict=True):
                    runs[c].append(out)
            continue
        for c in order:
            runs[c].append(job(c, seed=rep))
        # A busy machine can make a repetition take many times its usual time: stop
        # repeating when the next one would overrun the budget (and say so).
        elapsed = time.perf_counter() - t_start
        if rep + 1 < repeats and elapsed * (rep + 2) / (rep + 1) > budget_s:
            stopped = f"stopped after {rep + 1} of {repeats} repetitions: {elapsed:.0f} s used"
            break
    n = n_train if n_train is not None else 60000
    floor = roofline = None
    if device == "cpu":  # the CPU's ceilings: GEMM peak, the epoch's GEMM and roofline floors
        from benchmarks import bench_gemm

        if peak_gflops is None:
            peak_gflops = bench_gemm.run(quick=True)["peak_gflops"]
        floors = [
            v["mlp_epoch_gemm_s"] * n / 60000
            for v in (gemm or {}).values()
            if isinstance(v, dict) and "mlp_epoch_gemm_s" in v and net == "small"
        ]
        if not floors:  # the floor of this network, measured now
            floors = [bench_gemm.gemm_floor([784, *hidden, 10], n, BATCH)["gemm_floor_s"]]
        floor = min(floors)
        bandwidth = (gemm or {}).get("copy_gbps") or bench_gemm.copy_bandwidth()
        roofline = bench_gemm.roofline_floor(
            [784, *hidden, 10], n, floor, bandwidth, BATCH, conf["dropout"]
        )
    sizes = "-".join(map(str, (784, *hidden, 10)))
    dropout = f", dropout {conf['dropout']:g} after each hidden layer" if conf["dropout"] else ""
    result: dict[str, Any] = {
        "settings": {
            "gemm_floor_s_per_epoch": floor,
            "roofline_parts": roofline["parts"] if roofline else None,
            "network": f"{sizes} ReLU{dropout}, softmax cross-entropy",
            "batch": BATCH,
            "optimizer": f"Adam lr {LR:g}",
            "epochs": epochs,
            "n_train": n,
            "n_test": n_test if n_test is not None else 10000,
            "repetitions": min(repeats, len(runs[contestants[0]])),
            "repetitions_planned": repeats,
            "repetitions_note": stopped,
            "threads": THREADS,
            "device": device,
            "target_accuracy": TARGET,
            "peak_gflops": peak_gflops,
            "note": (
                "each repetition is a full training run in its own subprocess; s_per_epoch is "
                "the median over epochs 2.. of all repetitions; s_to_target the median over "
                "repetitions of the training seconds (evaluation excluded) until test "
                "accuracy first reached the target; order alternates across repetitions"
            ),
        }
    }
    for c in contestants:
        entry = _summarise(runs[c], n, hidden)
        if entry.get("gflops") and peak_gflops:
            entry["fraction_of_peak"] = entry["gflops"] / peak_gflops
        if entry.get("s_per_epoch") and floor:
            entry["gemm_share"] = floor / entry["s_per_epoch"]
        result[c] = entry
    a = result.get("fcnet-numpy", {}).get("s_per_epoch")
    b = result.get("pytorch", {}).get("s_per_epoch")
    result["ratio_numpy_vs_pytorch"] = a / b if a and b else None
    result["gemm_floor_s"] = floor
    result["ratio_numpy_vs_gemm_floor"] = a / floor if a and floor else None
    rf = roofline["roofline_floor_s"] if roofline else None
    result["roofline_floor_s"] = rf
    result["roofline_parts"] = roofline["parts"] if roofline else None
    result["ratio_numpy_vs_roofline_floor"] = a / rf if a and rf else None
    return result


def table(result: dict) -> Any:
    """A rich table of `run`'s result."""
    from rich.table import Table

    st = result.get("settings", {})
    t = Table(
        title=(
            f"MNIST MLP {st.get('network', '')}, batch {st.get('batch')}, Adam, "
            f"{st.get('epochs')} epochs, {st.get('n_train')} train samples, "
            f"threads {st.get('threads')}"
        )
    )
    for col in ("contestant", "s/epoch", "s to 97.5%", "test acc", "GFLOP/s", "of peak"):
        t.add_column(col, justify="left" if col == "contestant" else "right", no_wrap=True)
    t.add_column("GEMM share", justify="right")
    t.add_column("peak RSS MB", justify="right")
    t.add_column("dtype")

    def f(v: Any, fmt: str) -> str:
        return format(v, fmt) if isinstance(v, (int, float)) else "-"

    errors = []
    for c in [c for c in CONTESTANTS if c in result]:
        e = result.get(c, {})
        if "error" in e:
            t.add_row(c, "[red]error[/red]")
            errors.append(f"{c}: {e['error']}")
            continue
        t.add_row(
            c,
            f(e.get("s_per_epoch"), ".3f"),
            f(e.get("s_to_target"), ".2f") if e.get("s_to_target") is not None else "never",
            f(e.get("test_accuracy"), ".4f"),
            f(e.get("gflops"), ".1f"),
            f(e.get("fraction_of_peak"), ".0%"),
            f(e.get("gemm_share"), ".0%"),
            f(e.get("peak_rss_mb"), ".0f"),
            str(e.get("dtype", "-")),
        )
    ratio = result.get("ratio_numpy_vs_pytorch")
    t.caption = (
        f"fcnet-numpy / pytorch seconds per epoch: {f(ratio, '.2f')}; "
        f"GEMM peak {f(st.get('peak_gflops'), '.1f')} GFLOP/s; the epoch's GEMMs alone at the "
        f"best measured rates: {f(st.get('gemm_floor_s_per_epoch'), '.3f')} s; "
        f"{st.get('repetitions')} repetition(s), medians; fcnet-numpy / GEMM floor: "
        f"{f(result.get('ratio_numpy_vs_gemm_floor'), '.2f')}; roofline floor "
        f"{f(result.get('roofline_floor_s'), '.3f')} s ({roofline_text(result)}), "
        f"fcnet-numpy / roofline floor: {f(result.get('ratio_numpy_vs_roofline_floor'), '.2f')}"
    )
    if st.get("repetitions_note"):
        t.caption += f"\n{st['repetitions_note']}"
    if errors:
        t.caption += "\n[red]" + "\n".join(errors) + "[/red]"
    return t


def roofline_text(result: dict) -> str:
    """The roofline floor's parts as text: "products 0.610 s + optimizer 0.05 s + ..."."""
    parts = result.get("roofline_parts") or {}
    names = (("gemm_s", "products"), ("optimizer_s", "Adam's arrays"),
             ("batch_gather_s", "batch gather"), ("activations_s", "activations"))  # fmt: skip
    text = " + ".join(f"{label} {parts[k]:.3f} s" for k, label in names if k in parts)
    if "copy_gbps" in parts:
        text += f"; memory at {parts['copy_gbps']:.1f} GB/s"
    return text or "-"


def targets(m: dict) -> list[Target]:
    """Section mnist_mlp's targets (issues 6, 16 and 24)."""
    ours = m.get("fcnet-numpy", {})
    ratio = m.get("ratio_numpy_vs_pytorch")
    frac = ours.get("fraction_of_peak")
    out = [
        Target(6, "MNIST: fcnet-numpy s/epoch <= pytorch's", f"ratio {fmt(ratio, '.2f')}",
               ratio <= 1.0 if isinstance(ratio, float) else None),
        Target(6, "MNIST: fcnet-numpy >= 60% of the GEMM peak",
               f"{fmt(frac, '.0%')} ({fmt(ours.get('gflops'), '.1f')} GFLOP/s)",
               frac >= 0.6 if isinstance(frac, float) else None),
    ]  # fmt: skip
    mine = ours.get("s_to_target")
    others = {
        c: m[c].get("s_to_target")
        for c in CONTESTANTS[1:]
        if isinstance(m.get(c), dict) and "error" not in m[c]
    }
    reached = {c: v for c, v in others.items() if v is not None}
    best = min(reached.items(), key=lambda kv: kv[1]) if reached else None
    measured = (f"{mine:.1f} s" if isinstance(mine, float) else "never") + (
        f" vs {best[0]} {best[1]:.1f} s" if best else " (no other contestant reached it)"
    )
    met = (
        None
        if "error" in ours or not ours
        else (mine is not None and all(mine < v for v in reached.values()))
    )
    out.append(Target(6, "MNIST: 97.5% reached first by fcnet-numpy", measured, met))
    return out + floor_targets("mnist_mlp", "784-256-10", m)


def floor_targets(key: str, name: str, m: dict) -> list[Target]:
    """fcnet-numpy against the GEMM floor (issue 16) and the roofline floor (issue 24)."""
    ours = m.get("fcnet-numpy", {}).get("s_per_epoch")
    out = []
    for issue, floor_key, label in ((16, "gemm_floor_s", "GEMM"), (24, "roofline_floor_s",
                                                                     "roofline")):  # fmt: skip
        floor = m.get(floor_key)
        ratio = ours / floor if isinstance(ours, float) and floor else None
        measured = f"{fmt(ours, '.3f')} s / {fmt(floor, '.3f')} s = {fmt(ratio, '.2f')}x"
        if ratio is not None and ratio < 1:  # below a floor: the floor is wrong, not met
            measured += " (below the floor: the floor overestimates, not a result)"
        out.append(
            Target(
                issue,
                f"`{key}` ({name}): fcnet-numpy s/epoch <= 1.25x the {label} floor",
                measured,
                None if ratio is None or ratio < 1 else ratio <= 1.25,
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    """Worker entry point: train one contestant and write its result as JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--contestant", required=True, choices=CONTESTANTS)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--n-train", type=int, default=None)
    p.add_argument("--n-test", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--net", choices=tuple(NETS), default="small")
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    result = train(
        args.contestant, args.epochs, args.n_train, args.n_test, args.seed, args.net, args.device
    )
    text = json.dumps(result)
    if args.out is None:
        print(text)
    else:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
