"""TensorFlow twin of torch_1_tensors.py: raw tensors, every gradient written by hand.

The same two-layer ReLU network (no biases, summed squared error, gradient descent with
lr 1e-6) on TensorFlow tensors. Tensors are immutable, so the weights are tf.Variables
updated with assign_sub.

Run: python examples/tf_1_tensors.py [--iterations 500] [--seed 0]
"""

from __future__ import annotations

import argparse
import os

# Quiet TensorFlow's start-up notices; set before the import to have any effect.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # also silences the oneDNN notice

import tensorflow as tf


def train(iterations: int = 500, seed: int = 0, verbose: bool = True) -> list[float]:
    """Train as the course text does; return the loss at every iteration."""
    tf.random.set_seed(seed)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = tf.random.normal((N, D_in))
    y = tf.random.normal((N, D_out))
    w1 = tf.Variable(tf.random.normal((D_in, H)))
    w2 = tf.Variable(tf.random.normal((H, D_out)))
    learning_rate = 1e-6

    losses = []
    for it in range(iterations):
        h = x @ w1  # (N, H)
        h_relu = tf.maximum(h, 0.0)
        y_pred = h_relu @ w2  # (N, D_out)
        loss = float(tf.reduce_sum(tf.square(y_pred - y)))
        losses.append(loss)
        if verbose and (it % 50 == 0 or it == iterations - 1):
            print(it, loss)

        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = tf.transpose(h_relu) @ grad_y_pred
        grad_h_relu = grad_y_pred @ tf.transpose(w2)
        grad_h = tf.where(h < 0, 0.0, grad_h_relu)  # relu'(h) masks the upstream gradient
        # The torch text's bug (x.T @ grad_h_relu) would skip that mask: see torch_1.
        grad_w1 = tf.transpose(x) @ grad_h

        w1.assign_sub(learning_rate * grad_w1)
        w2.assign_sub(learning_rate * grad_w2)
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train(args.iterations, args.seed)


if __name__ == "__main__":
    main()
