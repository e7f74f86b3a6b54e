"""Exercise `tensorflow`: the two-layer net as a Keras model, trained with GradientTape + Adam.

Contract (see the skeleton): `TwoLayerNet(D_in, H, D_out)`, a `tf.keras.Model` with two
bias-free Dense layers (kernels (D_in, H) and (H, D_out): Keras keeps W^T), call
x -> linear2(relu(linear1(x))); `train(model, x, y, steps, lr) -> list of losses`,
GradientTape and tf.keras.optimizers.Adam on sum((y_pred - y)^2) over the whole batch.
The checker (this module) judges; the learner's model runs in the sandboxed child, driven
by `fcnet.learn.drivers.tensorflow`: tensorflow is never imported here.
"""

from __future__ import annotations

import numpy as np

from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.core import Check, CheckFailed, Exercise, Student
from fcnet.learn.exercises import _twolayer as ref


def _build(student: Student, D_in: int, H: int, D_out: int) -> dict:
    x = student.rng(4).standard_normal((4, D_in))
    info = student.drive("build", [D_in, H, D_out], x, shown="TwoLayerNet")
    if not isinstance(info, dict) or not info.get("module"):
        kind = info.get("type", "?") if isinstance(info, dict) else "?"
        raise CheckFailed(
            _("TwoLayerNet(...) is a {type}, expected a tf.keras.Model").format(type=kind),
            tag="not_a_module",
        )
    params = info.get("params")
    shapes = [tuple(s)[::-1] for s in params.values()] if isinstance(params, dict) else []
    if sorted(shapes) != sorted([(D_in, H), (H, D_out)]):
        raise CheckFailed(
            _(
                "TwoLayerNet({D_in}, {H}, {D_out}) has trainable variables of shapes {shapes}; "
                "expected two kernels, {d_in_h} and {h_d_out}: Dense(H, use_bias=False) and "
                "Dense(D_out, use_bias=False)"
            ).format(
                D_in=D_in, H=H, D_out=D_out, shapes=shapes, d_in_h=(D_in, H), h_d_out=(H, D_out)
            ),
            tag="wrong_parameters",
        )
    return info


def check_builds(student: Student) -> str:
    D_in, H, D_out = ref.SIZES
    out = _build(student, D_in, H, D_out).get("out")
    shape = out.shape if isinstance(out, np.ndarray) else out
    if shape != (4, D_out):
        raise CheckFailed(
            _("model(x) for x of shape (4, {D_in}) gives {shape}, expected (4, {D_out})").format(
                D_in=D_in, shape=shape, D_out=D_out
            ),
            tag="wrong_output",
        )
    return _("TwoLayerNet{SIZES}: kernels {d_in_h} and {h_d_out}, output (N, {D_out})").format(
        SIZES=ref.SIZES, d_in_h=(D_in, H), h_d_out=(H, D_out), D_out=D_out
    )


def check_gradients(student: Student) -> str:
    D_in, H, D_out = ref.SIZES
    _build(student, D_in, H, D_out)
    return ref.check_gradients(student, "model(x)", "call", "tape.gradient")


def check_training(student: Student) -> str:
    _N, D_in, H, D_out = ref.TRAIN_SIZES
    _build(student, D_in, H, D_out)
    return ref.check_training(
        student,
        N_(
            "use tf.keras.optimizers.Adam(learning_rate=lr), the loss computed inside "
            "tf.GradientTape(), then "
            "optimizer.apply_gradients(zip(grads, model.trainable_variables))"
        ),
        eps=1e-7,
        loss_words="tf.reduce_sum(tf.square(y_pred - y))",
    )


def check_sgd_step(student: Student) -> str:
    _N, D_in, H, D_out = ref.TRAIN_SIZES
    _build(student, D_in, H, D_out)
    return ref.check_sgd_step(student, "apply_gradients")


EXERCISE = Exercise(
    name="tensorflow",
    title="the two-layer net in TensorFlow",
    section="exercise 1 (TensorFlow twin)",
    functions=("TwoLayerNet", "train"),
    checks=(
        Check("builds", ref.explained(check_builds), ("TwoLayerNet",), seconds=60.0),
        Check("gradients", ref.explained(check_gradients), ("TwoLayerNet",)),
        Check(
            "Adam training", ref.explained(check_training), ("TwoLayerNet", "train"), seconds=90.0
        ),
        Check(
            "one SGD step of train",
            ref.explained(check_sgd_step),
            ("TwoLayerNet", "train"),
            seconds=90.0,
        ),
    ),
    version="2",
    mistakes=ref.MISTAKES,
    total_seconds=240.0,
    import_seconds=60.0,
    address_limit=False,
    call_limits={"train": 60.0},
)
