"""Reference solution of `backprop`: vectorised, fcnet's conventions (rows, W (out, in))."""

import numpy as np


def linear_forward(x, W, b):
    return x @ W.T + b  # (N, out)


def linear_backward(delta, x, W):
    dW = delta.T @ x  # (out, in)
    db = delta.sum(axis=0)  # (out,)
    dx = delta @ W  # (N, in)
    return dW, db, dx


def relu_forward(z):
    return np.maximum(z, 0)


def relu_backward(grad_a, z):
    return grad_a * (z > 0)


def softmax_cross_entropy(z, y):
    N = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(N), y].mean()
    delta = np.exp(log_p)
    delta[np.arange(N), y] -= 1
    return loss, delta / N
