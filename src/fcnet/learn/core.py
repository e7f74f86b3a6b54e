"""What an exercise is, and the checks' view of a learner's code (the checker's side).

An `Exercise` lists the functions the learner writes and its `Check`s. A check is a
function of a `Student` that returns a short note when it passes and raises
`CheckFailed(message, tag=...)` when it does not; the message names the quantity that is
wrong and the course's formula for it, the tag names the mistake (`Exercise.mistakes`).

Checks run in the checker's process, which never imports the learner's file: `Student`
is a proxy whose `call(name, *args)` asks the sandboxed child (`fcnet.learn.child`) to
call the learner's function and gets back only the value it returned, as data
(`fcnet.learn.channel`). Every input, expected value, comparison and message stays here.
The proxy remembers the running check's last call (`_last_call`), so that a failure with
a diff carries the inputs that produced it (`fcnet.learn.diff.with_inputs`) without each
check passing them by hand.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.channel import Remote

__all__ = [
    "CALL_LIMIT",
    "COMMON_MISTAKES",
    "QUICK_ENV",
    "STATUSES",
    "Check",
    "CheckFailed",
    "CheckResult",
    "Exercise",
    "Remote",
    "Report",
    "Student",
    "StudentError",
    "clean_text",
    "run_one",
]

CALL_LIMIT = 10.0  # seconds a learner's function may take per call, unless a check says more
QUICK_ENV = "FCNET_LEARN_QUICK"  # "1": fit and mnist train on small slices (for tests)
SCALE_ENV = "FCNET_LEARN_TIME_SCALE"  # multiplies every time limit (tests use 0.1)
STATUSES = ("ok", "load_error", "crashed", "timeout", "memory", "refused")
MAX_SHOWN = 2000  # characters of one text from the child shown to a person


# tags any check can give (an exercise's own are in its `Exercise.mistakes`)
COMMON_MISTAKES = {
    "missing": N_("a function the check needs is not defined"),
    "not_implemented": N_("a function still raises NotImplementedError"),
    "raised": N_("a function raised an exception"),
    "timeout": N_("a function did not return in time"),
    "stopped": N_("the whole check ran past its time limit"),
    "memory": N_("the submission used more memory than allowed"),
    "crashed": N_("the checking process died or broke the protocol"),
    "not_data": N_("a function returned something that is not data"),
    "unusable": N_("a function returned something the check could not use"),
    "load_error": N_("the file does not import"),
    "refused": N_("the submission is not a regular file"),
}


def time_scale() -> float:
    """The factor on every time limit: $FCNET_LEARN_TIME_SCALE (tests shorten them), else 1."""
    try:
        value = float(os.environ.get(SCALE_ENV, "1"))
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def clean_text(text: Any, limit: int = MAX_SHOWN) -> str:
    """`text` from the learner's process made safe to print: ANSI escapes and control
    characters removed (newlines and tabs kept), at most `limit` characters."""
    text = _CONTROL.sub("", str(text))
    text = "".join(c for c in text if c.isprintable() or c in "\n\t")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# the running check's last call of a learner's function: (name, parameter names, args);
# per thread (a `Checker` checks files from several), reset by `run_one` for each check
_last_call: ContextVar[tuple[str, tuple[str, ...], tuple[Any, ...]] | None] = ContextVar(
    "fcnet_learn_last_call", default=None
)


class CheckFailed(Exception):
    """A check's verdict: `message` says what is wrong and how the course computes it;
    `tag` names the mistake (a key of `Exercise.mistakes`); `parts` the verdict of each
    part, e.g. [("dW", True), ("db", False), ("dx", True)], for partial credit; `diff`
    the learner's numbers beside the expected ones (`fcnet.learn.diff.compare`), given
    here the inputs of the check's last call of a learner's function (the one whose
    result it judges: checks judge a call's result before they make the next call)."""

    def __init__(
        self,
        message: str,
        tag: str | None = None,
        parts: list[tuple[str, bool]] | None = None,
        diff: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.tag = tag
        self.parts = parts or []
        if diff is not None and "inputs" not in diff:
            from fcnet.learn.diff import with_inputs

            call = _last_call.get()
            diff = with_inputs(diff, *(call or (None, (), ())))
        self.diff = diff


class StudentError(CheckFailed):
    """The learner's function raised an exception (checks that expect an error catch this):
    `error` is its type's name, `types` the names of its classes (its MRO)."""

    def __init__(self, message: str, error: str, types: tuple[str, ...] = ()):
        super().__init__(message, tag="raised")
        self.error = error
        self.types = types or (error,)

    def is_a(self, name: str) -> bool:
        """True when the exception is a `name` (e.g. "ValueError"), a subclass included."""
        return name in self.types


class _Fatal(CheckFailed):
    """Not implemented, missing, hanging or the child gone: no check can look past it."""


@dataclass(frozen=True)
class Check:
    """One check: `run(student) -> note` passes, or raises CheckFailed. `uses`: the
    learner's functions it calls (all of them are looked up before it runs)."""

    name: str
    run: Callable[[Student], str | None]
    uses: tuple[str, ...]
    seconds: float = 30.0  # the check fails when it takes longer than this
    call_limit: float | None = None  # the limit of each call in this check, if not the usual
    points: float = 1.0
    visibility: str = "visible"  # "visible" | "hidden" | "after_due_date" (for grading)


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
    version: str = "1"  # changes when the checks change (recorded in every report)
    mistakes: dict[str, str] = field(default_factory=dict)  # tag -> one line, marked N_()
    readable: Callable[[], tuple[str, ...]] | None = None  # data the child may read
    # fcnet packages the learner's code may import while checked (fit, mnist: a network to
    # train with); of fcnet the child reads only these and its own modules (`reach`)
    uses: tuple[str, ...] = ()
    # libraries that would do the exercise for the learner (auc: scikit-learn's
    # roc_auc_score): unreadable in the child, their import fails saying why (`reach`)
    forbidden: tuple[str, ...] = ()
    # the largest answer the checker accepts from the child (a frame of the channel): what a
    # right answer needs, with room for a wrong dtype, and no more than the parent should hold
    answer_bytes: int = 64 << 20


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    message: str
    tag: str | None = None
    parts: list[tuple[str, bool]] = field(default_factory=list)
    title: str = ""
    visibility: str = "visible"
    points: float = 1.0
    hidden: bool = False
    diff: dict[str, Any] | None = None  # fcnet.learn.diff's; no expected, no inputs if hidden

    @property
    def fraction(self) -> float:
        """Partial credit in 0..1: the share of `parts` right, else 1 or 0."""
        if self.passed:
            return 1.0
        if self.parts:
            return sum(ok for _n, ok in self.parts) / len(self.parts)
        return 0.0

    def line(self, colour: bool = False) -> str:
        """ "✓ title: note" or "✗ title: message", and the diff's lines below a failure."""
        mark = "✓" if self.passed else "✗"
        title = self.title or self.name
        text = (
            _("{mark} {title}: {message}").format(mark=mark, title=title, message=self.message)
            if self.message
            else f"{mark} {title}"
        )
        if self.diff is not None and not self.passed:
            from fcnet.learn.diff import lines

            text += "".join("\n    " + ln for ln in lines(self.diff, colour))
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title or self.name,
            "passed": self.passed,
            "message": self.message,
            "tag": self.tag,
            "fraction": self.fraction,
            "parts": [list(p) for p in self.parts],
            "visibility": self.visibility,
            "points": self.points,
            "hidden": self.hidden,
            "diff": self.diff,
        }


@dataclass
class Report:
    """The result of checking one file: one `CheckResult` per check; `status` says how the
    run ended; `detail` is the learner's traceback (trimmed to their file) when it did not
    import; `output` their prints (bounded, control characters removed)."""

    exercise: str
    checks: list[CheckResult]
    seconds: float
    detail: str = ""
    version: str = ""
    seed: int | None = None
    status: str = "ok"
    protections: dict[str, bool] = field(default_factory=dict)
    output: str = ""
    lang: str | None = None  # the language it was checked in: printed in it too

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "version": self.version,
            "seed": self.seed,
            "passed": self.passed,
            "status": self.status,
            "checks": [c.to_json() for c in self.checks],
            "seconds": round(self.seconds, 3),
            "protections": self.protections,
            "output": self.output,
            "detail": self.detail,
        }

    def __str__(self) -> str:
        return self.text()

    def text(self, colour: bool = False) -> str:
        """One line per check (a failing value check's diff below it), then the verdict;
        `colour`: mark the diff's differing entries in red (for a terminal)."""
        if self.lang is not None:
            from fcnet.i18n import use_language

            with use_language(self.lang):
                return self._text(colour)
        return self._text(colour)

    def _text(self, colour: bool) -> str:
        lines = [c.line(colour) for c in self.checks]
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


