"""The course text's notation with a trace's numbers substituted (sample 0).

`explain(trace)` gives the lines `fcnet backprop` prints, grouped by layer, and one
formula per unit and per weight for the studio's hover text: the same strings in both.
Units and classes are numbered from 0, as the JSON arrays and the labels are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fcnet.explain.trace import Trace
from fcnet.i18n import N_
from fcnet.i18n import gettext as _

_F = {"relu": "relu", "sigmoid": "σ", "tanh": "tanh", "leaky_relu": "leaky_relu"}
_FPRIME = {
    "relu": "f'(z) = 1 if z > 0 else 0",
    "sigmoid": "f'(z) = σ(z)(1 - σ(z))",
    "tanh": "f'(z) = 1 - tanh(z)^2",
    "leaky_relu": "f'(z) = 1 if z > 0 else 0.01",
}
_LOSS = {
    "cross_entropy": N_("cross_entropy (softmax inside)"),
    "mse": N_("mse (summed squared error)"),
    "bce_with_logits": N_("bce_with_logits (sigmoid inside)"),
    "quadratic": N_("quadratic (½ Σ (ŷ - y)^2, Nielsen's quadratic cost)"),
}


def num(v: float) -> str:
    """4 significant digits; no "-0"."""
    text = f"{float(v):.4g}"
    return "0" if text in ("-0", "0") else text


def _par(v: float) -> str:
    """A number in a product: negative ones in parentheses."""
    text = num(v)
    return f"({text})" if text.startswith("-") else text


def wrap(line: str, width: int = 100) -> list[str]:
    """A long one-line formula on several lines, one "= ..." step per line, aligned under
    the first "=" (as the course text writes a derivation)."""
    if len(line) <= width or " = " not in line:
        return [line]
    head, *steps = line.split(" = ")
    pad = " " * len(head)
    return [f"{head} = {steps[0]}"] + [f"{pad} = {s}" for s in steps[1:]]


# ----- formulas laid out in two dimensions: vectors as columns ------------------------------


@dataclass(frozen=True)
class Arr:
    """An array in a formula: "col" (a column vector), "row" (a row vector, such as
    (a^(l-1))^T: no ^T is printed, the row is the transpose) or "mat"."""

    values: np.ndarray
    kind: str = "col"


class Note(str):
    """Words inside a formula ("(the output layer is linear)"): plain text, not notation."""


Part = str | Arr


def _cells(values: np.ndarray) -> list[list[str]]:
    m = np.atleast_2d(np.asarray(values, dtype=np.float64))
    return [[num(v) for v in row] for row in m]


def _box(part: Part) -> list[str]:
    """A part as rows of text of one width."""
    if isinstance(part, str):
        return [part]
    if part.kind == "row":
        return ["[" + "  ".join(num(v) for v in np.ravel(part.values)) + "]"]
    rows = _cells(part.values if part.kind == "mat" else np.ravel(part.values)[:, None])
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    body = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    if len(body) == 1:
        return [f"[{body[0]}]"]
    left = ["⎡"] + ["⎢"] * (len(body) - 2) + ["⎣"]
    right = ["⎤"] + ["⎥"] * (len(body) - 2) + ["⎦"]
    return [f"{lb}{b}{rb}" for lb, b, rb in zip(left, body, right, strict=True)]


def _hjoin(boxes: list[list[str]]) -> list[str]:
    """Boxes side by side, each centred on the tallest one's middle row."""
    height = max(len(b) for b in boxes)
    out = [""] * height
    for box in boxes:
        w = max(len(r) for r in box)
        top = (height - len(box)) // 2
        for i in range(height):
            out[i] += box[i - top].ljust(w) if top <= i < top + len(box) else " " * w
    return [r.rstrip() for r in out]


def _width(box: list[str]) -> int:
    return max(len(r) for r in box)


