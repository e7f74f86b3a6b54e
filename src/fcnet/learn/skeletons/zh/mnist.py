# %% [markdown]
# # 练习 `mnist`：你自己的分类器，测试集准确率 97%
#
# 讲义的练习 3 最后是一个分类器。写出 `train` 和 `predict`：怎么设计都行
# （你的 `backprop` 函数、fcnet.nn、PyTorch……）。检查用
# `fcnet.data.load_mnist("train")` 加载 MNIST（60,000 张图像，x 的形状为
# (N, 784)，取值在 [0, 1] 的 float32；y 的形状为 (N,)，int64 数字），
# 调用 `train(x, y)`，再在你的代码从没见过的 10,000 张测试图像上调用
# `predict`：至少要对 97%。`train` 有 600 秒（784-256-10 的 ReLU 网络，
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


# %%
def train(x_train, y_train):
    """在 x_train (N, 784)（取值在 [0, 1] 的 float32）和 y_train (N,)（int64 数字 0-9）
    上训练一个分类器；返回模型（`predict` 能处理的任何对象）。"""
    # TODO
    raise NotImplementedError("train")


def predict(model, x):
    """x (M, 784) 的数字：int 数组 (M,)，或得分 (M, 10)（取 argmax）。"""
    # TODO
    raise NotImplementedError("predict")


# %% [markdown]
# ## 运行检查

# %% [check]
