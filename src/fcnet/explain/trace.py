"""One training step of a small float64 network with every number kept.

`step(net, x, y, lr)` runs fcnet's numpy engine (`fcnet.nn`) layer by layer and keeps
what the course text names: z^(l), a^(l), f'(z^(l)), delta^(l), dL/dW^(l), dL/db^(l) and
the weights after one SGD step. `fcnet backprop` prints it and the studio's Backprop page
draws it: one source of truth.

Hidden layers use the chosen activation. The output layer is linear by default: z^(L)
feeds the loss (softmax inside cross_entropy, sigmoid inside bce_with_logits); with
`output_activation="sigmoid"` (mse and quadratic only) a^(L) = σ(z^(L)) is the
prediction and δ^(L) = ∂L/∂a^(L) ⊙ σ'(z^(L)). The loss conventions, per sample:

* mse: Σ_k (ŷ_k - y_k)^2, the summed squared error (the course text's); δ = 2(ŷ - y) f'.
* quadratic: ½ Σ_k (ŷ_k - y_k)^2, Nielsen's quadratic cost C = ½‖y - a^L‖² and Mazur's
  E_total = Σ ½(target - out)^2; δ^L = (a^L - y) ⊙ σ'(z^L), Nielsen's (BP1).

The loss of a batch of N samples is the mean over samples of the per-sample loss, so for
N = 1 it is that sample's loss.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

from fcnet import nn
from fcnet._fileio import FileError, decode_text, parse_json, read_bytes
from fcnet.i18n import N_
from fcnet.i18n import gettext as _

Activation = Literal["relu", "sigmoid", "tanh", "leaky_relu"]
LossName = Literal["cross_entropy", "mse", "bce_with_logits", "quadratic"]
OutputActivation = Literal["linear", "sigmoid"]
ACTIVATIONS: tuple[str, ...] = get_args(Activation)
LOSSES: tuple[str, ...] = get_args(LossName)
OUTPUT_ACTIVATIONS: tuple[str, ...] = get_args(OutputActivation)
# The losses that take a^(L) as it is: the others put their own softmax or sigmoid on z^(L).
PLAIN_LOSSES = ("mse", "quadratic")
# The per-sample loss as a multiple of the engine's summed squared error.
_LOSS_FACTOR = {"quadratic": 0.5}

# `fcnet backprop` prints every number: keep the network small enough to read.
MAX_LAYERS = 8  # Linear layers
MAX_UNITS = 64  # per layer
MAX_WEIGHTS_BYTES = 1024 * 1024


@dataclass
class Net:
    """A small network: `sizes` [n_0, ..., n_L], hidden activation, loss, the weights
    [(W^(1), b^(1)), ...], W^(l) of shape (n_l, n_{l-1}) as in torch, float64, and the
    output layer's activation ("linear" or "sigmoid")."""

    sizes: list[int]
    activation: str
    loss: str
    weights: list[tuple[np.ndarray, np.ndarray]]
    output_activation: str = "linear"


@dataclass
class Layer:
    """Layer l's numbers for a batch of N samples (N = 1 for `fcnet backprop`)."""

    W: np.ndarray  # (out, in)
    b: np.ndarray  # (out,)
    z: np.ndarray  # (N, out)   z = W a^(l-1) + b
    a: np.ndarray  # (N, out)   a = f(z); z itself for a linear output layer
    fprime: np.ndarray  # (N, out)  f'(z); ones for a linear output layer
    back: np.ndarray  # (N, out)   (W^(l+1))^T delta^(l+1); dL/da for the output layer
    delta: np.ndarray  # (N, out)  dL/dz per sample (not divided by N)
    dW: np.ndarray  # (out, in)  batch mean of delta (a^(l-1))^T
    db: np.ndarray  # (out,)     batch mean of delta
    W_new: np.ndarray  # (out, in)  after one SGD step
    b_new: np.ndarray  # (out,)


