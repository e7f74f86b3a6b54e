"""A failing backprop check explained: the learner's own numbers beside fcnet's.

`explain_backprop(path)` builds a small network (3 inputs, 4 ReLU units, 3 classes, a
batch of 2 samples; inputs and weights drawn from `seed`, multiples of 1/8 so that every
sum is exact, and one hidden unit at exactly z = 0 for sample 0, where relu's derivative
convention shows), runs the learner's five functions along the whole chain, forward and
backward, and sets each quantity (z1, a1, z2, loss, δ2, dW2, db2, dx2, δ1, dW1, db1)
beside fcnet's: the entries that differ (`fcnet.learn.diff`'s tolerances), the function
that produced it and the formula. fcnet's numbers come from `fcnet.explain.trace.step`
(the Backprop page's engine), in the exercise's convention (δ carries the mean's 1/N).

The learner's functions run in the checks' sandboxed child: this is one `Check` run by
`fcnet.learn.runner.Checker`, so every limit of the checks holds (a call's 10 s, the
check's 30 s, memory, a child that dies). Where a quantity differs, its function is also
called on fcnet's own inputs: still different, the function is wrong; the same, the
quantity only inherits an earlier difference. The first departure in computation order
is said in one sentence; an error (an exception, NotImplementedError, a wrong shape, a
non-finite value, a hang) is a message on its quantity, and the rest are not computed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from fcnet import i18n
from fcnet.explain import trace
from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.core import Check, CheckFailed, ChildGone, Student
from fcnet.learn.diff import differs

__all__ = ["QUANTITIES", "SIZES", "explain_backprop", "network"]

SIZES = (3, 4, 3)  # inputs, hidden ReLU units, classes
N = 2  # samples in the batch
OUTPUT_CHARS = 4000  # the learner's prints kept in the answer


@dataclass(frozen=True)
class Quantity:
    """One number array of the chain: its key, layer, symbol, formula (text and TeX)."""

    key: str
    layer: int
    symbol: str
    formula: str


@dataclass(frozen=True)
class _Step:
    """One call of the learner's chain: `function(*inputs)` gives `outputs` (None: unused)."""

    function: str
    inputs: tuple[str, ...]
    outputs: tuple[str | None, ...]


QUANTITIES = (
    Quantity("z1", 1, "z^(1)", "z^(1) = x (W^(1))^T + b^(1)"),
    Quantity("a1", 1, "a^(1)", "a^(1) = relu(z^(1)) = max(z^(1), 0)"),
    Quantity("z2", 2, "z^(2)", "z^(2) = a^(1) (W^(2))^T + b^(2)"),
    Quantity("loss", 2, "L", "L = -(1/N) Σ_n log softmax(z_n^(2))[y_n]"),
    Quantity("delta2", 2, "δ^(2)", "δ^(2) = ∂L/∂z^(2) = (softmax(z^(2)) - onehot(y)) / N"),
    Quantity("dW2", 2, "∂L/∂W^(2)", "∂L/∂W^(2) = (δ^(2))^T a^(1)"),
    Quantity("db2", 2, "∂L/∂b^(2)", "∂L/∂b^(2) = Σ_n δ_n^(2)"),
    Quantity("dx2", 2, "∂L/∂a^(1)", "∂L/∂a^(1) = δ^(2) W^(2)"),
    Quantity("delta1", 1, "δ^(1)", "δ^(1) = f'(z^(1)) ⊙ (δ^(2) W^(2)), f'(z) = 1[z > 0]"),
    Quantity("dW1", 1, "∂L/∂W^(1)", "∂L/∂W^(1) = (δ^(1))^T x"),
    Quantity("db1", 1, "∂L/∂b^(1)", "∂L/∂b^(1) = Σ_n δ_n^(1)"),
)

_STEPS = (
    _Step("linear_forward", ("x", "W1", "b1"), ("z1",)),
    _Step("relu_forward", ("z1",), ("a1",)),
    _Step("linear_forward", ("a1", "W2", "b2"), ("z2",)),
    _Step("softmax_cross_entropy", ("z2", "y"), ("loss", "delta2")),
    _Step("linear_backward", ("delta2", "a1", "W2"), ("dW2", "db2", "dx2")),
    _Step("relu_backward", ("dx2", "z1"), ("delta1",)),
    _Step("linear_backward", ("delta1", "x", "W1"), ("dW1", "db1", None)),
)

_NOT_COMPUTED = N_("not computed: an earlier step failed")


