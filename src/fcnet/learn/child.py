"""The child that runs a learner's code: `python -m fcnet.learn.child NAME FILE FD`.

It decides nothing. It loads FILE (`fcnet.learn.student_file`), says which of exercise
NAME's functions exist, then answers requests on the socket FD (`fcnet.learn.channel`)
until the checker closes it: "call" a learner's function on the given arguments,
"value" of a module-level constant, "drive" a trusted driver of the exercise's
(`fcnet.learn.drivers.<name>`, for code that must run beside the learner's objects, e.g.
one optimizer step of their `train`). Each answer is the value returned, as
data, a `Remote` handle for an object that cannot cross, or the exception's type, text
and line in the learner's file. It holds no expected value and no check; whatever it
sends is data the checker judges. (The SIGALRM guard here is a courtesy: the checker
times every call itself.) Of fcnet it can read only what it imports itself, the driver
and the packages the exercise lets the learner use (`fcnet.learn.reach`); importing any
other module of fcnet's fails with a message that says why.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import os
import signal
import socket
import sys
import threading
import traceback
from typing import Any

import numpy as np

from fcnet.learn.channel import Channel, ChannelError, Remote, encode
from fcnet.learn.student_file import CHILD_ENV, FORBIDDEN_ENV, LoadError, load


class _Timeout(BaseException):
    """Raised by the alarm inside a learner's function (BaseException: `except Exception`
    in their code does not swallow it)."""


class Server:
    """The learner's namespace and the objects kept for the checker as `Remote`s."""

    def __init__(self, exercise: str, namespace: dict[str, Any], filenames: tuple[str, ...]):
        self.exercise = exercise
        self.namespace = namespace
        self.filenames = filenames
        self.kept: dict[int, Any] = {}

    def arg(self, value: Any) -> Any:
        """A decoded argument with `Remote`s replaced by the objects they name."""
        if isinstance(value, Remote):
            if value.id not in self.kept:
                raise ChannelError("an unknown handle")
            return self.kept[value.id]
        if isinstance(value, list):
            return [self.arg(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.arg(v) for v in value)
        if isinstance(value, dict):
            return {k: self.arg(v) for k, v in value.items()}
        return value

    def keep(self, value: Any) -> Any:
        """`value` if it can cross as data, else a Remote naming it (arrays of objects that
        expose __array__, such as tensors, are converted)."""
        try:
            encode(value, [])
            return value
        except TypeError:
            pass
        if hasattr(value, "__array__") and not isinstance(value, type):
            try:
                a = np.asarray(value)
                if a.dtype.kind in "biuf":
                    return a
            except Exception:  # their object's __array__ failed: keep it
                pass
        if isinstance(value, list | tuple):
            items = [self.keep(v) for v in value]
            return tuple(items) if isinstance(value, tuple) else items
        rid = len(self.kept) + 1
        self.kept[rid] = value
        return Remote(rid, type(value).__name__)

    def handle(self, header: dict[str, Any], args: Any) -> tuple[dict[str, Any], Any]:
        op, name = header.get("op"), str(header.get("name", ""))
        seconds = float(header.get("seconds", 10.0))
        args = self.arg(args if isinstance(args, list | tuple) else ())
        if op == "value":
            return {}, self.keep(self.namespace.get(name))
        if op == "call":
            fn = self.namespace.get(name)
            if not callable(fn):
                return {"error": {"kind": "exception", "type": "NameError", "text": name}}, None
        elif op == "drive":
            drivers = importlib.import_module(f"fcnet.learn.drivers.{self.exercise}")
            driver = getattr(drivers, name)

            def fn(*a):
                return driver(self.namespace, *a)

        else:
            raise ChannelError("an unknown request")
        try:
            with _alarm(seconds):
                value = fn(*args)
        except _Timeout:
            return {"error": {"kind": "timeout", "seconds": seconds}}, None
        except NotImplementedError as exc:
            if self._raised_here(exc):
                return {"error": {"kind": "not_implemented"}}, None
            return {"error": self._describe(exc)}, None
        except MemoryError as exc:
            return {"error": dict(self._describe(exc), kind="memory")}, None
        except Exception as exc:
            return {"error": self._describe(exc)}, None
        if header.get("keep_args"):
            return {"with_args": True}, (self.keep(value), [self.keep(a) for a in args])
        return {}, self.keep(value)

    def _describe(self, exc: BaseException) -> dict[str, Any]:
        frames = [
            f for f in traceback.extract_tb(exc.__traceback__) if self._is_student(f.filename)
        ]
        where = [frames[-1].filename, frames[-1].lineno, frames[-1].line or ""] if frames else None
        return {
            "kind": "exception",
            "type": _type_name(type(exc)),
            "types": [c.__name__ for c in type(exc).__mro__],
            "text": str(exc)[:4000],
            "where": where,
        }

    def _raised_here(self, exc: BaseException) -> bool:
        """A NotImplementedError the skeleton's TODO raised, not one from a library."""
        frames = traceback.extract_tb(exc.__traceback__)
        return bool(frames) and self._is_student(frames[-1].filename)

    def _is_student(self, filename: str) -> bool:
        return any(filename == f or filename.startswith(f + "#") for f in self.filenames)


class _OutOfReach(importlib.abc.MetaPathFinder):
    """Says why a module of fcnet's, or of a library the exercise forbids, does not import
    here: the sandbox keeps it unreadable (`fcnet.learn.reach`). A courtesy, like the
    alarm: Landlock is what holds."""

    def __init__(self, exercise: str, forbidden: frozenset[str]):
        self.exercise = exercise
        self.forbidden = forbidden

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        library = fullname.partition(".")[0] in self.forbidden
        if not (fullname.startswith("fcnet.") or library):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.has_location or not spec.origin:
            return None
        try:
            with open(spec.origin, "rb"):
                pass
        except PermissionError:
            from fcnet.i18n import gettext as _

            why = (
                _(
                    "{module} cannot be used in exercise {exercise}: it would do the exercise "
                    'for you; keep comparisons with it under if __name__ == "__main__":'
                )
                if library
                else _(
                    "{module} cannot be used in exercise {exercise}: fcnet's own code is out "
                    "of reach while your code is checked (it could stand in for yours); write "
                    "it yourself"
                )
            )
            raise ImportError(
                why.format(module=fullname, exercise=self.exercise), name=fullname
            ) from None
        except OSError:
            pass
        return None  # readable: the usual finders load it


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
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    @staticmethod
    def _fire(signum, frame):
        raise _Timeout

    def __exit__(self, *exc):
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False


class _Flushing(Channel):
    """The child's channel: the learner's prints are flushed before each answer, so they
    reach the checker's output even though the child ends by SIGKILL (no exit flush)."""

    def send(self, header: dict[str, Any], value: Any = None) -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a stream the learner closed or replaced
                stream.flush()
        super().send(header, value)


def serve(name: str, path: str, fd: int, functions: tuple[str, ...]) -> int:
    """Load `path`, say what it defines, and answer requests on socket `fd` until closed."""
    os.environ[CHILD_ENV] = "1"
    forbidden = os.environ.get(FORBIDDEN_ENV, "")
    sys.meta_path.insert(0, _OutOfReach(name, frozenset(filter(None, forbidden.split(",")))))
    with contextlib.suppress(AttributeError, ValueError):  # the learner's prints, line by line
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    channel = _Flushing(socket.socket(fileno=fd))
    try:
        namespace, names = load(path)
    except LoadError as exc:
        channel.send({"load_error": exc.message, "detail": exc.detail})
        return 0
    except MemoryError:
        channel.send({"load_error": "the file ran out of memory while being imported"})
        return 0
    defined = {}
    for fn in functions:
        obj = namespace.get(fn)
        if obj is not None:
            defined[fn] = (
                "class"
                if isinstance(obj, type)
                else "function"
                if callable(obj)
                else type(obj).__name__
            )
    channel.send({"loaded": True, "defined": defined})
    server = Server(name, namespace, names)
    while True:
        try:
            header, args = channel.recv()
        except ChannelError:
            return 0
        token = header.get("token")
        try:
            answer, value = server.handle(header, args)
        except ChannelError as exc:
            answer, value = (
                {"error": {"kind": "exception", "type": "ChannelError", "text": str(exc)}},
                None,
            )
        try:
            channel.send(dict(answer, token=token), value)
        except TypeError as exc:  # keep() let something through that is not data
            channel.send({"token": token, "error": {"kind": "not_data", "text": str(exc)}})


def main(argv: list[str]) -> int:
    name, path, fd = argv[0], argv[1], int(argv[2])
    functions = tuple(argv[3].split(",")) if len(argv) > 3 and argv[3] else ()
    if "--address-limit" in argv:
        _limit_memory(int(argv[argv.index("--address-limit") + 1]))
    return serve(name, path, fd, functions)


def zygote_main(*argv: str) -> int:
    """`main`, called in a child forked from the sandbox's Zygote."""
    return main(list(argv))


def _limit_memory(nbytes: int) -> None:
    """Cap the address space where no sandbox does (not for torch or tensorflow, whose
    start-up reserves far more than it uses; the checker watches the resident size too)."""
    try:
        import resource
    except ImportError:  # not on POSIX: the parent's watch remains
        return
    if nbytes:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = 4 * nbytes  # address space, not memory: numpy and BLAS reserve more than they use
        if hard == resource.RLIM_INFINITY or hard > cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _type_name(cls: type) -> str:
    """An exception type's name as a learner recognises it: "ValueError" for a builtin,
    "struct.error" where the bare name would say nothing."""
    module = getattr(cls, "__module__", "builtins")
    if module == "builtins" or cls.__name__[:1].isupper():
        return cls.__name__
    return f"{module.rsplit('.', 1)[-1]}.{cls.__name__}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
