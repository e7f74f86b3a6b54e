"""Reference solution of `auc`: average ranks (Mann-Whitney U), O(n log n)."""

import numpy as np


def roc_auc(y_true, scores):
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    P, N = int(y.sum()), int((~y).sum())
    if P == 0 or N == 0:
        raise ValueError("roc_auc: need both classes in y_true")
    order = np.argsort(s, kind="mergesort")
    sorted_s = s[order]
    # average rank of each group of tied scores (ranks from 1)
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_s)) + 1]
    ends = np.r_[starts[1:], len(s)]
    ranks = np.empty(len(s))
    ranks[order] = np.repeat((starts + ends + 1) / 2, ends - starts)
    return (ranks[y].sum() - P * (P + 1) / 2) / (P * N)
