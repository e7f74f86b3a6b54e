"""Reference solution of `fit`: sin(2x) + x^2/4 on [-3, 3], 1-64-64-1 ReLU net, Adam;
train returns its (W, b) pairs."""

import numpy as np

from fcnet import nn

DOMAIN = (-3.0, 3.0)


def target(x):
    return np.sin(2 * x) + x**2 / 4


def train(x, y, steps=3000):
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(1, 64, rng=rng, dtype="float64"),
        nn.ReLU(),
        nn.Linear(64, 64, rng=rng, dtype="float64"),
        nn.ReLU(),
        nn.Linear(64, 1, rng=rng, dtype="float64"),
    )
    loss_fn = nn.MSELoss()
    opt = nn.Adam(model.parameters(), lr=3e-3)
    for _ in range(steps):
        batch = rng.integers(0, len(x), 128)
        loss_fn(model.forward(x[batch] / 3), y[batch])
        opt.zero_grad()
        model.backward(loss_fn.backward())
        opt.step()
    layers = [m for m in model.layers if isinstance(m, nn.Linear)]
    weights = [(m.weight.data.copy(), m.bias.data.copy()) for m in layers]
    W1, b1 = weights[0]
    weights[0] = (W1 / 3, b1)  # the net saw x / 3: fold the scale into the first layer
    return weights
