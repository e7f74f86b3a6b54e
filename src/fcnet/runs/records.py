"""run.json as a record: the task, its options, where each came from; checked on reading.

The options' JSON types are not written here a second time: each task registers its
options dataclass (`register_task`, called where the task declares it), and the record's
pydantic model is derived from that declaration (each field's `kind`, `nargs` and type
hint, as `typing.get_type_hints` resolves it). `read_run` reads run.json through the run
folder's reader (`fcnet.runs.reader`: a regular file of at most 1 MiB, nested at most 64
deep) and checks it, for --resume, `evaluate`, `predict` and the distributed launcher: a
bad field is a ValueError naming the file and the field, before anything uses it.

The tasks register themselves when their module is imported; this package imports none
of them (`fcnet.tasks` imports `fcnet.runs`), so a caller of `read_run` imports the tasks
first (`import fcnet.tasks`), as every command that reads a run does.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from fcnet._fileio import FileError, shown_name
from fcnet.i18n import gettext as _
from fcnet.runs import reader
from fcnet.runs.layout import RUN_JSON

# options every task's run.json must hold (not None), beside the task's own
REQUIRED = ("backend", "seed", "early_stopping", "patience", "quiet")

_TASKS: dict[str, tuple[type[BaseModel], dict[str, str], tuple[str, ...]]] = {}

Number = float  # strict pydantic: an int is a number too, a bool is not
_Pair = Annotated[list[Number], Field(min_length=2, max_length=2)]


def _forms(hint: Any) -> set[Any]:
    """The types a type hint allows, None left out: `list[int] | None` -> {list[int]}."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return {a for a in typing.get_args(hint) if a is not type(None)}
    return {hint}


def _json_type(f: dataclasses.Field[Any], hint: Any) -> tuple[Any, str]:
    """The JSON type an option has in run.json, and its name for messages: the field's
    `kind` and `nargs` say it, its type hint where the option takes several forms."""
    meta = f.metadata.get("fcnet")
    kind = getattr(meta, "kind", "str")
    forms = _forms(hint)
    if getattr(meta, "nargs", 1) == 2:
        return _Pair, "two numbers"
    if list[int] in forms:  # --hidden: "512,256", 64 or [512, 256]
        return str | int | list[int], "str or int or list"
    if {float, str} <= forms:  # binary's --pos-weight: a number or "balanced"
        return Number | str, "str or int or float"
    if kind == "int":
        return int, "int"
    if kind == "float":
        return Number, "int or float"
    if kind in ("flag", "bool"):
        return bool, "bool"
    return str, "str"


def register_task(task: str, options: type, required: Sequence[str] = ()) -> None:
    """Declare `task`'s options dataclass: run.json's options are checked against it;
    `required` (beside `REQUIRED`) must not be None in a saved run."""
    hints = typing.get_type_hints(options)
    fields: dict[str, Any] = {}
    names: dict[str, str] = {}
    for f in dataclasses.fields(options):
        typ, name = _json_type(f, hints[f.name])
        fields[f.name] = (typ | None, None)
        names[f.name] = name
    model = create_model(
        f"{options.__name__}Record",
        __config__=ConfigDict(strict=True, extra="allow"),
        **fields,
    )
    _TASKS[task] = (model, names, (*REQUIRED, *required))


def _registered() -> dict[str, tuple[type[BaseModel], dict[str, str], tuple[str, ...]]]:
    """The registered tasks (each task's module registers it when imported)."""
    if not _TASKS:
        raise RuntimeError(
            "fcnet.runs.read_run: no task is registered to check run.json against; "
            "import fcnet.tasks first (each task registers its options when imported)"
        )
    return _TASKS


def read_run(
    run_dir: str | os.PathLike[str],
    task: str | None = None,
    *,
    inside: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """The run.json of a run folder, checked against its task's registered options, for
    --resume, predict and evaluate. `task`: the task the run must be. `inside`: the run
    folder as the caller resolved it; run.json must sit in it (a link leading out is
    refused) and messages name the file alone (`fcnet._fileio`'s `inside=`)."""
    run_dir = Path(run_dir)
    if not (run_dir / RUN_JSON).is_file():
        if not run_dir.exists():
            msg = _("{run_dir}: not an fcnet run folder (does not exist)")
        else:
            msg = _("{run_dir}: not an fcnet run folder (has no run.json)")
        raise ValueError(msg.format(run_dir=run_dir))
    saved = reader.read_json(run_dir, RUN_JSON, inside=inside)
    meta = shown_name(run_dir / RUN_JSON, inside)
    if not isinstance(saved, dict):
        raise FileError(
            _("{path}: expected an object of keys, got {type}").format(
                path=meta, type=type(saved).__name__
            )
        )
    tasks = _registered()
    if not isinstance(saved.get("task"), str) or saved["task"] not in tasks:
        raise FileError(
            _("{path}: field 'task' must be one of {names}, got {value}").format(
                path=meta, names=", ".join(tasks), value=_short(saved.get("task"))
            )
        )
    options = saved.get("options")
    if not isinstance(options, dict):
        raise FileError(
            _("{path}: field 'options' must be an object, got {value}").format(
                path=meta, value=_short(options)
            )
        )
    model, names, required = tasks[saved["task"]]
    for key in required:
        if options.get(key) is None:
            raise FileError(
                _("{path}: field 'options.{key}' is missing").format(path=meta, key=key)
            )
    try:
        model.model_validate(options)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = str(err["loc"][0])
        if key == "hidden" and isinstance(options.get(key), list):
            raise FileError(
                _("{path}: field 'options.hidden' must be widths, got {value}").format(
                    path=meta, value=_short(options[key])
                )
            ) from None
        if names.get(key) == "two numbers":
            raise FileError(
                _("{path}: field 'options.{key}' must be two numbers, got {value}").format(
                    path=meta, key=key, value=_short(options.get(key))
                )
            ) from None
        shown = _(" or ").join(names.get(key, "str").split(" or "))
        raise FileError(
            _("{path}: field 'options.{key}' must be {names}, got {value}").format(
                path=meta, key=key, names=shown, value=_short(options.get(key))
            )
        ) from None
    if task is not None and saved["task"] != task:
        raise ValueError(
            _("{run_dir}: is a {saved_task!r} run, not a {task!r} run").format(
                run_dir=run_dir, saved_task=saved["task"], task=task
            )
        )
    return saved


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


__all__ = ["REQUIRED", "read_run", "register_task"]
