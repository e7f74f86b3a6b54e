# %% [markdown]
# # Exercise `backprop`: a fully-connected layer's backward pass, by hand
#
# The course (nndl ch. 4) writes one layer as z^l = W^l a^{l-1} + b^l, a^l = f(z^l), and
# the error term delta^l = dL/dz^l. Backpropagation then gives
#
# - dL/dW^l = delta^l (a^{l-1})^T,   dL/db^l = delta^l,
# - delta^{l-1} = f'(z^{l-1}) * ((W^l)^T delta^l)   (the error goes back one layer).
#
# Here, as in fcnet and PyTorch, a batch is N samples stacked as **rows**: x has shape
# (N, in), W has shape (out, in), b has shape (out,). The formulas read:
#
# - z = x W^T + b                          (N, out)
# - dW = delta^T x                         (out, in): the sum of the N outer products
# - db = delta summed over the batch       (out,)
# - dx = delta W                           (N, in): dL/da^{l-1}, handed to the layer below
#
# With the loss a mean over the batch, the 1/N lives in delta (the loss's gradient), so
# dW and db are sums. Write the five functions below, then run this file (or
# `fcnet check backprop backprop.py`). Loops are allowed: the checks grade correctness.
# numpy only: while it is checked, your code cannot import PyTorch, TensorFlow, JAX,
# SciPy or fcnet's own layers (they would do it for you).

# %%
import numpy as np


# %%
def linear_forward(x, W, b):
    """z = x W^T + b.

    x: (N, in) inputs, one sample per row; W: (out, in); b: (out,).
    Returns z: (N, out).
    """
    # TODO: one line of numpy
    raise NotImplementedError("linear_forward")


def linear_backward(delta, x, W):
    """Gradients of the loss through z = x W^T + b, given delta = dL/dz.

    delta: (N, out); x: (N, in), the forward pass's input; W: (out, in).
    Returns (dW, db, dx): dW (out, in) = delta^T x; db (out,) = delta summed over the
    batch; dx (N, in) = delta W.
    """
    # TODO
    raise NotImplementedError("linear_backward")


# %%
def relu_forward(z):
    """a = max(z, 0), elementwise. z: any shape; returns a of z's shape (z unchanged)."""
    # TODO
    raise NotImplementedError("relu_forward")


def relu_backward(grad_a, z):
    """grad_z = grad_a * f'(z), with f'(z) = 1[z > 0] (0 at z = 0, as PyTorch).

    grad_a: dL/da, the shape of z; z: the forward pass's input. Returns grad_z.
    """
    # TODO
    raise NotImplementedError("relu_backward")


# %%
def softmax_cross_entropy(z, y):
    """Softmax and cross-entropy together, on logits z (N, C) and integer labels y (N,).

    loss = -(1/N) sum_n log softmax(z_n)[y_n], a float (the mean over the batch);
    delta = dL/dz = (softmax(z) - onehot(y)) / N, shape (N, C).
    Stay finite for logits of magnitude 1000: subtract each row's max m, and take the
    stable log-softmax, log p = (z - m) - log sum_j exp(z_j - m) (log-sum-exp), not
    np.log(p): p underflows to 0 for a logit far below the max, and log(0) = -inf.
    Returns (loss, delta).
    """
    # TODO
    raise NotImplementedError("softmax_cross_entropy")


# %% [markdown]
# ## A worked example, with a gradient check that runs
#
# One sigmoid unit: z = w · x + b, a = σ(z), L = ½ (a - t)². The chain rule gives
# dL/dz = (a - t) σ'(z) = (a - t) a (1 - a), then dL/dw = dL/dz · x and dL/db = dL/dz:
# the same pattern as delta, dW and db above, for one unit and one sample. With
# x = (0.05, 0.10), w = (0.15, 0.20), b = 0.35 and target t = 0.01, by hand:
# z = 0.0075 + 0.02 + 0.35 = 0.3775, a = σ(0.3775) = 0.593270,
# dL/dz = 0.583270 × 0.593270 × 0.406730 = 0.140743. The cell below computes the same
# and checks dL/dw and dL/db against finite differences: run it, then change a formula
# (drop the factor a (1 - a), say) and see the check call it wrong.

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
# ## Check your gradients yourself
#
# `fcnet.learn.check_grad(f, params, grads)` compares your gradients with centred finite
# differences (f(w + eps) - f(w - eps)) / (2 eps), in float64, for any function of your
# own arrays. For example, for linear_backward with L = sum(G * z):
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
# A relative error above 1e-2 means wrong; below 1e-7, right (cs231n's reading).
#
# ## Run the checks

# %% [check]
