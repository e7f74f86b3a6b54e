"""TensorFlow twin of torch_3_sequential.py: `keras.Sequential` and `keras.optimizers.SGD`.

Dense(H, use_bias=False), ReLU, Dense(D_out, use_bias=False), kernels drawn from N(0, 1),
summed squared error, SGD with lr 1e-6. TensorFlow places tensors and variables on a GPU
by itself when one is visible, so the torch text's device mix-up (model.cuda() with the
data left on the CPU) cannot happen in this form.

Run: python examples/tf_3_sequential.py [--iterations 500] [--seed 0]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import tensorflow as tf


def train(iterations: int = 500, seed: int = 0, verbose: bool = True) -> list[float]:
    """Train as the course text does; return the loss at every iteration."""
    keras.utils.set_random_seed(seed)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = tf.random.normal((N, D_in))
    y = tf.random.normal((N, D_out))

    normal = keras.initializers.RandomNormal(stddev=1.0)  # like torch.nn.init.normal_
    model = keras.Sequential(
        [
            keras.Input((D_in,)),
            keras.layers.Dense(H, use_bias=False, kernel_initializer=normal),
            keras.layers.ReLU(),
            keras.layers.Dense(D_out, use_bias=False, kernel_initializer=normal),
        ]
    )
    optimizer = keras.optimizers.SGD(learning_rate=1e-6)

    def loss_fn(y_true, y_pred):  # summed squared error; keras's MeanSquaredError averages
        return tf.reduce_sum(tf.square(y_pred - y_true))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
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