def render(sides: list[list[Part]], width: int = 100) -> str:
    """The formula side_0 = side_1 = ... as text, vectors as columns; past `width`
    characters, one "= side" per block, aligned under the first "=". Rows end in "\n"."""
    boxes = [_hjoin([_box(p) for p in side]) for side in sides]
    whole = _hjoin([b for i, box in enumerate(boxes) for b in ([[" = "]] if i else []) + [box]])
    if _width(whole) <= width or len(boxes) < 3:
        return "\n".join(whole)
    pad = " " * _width(boxes[0])
    blocks = [_hjoin([boxes[0], [" = "], boxes[1]])]
    blocks += [_hjoin([[pad], [" = "], box]) for box in boxes[2:]]
    return "\n".join(row for block in blocks for row in block)


def flat(sides: list[list[Part]]) -> str:
    """The formula on one line (vectors written [a, b]): for the hover text."""

    def one(p: Part) -> str:
        if isinstance(p, str):
            return p
        return mat(p.values) if p.kind == "mat" else vec(p.values)

    return " = ".join("".join(one(p) for p in side) for side in sides)


# ----- the same formulas in TeX, for the studio's typeset formula box (KaTeX) -----------------

_TEX_WORDS = {
    "leaky_relu": r"\operatorname{leaky\_relu}",
    "relu": r"\operatorname{relu}",
    "softmax": r"\operatorname{softmax}",
    "onehot": r"\operatorname{onehot}",
    "tanh": r"\tanh",
    "log": r"\log",
    "if": r"\text{ if }",
    "else": r"\text{ else }",
}
_TEX_WORD = re.compile(r"\b(" + "|".join(_TEX_WORDS) + r")\b")
_TEX_CHARS = {
    "δ": r"\delta ",
    "σ": r"\sigma ",
    "Σ": r"\sum ",
    "⊙": r"\odot ",
    "∂": r"\partial ",
    "·": r"\cdot ",
    "ŷ": r"\hat{y}",
    "½": r"\tfrac{1}{2}",
    "←": r"\leftarrow ",
}
_TEX_ESCAPES = {c: "\\" + c for c in "{}$&#%_"} | {"\\": r"\textbackslash{}"}


def tex(text: str) -> str:
    """The course notation of one formula as TeX: "δ_j^(l) = f'(z_j^(l)) Σ_k W_kj^(l+1) ..."
    -> "\\delta _{j}^{(l)} = f'(z_{j}^{(l)}) \\sum _{k} W_{kj}^{(l+1)} ..."; a `Note` as text."""
    if isinstance(text, Note):
        words = "".join(_TEX_ESCAPES.get(c, c) for c in text.strip())
        return r"\quad\text{" + words + "}"
    s = re.sub(r"\^\(([^()]*)\)", r"^{(\1)}", text)
    s = re.sub(r"\^T\b", r"^{\\mathsf{T}}", s)
    s = _TEX_WORD.sub(lambda m: _TEX_WORDS[m.group(1)], s)
    s = re.sub(r"(?<!\\)_([A-Za-z0-9]+)", r"_{\1}", s)
    return "".join(_TEX_CHARS.get(c, c) for c in s)


def _tex_part(part: Part) -> str:
    if isinstance(part, str):
        return tex(part)
    if part.kind == "row":
        rows = [[num(v) for v in np.ravel(part.values)]]
    else:
        rows = _cells(part.values if part.kind == "mat" else np.ravel(part.values)[:, None])
    body = r" \\ ".join(" & ".join(r) for r in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def tex_formula(sides: list[list[Part]]) -> str:
    """`render`'s formula in TeX, vectors as bmatrix columns."""
    return " = ".join("".join(_tex_part(p) for p in side) for side in sides)


def vec(v: np.ndarray) -> str:
    return "[" + ", ".join(num(x) for x in np.ravel(v)) + "]"


def mat(m: np.ndarray) -> str:
    return "[" + ", ".join(vec(row) for row in m) + "]"


def col(v: np.ndarray) -> Arr:
    return Arr(np.ravel(v), "col")


def row(v: np.ndarray) -> Arr:
    return Arr(np.ravel(v), "row")


def matrix(m: np.ndarray) -> Arr:
    return Arr(np.asarray(m), "mat")


Sides = list[list[Part]]


@dataclass
class LayerText:
    """Layer l's formulas (the CLI's; multi-line where a vector is a column), the per-unit
    and per-weight formulas (the hover's, one line each), and all of them in TeX (`tex`:
    the same keys, for the studio's typeset formula box)."""

    forward: list[str] = field(default_factory=list)
    backward: list[str] = field(default_factory=list)
    grads: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)
    units: list[dict[str, str]] = field(default_factory=list)  # {"z", "a", "delta"}
    edges: list[list[str]] = field(default_factory=list)  # [j][i]: dL/dW_ji
    tex: dict[str, Any] = field(
        default_factory=lambda: (
            {k: [] for k in ("forward", "backward", "grads", "update")} | {"units": [], "edges": []}
        )
    )

    def add(self, key: str, sides: Sides) -> None:
        getattr(self, key).append(render(sides))
        self.tex[key].append(tex_formula(sides))


