"""Exercise `backprop`: the five pieces of a fully-connected net's backward pass, by hand.

fcnet's conventions: a batch is rows (x has shape (N, in)), W has shape (out, in), so
z = x W^T + b, dL/dW = delta^T x, dL/db = sum_n delta_n, dL/dx = delta W.
Every check compares with fcnet.nn in float64 or with central finite differences; sizes
stay small, so a correct solution looping over samples passes as well.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from fcnet import nn
from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.core import Check, CheckFailed, Exercise, Student
from fcnet.learn.diff import compare
from fcnet.learn.exercises._util import (
    array,
    because,
    close,
    max_error,
    ratio,
    scalar,
    tuple_of,
)
from fcnet.learn.gradcheck import check_grad

# (N, in, out): N = 1, a square W, non-square ones
_SIZES = ((1, 3, 4), (5, 4, 4), (7, 6, 2))
_FORMULA_Z = N_("z = x W^T + b, with W of shape (out, in) and one sample per row of x")
_FORMULA_DW = N_("dL/dW = delta^T x sums the batch's outer products delta_n x_n^T")
_FORMULA_DB = N_("dL/db = sum over the batch of delta_n (db = delta.sum(axis=0))")
_FORMULA_DX = N_("dL/dx = delta W (per sample W^T delta_n)")
_FORMULA_RELU = N_("grad_z = grad_a * f'(z), f'(z) = 1[z > 0]")
_FORMULA_CE = N_("L = -(1/N) sum_n log softmax(z_n)[y_n]")
_FORMULA_DELTA = N_("delta = (softmax(z) - onehot(y)) / N")


def _linear_case(student: Student, N: int, n_in: int, n_out: int):
    rng = student.rng(N, n_in, n_out)
    x = rng.standard_normal((N, n_in))
    W = rng.standard_normal((n_out, n_in))
    b = rng.standard_normal(n_out)
    delta = rng.standard_normal((N, n_out))
    return x, W, b, delta


def _fcnet_linear(x, W, b, delta):
    layer = nn.Linear(W.shape[1], W.shape[0], dtype="float64")
    assert layer.bias is not None
    layer.weight.data[...] = W
    layer.bias.data[...] = b
    z = layer.forward(x)
    layer.zero_grad()
    dx = layer.backward(delta)
    return z, layer.weight.grad.copy(), layer.bias.grad.copy(), dx


def _unchanged(name: str, what: str, before: np.ndarray, after, why: str = "") -> None:
    if not (isinstance(after, np.ndarray) and np.array_equal(before, after)):
        said = _("{name} changed its input {what} in place").format(name=name, what=what)
        raise CheckFailed(because(said, why), tag="in_place")


def _call_copies(student: Student, name: str, *arrays, names: tuple[str, ...]):
    """Call `name` on `arrays`, checking that none was changed in place (the child sends
    the arguments back as the call left them)."""
    out, after = student.call_keep(name, *arrays)
    for what, a, c in zip(names, arrays, after, strict=True):
        _unchanged(name, what, a, c)
    return out


# --------------------------------------------------------------------------- linear


def check_linear_forward(student: Student) -> str:
    for N, n_in, n_out in _SIZES:
        x, W, b, _d = _linear_case(student, N, n_in, n_out)
        z = _call_copies(student, "linear_forward", x, W, b, names=("x", "W", "b"))
        where = f"(N={N}, in={n_in}, out={n_out})"
        z = array(z, f"z {where}", (N, n_out), why=_FORMULA_Z)
        ref, _u1, _u2, _u3 = _fcnet_linear(x, W, b, np.zeros((N, n_out)))
        if close(z, ref):
            continue
        diff = compare("z", z, ref)
        if n_in == n_out and close(z, x @ W + b):
            raise CheckFailed(
                _("z = x W + b {where}: W has shape (out, in), so {formula}").format(
                    where=where, formula=_(_FORMULA_Z)
                ),
                tag="z_x_W_not_transposed",
                diff=diff,
            )
        if close(z, x @ W.T):
            raise CheckFailed(
                _("b is not added {where}: {formula}").format(where=where, formula=_(_FORMULA_Z)),
                tag="bias_missing",
                diff=diff,
            )
        err, i = max_error(z, ref)
        raise CheckFailed(
            _("z is wrong {where}: off by {err:.1e} (relative) at {i}; {formula}").format(
                where=where, err=err, i=i, formula=_(_FORMULA_Z)
            ),
            tag="z_wrong",
            diff=diff,
        )
    return _("matches fcnet.nn.Linear (N = 1, square and non-square W)")


def _backward_outputs(student: Student, N: int, n_in: int, n_out: int):
    x, W, b, delta = _linear_case(student, N, n_in, n_out)
    out = _call_copies(student, "linear_backward", delta, x, W, names=("delta", "x", "W"))
    dW, db, dx = tuple_of(out, 3, "linear_backward", "(dW, db, dx)")
    return (x, W, b, delta), (dW, db, dx)


def check_linear_backward_shapes(student: Student) -> str:
    for N, n_in, n_out in _SIZES:
        (x, W, _b, _d), (dW, db, dx) = _backward_outputs(student, N, n_in, n_out)
        shape = np.shape(dW)
        if shape == W.shape[::-1] and n_in != n_out:
            raise CheckFailed(
                _("dW has shape {shape}, W has {shape2}: {formula}").format(
                    shape=shape, shape2=W.shape, formula=_(_FORMULA_DW)
                ),
                tag="dW_transposed_shape",
            )
        array(
            dW,
            "dW",
            W.shape,
            why=_("a gradient has its parameter's shape; {formula}").format(formula=_(_FORMULA_DW)),
        )
        shape = np.shape(db)
        if shape == (1, n_out):
            raise CheckFailed(
                _("db has shape {shape}, b has ({n_out},): sum without keepdims; {formula}").format(
                    shape=shape, n_out=n_out, formula=_(_FORMULA_DB)
                ),
                tag="db_keepdims",
            )
        if shape == (N, n_out) and N > 1:
            raise CheckFailed(
                _("db has shape {shape}: the batch must be summed out; {formula}").format(
                    shape=shape, formula=_(_FORMULA_DB)
                ),
                tag="db_not_summed",
            )
        array(db, "db", (n_out,), why=_FORMULA_DB)
        array(
            dx,
            "dx",
            x.shape,
            why=_("dx has the shape of x; {formula}").format(formula=_(_FORMULA_DX)),
        )
    return _("dW like W, db like b, dx like x")


def check_linear_backward_values(student: Student) -> str:
    """Each of dW, db, dx judged on every size: `parts` says which are right."""
    failed: dict[str, CheckFailed] = {}
    for N, n_in, n_out in _SIZES:
        (x, W, b, delta), got = _backward_outputs(student, N, n_in, n_out)
        _z, rdW, rdb, rdx = _fcnet_linear(x, W, b, delta)
        verdicts = (_dW_verdict, _db_verdict, _dx_verdict)
        for part, verdict in zip(("dW", "db", "dx"), verdicts, strict=True):
            if part in failed:
                continue
            try:
                verdict(got, (x, W, b, delta), (rdW, rdb, rdx), (N, n_in, n_out))
            except CheckFailed as exc:
                failed[part] = exc
    if failed:
        first = failed[next(p for p in ("dW", "db", "dx") if p in failed)]
        parts = [(p, p not in failed) for p in ("dW", "db", "dx")]
        raise CheckFailed(first.message, tag=first.tag, parts=parts, diff=first.diff)
    return _("dW, db, dx match fcnet.nn.Linear.backward")


def _dW_verdict(got, case, ref, sizes) -> None:
    (dW, _db, _dx), (_x, _W, _b, _delta), (rdW, _rdb, _rdx) = got, case, ref
    N, n_in, n_out = sizes
    where = f"(N={N}, in={n_in}, out={n_out})"
    dW = array(dW, "dW", rdW.shape, why=_FORMULA_DW)
    if not close(dW, rdW):
        diff = compare("dW", dW, rdW)
        if n_in == n_out and close(dW.T, rdW):
            raise CheckFailed(
                _("dW is transposed {where}: {formula}, shape (out, in)").format(
                    where=where, formula=_(_FORMULA_DW)
                ),
                tag="dW_transposed",
                diff=diff,
            )
        _scaled("dW", dW, rdW, N, where, _FORMULA_DW, diff)
        err, i = max_error(dW, rdW)
        raise CheckFailed(
            _("dW is wrong {where}: off by {err:.1e} at {i}; {formula}").format(
                where=where, err=err, i=i, formula=_(_FORMULA_DW)
            ),
            tag="dW_wrong",
            diff=diff,
        )


def _db_verdict(got, case, ref, sizes) -> None:
    (_dW, db, _dx), (_x, _W, _b, _delta), (_rdW, rdb, _rdx) = got, case, ref
    N, n_in, n_out = sizes
    where = f"(N={N}, in={n_in}, out={n_out})"
    db = array(db, "db", rdb.shape, why=_FORMULA_DB)
    if not close(db, rdb):
        diff = compare("db", db, rdb)
        if N > 1 and close(db, rdb / N):
            raise CheckFailed(
                _(
                    "db is the batch's mean of delta {where}: {formula}, a sum, not a mean "
                    "(delta already carries the loss's 1/N)"
                ).format(where=where, formula=_(_FORMULA_DB)),
                tag="db_mean_not_sum",
                diff=diff,
            )
        _scaled("db", db, rdb, N, where, _FORMULA_DB, diff)
        err, i = max_error(db, rdb)
        raise CheckFailed(
            _("db is wrong {where}: off by {err:.1e} at {i}; {formula}").format(
                where=where, err=err, i=i, formula=_(_FORMULA_DB)
            ),
            tag="db_wrong",
            diff=diff,
        )


def _dx_verdict(got, case, ref, sizes) -> None:
    (_dW, _db, dx), (_x, W, _b, delta), (_rdW, _rdb, rdx) = got, case, ref
    N, n_in, n_out = sizes
    where = f"(N={N}, in={n_in}, out={n_out})"
    dx = array(dx, "dx", rdx.shape, why=_FORMULA_DX)
    if not close(dx, rdx):
        diff = compare("dx", dx, rdx)
        if n_in == n_out and close(dx, delta @ W.T):
            raise CheckFailed(
                _("dx = delta W^T {where}: W is (out, in), so {formula}").format(
                    where=where, formula=_(_FORMULA_DX)
                ),
                tag="dx_W_transposed",
                diff=diff,
            )
        _scaled("dx", dx, rdx, N, where, _FORMULA_DX, diff)
        err, i = max_error(dx, rdx)
        raise CheckFailed(
            _("dx is wrong {where}: off by {err:.1e} at {i}; {formula}").format(
                where=where, err=err, i=i, formula=_(_FORMULA_DX)
            ),
            tag="dx_wrong",
            diff=diff,
        )


def _scaled(
    what: str,
    got: np.ndarray,
    ref: np.ndarray,
    N: int,
    where: str,
    formula: str,
    diff: dict[str, Any] | None,
):
    c = ratio(got, ref)
    if c is None or N == 1:
        return
    if np.isclose(c, N):
        raise CheckFailed(
            _("{what} is N = {N} times too large {where}: {formula}").format(
                what=what, N=N, where=where, formula=_(formula)
            ),
            tag=f"{what}_times_n",
            diff=diff,
        )
    if np.isclose(c, 1 / N):
        raise CheckFailed(
            _("{what} is N = {N} times too small {where}: {formula}").format(
                what=what, N=N, where=where, formula=_(formula)
            ),
            tag=f"{what}_over_n",
            diff=diff,
        )
    if np.isclose(c, -1):
        raise CheckFailed(
            _("{what} has the wrong sign {where}: {formula}").format(
                what=what, where=where, formula=_(formula)
            ),
            tag=f"{what}_sign",
            diff=diff,
        )


def _fd_verdict(what: str, result, of: str) -> None:
    for p in result.params:
        if not p.passed:
            raise CheckFailed(
                _(
                    "{name} disagrees with finite differences of {of}: relative error "
                    "{rel_error:.1e} ({reading}) at {worst_index}: yours {analytic:.6g}, numeric "
                    "{numeric:.6g}"
                ).format(
                    name=p.name,
                    of=of,
                    rel_error=p.rel_error,
                    reading=_(p.reading),
                    worst_index=p.worst_index,
                    analytic=p.analytic,
                    numeric=p.numeric,
                ),
                tag="fd_mismatch",
            )


def check_linear_fd(student: Student) -> str:
    N, n_in, n_out = 3, 4, 2
    x, W, b, _d = _linear_case(student, N, n_in, n_out)
    G = student.rng(99).standard_normal((N, n_out))  # L = sum(G * z), so dL/dz = G

    def loss() -> float:
        z = array(student.call("linear_forward", x, W, b), "z", (N, n_out), why=_FORMULA_Z)
        return float((G * z).sum())

    out = student.call("linear_backward", G.copy(), x.copy(), W.copy())
    dW, db, dx = tuple_of(out, 3, "linear_backward", "(dW, db, dx)")
    grads = {
        "dW": array(dW, "dW", W.shape, why=_FORMULA_DW),
        "db": array(db, "db", b.shape, why=_FORMULA_DB),
        "dx": array(dx, "dx", x.shape, why=_FORMULA_DX),
    }
    result = check_grad(loss, {"dW": W, "db": b, "dx": x}, grads)
    _fd_verdict("linear", result, _("your linear_forward (L = sum(G * z), delta = G)"))
    return _("largest relative error {rel_error:.0e}").format(rel_error=result.worst.rel_error)


# --------------------------------------------------------------------------- relu


def _relu_case(student: Student, N: int = 6, H: int = 5, *, zeros: bool = True):
    rng = student.rng(N, H, 7)
    z = rng.standard_normal((N, H))
    if zeros:
        z[0, :2] = 0.0  # f'(0) = 0 by the convention 1[z > 0]
    else:
        z += np.sign(z) * 0.1  # away from the kink, for finite differences
    grad_a = rng.standard_normal((N, H))
    return z, grad_a


def check_relu_forward(student: Student) -> str:
    z, _g = _relu_case(student)
    a, (z_in,) = student.call_keep("relu_forward", z)
    _unchanged(
        "relu_forward", "z", z, z_in, N_("backward needs the original z for the mask 1[z > 0]")
    )
    a = array(a, "a", z.shape, why=_("a = max(z, 0) elementwise has z's shape"))
    ref = nn.ReLU().forward(z)
    if not close(a, ref):
        _err, i = max_error(a, ref)
        raise CheckFailed(
            _("a is wrong at {i} (z = {z_i:.3g}): a = max(z, 0)").format(i=i, z_i=z[i]),
            tag="relu_forward_wrong",
            diff=compare("a", a, ref),
        )
    return "a = max(z, 0)"


def check_relu_backward(student: Student) -> str:
    z, grad_a = _relu_case(student)
    out = _call_copies(student, "relu_backward", grad_a, z, names=("grad_a", "z"))
    g = array(out, "grad_z", z.shape, why=_("grad_z has z's shape"))
    relu = nn.ReLU()
    relu.forward(z)
    ref = relu.backward(grad_a)
    if close(g, ref):
        return _FORMULA_RELU
    diff = compare("grad_z", g, ref)
    if close(g, grad_a):
        raise CheckFailed(
            _("grad_z ignores the ReLU mask f'(z) = 1[z > 0]: {formula}").format(
                formula=_(_FORMULA_RELU)
            ),
            tag="relu_mask_missing",
            diff=diff,
        )
    if close(g, np.maximum(z, 0)):
        raise CheckFailed(
            _(
                "grad_z is max(z, 0), the activation itself, not the gradient coming back: "
                "{formula} (the course text's grad_h = h_copy forgets grad_a)"
            ).format(formula=_(_FORMULA_RELU)),
            tag="relu_returns_activation",
            diff=diff,
        )
    if close(g, grad_a * (grad_a > 0)):
        raise CheckFailed(
            _("the mask comes from grad_a; it must come from z: {formula}").format(
                formula=_(_FORMULA_RELU)
            ),
            tag="relu_mask_from_grad",
            diff=diff,
        )
    if close(g, grad_a * (z >= 0)):
        raise CheckFailed(
            _("at z = 0 the mask must be 0 (1[z > 0], as fcnet and PyTorch): {formula}").format(
                formula=_(_FORMULA_RELU)
            ),
            tag="relu_mask_ge",
            diff=diff,
        )
    _err, i = max_error(g, ref)
    raise CheckFailed(
        _("grad_z is wrong at {i} (z = {z_i:.3g}): {formula}").format(
            i=i, z_i=z[i], formula=_(_FORMULA_RELU)
        ),
        tag="relu_backward_wrong",
        diff=diff,
    )


def check_relu_fd(student: Student) -> str:
    z, _g = _relu_case(student, zeros=False)
    G = student.rng(98).standard_normal(z.shape)

    def loss() -> float:
        a = array(student.call("relu_forward", z.copy()), "a", z.shape)
        return float((G * a).sum())

    g = array(student.call("relu_backward", G.copy(), z.copy()), "grad_z", z.shape)
    result = check_grad(loss, {"grad_z": z}, {"grad_z": g})
    _fd_verdict("relu", result, _("your relu_forward (L = sum(G * a), grad_a = G)"))
    return _("largest relative error {rel_error:.0e}").format(rel_error=result.worst.rel_error)


# --------------------------------------------------------------------------- softmax + CE

_CE_SIZES = ((1, 3), (6, 4), (10, 10))


def _ce_case(student: Student, N: int, C: int, scale: float = 2.0):
    rng = student.rng(N, C, 5)
    z = rng.standard_normal((N, C)) * scale
    y = rng.integers(0, C, N)
    return z, y


def _fcnet_ce(z, y):
    ce = nn.CrossEntropyLoss()
    loss = ce(z, y)
    return loss, ce.backward()


def _sce(student: Student, z, y):
    out = _call_copies(student, "softmax_cross_entropy", z, y, names=("z", "y"))
    loss, delta = tuple_of(out, 2, "softmax_cross_entropy", "(loss, delta)")
    loss = scalar(loss, "loss")
    delta = array(
        delta,
        "delta",
        z.shape,
        why=_("delta = dL/dz has z's shape; {formula}").format(formula=_(_FORMULA_DELTA)),
    )
    return loss, delta


def _ce_verdict(loss: float, delta: np.ndarray, rloss: float, rdelta: np.ndarray, y, where: str):
    """Judge the loss, then delta, against fcnet's: the known mistakes by name, else how far off."""
    N, C = delta.shape
    if not np.isclose(loss, rloss, rtol=1e-9, atol=1e-12):
        diff = compare("loss", loss, rloss, rtol=1e-9, atol=1e-12)
        if N > 1 and np.isclose(loss, rloss * N):
            raise CheckFailed(
                _("loss is N = {N} times the mean {where}: {formula}").format(
                    N=N, where=where, formula=_(_FORMULA_CE)
                ),
                tag="loss_sum_not_mean",
                diff=diff,
            )
        if np.isclose(loss, -rloss):
            raise CheckFailed(
                _("loss has the wrong sign {where}: {formula}").format(
                    where=where, formula=_(_FORMULA_CE)
                ),
                tag="loss_sign",
                diff=diff,
            )
        raise CheckFailed(
            _("loss is {loss:.6g}, expected {rloss:.6g} {where}: {formula}").format(
                loss=loss, rloss=rloss, where=where, formula=_(_FORMULA_CE)
            ),
            tag="loss_wrong",
            diff=diff,
        )
    if not close(delta, rdelta):
        diff = compare("delta", delta, rdelta)
        c = ratio(delta, rdelta)
        if N > 1 and c is not None and np.isclose(c, N):
            raise CheckFailed(
                _(
                    "delta is N times too large: the loss is a mean over the batch, so "
                    "{formula} {where}"
                ).format(formula=_(_FORMULA_DELTA), where=where),
                tag="delta_missing_1_over_n",
                diff=diff,
            )
        if c is not None and np.isclose(c, -1):
            raise CheckFailed(
                _("delta has the wrong sign {where}: {formula}").format(
                    where=where, formula=_(_FORMULA_DELTA)
                ),
                tag="delta_sign",
                diff=diff,
            )
        onehot = np.eye(C)[y]
        if close(delta, rdelta + onehot / N) or close(delta, rdelta * N + onehot):
            raise CheckFailed(
                _("delta misses the - onehot(y) term {where}: {formula}").format(
                    where=where, formula=_(_FORMULA_DELTA)
                ),
                tag="delta_missing_onehot",
                diff=diff,
            )
        err, i = max_error(delta, rdelta)
        raise CheckFailed(
            _("delta is wrong {where}: off by {err:.1e} at {i}; {formula}").format(
                where=where, err=err, i=i, formula=_(_FORMULA_DELTA)
            ),
            tag="delta_wrong",
            diff=diff,
        )


