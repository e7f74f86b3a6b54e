"""What each student gets: `feedback/<student>.md` in the grading language, and
`gradescope/<student>/results.json` in Gradescope's autograder format.

Hidden checks are graded and counted in the score; the student's feedback says how many
there are and nothing else about them. Gradescope receives every check with its
visibility (`visible`, `hidden`, `after_due_date`), and hides what it must itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fcnet._fileio import atomic_write_text
from fcnet.grade.gradebook import Row
from fcnet.i18n import gettext as _
from fcnet.i18n import ngettext

__all__ = ["feedback_markdown", "gradescope_results", "write_student_files"]


def _status_text(status: str) -> str:
    """One line on what kept the checks from running (translated when called)."""
    texts = {
        "load_error": _("the file could not be imported"),
        "crashed": _("the checking process crashed"),
        "timeout": _("the checks ran out of time"),
        "memory": _("the checks ran out of memory"),
        "refused": _("the submission was refused"),
        "missing": _("no submission was found"),
        "empty": _("the file is empty"),
        "not_utf8": _("the file is not UTF-8 text"),
        "link": _("the submission is a link, not a file"),
        "too_large": _("the file is too large"),
    }
    return texts.get(status, "")


def _any_result(row: Row) -> bool:
    """Whether a check produced a result: the checks never run all carry the one message
    that stopped them (`unchecked_row`, the runner's), so a row whose checks passed or
    say different things had checks that ran."""
    return any(c.passed for c in row.checks) or len({c.message for c in row.checks}) > 1


def feedback_markdown(row: Row, exercise: str) -> str:
    """The student's feedback: score, each visible check with its message, the count of
    hidden ones (with hidden checks the score is that of the visible ones, so that not
    even their total is given away)."""
    shown = [c for c in row.checks if c.visibility != "hidden"]
    hidden = len(row.checks) - len(shown)
    if hidden:
        score = _("Score on the visible checks: {score:g} of {max_score:g}").format(
            score=round(sum(c.points for c in shown), 2),
            max_score=round(sum(c.max_points for c in shown), 2),
        )
    else:
        score = _("Score: {score:g} of {max_score:g}").format(
            score=round(row.score, 2), max_score=row.max_score
        )
    lines = [
        "# "
        + _("{exercise}: feedback for {student}").format(exercise=exercise, student=row.student),
        "",
        score,
        "",
    ]
    if row.status != "ok":
        why = row.reason or _status_text(row.status)
        if _any_result(row):
            lines += [_("Not every check finished: {why}").format(why=why), ""]
        else:
            lines += [_("Not checked: {why}").format(why=why), ""]
    for c in shown:
        mark = "✓" if c.passed else "✗"
        parts = "".join(f", {p} {'✓' if ok else '✗'}" for p, ok in c.parts)
        head = f"- {mark} **{c.title}** ({round(c.points, 2):g}/{c.max_points:g}{parts})"
        lines.append(head + (f": {_one_line(c.message)}" if c.message else ""))
    if hidden:
        lines += [
            "",
            ngettext(
                "{n} hidden check is graded too; its result is not shown.",
                "{n} hidden checks are graded too; their results are not shown.",
                hidden,
            ).format(n=hidden),
        ]
    return "\n".join(lines) + "\n"


def gradescope_results(row: Row) -> dict[str, Any]:
    """Gradescope's results.json: score, execution_time, output, and one test per check."""
    return {
        "score": row.score,
        "execution_time": round(row.seconds, 3),
        "output": row.reason or _status_text(row.status) or _("all checks ran"),
        "tests": [
            {
                "name": c.title,
                "score": c.points,
                "max_score": c.max_points,
                "status": "passed" if c.passed else "failed",
                "output": _one_line(c.message),
                "visibility": c.visibility,
            }
            for c in row.checks
        ],
    }


def write_student_files(out: Path, row: Row, exercise: str) -> None:
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "feedback" / f"{row.student}.md", feedback_markdown(row, exercise))
    folder = out / "gradescope" / row.student
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(gradescope_results(row), ensure_ascii=False, indent=1)
    atomic_write_text(folder / "results.json", text + "\n")


def _one_line(text: str) -> str:
    return " ".join(text.split())