@dataclass
class Trace:
    """Everything one step computed: the input, the layers, the prediction and the loss."""

    net: Net
    x: np.ndarray  # (N, n_0)   a^(0)
    y: np.ndarray  # (N,) int labels for cross_entropy, else (N, n_L) floats
    lr: float
    output: np.ndarray  # (N, n_L) y-hat: softmax / sigmoid / a^(L)
    loss: float  # batch mean
    layers: list[Layer] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The `fcnet backprop --json` document for sample 0 (its only sample there)."""
        net = self.net
        y0: Any = int(self.y[0]) if net.loss == "cross_entropy" else json_floats(self.y[0])
        if net.loss != "cross_entropy" and len(y0) == 1:
            y0 = y0[0]
        return {
            "sizes": list(net.sizes),
            "activation": net.activation,
            "output_activation": net.output_activation,
            "loss_fn": net.loss,
            "x": json_floats(self.x[0]),
            "y": y0,
            "loss": _number(self.loss),
            "output": json_floats(self.output[0]),
            "layers": [
                {
                    "l": l,
                    "W": json_floats(layer.W),
                    "b": json_floats(layer.b),
                    "z": json_floats(layer.z[0]),
                    "a": json_floats(layer.a[0]),
                    "delta": json_floats(layer.delta[0]),
                    "dW": json_floats(layer.dW),
                    "db": json_floats(layer.db),
                }
                for l, layer in enumerate(self.layers, start=1)
            ],
        }


def json_floats(a: np.ndarray) -> Any:
    """Nested lists of JSON numbers: 0.0 for -0.0, None (null) for NaN and ±inf."""
    arr = np.asarray(a, dtype=np.float64) + 0.0  # -0.0 + 0.0 is 0.0
    if np.isfinite(arr).all():
        return arr.tolist()
    return [json_floats(part) for part in arr] if arr.ndim else None


def _number(v: float) -> float | None:
    return float(v) + 0.0 if math.isfinite(v) else None


# ----- checking what the user gives --------------------------------------------------------


def check_sizes(
    sizes: list[int], loss: str, *, max_layers: int = MAX_LAYERS, max_units: int = MAX_UNITS
) -> list[int]:
    """`sizes` as a list of ints: 2 to max_layers + 1 entries, each 1 to max_units, and an
    output of >= 2 units for cross_entropy."""
    if not isinstance(sizes, list | tuple) or not all(
        isinstance(n, int) and not isinstance(n, bool) for n in sizes
    ):
        raise ValueError(
            _("sizes: expected a list of whole numbers, got {got}").format(got=repr(sizes))
        )
    if not 2 <= len(sizes) <= max_layers + 1:
        raise ValueError(
            _(
                "sizes: expected 2 to {most} layer widths (input, hidden..., output), got {count}"
            ).format(most=max_layers + 1, count=len(sizes))
        )
    for i, n in enumerate(sizes):
        if not 1 <= n <= max_units:
            raise ValueError(
                _("sizes: expected widths from 1 to {most}, got {got} at {at}").format(
                    most=max_units, got=n, at=i
                )
            )
    if loss == "cross_entropy" and sizes[-1] < 2:
        raise ValueError(
            _("sizes: cross_entropy needs an output of at least 2 classes, got {got}").format(
                got=sizes[-1]
            )
        )
    return [int(n) for n in sizes]


def check_output_activation(output_activation: str, loss: str) -> str:
    """ "linear" or "sigmoid"; sigmoid only with the losses that take a^(L) as it is."""
    check_choice("output_activation", output_activation, OUTPUT_ACTIVATIONS)
    if output_activation != "linear" and loss not in PLAIN_LOSSES:
        raise ValueError(
            _(
                "output_activation: {name} works with {plain}; {loss} puts its own softmax "
                "or sigmoid on z^(L)"
            ).format(name=output_activation, plain=_(" or ").join(PLAIN_LOSSES), loss=loss)
        )
    return output_activation


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(
            _("{name}: expected one of {choices}, got {got}").format(
                name=name, choices=", ".join(choices), got=repr(value)
            )
        )
    return value


def check_lr(lr: float) -> float:
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not 0 <= lr <= 100:
        raise ValueError(_("lr: expected a number from 0 to 100, got {got}").format(got=repr(lr)))
    return float(lr)


def check_input(x: Any, sizes: list[int]) -> np.ndarray:
    """x as a float64 (N, n_0) array of finite values (one flat list is one sample)."""
    arr = _finite_array("x", x)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != sizes[0] or arr.shape[0] < 1:
        raise ValueError(
            _("x: expected {count} numbers (the input width), got shape {shape}").format(
                count=sizes[0], shape=arr.shape
            )
        )
    return arr


def check_target(y: Any, sizes: list[int], loss: str, n: int = 1) -> np.ndarray:
    """y for `n` samples: class indices (n,) for cross_entropy, else floats (n, n_L) in
    [0, 1] for bce_with_logits. One sample's y may be a bare number."""
    out = sizes[-1]
    if loss == "cross_entropy":
        labels = np.atleast_1d(np.asarray(y, dtype=object))
        ok = labels.ndim == 1 and all(
            isinstance(v, int | np.integer) and not isinstance(v, bool) for v in labels
        )
        if not ok or labels.shape[0] != n:
            raise ValueError(
                _("y: expected {count} class index (0 to {last}), got {got}").format(
                    count=n, last=out - 1, got=repr(y)
                )
            )
        bad = [int(v) for v in labels if not 0 <= v < out]  # before int64: 10**400 fits no int64
        if bad:
            got = str(bad[0]) if abs(bad[0]) < 10**18 else f"~10^{len(str(abs(bad[0]))) - 1}"
            raise ValueError(
                _("y: expected a class index from 0 to {last}, got {got}").format(
                    last=out - 1, got=got
                )
            )
        return labels.astype(np.int64)
    arr = _finite_array("y", y)
    arr = arr.reshape(n, -1) if arr.size == n * out else arr
    if arr.shape != (n, out):
        raise ValueError(
            _("y: expected {count} number(s) per sample (the output width), got {got}").format(
                count=out, got=repr(y)
            )
        )
    if loss == "bce_with_logits" and not ((arr >= 0) & (arr <= 1)).all():
        raise ValueError(
            _("y: bce_with_logits expects targets in [0, 1], got {got}").format(got=repr(y))
        )
    return arr


