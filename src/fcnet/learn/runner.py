"""`check_file` and `Checker`: an exercise's checks on a learner's file, decided here.

The checks run in this process, which never imports the learner's file. The file runs
in a child (`fcnet.learn.child`), sandboxed by `fcnet.learn.sandbox` where the kernel
allows, that only calls the learner's functions and answers with the values they
returned, as data, over a socketpair (`fcnet.learn.channel`). This side enforces every
limit, whatever the child does with its descriptors: the import (`import_seconds`), each
call (`Student`), each check (`Check.seconds`), the whole run (`total_seconds`) and the
memory of the child's whole process tree (`memory_bytes`). A child that dies, hangs,
answers out of turn or writes anything that is not an answer fails the running check and
is replaced by a fresh one for the next.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fcnet import i18n
from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn import reach
from fcnet.learn.channel import Channel, ChannelError, ChannelTimeout, new_token
from fcnet.learn.core import (
    CheckResult,
    ChildGone,
    Exercise,
    Report,
    Student,
    clean_text,
    run_one,
    time_scale,
)
from fcnet.learn.student_file import CHILD_ENV, FORBIDDEN_ENV

__all__ = ["PROTECTION_NAMES", "Checker", "check_file", "protection_names", "protections"]

MAX_SUBMISSION = 16 << 20  # bytes of a learner's file
OUTPUT_BYTES = 256 << 10  # the learner's prints kept per child
_WATCH_EVERY = 0.2  # seconds between two looks at the child's memory


# each protection (sandbox.PROTECTIONS) as a person reads it, and what is lost without it
PROTECTION_NAMES = {
    "landlock_fs": N_("file confinement (Landlock: other files unreadable, nothing written)"),
    "landlock_net": N_("TCP confinement (Landlock)"),
    "landlock_signal": N_("signal confinement (Landlock)"),
    "user_namespace": N_("user namespace"),
    "pid_namespace": N_("process namespace (no process outlives the check)"),
    "net_namespace": N_("network namespace (no network)"),
    "rlimits": N_("resource limits"),
    "no_new_privs": N_("no new privileges"),
    "seccomp": N_("system-call filter (seccomp: no sockets)"),
    "cgroup": N_("memory and process cgroup"),
}


def protection_names(keys: Iterable[str]) -> str:
    """The protections `keys` (sandbox.PROTECTIONS), as words, in the current language."""
    return ", ".join(_(PROTECTION_NAMES[k]) if k in PROTECTION_NAMES else k for k in keys)


def protections() -> dict[str, bool]:
    """The sandbox's protections on this machine (all False where it is unavailable)."""
    try:
        from fcnet.learn import sandbox
    except ImportError:
        return {}
    return dict(sandbox.protections())


def check_file(
    name: str | Exercise,
    path: str | os.PathLike[str],
    *,
    quick: bool | None = None,
    seed: int | None = None,
    lang: str | None = None,
    unsafe_no_sandbox: bool = False,
    only: tuple[str, ...] | None = None,
) -> Report:
    """Check the learner's `path` (.py or .ipynb) against exercise `name` (see `Checker`)."""
    with Checker(
        name,
        quick=quick,
        seed=seed,
        lang=lang,
        unsafe_no_sandbox=unsafe_no_sandbox,
        fork_server=False,  # one file: a fresh sandboxed interpreter is quicker than a zygote
    ) as c:
        return c.check(path, only=only)


