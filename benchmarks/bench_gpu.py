"""Section gpu: both MNIST networks on CUDA, when torch sees a GPU ("skipped: no GPU" else).

fcnet-torch (`fcnet.build(spec, "torch", device="cuda")`) and a plain PyTorch loop with
the data on the GPU, on section mnist_mlp's 784-256-10 and mnist_mlp_big's
784-1024-1024-10: s/epoch and s to 97.5% test accuracy, beside the best CPU contestant
of those sections when they ran in the same harness call (`gpu_vs_best_cpu`: the CPU's
best s/epoch over the GPU's).
"""

from __future__ import annotations

from typing import Any

from benchmarks import bench_mnist
from benchmarks._common import tiny

CONTESTANTS = ("fcnet-torch", "pytorch")


def gpu_seen() -> str | None:
    """None when torch sees a CUDA GPU, else why not (one line)."""
    try:
        import torch
    except ImportError:
        return "no GPU: torch is not installed"
    if not torch.cuda.is_available():
        return f"no GPU: torch {torch.__version__} (CUDA {torch.version.cuda or 'none'}) sees none"
    return None


def run(quick: bool = False, results: dict | None = None) -> dict[str, Any]:
    why = gpu_seen()
    if why is not None:
        return {"skipped": f"skipped: {why}"}
    import torch

    out: dict[str, Any] = {"device_name": torch.cuda.get_device_name(0)}
    for section, net in (("mnist_mlp", "small"), ("mnist_mlp_big", "big")):
        if tiny():
            epochs, n_train, n_test = 1, 512, 256
        elif quick:
            epochs, n_train, n_test = 3, None, None
        else:
            epochs, n_train, n_test = 10 if net == "small" else 3, None, None
        r = bench_mnist.run_net(net, epochs, n_train, n_test, 1, 900, device="cuda",
                                contestants=CONTESTANTS)  # fmt: skip
        cpu = (results or {}).get(section, {})
        cpu_best = min(
            (v["s_per_epoch"] for k, v in cpu.items()
             if isinstance(v, dict) and isinstance(v.get("s_per_epoch"), float)),
            default=None,
        )  # fmt: skip
        gpu_best = min(
            (r[c]["s_per_epoch"] for c in CONTESTANTS if r[c].get("s_per_epoch")), default=None
        )
        r["best_cpu_s_per_epoch"] = cpu_best
        r["gpu_vs_best_cpu"] = cpu_best / gpu_best if cpu_best and gpu_best else None
        out[section] = r
    return out


def table(result: dict) -> Any:
    if "skipped" in result:
        return f"gpu: {result['skipped']}"
    from rich.table import Table

    t = Table(title=f"GPU: {result.get('device_name')}")
    for col in ("network", "contestant", "s/epoch", "s to 97.5%", "best CPU s/epoch", "speed-up"):
        t.add_column(col)

    def f(v: Any) -> str:
        return f"{v:.3f}" if isinstance(v, (int, float)) else "-"

    for section in ("mnist_mlp", "mnist_mlp_big"):
        r = result.get(section, {})
        for c in CONTESTANTS:
            e = r.get(c, {})
            t.add_row(section, c, f(e.get("s_per_epoch")), f(e.get("s_to_target")),
                      f(r.get("best_cpu_s_per_epoch")), f(r.get("gpu_vs_best_cpu")))  # fmt: skip
    return t