def _finite_array(name: str, value: Any) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except OverflowError:  # an integer such as 10**400
        raise ValueError(
            _("{name}: a number too large for float64 (at most about 1.8e308)").format(name=name)
        ) from None
    except (TypeError, ValueError):
        raise ValueError(
            _("{name}: expected numbers, got {got}").format(name=name, got=repr(str(value)[:60]))
        ) from None
    if not np.isfinite(arr).all():
        raise ValueError(
            _("{name}: expected finite numbers, got NaN or inf in {got}").format(
                name=name, got=str(value)[:60]
            )
        )
    return arr


def parse_numbers(name: str, text: str) -> list[float]:
    """ "0.5,-1" -> [0.5, -1.0]; a one-line error naming the option otherwise."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(
            _("{name}: expected comma-separated numbers like 0.5,-1.0, got {text!r}").format(
                name=name, text=text
            )
        ) from None
    if not all(math.isfinite(v) for v in values):
        raise ValueError(
            _("{name}: expected finite numbers, got {text!r}").format(name=name, text=text)
        )
    return values


def parse_sizes(text: str) -> list[int]:
    """ "2,3,2" -> [2, 3, 2]."""
    try:
        return [int(p.strip()) for p in str(text).split(",")]
    except ValueError:
        raise ValueError(
            _("--sizes: expected comma-separated widths like 2,3,2, got {text!r}").format(text=text)
        ) from None


# ----- weights -----------------------------------------------------------------------------


def init_weights(
    sizes: list[int], activation: str, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The engine's own initial weights: `nn.Linear` layers drawn in order from one seeded
    Generator (He normal for relu/leaky_relu, Xavier normal for sigmoid/tanh; biases 0)."""
    rng = np.random.default_rng(seed)
    init = "he_normal" if activation in ("relu", "leaky_relu") else "xavier_normal"
    weights = []
    for n_in, n_out in itertools.pairwise(sizes):
        lin = nn.Linear(n_in, n_out, init=init, rng=rng, dtype="float64")
        weights.append((lin.weight.data, _bias(lin).data))
    return weights


def _bias(lin: nn.Linear) -> nn.Parameter:
    assert lin.bias is not None  # every Linear here has a bias
    return lin.bias