def check_softmax_ce(student: Student) -> str:
    for N, C in _CE_SIZES:
        z, y = _ce_case(student, N, C)
        loss, delta = _sce(student, z, y)
        rloss, rdelta = _fcnet_ce(z, y)
        _ce_verdict(loss, delta, rloss, rdelta, y, f"(N={N}, C={C})")
    return _("loss and delta match fcnet.nn.CrossEntropyLoss (N = 1 included)")


def check_softmax_ce_fd(student: Student) -> str:
    z, y = _ce_case(student, 4, 5)

    def loss() -> float:
        return _sce(student, z, y)[0]

    _loss, delta = _sce(student, z, y)
    result = check_grad(loss, {"delta": z}, {"delta": delta})
    _fd_verdict("ce", result, _("your loss"))
    return _("largest relative error {rel_error:.0e}").format(rel_error=result.worst.rel_error)


def check_softmax_ce_stable(student: Student) -> str:
    # rows with one max of 1000, and rows whose maxima differ (1000 beside 2): subtracting
    # the batch's one max instead of each row's leaves exp(-998) = 0 in the second row
    z = np.array(
        [
            [1000.0, 0.0, -1000.0],
            [-1000.0, -1000.0, 1000.0],
            [1000.0, 1000.0, 1000.0],
            [1000.0, 999.0, 0.0],
            [0.0, 1.0, 2.0],
        ]
    )
    y = np.array([0, 0, 2, 1, 0])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        loss, delta = _sce(student, z, y)
        one, one_delta = _sce(
            student, z[3:4], y[3:4]
        )  # [1000, 999, 0] alone: its max is the batch's
        two, two_delta = _sce(student, z[3:], y[3:])
    rloss, rdelta = _fcnet_ce(z, y)
    hint = _(
        "subtract each row's max first, softmax(z) = softmax(z - max_j z_j), and take "
        "log softmax(z) = (z - m) - log sum_j exp(z_j - m)"
    )
    alone_ok = np.isfinite(one) and np.isfinite(one_delta).all()
    together_ok = np.isfinite(two) and np.isfinite(two_delta).all()
    if alone_ok and not together_ok:
        raise CheckFailed(
            _(
                "loss is {loss} for z = [[1000, 999, 0], [0, 1, 2]] (rows whose maxima differ): "
                "the max must be each row's, z.max(axis=1, keepdims=True), not the batch's; {hint}"
            ).format(loss=two, hint=hint),
            tag="softmax_global_max",
        )
    if not np.isfinite(loss) and np.isfinite(delta).all():
        raise CheckFailed(
            _(
                "loss is {loss} for z = [-1000, -1000, 1000], y = 0 while delta is finite: "
                "p = exp(-2000) underflows to 0 and log(0) = -inf; take log p from the "
                "log-sum-exp, log p = z - max - log sum_j exp(z_j - max), not np.log(p)"
            ).format(loss=loss),
            tag="log_of_underflowed_p",
        )
    if not np.isfinite(loss):
        raise CheckFailed(
            _("loss is {loss} for logits of magnitude 1000 (exp(1000) overflows): {hint}").format(
                loss=loss, hint=hint
            ),
            tag="softmax_unstable",
        )
    if not np.isfinite(delta).all():
        raise CheckFailed(
            _(
                "delta is not finite for logits of magnitude 1000 (exp(1000) overflows): {hint}"
            ).format(hint=hint),
            tag="softmax_unstable",
        )
    if not np.isclose(loss, rloss, rtol=1e-9) or not close(delta, rdelta):
        # finite but wrong: a mistake that shows on ordinary logits too is not the max's;
        # judged there as the softmax_cross_entropy check does (its last call, for the diff)
        N, C = _CE_SIZES[1]
        z0, y0 = _ce_case(student, N, C)
        loss0, delta0 = _sce(student, z0, y0)
        rloss0, rdelta0 = _fcnet_ce(z0, y0)
        _ce_verdict(loss0, delta0, rloss0, rdelta0, y0, f"(N={N}, C={C})")
        if np.isclose(loss, rloss, rtol=1e-9):
            raise CheckFailed(
                _(
                    "delta is wrong for logits of magnitude 1000, right for ordinary ones: {hint}"
                ).format(hint=hint),
                tag="softmax_unstable",
            )
        raise CheckFailed(
            _(
                "wrong for logits of magnitude 1000: loss {loss:.6g}, expected {rloss:.6g}: {hint}"
            ).format(loss=loss, rloss=rloss, hint=hint),
            tag="softmax_unstable",
        )
    return _("finite and right for logits of magnitude 1000, rows with different maxima included")


