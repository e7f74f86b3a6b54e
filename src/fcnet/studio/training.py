"""What the studio trains: a function of x (Fit) and a quick MNIST classifier (Digits).

Each request is a pydantic model with every bound spelled out (the server refuses
anything else with a 4xx); each training is a `TrainingSession` whose thread builds the
network with `fcnet.build` on the chosen backend and trains it with the library's loop,
`fcnet.train.train`: a callback emits the progress events and, after every optimiser
step, waits while the page pauses and stops when it stops (`_SessionSteps`). A loss that
becomes NaN ends the session with the loop's own message.
"""

from __future__ import annotations

import importlib.util
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

import fcnet
from fcnet.backends import Backend
from fcnet.data.synthetic import function_grid, function_samples
from fcnet.i18n import gettext as _
from fcnet.nn.losses import softmax
from fcnet.spec import Activation, LayerSpec, Loss, NetSpec, Optimizer, OptimizerSpec
from fcnet.studio.sessions import TrainingSession
from fcnet.tasks.fit import Scale
from fcnet.train import Callback, train

# Points of the curve sent to the page (the fit is drawn on this grid).
GRID_POINTS = 200
# At most this many progress events a second, so a learner can watch the fit move.
MAX_UPDATES_PER_S = 25.0


def available_backends() -> list[str]:
    """The backends this Python can run: numpy always; torch and tensorflow where both the
    framework and fcnet's backend module for it are installed (nothing is imported)."""
    found = ["numpy"]
    for name, framework in (("torch", "torch"), ("tensorflow", "tensorflow")):
        module = f"fcnet.backends.{'tf' if name == 'tensorflow' else name}_backend"
        if importlib.util.find_spec(framework) and importlib.util.find_spec(module):
            found.append(name)
    return found


def check_backend(backend: str) -> None:
    if backend not in available_backends():
        raise ValueError(
            _("backend: {backend!r} is not installed here; available: ").format(backend=backend)
            + ", ".join(available_backends())
        )


# JSON integers beyond this are refused in every request before a field is read: a float
# holds them only approximately and a C integer not at all (10**400 would overflow).
MAX_INT = 2**63 - 1


def item_path(parent: str, key: Any) -> str:
    """A JSON item's path as the error names it: a.b[2].c."""
    if key is None:
        return parent
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


