# %% [markdown]
# # 练习 `auc`：ROC 曲线下面积
#
# 讲义用 scikit-learn 的 `roc_auc_score` 计算 AUC。这次你自己来写。
# AUC 是随机取一个正类样本、其得分高于随机取的一个负类样本的概率：
# 在全部 P * N 个（正类，负类）样本对中，顺序对的记 1，得分相同的记 1/2，
# 再除以 P * N。逐对计数的代价是 O(P N)；用秩（排一次序）则是
# O(n log n)：
#
#     AUC = (正类样本的秩之和 - P (P + 1) / 2) / (P N)
#
# 其中得分相同的样本取它们的平均秩。检查会与 scikit-learn 比较
# （误差在 1e-12 以内，有无并列都测），要求只有一个类别时抛出
# ValueError，并对 10^6 个得分计时（一秒以内）。

# %%
import numpy as np


# %%
def roc_auc(y_true, scores):
    """ROC 曲线下面积。

    y_true：(n,) 标签，0/1（或 bool）；scores：(n,) 浮点数，越高越可能是正类。
    返回 [0, 1] 中的一个 float。y_true 只有一个类别时抛出 ValueError。
    """
    # TODO
    raise NotImplementedError("roc_auc")


# %% [markdown]
# ## 运行检查

# %% [check]