class ChildGone(Exception):
    """The child died, hung past a deadline or broke the protocol; `why` says which
    (a translated message), `status` the Report status it implies."""

    def __init__(self, why: str, status: str):
        super().__init__(why)
        self.why, self.status = why, status


# ask(op, name, args, *, limit, keep_args) -> answer header's "ok" value or raises; see runner
Ask = Callable[..., tuple[dict[str, Any], Any]]


class Student:
    """The learner's code as the checks see it, from outside: `call(name, *args)` asks the
    child to call their function and returns the value as data (a `Remote` for an object
    that cannot cross); what goes wrong becomes a `CheckFailed` naming the function, the
    error and the line of their file. Calls are timed here, not in the child."""

    def __init__(
        self,
        ask: Ask,
        defined: dict[str, str],
        *,
        quick: bool = False,
        seed: int = 0,
        call_limits: dict[str, float] | None = None,
        arguments: dict[str, tuple[str, ...]] | None = None,
    ):
        self.ask = ask
        self.arguments = arguments or {}  # function -> its parameters' names (in diffs)
        self.defined = defined  # learner's name -> "function", "class" or a type's name
        self.quick = quick
        self.seed = seed
        self.call_limits = call_limits or {}
        self.hung: dict[str, float] = {}
        self.check_limit: float | None = None  # the running check's call_limit
        self.check_deadline: float | None = None  # monotonic; set by the runner per check
        self.check_seconds = 0.0
        self.unimplemented: set[str] = set()

    def rng(self, *key: int) -> np.random.Generator:
        """A generator for hidden inputs: the run's seed and `key` (one stream per case)."""
        return np.random.default_rng([self.seed, *key])

    def precheck(self, names: tuple[str, ...]) -> None:
        """Fail at once when a function the check needs is missing, unwritten or hung."""
        for name in names:
            kind = self.defined.get(name.split(".")[0])
            if kind is None:
                raise _Fatal(
                    _("{name} is missing: define {name} (see the skeleton's docstring)").format(
                        name=name
                    ),
                    tag="missing",
                )
            if kind not in ("function", "class"):
                raise _Fatal(
                    _("{name} is a {type}, expected a function or class").format(
                        name=name, type=kind
                    ),
                    tag="missing",
                )
            if name in self.unimplemented:
                raise _Fatal(_not_implemented(name), tag="not_implemented")
            if name in self.hung:
                raise _Fatal(
                    _("{name} did not return within {seconds:g} s in an earlier check").format(
                        name=name, seconds=self.hung[name]
                    ),
                    tag="timeout",
                )

    def call(self, name: str, *args: Any, limit: float | None = None) -> Any:
        """Call the learner's `name` in the child with a time limit (see `CALL_LIMIT`)."""
        return self._ask("call", name, args, limit, keep_args=False)[0]

    def call_keep(self, name: str, *args: Any) -> tuple[Any, tuple[Any, ...]]:
        """(value, the arguments as the call left them): to see in-place changes."""
        value, after = self._ask("call", name, args, None, keep_args=True)
        return value, tuple(after)

    def value(self, name: str) -> Any:
        """The learner's module-level constant `name` as data (None when not defined)."""
        return self._ask("value", name, (), 5.0, keep_args=False)[0]

    def drive(self, driver: str, *args: Any, shown: str, limit: float | None = None) -> Any:
        """Run the exercise's trusted child-side `driver` (which calls the learner's code,
        named `shown` in messages) and return what it returns, as data."""
        return self._ask("drive", driver, args, limit, keep_args=False, shown=shown)[0]

    def _ask(
        self,
        op: str,
        name: str,
        args: tuple[Any, ...],
        limit: float | None,
        *,
        keep_args: bool,
        shown: str | None = None,
    ) -> tuple[Any, Any]:
        _last_call.set((name, self.arguments.get(name, ()), args) if op == "call" else None)
        shown = shown or name
        if limit is None:
            limit = self.check_limit or self.call_limits.get(shown.split(".")[0], CALL_LIMIT)
        limit = round(limit * time_scale(), 3)
        deadline = time.monotonic() + limit
        by_check = self.check_deadline is not None and self.check_deadline < deadline
        if by_check:
            deadline = self.check_deadline  # type: ignore[assignment]
        try:
            header, value = self.ask(op, name, args, deadline=deadline, keep_args=keep_args)
        except ChildGone as gone:
            if gone.status != "timeout":
                raise _Fatal(gone.why, tag=gone.status) from None
            if by_check:
                raise _Fatal(
                    _(
                        "did not finish within {seconds:g} s (an endless loop, or far too slow?)"
                    ).format(seconds=self.check_seconds),
                    tag="timeout",
                ) from None
            self.hung[shown] = limit
            raise _Fatal(
                _(
                    "{name} did not return within {seconds:g} s (an endless loop, or far too slow?)"
                ).format(name=shown, seconds=limit),
                tag="timeout",
            ) from None
        if "error" in header:
            self._raise(shown, header["error"])
        if keep_args:
            if not (header.get("with_args") and isinstance(value, tuple) and len(value) == 2):
                raise _Fatal(_("the checking process broke the protocol"), tag="crashed")
            value, after = value
            if not isinstance(after, list) or len(after) != len(args):
                raise _Fatal(_("the checking process broke the protocol"), tag="crashed")
            return value, after
        return value, ()

    def _raise(self, name: str, error: Any) -> None:
        if not isinstance(error, dict):
            error = {}
        kind = str(error.get("kind", "exception"))
        etype = clean_text(error.get("type", "Exception"), 100)
        raw_types = error.get("types")
        types = (
            tuple(clean_text(t, 100) for t in raw_types[:50]) if isinstance(raw_types, list) else ()
        )
        where = self._where(error.get("where"))
        if kind == "timeout":
            self.hung[name] = float(error.get("seconds", 0) or 0)
            raise _Fatal(
                _(
                    "{name} did not return within {seconds:g} s (an endless loop, or far too slow?)"
                ).format(name=name, seconds=self.hung[name]),
                tag="timeout",
            )
        if kind == "not_implemented":
            self.unimplemented.add(name)
            raise _Fatal(_not_implemented(name), tag="not_implemented")
        if kind == "not_data":
            raise CheckFailed(
                _(
                    "{name} returned {what}, which cannot be checked: return numpy arrays, "
                    "numbers, or tuples and lists of these"
                ).format(name=name, what=clean_text(error.get("text", ""), 200)),
                tag="not_data",
            )
        if kind == "memory":
            raise StudentError(
                _(
                    "{name} ran out of memory (MemoryError){where}: "
                    "the check's arrays are small; is something quadratic in the batch?"
                ).format(name=name, where=where),
                etype,
                types,
            )
        text = " ".join(clean_text(error.get("text", "")).split())
        raised = _("{name} raised {error}").format(name=name, error=etype)
        raise StudentError(raised + (f": {text}" if text else "") + where, etype, types)

    @staticmethod
    def _where(where: Any) -> str:
        """ " (at file line N `code`)" from the child's [file, line, code], else ""."""
        if not (isinstance(where, list) and len(where) == 3):
            return ""
        file, line, code = where
        code = clean_text(code, 300).strip() if isinstance(code, str) else ""
        return _(" (at {file} line {line}{code})").format(
            file=_short(clean_text(file, 300)),
            line=int(line) if isinstance(line, int) else "?",
            code=f" `{code}`" if code else "",
        )


