"""The studio's Exercises page and its API: the learner checks a file and asks for hints.

The page lists the exercises (`fcnet.learn.exercises`) with the file found for each in the
exercise root and its last result (`fcnet.learn.progress.status`, as `fcnet exercise
status`). `POST /api/exercises/check` runs `fcnet check`'s checks on a file: the same
`fcnet.learn.runner.check_file`, so the file runs only in the sandboxed child, never in
this process; the answer is `fcnet check --json`'s report, and the result is kept in the
file's folder's `.fcnet-check.json` as the CLI keeps it. `POST /api/exercises/hint` gives
a failing check's next hint, its level kept in that same record (`progress.next_hint`),
so the studio and `fcnet check --hint` advance one counter. Every file name goes through
`exercise_files.exercise_file`; a check takes seconds and runs in FastAPI's thread pool,
one at a time per server (`Studio.check_lock`; a second one is a 409).
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations.
import threading
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from pydantic import Field

from fcnet.i18n import gettext as _
from fcnet.learn import progress
from fcnet.learn.exercises import CATALOG, get
from fcnet.learn.hints import LEVELS, hint
from fcnet.studio.exercise_files import MAX_NAME, exercise_file, exercise_root
from fcnet.studio.state import STATIC_DIR, StudioDep
from fcnet.studio.training import StrictRequest

router = APIRouter()
# A progress record is read, changed and written whole: one update at a time.
_RECORDS = threading.Lock()


class CheckRequest(StrictRequest):
    """An exercise's name and a file relative to the exercise root."""

    name: str = Field(min_length=1, max_length=40)
    file: str = Field(min_length=1, max_length=MAX_NAME)


class HintRequest(CheckRequest):
    """A failing check of that exercise, by its name in the report."""

    check: str = Field(min_length=1, max_length=200)


def _relative(request: Request, path: Any) -> str:
    """`path` as the page names it: "/"-separated, relative to the exercise root."""
    return path.relative_to(exercise_root(request)).as_posix()


@router.get("/exercises", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "exercises.html", media_type="text/html")


@router.get("/api/exercises")
def exercises(request: Request) -> dict[str, Any]:
    """Every exercise: what it asks, the course section, the file found in the exercise
    root (None when none is there) and its last result (None when never checked)."""
    root = exercise_root(request)
    rows, warning = progress.status(root)
    for row in rows:
        _module, what, section = CATALOG[row["exercise"]]
        row["what"], row["section"] = _(what), _(section)
    return {"root": str(root), "exercises": rows, "warning": warning, "levels": LEVELS}


@router.post("/api/exercises/check")
def check(req: CheckRequest, request: Request, studio: StudioDep) -> dict[str, Any]:
    """`fcnet check NAME FILE --json`'s report on the file, its result kept as the CLI
    keeps it; plus the file's name, the record's warnings and the hint levels reached."""
    from fcnet.learn.runner import check_file

    get(req.name)  # an unknown exercise: one line naming the known ones
    path = exercise_file(request, req.file)
    if not studio.check_lock.acquire(blocking=False):
        raise HTTPException(
            409, _("a check is already running: wait for its result, then try again")
        )
    try:
        report = check_file(req.name, path)
    finally:
        studio.check_lock.release()
    warnings: list[str] = []
    levels: dict[str, int] = {}
    with _RECORDS:
        try:
            record = progress.record_report(path, report)
        except OSError as exc:  # a read-only folder: the check itself still counts
            warnings.append(_("warning: progress not kept ({why})").format(why=exc.strerror or exc))
        else:
            warnings += [record.warning] if record.warning else []
            levels = dict(record.entries[report.exercise].hints)
    return {
        **report.to_json(),
        "file": _relative(request, path),
        "warnings": warnings,
        "hint_levels": levels,
    }


@router.post("/api/exercises/hint")
def next_hint(req: HintRequest, request: Request) -> dict[str, Any]:
    """The next hint for a check that failed in the file's last check: one level further
    (at most `LEVELS`; the last quotes the course text), the level kept in the record."""
    exercise = get(req.name)
    if req.check not in {c.name for c in exercise.checks}:
        raise ValueError(
            _("check: exercise {name} has no check {check!r}").format(
                name=req.name, check=req.check[:80]
            )
        )
    path = exercise_file(request, req.file)
    with _RECORDS:
        try:
            level = progress.next_hint(path, req.name, req.check)
        except OSError as exc:  # a read-only folder: the level cannot go further
            raise ValueError(
                _("{file}: the hint level cannot be kept ({why})").format(
                    file=req.file[:80], why=exc.strerror or exc
                )
            ) from None
    return {
        "check": req.check,
        "level": level,
        "levels": LEVELS,
        "text": hint(req.name, req.check, level),
    }
