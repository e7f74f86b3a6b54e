# %% [markdown]
# # 练习 `mnist`：你自己的分类器，测试集准确率 97%
#
# 讲义的练习 3 最后是一个分类器。写出 `train`：用什么方法训练一个 ReLU 网络都行
# （你的 `backprop` 函数、fcnet.nn、PyTorch……）。检查程序像
# `fcnet.data.load_mnist("train")` 那样加载 MNIST（60,000 张图像，x 的形状为
# (N, 784)，取值在 [0, 1] 的 float32；y 的形状为 (N,)，int64 数字），用它们调用
# `train(x, y)`，再自己在 10,000 张测试图像上运行 `train` 返回的网络：你的代码
# 看不到这些图像（检查期间它读不了数据文件夹），至少要对 97%。
#
# （为了可信的检查而改动：`train` 返回网络的 (W, b) 对，不再有 `predict`；
# 预测值由检查程序计算。）`train` 有 600 秒（784-256-10 的 ReLU 网络，
# softmax 交叉熵损失，Adam，小批量大小 100，训练几轮，用 numpy
# 不到一分钟就能达到 97-98%）。
#
# 先自己动手看看数据：
#
# ```python
# from fcnet.data import load_mnist
# x, y = load_mnist("train")       # (60000, 784) float32, (60000,) int64
# xt, yt = load_mnist("test")
# ```

# %%
import numpy as np


# %%
def train(x_train, y_train):
    """在 x_train (N, 784)（取值在 [0, 1] 的 float32）和 y_train (N,)（int64 数字 0-9）
    上训练一个 ReLU 网络。

    以 (W, b) numpy 数组对的列表返回网络：W 的形状为 (out, in)，b 的形状为 (out,)，
    第一层输入 784，最后一层输出 10 个得分；检查程序对除最后一层外的每一层计算
    a = relu(a W^T + b)，最后一层计算 a W^T + b，再取 argmax。用 fcnet.nn 时：
    [(m.weight.data, m.bias.data) for m in model.layers if isinstance(m, nn.Linear)]。
    """
    # TODO
    raise NotImplementedError("train")


# %% [markdown]
# ## 运行检查

# %% [check]
