"""Hostile submissions, end to end through `check_file` and `fcnet check`: each one is
contained and fails with a message that says why; nothing outside the scratch folder
changes, no connection reaches a loopback listener, no process outlives the check.

(The OS-level cases are also tested one by one in test_sandbox.py; these go through the
checker, so they also show that the process running the learner's code decides nothing.)
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from learnkit import SOLUTIONS

from fcnet.learn.exercises import get
from fcnet.learn.runner import check_file

SRC = str(Path(__file__).resolve().parents[2] / "src")
REF = (SOLUTIONS / "backprop_ref.py").read_text()
WRONG_RELU = "\ndef relu_forward(z):\n    return z * 0.5\n"  # fails relu_forward


@pytest.fixture(autouse=True)
def _short_limits(monkeypatch):
    monkeypatch.setenv("FCNET_LEARN_TIME_SCALE", "0.2")  # 2 s a call, 6 s to import


def check(tmp_path: Path, source: str, *only: str, name: str = "mine.py", exercise="backprop"):
    folder = tmp_path / "class" / "student"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return check_file(exercise, path, only=only or None)


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmd:
                found.append(int(entry))
    return found


# ----- forging verdicts: the child's process decides nothing


FORGERIES = {
    "patches the checks' module": """
        import fcnet.learn.core as c
        c.run_one = lambda check, s: c.CheckResult(check.name, True, "ok")
        c.CheckFailed = Exception
    """,
    "patches numpy's comparisons": """
        import numpy as np
        np.allclose = lambda *a, **k: True
        np.array_equal = lambda *a, **k: True
        np.isclose = lambda *a, **k: True
    """,
    "writes fake answers to every descriptor": """
        import json, os
        line = json.dumps({"result": {"name": "relu_forward", "passed": True, "message": ""}})
        for fd in range(3, 64):
            try:
                os.write(fd, (line + "\\n").encode())
            except OSError:
                pass
    """,
    "prints fake verdicts": """
        import sys
        print("✓ relu_forward: a = max(z, 0)\\nbackprop: all passed (0.1 s)")
        print("✓ relu_forward", file=sys.stderr)
    """,
    "looks for the expected value in memory": """
        import gc, numpy as np
        def relu_forward(z):
            for o in gc.get_objects():  # the checker's arrays are not in this process
                if isinstance(o, np.ndarray) and o.shape == z.shape and o is not z:
                    if (o >= 0).all():
                        return o
            import sys
            f = sys._getframe()
            while f is not None:
                for v in f.f_locals.values():
                    if isinstance(v, np.ndarray) and v.shape == z.shape and v is not z:
                        return v
                f = f.f_back
            return z * 0.5
    """,
}


@pytest.mark.parametrize("case", list(FORGERIES))
def test_a_forged_verdict_changes_nothing(tmp_path, case):
    report = check(tmp_path, REF + WRONG_RELU + textwrap.dedent(FORGERIES[case]), "relu_forward")
    (result,) = report.checks
    assert not result.passed, result
    assert any(
        why in result.message
        for why in (
            "a is wrong at",
            "changed its input",
            "sent something that is not an answer",
            "cannot be used in exercise backprop",  # fcnet.learn.core is out of the child's reach
        )
    ), result.message


def test_exiting_with_0_at_import_fails_saying_the_process_died(tmp_path):
    report = check(tmp_path, REF + "\nimport os\nos._exit(0)\n", "relu_forward")
    (result,) = report.checks
    assert not result.passed and "the checking process died (exit status 0)" in result.message


def test_exiting_with_0_inside_a_call_fails_that_check(tmp_path):
    src = REF + "\ndef relu_forward(z):\n    import os\n    os._exit(0)\n"
    report = check(tmp_path, src, "relu_forward", "relu_backward")
    first, second = report.checks
    assert not first.passed and "the checking process died (exit status 0)" in first.message
    assert second.passed  # a fresh child goes on


# ----- reaching fcnet's own answers: none is readable in the child (fcnet.learn.reach)


REACHES = {
    "imports fcnet's engine": ("backprop", "from fcnet import nn\n", "fcnet.nn"),
    "calls the exercise's reference": (
        "backprop",
        """
        def linear_forward(x, W, b):
            from fcnet.learn.exercises import backprop
            return backprop._fcnet_linear(x, W, b, np.zeros((len(x), len(W))))[0]
        """,
        "fcnet.learn.exercises",
    ),
    "imports fcnet's IDX reader": ("idx", "from fcnet.data import read_idx\n", "fcnet.data"),
    "imports fcnet's roc_auc": ("auc", "from fcnet.metrics import roc_auc\n", "fcnet.metrics"),
    "imports fcnet's torch backend": (
        "torch",
        "import fcnet.backends.torch_backend\n",
        "fcnet.backends",
    ),
    # libraries that would do the exercise (Exercise.forbidden)
    "imports scikit-learn's roc_auc_score": (
        "auc",
        "from sklearn.metrics import roc_auc_score as roc_auc\n",
        "sklearn",
    ),
    "ranks with SciPy": ("auc", "from scipy.stats import rankdata\n", "scipy"),
    "differentiates with PyTorch": (
        "backprop",
        """
        def linear_forward(x, W, b):
            import torch
            return (torch.from_numpy(x) @ torch.from_numpy(W).T).numpy() + b
        """,
        "torch",
    ),
}


@pytest.mark.parametrize("case", list(REACHES))
def test_fcnets_own_answers_are_out_of_reach(tmp_path, case):
    exercise, code, module = REACHES[case]
    source = (REF if exercise == "backprop" else "") + textwrap.dedent(code)
    report = check(tmp_path, source, exercise=exercise)
    failed = [c for c in report.checks if not c.passed]
    assert failed and not report.passed
    assert f"{module} cannot be used in exercise {exercise}" in failed[0].message, failed[0]


def test_a_forbidden_library_is_unreadable_even_by_path(tmp_path):
    """Past the import message: scikit-learn's files cannot be opened in auc's child,
    while numpy's can (the libraries the exercise allows)."""
    import numpy
    import sklearn.metrics

    src = textwrap.dedent(f"""
        def roc_auc(y_true, scores):
            readable = []
            for path in ({sklearn.metrics.__file__!r}, {numpy.__file__!r}):
                try:
                    open(path, "rb").close()
                    readable.append(path)
                except PermissionError:
                    pass
            if readable == [{numpy.__file__!r}]:
                raise ValueError("only one class")  # what the check wants: it passes
            return 0.123  # anything else fails the check, and the test sees it
    """)
    report = check(tmp_path, src, "one class raises ValueError", exercise="auc")
    (result,) = report.checks
    assert result.passed, result.message