def _not_implemented(name: str) -> str:
    return _("not implemented yet: {name} raises NotImplementedError (write its body)").format(
        name=name
    )


def _short(filename: str) -> str:
    """A learner's file name as shown: its base name, and a notebook's cell."""
    base, _sep, cell = filename.partition("#")
    return os.path.basename(base) + (_(" cell {cell}").format(cell=cell) if cell else "")


def run_one(check: Check, student: Student) -> CheckResult:
    """Run one check here; any failure becomes a one-line message, never a traceback.
    (`ChildGone` for a dead child passes through: the runner starts a fresh one.)"""
    student.check_limit = check.call_limit
    student.check_seconds = round(check.seconds * time_scale(), 3)
    student.check_deadline = time.monotonic() + student.check_seconds
    last_call = _last_call.set(None)
    base = {"visibility": check.visibility, "points": check.points, "title": _(check.name)}
    try:
        student.precheck(check.uses)
        note = check.run(student)
        return CheckResult(check.name, True, note or "", **base)  # type: ignore[arg-type]
    except CheckFailed as exc:
        from fcnet.learn.diff import hide_expected

        diff = exc.diff if check.visibility == "visible" else hide_expected(exc.diff)
        return CheckResult(
            check.name,
            False,
            exc.message,
            exc.tag,
            exc.parts,
            diff=diff,
            **base,  # type: ignore[arg-type]
        )
    except Exception as exc:  # the learner returned something the check could not use
        text = " ".join(clean_text(exc).split())
        return CheckResult(
            check.name,
            False,
            _("could not check the result: {error}: {text}").format(
                error=type(exc).__name__, text=text
            ),
            "unusable",
            **base,  # type: ignore[arg-type]
        )
    finally:
        student.check_deadline = None
        _last_call.reset(last_call)
