"""A student's row of the gradebook: their checks scored with the points table, and the
gradebook's files (`gradebook.csv`, `gradebook.json`).

A check earns `fraction x points`: 1 when it passed, else the share of its parts that
passed (dW, db and dx of `linear_backward`), else 0. A submission that could not be
checked (missing, empty, ... ) gets 0 on every check, its reason as each message.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fcnet._fileio import atomic_write_text
from fcnet.grade.points import Points
from fcnet.i18n import gettext as _

__all__ = ["STATUSES", "CheckRow", "Row", "read_rows", "row_from_report", "unchecked_row"]

STATUSES = (
    "ok",
    "load_error",
    "crashed",
    "timeout",
    "memory",
    "refused",
    "missing",
    "empty",
    "not_utf8",
    "link",
    "too_large",
)


@dataclass
class CheckRow:
    """One check of one student: what the checks said, and the points it earns."""

    name: str
    title: str
    passed: bool
    message: str
    fraction: float  # 0..1
    tag: str | None = None
    parts: list[tuple[str, bool]] = field(default_factory=list)
    points: float = 0.0  # earned
    max_points: float = 1.0
    visibility: str = "visible"


@dataclass
class Row:
    """One student: `score` of `max_score`, each check, the mistakes' tags, the status."""

    student: str
    source: str
    status: str
    seconds: float
    checks: list[CheckRow]
    reason: str = ""
    digest: str = ""
    version: str = ""
    seed: int | None = None
    output: str = ""
    score: float = 0.0
    max_score: float = 0.0
    mistakes: list[str] = field(default_factory=list)

    def rescore(self, points: dict[str, Points]) -> Row:
        """Apply `points` (earned = fraction x points) and total them; returns self."""
        for c in self.checks:
            worth = points.get(c.name, Points(c.max_points, c.visibility))
            c.max_points, c.visibility = worth.points, worth.visibility
            c.points = round(c.fraction * worth.points, 6)
        self.score = round(sum(c.points for c in self.checks), 6)
        self.max_score = round(sum(c.max_points for c in self.checks), 6)
        self.mistakes = (
            sorted({c.tag or c.name for c in self.checks if not c.passed})
            if self.status == "ok"
            else []
        )
        return self

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def row_from_report(
    student: str, source: str, digest: str, report: Any, points: dict[str, Points]
) -> Row:
    """The row of a checked submission (`report`: a `fcnet.learn` Report), in the order
    of `points`: the first result of each known check counts, a check without a result
    fails (the grader trusts the check names it knows, not the count of results)."""
    results: dict[str, Any] = {}
    for c in report.checks:
        results.setdefault(c.name, c)
    checks = []
    for name, worth in points.items():
        c = results.get(name)
        if c is None:
            checks.append(
                CheckRow(name, _(name), False, _("no result"), 0.0, max_points=worth.points)
            )
            continue
        checks.append(
            CheckRow(
                name=c.name,
                title=c.title or c.name,
                passed=bool(c.passed),
                message=c.message,
                fraction=1.0 if c.passed else max(0.0, min(1.0, float(c.fraction))),
                tag=c.tag,
                parts=[(str(p), bool(ok)) for p, ok in c.parts],
                max_points=float(c.points),
                visibility=str(c.visibility),
            )
        )
    return Row(
        student=student,
        source=source,
        status=report.status,
        seconds=round(float(report.seconds), 3),
        checks=checks,
        digest=digest,
        version=report.version,
        seed=report.seed,
        output=report.output,
    )


def unchecked_row(
    student: str, source: str, status: str, reason: str, points: dict[str, Points]
) -> Row:
    """The row of a submission that could not be checked: 0 everywhere, `reason` said;
    each check titled as a checked one is (its name translated)."""
    checks = [
        CheckRow(name, _(name), False, reason, 0.0, max_points=p.points, visibility=p.visibility)
        for name, p in points.items()
    ]
    return Row(student, source, status, 0.0, checks, reason=reason)


def row_from_json(obj: dict[str, Any]) -> Row:
    checks = [CheckRow(**{**c, "parts": [tuple(p) for p in c["parts"]]}) for c in obj["checks"]]
    return Row(**{**obj, "checks": checks})


def read_rows(path: Path) -> dict[str, Row]:
    """The rows of an earlier gradebook.json (for resuming); {} when there is none or it
    cannot be read (everything is then graded again)."""
    from fcnet._fileio import load_json

    try:
        data = load_json(path)
        return {r["student"]: row_from_json(r) for r in data["students"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def write_gradebook(out: Path, rows: list[Row], check_names: list[str], meta: dict) -> None:
    """gradebook.csv (one row per student, one column per check's points) and
    gradebook.json (the same, every message included)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        ["student", "score", "max_score", *check_names, "mistakes", "status", "seconds"]
    )
    for row in rows:
        by_name = {c.name: c.points for c in row.checks}
        writer.writerow(
            [
                row.student,
                _num(row.score),
                _num(row.max_score),
                *(_num(by_name.get(n, 0.0)) for n in check_names),
                ";".join(row.mistakes),
                row.status,
                f"{row.seconds:.2f}",
            ]
        )
    atomic_write_text(out / "gradebook.csv", buf.getvalue())
    data = {**meta, "checks": check_names, "students": [r.to_json() for r in rows]}
    atomic_write_text(out / "gradebook.json", json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def _num(x: float) -> str:
    return f"{x:g}"
