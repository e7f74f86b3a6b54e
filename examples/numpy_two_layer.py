"""The course text's two-layer network in plain numpy, with its gradient corrected.

A fully-connected ReLU network with one hidden layer and no biases, trained on random
data to minimise the summed squared error with plain gradient descent:

    h = x w1, h_relu = max(h, 0), y_pred = h_relu w2,  loss = sum((y_pred - y)^2)

The text computes the first layer's gradient as

    grad_h = h_copy (h_copy[h < 0] = 0)  # that is relu(h), the *activation*, not a gradient
    grad_w1 = x.T.dot(grad_h.dot(grad_y_pred.dot(w2.T)))

which fails (grad_h and grad_y_pred.dot(w2.T) are both (64, 100) and do not multiply),
and in any case uses the ReLU's output where the chain rule needs the upstream gradient
masked by ReLU's derivative. (Its torch version has the mirror mistake: it masks grad_h
and then uses the unmasked grad_h_relu.) The chain rule gives, with f'(h) = 1[h > 0]:

    grad_h = (grad_y_pred @ w2.T) * (h > 0)
    grad_w1 = x.T @ grad_h

Run: python examples/numpy_two_layer.py [--iterations 500] [--seed 0]
"""

from __future__ import annotations

import argparse

import numpy as np


def train(iterations: int = 500, seed: int = 0, verbose: bool = True) -> list[float]:
    """Train as in the course text and return the loss at every iteration."""
    rng = np.random.default_rng(seed)
    N, D_in, H, D_out = 64, 1000, 100, 10  # batch size, input, hidden and output widths

    # random training data and the text's np.random.randn initialisation
    x = rng.standard_normal((N, D_in))  # (N, D_in)
    y = rng.standard_normal((N, D_out))  # (N, D_out)
    w1 = rng.standard_normal((D_in, H))  # (D_in, H)
    w2 = rng.standard_normal((H, D_out))  # (H, D_out)

    learning_rate = 1e-6
    losses = []
    for it in range(iterations):
        # forward pass
        h = x @ w1  # (N, H)
        h_relu = np.maximum(h, 0)  # (N, H)
        y_pred = h_relu @ w2  # (N, D_out)

        loss = float(np.square(y_pred - y).sum())  # summed squared error
        losses.append(loss)
        if verbose and (it % 50 == 0 or it == iterations - 1):
            print(it, loss)

        # backward pass: the chain rule, layer by layer
        grad_y_pred = 2.0 * (y_pred - y)  # (N, D_out)  dL/dy_pred
        grad_w2 = h_relu.T @ grad_y_pred  # (H, D_out)  dL/dw2 = h_relu^T dL/dy_pred
        grad_h_relu = grad_y_pred @ w2.T  # (N, H)      dL/dh_relu
        # the text's error was here: mask the *gradient* by ReLU's derivative 1[h > 0]
        grad_h = grad_h_relu * (h > 0)  # (N, H)      dL/dh = dL/dh_relu * f'(h)
        grad_w1 = x.T @ grad_h  # (D_in, H)   dL/dw1 = x^T dL/dh

        # gradient descent
        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
    return losses


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500, help="steps (default 500)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.iterations < 1:
        parser.error(f"--iterations: expected an int >= 1, got {args.iterations}")
    losses = train(args.iterations, args.seed)
    print(f"loss: {losses[0]:.4g} -> {losses[-1]:.4g}")


if __name__ == "__main__":
    main()