class StrictRequest(BaseModel):
    """A request body: unknown keys refused, and no integer beyond +-MAX_INT anywhere.

    Strict (pydantic's strict mode): a JSON boolean is no number (`{"width": true}` is
    refused, not read as 1), nor a string one; a number field takes JSON integers too.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _bounded_integers(cls, data: Any) -> Any:
        # containers are walked with a stack (the body's nesting is bounded by its size
        # alone); a container's scalars are looked at in place and a path is made only for
        # the integer refused, so a long list of numbers costs one pass
        stack: list[tuple[str, Any]] = [("", {None: data})]  # key None: the body itself
        while stack:
            where, item = stack.pop()
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, value in pairs:
                kind = type(value)
                if kind is dict or kind is list:
                    stack.append((item_path(where, key), value))
                elif kind is int and (value > MAX_INT or value < -MAX_INT):
                    digits = int(value.bit_length() * 0.30103) + 1  # str() may be refused
                    raise ValueError(
                        _(
                            "{field}: expected a number of at most 19 digits, got one of "
                            "about {digits}"
                        ).format(field=item_path(where, key) or "body", digits=digits)
                    )
        return data


class FitRequest(StrictRequest):
    """Fit page: a network of `depth` hidden layers of `width` units fits f(x) on [x_min, x_max]."""

    expr: str = Field(min_length=1, max_length=200)
    x_min: float = Field(default=-3.0, ge=-1000.0, le=1000.0)
    x_max: float = Field(default=3.0, ge=-1000.0, le=1000.0)
    width: int = Field(default=32, ge=1, le=1024)
    depth: int = Field(default=1, ge=1, le=4)
    activation: Activation = "relu"
    optimizer: Optimizer = "adam"
    lr: float = Field(default=0.01, gt=0.0, le=10.0)
    backend: Backend = "numpy"
    steps: int = Field(default=2000, ge=1, le=20000)
    samples: int = Field(default=256, ge=8, le=4096)
    noise: float = Field(default=0.0, ge=0.0, le=100.0)
    every: int = Field(default=10, ge=1, le=1000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)

    @model_validator(mode="after")
    def _range(self) -> FitRequest:
        if not self.x_min < self.x_max:
            raise ValueError(
                _("expected x_min < x_max, got {x_min} and {x_max}").format(
                    x_min=self.x_min, x_max=self.x_max
                )
            )
        return self


class DigitsTrainRequest(StrictRequest):
    """Digits page: a quick MNIST classifier, 784-(width x depth)-10, a few epochs."""

    width: int = Field(default=128, ge=1, le=1024)
    depth: int = Field(default=1, ge=1, le=4)
    activation: Activation = "relu"
    optimizer: Optimizer = "adam"
    lr: float = Field(default=1e-3, gt=0.0, le=10.0)
    epochs: int = Field(default=1, ge=1, le=5)
    samples: int = Field(default=60000, ge=100, le=60000)
    batch_size: int = Field(default=128, ge=1, le=4096)
    backend: Backend = "numpy"
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


def parse_function(text: str):
    """`text` parsed exactly as `fcnet fit` parses it; only functions of x alone are taken."""
    from fcnet.expr import parse

    f = parse(text)  # ExprError (a ValueError) for anything it refuses
    extra = sorted(set(getattr(f, "variables", ())) - {"x"})
    if extra:
        raise ValueError(
            _(
                "expr: the Fit page takes a function of x alone, got {text!r} with variable(s) "
                "{extra}"
            ).format(text=text, extra=", ".join(extra))
        )
    return f


def _network(
    req: FitRequest | DigitsTrainRequest, input_size: int, output_size: int, loss: Loss
) -> NetSpec:
    """The network a page asks for: `depth` hidden layers of `width` units."""
    return NetSpec(
        input_size=input_size,
        hidden=[LayerSpec(width=req.width, activation=req.activation)] * req.depth,
        output_size=output_size,
        loss=loss,
        optimizer=OptimizerSpec(name=req.optimizer, lr=req.lr),
        seed=req.seed,
    )


class _SessionSteps(Callback):
    """The studio's hook into `fcnet.train.train`: after every optimiser step, report it
    (`on_step(global_step, epoch, loss)`), then wait while paused and stop when stopped
    (TrainingStopped), so the page is obeyed within one step."""

    def __init__(
        self,
        session: TrainingSession,
        steps_per_epoch: int,
        on_step: Callable[[int, int, float], None],
    ) -> None:
        self.session, self.per_epoch, self.on_step = session, steps_per_epoch, on_step

    def on_step_end(self, epoch: int, step: int, loss: float) -> None:
        self.on_step((epoch - 1) * self.per_epoch + step, epoch, loss)
        self.session.checkpoint()


def _throttle(session: TrainingSession, last: float) -> float:
    """Keep progress events at most MAX_UPDATES_PER_S; returns the time of this one."""
    wait = last + 1.0 / MAX_UPDATES_PER_S - time.monotonic()
    if wait > 0:
        session.sleep(wait)
    return time.monotonic()


class FitSession(TrainingSession):
    """Fit f(x) with a fully-connected network; progress carries the curve and the kinks.

    x is scaled to [-1, 1] and y standardised for training as `fcnet fit` does (its
    `Scale`), so every range trains alike; the curve, the kinks and the loss are sent back
    in the user's units.
    """

    kind = "fit"

    def __init__(self, req: FitRequest) -> None:
        super().__init__()
        self.req = req
        f = parse_function(req.expr)
        rng = np.random.default_rng(req.seed)
        ranges = [(req.x_min, req.x_max)]
        # The same samples and checks as `fcnet fit` (non-finite values name the x).
        x, y = function_samples(f, req.samples, ranges, rng, req.noise, expr=req.expr)
        grid, target = function_grid(f, ranges, GRID_POINTS, expr=req.expr)
        self.grid, self.target = grid[:, 0], target[:, 0]  # (G,), (G,)
        if np.abs(target).max() > 1e12:
            raise ValueError(
                _(
                    "expr: {expr!r} reaches {largest:.3g}; expected |f(x)| <= 1e12 on the range"
                ).format(expr=req.expr, largest=np.abs(target).max())
            )
        self.scale = Scale.of(ranges, y)  # `fcnet fit`'s own scaling, folded in on saving
        self.x, self.y = self.scale.x(x), self.scale.y(y)  # (N, 1), (N, 1)
        self.spec = _network(req, 1, 1, "mse")

    def start_payload(self) -> dict[str, Any]:
        """What the page draws before the first step: the target on the grid."""
        return {
            "session": self.id,
            "x": _round(self.grid),
            "target": _round(self.target),
            "steps": self.req.steps,
            "kinks": self.req.activation in ("relu", "leaky_relu"),
        }

    def _curve(self, model) -> np.ndarray:
        xg = self.scale.x(self.grid[:, None])  # (G, 1)
        return self.scale.raw_y(model.predict(xg)).reshape(-1)  # (G,)

    def _kinks(self, model) -> list[float]:
        """x = -b_i / w_i for each first-layer unit with w_i != 0, inside the range."""
        if self.req.activation not in ("relu", "leaky_relu"):
            return []
        weights = model.get_weights()
        w = np.asarray(weights["0.weight"], dtype=np.float64).reshape(-1)  # (width,)
        b = np.asarray(weights.get("0.bias", np.zeros_like(w)), dtype=np.float64).reshape(-1)
        on = w != 0
        xk = self.scale.raw_x(-b[on] / w[on])  # (k,): one variable
        xk = xk[(xk >= self.req.x_min) & (xk <= self.req.x_max)]
        return _round(np.sort(xk))

    def _spread_kinks(self, model) -> None:
        """Move each first-layer unit's switch point -b/w to its own stratum of the range.

        With zero biases every unit would switch at the middle of the range and a ReLU
        network often stalls in a poor fit; spread evenly, the units start covering the
        whole range (the weights keep their initialisation).
        """
        weights = model.get_weights()
        if "0.bias" not in weights:
            return
        w = np.asarray(weights["0.weight"])[:, 0]  # (width,)
        n = w.shape[0]
        rng = np.random.default_rng(self.req.seed)
        u = (np.arange(n) + rng.uniform(0.0, 1.0, n)) / n * 2.0 - 1.0  # in [-1, 1]
        weights["0.bias"] = (-w * u).astype(weights["0.bias"].dtype)
        model.set_weights(weights)

    def _progress(self, model, step: int, loss: float | None) -> dict[str, Any]:
        return {
            "type": "progress",
            "step": step,
            "steps": self.req.steps,
            "loss": loss,
            "y": _round(self._curve(model)),
            "kinks": self._kinks(model),
        }

    def run(self) -> None:
        req = self.req
        model = fcnet.build(self.spec, req.backend)
        self._spread_kinks(model)
        self.emit(self._progress(model, 0, None))
        scale = self.scale.sigma**2  # the loss in the user's units
        last = time.monotonic()

        def on_step(step: int, epoch: int, loss: float) -> None:
            nonlocal last
            if step % req.every == 0 or step == req.steps:
                last = _throttle(self, last)
                self.emit(self._progress(model, step, loss * scale))

        self.checkpoint()
        # one full-batch step per epoch (the loop shuffles the rows; the sum is the same)
        train(
            model,
            self.x,
            self.y,
            epochs=req.steps,
            batch_size=len(self.x),
            seed=req.seed,
            callbacks=[_SessionSteps(self, 1, on_step)],
            progress=False,
        )
        curve = self._curve(model)
        self.emit(
            {
                "type": "done",
                "status": "done",
                "step": req.steps,
                "grid_mse": float(np.mean((curve - self.target) ** 2)),
                "max_abs_error": float(np.max(np.abs(curve - self.target))),
            }
        )


def _round(a: np.ndarray) -> list[float]:
    """A float array as a short JSON list (6 significant digits are plenty for a chart)."""
    return [float(f"{v:.6g}") for v in np.asarray(a, dtype=np.float64).reshape(-1)]


# ----- Digits ------------------------------------------------------------------------------

_mnist_lock = threading.Lock()
_mnist_cache: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}


def load_mnist_arrays():
    """(x_train, y_train, x_test, y_test): the shipped MNIST, images (N, 784) float32 in
    [0, 1] (as `fcnet mnist` trains), labels int64; read once per process and kept."""
    with _mnist_lock:
        if "shipped" not in _mnist_cache:
            from fcnet.data.mnist import load_mnist

            _mnist_cache["shipped"] = (*load_mnist("train"), *load_mnist("test"))
        return _mnist_cache["shipped"]


class ModelStore:
    """Digits models trained from the page, by id ("session:<id>"), the newest few kept."""

    def __init__(self, keep: int = 4) -> None:
        self.keep = keep
        self._models: OrderedDict[str, tuple[Any, str]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, model_id: str, model: Any, label: str) -> None:
        with self._lock:
            self._models[model_id] = (model, label)
            while len(self._models) > self.keep:
                self._models.popitem(last=False)

    def get(self, model_id: str) -> Any | None:
        with self._lock:
            item = self._models.get(model_id)
        return None if item is None else item[0]

    def listing(self) -> list[dict[str, str]]:
        with self._lock:
            return [
                {"id": k, "label": label} for k, (_model, label) in reversed(self._models.items())
            ]


class DigitsSession(TrainingSession):
    """Train a quick MNIST classifier; progress carries step, epoch and the running loss."""

    kind = "digits"

    def __init__(self, req: DigitsTrainRequest, store: ModelStore) -> None:
        super().__init__()
        self.req = req
        self.store = store
        self.spec = _network(req, 784, 10, "cross_entropy")

    def run(self) -> None:
        req = self.req
        self.emit({"type": "status", "status": "loading MNIST"})
        x_train, y_train, x_test, y_test = load_mnist_arrays()
        x_train, y_train = x_train[: req.samples], y_train[: req.samples]
        model = fcnet.build(self.spec, req.backend)
        per_epoch = math.ceil(len(x_train) / req.batch_size)
        steps = per_epoch * req.epochs
        every = max(1, steps // 100)
        running: float | None = None
        last = 0.0

        def on_step(step: int, epoch: int, loss: float) -> None:
            nonlocal running, last
            running = loss if running is None else 0.95 * running + 0.05 * loss
            if step % every == 0 or step == steps:
                last = _throttle(self, last) if step < steps else last
                self.emit(
                    {
                        "type": "progress",
                        "step": step,
                        "steps": steps,
                        "epoch": epoch,
                        "epochs": req.epochs,
                        "loss": running,
                    }
                )

        self.checkpoint()
        train(
            model,
            x_train,
            y_train,
            epochs=req.epochs,
            batch_size=req.batch_size,
            seed=req.seed,
            callbacks=[_SessionSteps(self, per_epoch, on_step)],
            progress=False,
        )
        logits = np.asarray(model.predict(x_test))  # (10000, 10)
        accuracy = float(np.mean(logits.argmax(axis=1) == y_test))
        widths = "-".join(str(req.width) for _layer in range(req.depth))
        label = (
            f"trained here: 784-{widths}-10, {req.epochs} epoch(s), test accuracy {accuracy:.2%}"
        )
        model_id = f"session:{self.id}"
        self.store.add(model_id, model, label)
        self.emit(
            {
                "type": "done",
                "status": "done",
                "test_accuracy": accuracy,
                "model": model_id,
                "label": label,
            }
        )


def predict_digit(model: Any, image: np.ndarray, lock: threading.Lock) -> list[float]:
    """Probabilities 0-9 for one 28x28 image (values 0..1)."""
    x = image.reshape(1, 784).astype(np.float32)
    with lock:
        logits = np.asarray(model.predict(x), dtype=np.float64)  # (1, 10)
    return [float(p) for p in softmax(logits)[0]]
