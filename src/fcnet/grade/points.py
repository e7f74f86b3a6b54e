"""Points and visibility per check: each check's defaults, overridden by a TOML file.

The points file (`fcnet grade --points FILE`) has one table per check, by its name:

    [checks."linear_backward values"]
    points = 3
    visibility = "hidden"        # visible | hidden | after_due_date

A check not named keeps its defaults (`Check.points`, `Check.visibility`). Any other key,
an unknown check, a negative or non-finite number or an unknown visibility is a one-line
`FileError` naming the file and the check.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Literal, get_args

from fcnet._fileio import FileError, parse_toml, read_text
from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.core import Exercise

__all__ = ["VISIBILITIES", "Points", "Visibility", "load_points"]

Visibility = Literal["visible", "hidden", "after_due_date"]
VISIBILITIES: tuple[str, ...] = get_args(Visibility)
MAX_POINTS = 1e6


@dataclass(frozen=True)
class Points:
    """A check's worth: `points` and who sees it (`visibility`)."""

    points: float
    visibility: str


def defaults(exercise: Exercise) -> dict[str, Points]:
    """Every check's own points and visibility (1 point, visible unless the check says)."""
    return {
        c.name: Points(float(getattr(c, "points", 1.0)), str(getattr(c, "visibility", "visible")))
        for c in exercise.checks
    }


def load_points(path: str | os.PathLike[str] | None, exercise: Exercise) -> dict[str, Points]:
    """The checks' points: the defaults, with `path`'s overrides when given."""
    table = defaults(exercise)
    if path is None:
        return table
    source = os.fspath(path)
    try:
        text = read_text(path, 1 << 20, N_("points file"))
    except FileNotFoundError:
        raise FileError(_("{source}: no such file").format(source=source)) from None
    data = parse_toml(text, source)
    unknown = set(data) - {"checks"}
    if unknown:
        raise FileError(
            _('{source}: unknown key {key!r}; expected [checks."CHECK NAME"] tables').format(
                source=source, key=sorted(unknown)[0]
            )
        )
    checks = data.get("checks", {})
    if not isinstance(checks, dict):
        raise FileError(
            _("{source}: checks must be a table of tables, got {type}").format(
                source=source, type=type(checks).__name__
            )
        )
    for name, entry in checks.items():
        if name not in table:
            raise FileError(
                _("{source}: unknown check {name!r}; the checks of {exercise} are: {names}").format(
                    source=source, name=name, exercise=exercise.name, names=", ".join(table)
                )
            )
        table[name] = _entry(source, name, entry, table[name])
    return table


def _entry(source: str, name: str, entry: Any, default: Points) -> Points:
    if not isinstance(entry, dict):
        raise FileError(
            _("{source}: checks.{name!r} must be a table (points, visibility)").format(
                source=source, name=name
            )
        )
    extra = set(entry) - {"points", "visibility"}
    if extra:
        raise FileError(
            _("{source}: checks.{name!r}: unknown key {key!r}; expected points, visibility").format(
                source=source, name=name, key=sorted(extra)[0]
            )
        )
    points = entry.get("points", default.points)
    if (
        isinstance(points, bool)
        or not isinstance(points, (int, float))
        or not math.isfinite(points)
        or not 0 <= points <= MAX_POINTS
    ):
        raise FileError(
            _(
                "{source}: checks.{name!r}: points must be a number from 0 to {max:g}, "
                "got {value!r}"
            ).format(source=source, name=name, max=MAX_POINTS, value=points)
        )
    visibility = entry.get("visibility", default.visibility)
    if visibility not in VISIBILITIES:
        raise FileError(
            _(
                "{source}: checks.{name!r}: visibility must be one of {choices}, got {value!r}"
            ).format(source=source, name=name, choices=", ".join(VISIBILITIES), value=visibility)
        )
    return Points(float(points), str(visibility))
