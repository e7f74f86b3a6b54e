"""Reference solution of `fit`: sin(2x) + x^2/4 on [-3, 3], 1-64-64-1 ReLU net, Adam."""

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
    return model


def predict(model, x):
    return model.forward(x / 3)
