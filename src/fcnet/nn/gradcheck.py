"""`gradcheck`: the engine's backpropagation against central differences, in float64
(`fcnet gradcheck`). The differences and error measures are `fcnet.numdiff`'s, the one
finite-difference core that `fcnet backprop` and the learner's `check_grad` use too."""

from __future__ import annotations

import copy

import numpy as np

from fcnet.nn.layers import Dropout
from fcnet.nn.losses import Loss
from fcnet.nn.sequential import Sequential
from fcnet.numdiff import central_difference, relative_error


def gradcheck(
    model: Sequential, loss_fn: Loss, x: np.ndarray, y: np.ndarray, eps: float = 1e-5
) -> dict[str, float]:
    """Largest relative error (see `relative_error`) between backprop's gradient and
    the central difference (L(w + eps) - L(w - eps)) / (2 eps), per parameter and for the
    input x (key "input").

    eps = 1e-5 is near the best step for central differences in float64, (3 * 2^-52)^(1/3):
    the truncation error grows as eps^2 and the rounding error as 2^-52 / eps.

    Works on a float64 copy of `model` (the model itself is left alone). Dropout masks
    are frozen by replaying each Dropout generator's state before every forward pass.
    Returns {"0.weight": err, "0.bias": err, ..., "input": err}.
    """
    model = copy.deepcopy(model).astype(np.float64)
    x = np.array(x, dtype=np.float64)
    y = np.array(y) if np.asarray(y).dtype.kind in "iu" else np.array(y, dtype=np.float64)
    rngs = {id(m.rng): m.rng for m in model.layers if isinstance(m, Dropout)}.values()
    states = [(rng, copy.deepcopy(rng.bit_generator.state)) for rng in rngs]

    def loss_at(inp: np.ndarray) -> float:
        for rng, state in states:
            rng.bit_generator.state = copy.deepcopy(state)
        return loss_fn(model.forward(inp), y)

    loss_at(x)
    model.zero_grad()
    dx = model.backward(loss_fn.backward())  # (N, in)
    analytic = {name: p.grad.copy() for name, p in model.named_parameters()}
    errors = {}
    for name, p in model.named_parameters():
        numeric = central_difference(lambda: loss_at(x), p.data, eps)
        errors[name] = relative_error(analytic[name], numeric.reshape(p.data.shape))
    numeric_dx = central_difference(lambda: loss_at(x), x, eps).reshape(x.shape)
    errors["input"] = relative_error(dx, numeric_dx)
    return errors


def grid_case(
    activation: str, loss: str, bias: bool, batch: int, depth: int, seed: int = 0
) -> tuple[Sequential, Loss, np.ndarray, np.ndarray]:
    """A small float64 network, loss and batch for one point of the gradcheck grid:
    `depth` hidden layers (Linear + activation) of widths 4, 5, 4 on 3 inputs, a Linear to 3
    outputs (then Sigmoid for "bce", its input scaled down); He initialisation for the
    ReLUs, Xavier for the others, so that no output saturates; biases drawn in [-0.5, 0.5]
    (zero biases put z = 0 exactly on ReLU's kink whenever a whole layer is zero for a
    sample)."""
    from fcnet.nn.activations import Sigmoid
    from fcnet.nn.activations import activation as make_activation
    from fcnet.nn.layers import Linear
    from fcnet.nn.losses import loss as make_loss
    from fcnet.nn.module import Module

    rng = np.random.default_rng([seed, depth, batch, int(bias), len(activation), len(loss)])
    widths = [3, *[4, 5, 4][:depth], 3]
    init = "he_normal" if activation in ("relu", "leaky_relu") else "xavier_normal"
    layers: list[Module] = []
    for i in range(len(widths) - 1):
        layers.append(Linear(widths[i], widths[i + 1], bias, init, rng=rng, dtype="float64"))
        if i < len(widths) - 2:
            layers.append(make_activation(activation))
    if loss == "bce":
        layers.append(Sigmoid())
    model = Sequential(*layers)
    for name, p in model.named_parameters():
        if name.endswith("bias"):
            p.data[:] = rng.uniform(-0.5, 0.5, p.data.shape)
    if loss == "bce":
        # BCELoss on probabilities is ill-conditioned where the sigmoid saturates (1 - p
        # loses its digits to cancellation): keep the outputs away from 0 and 1.
        last = layers[-2]
        for p in last.parameters():
            p.data *= 0.25
    x = rng.standard_normal((batch, 3))
    y: np.ndarray
    if loss == "cross_entropy":
        y = rng.integers(0, 3, batch)
    elif loss in ("bce", "bce_with_logits"):
        y = rng.random((batch, 3))
    else:
        y = rng.standard_normal((batch, 3))
    return model, make_loss(loss), x, y
