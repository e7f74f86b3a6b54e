"""Section mnist_mlp_big: --preset best's network without its augmentation, four ways.

784-1024-1024-10 ReLU, dropout 0.2 after each hidden layer, softmax cross-entropy,
batch 128, Adam (lr 1e-3), float32, 3 epochs. Contestants: `fcnet-numpy`, `fcnet-torch`,
`pytorch` (a plain loop over tensors) and `keras`, each in its own subprocess as in
section mnist_mlp (`benchmarks.bench_mnist`, whose keys this section shares), plus
`gemm_floor_s`: the seconds the epoch's products take at the best rates measured here
for their shapes, `roofline_floor_s` (with the memory traffic) and `ratio_numpy_vs_pytorch`.
"""

from __future__ import annotations

from typing import Any

from benchmarks import bench_mnist
from benchmarks._common import Target, fmt, tiny


def run(
    quick: bool = False, peak_gflops: float | None = None, gemm: dict | None = None
) -> dict[str, Any]:
    """Train the four contestants on the big network; bench_mnist's keys."""
    if tiny():
        epochs, n_train, n_test, repeats, timeout = 1, 512, 256, 1, 300
    elif quick:
        epochs, n_train, n_test, repeats, timeout = 2, 6400, 10000, 1, 600
    else:
        epochs, n_train, n_test, repeats, timeout = 3, None, None, 2, 1200
    return bench_mnist.run_net("big", epochs, n_train, n_test, repeats, timeout, peak_gflops, gemm)


table = bench_mnist.table


def targets(m: dict[str, Any]) -> list[Target]:
    """Section mnist_mlp_big's targets (issues 16 and 24)."""
    ratio = m.get("ratio_numpy_vs_pytorch")
    gemm, roofline = bench_mnist.floor_targets("mnist_mlp_big", "784-1024-1024-10", m)
    return [
        gemm,
        Target(16, "`mnist_mlp_big`: fcnet-numpy s/epoch <= 0.67x pytorch's",
               f"ratio {fmt(ratio, '.2f')}", ratio <= 0.67 if isinstance(ratio, float) else None),
        roofline,
    ]  # fmt: skip
