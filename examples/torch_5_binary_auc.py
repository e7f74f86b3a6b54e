"""Course text, PyTorch step 5: binary classification, sigmoid + BCE, AUC as it trains.

64 random inputs with random 0/1 labels, the two-layer network with one sigmoid output,
summed binary cross-entropy, Adam with lr 1e-4. Every `--print-every` iterations it prints
the loss and the AUC on the training data and on a fresh test set.

The labels are random, so there is nothing to learn: the training AUC climbs to 1.0 (the
network memorises 64 points) while the test AUC stays near 0.5. That gap is what the
text's last two lines are meant to show; its bug hid it (see below).

Run: python examples/torch_5_binary_auc.py [--iterations 2000] [--print-every 200]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from torch import nn

try:  # fcnet's rank-based AUC; scikit-learn's gives the same number
    from fcnet.metrics import roc_auc
except ImportError:  # pragma: no cover - running the example without fcnet installed
    from sklearn.metrics import roc_auc_score as roc_auc


class TwoLayerNet(nn.Module):
    def __init__(self, D_in: int, H: int, D_out: int) -> None:  # FIXED: H passed in (step 4)
        super().__init__()
        self.linear1 = nn.Linear(D_in, H, bias=False)
        self.linear2 = nn.Linear(H, D_out, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.linear2(self.linear1(x).clamp(min=0)))  # probabilities


def _auc(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():  # no graph needed: simpler than .clone().detach().requires_grad_()
        scores = model(x).numpy().ravel()
    model.train()
    return roc_auc(y.numpy().ravel(), scores)


def train(
    iterations: int = 2000, seed: int = 0, verbose: bool = True, print_every: int = 200
) -> list[float]:
    """Train as the course text does; return the loss at every iteration."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    N, D_in, H, D_out = 64, 1000, 100, 1
    x = torch.randn(N, D_in)
    y = torch.tensor(rng.integers(0, 2, (N, D_out)), dtype=torch.float32)  # (N, 1) 0/1
    test_x = torch.randn(N, D_in)  # a test set the model never trains on
    test_y = torch.tensor(rng.integers(0, 2, (N, D_out)), dtype=torch.float32)

    model = TwoLayerNet(D_in, H, D_out)
    loss_fn = nn.BCELoss(reduction="sum")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

    losses = []
    for it in range(iterations):
        loss = loss_fn(model(x), y)
        losses.append(loss.item())
        if verbose and (it % print_every == 0 or it == iterations - 1):
            # FIXED: the text computes test_pred = model(x), the *training* inputs, so its
            # "test AUC" is the training AUC again and can never reveal overfitting. The
            # test AUC must score test_x against test_y.
            print(it, loss.item())
            print(f"  auc train {_auc(model, x, y):.3f} test {_auc(model, test_x, test_y):.3f}")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--print-every", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train(args.iterations, args.seed, print_every=args.print_every)


if __name__ == "__main__":
    main()
