"""The run folder's one reader: each file of a run is read here, with its own bound.

    read_json        run.json, config.json, result.json as JSON, unchecked (the studio
                     shows what is there; `read_run` checks run.json)
    read_spec        config.json as the NetSpec a resumed run trains
    read_metrics     metrics.jsonl's records (a line that is no JSON object is skipped)
    read_model_spec  model.npz's `__spec__`, the weights unread (every size checked first)
    model_path       model.npz, for `fcnet.backends.load` (which reads it bounded)
    read_file        a file's bytes (the distributed launcher sends a resumed run's to
                     the other ranks)
    check_file       a file left unread is a regular file inside its run
    is_run           whether a folder holds any file a task writes

Every read goes through `fcnet._fileio`: a regular file (a FIFO or a device is refused by
its type, before any read), at most `LIMITS[name]` bytes, JSON at most 64 levels deep.
With `inside=` the run folder (the studio, which does not trust the folders it lists),
the file must sit in it: a link leading out is refused, and messages name the file alone.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from fcnet._fileio import (
    MAX_NPZ_MEMBER,
    FileError,
    MiB,
    load_json,
    load_npz,
    parse_json,
    read_bytes,
    read_text,
    resolve_inside,
    scalar_text,
    shown_name,
)
from fcnet.backends._common import NPZ_TEXT_LIMITS
from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.runs.layout import CHECKPOINT, CONFIG, METRICS_LOG, MODEL, RESULT, RUN_FILES, RUN_JSON
from fcnet.spec import SPEC_FILE_LIMIT, NetSpec, SpecError

# The most bytes each file of a run may hold. A sweep's files carry a prefix
# (w8-config.json): their file's bound.
LIMITS = {
    RUN_JSON: MiB,  # about one KiB
    CONFIG: SPEC_FILE_LIMIT,  # a NetSpec, a few hundred bytes
    RESULT: 4 * MiB,  # the metrics and the task's report
    METRICS_LOG: 4 * MiB,  # a line an epoch (a studio fit's: a line every few steps)
    CHECKPOINT: 4 * MAX_NPZ_MEMBER,  # as `load_npz` bounds an npz file
}
# The most records read of a metrics.jsonl.
METRIC_LINES = 5000


def _limit(name: str) -> int:
    return LIMITS[name.rsplit("-", 1)[-1]]


def read_json(
    run_dir: str | os.PathLike[str], name: str, *, inside: str | os.PathLike[str] | None = None
) -> Any:
    """File `name` of the run (run.json, config.json, result.json) as JSON, unchecked:
    FileError when it cannot be read safely, FileNotFoundError when it is not there."""
    return load_json(Path(run_dir) / name, _limit(name), inside=inside)


def read_spec(run_dir: str | os.PathLike[str], name: str = CONFIG) -> NetSpec:
    """The run's config.json (or a sweep's w<width>-config.json) as its NetSpec: what a
    resumed run trains. A SpecError names the file."""
    path = Path(run_dir) / name
    try:
        return NetSpec.from_dict(read_json(run_dir, name))
    except FileError as exc:
        raise SpecError(str(exc)) from None
    except SpecError as exc:
        raise SpecError(f"{path}: {exc}") from None


def read_metrics(
    run_dir: str | os.PathLike[str],
    name: str = METRICS_LOG,
    *,
    inside: str | os.PathLike[str] | None = None,
) -> list[dict[str, Any]]:
    """The records of the run's metrics.jsonl (one JSON object a line), the first
    METRIC_LINES of them; a line that is not a JSON object (broken, nested too deep, a
    number) is skipped. FileError when the file cannot be read safely."""
    path = Path(run_dir) / name
    records = []
    for line in read_text(path, _limit(name), inside=inside).splitlines()[:METRIC_LINES]:
        try:
            record = parse_json(line, path.name)
        except FileError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def read_model_spec(
    run_dir: str | os.PathLike[str],
    *,
    limit: int | None = None,
    inside: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """The spec JSON stored in the run's model.npz (its `__spec__` object), the weights
    unread. Every member's size is checked first: the text entries against
    `fcnet.backends`' bounds, all of them together against `limit` bytes when given.
    FileError when it cannot be read safely."""
    path = Path(run_dir) / MODEL
    arrays = load_npz(
        path,
        N_("model file"),
        small=NPZ_TEXT_LIMITS,
        keys=("__spec__",),
        total_limit=limit,
        inside=inside,
    )
    name = shown_name(path, inside)
    spec = parse_json(scalar_text(arrays, "__spec__", name), f"{name} __spec__")
    if not isinstance(spec, dict):
        raise FileError(_("{name}: __spec__ is not a JSON object").format(name=name))
    return spec


def model_path(
    run_dir: str | os.PathLike[str], *, inside: str | os.PathLike[str] | None = None
) -> Path:
    """The run's model.npz, for `fcnet.backends.load`: a ValueError when the run has none;
    with `inside=`, resolved, and a FileError when a link leads out of the run."""
    path = Path(run_dir) / MODEL
    if not path.is_file():
        raise ValueError(
            _("{run_dir}: has no model.npz (did the run finish?)").format(run_dir=run_dir)
        )
    return resolve_inside(path, inside) if inside is not None else path


def read_file(run_dir: str | os.PathLike[str], name: str) -> bytes:
    """The bytes of file `name` of the run, as they are (at most its bound)."""
    return read_bytes(Path(run_dir) / name, _limit(name))


def check_file(
    run_dir: str | os.PathLike[str], name: str, *, inside: str | os.PathLike[str]
) -> None:
    """A file of the run that is not read (the list of runs reads no metrics or model) is,
    when there, a regular file inside the run: FileError otherwise, nothing read."""
    path = Path(run_dir) / name
    if not os.path.lexists(path):
        return
    if not stat.S_ISREG(resolve_inside(path, inside).stat().st_mode):
        raise FileError(_("{file}: is not a regular file").format(file=name))


def is_run(path: str | os.PathLike[str]) -> bool:
    """A run folder holds at least one of the files the tasks write (of any type: a
    broken one makes it a run whose problem can be named)."""
    return any(os.path.lexists(Path(path) / f) for f in RUN_FILES)


__all__ = [
    "LIMITS",
    "METRIC_LINES",
    "check_file",
    "is_run",
    "model_path",
    "read_file",
    "read_json",
    "read_metrics",
    "read_model_spec",
    "read_spec",
]
