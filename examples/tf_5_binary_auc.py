"""TensorFlow twin of torch_5_binary_auc.py: sigmoid + binary cross-entropy, AUC as it trains.

64 random inputs with random 0/1 labels, one sigmoid output, summed BCE, Adam 1e-4.
The training AUC climbs to 1.0 (memorised noise) while the AUC on a separate test set
stays near chance: the test AUC is computed on test_x, not on the training inputs
(the torch text's bug, see torch_5).

Run: python examples/tf_5_binary_auc.py [--iterations 2000] [--print-every 200]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import numpy as np
import tensorflow as tf

try:
    from fcnet.metrics import roc_auc
except ImportError:  # pragma: no cover
    from sklearn.metrics import roc_auc_score as roc_auc


def train(
    iterations: int = 2000, seed: int = 0, verbose: bool = True, print_every: int = 200
) -> list[float]:
    """Train as the course text does; return the loss at every iteration."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    N, D_in, H, D_out = 64, 1000, 100, 1
    x = tf.random.normal((N, D_in))
    y = tf.constant(rng.integers(0, 2, (N, D_out)), tf.float32)
    test_x = tf.random.normal((N, D_in))
    test_y = rng.integers(0, 2, (N, D_out))

    model = keras.Sequential(
        [
            keras.Input((D_in,)),
            keras.layers.Dense(H, use_bias=False, activation="relu"),
            keras.layers.Dense(D_out, use_bias=False, activation="sigmoid"),  # probabilities
        ]
    )
    # summed BCE; keras clips p to [1e-7, 1 - 1e-7] where torch clamps log(p) at -100
    loss_fn = keras.losses.BinaryCrossentropy(reduction="sum")
    optimizer = keras.optimizers.Adam(learning_rate=1e-4)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return loss

    def auc(inputs, labels) -> float:
        scores = model(inputs, training=False).numpy().ravel()
        return roc_auc(np.asarray(labels).ravel(), scores)

    losses = []
    for it in range(iterations):
        if verbose and (it % print_every == 0 or it == iterations - 1):
            loss_now = float(loss_fn(y, model(x, training=False)))
            print(it, loss_now)
            print(f"  auc train {auc(x, y):.3f} test {auc(test_x, test_y):.3f}")
        losses.append(float(step()))
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--print-every", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train(args.iterations, args.seed, print_every=args.print_every)


if __name__ == "__main__":
    main()