# --------------------------------------------------------------------------- end to end

_STEPS, _LR = 40, 0.5


def _blobs():
    rng = np.random.default_rng([13, 2024])  # fixed: the curve must fall in 40 steps
    N, D, C = 48, 4, 3
    centres = rng.standard_normal((C, D)) * 2
    y = np.arange(N) % C
    x = centres[y] + rng.standard_normal((N, D))
    H = 16
    W1 = rng.standard_normal((H, D)) * np.sqrt(2 / D)
    b1 = rng.uniform(-0.1, 0.1, H)
    W2 = rng.standard_normal((C, H)) * np.sqrt(2 / H)
    b2 = np.zeros(C)
    return x, y, [W1, b1, W2, b2]


def _fcnet_curve(x, y, weights) -> list[float]:
    model = nn.Sequential(
        nn.Linear(4, 16, dtype="float64"), nn.ReLU(), nn.Linear(16, 3, dtype="float64")
    )
    for p, w in zip(model.parameters(), weights, strict=True):
        p.data[...] = w
    loss_fn, opt = nn.CrossEntropyLoss(), nn.SGD(model.parameters(), lr=_LR)
    losses = []
    for _step in range(_STEPS):
        losses.append(loss_fn(model.forward(x), y))
        opt.zero_grad()
        model.backward(loss_fn.backward())
        opt.step()
    return losses


