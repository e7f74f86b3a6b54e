"""Helpers for the learner's-side tests: reference solutions, and wrong ones made from them.

(Imported as `learnkit`: pytest puts this folder on sys.path for its test modules.)
"""

from __future__ import annotations

import runpy
import textwrap
from pathlib import Path

from fcnet.learn.core import run_in_process
from fcnet.learn.exercises import get

SOLUTIONS = Path(__file__).parent / "solutions"


def namespace(solution: str, override: str = "") -> dict:
    """The reference (or named) solution's namespace, with `override` run on top of it."""
    ns = runpy.run_path(str(SOLUTIONS / f"{solution}.py"))
    if override:
        exec(textwrap.dedent(override), ns)
    return ns


def results(
    exercise: str, ns: dict, *only: str, quick: bool = False
) -> dict[str, tuple[bool, str]]:
    """{check name: (passed, message)} for the checks named in `only` (all when none)."""
    report = run_in_process(get(exercise), ns, only=only or None, quick=quick)
    assert report.checks, f"no check named {only}"
    return {c.name: (c.passed, c.message) for c in report.checks}
