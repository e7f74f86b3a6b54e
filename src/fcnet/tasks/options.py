"""Each task's options as data, and the one precedence rule that resolves them.

A task's options are one dataclass (`TaskOptions` and its subclass in the task's module:
`FitOptions`, `MnistOptions`, `BinaryOptions`); each field carries its default, help,
allowed values and check (`option(...)`). From that one declaration come the CLI's click
options (`fcnet.cli.tasks`), the task function's keyword arguments (`task_function`) and
the checks (`check`), so no list of options is written twice.

Precedence, every task, every option (`resolve`):

    explicit flag / keyword  >  --config file  >  preset / dataset defaults  >  defaults

"defaults" are the dataclass's, which for the network's options are NetSpec's own. The
run folder's run.json records where each value came from (`SOURCES`).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal, get_args

import numpy as np

from fcnet.backends import BACKENDS
from fcnet.i18n import gettext as _
from fcnet.spec import ACTIVATIONS, OPTIMIZERS, LayerSpec, NetSpec, OptimizerSpec
from fcnet.train import MONITORS

Source = Literal["flag", "config", "preset", "default"]
SOURCES: tuple[str, ...] = get_args(Source)

# Options a resumed run may change; the others must stay as the run was started.
RESUMABLE = ("epochs", "quiet", "out", "device")


@dataclass(frozen=True)
class Meta:
    """What a field declares beyond its name and default."""

    help: str
    choices: tuple[str, ...] | None = None  # allowed values (a click.Choice on the CLI)
    kind: str = "str"  # "str", "int", "float", "flag", "bool" (--x/--no-x), "path", "dir"
    nargs: int = 1
    short: str | None = None  # "-q"
    argument: bool = False  # a positional argument on the CLI (fit's EXPR)
    check: Callable[[str, Any], Any] | None = None  # (flag, value) -> value, or ValueError
    spec: bool = False  # a NetSpec setting: a --config file may set it


def option(default: Any, help: str, **meta: Any) -> Any:
    """A dataclass field of a task's options (see `Meta` for the keywords)."""
    return field(default=default, metadata={"fcnet": Meta(help=help, **meta)})


def meta(f: dataclasses.Field[Any]) -> Meta:
    return f.metadata["fcnet"]


def flag(name: str) -> str:
    """The CLI flag of option `name`: batch_size -> --batch-size."""
    return "--" + name.replace("_", "-")


# ----- checks (the messages name the flag) ----------------------------------------------------


def int_at_least(low: int) -> Callable[[str, Any], Any]:
    def check(where: str, v: Any) -> Any:
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < low:
            raise ValueError(
                _("{where}: expected an int >= {low}, got {v!r}").format(where=where, low=low, v=v)
            )
        return int(v)

    return check


def _lr(where: str, v: Any) -> Any:
    if not (_is_real(v) and v > 0 and math.isfinite(v)):
        raise ValueError(
            _("{where}: expected a learning rate > 0, got {v!r}").format(where=where, v=v)
        )
    return float(v)


def _probability(where: str, v: Any) -> Any:
    if not (_is_real(v) and 0 <= v < 1):
        raise ValueError(_("{where}: expected 0 <= p < 1, got {v!r}").format(where=where, v=v))
    return float(v)


def non_negative(where: str, v: Any) -> Any:
    if not (_is_real(v) and v >= 0 and math.isfinite(v)):
        raise ValueError(_("{where}: expected a number >= 0, got {v!r}").format(where=where, v=v))
    return float(v)


