"""fcnet's benchmarks: `python -m benchmarks [--quick]` (that is `make bench`).

Eight sections, each a module with `run(quick: bool = False) -> dict`:

    idx_read   bench_idx        read_idx against the course text's struct loader
    gemm       bench_gemm       float32 GEMM peak, numpy and torch
    mnist_mlp  bench_mnist      784-256-10 on MNIST: fcnet x3, PyTorch, Keras, scikit-learn
    fit        bench_fit        sin(3x) + 0.3x^2: fcnet numpy, PyTorch, MLPRegressor
    auc        bench_auc        fcnet.metrics.roc_auc against roc_auc_score
    agreement  bench_agreement  numpy, torch and tensorflow step for step in float64
    ddp        bench_ddp        MNIST epoch time with 1 and 2 DDP processes (issue 8)
    sklearn_api  bench_sklearn  5-fold CV: FCNetClassifier against MLPClassifier (issue 17)

The harness (`benchmarks.__main__`) prints a table per section and writes every figure
to benchmarks/results.json. Every framework gets 2 threads (the machine has 2 cores).
"""

SECTIONS: dict[str, str] = {
    "idx_read": "benchmarks.bench_idx",
    "gemm": "benchmarks.bench_gemm",
    "mnist_mlp": "benchmarks.bench_mnist",
    "fit": "benchmarks.bench_fit",
    "auc": "benchmarks.bench_auc",
    "agreement": "benchmarks.bench_agreement",
    "ddp": "benchmarks.bench_ddp",
    "sklearn_api": "benchmarks.bench_sklearn",
}
"""results.json's top-level keys, in the order they run, and the module behind each."""

__all__ = ["SECTIONS"]