class Checker:
    """Checks many files against one exercise (grading reuses it; thread-safe: each
    `check` has its own child). ValueError for an unknown exercise.

    `seed`: the hidden inputs' seed (None: a fresh one per file, recorded in the report);
    `quick`: fit and mnist train on small slices (default: $FCNET_LEARN_QUICK=1);
    `lang`: the messages' language (default: the current one); `fork_server`: keep a
    sandbox `Zygote` (numpy and the child server imported once) and fork each file's
    child from it, for many files."""

    def __init__(
        self,
        name: str | Exercise,
        *,
        quick: bool | None = None,
        seed: int | None = None,
        lang: str | None = None,
        unsafe_no_sandbox: bool = False,
        fork_server: bool = True,
    ):
        from fcnet.learn.core import QUICK_ENV
        from fcnet.learn.exercises import get
        from fcnet.learn.skeleton import parameters

        self.exercise = name if isinstance(name, Exercise) else get(name)
        self.arguments = parameters(self.exercise.name)  # the names a diff gives the inputs
        self.quick = os.environ.get(QUICK_ENV) == "1" if quick is None else quick
        self.seed = seed
        self.lang = lang
        self.unsafe_no_sandbox = unsafe_no_sandbox
        self.protections = {} if unsafe_no_sandbox else protections()
        self.fork_server = fork_server and bool(self.protections)
        self._zygote: Any = None
        self._lock = threading.Lock()

    def __enter__(self) -> Checker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def zygote(self) -> Any:
        """The fork server, started on first use (None without a sandbox)."""
        if not self.fork_server:
            return None
        with self._lock:
            if self._zygote is None:
                from fcnet.learn import sandbox

                self._zygote = sandbox.Zygote(["fcnet.learn.child"])
            return self._zygote

    def close(self) -> None:
        """End the fork server and every child it started."""
        with self._lock:
            if self._zygote is not None:
                self._zygote.close()
                self._zygote = None

    def check(self, path: str | os.PathLike[str], *, only: tuple[str, ...] | None = None) -> Report:
        """The `Report` on `path`. FileNotFoundError when it is missing; ValueError when
        it is not a .py or .ipynb file."""
        if self.lang is not None:
            with i18n.use_language(self.lang):
                report = self._check(os.fspath(path), only)
            report.lang = self.lang
            return report
        return self._check(os.fspath(path), only)

    def _check(self, path: str, only: tuple[str, ...] | None) -> Report:
        exercise = self.exercise
        if not path.endswith((".py", ".ipynb")):
            raise ValueError(_("{path}: expected a .py or .ipynb file").format(path=path))
        seed = self.seed if self.seed is not None else int.from_bytes(os.urandom(4), "big")
        start = time.monotonic()
        checks = [c for c in exercise.checks if only is None or c.name in only]

        def report(results: list[CheckResult], status: str, detail: str = "", output: str = ""):
            return Report(
                exercise.name,
                results,
                time.monotonic() - start,
                detail,
                exercise.version,
                seed,
                status,
                self.protections,
                output,
            )

        try:
            source = _read_submission(path)
        except _Refused as refused:
            return report([_failed(c, refused.why, "refused") for c in checks], "refused")
        total = start + exercise.total_seconds * time_scale()
        results: list[CheckResult] = []
        status, detail, output = "ok", "", []
        with tempfile.TemporaryDirectory(prefix="fcnet-submission-") as folder:
            copy = Path(folder) / os.path.basename(path)
            copy.write_bytes(source)
            copy.chmod(stat.S_IRUSR)  # read-only, and private: mkdtemp's folder is 0700
            child: _Child | None = None
            student: Student | None = None
            try:
                for check in checks:
                    if time.monotonic() >= total:
                        why = _stopped(exercise.total_seconds * time_scale())
                        results += [_failed(c, why, "stopped") for c in checks[len(results) :]]
                        status = "timeout"
                        break
                    if child is None or child.gone is not None:
                        if child is not None:
                            output.append(child.close())
                        child = None
                        try:
                            child = _Child(self, copy, total)
                        except (OSError, RuntimeError) as exc:  # the sandbox could not start
                            why = _("could not start the checking process: {error}").format(
                                error=clean_text(exc, 300)
                            )
                            results += [_failed(c, why, "crashed") for c in checks[len(results) :]]
                            status = "crashed"
                            break
                        hello = child.hello(start)
                        if "load_error" in hello:
                            why = clean_text(hello["load_error"])
                            detail = clean_text(hello.get("detail", ""), 8000)
                            st = hello.get("status", "load_error")
                            results += [_failed(c, why, st) for c in checks[len(results) :]]
                            status = "timeout" if st == "stopped" else st
                            break
                        if student is None:
                            student = Student(
                                child.ask,
                                hello["defined"],
                                quick=self.quick,
                                seed=seed,
                                call_limits=exercise.call_limits,
                                arguments=self.arguments,
                            )
                        else:
                            student.ask, student.defined = child.ask, hello["defined"]
                    assert student is not None
                    results.append(run_one(check, student))
                    if child.gone is not None:
                        status = {"stopped": "timeout"}.get(child.gone.status, child.gone.status)
            finally:
                if child is not None:
                    output.append(child.close())
        return report(results, status, detail, clean_text("".join(output), OUTPUT_BYTES))


