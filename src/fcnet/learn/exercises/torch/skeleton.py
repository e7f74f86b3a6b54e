# %% [markdown]
# # Exercise `torch`: the two-layer net with PyTorch's autograd
#
# The course text's last PyTorch step defines `TwoLayerNet` as an `nn.Module` and trains
# it with `torch.optim.Adam`. Its code has three slips: `__init__(self, D_in, D_out)`
# forgets H, `forward` calls `self.linear` and puts the ReLU on the input
# (`x.clamp(min=0)`), and `loss.backforward()` is not a method. Write it right:
#
#     h = x W1^T,  h_relu = max(h, 0),  y_pred = h_relu W2^T,  L = sum (y_pred - y)^2
#
# with `Linear(D_in, H, bias=False)` (W1 of shape (H, D_in)) and `Linear(H, D_out,
# bias=False)`. The checks build your net, put the same weights in it as a numpy
# reference, compare autograd's gradients with the hand-derived ones (exercise
# `backprop`), then train both with Adam and compare the losses step by step. Last,
# they run one step of your `train` with `torch.optim.Adam` swapped for plain SGD (so
# create the optimizer as `torch.optim.Adam(...)`): the weights must move by exactly
# -lr * dL/dW, which catches a gradient added twice that Adam's normalisation hides.

# %%
import torch


# %%
class TwoLayerNet(torch.nn.Module):
    """x (N, D_in) -> linear1 -> ReLU -> linear2 -> y_pred (N, D_out); no biases.

    Keep exactly two parameters: linear1.weight (H, D_in) and linear2.weight (D_out, H).
    """

    def __init__(self, D_in, H, D_out):
        super().__init__()
        # TODO: self.linear1 = torch.nn.Linear(D_in, H, bias=False); self.linear2 = ...
        raise NotImplementedError("TwoLayerNet.__init__")

    def forward(self, x):
        # TODO
        raise NotImplementedError("TwoLayerNet.forward")


def train(model, x, y, steps, lr):
    """Train `model` on the whole batch (x (N, D_in), y (N, D_out), float32 tensors).

    `steps` steps of torch.optim.Adam(model.parameters(), lr=lr) on
    torch.nn.MSELoss(reduction="sum"). Returns the list of the `steps` losses (floats),
    each taken before its step.
    """
    # TODO: forward, loss, optimizer.zero_grad(), loss.backward(), optimizer.step()
    raise NotImplementedError("train")


# %% [markdown]
# ## Run the checks

# %% [check]