def _indent(formulas: list[str]) -> list[str]:
    return [f"  {r}".rstrip() for f in formulas for r in f.split("\n")]


@dataclass
class Explanation:
    header: list[str]
    inputs: list[str]  # a^(0) = x, and each input unit's
    layers: list[LayerText]
    output: list[str]  # y-hat, y and the loss
    tex_inputs: list[str] = field(default_factory=list)
    tex_output: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The whole text, in the order `fcnet backprop` prints it."""
        out = [*self.header, "", _("Forward pass")]
        out += _indent(self.inputs[:1])
        for layer in self.layers:
            out += _indent(layer.forward)
        out += _indent(self.output)
        out += ["", _("Backward pass: δ^(l) = ∂L/∂z^(l)")]
        for layer in reversed(self.layers):
            out += _indent(layer.backward)
        out += ["", _("Gradients: ∂L/∂W^(l) = δ^(l) (a^(l-1))^T, ∂L/∂b^(l) = δ^(l)")]
        for layer in reversed(self.layers):
            out += _indent(layer.grads)
        out += [
            "",
            _("Update: W ← W - lr ∂L/∂W, b ← b - lr ∂L/∂b (lr = {lr})").format(lr=num(self.lr)),
        ]
        for layer in self.layers:
            out += _indent(layer.update)
        return out

    lr: float = 0.0


def _unit(core: str, note: str = "", note_is_math: bool = False) -> tuple[str, str]:
    """A one-line formula and its TeX, with an optional note after it."""
    if not note:
        return core, tex(core)
    if note_is_math:
        return f"{core}   [{note}]", tex(core) + r"\quad [\," + tex(note) + r"\,]"
    return f"{core} {note}", tex(core) + tex(Note(note))


def explain(trace: Trace, source: str = "") -> Explanation:
    """The formulas of `trace` with sample 0's numbers substituted."""
    net = trace.net
    L = len(trace.layers)
    f = _F[net.activation]
    sigmoid_out = net.output_activation == "sigmoid"
    x = trace.x[0]
    header = [
        _(
            "fcnet backprop: network {sizes}, {activation} hidden layers, {output} output, "
            "loss {loss}"
        ).format(
            sizes="-".join(map(str, net.sizes)),
            activation=net.activation,
            output=net.output_activation,
            loss=_(_LOSS[net.loss]),
        ),
        _("one sample, one SGD step, float64; weights {source}").format(
            source=source or _("given")
        ),
    ]
    x_sides: Sides = [["a^(0)"], ["x"], [col(x)]]
    inputs = [render(x_sides)] + [f"a_{i}^(0) = x_{i} = {num(v)}" for i, v in enumerate(x)]
    tex_inputs = [tex_formula(x_sides)] + [tex(line) for line in inputs[1:]]
    layers = []
    a_prev = x
    for l, t in enumerate(trace.layers, start=1):
        lt = LayerText()
        z, a, delta = t.z[0], t.a[0], t.delta[0]
        lt.add(
            "forward",
            [
                [f"z^({l})"],
                [f"W^({l}) a^({l - 1}) + b^({l})"],
                [matrix(t.W), " ", col(a_prev), " + ", col(t.b)],
                [col(z)],
            ],
        )
        if l < L:
            lt.add("forward", [[f"a^({l})"], [f"{f}(z^({l}))"], [col(a)]])
        elif sigmoid_out:
            lt.add("forward", [[f"a^({l})"], [f"σ(z^({l}))"], [col(a)]])
        else:
            linear = Note(" " + _("(the output layer is linear)"))
            lt.add("forward", [[f"a^({l})"], [f"z^({l})"], [col(a), linear]])
        # backward: delta^(l)
        if l == L:
            lt.add("backward", _delta_out(trace, l))
        else:
            lt.add(
                "backward",
                [
                    [f"δ^({l})"],
                    [f"f'(z^({l})) ⊙ (W^({l + 1}))^T δ^({l + 1})"],
                    [col(t.fprime[0]), " ⊙ ", col(t.back[0])],
                    [col(delta)],
                ],
            )
        lt.add(
            "grads",
            [
                [f"∂L/∂W^({l})"],
                [f"δ^({l}) (a^({l - 1}))^T"],
                [col(delta), " ", row(a_prev)],
                [matrix(t.dW)],
            ],
        )
        lt.add("grads", [[f"∂L/∂b^({l})"], [f"δ^({l})"], [col(t.db)]])
        lr = num(trace.lr)
        lt.add(
            "update", [[f"W^({l})"], [matrix(t.W), f" - {lr} ", matrix(t.dW)], [matrix(t.W_new)]]
        )
        lt.add("update", [[f"b^({l})"], [col(t.b), f" - {lr} ", col(t.db)], [col(t.b_new)]])
        # one formula per unit and per weight
        nxt = trace.layers[l] if l < L else None
        for j in range(len(z)):
            terms = " + ".join(f"{_par(t.W[j, i])}·{_par(a_prev[i])}" for i in range(len(a_prev)))
            if l < L or sigmoid_out:
                g = f if l < L else "σ"
                a_unit = _unit(f"a_{j}^({l}) = {g}(z_{j}^({l})) = {g}({num(z[j])}) = {num(a[j])}")
            else:
                a_unit = _unit(f"a_{j}^({l}) = z_{j}^({l}) = {num(a[j])}", _("(linear output)"))
            z_unit = _unit(
                f"z_{j}^({l}) = Σ_i W_{j}i^({l}) a_i^({l - 1}) + b_{j}^({l}) = {terms} + "
                f"{_par(t.b[j])} = {num(z[j])}"
            )
            if nxt is None:
                d_unit = _delta_out_unit(trace, l, j)
            else:
                back = " + ".join(
                    f"{_par(nxt.W[k, j])}·{_par(nxt.delta[0][k])}" for k in range(len(nxt.b))
                )
                d_unit = _unit(
                    f"δ_{j}^({l}) = f'(z_{j}^({l})) Σ_k W_k{j}^({l + 1}) δ_k^({l + 1}) = "
                    f"{num(t.fprime[0][j])} · ({back}) = {num(delta[j])}",
                    _FPRIME[net.activation],
                    note_is_math=True,
                )
            lt.units.append({"z": z_unit[0], "a": a_unit[0], "delta": d_unit[0]})
            lt.tex["units"].append({"z": z_unit[1], "a": a_unit[1], "delta": d_unit[1]})
            edges = [
                f"∂L/∂W_{j}{i}^({l}) = δ_{j}^({l}) a_{i}^({l - 1}) = {_par(delta[j])}·"
                f"{_par(a_prev[i])} = {num(t.dW[j, i])}"
                for i in range(len(a_prev))
            ]
            lt.edges.append(edges)
            lt.tex["edges"].append([tex(e) for e in edges])
        layers.append(lt)
        a_prev = a
    output, tex_output = _loss_lines(trace)
    ex = Explanation(
        header=header,
        inputs=inputs,
        layers=layers,
        output=output,
        tex_inputs=tex_inputs,
        tex_output=tex_output,
    )
    ex.lr = trace.lr
    return ex


