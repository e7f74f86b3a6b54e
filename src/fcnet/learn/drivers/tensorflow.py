"""Child-side drivers of exercise `tensorflow` (as `fcnet.learn.drivers.torch`):
build the learner's Keras model, set the checker's weights, run the tape or one step of
their `train`. Weights cross in PyTorch's layout, W1 (H, D_in), W2 (D_out, H); Keras's kernels are
their transposes.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _tf():
    from fcnet.learn import import_library

    return import_library("tensorflow")


def _model(ns: dict[str, Any], sizes: list[int], dtype: str = "float32"):
    tf = _tf()
    tf.keras.config.set_dtype_policy(dtype)
    try:
        tf.keras.utils.set_random_seed(0)
        model = ns["TwoLayerNet"](*sizes)
        if isinstance(model, tf.keras.Model):
            model(tf.zeros((1, sizes[0]), dtype=dtype))  # builds the variables
    finally:
        tf.keras.config.set_dtype_policy("float32")
    return model


def build(ns: dict[str, Any], sizes: list[int], x: np.ndarray) -> dict[str, Any]:
    """What TwoLayerNet(*sizes) is: its type, whether a keras Model, its trainable
    variables' shapes in PyTorch's layout, and model(x)."""
    tf = _tf()
    model = _model(ns, sizes)
    info: dict[str, Any] = {"type": type(model).__name__}
    info["module"] = isinstance(model, tf.keras.Model)
    if not info["module"]:
        return info
    info["params"] = {
        f"{v.name}#{i}": list(v.shape)[::-1] for i, v in enumerate(model.trainable_variables)
    }
    out = model(tf.constant(x.astype(np.float32)))
    info["out"] = np.asarray(out) if hasattr(out, "shape") else type(out).__name__
    return info


def _set(model, W1: np.ndarray, W2: np.ndarray) -> dict[int, str]:
    which = {}
    for i, v in enumerate(model.trainable_variables):
        w, which[i] = (W1, "W1") if tuple(v.shape) == W1.T.shape else (W2, "W2")
        v.assign(w.T.astype(np.dtype(getattr(v.dtype, "name", v.dtype))))
    return which


def gradients(ns, sizes, W1, W2, x, y) -> dict[str, Any]:
    """model(x) and the tape's dL/dW for L = sum((model(x) - y)^2), in float64."""
    tf = _tf()
    model = _model(ns, sizes, "float64")
    which = _set(model, W1, W2)
    variables = list(model.trainable_variables)
    with tf.GradientTape() as tape:
        y_pred = model(tf.constant(x))
        loss = tf.reduce_sum(tf.square(y_pred - tf.constant(y)))
    grads = tape.gradient(loss, variables)
    return {
        "y_pred": np.asarray(y_pred),
        "grads": {which[i]: None if g is None else np.asarray(g).T for i, g in enumerate(grads)},
        "names": {which[i]: v.name for i, v in enumerate(variables)},
    }


def train_losses(ns, sizes, W1, W2, x, y, steps: int, lr: float):
    """The learner's train(model, x, y, steps, lr) from W1, W2 (float32): its losses."""
    tf = _tf()
    model = _model(ns, sizes)
    _set(model, W1, W2)
    return ns["train"](model, tf.constant(x), tf.constant(y), steps, lr)


def sgd_step(ns, sizes, W1, W2, x, y, lr: float) -> dict[str, np.ndarray]:
    """One step of the learner's own train, its Adam replaced by plain SGD (same lr)."""
    tf = _tf()
    model = _model(ns, sizes)
    which = _set(model, W1, W2)
    adam = tf.keras.optimizers.Adam

    def sgd(learning_rate=1e-3, **_kw):
        return tf.keras.optimizers.SGD(learning_rate=learning_rate)

    patched = [k for k, v in ns.items() if v is adam]
    tf.keras.optimizers.Adam = sgd
    for k in patched:
        ns[k] = sgd
    try:
        ns["train"](model, tf.constant(x), tf.constant(y), 1, lr)
    finally:
        tf.keras.optimizers.Adam = adam
        for k in patched:
            ns[k] = adam
    return {which[i]: np.asarray(v).T.copy() for i, v in enumerate(model.trainable_variables)}
