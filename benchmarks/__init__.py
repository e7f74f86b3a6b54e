"""fcnet's benchmarks: `python -m benchmarks [--quick]` (that is `make bench`).

Twelve sections, each a module with `run(quick: bool = False) -> dict`:

    idx_read       bench_idx        read_idx against the course text's struct loader
    gemm           bench_gemm       float32 GEMM peak, numpy and torch
    mnist_mlp      bench_mnist      784-256-10 on MNIST: fcnet x3, PyTorch, Keras, scikit-learn
    mnist_mlp_big  bench_mnist_big  784-1024-1024-10, dropout 0.2: fcnet x2, PyTorch, Keras
    busy           bench_busy       fcnet-numpy's epoch with a neighbour busy on one core
    fit            bench_fit        sin(3x) + 0.3x^2: fcnet numpy, PyTorch, MLPRegressor
    auc            bench_auc        fcnet.metrics.roc_auc against roc_auc_score
    agreement      bench_agreement  numpy, torch and tensorflow step for step in float64
    ddp            bench_ddp        MNIST epoch time with 1 and 2 DDP processes (issue 8)
    gpu            bench_gpu        both MNIST networks on CUDA ("skipped: no GPU" without one)
    sklearn_api    bench_sklearn    5-fold CV: FCNetClassifier against MLPClassifier (issue 17)
    grade          grade            fcnet grade on a class of 200 backprop files (issue 22)

The harness (`benchmarks.__main__`) prints a table per section and writes every figure
to benchmarks/results.json. Every framework gets 2 threads (the machine has 2 cores).
"""

SECTIONS: dict[str, str] = {
    "idx_read": "benchmarks.bench_idx",
    "gemm": "benchmarks.bench_gemm",
    "mnist_mlp": "benchmarks.bench_mnist",
    "mnist_mlp_big": "benchmarks.bench_mnist_big",
    "busy": "benchmarks.bench_busy",
    "fit": "benchmarks.bench_fit",
    "auc": "benchmarks.bench_auc",
    "agreement": "benchmarks.bench_agreement",
    "ddp": "benchmarks.bench_ddp",
    "gpu": "benchmarks.bench_gpu",
    "sklearn_api": "benchmarks.bench_sklearn",
    "grade": "benchmarks.grade",
}
"""results.json's top-level keys, in the order they run, and the module behind each."""

__all__ = ["SECTIONS"]