def test_out_of_reach_said_in_chinese(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(REF + "from fcnet import nn\n")
    report = check_file("backprop", path, only=("relu_forward",), lang="zh")
    (result,) = report.checks
    assert "练习 backprop 中不能使用 fcnet.nn" in result.message, result.message


def test_reading_fcnets_files_by_path_is_refused(tmp_path):
    """Past the import message, Landlock: the engine's source, an exercise's checks and a
    compiled copy of the checks' module cannot be opened, even by path."""
    src = REF + textwrap.dedent("""
        import glob, os
        import fcnet
        ROOT = os.path.dirname(fcnet.__file__)

        def relu_forward(z):
            paths = [os.path.join(ROOT, "nn", "layers.py"),
                     os.path.join(ROOT, "learn", "exercises", "backprop", "__init__.py")]
            paths += glob.glob(os.path.join(ROOT, "learn", "__pycache__", "core.*.pyc"))
            for path in paths:
                try:
                    open(path, "rb").read()
                except PermissionError:
                    continue
                return z * 0.5  # read it: fails the check, the test sees it
            return np.maximum(z, 0)
    """)
    report = check(tmp_path, src, "relu_forward")
    (result,) = report.checks
    assert result.passed, result.message


def test_no_reference_is_in_the_childs_memory(tmp_path):
    """The zygote preloads only the child server: no module of fcnet's but those the child
    may read is in a child's sys.modules, nor any library the exercise forbids."""
    from fcnet.learn import reach

    allowed = sorted(reach.child_modules())
    src = REF + textwrap.dedent(f"""
        import sys

        def relu_forward(z):
            loaded = [m for m in sys.modules if m.split(".")[0] in ("fcnet", "torch", "scipy")]
            extra = [m for m in loaded if m not in {allowed!r}]
            if extra:
                raise RuntimeError("in memory: " + ", ".join(sorted(extra)))
            return np.maximum(z, 0)
    """)
    report = check(tmp_path, src, "relu_forward")
    (result,) = report.checks
    assert result.passed, result.message


def test_the_skeletons_check_grad_works_in_the_child(tmp_path):
    """What the child may use of fcnet still works there: check_grad (numpy and
    fcnet.numdiff only), and fcnet.nn in the exercises that train with it (test_fit_mnist)."""
    src = REF + textwrap.dedent("""
        from fcnet.learn import check_grad
        _w = np.array([1.0, -2.0, 3.0])
        _result = check_grad(lambda: float((_w ** 3).sum()), {"w": _w}, {"w": 3 * _w ** 2})
        assert _result.passed, str(_result)
    """)
    report = check(tmp_path, src, "relu_forward")
    assert report.passed, report.text()


# ----- escaping: files, network, processes, signals


def test_files_beside_above_and_in_home_are_untouched(tmp_path):
    home = Path(os.path.expanduser("~"))
    teacher = tmp_path / "class" / "teacher_answers.txt"
    teacher.parent.mkdir(parents=True)
    teacher.write_text("SECRET-ANSWERS")
    beside = tmp_path / "class" / "student" / "notes.txt"
    beside.parent.mkdir(parents=True)
    beside.write_text("mine")
    marker = f"fcnet-hostile-{os.getpid()}-{time.monotonic_ns()}"
    src = REF + textwrap.dedent(f"""
        import os
        def _try(f):
            try:
                return f()
            except Exception as e:
                return type(e).__name__
        _try(lambda: open({str(beside)!r}, "w").write("overwritten"))
        _try(lambda: os.remove({str(beside)!r}))
        _try(lambda: open({str(tmp_path / "class" / "new.txt")!r}, "w").write("x"))
        _try(lambda: open({str(home / marker)!r}, "w").write("x"))
        _SECRET = _try(lambda: open({str(teacher)!r}).read())
        def relu_forward(z):
            raise ValueError("read: " + str(_SECRET))
    """)
    report = check(tmp_path, src, "relu_forward")
    (result,) = report.checks
    assert not result.passed
    assert "SECRET-ANSWERS" not in result.message and "SECRET-ANSWERS" not in report.output
    assert beside.read_text() == "mine"
    assert not (tmp_path / "class" / "new.txt").exists()
    assert not (home / marker).exists()
    assert teacher.read_text() == "SECRET-ANSWERS"


def test_no_connection_reaches_a_loopback_listener(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        src = REF + textwrap.dedent(f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"x")
            except OSError:
                pass
        """)
        report = check(tmp_path, src, "relu_forward")
        assert report.checks[0].passed  # the file still works; it just cannot connect
        with pytest.raises(TimeoutError):
            listener.accept()


def test_no_process_outlives_the_check(tmp_path):
    marker = str(900000 + os.getpid() % 99999)
    src = REF + textwrap.dedent(f"""
        import os
        for _ in range(20):  # children
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "{marker}"])
        if os.fork() == 0:  # a detached grandchild
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "{marker}"])
            os._exit(0)
    """)
    report = check(tmp_path, src, "relu_forward")
    assert report.checks[0].passed
    time.sleep(0.5)
    assert _processes_with(marker) == []


def test_killing_the_parent_or_its_group_leaves_the_report(tmp_path):
    path = tmp_path / "killer.py"
    path.write_text(
        REF + "\nimport os, signal\n"
        "for kill in (lambda: os.kill(os.getppid(), 9), lambda: os.killpg(0, 9),\n"
        "             lambda: os.killpg(os.getpgid(os.getppid()), 9)):\n"
        "    try:\n        kill()\n    except OSError:\n        pass\n"
    )
    env = dict(os.environ, PYTHONPATH=SRC)
    proc = subprocess.run(
        [sys.executable, "-m", "fcnet", "check", "backprop", str(path), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    report = json.loads(proc.stdout)  # the checker survived and reports: the file killed itself
    assert proc.returncode == 1 and report["status"] == "crashed"
    assert all("the checking process died (signal 9" in c["message"] for c in report["checks"])


def test_closing_every_descriptor_and_running_forever_is_stopped(tmp_path):
    src = REF + "\nimport os\nos.closerange(0, 1024)\nwhile True:\n    pass\n"
    t0 = time.monotonic()
    report = check(tmp_path, src, "relu_forward")
    assert time.monotonic() - t0 < 30
    (result,) = report.checks
    assert not result.passed and "the checking process closed its channel" in result.message


def test_a_function_that_never_returns_is_stopped(tmp_path):
    src = REF + "\nimport signal\ndef relu_forward(z):\n"
    src += "    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n    while True:\n        pass\n"
    report = check(tmp_path, src, "relu_forward")
    (result,) = report.checks
    assert not result.passed and "relu_forward did not return within 2 s" in result.message


def test_memory_spread_over_processes_is_the_trees(tmp_path):
    exercise = dataclasses.replace(get("backprop"), memory_bytes=1 << 30)
    src = REF + textwrap.dedent("""
        import os, time
        for _ in range(3):
            if os.fork() == 0:
                b = bytearray(600 << 20)
                for i in range(0, len(b), 4096):
                    b[i] = 1
                time.sleep(60)
                os._exit(0)
        time.sleep(60)
    """)
    report = check(tmp_path, src, "relu_forward", exercise=exercise)
    (result,) = report.checks
    assert not result.passed
    assert "memory" in result.message or "died" in result.message, result.message
    # whichever watch stopped it, the sandbox's or the checker's, it is said as memory
    assert report.status == "memory" and "GiB of memory" in result.message, result.message


def test_allocating_20_gb_fails_with_a_clear_message(tmp_path):
    src = (
        REF + "\nimport numpy as np\ndef relu_forward(z):\n    return np.ones(20 << 30, np.uint8)\n"
    )
    report = check(tmp_path, src, "relu_forward")
    (result,) = report.checks
    assert not result.passed
    assert "ran out of memory" in result.message or "memory" in result.message, result.message


def test_an_answer_over_the_exercises_bound_is_refused(tmp_path):
    """backprop's answers are small: 100 MB from relu_forward is refused (the checker would
    otherwise hold up to a gigabyte per child), and the next check goes on."""
    src = REF + "\ndef relu_forward(z):\n    return np.zeros(13_000_000)\n"
    report = check(tmp_path, src, "relu_forward", "relu_backward")
    first, second = report.checks
    assert not first.passed and "sent something that is not an answer" in first.message
    assert "at most 67,108,864" in first.message, first.message
    assert second.passed


def test_printing_100_mb_is_bounded(tmp_path):
    src = REF + "\nimport sys\nfor _ in range(100):\n    sys.stdout.write('x' * (1 << 20))\n"
    report = check(tmp_path, src, "relu_forward")
    assert report.checks[0].passed
    assert len(report.output) <= 300 << 10


def test_the_learners_prints_reach_the_report(tmp_path):
    """The child ends by SIGKILL (no exit flush): prints at import and in a call, on stdout
    and stderr, still reach the report's output."""
    src = REF + (
        "\nprint('hello at import')\nimport sys\n_rf = relu_forward\n"
        "def relu_forward(z):\n    print('in relu_forward', end='')\n"
        "    print('to stderr', file=sys.stderr)\n    return _rf(z)\n"
    )
    report = check(tmp_path, src, "relu_forward")
    assert report.checks[0].passed
    for said in ("hello at import", "in relu_forward", "to stderr"):
        assert said in report.output, report.output


