"""`NetSpec`: the one description of a network that every backend builds from.

A spec is plain data (pydantic, unknown keys refused), read and written as JSON or TOML:

    >>> spec = NetSpec(input_size=784, hidden=[LayerSpec(width=256)], output_size=10,
    ...                loss="cross_entropy")
    >>> spec.weight_shapes()
    {'0.weight': (256, 784), '0.bias': (256,), '2.weight': (10, 256), '2.bias': (10,)}

Every bad value raises `SpecError` (a ValueError) with one line naming the key, the
allowed values and what came.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Literal, get_args

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from fcnet._fileio import FileError, atomic_write_text, parse_json, parse_toml, read_text
from fcnet._pydantic_errors import reason, shown
from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.limits import check_widths
from fcnet.schedules import lr_at

# Each vocabulary declared once, as the type of its field; the tuples are derived from it.
Activation = Literal["relu", "leaky_relu", "sigmoid", "tanh", "identity"]
Loss = Literal["mse", "cross_entropy", "bce_with_logits", "bce"]
Optimizer = Literal["sgd", "rmsprop", "adam", "adamw"]
Schedule = Literal["none", "step", "exponential", "cosine"]
Init = Literal["normal", "xavier_uniform", "xavier_normal", "he_normal", "he_uniform"]
DType = Literal["float32", "float64"]

ACTIVATIONS: tuple[str, ...] = get_args(Activation)
LOSSES: tuple[str, ...] = get_args(Loss)
OPTIMIZERS: tuple[str, ...] = get_args(Optimizer)
SCHEDULES: tuple[str, ...] = get_args(Schedule)
INITS: tuple[str, ...] = get_args(Init)
DTYPES: tuple[str, ...] = get_args(DType)


SPEC_FILE_LIMIT = 1 << 20  # bytes: a spec file is a few hundred


class SpecError(ValueError):
    """A network description that cannot be built: names the key, the allowed values, what came."""


class _Strict(BaseModel):
    """Base of every spec model: unknown keys refused, assignments validated, SpecError out."""

    model_config = ConfigDict(extra="forbid")

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise SpecError(_describe(exc, type(self))) from None

    def __setattr__(self, name: str, value: Any) -> None:
        """Assignments are validated as a whole new spec, so a failed one changes nothing."""
        if name in type(self).model_fields:
            data = {k: getattr(self, k) for k in type(self).model_fields}
            data[name] = value
            try:
                value = getattr(type(self).model_validate(data), name)
            except ValidationError as exc:
                raise SpecError(_describe(exc, type(self))) from None
        super().__setattr__(name, value)

    def replace(self, **changes: Any) -> Any:
        """A validated copy with `changes` applied (the spec itself is left as it is)."""
        data = {k: getattr(self, k) for k in type(self).model_fields}
        data.update(changes)
        return type(self)(**data)


class LayerSpec(_Strict):
    """One hidden layer: Linear(width) then its activation, then Dropout when dropout > 0."""

    width: int = Field(ge=1)
    activation: Activation = "relu"
    bias: bool = True
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)


class ScheduleSpec(_Strict):
    """The learning-rate schedule, counted in optimiser steps (t = 0 for the first step)."""

    name: Schedule = "none"
    step_size: int = Field(default=1000, ge=1)
    gamma: float = Field(default=0.1, gt=0.0)
    warmup_steps: int = Field(default=0, ge=0)
    total_steps: int | None = Field(default=None, ge=1)
    min_lr: float = Field(default=0.0, ge=0.0)

    @model_validator(mode="after")
    def _check(self) -> ScheduleSpec:
        if self.name == "cosine":
            if self.total_steps is None:
                raise ValueError(
                    _("total_steps: schedule 'cosine' needs total_steps (an int >= 1)")
                )
            if self.total_steps <= self.warmup_steps:
                raise ValueError(
                    _(
                        "total_steps: must exceed warmup_steps={warmup_steps}, got {total_steps}"
                    ).format(warmup_steps=self.warmup_steps, total_steps=self.total_steps)
                )
        elif self.warmup_steps:
            raise ValueError(
                _(
                    "warmup_steps: only schedule 'cosine' warms up, got "
                    "warmup_steps={warmup_steps} with schedule {name!r}"
                ).format(warmup_steps=self.warmup_steps, name=self.name)
            )
        return self

    def lr_at(self, lr: float, t: int) -> float:
        """The learning rate of step t (0-based) for base rate `lr`, as every backend uses it
        (the formulas: `fcnet.schedules`)."""
        return float(lr_at(self.name, lr, t, **self.params()))

    def params(self) -> dict[str, Any]:
        """The keywords of `fcnet.schedules.lr_at` (everything but the name)."""
        return {
            "step_size": self.step_size,
            "gamma": self.gamma,
            "warmup_steps": self.warmup_steps,
            "total_steps": self.total_steps,
            "min_lr": self.min_lr,
        }


class OptimizerSpec(_Strict):
    """An optimiser with torch.optim's formulas and defaults (see docs/backends.md)."""

    name: Optimizer = "adam"
    lr: float = Field(default=1e-3, gt=0.0)
    momentum: float = Field(default=0.0, ge=0.0, lt=1.0)
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = Field(default=1e-8, ge=0.0)
    alpha: float = Field(default=0.99, ge=0.0, le=1.0)
    weight_decay: float = Field(default=0.0, ge=0.0)
    clip_norm: float | None = Field(default=None, gt=0.0)
    schedule: ScheduleSpec = Field(default_factory=ScheduleSpec)

    @model_validator(mode="after")
    def _check(self) -> OptimizerSpec:
        for i, beta in enumerate(self.betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(
                    _("betas[{i}]: expected 0 <= beta < 1, got {beta!r}").format(i=i, beta=beta)
                )
        if self.momentum and self.name not in ("sgd", "rmsprop"):
            raise ValueError(
                _(
                    "momentum: only 'sgd' and 'rmsprop' take momentum, got momentum={momentum} "
                    "with {name!r}"
                ).format(momentum=self.momentum, name=self.name)
            )
        if self.nesterov and (self.name != "sgd" or self.momentum == 0):
            raise ValueError(
                _(
                    "nesterov: needs optimizer 'sgd' with momentum > 0, got {name!r} with "
                    "momentum={momentum}"
                ).format(name=self.name, momentum=self.momentum)
            )
        if self.schedule.name == "cosine" and self.schedule.min_lr > self.lr:
            raise ValueError(
                _("schedule.min_lr: expected <= lr={lr}, got {min_lr}").format(
                    lr=self.lr, min_lr=self.schedule.min_lr
                )
            )
        return self


class NetSpec(_Strict):
    """A fully-connected network, its loss, optimiser, initialisation, dtype and seed.

    Canonical layer order (PyTorch `nn.Sequential` indices, which name the weights): for
    each hidden layer Linear, its activation (Identity for "identity"), Dropout when
    dropout > 0; then the output Linear, then Sigmoid when output_activation is "sigmoid".
    """

    input_size: int = Field(ge=1)
    hidden: list[LayerSpec] = Field(default_factory=list)
    output_size: int = Field(ge=1)
    output_bias: bool = True
    output_activation: Literal["none", "sigmoid"] = "none"
    loss: Loss = "mse"
    reduction: Literal["mean", "sum"] = "mean"
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    init: Init = "he_normal"
    dtype: DType = "float32"
    seed: int = Field(default=0, ge=0, le=2**63 - 1)  # every framework's seed fits int64

    @field_validator("hidden", mode="before")
    @classmethod
    def _widths(cls, value: Any) -> Any:
        """`hidden = [256, 128]` is short for two relu layers of those widths."""
        if isinstance(value, list):
            return [
                {"width": v} if isinstance(v, int) and not isinstance(v, bool) else v for v in value
            ]
        return value

    @model_validator(mode="after")
    def _check(self) -> NetSpec:
        if self.loss == "bce" and self.output_activation != "sigmoid":
            raise ValueError(
                _(
                    "output_activation: loss 'bce' takes probabilities, so it needs "
                    "output_activation 'sigmoid', got {output_activation!r} (or use loss "
                    "'bce_with_logits')"
                ).format(output_activation=self.output_activation)
            )
        if self.output_activation == "sigmoid" and self.loss != "bce":
            raise ValueError(
                _(
                    "output_activation: 'sigmoid' goes only with loss 'bce', got loss {loss!r} "
                    "(allowed output_activation here: 'none')"
                ).format(loss=self.loss)
            )
        if self.loss in ("bce", "bce_with_logits") and self.output_size != 1:
            raise ValueError(
                _(
                    "output_size: loss {loss!r} is binary and needs output_size 1, got "
                    "{output_size}"
                ).format(loss=self.loss, output_size=self.output_size)
            )
        if self.loss == "cross_entropy" and self.output_size < 2:
            raise ValueError(
                _(
                    "output_size: loss 'cross_entropy' needs output_size >= 2 (one logit per "
                    "class), got {output_size} (for two classes with one output use "
                    "'bce_with_logits')"
                ).format(output_size=self.output_size)
            )
        if self.reduction == "sum" and self.loss not in ("mse", "bce"):
            raise ValueError(
                _(
                    "reduction: 'sum' is offered for losses 'mse' and 'bce', got loss {loss!r} "
                    "(allowed: 'mean')"
                ).format(loss=self.loss)
            )
        check_widths(self)  # fixed bounds only: the memory is checked where a model is built
        return self

    # ----- the canonical layout ----------------------------------------------------------

    def layers(self) -> list[tuple[str, Any]]:
        """The canonical layer list: ("linear", (in, out, bias)), (activation name, None),
        ("dropout", p) or ("sigmoid", None); the list index is the weight-name index."""
        out: list[tuple[str, Any]] = []
        width = self.input_size
        for layer in self.hidden:
            out.append(("linear", (width, layer.width, layer.bias)))
            out.append((layer.activation, None))
            if layer.dropout > 0:
                out.append(("dropout", layer.dropout))
            width = layer.width
        out.append(("linear", (width, self.output_size, self.output_bias)))
        if self.output_activation == "sigmoid":
            out.append(("sigmoid", None))
        return out

    def weight_shapes(self) -> dict[str, tuple[int, ...]]:
        """Canonical weight names and shapes: "<index>.weight" (out, in), "<index>.bias" (out,)."""
        shapes: dict[str, tuple[int, ...]] = {}
        for i, (kind, arg) in enumerate(self.layers()):
            if kind == "linear":
                n_in, n_out, bias = arg
                shapes[f"{i}.weight"] = (n_out, n_in)
                if bias:
                    shapes[f"{i}.bias"] = (n_out,)
        return shapes

    # ----- dict, JSON, TOML --------------------------------------------------------------

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NetSpec:
        """Validate a plain dict (as read from JSON or TOML)."""
        if not isinstance(d, dict):
            raise SpecError(
                _("spec: expected a table/object of keys, got {type}").format(type=type(d).__name__)
            )
        try:
            return cls.model_validate(d)
        except ValidationError as exc:
            raise SpecError(_describe(exc, cls)) from None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (betas as a list, None kept)."""
        return self.model_dump(mode="json")

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str, source: str = "spec JSON") -> NetSpec:
        try:
            d = parse_json(text, source)
        except FileError as exc:
            raise SpecError(str(exc)) from None
        return cls.from_dict(d)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NetSpec:
        """Read a spec from `.json` or `.toml`. A TOML file may hold it under `[net]`."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".json", ".toml"):
            raise SpecError(f"{path}: expected a .json or .toml spec file, got {suffix!r}")
        try:
            text = read_text(path, SPEC_FILE_LIMIT, N_("spec file"))
        except FileError as exc:
            raise SpecError(str(exc)) from None
        if suffix == ".json":
            return _with_source(path, lambda: cls.from_json(text, source=str(path)))
        try:
            d = parse_toml(text, str(path))
        except FileError as exc:
            raise SpecError(str(exc)) from None
        if "net" in d and isinstance(d["net"], dict):
            d = d["net"]
        return _with_source(path, lambda: cls.from_dict(d))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the spec as `.json` or `.toml` (atomically). TOML omits unset (None) keys."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".json":
            atomic_write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")
        elif suffix == ".toml":
            atomic_write_text(path, tomli_w.dumps(self.model_dump(mode="json", exclude_none=True)))
        else:
            raise SpecError(
                _("{path}: expected a .json or .toml spec file, got {suffix!r}").format(
                    path=path, suffix=suffix
                )
            )


def _with_source(path: Path, fn):
    try:
        return fn()
    except SpecError as exc:
        msg = str(exc)
        raise SpecError(msg if msg.startswith(str(path)) else f"{path}: {msg}") from None


# ----- pydantic errors -> one line ----------------------------------------------------------


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The spec model class found by following `loc` (field names, list indices) from `model`."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "spec"


def _describe(exc: ValidationError, model: type[BaseModel]) -> str:
    """The first pydantic error as one line: the key, what is allowed, what came."""
    errors = exc.errors(include_url=False)
    # a misspelt key explains the "missing" one beside it: report it first
    err = min(errors, key=lambda e: e.get("type") != "extra_forbidden")
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    value = err.get("input")
    ctx = err.get("ctx") or {}
    n_more = len(errors) - 1
    more = _(" (and {n} more errors)").format(n=n_more) if n_more > 1 else ""
    more = _(" (and 1 more error)") if n_more == 1 else more
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1]) or model
        allowed = ", ".join(owner.model_fields)
        where = _key(loc[:-1])
        prefix = f"{where}: " if loc[:-1] else ""
        return (
            prefix
            + _("unknown key {key!r} (allowed: {allowed})").format(key=loc[-1], allowed=allowed)
            + more
        )
    if kind == "missing":
        return _("{key}: required key is missing").format(key=_key(loc)) + more
    if kind == "value_error" and "error" in ctx:
        text = str(ctx["error"])
        if not loc:
            return f"{text}{more}"
        sep = "." if re.match(r"^[\w\[\]]+(\.[\w\[\]]+)*: ", text) else ": "
        return f"{_key(loc)}{sep}{text}{more}"
    # any other type in the words the studio uses too, never pydantic's English msg; the
    # key's ": " stays ASCII in every language, so a nested spec's error joins its path
    got = _(", got {value}").format(value=shown(value))
    return f"{_key(loc)}: {reason(err, quoted=True)}{got}{more}"


__all__ = [
    "ACTIVATIONS",
    "DTYPES",
    "INITS",
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULES",
    "LayerSpec",
    "NetSpec",
    "OptimizerSpec",
    "ScheduleSpec",
    "SpecError",
]