def check_weights(
    layers: Any, sizes: list[int] | None, source: str = "weights"
) -> tuple[list[int], list[tuple[np.ndarray, np.ndarray]]]:
    """Weights from JSON-like data: `{"layers": [{"W": [[...]], "b": [...]}, ...]}` (what
    `fcnet backprop --json` prints) or the bare list. Shapes must chain (and match `sizes`
    when given); returns (sizes, weights)."""
    if isinstance(layers, dict):
        if "layers" not in layers:
            raise ValueError(
                _('{source}: expected a \'layers\' list of {{"W", "b"}} objects').format(
                    source=source
                )
            )
        layers = layers["layers"]
    if not isinstance(layers, list) or not layers:
        raise ValueError(
            _("{source}: expected a non-empty list of layers with W and b").format(source=source)
        )
    if len(layers) > MAX_LAYERS:
        raise ValueError(
            _("{source}: expected at most {max_layers} layers, got {n_layers}").format(
                source=source, max_layers=MAX_LAYERS, n_layers=len(layers)
            )
        )
    weights: list[tuple[np.ndarray, np.ndarray]] = []
    for l, layer in enumerate(layers, start=1):
        if not isinstance(layer, dict) or "W" not in layer or "b" not in layer:
            raise ValueError(
                _("{source}: layer {l}: expected an object with 'W' and 'b'").format(
                    source=source, l=l
                )
            )
        W = _matrix(f"{source}: layer {l}: W", layer["W"])
        b = _finite_array(f"{source}: layer {l}: b", layer["b"]) if _numbers(layer["b"]) else None
        if b is None or b.ndim != 1 or b.shape[0] != W.shape[0]:
            raise ValueError(
                _(
                    "{source}: layer {l}: b: expected {rows} numbers (W's rows), got {b_shape}"
                ).format(
                    source=source,
                    l=l,
                    rows=W.shape[0],
                    b_shape=None if b is None else b.shape,
                )
            )
        if weights and W.shape[1] != weights[-1][0].shape[0]:
            raise ValueError(
                _(
                    "{source}: layer {l}: W has {columns} columns, expected "
                    "{previous_rows} (layer {previous}'s rows)"
                ).format(
                    source=source,
                    l=l,
                    columns=W.shape[1],
                    previous_rows=weights[-1][0].shape[0],
                    previous=l - 1,
                )
            )
        if max(W.shape) > MAX_UNITS:
            raise ValueError(
                _("{source}: layer {l}: expected at most {max_units} units, got {shape}").format(
                    source=source, l=l, max_units=MAX_UNITS, shape=W.shape
                )
            )
        weights.append((W, b))
    found = [weights[0][0].shape[1]] + [W.shape[0] for W, _ in weights]
    if sizes is not None and found != list(sizes):
        raise ValueError(
            _("{source}: the weights make a {found} network, --sizes says {sizes}").format(
                source=source,
                found="-".join(map(str, found)),
                sizes="-".join(map(str, sizes)),
            )
        )
    return found, weights


def _matrix(name: str, value: Any) -> np.ndarray:
    rows = value if isinstance(value, list) else None
    if not rows or not all(
        isinstance(r, list) and r and len(r) == len(rows[0]) and _numbers(r) for r in rows
    ):
        raise ValueError(
            _("{name}: expected a matrix (rows of numbers of one length)").format(name=name)
        )
    return _finite_array(name, rows)


def _numbers(value: Any) -> bool:
    """A flat list of numbers, not text, booleans or lists (np.asarray would take '1')."""
    return isinstance(value, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    )


def load_weights(
    path: str | os.PathLike[str], sizes: list[int] | None
) -> tuple[list[int], list[tuple[np.ndarray, np.ndarray]]]:
    """Read `check_weights`' JSON from a regular file of at most 1 MiB (through
    `fcnet._fileio`: a FIFO or a device is refused by its type, before any read)."""
    p = Path(path)
    try:
        raw = read_bytes(p, MAX_WEIGHTS_BYTES, N_("weights file"))
    except FileNotFoundError:
        raise ValueError(_("--weights {p}: no such file").format(p=p)) from None
    except FileError as exc:
        raise ValueError(f"--weights {exc}") from None
    except OSError as exc:
        raise ValueError(
            _("--weights {p}: cannot read it ({reason})").format(p=p, reason=exc.strerror)
        ) from None
    try:  # UTF-8, nesting and number bounds: the one JSON reader's
        data = parse_json(decode_text(raw, f"--weights {p}"), f"--weights {p}")
    except FileError as exc:
        raise ValueError(str(exc)) from None
    return check_weights(data, sizes, source=f"--weights {p}")


# ----- the step ----------------------------------------------------------------------------


def _loss_fn(loss: str) -> nn.Loss:
    # Summed over a sample's outputs (the course text's squared error), then divided by N
    # below: the batch mean of the per-sample loss. quadratic is half of mse's sum.
    return nn.loss("mse" if loss == "quadratic" else loss, reduction="sum")


def _output_act(net: Net) -> nn.Module | None:
    return nn.activation("sigmoid") if net.output_activation == "sigmoid" else None


def _last(net: Net, x: np.ndarray) -> np.ndarray:
    """a^(L) for a batch: the hidden activations, then the output layer's."""
    a = x
    out = _output_act(net)
    for l, lin in enumerate(_linears(net)):
        z = lin.forward(a)
        if l < len(net.weights) - 1:
            a = nn.activation(net.activation).forward(z)
        else:
            a = out.forward(z) if out is not None else z
    return a


def _linears(net: Net) -> list[nn.Linear]:
    layers = []
    for W, b in net.weights:
        lin = nn.Linear(W.shape[1], W.shape[0], dtype="float64", rng=0)
        lin.weight.data[...] = W
        _bias(lin).data[...] = b
        layers.append(lin)
    return layers