def network(seed: int = 0) -> dict[str, np.ndarray]:
    """The explanation's inputs: x (N, 3), y (N,), W1 (4, 3), b1, W2 (3, 4), b2, drawn from
    `seed` as multiples of 1/8 (weights never 0), hidden unit 1 at z = 0 for sample 0 and
    no hidden unit at 0 for sample 1 (the Backprop page draws it, its finite-difference
    check meets no kink)."""
    rng = np.random.default_rng([seed, 23])
    n_in, hidden, classes = SIZES

    def nonzero(*shape: int) -> np.ndarray:
        magnitude = rng.integers(1, 9, shape) / 8
        return magnitude * rng.choice([-1.0, 1.0], shape)

    x = rng.integers(-8, 9, (N, n_in)) / 4
    W1, W2 = nonzero(hidden, n_in), nonzero(classes, hidden)
    b1, b2 = rng.integers(-4, 5, hidden) / 8, rng.integers(-4, 5, classes) / 8
    b1[1] = -(W1[1] @ x[0])  # exact: z1[0, 1] = 0, where 1[z > 0] and 1[z >= 0] differ
    while (x[1] @ W1.T + b1 == 0).any():  # sample 1 away from the kink: the page draws it
        x[1] = rng.integers(-8, 9, n_in) / 4
    y = rng.integers(0, classes, N)
    return {"x": x, "y": y, "W1": W1, "b1": b1, "W2": W2, "b2": b2}


