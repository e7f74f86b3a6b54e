"""ROC AUC: fcnet.metrics.roc_auc against scikit-learn's roc_auc_score.

10^6 scores (10^5 with quick), 30% positives, two cases: continuous scores (no ties) and
scores rounded to 2 decimals (heavy ties: 101 distinct values). The contestants run in
turn, alternating, after a warm-up; medians of the repetitions. Sorting is
single-threaded in both, so the thread count does not matter here.

Run as a script for a table: `python benchmarks/bench_auc.py [--quick]`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def _time(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _case(
    y: np.ndarray, s: np.ndarray, repeats: int, ours: Callable, theirs: Callable
) -> dict[str, Any]:
    """Time both on (y, s), alternating after one warm-up each; report medians."""
    ours(y, s)
    theirs(y, s)
    t_ours: list[float] = []
    t_theirs: list[float] = []
    for i in range(repeats):
        # Alternate who goes first, so neither always runs on a warm cache.
        if i % 2 == 0:
            t_ours.append(_time(lambda: ours(y, s)))
            t_theirs.append(_time(lambda: theirs(y, s)))
        else:
            t_theirs.append(_time(lambda: theirs(y, s)))
            t_ours.append(_time(lambda: ours(y, s)))
    a, b = float(ours(y, s)), float(theirs(y, s))
    fcnet_s = statistics.median(t_ours)
    sklearn_s = statistics.median(t_theirs)
    return {
        "distinct_scores": int(np.unique(s).size),
        "fcnet_s": fcnet_s,
        "sklearn_s": sklearn_s,
        "speedup": sklearn_s / fcnet_s,
        "fcnet_auc": a,
        "sklearn_auc": b,
        "max_abs_diff": abs(a - b),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Measure both contestants; return the figures (seconds are medians)."""
    import sklearn
    from sklearn.metrics import roc_auc_score

    from fcnet.metrics import roc_auc

    n = 10**5 if quick else 10**6
    repeats = 3 if quick else 7
    rng = np.random.default_rng(0)
    y = rng.random(n) < 0.3
    # Scores mildly informative, so the AUC is neither 0.5 nor 1.
    s = rng.random(n) * 0.8 + 0.2 * y
    cases = {
        "no_ties": _case(y, s, repeats, roc_auc, roc_auc_score),
        "heavy_ties": _case(y, np.round(s, 2), repeats, roc_auc, roc_auc_score),
    }
    # The largest difference also over a few smaller sets with every kind of tie.
    extra = 0.0
    for k in range(20):
        m = int(rng.integers(10, 5000))
        yy = rng.random(m) < rng.uniform(0.05, 0.95)
        yy[:2] = [True, False]
        ss = np.round(rng.normal(size=m) + yy, k % 4)
        extra = max(extra, abs(roc_auc(yy, ss) - roc_auc_score(yy, ss)))
    return {
        "n": n,
        "repeats": repeats,
        "positives_fraction": 0.3,
        "sklearn_version": sklearn.__version__,
        "cases": cases,
        "max_abs_diff": max(extra, *(c["max_abs_diff"] for c in cases.values())),
        "min_speedup": min(c["speedup"] for c in cases.values()),
        "target": "identical within 1e-12 and at least 2x faster",
    }


def table(result: dict[str, Any]) -> str:
    """The figures as a plain-text table."""
    lines = [
        f"ROC AUC on {result['n']:,} scores, median of {result['repeats']} "
        f"(scikit-learn {result['sklearn_version']})",
        f"{'case':<12}{'distinct':>10}{'fcnet s':>11}{'sklearn s':>11}{'speedup':>9}{'|diff|':>10}",
    ]
    for name, c in result["cases"].items():
        lines.append(
            f"{name:<12}{c['distinct_scores']:>10,}{c['fcnet_s']:>11.4f}{c['sklearn_s']:>11.4f}"
            f"{c['speedup']:>8.1f}x{c['max_abs_diff']:>10.1e}"
        )
    lines.append(
        f"largest |difference| over all cases: {result['max_abs_diff']:.1e}; "
        f"slowest speedup: {result['min_speedup']:.1f}x (target: 2x, 1e-12)"
    )
    return "\n".join(lines)


def targets(auc: dict[str, Any]) -> list[Any]:
    """Section auc's target (issue 6), as a `benchmarks._common.Target`."""
    from benchmarks._common import Target, fmt  # (here: the module also runs as a script)

    diff, speed = auc.get("max_abs_diff"), auc.get("min_speedup")
    return [
        Target(
            6,
            "AUC: identical to scikit-learn within 1e-12, >= 2x faster",
            f"largest difference {fmt(diff, '.1e')}, slowest speedup {fmt(speed, '.1f')}x",
            (diff <= 1e-12 and speed >= 2) if diff is not None and speed is not None else None,
        )
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^5 scores, 3 repetitions")
    print(table(run(quick=parser.parse_args().quick)))
