# %% [markdown]
# # Exercise `tensorflow`: the same two-layer net in TensorFlow
#
# The twin of exercise `torch`: a Keras model and a training loop with
# `tf.GradientTape`, which records the forward pass and gives the gradients:
#
#     h = x W1,  h_relu = max(h, 0),  y_pred = h_relu W2,  L = sum (y_pred - y)^2
#
# Keras's `Dense` keeps its kernel as (in, out), the transpose of PyTorch's weight: W1
# is (D_in, H), W2 is (H, D_out). No biases (`use_bias=False`). The checks build your
# model, give it the same weights as a numpy reference, compare the tape's gradients
# with the hand-derived ones, then train both with Adam and compare the losses. Last,
# they run one step of your `train` with `tf.keras.optimizers.Adam` swapped for plain SGD
# (so create the optimizer as `tf.keras.optimizers.Adam(...)`): the weights must move by
# exactly -lr * dL/dW, which catches a gradient applied twice that Adam's normalisation
# hides.

# %%
import tensorflow as tf


# %%
class TwoLayerNet(tf.keras.Model):
    """x (N, D_in) -> linear1 -> ReLU -> linear2 -> y_pred (N, D_out); no biases.

    Exactly two trainable variables: kernels (D_in, H) and (H, D_out).
    """

    def __init__(self, D_in, H, D_out):
        super().__init__()
        # TODO: self.linear1 = tf.keras.layers.Dense(H, use_bias=False); self.linear2 = ...
        raise NotImplementedError("TwoLayerNet.__init__")

    def call(self, x):
        # TODO
        raise NotImplementedError("TwoLayerNet.call")


def train(model, x, y, steps, lr):
    """Train `model` on the whole batch (x (N, D_in), y (N, D_out), float32 tensors).

    `steps` steps of tf.keras.optimizers.Adam(learning_rate=lr) on
    tf.reduce_sum(tf.square(model(x) - y)), the gradients from tf.GradientTape.
    Returns the list of the `steps` losses (floats), each taken before its step.
    """
    # TODO: with tf.GradientTape() as tape: ...; optimizer.apply_gradients(...)
    raise NotImplementedError("train")


# %% [markdown]
# ## Run the checks

# %% [check]