def _fcnet_values(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """fcnet's chain, by `fcnet.explain.trace.step`; its δ is per sample, the exercise's
    carries the batch mean's 1/N, so δ and dL/da are divided by N here."""
    weights = [(inputs["W1"], inputs["b1"]), (inputs["W2"], inputs["b2"])]
    net = trace.Net(list(SIZES), "relu", "cross_entropy", weights)
    with np.errstate(all="ignore"):
        t = trace.step(net, inputs["x"], inputs["y"], lr=0.0)
    one, two = t.layers
    return {
        **inputs,
        "z1": one.z,
        "a1": one.a,
        "z2": two.z,
        "loss": np.asarray(t.loss),
        "delta2": two.delta / N,
        "dW2": two.dW,
        "db2": two.db,
        "dx2": one.back / N,  # (W^(2))^T δ^(2): the gradient layer 2 passes down
        "delta1": one.delta / N,
        "dW1": one.dW,
        "db1": one.db,
    }


def _parse(step: _Step, value: Any, ref: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The step's outputs as float arrays of fcnet's shapes, finite, or a CheckFailed."""
    from fcnet.learn.exercises._util import array, scalar, tuple_of

    names = list(step.outputs)
    if step.function == "softmax_cross_entropy":
        parts = tuple_of(value, 2, step.function, "(loss, delta)")
        found = [
            np.asarray(scalar(parts[0], "loss")),
            array(parts[1], "delta", ref["delta2"].shape),
        ]
    elif step.function == "linear_backward":
        parts = tuple_of(value, 3, step.function, "(dW, db, dx)")
        shapes = [ref[n].shape if n else ref[step.inputs[1]].shape for n in names]
        found = [
            array(v, what, shape)
            for v, what, shape in zip(parts, ("dW", "db", "dx"), shapes, strict=True)
        ]
    else:
        found = [array(value, str(names[0]), ref[str(names[0])].shape)]
    for name, a in zip(names, found, strict=True):
        if name is not None and not np.isfinite(a).all():
            raise CheckFailed(
                _("{quantity} is not finite: {function} returned NaN or infinity").format(
                    quantity=name, function=step.function
                )
            )
    return found


def _call(student: Student, step: _Step, values: dict[str, np.ndarray], ref) -> list[np.ndarray]:
    student.precheck((step.function,))
    args = [values[k].copy() for k in step.inputs]
    return _parse(step, student.call(step.function, *args), ref)


def _chain(student: Student, ref: dict[str, np.ndarray], found: dict[str, dict[str, Any]]) -> None:
    """The learner's chain into `found` (key -> yours, status, verdict, message)."""
    yours: dict[str, np.ndarray] = {k: ref[k] for k in ("x", "y", "W1", "b1", "W2", "b2")}
    for step in _STEPS:
        keys = [k for k in step.outputs if k is not None]
        try:
            outputs = _call(student, step, yours, ref)
        except (CheckFailed, ChildGone) as exc:
            message = exc.message if isinstance(exc, CheckFailed) else exc.why
            for k in keys:
                found[k] = {"status": "error", "message": message}
            return
        wrong = {}
        for key, value in zip(step.outputs, outputs, strict=True):
            if key is not None:
                yours[key] = value
                wrong[key] = differs(value, ref[key])
                found[key] = {"yours": value, "differs": wrong[key], "status": "same"}
        if not any(m.any() for m in wrong.values()):
            continue
        try:  # the same function on fcnet's own (right) inputs
            alone = dict(zip(step.outputs, _call(student, step, ref, ref), strict=True))
        except (CheckFailed, ChildGone) as exc:
            alone = {}
            why = exc.message if isinstance(exc, CheckFailed) else exc.why
            for k in keys:
                found[k]["message"] = why
        for k in keys:
            if wrong[k].any():
                found[k]["status"] = "differs"
                if k in alone:
                    wrong_alone = differs(alone[k], ref[k]).any()
                    found[k]["verdict"] = "wrong" if wrong_alone else "inherits"


def _floats(a: Any) -> Any:
    return None if a is None else trace.json_floats(np.asarray(a, dtype=np.float64))


def _sentence(q: Quantity, function: str, entry: dict[str, Any]) -> str:
    if entry["status"] == "error":
        return _("your {quantity} could not be computed by {function}: {message}").format(
            quantity=q.symbol, function=function, message=entry.get("message", "")
        )
    if entry.get("verdict") == "inherits":
        return _(
            "your {quantity} departs from fcnet's here, but {function} is right given fcnet's "
            "inputs: the difference comes from an earlier quantity"
        ).format(quantity=q.symbol, function=function)
    return _(
        "your {quantity} departs from fcnet's here: {function} is wrong given right inputs "
        "(called on fcnet's own inputs, it still differs)"
    ).format(quantity=q.symbol, function=function)


def _document(
    ref: dict[str, np.ndarray], found: dict[str, dict[str, Any]], inputs: dict[str, np.ndarray]
) -> dict[str, Any]:
    from fcnet.explain.text import tex

    makers = {k: (s.function, s) for s in _STEPS for k in s.outputs if k is not None}
    quantities, first = [], None
    for q in QUANTITIES:
        function, step = makers[q.key]
        entry = found.get(q.key, {"status": "not_computed", "message": _(_NOT_COMPUTED)})
        differ = entry.get("differs")
        quantities.append(
            {
                "key": q.key,
                "layer": q.layer,
                "symbol": q.symbol,
                "tex_symbol": tex(q.symbol),
                "function": function,
                "call": "{out} = {fn}({args})".format(
                    out=", ".join(k or "_" for k in step.outputs),
                    fn=function,
                    args=", ".join(step.inputs),
                ),
                "formula": q.formula,
                "tex": tex(q.formula),
                "fcnet": _floats(ref[q.key]),
                "yours": _floats(entry.get("yours")),
                "differs": None if differ is None else np.asarray(differ).tolist(),
                "count": 0 if differ is None else int(np.sum(differ)),
                "status": entry["status"],
                "verdict": entry.get("verdict"),
                "message": entry.get("message", ""),
            }
        )
        if first is None and entry["status"] in ("differs", "error"):
            first = {
                "key": q.key,
                "function": function,
                "verdict": "error" if entry["status"] == "error" else entry.get("verdict"),
                "sentence": _sentence(q, function, entry),
            }
    return {
        "exercise": "backprop",
        "sizes": list(SIZES),
        "network": {k: _floats(v) for k, v in inputs.items() if k != "y"}
        | {"y": [int(v) for v in inputs["y"]]},
        "quantities": quantities,
        "first": first,
        "summary": first["sentence"]
        if first
        else _("your functions give fcnet's numbers for every quantity of this network"),
    }


def explain_backprop(
    path: str | os.PathLike[str],
    *,
    seed: int = 0,
    lang: str | None = None,
    unsafe_no_sandbox: bool = False,
) -> dict[str, Any]:
    """The learner's backprop chain beside fcnet's on `network(seed)`, as a JSON-able dict:
    `quantities` (key, layer, symbol, function, call, formula, tex, fcnet, yours, differs,
    count, status same|differs|error|not_computed, verdict wrong|inherits, message),
    `first` (key, function, verdict, sentence; None when nothing departs), `summary`,
    `network`, `status` and `error` (the file did not load, the child could not start),
    `output` (the learner's prints). FileNotFoundError / ValueError as `Checker.check`."""
    from fcnet.learn.exercises.backprop import EXERCISE
    from fcnet.learn.runner import Checker

    inputs = network(seed)
    ref = _fcnet_values(inputs)
    found: dict[str, dict[str, Any]] = {}

    def run(student: Student) -> str:
        _chain(student, ref, found)
        return ""

    check = Check("explain", run, ())
    exercise = dataclasses.replace(EXERCISE, checks=(check,))
    with Checker(
        exercise, seed=seed, lang=lang, unsafe_no_sandbox=unsafe_no_sandbox, fork_server=False
    ) as checker:
        report = checker.check(path)
    (result,) = report.checks
    with i18n.use_language(lang) if lang else contextlib.nullcontext():
        doc = _document(ref, found, inputs)
        doc["error"] = "" if result.passed else result.message
        if doc["error"] and not found:
            doc["summary"] = _("your file could not be run: {message}").format(
                message=result.message
            )
            for q in doc["quantities"]:
                q["message"] = _("not computed: the file could not be run")
    doc["seed"] = seed
    doc["status"] = report.status
    doc["output"] = report.output[-OUTPUT_CHARS:]
    doc["protections"] = report.protections
    return doc
