# %% [markdown]
# # Exercise `fit`: a ReLU network fits a function of your choice
#
# The course's exercise 2: "a two-layer ReLU network can approximate any function;
# define a function yourself and fit it with a ReLU network". Choose a curved function
# on an interval (a straight line is too easy: the check refuses it), then write the
# training: any network and method you like, e.g. fcnet.nn, your `backprop` functions,
# PyTorch. A network with one or two hidden layers of 50-100 ReLUs, trained with Adam,
# does it: each ReLU adds a kink, and the kinks together follow the curve.
#
# The check first makes sure `target` is curved and finite on DOMAIN (use it for your own
# plots, e.g. with `fcnet.data.synthetic.function_samples`). Then it draws 2,000 training
# points x uniformly from DOMAIN, with y from a smooth curve of its own (drawn afresh for
# each check, so that nothing but fitting the points can pass), and calls `train(x, y)`.
# `train` returns the trained network itself, as numbers: the checker runs it on 1,000
# other points it keeps, and the mean squared error there must be at most 1% of the
# curve's variance (R^2 >= 0.99).
#
# (Changed for trusted checking: `train` returns the network's (W, b) pairs, and there is
# no `predict` any more; the checker computes the predictions.)

# %%
import numpy as np

DOMAIN = (-3.0, 3.0)  # the interval (a, b) the points are drawn from


# %%
def target(x):
    """Your function. x: (N,) float64 array of points in DOMAIN; returns (N,) values.

    Use numpy (vectorised), e.g. np.sin(2 * x) + x**2 / 4.
    """
    # TODO
    raise NotImplementedError("target")


def train(x, y):
    """Train a ReLU network on x (N, 1), y (N, 1) (float64); must finish within 120 s.

    Returns the trained network as a list of (W, b) numpy arrays, W of shape (out, in)
    and b of shape (out,), first layer in = 1, last layer out = 1; the checker computes
    a = relu(a W^T + b) for every layer but the last, and a W^T + b for the last. With
    fcnet.nn: [(m.weight.data, m.bias.data) for m in model.layers if isinstance(m,
    nn.Linear)]. If you scaled x (x / s) for training, return W1 / s as the first W.
    """
    # TODO
    raise NotImplementedError("train")


# %% [markdown]
# ## Run the checks

# %% [check]