def forward_loss(net: Net, x: np.ndarray, y: np.ndarray) -> float:
    """The batch-mean loss only (for finite differences and the decision boundary)."""
    factor = _LOSS_FACTOR.get(net.loss, 1.0)
    return factor * _loss_fn(net.loss)(_last(net, x), y) / x.shape[0]


def dead_units(net: Net, x: np.ndarray) -> list[list[bool]]:
    """Per hidden layer, per unit: True where relu's z <= 0 for every sample of `x`. Such a
    unit outputs 0 and has f'(z) = 0 everywhere, so its δ and every gradient into it are 0:
    it has stopped learning (it is "dead"). Never True for the other activations."""
    out = []
    a = x
    for lin in _linears(net)[:-1]:
        z = lin.forward(a)  # (N, out)
        out.append(
            np.all(z <= 0, axis=0).tolist() if net.activation == "relu" else [False] * z.shape[1]
        )
        a = nn.activation(net.activation).forward(z)
    return out


def predict(net: Net, x: np.ndarray) -> np.ndarray:
    """y-hat for a batch: softmax, sigmoid or a^(L), by the loss."""
    return _output(net.loss, _last(net, x))


def _output(loss: str, z: np.ndarray) -> np.ndarray:
    if loss == "cross_entropy":
        return nn.losses.softmax(z)
    if loss == "bce_with_logits":
        return nn.activations.sigmoid(z.copy())
    return z.copy()


def step(net: Net, x: np.ndarray, y: np.ndarray, lr: float) -> Trace:
    """Forward, backward and one SGD step of `net` on the batch (x, y), by the engine.

    dL/da^(L) comes from the engine's loss (softmax - onehot and sigmoid - y on z^(L),
    2 (y-hat - y) for mse, y-hat - y for quadratic); a sigmoid output multiplies it by
    σ'(z^(L)); then each `Linear.backward` gives (W^(l))^T delta^(l) and each activation's
    backward multiplies by f'(z^(l-1)). dW and db are batch means.
    """
    L = len(net.weights)
    n = x.shape[0]
    linears = _linears(net)
    acts: list[nn.Module | None] = [nn.activation(net.activation) for _ in range(L - 1)]
    acts.append(_output_act(net))  # None: a linear output layer
    model = nn.Sequential(
        *[m for pair in zip(linears, acts, strict=True) for m in pair if m is not None]
    )
    zs, as_ = [], []
    a = x
    for lin, act in zip(linears, acts, strict=True):
        z = lin.forward(a)  # (N, out)
        a = act.forward(z) if act is not None else z  # (N, out)
        zs.append(z)
        as_.append(a)
    loss_fn = _loss_fn(net.loss)
    factor = _LOSS_FACTOR.get(net.loss, 1.0)
    loss = factor * loss_fn(as_[-1], y) / n
    model.zero_grad()
    dL_da = factor * loss_fn.backward()  # (N, out)  per-sample dL/da^(L)
    deltas: dict[int, np.ndarray] = {}
    backs: dict[int, np.ndarray] = {L - 1: dL_da.copy()}
    grad_a = dL_da / n  # the batch mean's gradient flows through the engine
    for l in range(L - 1, -1, -1):
        act = acts[l]
        grad = act.backward(grad_a) if act is not None else grad_a  # (N, out)  f'(z) ⊙ ...
        deltas[l] = grad * n
        back = linears[l].backward(grad)  # (N, in)   (W^(l))^T delta^(l)
        assert back is not None
        if l > 0:
            backs[l - 1] = back * n
            grad_a = back
    fprimes = [
        act.backward(np.ones_like(z)) if act is not None else np.ones_like(z)
        for act, z in zip(acts, zs, strict=True)
    ]
    grads = [(lin.weight.grad.copy(), _bias(lin).grad.copy()) for lin in linears]
    nn.SGD(model.parameters(), lr=lr).step()
    trace = Trace(net=net, x=x, y=y, lr=lr, output=_output(net.loss, as_[-1]), loss=float(loss))
    for l, lin in enumerate(linears):
        W, b = net.weights[l]
        trace.layers.append(
            Layer(
                W=W.copy(),
                b=b.copy(),
                z=zs[l],
                a=as_[l],
                fprime=fprimes[l],
                back=backs[l],
                delta=deltas[l],
                dW=grads[l][0],
                db=grads[l][1],
                W_new=lin.weight.data.copy(),
                b_new=_bias(lin).data.copy(),
            )
        )
    return trace


def updated(trace: Trace) -> Net:
    """The network after the trace's SGD step."""
    net = trace.net
    weights = [(layer.W_new, layer.b_new) for layer in trace.layers]
    return Net(list(net.sizes), net.activation, net.loss, weights, net.output_activation)
