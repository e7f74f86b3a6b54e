"""Helpers for the learner's-side tests: reference solutions, and wrong ones made from them.

(Imported as `learnkit`: pytest puts this folder on sys.path for its test modules.)
Every check goes through `fcnet.learn.runner`: the solution is written to a file that a
child process runs, as `fcnet check` does.
"""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

from fcnet.learn.core import Exercise, Report
from fcnet.learn.runner import check_file

SOLUTIONS = Path(__file__).parent / "solutions"


def namespace(solution: str, override: str = "") -> str:
    """The reference (or named) solution's source, with `override` appended to it."""
    src = (SOLUTIONS / f"{solution}.py").read_text()
    return src + ("\n\n" + textwrap.dedent(override) if override else "")


def report(exercise: str | Exercise, source: str, *only: str, quick: bool = False, **kw) -> Report:
    """The Report of `source` (a file's text), for the checks named in `only` (all when none)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "solution.py"
        path.write_text(source)
        return check_file(exercise, path, only=only or None, quick=quick, **kw)


def results(
    exercise: str | Exercise, source: str, *only: str, quick: bool = False
) -> dict[str, tuple[bool, str]]:
    """{check name: (passed, message)} for the checks named in `only` (all when none)."""
    rep = report(exercise, source, *only, quick=quick)
    assert rep.checks, f"no check named {only}"
    return {c.name: (c.passed, c.message) for c in rep.checks}
