"""TensorFlow twin of torch_2_autograd.py: tf.GradientTape computes the gradients.

The tape records the forward pass of the variables it watches; tape.gradient returns
fresh gradients, so unlike torch there is no .grad to zero (the bug of the torch text,
w1.grad.zero(), has no counterpart here).

Run: python examples/tf_2_gradient_tape.py [--iterations 500] [--seed 0]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import tensorflow as tf


def train(iterations: int = 500, seed: int = 0, verbose: bool = True) -> list[float]:
    """Train as the course text does; return the loss at every iteration."""
    tf.random.set_seed(seed)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = tf.random.normal((N, D_in))
    y = tf.random.normal((N, D_out))
    w1 = tf.Variable(tf.random.normal((D_in, H)))  # variables are watched automatically
    w2 = tf.Variable(tf.random.normal((H, D_out)))
    learning_rate = 1e-6

    @tf.function  # traced once into a graph: the step then runs without Python overhead
    def step():
        with tf.GradientTape() as tape:
            y_pred = tf.maximum(x @ w1, 0.0) @ w2
            loss = tf.reduce_sum(tf.square(y_pred - y))
        grad_w1, grad_w2 = tape.gradient(loss, [w1, w2])
        w1.assign_sub(learning_rate * grad_w1)
        w2.assign_sub(learning_rate * grad_w2)
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
