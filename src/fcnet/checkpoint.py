"""The training loop's checkpoint: what an exact resume needs, as one `.npz` (no pickle).

`LoopState` is everything besides the model that resuming bit for bit needs (the epoch,
the step inside it, the epoch's sample order, the shuffling generator, early stopping's
count and best weights, the `History`). `save` writes it with the model's state
atomically; `load` reads it back, every field checked before the model is touched: the
JSON metadata by the pydantic model `CheckpointMeta`, the arrays by shape and range.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fcnet._fileio import FileError, atomic_write, load_npz, parse_json, scalar_text
from fcnet.i18n import N_
from fcnet.i18n import gettext as _

if TYPE_CHECKING:  # pragma: no cover
    from fcnet.backends import Model

VERSION = 1
META_LIMIT = 64 << 20  # bytes of a checkpoint's JSON metadata (the history grows per epoch)


@dataclass
class History:
    """What training produced: a record per epoch, and how it ended."""

    records: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int | None = None
    best_value: float | None = None
    stopped_early: bool = False
    seconds: float = 0.0

    def column(self, key: str) -> list[float]:
        """The values of `key` over the epochs (NaN where an epoch lacks it)."""
        return [float(r.get(key, math.nan)) for r in self.records]


@dataclass
class LoopState:
    """Everything besides the model that exact resumption needs."""

    rng: np.random.Generator
    history: History = field(default_factory=History)
    epoch: int = 0  # epochs completed
    order: np.ndarray | None = None  # the current epoch's sample order, None between epochs
    step: int = 0  # steps done in the current epoch
    loss_sum: float = 0.0
    seconds: float = 0.0  # seconds spent in the current epoch before an interruption
    wait: int = 0
    best_weights: dict[str, np.ndarray] | None = None
    t_epoch: float = 0.0  # perf_counter() at the (resumed) start of the current epoch


# ----- the metadata, as pydantic checks it ----------------------------------------------------

Count = Annotated[int, Field(ge=0, lt=2**53)]


class _HistoryMeta(BaseModel):
    model_config = ConfigDict(strict=True)

    records: list[dict[str, int | float]]
    best_epoch: Count | None
    best_value: float | None
    stopped_early: bool
    seconds: float


class CheckpointMeta(BaseModel):
    """The `__meta__` entry of a checkpoint (strict types: no bool for a number)."""

    model_config = ConfigDict(strict=True)

    version: Any = None  # checked first, with its own message
    backend: str | None = None
    epoch: Count
    step: Count
    loss_sum: float
    seconds: float
    wait: Count
    rng: dict[str, Any]
    history: _HistoryMeta


# what a field must be, by its type, for the one-line message
_EXPECTED = {
    "int_type": N_("an integer >= 0"),
    "greater_than_equal": N_("an integer >= 0"),
    "less_than": N_("an integer >= 0"),
    "float_type": N_("a number"),
    "bool_type": N_("true or false"),
    "dict_type": N_("an object"),
    "model_type": N_("an object"),
    "string_type": N_("a text"),
}


def _meta_error(path: Path, exc: ValidationError, epoch: Any) -> FileError:
    """The first pydantic error as the one line the checkpoint's messages use."""
    err = exc.errors(include_url=False)[0]
    loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
    if loc and loc[-1] in ("int", "float"):  # a union member's name
        loc = loc[:-1]
    if loc[:2] == ["history", "records"]:
        loc = loc[:2]
    name = ".".join(loc) or "__meta__"
    if err["type"] == "missing":
        return FileError(_("{path}: field {field} is missing").format(path=path, field=repr(name)))
    if name == "history.records":
        n = epoch if isinstance(epoch, int) else "?"
        what = _("a list of {epoch} records of numbers (one per epoch)").format(epoch=n)
    else:
        what = _(_EXPECTED.get(err["type"], N_("a valid value")))
    shown = repr(err.get("input"))
    shown = shown if len(shown) <= 40 else shown[:40] + "..."
    return FileError(
        _("{path}: field {field} must be {what}, got {shown}").format(
            path=path, field=repr(name), what=what, shown=shown
        )
    )


# ----- writing and reading --------------------------------------------------------------------


def save(path: Path, model: Model, state: LoopState) -> None:
    """Write the model's state and the loop's state to `path` atomically (npz, no pickle)."""
    h = state.history
    meta = {
        "version": VERSION,
        "backend": getattr(model, "backend", None),
        "epoch": state.epoch,
        "step": state.step,
        "loss_sum": state.loss_sum,
        "seconds": state.seconds,
        "wait": state.wait,
        "rng": state.rng.bit_generator.state,
        "history": {
            "records": h.records,
            "best_epoch": h.best_epoch,
            "best_value": h.best_value,
            "stopped_early": h.stopped_early,
            "seconds": h.seconds,
        },
    }
    arrays: dict[str, Any] = {"__meta__": np.array(json.dumps(meta))}
    for k, v in model.get_state().items():
        arrays[f"state/{k}"] = np.asarray(v)
    if state.order is not None:
        arrays["order"] = state.order
    for k, v in (state.best_weights or {}).items():
        arrays[f"best/{k}"] = np.asarray(v)
    with atomic_write(path, "wb") as fh:
        np.savez(fh, **arrays)


