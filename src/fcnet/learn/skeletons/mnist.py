# %% [markdown]
# # Exercise `mnist`: your classifier, 97% on the test set
#
# The course's exercise 3 ends in a classifier. Write `train` and `predict`: any design
# (your `backprop` functions, fcnet.nn, PyTorch...). The check loads MNIST with
# `fcnet.data.load_mnist("train")` (60,000 images, x of shape (N, 784), float32 in
# [0, 1]; y of shape (N,), int64 digits), calls `train(x, y)`, then `predict` on the
# 10,000 test images, which your code never sees: at least 97% must be right.
# `train` has 600 s (a few epochs of a 784-256-10 ReLU net with softmax cross-entropy
# and Adam on minibatches of 100 take well under a minute in numpy, and reach 97-98%).
#
# Try things on the data yourself:
#
# ```python
# from fcnet.data import load_mnist
# x, y = load_mnist("train")       # (60000, 784) float32, (60000,) int64
# xt, yt = load_mnist("test")
# ```

# %%


# %%
def train(x_train, y_train):
    """Train a classifier on x_train (N, 784) float32 in [0, 1] and y_train (N,) int64
    digits 0-9; return the model (any object `predict` understands)."""
    # TODO
    raise NotImplementedError("train")


def predict(model, x):
    """Digits for x (M, 784): an int array (M,), or scores (M, 10) (their argmax is taken)."""
    # TODO
    raise NotImplementedError("predict")


# %% [markdown]
# ## Run the checks

# %% [check]
