"""Reference solution of `mnist`: 784-256-10 with fcnet.nn, Adam, minibatches of 100;
train returns its (W, b) pairs."""

import numpy as np

from fcnet import nn


def train(x_train, y_train, epochs=4):
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(784, 256, rng=rng), nn.ReLU(), nn.Linear(256, 10, rng=rng))
    loss_fn = nn.CrossEntropyLoss()
    opt = nn.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        order = rng.permutation(len(x_train))
        for i in range(0, len(order), 100):
            batch = order[i : i + 100]
            loss_fn(model.forward(x_train[batch]), y_train[batch])
            opt.zero_grad()
            model.backward(loss_fn.backward())
            opt.step()
    return [(m.weight.data, m.bias.data) for m in model.layers if isinstance(m, nn.Linear)]