def _loss_lines(trace: Trace) -> tuple[list[str], list[str]]:
    """ŷ, y and L: the lines and their TeX."""
    net, L = trace.net, len(trace.layers)
    yhat = trace.output[0]
    formulas: list[Sides | str]
    if net.loss == "cross_entropy":
        c = int(trace.y[0])
        formulas = [
            [["ŷ"], [f"softmax(z^({L}))"], [col(yhat)]],
            f"y = {c}",
            f"L = -log ŷ_y = -log({num(yhat[c])}) = {num(trace.loss)}",
        ]
    else:
        y = trace.y[0]
        first = {"mse": f"a^({L})", "quadratic": f"a^({L})", "bce_with_logits": f"σ(z^({L}))"}
        formulas = [[["ŷ"], [first[net.loss]], [col(yhat)]], [["y"], [col(y)]]]
        terms = " + ".join(f"({num(p)} - {_par(t)})^2" for p, t in zip(yhat, y, strict=True))
        if net.loss == "mse":
            formulas.append(f"L = Σ_k (ŷ_k - y_k)^2 = {terms} = {num(trace.loss)}")
        elif net.loss == "quadratic":
            formulas.append(f"L = ½ Σ_k (ŷ_k - y_k)^2 = ½ [{terms}] = {num(trace.loss)}")
        else:
            formulas.append(f"L = -Σ_k [y_k log ŷ_k + (1 - y_k) log(1 - ŷ_k)] = {num(trace.loss)}")
    lines: list[str] = []
    texs: list[str] = []
    for formula in formulas:
        if isinstance(formula, str):
            lines += wrap(formula)
            texs.append(tex(formula))
        else:
            lines.append(render(formula))
            texs.append(tex_formula(formula))
    return lines, texs


