"""TensorFlow twin of torch_4_module_adam.py: a `keras.Model` subclass, trained with Adam.

Layers are made in `__init__` and used in `call` (Keras's `forward`). Summed squared error,
Adam with lr 1e-4. Keras's Adam puts epsilon in a slightly different place than torch's
(docs/backends.md, row 1): with the default epsilon the difference is invisible here.

Run: python examples/tf_4_model_adam.py [--iterations 500] [--seed 0]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import tensorflow as tf


class TwoLayerNet(keras.Model):
    # The hidden width is an argument (the torch text's __init__ lacked it, see torch_4).
    def __init__(self, H: int, D_out: int) -> None:
        super().__init__()
        self.linear1 = keras.layers.Dense(H, use_bias=False)
        self.linear2 = keras.layers.Dense(D_out, use_bias=False)

    def call(self, x):
        return self.linear2(tf.nn.relu(self.linear1(x)))  # ReLU between the layers


def train(iterations: int = 500, seed: int = 0, verbose: bool = True) -> list[float]:
    """Train as the course text does; return the loss at every iteration."""
    keras.utils.set_random_seed(seed)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = tf.random.normal((N, D_in))
    y = tf.random.normal((N, D_out))

    model = TwoLayerNet(H, D_out)  # D_in is read from the first input, as Keras does
    optimizer = keras.optimizers.Adam(learning_rate=1e-4)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(model(x, training=True) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return loss

    losses = []
    for it in range(iterations):
        loss = float(step())
        losses.append(loss)
        if verbose and (it % 50 == 0 or it == iterations - 1):
            print(it, loss)
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train(args.iterations, args.seed)


if __name__ == "__main__":
    main()
