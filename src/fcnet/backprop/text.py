"""The course text's notation with a trace's numbers substituted (sample 0).

`explain(trace)` gives the lines `fcnet backprop` prints, grouped by layer, and one
formula per unit and per weight for the studio's hover text: the same strings in both.
Units and classes are numbered from 0, as the JSON arrays and the labels are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fcnet.backprop.trace import Trace
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
    """A long formula on several lines, one "= ..." step per line, aligned under the first
    "=" (as the course text writes a derivation)."""
    if len(line) <= width or " = " not in line:
        return [line]
    head, *steps = line.split(" = ")
    pad = " " * len(head)
    return [f"{head} = {steps[0]}"] + [f"{pad} = {s}" for s in steps[1:]]


def vec(v: np.ndarray) -> str:
    return "[" + ", ".join(num(x) for x in np.ravel(v)) + "]"


def mat(m: np.ndarray) -> str:
    return "[" + ", ".join(vec(row) for row in m) + "]"


@dataclass
class LayerText:
    """Layer l's lines (the CLI's) and per-unit / per-weight formulas (the hover's)."""

    forward: list[str] = field(default_factory=list)
    backward: list[str] = field(default_factory=list)
    grads: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)
    units: list[dict[str, str]] = field(default_factory=list)  # {"z", "a", "delta"}
    edges: list[list[str]] = field(default_factory=list)  # [j][i]: dL/dW_ji


@dataclass
class Explanation:
    header: list[str]
    inputs: list[str]  # a^(0) = x, and each input unit's
    layers: list[LayerText]
    output: list[str]  # y-hat and the loss

    def lines(self) -> list[str]:
        """The whole text, in the order `fcnet backprop` prints it."""
        out = [*self.header, "", _("Forward pass")]
        out += [f"  {s}" for s in self.inputs[:1]]
        for layer in self.layers:
            out += [f"  {s}" for s in layer.forward]
        out += [f"  {s}" for s in self.output]
        out += ["", _("Backward pass: δ^(l) = ∂L/∂z^(l)")]
        for layer in reversed(self.layers):
            out += [f"  {s}" for s in layer.backward]
        out += ["", _("Gradients: ∂L/∂W^(l) = δ^(l) (a^(l-1))^T, ∂L/∂b^(l) = δ^(l)")]
        for layer in reversed(self.layers):
            out += [f"  {s}" for s in layer.grads]
        out += [
            "",
            _("Update: W ← W - lr ∂L/∂W, b ← b - lr ∂L/∂b (lr = {lr})").format(lr=num(self.lr)),
        ]
        for layer in self.layers:
            out += [f"  {s}" for s in layer.update]
        return out

    lr: float = 0.0


