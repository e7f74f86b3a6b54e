"""Exercise `tensorflow`: the two-layer net as a Keras model, trained with GradientTape + Adam.

Contract (see the skeleton): `TwoLayerNet(D_in, H, D_out)`, a `tf.keras.Model` with two
bias-free Dense layers (kernels (D_in, H) and (H, D_out): Keras keeps W^T), call
x -> linear2(relu(linear1(x))); `train(model, x, y, steps, lr) -> list of losses`,
GradientTape and tf.keras.optimizers.Adam on sum((y_pred - y)^2) over the whole batch.
"""

from __future__ import annotations

import numpy as np

from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.core import Check, CheckFailed, Exercise, Student
from fcnet.learn.exercises import _twolayer as ref
from fcnet.learn.exercises._util import array, max_error

_FORWARD = N_("y_pred = linear2(relu(linear1(x))): the ReLU sits between the two layers")


def _lib():
    """tensorflow, imported when a check runs (never by `fcnet check`'s parent process), and
    even where a learner's tensorflow.py lies in the current folder."""
    from fcnet.learn import import_library

    return import_library("tensorflow")


def _build(student: Student, D_in: int, H: int, D_out: int, dtype: str = "float32"):
    tf = _lib()
    tf.keras.config.set_dtype_policy(dtype)  # the layers' variables and computations
    try:
        tf.keras.utils.set_random_seed(0)
        model = student.call("TwoLayerNet", D_in, H, D_out)
        if not isinstance(model, tf.keras.Model):
            raise CheckFailed(
                _("TwoLayerNet(...) is a {type}, expected a tf.keras.Model").format(
                    type=type(model).__name__
                )
            )
        x = tf.zeros((1, D_in), dtype=dtype)
        student.guard("TwoLayerNet.call", lambda: model(x))  # builds the variables
    finally:
        tf.keras.config.set_dtype_policy("float32")
    variables = list(model.trainable_variables)
    shapes = [tuple(v.shape) for v in variables]
    if sorted(shapes) != sorted([(D_in, H), (H, D_out)]):
        raise CheckFailed(
            _(
                "TwoLayerNet({D_in}, {H}, {D_out}) has trainable variables of shapes {shapes}; "
                "expected two kernels, {d_in_h} and {h_d_out}: Dense(H, use_bias=False) and "
                "Dense(D_out, use_bias=False)"
            ).format(
                D_in=D_in, H=H, D_out=D_out, shapes=shapes, d_in_h=(D_in, H), h_d_out=(H, D_out)
            )
        )
    return model, variables


def _set(variables, W1, W2):
    for v in variables:
        v.assign(W1.T if tuple(v.shape) == W1.T.shape else W2.T)


def check_builds(student: Student) -> str:
    tf = _lib()
    D_in, H, D_out = ref.SIZES
    model, _params = _build(student, D_in, H, D_out)
    out = student.guard("TwoLayerNet.call", lambda: model(tf.random.normal((4, D_in))))
    shape = tuple(out.shape) if hasattr(out, "shape") else type(out).__name__
    if shape != (4, D_out):
        raise CheckFailed(
            _("model(x) for x of shape (4, {D_in}) gives {shape}, expected (4, {D_out})").format(
                D_in=D_in, shape=shape, D_out=D_out
            )
        )
    return _("TwoLayerNet{SIZES}: kernels {d_in_h} and {h_d_out}, output (N, {D_out})").format(
        SIZES=ref.SIZES, d_in_h=(D_in, H), h_d_out=(H, D_out), D_out=D_out
    )


def check_gradients(student: Student) -> str:
    tf = _lib()
    D_in, H, D_out = ref.SIZES
    model, variables = _build(student, D_in, H, D_out, "float64")
    W1, W2 = ref.weights(D_in, H, D_out)
    _set(variables, W1, W2)
    x, y = ref.data(6, D_in, D_out)
    y_pred_ref, _loss, gW1, gW2 = ref.forward_and_grads(x, y, W1, W2)

    def run():
        with tf.GradientTape() as tape:
            y_pred = model(tf.constant(x))
            loss = tf.reduce_sum(tf.square(y_pred - tf.constant(y)))
        return y_pred.numpy(), tape.gradient(loss, variables)

    y_pred, grads = student.guard("TwoLayerNet.call", run)
    y_pred = array(y_pred, "model(x)", y_pred_ref.shape)
    if not np.allclose(y_pred, y_pred_ref, rtol=1e-10, atol=1e-12):
        if np.allclose(y_pred, np.maximum(x, 0) @ W1.T @ W2.T):
            raise CheckFailed(
                _("the ReLU is applied to the input x, not the hidden layer: {forward}").format(
                    forward=_(_FORWARD)
                )
            )
        if np.allclose(y_pred, x @ W1.T @ W2.T):
            raise CheckFailed(_("call has no ReLU: {forward}").format(forward=_(_FORWARD)))
        err, i = max_error(y_pred, y_pred_ref)
        raise CheckFailed(
            _("model(x) differs from the reference by {err:.1e} at {i}: {forward}").format(
                err=err, i=i, forward=_(_FORWARD)
            )
        )
    for v, g in zip(variables, grads, strict=True):
        want = gW1.T if tuple(v.shape) == W1.T.shape else gW2.T
        what = "dL/dW1" if tuple(v.shape) == W1.T.shape else "dL/dW2"
        if g is None:
            raise CheckFailed(
                _("{name} gets no gradient from the tape: is it used in call?").format(name=v.name)
            )
        if not np.allclose(g.numpy(), want, rtol=1e-10, atol=1e-12):
            err, i = max_error(g.numpy(), want)
            raise CheckFailed(
                _("{what} ({name}) differs from the numpy reference by {err:.1e} at {i}").format(
                    what=what, name=v.name, err=err, i=i
                )
            )
    return _("forward and the tape's dL/dW1, dL/dW2 equal the numpy reference (float64)")


def check_training(student: Student) -> str:
    tf = _lib()
    N, D_in, H, D_out = ref.TRAIN_SIZES
    model, variables = _build(student, D_in, H, D_out)
    W1, W2 = (w.astype(np.float32) for w in ref.weights(D_in, H, D_out))
    _set(variables, W1, W2)
    x, y = (a.astype(np.float32) for a in ref.data(N, D_in, D_out))
    curve = ref.adam_curve(x, y, W1, W2, steps=ref.TRAIN_STEPS, lr=ref.TRAIN_LR, eps=1e-7)
    losses = student.call(
        "train", model, tf.constant(x), tf.constant(y), ref.TRAIN_STEPS, ref.TRAIN_LR
    )
    return ref.compare_curves(
        losses,
        curve,
        N_(
            "use tf.keras.optimizers.Adam(learning_rate=lr), the loss computed inside "
            "tf.GradientTape(), then "
            "optimizer.apply_gradients(zip(grads, model.trainable_variables))"
        ),
    )


EXERCISE = Exercise(
    name="tensorflow",
    title="the two-layer net in TensorFlow",
    section="exercise 1 (TensorFlow twin)",
    functions=("TwoLayerNet", "train"),
    checks=(
        Check("builds", check_builds, ("TwoLayerNet",), seconds=60.0),
        Check("gradients", check_gradients, ("TwoLayerNet",)),
        Check("Adam training", check_training, ("TwoLayerNet", "train"), seconds=90.0),
    ),
    total_seconds=120.0,
    import_seconds=60.0,
    address_limit=False,
    call_limits={"train": 60.0},
)