def check_two_layer(student: Student) -> str:
    x, y, weights = _blobs()
    ref = _fcnet_curve(x, y, [w.copy() for w in weights])
    W1, b1, W2, b2 = (w.copy() for w in weights)
    N, H, C = x.shape[0], W1.shape[0], W2.shape[0]
    losses = []
    for step in range(_STEPS):
        z1 = array(student.call("linear_forward", x, W1, b1), "z1", (N, H))
        a1 = array(student.call("relu_forward", z1.copy()), "a1", (N, H))
        z2 = array(student.call("linear_forward", a1, W2, b2), "z2", (N, C))
        loss, delta = _sce(student, z2, y)
        losses.append(loss)
        out = student.call("linear_backward", delta, a1, W2)
        dW2, db2, da1 = (
            array(v, n, s)
            for v, n, s in zip(
                tuple_of(out, 3, "linear_backward", "(dW, db, dx)"),
                ("dW2", "db2", "da1"),
                (W2.shape, b2.shape, (N, H)),
                strict=True,
            )
        )
        dz1 = array(student.call("relu_backward", da1, z1), "dz1", (N, H))
        out = student.call("linear_backward", dz1, x, W1)
        dW1, db1, _dx = tuple_of(out, 3, "linear_backward", "(dW, db, dx)")
        dW1, db1 = array(dW1, "dW1", W1.shape), array(db1, "db1", b1.shape)
        for w, g in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
            w -= _LR * g
        if not np.isclose(loss, ref[step], rtol=1e-6):
            raise CheckFailed(
                _(
                    "the loss leaves fcnet.nn's at step {step}: yours {loss:.6g}, fcnet.nn's "
                    "{ref_step:.6g} (same weights, gradient descent lr {lr})"
                ).format(step=step, loss=loss, ref_step=ref[step], lr=_LR),
                tag="two_layer_diverges",
            )
    if not losses[-1] < 0.5 * losses[0]:
        raise CheckFailed(
            _("the loss does not fall: {first:.4g} -> {last:.4g}").format(
                first=losses[0], last=losses[-1]
            ),
            tag="two_layer_no_progress",
        )
    return _(
        "loss {first:.3f} -> {last:.3f} in {steps} steps, as fcnet.nn's ({reference:.3f})"
    ).format(first=losses[0], last=losses[-1], steps=_STEPS, reference=ref[-1])


