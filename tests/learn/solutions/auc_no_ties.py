"""Wrong: ranks from a plain argsort, so tied scores get different ranks."""

import numpy as np


def roc_auc(y_true, scores):
    y = np.asarray(y_true).astype(bool)
    P, N = int(y.sum()), int((~y).sum())
    if P == 0 or N == 0:
        raise ValueError("roc_auc: need both classes")
    ranks = np.empty(len(y))
    ranks[np.argsort(scores, kind="mergesort")] = np.arange(1, len(y) + 1)
    return (ranks[y].sum() - P * (P + 1) / 2) / (P * N)