def _delta_out(trace: Trace, L: int) -> Sides:
    net = trace.net
    yhat, t = trace.output[0], trace.layers[-1]
    delta = t.delta[0]
    if net.loss == "cross_entropy":
        onehot = np.eye(len(yhat))[int(trace.y[0])]
        return [[f"δ^({L})"], ["ŷ - onehot(y)"], [col(yhat), " - ", col(onehot)], [col(delta)]]
    y = trace.y[0]
    if net.loss == "bce_with_logits":
        return [[f"δ^({L})"], [f"σ(z^({L})) - y"], [col(yhat), " - ", col(y)], [col(delta)]]
    two = "2" if net.loss == "mse" else ""
    if net.output_activation == "sigmoid":
        # Nielsen's (BP1): δ^L = ∇_a C ⊙ σ'(z^L)
        return [
            [f"δ^({L})"],
            [f"{two}(ŷ - y) ⊙ σ'(z^({L}))"],
            [f"{two}(", col(yhat), " - ", col(y), ") ⊙ ", col(t.fprime[0])],
            [col(delta)],
        ]
    return [
        [f"δ^({L})"],
        [f"{two}(ŷ - y)"],
        [f"{two}(", col(yhat), " - ", col(y), ")"],
        [col(delta)],
    ]


def _delta_out_unit(trace: Trace, L: int, j: int) -> tuple[str, str]:
    net = trace.net
    yhat, t = trace.output[0], trace.layers[-1]
    delta = t.delta[0]
    if net.loss == "cross_entropy":
        hot = 1 if int(trace.y[0]) == j else 0
        return _unit(f"δ_{j}^({L}) = ŷ_{j} - [y = {j}] = {num(yhat[j])} - {hot} = {num(delta[j])}")
    y = trace.y[0][j]
    if net.loss == "bce_with_logits":
        return _unit(
            f"δ_{j}^({L}) = σ(z_{j}^({L})) - y_{j} = {num(yhat[j])} - {_par(y)} = {num(delta[j])}"
        )
    two = "2" if net.loss == "mse" else ""
    if net.output_activation == "sigmoid":
        return _unit(
            f"δ_{j}^({L}) = {two}(ŷ_{j} - y_{j}) σ'(z_{j}^({L})) = {two}({num(yhat[j])} - "
            f"{_par(y)})·{_par(t.fprime[0][j])} = {num(delta[j])}",
            "σ'(z) = σ(z)(1 - σ(z))",
            note_is_math=True,
        )
    return _unit(
        f"δ_{j}^({L}) = {two}(ŷ_{j} - y_{j}) = {two}({num(yhat[j])} - {_par(y)}) = {num(delta[j])}"
    )