_FUNCS = (
    "linear_forward",
    "linear_backward",
    "relu_forward",
    "relu_backward",
    "softmax_cross_entropy",
)

MISTAKES = {
    "in_place": N_("a function changed an input array in place"),
    "z_x_W_not_transposed": N_("z = x W + b: W is (out, in), so z = x W^T + b"),
    "bias_missing": N_("b is not added to z"),
    "z_wrong": N_("z is wrong in another way"),
    "dW_transposed_shape": N_("dW has W's transposed shape"),
    "db_keepdims": N_("db keeps a batch axis of 1 (sum with keepdims)"),
    "db_not_summed": N_("db is not summed over the batch"),
    "dW_transposed": N_("dW is transposed"),
    "dW_wrong": N_("dW is wrong in another way"),
    "db_mean_not_sum": N_("db is the batch's mean of delta, not its sum"),
    "db_wrong": N_("db is wrong in another way"),
    "dx_W_transposed": N_("dx = delta W^T instead of delta W"),
    "dx_wrong": N_("dx is wrong in another way"),
    "dW_times_n": N_("dW is N times too large"),
    "dW_over_n": N_("dW is N times too small"),
    "dW_sign": N_("dW has the wrong sign"),
    "db_times_n": N_("db is N times too large"),
    "db_over_n": N_("db is N times too small"),
    "db_sign": N_("db has the wrong sign"),
    "dx_times_n": N_("dx is N times too large"),
    "dx_over_n": N_("dx is N times too small"),
    "dx_sign": N_("dx has the wrong sign"),
    "fd_mismatch": N_("a gradient disagrees with finite differences of the forward pass"),
    "relu_forward_wrong": N_("relu_forward is not max(z, 0)"),
    "relu_mask_missing": N_("relu_backward ignores the mask 1[z > 0]"),
    "relu_returns_activation": N_("relu_backward returns max(z, 0) instead of a gradient"),
    "relu_mask_from_grad": N_("relu_backward takes its mask from grad_a instead of z"),
    "relu_mask_ge": N_("relu_backward's mask is 1 at z = 0 (1[z >= 0])"),
    "relu_backward_wrong": N_("relu_backward is wrong in another way"),
    "loss_sum_not_mean": N_("the loss sums over the batch instead of taking the mean"),
    "loss_sign": N_("the loss has the wrong sign"),
    "loss_wrong": N_("the loss is wrong in another way"),
    "delta_missing_1_over_n": N_("delta misses the mean's 1/N"),
    "delta_sign": N_("delta has the wrong sign"),
    "delta_missing_onehot": N_("delta misses the - onehot(y) term"),
    "delta_wrong": N_("delta is wrong in another way"),
    "softmax_unstable": N_("softmax overflows for large logits (no max subtracted)"),
    "log_of_underflowed_p": N_("log of a softmax that underflowed to 0 (no log-sum-exp)"),
    "softmax_global_max": N_("softmax subtracts the batch's max instead of each row's"),
    "two_layer_diverges": N_("two-layer training leaves fcnet.nn's loss curve"),
    "two_layer_no_progress": N_("two-layer training does not lower the loss"),
}

