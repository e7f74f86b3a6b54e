"""What an exercise is, and running its checks over a learner's functions (in this process).

An `Exercise` lists the functions the learner writes and its `Check`s. A check is a
function of a `Student` (the learner's namespace, each function called through a guard)
that returns a short note when it passes and raises `CheckFailed(message)` when it does
not; the message names the quantity that is wrong and the course's formula for it.
`fcnet.learn.runner` runs the same checks in a child process; notebooks run them here.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fcnet.i18n import gettext as _

__all__ = [
    "CALL_LIMIT",
    "CHILD_ENV",
    "QUICK_ENV",
    "Check",
    "CheckFailed",
    "CheckResult",
    "Exercise",
    "Report",
    "Student",
    "StudentError",
    "run_in_process",
]

CALL_LIMIT = 10.0  # seconds a learner's function may take per call, unless a check says more
CHILD_ENV = "FCNET_LEARN_CHILD"  # set in the checking child: a notebook's check cell is a no-op
QUICK_ENV = "FCNET_LEARN_QUICK"  # "1": fit and mnist train on small slices (for tests)
SCALE_ENV = "FCNET_LEARN_TIME_SCALE"  # multiplies every time limit (tests use 0.1)


def time_scale() -> float:
    """The factor on every time limit: $FCNET_LEARN_TIME_SCALE (tests shorten them), else 1."""
    try:
        value = float(os.environ.get(SCALE_ENV, "1"))
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


class CheckFailed(Exception):
    """A check's verdict: `message` says what is wrong and how the course computes it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StudentError(CheckFailed):
    """The learner's function raised `exc` (checks that expect an error catch this)."""

    def __init__(self, message: str, exc: BaseException):
        super().__init__(message)
        self.exc = exc


class _Fatal(CheckFailed):
    """Not implemented, missing or hanging: no check can look past it."""


class _Timeout(BaseException):
    """Raised by the alarm inside a learner's function (BaseException: `except Exception`
    in their code does not swallow it)."""


@dataclass(frozen=True)
class Check:
    """One check: `run(student) -> note` passes, or raises CheckFailed. `uses`: the
    learner's functions it calls (all of them are looked up before it runs)."""

    name: str
    run: Callable[[Student], str | None]
    uses: tuple[str, ...]
    seconds: float = 30.0  # the child is stopped when one check takes longer than this
    call_limit: float | None = None  # the limit of each call in this check, if not the usual


@dataclass(frozen=True)
class Exercise:
    """An exercise: what it asks, the course section, the learner's functions, the checks."""

    name: str
    title: str
    section: str
    functions: tuple[str, ...]
    checks: tuple[Check, ...]
    total_seconds: float = 60.0  # a whole run (import included) ends by then
    import_seconds: float = 30.0
    memory_bytes: int = 4 << 30
    address_limit: bool = True  # also cap the address space (not with torch or tensorflow)
    call_limits: dict[str, float] = field(default_factory=dict)  # per function, else CALL_LIMIT


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    message: str

    def line(self) -> str:
        mark = "✓" if self.passed else "✗"
        return f"{mark} {self.name}" + (f": {self.message}" if self.message else "")

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "message": self.message}


@dataclass
class Report:
    """The result of checking one exercise: one `CheckResult` per check, and `detail`, the
    learner's traceback (trimmed to their file) when their file did not import."""

    exercise: str
    checks: list[CheckResult]
    seconds: float
    detail: str = ""

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "passed": self.passed,
            "checks": [c.to_json() for c in self.checks],
            "seconds": round(self.seconds, 3),
        }

    def __str__(self) -> str:
        lines = [c.line() for c in self.checks]
        if self.detail:
            lines += ["", self.detail.rstrip()]
        ok = sum(c.passed for c in self.checks)
        verdict = (
            _("all passed")
            if self.passed
            else _("{ok} of {total} passed").format(ok=ok, total=len(self.checks))
        )
        lines.append(
            _("{exercise}: {verdict} ({seconds:.1f} s)").format(
                exercise=self.exercise, verdict=verdict, seconds=self.seconds
            )
        )
        return "\n".join(lines)


