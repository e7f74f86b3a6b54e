"""`check_file`: run an exercise's checks on a learner's file in a child process.

The child (`fcnet.learn.child`) imports the file and reports each check over a pipe.
The parent enforces the limits: the file must import within the exercise's
`import_seconds`, a check that runs past its `seconds` is stopped (the child is killed
and a fresh one goes on with the next check), the child's resident memory may not pass
`memory_bytes`, and the whole run ends by `total_seconds`. (Inside the child, each call
of a learner's function has its own limit, 10 s unless the exercise says otherwise.)
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

from fcnet import i18n
from fcnet.i18n import gettext as _
from fcnet.learn.core import CheckResult, Exercise, Report, time_scale

__all__ = ["check_file"]

_POLL = 0.05


def check_file(name: str, path: str, *, quick: bool = False) -> Report:
    """Check the learner's `path` (.py or .ipynb) against exercise `name`.

    ValueError for an unknown exercise, FileNotFoundError when `path` is not a file.
    """
    from fcnet.learn.exercises import get

    exercise = get(name)
    if not os.path.isfile(path):
        raise FileNotFoundError(2, _("no such file"), path)
    if not path.endswith((".py", ".ipynb")):
        raise ValueError(_("{path}: expected a .py or .ipynb file").format(path=path))
    path = os.path.abspath(path)
    start = time.monotonic()
    deadline = start + exercise.total_seconds * time_scale()
    results: list[CheckResult] = []
    detail = ""
    names = [c.name for c in exercise.checks]
    while len(results) < len(names):
        done, detail_now = _run_child(exercise, path, quick, len(results), deadline, results)
        detail = detail or detail_now
        if done:
            break
    return Report(exercise.name, results, time.monotonic() - start, detail)


def _run_child(
    exercise: Exercise, path: str, quick: bool, skip: int, deadline: float, results: list
) -> tuple[bool, str]:
    """One child from check `skip` on; appends to `results`. Returns (finished, detail)."""
    names = [c.name for c in exercise.checks]
    seconds = {c.name: c.seconds * time_scale() for c in exercise.checks}
    read_fd, write_fd = os.pipe()
    # -P: the folder of the learner's file (the cwd) is not put first on sys.path, so a file
    # named torch.py hides nothing
    args = [sys.executable, "-P", "-m", "fcnet.learn.child", exercise.name, path, str(write_fd)]
    args += ["--skip", str(skip)] + (["--quick"] if quick else [])
    env = dict(os.environ)
    env[i18n.ENV_VAR] = i18n.language()  # the child's messages in the parent's language
    src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    log = tempfile.TemporaryFile()  # the learner's prints; the last line explains a crash
    proc = subprocess.Popen(
        args,
        pass_fds=(write_fd,),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,
        env=env,
        cwd=os.path.dirname(os.path.abspath(path)),
    )
    os.close(write_fd)
    buf = b""
    current: str | None = None  # the check running now; None while importing
    since = time.monotonic()
    import_deadline = since + exercise.import_seconds * time_scale()
    loaded = False
    try:
        while True:
            now = time.monotonic()
            limit = min(
                deadline, import_deadline if not loaded else since + seconds.get(current or "", 1e9)
            )
            why = _over(proc.pid, exercise.memory_bytes)
            if why or now >= limit:
                _kill(proc)
                if not why:
                    why = _timeout_message(exercise, loaded, current, now >= deadline)
                return _fail_rest(
                    names, results, current if loaded else None, why, now >= deadline or not loaded
                ), ""
            ready, _w, _x = select.select([read_fd], [], [], min(_POLL, max(limit - now, 0)))
            if not ready:
                if proc.poll() is not None and not _readable(read_fd):
                    return _died(proc, names, results, current, loaded, log), ""
                continue
            chunk = os.read(read_fd, 65536)
            if not chunk:
                proc.wait()
                if len(results) >= len(names):
                    return True, ""
                return _died(proc, names, results, current, loaded, log), ""
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                try:
                    event = json.loads(line)
                except ValueError:  # not the child's (nothing else should write there)
                    continue
                if "load_error" in event:
                    for n in names[len(results) :]:
                        results.append(CheckResult(n, False, event["load_error"]))
                    proc.wait()
                    return True, event.get("detail", "")
                if "start" in event:
                    loaded, current, since = True, event["start"], time.monotonic()
                elif "result" in event:
                    r = event["result"]
                    results.append(CheckResult(r["name"], r["passed"], r["message"]))
                    current = None
    finally:
        os.close(read_fd)
        log.close()
        if proc.poll() is None:
            _kill(proc)


def _timeout_message(exercise: Exercise, loaded: bool, current: str | None, total: bool) -> str:
    scale = time_scale()
    if not loaded:
        if total:
            return _stopped(exercise.total_seconds * scale)
        return _(
            "the file did not finish importing within {seconds:g} s: keep "
            'long runs under if __name__ == "__main__": (or out of the notebook\'s cells)'
        ).format(seconds=exercise.import_seconds * scale)
    if total:
        return _stopped(exercise.total_seconds * scale)
    limit = next(c.seconds for c in exercise.checks if c.name == current) * scale
    return _("did not finish within {seconds:g} s (an endless loop, or far too slow?)").format(
        seconds=limit
    )


def _stopped(seconds: float) -> str:
    return _("stopped: the whole check is limited to {seconds:g} s").format(seconds=seconds)


def _fail_rest(names, results, current, why: str, all_rest: bool) -> bool:
    """Fail the running check (or, for the import and the total limit, all the rest)."""
    if current is not None and not all_rest:
        results.append(CheckResult(current, False, why))
        return False
    for n in names[len(results) :]:
        results.append(CheckResult(n, False, why))
    return True


def _died(proc, names, results, current, loaded, log) -> bool:
    code = proc.wait()
    how = (
        _("signal {number}").format(number=-code)
        if code < 0
        else _("exit status {code}").format(code=code)
    )
    if code == -signal.SIGKILL:
        how += _(" (out of memory?)")
    log.seek(max(log.seek(0, os.SEEK_END) - 4096, 0))
    tail = [ln for ln in log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    why = _("the checking process died ({how})").format(how=how)
    why += f": {tail[-1].strip()}" if tail else ""
    if not loaded:
        cannot = _("the file could not be imported: {why}").format(why=why)
        return _fail_rest(names, results, None, cannot, True)
    if current is None:  # between checks: nothing to blame, go on with a fresh child
        return False
    results.append(CheckResult(current, False, why))
    return len(results) >= len(names)


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def _over(pid: int, limit: int) -> str:
    """A message when the child's resident memory is over `limit` bytes (Linux), else ""."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            rss = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return ""
    if rss > limit:
        return _("used more than {gib:g} GiB of memory: stopped").format(gib=limit / 2**30)
    return ""


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
