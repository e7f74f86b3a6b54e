"""Wrong: every pair compared in Python (right, ties included, but far too slow), and no
error for a single class (0 / 0 gives nan)."""

import numpy as np


def roc_auc(y_true, scores):
    pos = [s for s, t in zip(scores, y_true, strict=True) if t == 1]
    neg = [s for s, t in zip(scores, y_true, strict=True) if t != 1]
    total = 0.0
    for p in pos:
        for n in neg:
            total += 1.0 if p > n else 0.5 if p == n else 0.0
    with np.errstate(all="ignore"):
        return np.float64(total) / (len(pos) * len(neg))
