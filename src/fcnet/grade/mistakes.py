"""The class's mistakes: how many students made each one, most frequent first.

A mistake is a failed check's tag (`CheckResult.tag`, described in `EXERCISE.mistakes`);
a failure without a tag counts under its check's name. Only submissions that were
checked (status `ok`) count: a file that did not import says nothing about a formula.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from fcnet._fileio import atomic_write_text
from fcnet.grade.gradebook import Row
from fcnet.i18n import gettext as _
from fcnet.learn.core import Exercise

__all__ = ["Mistake", "count_mistakes", "describe", "write_mistakes"]


@dataclass(frozen=True)
class Mistake:
    tag: str
    students: int
    share: float  # of the students whose file was checked
    description: str  # in the current language


def describe(exercise: Exercise, tag: str) -> str:
    """The tag's one-line description in the current language (a check's name: "failed")."""
    known: dict[str, str] = getattr(exercise, "mistakes", {}) or {}
    if tag in known:
        return _(known[tag])
    if any(c.name == tag for c in exercise.checks):
        return _("failed: {check}").format(check=tag)
    return tag


def count_mistakes(rows: list[Row], exercise: Exercise) -> list[Mistake]:
    """Each mistake with its number of students, most frequent first (then by tag)."""
    checked = [r for r in rows if r.status == "ok"]
    counts = Counter(tag for r in checked for tag in set(r.mistakes))
    n = max(len(checked), 1)
    order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [Mistake(tag, k, k / n, describe(exercise, tag)) for tag, k in order]


def write_mistakes(out: Path, mistakes: list[Mistake], checked: int) -> None:
    """mistakes.csv (tag, students, share, description) and mistakes.png (fcnet.plots)."""
    from fcnet import plots

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["tag", "students", "share", "description"])
    for m in mistakes:
        writer.writerow([m.tag, m.students, f"{m.share:.3f}", m.description])
    atomic_write_text(out / "mistakes.csv", buf.getvalue())
    plots.mistakes(
        [m.description for m in mistakes],
        [m.students for m in mistakes],
        out / "mistakes.png",
        checked=checked,
    )
