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
# 检查会在 DOMAIN 上均匀抽取 2,000 个训练点 x（用的是
# `fcnet.data.synthetic.function_samples`，你也可以用），
# y = target(x)，调用 `train`，再在另外 1,000 个点上给 `predict` 打分：
# 那里的均方误差最多只能是目标函数方差的 1%（R^2 >= 0.99）。

# %%

DOMAIN = (-3.0, 3.0)  # 抽取样本点的区间 (a, b)


# %%
def target(x):
    """你的函数。x：DOMAIN 中的点，形状 (N,) 的 float64 数组；返回 (N,) 个函数值。

    用 numpy（向量化）写，例如 np.sin(2 * x) + x**2 / 4。
    """
    # TODO
    raise NotImplementedError("target")


def train(x, y):
    """在 x (N, 1)、y (N, 1)（float64）上训练一个 ReLU 网络；返回训练好的模型
    （`predict` 能处理的任何对象）。必须在 120 秒内完成。"""
    # TODO
    raise NotImplementedError("train")


def predict(model, x):
    """模型在 x (M, 1) 处的预测值：形状为 (M, 1) 或 (M,) 的数组。"""
    # TODO
    raise NotImplementedError("predict")


# %% [markdown]
# ## 运行检查

# %% [check]