class Student:
    """The learner's namespace as the checks see it: `student.call(name, *args)` runs
    their function under a time limit and turns what goes wrong into a `CheckFailed`
    that names the function, the error and the line of their file."""

    def __init__(
        self,
        namespace: dict[str, Any],
        filenames: tuple[str, ...] = (),
        *,
        quick: bool = False,
        call_limits: dict[str, float] | None = None,
    ):
        self.namespace = namespace
        self.filenames = filenames  # frames from these files are the learner's
        self.quick = quick
        self.call_limits = call_limits or {}
        self.hung: dict[str, float] = {}
        self.check_limit: float | None = None  # the running check's call_limit
        self.unimplemented: set[str] = set()

    def get(self, name: str) -> Any:
        """The learner's object `name` (a function or class), or a failure saying it is missing."""
        obj = self.namespace.get(name)
        if obj is None:
            raise _Fatal(
                _("{name} is missing: define {name} (see the skeleton's docstring)").format(
                    name=name
                )
            )
        if not callable(obj):
            raise _Fatal(
                _("{name} is a {type}, expected a function or class").format(
                    name=name, type=type(obj).__name__
                )
            )
        return obj

    def precheck(self, names: tuple[str, ...]) -> None:
        """Fail at once when a function the check needs is missing, unwritten or hung."""
        for name in names:
            self.get(name)
            if name in self.unimplemented:
                raise _Fatal(_not_implemented(name))
            if name in self.hung:
                raise _Fatal(
                    _("{name} did not return within {seconds:g} s in an earlier check").format(
                        name=name, seconds=self.hung[name]
                    )
                )

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the learner's `name` with a time limit (see `CALL_LIMIT`)."""
        fn = self.get(name)
        return self.guard(name, lambda: fn(*args, **kwargs))

    def guard(self, name: str, thunk: Callable[[], Any], limit: float | None = None) -> Any:
        """Run `thunk` (learner's code, named `name` in messages) under the time limit."""
        if limit is None:
            limit = self.check_limit or self.call_limits.get(name, CALL_LIMIT)
        limit = round(limit * time_scale(), 3)
        try:
            with _alarm(limit):
                return thunk()
        except _Timeout:
            self.hung[name] = limit
            raise _Fatal(
                _(
                    "{name} did not return within {seconds:g} s (an endless loop, or far too slow?)"
                ).format(name=name, seconds=limit)
            ) from None
        except NotImplementedError as exc:
            if self._raised_here(exc):
                self.unimplemented.add(name)
                raise _Fatal(_not_implemented(name)) from None
            raise StudentError(self.describe(name, exc), exc) from None
        except MemoryError as exc:
            raise StudentError(
                _(
                    "{name} ran out of memory (MemoryError){where}: "
                    "the check's arrays are small; is something quadratic in the batch?"
                ).format(name=name, where=self.where(exc)),
                exc,
            ) from None
        except Exception as exc:
            raise StudentError(self.describe(name, exc), exc) from None

    def describe(self, name: str, exc: BaseException) -> str:
        """ "name raised TypeError: ... (file line N: code)"."""
        text = " ".join(str(exc).split())
        raised = _("{name} raised {error}").format(name=name, error=type(exc).__name__)
        return raised + (f": {text}" if text else "") + self.where(exc)

    def where(self, exc: BaseException) -> str:
        """ " (file line N: `code`)" for the learner's last frame in the traceback, else ""."""
        frames = [
            f for f in traceback.extract_tb(exc.__traceback__) if self._is_student(f.filename)
        ]
        if not frames:
            return ""
        f = frames[-1]
        code = f" `{f.line.strip()}`" if f.line else ""
        return _(" (at {file} line {line}{code})").format(
            file=_short(f.filename), line=f.lineno, code=code
        )

    def _raised_here(self, exc: BaseException) -> bool:
        """A NotImplementedError the skeleton's TODO raised, not one from a library."""
        frames = traceback.extract_tb(exc.__traceback__)
        return (bool(frames) and self._is_student(frames[-1].filename)) or not self.filenames

    def _is_student(self, filename: str) -> bool:
        if self.filenames:
            return any(filename == f or filename.startswith(f + "#") for f in self.filenames)
        # in a notebook: any frame outside fcnet and the installed libraries
        return not filename.startswith((_FCNET_DIR, *_LIB_DIRS, "<frozen"))


_FCNET_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LIB_DIRS = tuple({os.path.dirname(os.__file__), *(p for p in sys.path if "-packages" in p)})


def _not_implemented(name: str) -> str:
    return _("not implemented yet: {name} raises NotImplementedError (write its body)").format(
        name=name
    )


def _short(filename: str) -> str:
    """A learner's file name as shown: its base name, and a notebook's cell."""
    base, _sep, cell = filename.partition("#")
    return os.path.basename(base) + (_(" cell {cell}").format(cell=cell) if cell else "")


class _alarm:
    """SIGALRM after `seconds` raises _Timeout in the main thread (elsewhere: no limit)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.active = threading.current_thread() is threading.main_thread() and hasattr(
            signal, "setitimer"
        )

    def __enter__(self):
        if self.active:
            self.old = signal.signal(signal.SIGALRM, self._fire)
            self.old_timer = signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    @staticmethod
    def _fire(signum, frame):
        raise _Timeout

    def __exit__(self, *exc):
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False


def run_one(check: Check, student: Student) -> CheckResult:
    """Run one check; any failure becomes a one-line message, never a traceback."""
    student.check_limit = check.call_limit
    try:
        student.precheck(check.uses)
        note = check.run(student)
        return CheckResult(check.name, True, note or "")
    except CheckFailed as exc:
        return CheckResult(check.name, False, exc.message)
    except _Timeout:
        return CheckResult(check.name, False, _("did not finish in time"))
    except Exception as exc:  # the learner returned something the check could not use
        text = " ".join(str(exc).split())
        return CheckResult(
            check.name,
            False,
            _("could not check the result: {error}: {text}").format(
                error=type(exc).__name__, text=text
            ),
        )


def run_in_process(
    exercise: Exercise,
    namespace: dict[str, Any],
    *,
    filenames: tuple[str, ...] = (),
    quick: bool = False,
    only: tuple[str, ...] | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
) -> Report:
    """Run `exercise`'s checks (or those named in `only`) on `namespace`, here."""
    start = time.perf_counter()
    student = Student(namespace, filenames, quick=quick, call_limits=exercise.call_limits)
    results = []
    for check in exercise.checks:
        if only is not None and check.name not in only:
            continue
        result = run_one(check, student)
        results.append(result)
        if on_result:
            on_result(result)
    return Report(exercise.name, results, time.perf_counter() - start)
