"""Course text, PyTorch step 4: an `nn.Module` subclass, trained with Adam.

A model more complex than a chain of layers is written as a class with its layers in
`__init__` and the computation in `forward`. Here it is the same two-layer network (torch's
default initialisation this time), summed squared error, Adam with lr 1e-4.

Run: python examples/torch_4_module_adam.py [--iterations 500] [--seed 0]
"""

from __future__ import annotations

import argparse

import torch
from torch import nn


class TwoLayerNet(nn.Module):
    # FIXED: the text defines __init__(self, D_in, D_out), reads H from a global, and is
    # then called as TwoLayerNet(D_in, H, D_out): a TypeError (3 arguments for 2). The
    # hidden width belongs in the signature.
    def __init__(self, D_in: int, H: int, D_out: int) -> None:
        super().__init__()
        self.linear1 = nn.Linear(D_in, H, bias=False)
        self.linear2 = nn.Linear(H, D_out, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # FIXED: the text writes self.linear2(self.linear(x.clamp(min=0))). There is no
        # self.linear (AttributeError: the layer is self.linear1), and the clamp is in the
        # wrong place: it would apply ReLU to the *input* and leave the hidden layer
        # linear, so the "network" would be one linear map. ReLU goes between the layers.
        return self.linear2(self.linear1(x).clamp(min=0))


def train(iterations: int = 500, seed: int = 0, verbose: bool = True) -> list[float]:
    """Train as the course text does; return the loss at every iteration."""
    torch.manual_seed(seed)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)

    model = TwoLayerNet(D_in, H, D_out)
    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

    losses = []
    for it in range(iterations):
        y_pred = model(x)  # model(x) calls model.forward(x) (and any hooks)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        if verbose and (it % 50 == 0 or it == iterations - 1):
            print(it, loss.item())
        optimizer.zero_grad()
        loss.backward()  # FIXED: the text again writes loss.backforward()
        optimizer.step()
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train(args.iterations, args.seed)


if __name__ == "__main__":
    main()