EXERCISE = Exercise(
    version="2",
    mistakes=MISTAKES,
    # frameworks whose autograd (or SciPy's logsumexp and softmax) would do it for the learner
    forbidden=("torch", "tensorflow", "jax", "autograd", "scipy"),
    name="backprop",
    title="linear, ReLU and softmax cross-entropy, forward and backward, by hand",
    section="exercise 1 (numpy by hand)",
    functions=_FUNCS,
    checks=(
        Check("linear_forward", check_linear_forward, ("linear_forward",)),
        Check("linear_backward shapes", check_linear_backward_shapes, ("linear_backward",)),
        Check("linear_backward values", check_linear_backward_values, ("linear_backward",)),
        Check(
            "linear_backward finite differences",
            check_linear_fd,
            ("linear_forward", "linear_backward"),
        ),
        Check("relu_forward", check_relu_forward, ("relu_forward",)),
        Check("relu_backward", check_relu_backward, ("relu_backward",)),
        Check("relu_backward finite differences", check_relu_fd, ("relu_forward", "relu_backward")),
        Check("softmax_cross_entropy", check_softmax_ce, ("softmax_cross_entropy",)),
        Check(
            "softmax_cross_entropy finite differences",
            check_softmax_ce_fd,
            ("softmax_cross_entropy",),
        ),
        Check(
            "softmax_cross_entropy stability", check_softmax_ce_stable, ("softmax_cross_entropy",)
        ),
        Check("two-layer training", check_two_layer, _FUNCS),
    ),
)