# ----- what is shown to a person


def test_ansi_escapes_in_a_message_are_removed(tmp_path):
    src = REF + (
        "\ndef relu_forward(z):\n"
        "    raise ValueError('\\x1b[2J\\x1b[H\\x1b[8m✓ all passed\\x1b[0m\\x07\\r')\n"
    )
    report = check(tmp_path, src, "relu_forward")
    (result,) = report.checks
    assert not result.passed and "\x1b" not in result.message and "\r" not in result.message
    assert "relu_forward raised ValueError: ✓ all passed" in result.message


def test_a_submitted_symlink_is_refused(tmp_path):
    secret = tmp_path / "teacher.py"
    secret.write_text(REF)
    link = tmp_path / "mine.py"
    link.symlink_to(secret)
    report = check_file("backprop", link)
    assert report.status == "refused" and not report.passed
    assert all("mine.py is a symbolic link" in c.message for c in report.checks)


def test_notebook_cell_magics_do_not_run(tmp_path):
    parent_file = tmp_path / "class" / "parent_file.txt"
    parent_file.parent.mkdir(parents=True)
    parent_file.write_text("keep")

    def cell(src):
        return {"cell_type": "code", "metadata": {}, "outputs": [], "source": src}

    nb = {
        "cells": [
            cell(REF),
            cell("%%writefile x.py\nimport os\nos.remove('../parent_file.txt')\n"),
            cell("%%bash\nrm -f ../parent_file.txt\n"),
            cell("%%script false\nraise SystemExit(3)\n"),
            cell("!rm -f ../parent_file.txt\n%ls\nx = 1\n"),
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    report = check(tmp_path, json.dumps(nb), "relu_forward", name="mine.ipynb")
    assert report.checks[0].passed, report
    assert parent_file.read_text() == "keep"


def test_a_deeply_nested_notebook_is_not_a_notebook(tmp_path):
    report = check(tmp_path, "[" * 200_000 + "]" * 200_000, "relu_forward", name="deep.ipynb")
    (result,) = report.checks
    assert not result.passed and "deep.ipynb is not a Jupyter notebook" in result.message


def test_as_an_ordinary_user(tmp_path):
    """The same containment for a real user: `fcnet check` run as nobody (setpriv), the
    system Python with a world-readable site-packages."""
    import shutil

    python = "/usr/bin/python3.11"
    site = [p for p in sys.path if p.endswith("site-packages") and (Path(p) / "click").is_dir()]
    site = [p for p in site if os.stat(p).st_mode & 0o005 == 0o005]
    if os.geteuid() != 0 or not shutil.which("setpriv") or not os.path.exists(python) or not site:
        pytest.skip("needs root, setpriv, /usr/bin/python3.11 and a world-readable site-packages")
    folder = tmp_path / "class"
    (folder / "student").mkdir(parents=True)
    beside = folder / "student" / "notes.txt"
    beside.write_text("mine")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        path = folder / "student" / "mine.py"
        path.write_text(
            REF
            + WRONG_RELU
            + textwrap.dedent(f"""
                import socket, fcnet.learn.core as c
                c.run_one = lambda check, s: c.CheckResult(check.name, True, "ok")
                for f in (lambda: open({str(beside)!r}, "w").write("x"),
                          lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2)):
                    try:
                        f()
                    except OSError:
                        pass
            """)
        )
        for p in (tmp_path, folder, folder / "student"):
            p.chmod(0o777)
        for p in (path, beside):
            p.chmod(0o666)  # writable by nobody: only the sandbox stands in the way
        proc = subprocess.run(
            [
                *("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", python),
                *("-m", "fcnet", "check", "backprop", str(path), "--json"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd="/",
            env={"PATH": "/usr/bin:/bin", "HOME": str(folder), "PYTHONPATH": f"{SRC}:{site[0]}"},
        )
        with pytest.raises(TimeoutError):
            listener.accept()
    report = json.loads(proc.stdout)
    assert proc.returncode == 1, proc.stderr
    failed = {c["name"] for c in report["checks"] if not c["passed"]}
    assert "relu_forward" in failed
    assert beside.read_text() == "mine"
