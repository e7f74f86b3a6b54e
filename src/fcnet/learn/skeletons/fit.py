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
# The check draws 2,000 training points x uniformly from DOMAIN (with
# `fcnet.data.synthetic.function_samples`, which you can use too), y = target(x), calls
# `train`, then scores `predict` on 1,000 other points: the mean squared error there must
# be at most 1% of the target's variance (R^2 >= 0.99).

# %%

DOMAIN = (-3.0, 3.0)  # the interval (a, b) the points are drawn from


# %%
def target(x):
    """Your function. x: (N,) float64 array of points in DOMAIN; returns (N,) values.

    Use numpy (vectorised), e.g. np.sin(2 * x) + x**2 / 4.
    """
    # TODO
    raise NotImplementedError("target")


def train(x, y):
    """Train a ReLU network on x (N, 1), y (N, 1) (float64); return the trained model
    (any object that `predict` understands). Must finish within 120 s."""
    # TODO
    raise NotImplementedError("train")


def predict(model, x):
    """The model's predictions at x (M, 1): an array of shape (M, 1) or (M,)."""
    # TODO
    raise NotImplementedError("predict")


# %% [markdown]
# ## Run the checks

# %% [check]
