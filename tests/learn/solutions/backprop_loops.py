"""A correct `backprop` solution written with per-sample Python loops: it must pass too."""

import math

import numpy as np


def linear_forward(x, W, b):
    z = np.zeros((x.shape[0], W.shape[0]))
    for n in range(x.shape[0]):
        for o in range(W.shape[0]):
            z[n, o] = sum(W[o, i] * x[n, i] for i in range(W.shape[1])) + b[o]
    return z


def linear_backward(delta, x, W):
    dW = np.zeros(W.shape)
    db = np.zeros(W.shape[0])
    dx = np.zeros(x.shape)
    for n in range(x.shape[0]):
        dW += np.outer(delta[n], x[n])
        db += delta[n]
        dx[n] = W.T @ delta[n]
    return dW, db, dx


def relu_forward(z):
    a = z.copy()
    for index, value in np.ndenumerate(z):
        a[index] = value if value > 0 else 0.0
    return a


def relu_backward(grad_a, z):
    g = np.zeros(z.shape)
    for index, value in np.ndenumerate(z):
        if value > 0:
            g[index] = grad_a[index]
    return g


def softmax_cross_entropy(z, y):
    N, C = z.shape
    loss = 0.0
    delta = np.zeros(z.shape)
    for n in range(N):
        m = max(z[n])
        s = sum(math.exp(z[n, c] - m) for c in range(C))
        loss += -(z[n, y[n]] - m - math.log(s))
        for c in range(C):
            delta[n, c] = (math.exp(z[n, c] - m) / s - (c == y[n])) / N
    return loss / N, delta