class _Refused(Exception):
    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


def _read_submission(path: str) -> bytes:
    """The learner's file's bytes: a regular file, not a symbolic link, at most 16 MiB."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(2, _("no such file"), path) from None
    except OSError as exc:
        if os.path.islink(path):
            raise _Refused(
                _("{path} is a symbolic link: submit the file itself").format(
                    path=os.path.basename(path)
                )
            ) from None
        raise _Refused(f"{os.path.basename(path)}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _Refused(_("{path} is not a regular file").format(path=os.path.basename(path)))
        data = fh.read(MAX_SUBMISSION + 1)
    if len(data) > MAX_SUBMISSION:
        raise _Refused(
            _("{path} is larger than {mib} MiB").format(
                path=os.path.basename(path), mib=MAX_SUBMISSION >> 20
            )
        )
    return data


def _failed(check: Any, why: str, tag: str | None) -> CheckResult:
    return CheckResult(
        check.name,
        False,
        why,
        tag,
        title=_(check.name),
        visibility=check.visibility,
        points=check.points,
    )


def _stopped(seconds: float) -> str:
    return _("stopped: the whole check is limited to {seconds:g} s").format(seconds=seconds)


class _Child:
    """One child running the learner's file, seen from here: `ask` sends one request and
    returns its answer, or raises `ChildGone` (and kills the child) for anything else."""

    def __init__(self, checker: Checker, path: Path, total: float):
        self.exercise = checker.exercise
        self.total = total
        self.gone: ChildGone | None = None
        self._last_watch = 0.0
        mine, theirs = socket.socketpair()
        self.channel = Channel(mine, limit=checker.exercise.answer_bytes)
        ex = self.exercise
        argv = [sys.executable, "-P", "-m", "fcnet.learn.child", ex.name, str(path)]
        argv += [str(theirs.fileno()), ",".join(ex.functions)]
        if ex.address_limit:
            argv += ["--address-limit", str(ex.memory_bytes)]
        env = {
            "PATH": os.defpath,
            "HOME": "/nonexistent",  # the sandbox, or _PlainChild, sets its own scratch folder
            "LANG": "C.UTF-8",
            # fcnet first, then the packages the parent found there (a plain child imports
            # numpy as the parent did; the sandbox sets its own path)
            "PYTHONPATH": os.pathsep.join(p for p in (_SRC, os.environ.get("PYTHONPATH")) if p),
            "PYTHONDONTWRITEBYTECODE": "1",
            i18n.ENV_VAR: i18n.language(),
            CHILD_ENV: "1",
            FORBIDDEN_ENV: ",".join(ex.forbidden),
        }
        for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "FCNET_JIT"):
            if key in os.environ:
                env[key] = os.environ[key]
        readable = ex.readable() if ex.readable else ()
        self.proc = _spawn(argv, env, theirs, path, readable, ex, checker)
        theirs.close()

    def hello(self, start: float) -> dict[str, Any]:
        """The child's first frame: what the file defines, or why it did not load."""
        ex = self.exercise
        limit = min(start + ex.import_seconds * time_scale(), self.total)
        if time.monotonic() > start + 1:  # a fresh child after a failure: a fresh import limit
            limit = min(time.monotonic() + ex.import_seconds * time_scale(), self.total)
        try:
            header, _value = self.channel.recv(limit, watch=self._watch)
        except ChildGone as gone:
            return {"load_error": gone.why, "status": gone.status}
        except ChannelTimeout:
            self.kill()
            if limit >= self.total:
                why = _stopped(ex.total_seconds * time_scale())
                self.gone = ChildGone(why, "stopped")
                return {"load_error": why, "status": "stopped"}
            why = _(
                "the file did not finish importing within {seconds:g} s: keep "
                'long runs under if __name__ == "__main__": (or out of the notebook\'s cells)'
            ).format(seconds=ex.import_seconds * time_scale())
            self.gone = ChildGone(why, "timeout")
            return {"load_error": why, "status": "timeout"}
        except ChannelError as exc:
            why = self._broken(exc) or self._died()
            return {
                "load_error": _("the file could not be imported: {why}").format(why=why),
                "status": self.gone.status if self.gone is not None else "crashed",
            }
        if "load_error" in header:
            return {
                "load_error": str(header["load_error"]),
                "detail": str(header.get("detail", "")),
                "status": "load_error",
            }
        defined = header.get("defined")
        if not header.get("loaded") or not isinstance(defined, dict):
            self.kill()
            return {"load_error": _("the checking process broke the protocol"), "status": "crashed"}
        return {"defined": {str(k): clean_text(v, 100) for k, v in defined.items()}}

    def ask(
        self, op: str, name: str, args: tuple[Any, ...], *, deadline: float, keep_args: bool
    ) -> tuple[dict[str, Any], Any]:
        if self.gone is not None:
            raise ChildGone(self.gone.why, self.gone.status)
        total = deadline >= self.total
        deadline = min(deadline, self.total)
        token = new_token()
        header = {"op": op, "name": name, "token": token, "keep_args": keep_args}
        header["seconds"] = max(round(deadline - time.monotonic(), 3), 0.01)
        try:
            self.channel.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            self.channel.send(header, list(args))
            answer, value = self.channel.recv(deadline, watch=self._watch)
        except ChannelTimeout:
            return self._fail(ChildGone("", "timeout"), total)
        except TimeoutError:
            return self._fail(ChildGone("", "timeout"), total)
        except ChildGone:
            raise
        except (ChannelError, OSError) as exc:
            why = self._broken(exc) if isinstance(exc, ChannelError) else ""
            return self._fail(ChildGone(why or self._died(), "crashed"), False)
        if answer.get("token") != token:
            return self._fail(
                ChildGone(_("the checking process answered out of turn: stopped"), "crashed"),
                False,
            )
        return answer, value

    def _fail(self, gone: ChildGone, total: bool) -> Any:
        self.kill()
        if total and gone.status == "timeout":
            gone = ChildGone(_stopped(self.exercise.total_seconds * time_scale()), "stopped")
        self.gone = self.gone or gone
        raise gone

    def _watch(self) -> None:
        """Kill the child when its process tree holds more than the exercise's memory."""
        now = time.monotonic()
        if now - self._last_watch < _WATCH_EVERY:
            return
        self._last_watch = now
        used = self.proc.tree_memory()
        limit = self.exercise.memory_bytes
        if used > limit:
            self.kill()
            why = _("used more than {gib:g} GiB of memory: stopped").format(gib=limit / 2**30)
            self.gone = ChildGone(why, "memory")
            raise self.gone

    def _broken(self, exc: ChannelError) -> str:
        """Why a child that is still running broke the channel ("" when it has exited):
        it closed its end, or wrote something that is not an answer. Kills it."""
        if self.proc.wait(0.2) is not None:
            return ""
        self.kill()
        if "closed" in str(exc):
            why = _("the checking process closed its channel: stopped")
        else:
            why = _(
                "the checking process sent something that is not an answer ({what}): stopped"
            ).format(what=clean_text(exc, 200))
        self.gone = self.gone or ChildGone(why, "crashed")
        return why

    def _died(self) -> str:
        """Why the child is gone (its exit status and last line of output); kills it. A
        tree the sandbox stopped for a limit says which (`killed_for`), as `_watch` does."""
        code = self.proc.wait(1.0)
        self.kill()
        limit = getattr(self.proc, "killed_for", None)
        if limit == "memory":
            why = _("used more than {gib:g} GiB of memory: stopped").format(
                gib=self.exercise.memory_bytes / 2**30
            )
            self.gone = self.gone or ChildGone(why, "memory")
            return why
        if code is None:
            why = _("the checking process stopped answering: stopped")
        else:
            how = (
                _("signal {number}").format(number=-code)
                if code < 0
                else _("exit status {code}").format(code=code)
            )
            if code == -signal.SIGKILL:
                how += _(" (out of memory?)")
            why = _("the checking process died ({how})").format(how=how)
            tail = [
                ln for ln in clean_text(self.proc.output()[-4096:], 4096).splitlines() if ln.strip()
            ]
            why += f": {tail[-1].strip()[:300]}" if tail else ""
        self.gone = self.gone or ChildGone(why, "crashed")
        return why

    def kill(self) -> None:
        self.proc.kill()

    def close(self) -> str:
        """Kill the child's tree, close the channel; returns its output."""
        self.kill()
        self.channel.close()
        out = self.proc.output()
        self.proc.close()
        return out