def load(path: Path, model: Model, n: int, n_batches: int) -> LoopState:
    """The loop's state from `path`, every field checked before the model is touched."""
    if not path.is_file():
        raise FileNotFoundError(2, _("no checkpoint to resume from"), str(path))
    arrays = load_npz(path, N_("checkpoint"), small={"__meta__": META_LIMIT})
    raw = parse_json(scalar_text(arrays, "__meta__", str(path)), f"{path}: __meta__")
    if not isinstance(raw, dict):
        raise FileError(_("{path}: {where} is not an object").format(path=path, where="__meta__"))
    if raw.get("version") != VERSION:
        raise FileError(
            _("{path}: checkpoint version {version} is not supported").format(
                path=path, version=repr(raw.get("version"))
            )
        )
    backend = getattr(model, "backend", None)
    if raw.get("backend") != backend:
        raise FileError(
            _(
                "{path}: the checkpoint was written by backend {saved}, cannot resume it on "
                "{backend}"
            ).format(path=path, saved=repr(raw.get("backend")), backend=repr(backend))
        )
    try:
        meta = CheckpointMeta.model_validate(raw)
    except ValidationError as exc:
        raise _meta_error(path, exc, raw.get("epoch")) from None
    h = meta.history
    if len(h.records) != meta.epoch:
        what = _("a list of {epoch} records of numbers (one per epoch)").format(epoch=meta.epoch)
        raise FileError(
            _("{path}: field {field} must be {what}, got {shown}").format(
                path=path,
                field=repr("history.records"),
                what=what,
                shown=_("{n} records").format(n=len(h.records)),
            )
        )
    rng = np.random.default_rng()
    try:
        rng.bit_generator.state = meta.rng
        rng.random()  # a state the generator accepted but cannot draw from fails here
        rng.bit_generator.state = meta.rng
    except Exception as exc:
        raise FileError(
            _("{path}: field 'rng' is not a generator state ({error})").format(path=path, error=exc)
        ) from None
    order = arrays.get("order")
    if order is not None:
        _check_order(path, order, n, meta.step, n_batches)
    best = {k[5:]: v for k, v in arrays.items() if k.startswith("best/")}
    if best:
        _check_like(path, "best", best, model.get_weights())
    state = {k[6:]: v for k, v in arrays.items() if k.startswith("state/")}
    try:
        model.set_state(state)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise FileError(
            _("{path}: field 'state' does not fit this model ({detail})").format(
                path=path, detail=detail
            )
        ) from None
    return LoopState(
        rng=rng,
        history=History(
            records=[dict(r) for r in h.records],
            best_epoch=h.best_epoch,
            best_value=h.best_value,
            stopped_early=h.stopped_early,
            seconds=h.seconds,
        ),
        epoch=meta.epoch,
        order=order,
        step=meta.step,
        loss_sum=meta.loss_sum,
        seconds=meta.seconds,
        wait=meta.wait,
        best_weights=best or None,
    )


def _check_order(path: Path, order: np.ndarray, n: int, step: int, n_batches: int) -> None:
    if order.ndim != 1 or order.dtype.kind not in "iu" or len(order) != n:
        raise FileError(
            _(
                "{path}: field 'order' must be {n} sample indices, got shape {shape} of {dtype}"
            ).format(path=path, n=n, shape=order.shape, dtype=order.dtype)
        )
    if n and (order.min() < 0 or order.max() >= n):
        raise FileError(
            _("{path}: field 'order' holds indices outside 0..{last}").format(path=path, last=n - 1)
        )
    if step > n_batches:
        raise FileError(
            _("{path}: field 'step' is {step}, an epoch has {n_batches} steps").format(
                path=path, step=step, n_batches=n_batches
            )
        )


def _check_like(
    path: Path, field: str, got: Mapping[str, np.ndarray], like: Mapping[str, np.ndarray]
) -> None:
    if set(got) != set(like):
        raise FileError(
            _("{path}: field {field} holds {got}, expected {expected}").format(
                path=path, field=repr(field), got=sorted(got), expected=sorted(like)
            )
        )
    for k, v in got.items():
        if v.shape != np.shape(like[k]) or v.dtype.kind != "f":
            raise FileError(
                _(
                    "{path}: field '{field}' is {shape} of {dtype}, expected {expected} of floats"
                ).format(
                    path=path,
                    field=f"{field}/{k}",
                    shape=v.shape,
                    dtype=v.dtype,
                    expected=np.shape(like[k]),
                )
            )


__all__ = ["VERSION", "CheckpointMeta", "History", "LoopState", "load", "save"]
