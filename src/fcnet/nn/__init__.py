"""The numpy engine: fully-connected layers with hand-derived backpropagation.

Its shape follows PyTorch's on purpose (Linear with W of shape (out, in), Sequential with
torch's parameter names, losses then `.backward()`, torch.optim's update rules), so that
a learner moves between the two with ease. numpy only: nothing here imports torch or
tensorflow. This is the reference code: each backward is the formula of docs/backprop.md,
each optimiser's step its update rule. The speed (compiled kernels, gradients written in
place, thread choices) lives outside, in `fcnet._speed`, and gives the same bits.

Randomness: every layer that draws numbers (Linear's initialisation, Dropout's masks)
takes `rng=`, a `numpy.random.Generator`; pass the same Generator to all of them to seed
a whole model from one seed: `rng = np.random.default_rng(seed)`.
"""

from fcnet.nn.activations import ACTIVATIONS, Identity, LeakyReLU, ReLU, Sigmoid, Tanh, activation
from fcnet.nn.gradcheck import gradcheck
from fcnet.nn.init import INITS
from fcnet.nn.layers import Dropout, Linear
from fcnet.nn.losses import (
    LOSSES,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Loss,
    MSELoss,
    loss,
)
from fcnet.nn.module import Module
from fcnet.nn.optim import (
    OPTIMIZERS,
    SCHEDULES,
    SGD,
    Adam,
    AdamW,
    CosineWarmupLR,
    ExponentialLR,
    LRScheduler,
    Optimizer,
    RMSprop,
    StepLR,
    clip_grad_norm,
    make_schedule,
    optimizer,
)
from fcnet.nn.parameter import Parameter
from fcnet.nn.sequential import Sequential

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULES",
    "SGD",
    "Adam",
    "AdamW",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CosineWarmupLR",
    "CrossEntropyLoss",
    "Dropout",
    "ExponentialLR",
    "Identity",
    "LRScheduler",
    "LeakyReLU",
    "Linear",
    "Loss",
    "MSELoss",
    "Module",
    "Optimizer",
    "Parameter",
    "RMSprop",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "StepLR",
    "Tanh",
    "activation",
    "clip_grad_norm",
    "gradcheck",
    "loss",
    "make_schedule",
    "optimizer",
]
