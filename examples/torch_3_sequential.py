"""Course text, PyTorch step 3: `nn.Sequential` layers and `optim.SGD` do the bookkeeping.

Same network: Linear(D_in, H, bias=False), ReLU, Linear(H, D_out, bias=False), weights
drawn from N(0, 1) as before, summed squared error, SGD with lr 1e-6.

Run: python examples/torch_3_sequential.py [--iterations 500] [--seed 0] [--device cuda]
"""

from __future__ import annotations

import argparse

import torch
from torch import nn


def train(
    iterations: int = 500, seed: int = 0, verbose: bool = True, device: str = "cpu"
) -> list[float]:
    """Train as the course text does; return the loss at every iteration."""
    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no CUDA GPU here; use --device cpu")
    torch.manual_seed(seed)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)

    model = nn.Sequential(
        nn.Linear(D_in, H, bias=False),  # x w1 (torch stores w1 transposed: (H, D_in))
        nn.ReLU(),
        nn.Linear(H, D_out, bias=False),
    )
    nn.init.normal_(model[0].weight)  # N(0, 1), like torch.randn in steps 1 and 2
    nn.init.normal_(model[2].weight)

    # FIXED: the text calls model.cuda() and leaves x and y on the CPU, so the first
    # forward pass fails ("Expected all tensors to be on the same device"), and on a
    # machine without a GPU model.cuda() itself fails. Model and data must go to the
    # same device, chosen once.
    model = model.to(device)
    x, y = x.to(device), y.to(device)

    loss_fn = nn.MSELoss(reduction="sum")  # the text sums the squared errors
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)

    losses = []
    for it in range(iterations):
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        if verbose and (it % 50 == 0 or it == iterations - 1):
            print(it, loss.item())
        optimizer.zero_grad()  # backward() adds into .grad: clear it first
        # FIXED: the text writes loss.backforward(), which does not exist (AttributeError).
        loss.backward()
        optimizer.step()  # w -= lr * w.grad for every parameter
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    args = parser.parse_args()
    train(args.iterations, args.seed, device=args.device)


if __name__ == "__main__":
    main()
