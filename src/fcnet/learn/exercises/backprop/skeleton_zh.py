# %% [markdown]
# # 练习 `backprop`：亲手写全连接层的反向传播
#
# 课程（nndl 第 4 章）把一层写成 z^(l) = W^(l) a^(l-1) + b^(l)，a^(l) = f(z^(l))，
# 误差项 delta^(l) = dL/dz^(l)。反向传播于是给出
#
# - dL/dW^(l) = delta^(l) (a^(l-1))^T，  dL/db^(l) = delta^(l)，
# - delta^(l-1) = f'(z^(l-1)) * ((W^(l))^T delta^(l))   （误差往回传一层）。
#
# 这里和 fcnet、PyTorch 一样，一个小批量是 N 个样本按**行**堆叠：x 的形状为
# (N, in)，W 的形状为 (out, in)，b 的形状为 (out,)。公式于是写成：
#
# - z = x W^T + b                          (N, out)
# - dW = delta^T x                         (out, in)：N 个外积之和
# - db = delta 在小批量上求和               (out,)
# - dx = delta W                           (N, in)：dL/da^(l-1)，交给下面一层
#
# 损失是小批量上的平均值，1/N 已经包含在 delta（损失的梯度）里，所以
# dW 和 db 是求和。写出下面五个函数，然后运行这个文件（或
# `fcnet check backprop backprop.py`）。可以用循环：检查只看对不对。

# %%
import numpy as np


# %%
def linear_forward(x, W, b):
    """z = x W^T + b。

    x：(N, in) 输入，每行一个样本；W：(out, in)；b：(out,)。
    返回 z：(N, out)。
    """
    # TODO: 一行 numpy
    raise NotImplementedError("linear_forward")


def linear_backward(delta, x, W):
    """已知 delta = dL/dz，求损失经 z = x W^T + b 传回的梯度。

    delta：(N, out)；x：(N, in)，前向传播的输入；W：(out, in)。
    返回 (dW, db, dx)：dW (out, in) = delta^T x；db (out,) = delta 在小批量上求和；
    dx (N, in) = delta W。
    """
    # TODO
    raise NotImplementedError("linear_backward")


# %%
def relu_forward(z):
    """a = max(z, 0)，逐元素计算。z：任意形状；返回与 z 同形状的 a（不改动 z）。"""
    # TODO
    raise NotImplementedError("relu_forward")


def relu_backward(grad_a, z):
    """grad_z = grad_a * f'(z)，其中 f'(z) = 1[z > 0]（z = 0 处为 0，与 PyTorch 一致）。

    grad_a：dL/da，与 z 同形状；z：前向传播的输入。返回 grad_z。
    """
    # TODO
    raise NotImplementedError("relu_backward")


# %%
def softmax_cross_entropy(z, y):
    """softmax 与交叉熵一起算：logit z (N, C)，整数标签 y (N,)。

    loss = -(1/N) sum_n log softmax(z_n)[y_n]，一个 float（小批量上的平均）；
    delta = dL/dz = (softmax(z) - onehot(y)) / N，形状 (N, C)。
    logit 量级为 1000 时也要保持有限：每一行减去该行的最大值 m，并用数值稳定的
    log-softmax，即 log p = (z - m) - log sum_j exp(z_j - m)（log-sum-exp），不要用
    np.log(p)：某个 logit 远小于最大值时 p 会下溢为 0，而 log(0) = -inf。
    返回 (loss, delta)。
    """
    # TODO
    raise NotImplementedError("softmax_cross_entropy")


# %% [markdown]
# ## 一个算好的例子，带一次能运行的梯度检验
#
# 一个 sigmoid 单元：z = w · x + b，a = σ(z)，L = ½ (a - t)²。由链式法则，
# dL/dz = (a - t) σ'(z) = (a - t) a (1 - a)，于是 dL/dw = dL/dz · x，dL/db = dL/dz：
# 这和上面的 delta、dW、db 是同一个套路，只是只有一个单元、一个样本。取
# x = (0.05, 0.10)、w = (0.15, 0.20)、b = 0.35、目标 t = 0.01，手算：
# z = 0.0075 + 0.02 + 0.35 = 0.3775，a = σ(0.3775) = 0.593270，
# dL/dz = 0.583270 × 0.593270 × 0.406730 = 0.140743。下面的单元格算出同样的数，
# 并用有限差分检验 dL/dw 和 dL/db：先运行它，再改掉一个公式（比如去掉因子
# a (1 - a)），看检验如何指出错误。

# %%
from fcnet.learn import check_grad

x_ex = np.array([0.05, 0.10])
w_ex = np.array([0.15, 0.20])
b_ex = np.array([0.35])
t_ex = 0.01


def unit_loss():
    a = 1 / (1 + np.exp(-(w_ex @ x_ex + b_ex[0])))
    return 0.5 * (a - t_ex) ** 2


z_ex = w_ex @ x_ex + b_ex[0]  # 0.3775
a_ex = 1 / (1 + np.exp(-z_ex))  # 0.593270
dz_ex = (a_ex - t_ex) * a_ex * (1 - a_ex)  # 0.140743
print(f"z = {z_ex:.4f}, a = {a_ex:.6f}, L = {unit_loss():.6f}, dL/dz = {dz_ex:.6f}")
print(check_grad(unit_loss, {"w": w_ex, "b": b_ex}, {"w": dz_ex * x_ex, "b": np.array([dz_ex])}))


# %% [markdown]
# ## 自己检验梯度
#
# `fcnet.learn.check_grad(f, params, grads)` 用 float64 的中心差分
# (f(w + eps) - f(w - eps)) / (2 eps) 检验你的梯度，适用于你自己数组的
# 任何函数。例如，对 linear_backward 取 L = sum(G * z)：
#
# ```python
# from fcnet.learn import check_grad
# rng = np.random.default_rng(0)
# x, W, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 4)), rng.standard_normal(2)
# G = rng.standard_normal((3, 2))
# dW, db, dx = linear_backward(G, x, W)
# print(check_grad(lambda: (G * linear_forward(x, W, b)).sum(),
#                  {"W": W, "b": b, "x": x}, {"W": dW, "b": db, "x": dx}))
# ```
#
# 相对误差大于 1e-2 说明错了；小于 1e-7 说明对了（cs231n 的判断标准）。
#
# ## 运行检查

# %% [check]