def _is_real(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


DEVICES = ("cpu", "cuda", "cuda:N", "auto")
_DEVICE = re.compile(r"cpu|cuda|cuda:\d+|auto")


DEVICE_HELP = "Where to train: cpu, cuda, cuda:N or auto. [default: cpu]"


def check_device(where: str, v: Any) -> Any:
    """The spelling only; whether the machine has that device is the backend's to say."""
    if not (isinstance(v, str) and _DEVICE.fullmatch(v)):
        raise ValueError(
            _("{where}: expected one of {devices}, got {v!r}").format(
                where=where, devices=", ".join(DEVICES), v=v
            )
        )
    return v


def parse_hidden(value: Any, flag: str = "--hidden") -> list[int] | None:
    """Hidden widths from "512,256", 64, or [512, 256]; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
        try:
            widths = [int(p) for p in parts]
        except ValueError:
            raise ValueError(
                _("{flag}: expected comma-separated widths such as 512,256, got {value!r}").format(
                    flag=flag, value=value
                )
            ) from None
    elif isinstance(value, int | np.integer) and not isinstance(value, bool):
        widths = [int(value)]
    else:
        try:
            widths = [int(v) for v in value]
        except (TypeError, ValueError):
            raise ValueError(
                _("{flag}: expected comma-separated widths such as 512,256, got {value!r}").format(
                    flag=flag, value=value
                )
            ) from None
    if not widths or any(w < 1 for w in widths):
        raise ValueError(
            _("{flag}: expected widths >= 1, got {value!r}").format(flag=flag, value=value)
        )
    return widths


def _hidden(where: str, v: Any) -> Any:
    if isinstance(v, list | tuple) and len(v) == 0:
        return []  # a --config file's network without hidden layers
    return parse_hidden(v, where)


def _flag_value(where: str, v: Any) -> Any:
    if not isinstance(v, bool | np.bool_):
        raise ValueError(_("{where}: expected True or False, got {v!r}").format(where=where, v=v))
    return bool(v)


def check_choice(where: str, v: Any, choices: Sequence[str]) -> Any:
    """`v` if it is one of `choices`; else a one-line error naming `where` and the choices."""
    if v not in choices:
        raise ValueError(
            _("{where}: expected one of {choices}, got {v!r}").format(
                where=where, choices=", ".join(choices), v=v
            )
        )
    return v


# ----- the options every task takes -----------------------------------------------------------

_LAYER = LayerSpec.model_fields
_OPT = OptimizerSpec.model_fields


@dataclass
class TaskOptions:
    """The options every task takes; None where the task (its preset) decides."""

    backend: str = option(
        "numpy",
        "The engine: numpy (fcnet's own), torch or tensorflow. [default: numpy]",
        choices=BACKENDS,
    )
    config: str | None = option(
        None, "A NetSpec file (.json or .toml); flags given explicitly override it.", kind="path"
    )
    hidden: list[int] | None = option(  # noqa: RUF009 (option() is a dataclasses.field)
        None, "Hidden layer widths, comma-separated: 64 or 512,256.", check=_hidden, spec=True
    )
    activation: str = option(
        _LAYER["activation"].default, "Hidden activation.", choices=ACTIVATIONS, spec=True
    )
    optimizer: str = option(_OPT["name"].default, "[default: adam]", choices=OPTIMIZERS, spec=True)
    lr: float = option(
        _OPT["lr"].default, "Learning rate (the schedule's peak).", kind="float", check=_lr,
        spec=True,
    )  # fmt: skip
    batch_size: int | None = option(
        None, "Samples per optimiser step.", kind="int", check=int_at_least(1)
    )
    epochs: int | None = option(
        None, "Passes over the training data.", kind="int", check=int_at_least(1)
    )
    weight_decay: float = option(
        _OPT["weight_decay"].default, "L2 weight decay (AdamW: decoupled).", kind="float",
        check=non_negative, spec=True,
    )  # fmt: skip
    dropout: float = option(
        _LAYER["dropout"].default, "Dropout after every hidden layer, 0 <= p < 1.", kind="float",
        check=_probability, spec=True,
    )  # fmt: skip
    seed: int = option(
        NetSpec.model_fields["seed"].default,
        "Fixes everything: weights, data, shuffling. [0]",
        kind="int",
        check=int_at_least(0),
        spec=True,
    )
    out: str | None = option(
        None, "The run folder (new or empty). [default: runs/<task>-<timestamp>]", kind="out"
    )
    force: bool = option(
        False,
        "Replace an existing --out: a file, or an fcnet run folder's contents.",
        kind="flag",
        check=_flag_value,
    )
    early_stopping: bool = option(
        False,
        "Stop when the validation --monitor has not improved for --patience epochs; "
        "keep the best weights.",
        kind="flag",
        check=_flag_value,
    )
    patience: int = option(5, "Epochs without improvement. [5]", kind="int", check=int_at_least(1))
    monitor: str = option("loss", "Validation metric to watch.", choices=MONITORS)
    quiet: bool = option(
        False, "No progress bar or epoch lines.", kind="flag", short="-q", check=_flag_value
    )
    device: str = option("cpu", DEVICE_HELP, check=check_device)

    # the monitors this task can watch (a subclass narrows it)
    MONITORS: ClassVar[tuple[str, ...]] = MONITORS


def option_fields(cls: type[TaskOptions]) -> list[dataclasses.Field[Any]]:
    """The task's own options first (as the CLI lists them), then the common ones."""
    own = [f for f in fields(cls) if f.name not in _COMMON_NAMES]
    return own + [f for f in fields(cls) if f.name in _COMMON_NAMES]


_COMMON_NAMES = frozenset(f.name for f in fields(TaskOptions))


def check(cls: type[TaskOptions], values: Mapping[str, Any]) -> dict[str, Any]:
    """Each value checked (one line naming its flag), normalised (hidden to a list of ints)."""
    out = dict(values)
    for f in fields(cls):
        v = out.get(f.name)
        if v is None:
            continue
        m = meta(f)
        where = flag(f.name)
        if f.name == "monitor":
            if v not in cls.MONITORS:
                raise ValueError(
                    _("--monitor: expected one of {monitors} for this task, got {v!r}").format(
                        monitors=", ".join(cls.MONITORS), v=v
                    )
                )
            continue
        if m.choices is not None:
            out[f.name] = check_choice(where, v, m.choices)
        if m.check is not None:
            out[f.name] = m.check(where, v)
        elif m.kind in ("flag", "bool"):
            out[f.name] = _flag_value(where, v)
    return out


@dataclass
class Resolved:
    """The options of a run: each value and where it came from (see `SOURCES`)."""

    values: dict[str, Any]
    sources: dict[str, str]


def resolve(
    cls: type[TaskOptions],
    given: Mapping[str, Any],
    preset: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
) -> Resolved:
    """flag > config > preset > default, option by option; every value checked.

    given: the flags / keywords the caller passed (None = not given); preset: the task's
    preset or data set defaults; config: the NetSpec settings a --config file sets
    (`fcnet.tasks.netspec.config_options`).
    """
    names = [f.name for f in fields(cls)]
    unknown = [k for k in given if k not in names]
    if unknown:
        raise TypeError(f"unexpected option {unknown[0]!r}")
    given = check(cls, {k: v for k, v in given.items() if v is not None})
    network = {f.name for f in fields(cls) if meta(f).spec}  # what a NetSpec file can set
    config = {k: v for k, v in (config or {}).items() if k in network}
    values = {f.name: f.default for f in fields(cls)}
    sources = dict.fromkeys(names, "default")
    for layer, source in ((preset or {}, "preset"), (config, "config"), (given, "flag")):
        for k, v in layer.items():
            if k in values:
                values[k] = v
                sources[k] = source
    return Resolved(check(cls, values), sources)


# ----- the Python keyword arguments -----------------------------------------------------------


def task_function(cls: type[TaskOptions]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a task function its keyword arguments from `cls`.

    The decorated body is called as `body(given, resume=..., callbacks=...)` with `given`
    the options the caller passed (None dropped); its signature (help(), inspect) is the
    options' fields, each defaulting to None ("not given"), then resume and callbacks.
    """

    def decorate(body: Callable[..., Any]) -> Callable[..., Any]:
        params = []
        for f in option_fields(cls):
            kind = (
                inspect.Parameter.POSITIONAL_OR_KEYWORD
                if meta(f).argument
                else inspect.Parameter.KEYWORD_ONLY
            )
            params.append(inspect.Parameter(f.name, kind, default=None, annotation=f.type))
        params.sort(key=lambda p: p.kind)
        params += [
            inspect.Parameter("resume", inspect.Parameter.KEYWORD_ONLY, default=None),
            inspect.Parameter("callbacks", inspect.Parameter.KEYWORD_ONLY, default=()),
        ]
        signature = inspect.Signature(params)

        @functools.wraps(body)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            given = dict(bound.arguments)
            resume = given.pop("resume", None)
            callbacks = given.pop("callbacks", ())
            given = {k: v for k, v in given.items() if v is not None}
            return body(given, resume=resume, callbacks=callbacks)

        wrapper.__signature__ = signature  # type: ignore[attr-defined]
        wrapper.options = cls  # type: ignore[attr-defined]
        return wrapper

    return decorate


__all__ = [
    "RESUMABLE",
    "SOURCES",
    "Meta",
    "Resolved",
    "TaskOptions",
    "check",
    "check_choice",
    "check_device",
    "flag",
    "option",
    "option_fields",
    "parse_hidden",
    "resolve",
    "task_function",
]
