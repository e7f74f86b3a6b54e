"""Until issue 21's `fcnet.learn.runner.Checker` lands: the same interface over today's
`check_file`, one child process per file. Fields the old `Report` lacks get defaults here
only: tag None, parts [], fraction 1 or 0, the check's points and visibility, a version
hashed from the exercise's module, the status read from the messages. Delete this module
when the `trust` branch is merged.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from dataclasses import dataclass, field
from typing import Any

from fcnet.learn.exercises import get
from fcnet.learn.runner import check_file

__all__ = ["CheckResult", "Checker", "Report"]


@dataclass
class CheckResult:
    name: str
    title: str
    passed: bool
    message: str
    tag: str | None = None
    fraction: float = 0.0
    parts: list[tuple[str, bool]] = field(default_factory=list)
    visibility: str = "visible"
    points: float = 1.0
    hidden: bool = False


@dataclass
class Report:
    exercise: str
    version: str
    seed: int | None
    checks: list[CheckResult]
    seconds: float
    status: str = "ok"
    protections: dict[str, bool] = field(default_factory=dict)
    output: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"exercise": self.exercise, "checks": [c.__dict__ for c in self.checks]}


def _version(name: str) -> str:
    module = inspect.getmodule(get(name))
    source = inspect.getsource(module) if module else name
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def _status(messages: list[str]) -> str:
    """The old runner's outcome, read from its messages (in the current language)."""
    from fcnet.i18n import gettext as _

    def has(msgid: str) -> bool:
        head = _(msgid).split("{")[0]
        return any(head in m for m in messages)

    if has("the checking process died ({how})"):
        return "crashed"
    if has("the file could not be imported: {why}"):
        return "load_error"
    if has("used more than {gib:g} GiB of memory: stopped"):
        return "memory"
    if has(
        "the file did not finish importing within {seconds:g} s: keep "
        'long runs under if __name__ == "__main__": (or out of the notebook\'s cells)'
    ) or has("stopped: the whole check is limited to {seconds:g} s"):
        return "timeout"
    if len(messages) > 1 and len(set(messages)) == 1:  # the file's load error, on every check
        return "load_error"
    return "ok"


class Checker:
    """`with Checker(name, seed=...) as checker: checker.check(path) -> Report`."""

    def __init__(
        self,
        name: str,
        *,
        quick: bool | None = None,
        seed: int | None = None,
        lang: str | None = None,
        unsafe_no_sandbox: bool = False,
    ):
        self.exercise = get(name)
        self.name, self.quick, self.seed, self.lang = name, bool(quick), seed, lang
        self.version = _version(name)

    def __enter__(self) -> Checker:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def check(self, path: str | os.PathLike[str]) -> Report:
        from fcnet import i18n

        with i18n.use_language(self.lang):
            old = check_file(self.name, os.fspath(path), quick=self.quick)
            status = (
                "ok"
                if any(c.passed for c in old.checks)
                else _status([c.message for c in old.checks])
            )
        by_name = {c.name: c for c in self.exercise.checks}
        results = []
        for c in old.checks:
            check = by_name.get(c.name)
            results.append(
                CheckResult(
                    name=c.name,
                    title=c.name,
                    passed=c.passed,
                    message=c.message,
                    fraction=1.0 if c.passed else 0.0,
                    visibility=str(getattr(check, "visibility", "visible")),
                    points=float(getattr(check, "points", 1.0)),
                )
            )
        return Report(
            self.name, self.version, self.seed, results, old.seconds, status, {}, old.detail
        )
