"""Course text, PyTorch step 2: autograd computes the gradients.

Same network and data as step 1; `requires_grad=True` makes torch record the forward
pass, and `loss.backward()` fills `w1.grad` and `w2.grad`.

Run: python examples/torch_2_autograd.py [--iterations 500] [--seed 0]
"""

from __future__ import annotations

import argparse

import torch


def train(iterations: int = 500, seed: int = 0, verbose: bool = True) -> list[float]:
    """Train as the course text does; return the loss at every iteration."""
    torch.manual_seed(seed)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)
    w1 = torch.randn(D_in, H, requires_grad=True)  # autograd tracks these two
    w2 = torch.randn(H, D_out, requires_grad=True)
    learning_rate = 1e-6

    losses = []
    for it in range(iterations):
        y_pred = x.mm(w1).clamp(min=0).mm(w2)  # forward: x w1, ReLU, w2
        loss = (y_pred - y).pow(2).sum()  # a scalar at the end of the graph
        losses.append(loss.item())
        if verbose and (it % 50 == 0 or it == iterations - 1):
            print(it, loss.item())

        loss.backward()  # dloss/dw1 -> w1.grad, dloss/dw2 -> w2.grad

        with torch.no_grad():  # the update itself must not be recorded in the graph
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            # FIXED: the text calls w1.grad.zero(); tensors have no zero() method (an
            # AttributeError on the first iteration). The in-place zero_() is meant, and it
            # matters: backward() *adds* into .grad, so without zeroing every step would use
            # the sum of all gradients so far and the descent would overshoot and diverge.
            w1.grad.zero_()
            w2.grad.zero_()
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train(args.iterations, args.seed)


if __name__ == "__main__":
    main()