_SRC = str(Path(__file__).resolve().parents[2])


def _spawn(argv, env, sock, path, readable, exercise, checker: Checker) -> Any:
    """The child, in the sandbox where there is one (`fcnet.learn.sandbox`), else plain."""
    if not checker.unsafe_no_sandbox:
        try:
            from fcnet.learn import sandbox
        except ImportError:
            sandbox = None  # type: ignore[assignment]
        if sandbox is not None:
            policy = sandbox.Policy(
                readable=(path.parent, *(Path(p) for p in readable)),
                limits=sandbox.Limits(
                    cpu_seconds=exercise.total_seconds * time_scale() + 5,
                    memory_bytes=exercise.memory_bytes,
                ),
                hidden=reach.library_paths(exercise.forbidden),
                fcnet=reach.child_files(exercise.name, exercise.uses),
            )
            zygote = checker.zygote()
            if zygote is not None:
                return zygote.spawn(
                    "fcnet.learn.child:zygote_main",
                    policy,
                    (sock.fileno(),),
                    args=argv[4:],
                    env=env,
                )
            return sandbox.spawn(argv[2:], policy, pass_fds=(sock.fileno(),), env=env)
    return _PlainChild(argv, env, sock)


class _PlainChild:
    """A child without a sandbox (`--unsafe-no-sandbox`, or none on this system): its own
    session, its prints bounded, its session's processes killed at the end."""

    def __init__(self, argv: list[str], env: dict[str, str], sock: socket.socket):
        self.scratch = Path(tempfile.mkdtemp(prefix="fcnet-scratch-"))
        # libraries write their caches under HOME (matplotlib, keras): into scratch, removed
        # with it, never a /nonexistent made at the root by a checker run as root
        home = {"HOME": str(self.scratch), "MPLCONFIGDIR": str(self.scratch / ".matplotlib")}
        self._proc = subprocess.Popen(
            argv,
            pass_fds=(sock.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**env, **home, "TMPDIR": str(self.scratch)},
            cwd=self.scratch,
        )
        self.pid = self._proc.pid
        self._out = bytearray()
        self.dropped = 0
        assert self._proc.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self._proc.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: Any) -> None:
        while chunk := stream.read1(65536):
            room = OUTPUT_BYTES - len(self._out)
            self._out += chunk[:room]
            self.dropped += max(len(chunk) - room, 0)

    def alive(self) -> bool:
        return self._proc.poll() is None

    def wait(self, timeout: float) -> int | None:
        try:
            return self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def _tree(self) -> list[int]:
        pids = []
        for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[3]) == self.pid:  # its session
                pids.append(int(entry))
        return pids

    def tree_memory(self) -> int:
        total = 0
        for pid in self._tree():
            try:
                with open(f"/proc/{pid}/statm") as fh:
                    total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, ValueError, IndexError):
                pass
        return total

    def kill(self) -> None:
        for pid in (self.pid, *self._tree()):
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._proc.wait()

    def output(self) -> str:
        self._reader.join(0.5)
        text = bytes(self._out).decode("utf-8", "replace")
        if self.dropped:
            text += "\n" + _("[{n} more bytes of output dropped]").format(n=self.dropped)
        return text

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.scratch, ignore_errors=True)
