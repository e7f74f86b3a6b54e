# %% [markdown]
# # 练习 `fit`：用 ReLU 网络拟合你自己选的函数
#
# 讲义的练习 2：“两层 ReLU 网络可以逼近任意函数；自己定义一个函数，
# 用 ReLU 网络去拟合它”。在一个区间上选一个弯曲的函数（直线太简单，
# 检查会拒绝），然后写出训练过程：网络和方法随你选，例如 fcnet.nn、
# 你自己的 `backprop` 函数、PyTorch。一两个隐藏层、每层 50-100 个
# ReLU、用 Adam 训练的网络就能做到：每个 ReLU 带来一个折点，
# 这些折点连起来就贴合了曲线。
#
# 检查先确认 `target` 在 DOMAIN 上是弯曲的、有限的（你可以用它画自己的图，
# 例如配合 `fcnet.data.synthetic.function_samples`）。然后在 DOMAIN 上均匀抽取
# 2,000 个训练点 x，y 来自检查程序自己的一条光滑曲线（每次检查重新抽取，
# 所以只有真正拟合这些点才能通过），再调用 `train(x, y)`。`train` 以数字的形式
# 返回训练好的网络本身：检查程序在它自己保留的另外 1,000 个点上运行这个网络，
# 那里的均方误差最多只能是曲线方差的 1%（R^2 >= 0.99）。
#
# （为了可信的检查而改动：`train` 返回网络的 (W, b) 对，不再有 `predict`；
# 预测值由检查程序计算。）

# %%
import numpy as np

DOMAIN = (-3.0, 3.0)  # 抽取样本点的区间 (a, b)


# %%
def target(x):
    """你的函数。x：DOMAIN 中的点，形状 (N,) 的 float64 数组；返回 (N,) 个函数值。

    用 numpy（向量化）写，例如 np.sin(2 * x) + x**2 / 4。
    """
    # TODO
    raise NotImplementedError("target")


def train(x, y):
    """在 x (N, 1)、y (N, 1)（float64）上训练一个 ReLU 网络；必须在 120 秒内完成。

    以 (W, b) numpy 数组对的列表返回训练好的网络：W 的形状为 (out, in)，b 的形状为
    (out,)，第一层 in = 1，最后一层 out = 1；检查程序对除最后一层外的每一层计算
    a = relu(a W^T + b)，最后一层计算 a W^T + b。用 fcnet.nn 时：
    [(m.weight.data, m.bias.data) for m in model.layers if isinstance(m, nn.Linear)]。
    如果训练时把 x 缩放成了 x / s，第一层请返回 W1 / s。
    """
    # TODO
    raise NotImplementedError("train")


# %% [markdown]
# ## 运行检查

# %% [check]
