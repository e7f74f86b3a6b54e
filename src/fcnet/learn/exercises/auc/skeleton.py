# %% [markdown]
# # Exercise `auc`: the area under the ROC curve
#
# The course text computes AUC with scikit-learn's `roc_auc_score`. Write it yourself
# (while it is checked, your code cannot import scikit-learn or SciPy: compare with
# them under `if __name__ == "__main__":`).
# AUC is the probability that a random positive scores higher than a random negative:
# over the P * N (positive, negative) pairs, count 1 for a pair ordered right and 1/2 for
# a tie, and divide by P * N. Counting pairs one by one costs O(P N); with ranks (sort
# once) it is O(n log n):
#
#     AUC = (sum of the positives' ranks - P (P + 1) / 2) / (P N)
#
# where tied scores share their average rank. The checks compare with scikit-learn
# (within 1e-12, with and without ties), want a ValueError when only one class is
# present, and time 10^6 scores (under a second; on a busy machine, within ten times
# scikit-learn's own time on the same scores).

# %%
import numpy as np


# %%
def roc_auc(y_true, scores):
    """Area under the ROC curve.

    y_true: (n,) labels, 0/1 (or bool); scores: (n,) floats, higher means more positive.
    Returns a float in [0, 1]. Raises ValueError when y_true holds only one class.
    """
    # TODO
    raise NotImplementedError("roc_auc")


# %% [markdown]
# ## Run the checks

# %% [check]