def explain(trace: Trace, source: str = "") -> Explanation:
    """The formulas of `trace` with sample 0's numbers substituted."""
    net = trace.net
    L = len(trace.layers)
    f = _F[net.activation]
    x = trace.x[0]
    header = [
        _(
            "fcnet backprop: network {sizes}, {activation} hidden layers, linear output, "
            "loss {loss}"
        ).format(
            sizes="-".join(map(str, net.sizes)), activation=net.activation, loss=_(_LOSS[net.loss])
        ),
        _("one sample, one SGD step, float64; weights {source}").format(
            source=source or _("given")
        ),
    ]
    inputs = [f"a^(0) = x = {vec(x)}"] + [f"a_{i}^(0) = x_{i} = {num(v)}" for i, v in enumerate(x)]
    layers = []
    a_prev = x
    for l, t in enumerate(trace.layers, start=1):
        lt = LayerText()
        z, a, delta = t.z[0], t.a[0], t.delta[0]
        lt.forward.append(
            f"z^({l}) = W^({l}) a^({l - 1}) + b^({l}) = {mat(t.W)} {vec(a_prev)} + {vec(t.b)}"
            f" = {vec(z)}"
        )
        if l < L:
            lt.forward.append(f"a^({l}) = {f}(z^({l})) = {vec(a)}")
        else:
            linear = _("(the output layer is linear)")
            lt.forward.append(f"a^({l}) = z^({l}) = {vec(a)} {linear}")
        # backward: delta^(l)
        if l == L:
            lt.backward.append(_delta_out(trace, l))
        else:
            lt.backward.append(
                f"δ^({l}) = f'(z^({l})) ⊙ (W^({l + 1}))^T δ^({l + 1}) = {vec(t.fprime[0])} ⊙ "
                f"{vec(t.back[0])} = {vec(delta)}"
            )
        lt.grads.append(
            f"∂L/∂W^({l}) = δ^({l}) (a^({l - 1}))^T = {vec(delta)} {vec(a_prev)}^T = {mat(t.dW)}"
        )
        lt.grads.append(f"∂L/∂b^({l}) = δ^({l}) = {vec(t.db)}")
        lt.update.append(f"W^({l}) = {mat(t.W)} - {num(trace.lr)} {mat(t.dW)} = {mat(t.W_new)}")
        lt.update.append(f"b^({l}) = {vec(t.b)} - {num(trace.lr)} {vec(t.db)} = {vec(t.b_new)}")
        # one formula per unit and per weight
        nxt = trace.layers[l] if l < L else None
        linear_unit = _("(linear output)")
        for j in range(len(z)):
            terms = " + ".join(f"{_par(t.W[j, i])}·{_par(a_prev[i])}" for i in range(len(a_prev)))
            unit = {
                "z": f"z_{j}^({l}) = Σ_i W_{j}i^({l}) a_i^({l - 1}) + b_{j}^({l}) = {terms} + "
                f"{_par(t.b[j])} = {num(z[j])}",
                "a": f"a_{j}^({l}) = {f}(z_{j}^({l})) = {f}({num(z[j])}) = {num(a[j])}"
                if l < L
                else f"a_{j}^({l}) = z_{j}^({l}) = {num(a[j])} {linear_unit}",
            }
            if nxt is None:
                unit["delta"] = _delta_out_unit(trace, l, j)
            else:
                back = " + ".join(
                    f"{_par(nxt.W[k, j])}·{_par(nxt.delta[0][k])}" for k in range(len(nxt.b))
                )
                unit["delta"] = (
                    f"δ_{j}^({l}) = f'(z_{j}^({l})) Σ_k W_k{j}^({l + 1}) δ_k^({l + 1}) = "
                    f"{num(t.fprime[0][j])} · ({back}) = {num(delta[j])}"
                    f"   [{_FPRIME[net.activation]}]"
                )
            lt.units.append(unit)
            lt.edges.append(
                [
                    f"∂L/∂W_{j}{i}^({l}) = δ_{j}^({l}) a_{i}^({l - 1}) = {_par(delta[j])}·"
                    f"{_par(a_prev[i])} = {num(t.dW[j, i])}"
                    for i in range(len(a_prev))
                ]
            )
        layers.append(lt)
        a_prev = a
    ex = Explanation(header=header, inputs=inputs, layers=layers, output=_loss_lines(trace))
    ex.lr = trace.lr
    return ex


def _loss_lines(trace: Trace) -> list[str]:
    net, L = trace.net, len(trace.layers)
    yhat = trace.output[0]
    if net.loss == "cross_entropy":
        c = int(trace.y[0])
        return [
            f"ŷ = softmax(z^({L})) = {vec(yhat)}",
            f"L = -log ŷ_y = -log({num(yhat[c])}) = {num(trace.loss)}   (y = {c})",
        ]
    y = trace.y[0]
    if net.loss == "mse":
        terms = " + ".join(f"({num(p)} - {_par(t)})^2" for p, t in zip(yhat, y, strict=True))
        return [
            f"ŷ = a^({L}) = {vec(yhat)}",
            f"L = Σ_k (ŷ_k - y_k)^2 = {terms} = {num(trace.loss)}   (y = {vec(y)})",
        ]
    return [
        f"ŷ = σ(z^({L})) = {vec(yhat)}",
        f"L = -Σ_k [y_k log ŷ_k + (1 - y_k) log(1 - ŷ_k)] = {num(trace.loss)}   (y = {vec(y)})",
    ]


def _delta_out(trace: Trace, L: int) -> str:
    net = trace.net
    yhat, delta = trace.output[0], trace.layers[-1].delta[0]
    if net.loss == "cross_entropy":
        onehot = np.eye(len(yhat))[int(trace.y[0])]
        return f"δ^({L}) = ŷ - onehot(y) = {vec(yhat)} - {vec(onehot)} = {vec(delta)}"
    if net.loss == "mse":
        return f"δ^({L}) = 2(ŷ - y) = 2({vec(yhat)} - {vec(trace.y[0])}) = {vec(delta)}"
    return f"δ^({L}) = σ(z^({L})) - y = {vec(yhat)} - {vec(trace.y[0])} = {vec(delta)}"


def _delta_out_unit(trace: Trace, L: int, j: int) -> str:
    net = trace.net
    yhat, delta = trace.output[0], trace.layers[-1].delta[0]
    if net.loss == "cross_entropy":
        hot = 1 if int(trace.y[0]) == j else 0
        return f"δ_{j}^({L}) = ŷ_{j} - [y = {j}] = {num(yhat[j])} - {hot} = {num(delta[j])}"
    y = trace.y[0][j]
    if net.loss == "mse":
        return f"δ_{j}^({L}) = 2(ŷ_{j} - y_{j}) = 2({num(yhat[j])} - {_par(y)}) = {num(delta[j])}"
    return f"δ_{j}^({L}) = σ(z_{j}^({L})) - y_{j} = {num(yhat[j])} - {_par(y)} = {num(delta[j])}"
