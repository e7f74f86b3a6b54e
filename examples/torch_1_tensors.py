"""Course text, PyTorch step 1: raw tensors, every gradient written by hand.

The two-layer ReLU network of numpy_two_layer.py, now on torch tensors (which can live on
a GPU): no biases, summed squared error, plain gradient descent with lr 1e-6.

    h = x w1, h_relu = max(h, 0), y_pred = h_relu w2,  loss = sum((y_pred - y)^2)

Run: python examples/torch_1_tensors.py [--iterations 500] [--seed 0]
"""

from __future__ import annotations

import argparse

import torch


def loss_and_gradients(
    x: torch.Tensor, y: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor
) -> tuple[float, torch.Tensor, torch.Tensor]:
    """The summed squared error and its gradients dL/dw1, dL/dw2, all by hand."""
    # forward pass
    h = x.mm(w1)  # (N, H)
    h_relu = h.clamp(min=0)  # ReLU
    y_pred = h_relu.mm(w2)  # (N, D_out)
    loss = (y_pred - y).pow(2).sum().item()

    # backward pass by hand: what autograd's loss.backward() would compute. (The text
    # calls it "loss.backforward()": there is no such method, see torch_3_sequential.py.)
    grad_y_pred = 2.0 * (y_pred - y)  # dL/dy_pred  (N, D_out)
    grad_w2 = h_relu.t().mm(grad_y_pred)  # dL/dw2  (H, D_out)
    grad_h_relu = grad_y_pred.mm(w2.t())  # dL/dh_relu  (N, H)
    grad_h = grad_h_relu.clone()
    grad_h[h < 0] = 0  # dL/dh = dL/dh_relu * relu'(h)
    # FIXED: the text has grad_w1 = x.t().mm(grad_h_relu). It masks grad_h and then
    # uses the unmasked grad_h_relu, so units whose ReLU was off (h < 0) still get a
    # gradient, as if ReLU were the identity: that is not dL/dw1. On this toy problem
    # the loss falls anyway (w2 alone can fit 64 random targets), which is how such a
    # bug survives; a gradient check, or torch_2's autograd, exposes it (the test of
    # this example compares with autograd). The chain rule needs grad_h.
    grad_w1 = x.t().mm(grad_h)  # dL/dw1  (D_in, H)
    return loss, grad_w1, grad_w2


def train(iterations: int = 500, seed: int = 0, verbose: bool = True) -> list[float]:
    """Train as the course text does; return the loss at every iteration."""
    torch.manual_seed(seed)
    N, D_in, H, D_out = 64, 1000, 100, 10  # batch size, input, hidden and output widths
    x = torch.randn(N, D_in)  # (N, D_in) random data, as in the text
    y = torch.randn(N, D_out)  # (N, D_out)
    w1 = torch.randn(D_in, H)  # (D_in, H)
    w2 = torch.randn(H, D_out)  # (H, D_out)
    learning_rate = 1e-6

    losses = []
    for it in range(iterations):
        loss, grad_w1, grad_w2 = loss_and_gradients(x, y, w1, w2)
        losses.append(loss)
        if verbose and (it % 50 == 0 or it == iterations - 1):
            print(it, loss)
        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train(args.iterations, args.seed)


if __name__ == "__main__":
    main()
