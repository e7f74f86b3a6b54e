"""Exercise `torch`: the course text's two-layer net as a PyTorch nn.Module, trained with Adam.

Contract (see the skeleton): `TwoLayerNet(D_in, H, D_out)`, an nn.Module with two
bias-free Linear layers, forward x -> linear2(relu(linear1(x))); `train(model, x, y,
steps, lr) -> list of losses`, Adam on MSELoss(reduction="sum") over the whole batch.
The checker (this module) judges; the learner's model runs in the sandboxed child, driven
by `fcnet.learn.drivers.torch`: torch is never imported here.
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
            _("TwoLayerNet(...) is a {type}, expected a torch.nn.Module").format(type=kind),
            tag="not_a_module",
        )
    params = info.get("params")
    shapes = {str(n): tuple(s) for n, s in params.items()} if isinstance(params, dict) else {}
    want = {(H, D_in), (D_out, H)}
    if set(shapes.values()) != want or len(shapes) != 2:
        raise CheckFailed(
            _(
                "TwoLayerNet({D_in}, {H}, {D_out}) has parameters {shapes}; expected two weights, "
                "{h_d_in} and {d_out_h}: Linear(D_in, H, bias=False) and Linear(H, D_out, "
                "bias=False), as in the course text"
            ).format(
                D_in=D_in, H=H, D_out=D_out, shapes=shapes, h_d_in=(H, D_in), d_out_h=(D_out, H)
            ),
            tag="wrong_parameters",
        )
    return info


def check_builds(student: Student) -> str:
    D_in, H, D_out = ref.SIZES
    out = _build(student, D_in, H, D_out).get("out")
    if not isinstance(out, np.ndarray) or out.shape != (4, D_out):
        got = out.shape if isinstance(out, np.ndarray) else out
        raise CheckFailed(
            _("model(x) for x of shape (4, {D_in}) gives {got}, expected (4, {D_out})").format(
                D_in=D_in, got=got, D_out=D_out
            ),
            tag="wrong_output",
        )
    return _("TwoLayerNet{SIZES}: weights {h_d_in} and {d_out_h}, output (N, {D_out})").format(
        SIZES=ref.SIZES, h_d_in=(H, D_in), d_out_h=(D_out, H), D_out=D_out
    )


def check_gradients(student: Student) -> str:
    D_in, H, D_out = ref.SIZES
    _build(student, D_in, H, D_out)
    return ref.check_gradients(student, "model(x)", "forward", "loss.backward()")


def check_training(student: Student) -> str:
    _N, D_in, H, D_out = ref.TRAIN_SIZES
    _build(student, D_in, H, D_out)
    return ref.check_training(
        student,
        N_(
            "use torch.optim.Adam(model.parameters(), lr=lr), optimizer.zero_grad() before "
            "loss.backward(), then optimizer.step()"
        ),
        eps=1e-8,
    )


def check_sgd_step(student: Student) -> str:
    _N, D_in, H, D_out = ref.TRAIN_SIZES
    _build(student, D_in, H, D_out)
    return ref.check_sgd_step(student, "loss.backward()")


EXERCISE = Exercise(
    name="torch",
    title="the two-layer net in PyTorch",
    section="PyTorch step by step",
    functions=("TwoLayerNet", "train"),
    checks=(
        Check("builds", ref.explained(check_builds), ("TwoLayerNet",)),
        Check("gradients", ref.explained(check_gradients), ("TwoLayerNet",)),
        Check(
            "Adam training", ref.explained(check_training), ("TwoLayerNet", "train"), seconds=60.0
        ),
        Check(
            "one SGD step of train",
            ref.explained(check_sgd_step),
            ("TwoLayerNet", "train"),
            seconds=60.0,
        ),
    ),
    version="2",
    mistakes=ref.MISTAKES,
    import_seconds=60.0,
    address_limit=False,
    call_limits={"train": 30.0},
)
