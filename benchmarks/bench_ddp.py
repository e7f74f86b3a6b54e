"""Data-parallel MNIST: one process against two DDP processes (gloo) on this machine.

The run a user would make: `fcnet mnist --backend torch` (784-512-256-10, Adam with a
cosine schedule, global batch 128), once as one ordinary process with THREADS threads,
once with one thread, once under torchrun as one DDP process (the wrapper's own cost)
and once as two DDP processes with one thread each (the same two cores, split the DDP
way); "speedup" is against the faster of the two plain runs. The epoch time
is the run's own `seconds` in metrics.jsonl (training plus the per-epoch test
evaluation), the fastest epoch of the run. Agreement: the two-process run's weights
against the one-process run's (float32: rounding differs, so a small difference and the
same accuracy), and a short float64 run of each, whose weights must agree to 1e-9.

Every DDP step all-reduces the whole gradient (535,818 float32 numbers, 2.1 MB; its time
alone is `allreduce_ms`) and waits for the slower process. Two processes on two cores
split the computation but add that exchange and that wait to every step, so expect
little or no gain here (a loss on a busy machine): the figures say how much.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import THREADS, tiny
from fcnet import runs
from fcnet.backends._common import read_npz

PARAMS = 784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10
F64_SPEC = {
    "input_size": 784,
    "hidden": [{"width": 64}],
    "output_size": 10,
    "loss": "cross_entropy",
    "optimizer": {"name": "adam", "lr": 1e-3},
    "dtype": "float64",
}


def _env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    return env


def _launch(out: Path, args: list[str], nproc: int, threads: int) -> dict[str, Any]:
    """Run `fcnet mnist ARGS` (nproc 0: plain; else torchrun --nproc_per_node=nproc)."""
    fcnet = ["-m", "fcnet", "mnist", "--backend", "torch", "--quiet", "--out", str(out), *args]
    if nproc:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
        cmd += [f"--nproc_per_node={nproc}", *fcnet, "--distributed"]
    else:
        cmd = [sys.executable, *fcnet]
    t0 = time.perf_counter()
    done = subprocess.run(
        cmd, env=_env(threads), capture_output=True, text=True, timeout=1800, cwd=out.parent
    )
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(cmd[1:6])} ... failed: {' | '.join(tail)}")
    records = runs.read_metrics(out)
    result = runs.read_json(out, runs.RESULT)
    _spec, weights, _backend = read_npz(runs.model_path(out))
    return {
        "epoch_s": min(r["seconds"] for r in records),
        "epoch_s_all": [r["seconds"] for r in records],
        "test_accuracy": result["metrics"]["test_accuracy"],
        "wall_s": wall,
        "weights": weights,
    }


_ALLREDUCE = """
import os, sys, time, datetime, torch, torch.distributed as dist
dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=60))
t = torch.ones(int(sys.argv[1])); times = []
for _ in range(int(sys.argv[2]) + 3):
    dist.barrier(); t0 = time.perf_counter(); dist.all_reduce(t)
    times.append(time.perf_counter() - t0)
if dist.get_rank() == 0:
    print(sorted(times[3:])[len(times[3:]) // 2] * 1e3)
dist.destroy_process_group()
"""


def _allreduce_ms(n: int, repeats: int) -> float:
    """Median milliseconds of one gloo all-reduce of n float32 numbers between 2 processes."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    procs = []
    try:
        for rank in range(2):
            env = _env(1) | {"RANK": str(rank), "WORLD_SIZE": "2", "MASTER_PORT": port}
            env["MASTER_ADDR"] = "127.0.0.1"
            cmd = [sys.executable, "-c", _ALLREDUCE, str(n), str(repeats)]
            procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True))
        outs = [p.communicate(timeout=300)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    if any(p.returncode for p in procs):
        raise RuntimeError("the all-reduce timing processes failed")
    return round(float(outs[0].strip()), 3)


def _max_diff(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    return max(float(np.abs(a[k].astype(np.float64) - b[k]).max()) for k in a)


def run(quick: bool = False) -> dict[str, Any]:
    """Epoch time of 1 plain, 1 DDP and 2 DDP processes, and whether they agree."""
    if tiny():
        limit, epochs, f64_limit = 256, 1, 256
    elif quick:
        limit, epochs, f64_limit = 10_000, 1, 1000
    else:
        limit, epochs, f64_limit = 60_000, 2, 2000
    args = ["--epochs", str(epochs), "--limit", str(limit)]
    runs = {  # name: (processes under torchrun, 0 = plain; threads per process)
        "plain_1proc": (0, THREADS),
        "plain_1proc_1thread": (0, 1),
        "ddp_1proc": (1, THREADS),
        "ddp_2proc": (2, max(1, THREADS // 2)),
    }
    if tiny():
        del runs["ddp_1proc"], runs["plain_1proc_1thread"]
    out: dict[str, Any] = {
        "network": "784-64-10 float64 (tiny)" if tiny() else "784-512-256-10 float32",
        "train_images": limit,
        "epochs": epochs,
        "global_batch": 128,
        "params": PARAMS,  # of the default network, whose gradient the all-reduce times
        "allreduce_mb_per_step": round(PARAMS * 4 / 1e6, 2),
        "steps_per_epoch": -(-limit // 128),
        "load_average_at_start": list(os.getloadavg()),  # the machine is shared
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),  # the harness may set it
    }
    with tempfile.TemporaryDirectory(prefix="fcnet-bench-ddp-") as tmp:
        root = Path(tmp)
        spec = root / "f64.json"
        spec.write_text(json.dumps(F64_SPEC))
        if tiny():  # the harness test: one pair of runs, in float64, is enough
            args += ["--config", str(spec)]
        got = {}
        for name, (nproc, threads) in runs.items():
            got[name] = _launch(root / name, args, nproc, threads)
            row = {k: v for k, v in got[name].items() if k != "weights"}
            out[name] = {"processes": max(nproc, 1), "threads_each": threads, **row}
        # against the faster plain run: on a busy machine two threads can lose to one
        base = min(out[k]["epoch_s"] for k in runs if k.startswith("plain"))
        for name in runs:
            out[name]["speedup"] = round(base / out[name]["epoch_s"], 3)
        diff = _max_diff(got["plain_1proc"]["weights"], got["ddp_2proc"]["weights"])
        out["accuracy_diff"] = abs(
            got["plain_1proc"]["test_accuracy"] - got["ddp_2proc"]["test_accuracy"]
        )
        if tiny():
            out["max_abs_weight_diff_f32"], out["max_abs_weight_diff_f64"] = None, diff
        else:
            out["max_abs_weight_diff_f32"] = diff
            f64_args = ["--epochs", "1", "--limit", str(f64_limit), "--config", str(spec)]
            a = _launch(root / "f64_plain", f64_args, 0, THREADS)
            b = _launch(root / "f64_ddp2", f64_args, 2, max(1, THREADS // 2))
            out["max_abs_weight_diff_f64"] = _max_diff(a["weights"], b["weights"])
    out["allreduce_ms"] = _allreduce_ms(PARAMS, repeats=5 if tiny() else 30)
    out["agree"] = bool(out["max_abs_weight_diff_f64"] < 1e-9 and out["accuracy_diff"] <= 0.01)
    return out


if __name__ == "__main__":  # python -m benchmarks.bench_ddp [--quick]
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
