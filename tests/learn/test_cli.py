"""fcnet exercise list|start and fcnet check: formats, exit codes, the child process's limits."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from learnkit import SOLUTIONS

from fcnet.cli import cli
from fcnet.learn.exercises import CATALOG
from fcnet.learn.skeleton import FILE_STEMS

SRC = str(Path(__file__).resolve().parents[2] / "src")


def fcnet(*args, cwd=None, timeout=120, scale=None):
    env = dict(os.environ, PYTHONPATH=SRC)
    if scale:
        env["FCNET_LEARN_TIME_SCALE"] = str(scale)
    proc = subprocess.run(
        [sys.executable, "-m", "fcnet", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_list_names_every_exercise_with_its_section():
    rc, out, _ = fcnet("exercise", "list")
    assert rc == 0
    lines = out.splitlines()
    assert [ln.split()[0] for ln in lines] == list(CATALOG)
    assert "exercise 1" in lines[0]


@pytest.mark.parametrize("fmt", ["py", "ipynb"])
def test_untouched_skeleton_fails_not_implemented_for_each_function(tmp_path, fmt):
    rc, out, _ = fcnet("exercise", "start", "backprop", "--dir", str(tmp_path), "--format", fmt)
    assert rc == 0
    path = tmp_path / f"backprop.{fmt}"
    text = path.read_text()
    assert "raise NotImplementedError" in text and "(N, out)" in text
    rc, out, err = fcnet("check", "backprop", str(path), "--json")
    assert rc == 1 and err == ""
    report = json.loads(out)
    assert set(report) == {
        "exercise", "version", "seed", "passed", "status", "checks", "seconds", "protections",
        "output", "detail",
    }  # fmt: skip
    assert report["exercise"] == "backprop" and report["passed"] is False
    assert report["status"] == "ok" and isinstance(report["seed"], int)
    assert all(
        set(c) == {"name", "title", "passed", "message", "tag", "fraction", "parts", "visibility",
                   "points", "hidden", "diff"}
        for c in report["checks"]
    )  # fmt: skip
    assert {c["tag"] for c in report["checks"]} == {"not_implemented"}
    for c in report["checks"]:
        assert c["message"].startswith("not implemented yet: "), c
    named = {c["message"].split()[3] for c in report["checks"]}
    assert named == {
        "linear_forward",
        "linear_backward",
        "relu_forward",
        "relu_backward",
        "softmax_cross_entropy",
    }


@pytest.mark.parametrize("name", list(CATALOG))
def test_every_skeleton_is_written_and_never_overwritten(tmp_path, name):
    runner = CliRunner()
    result = runner.invoke(cli, ["exercise", "start", name, "--dir", str(tmp_path)])
    assert result.exit_code == 0 and f"fcnet check {name}" in result.output
    stem = FILE_STEMS.get(name, name)
    path = tmp_path / f"{stem}.py"
    compile(path.read_text(), str(path), "exec")
    path.write_text("# my work\n")
    for fmt in ("py", "ipynb"):
        args = ["exercise", "start", name, "--dir", str(tmp_path), "--format", fmt]
        result = runner.invoke(cli, args)
        if fmt == "py":
            assert result.exit_code == 2 and "never overwrites" in result.output
            assert len(result.output.splitlines()) == 1
        else:
            assert result.exit_code == 0
            assert json.loads((tmp_path / f"{stem}.ipynb").read_text())["nbformat"] == 4
    assert path.read_text() == "# my work\n"


def test_reference_passes_from_the_command_line():
    rc, out, _ = fcnet("check", "backprop", str(SOLUTIONS / "backprop_ref.py"))
    assert rc == 0, out
    lines = out.splitlines()
    assert all(ln.startswith("✓ ") for ln in lines[:-1]) and "all passed" in lines[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "nope", "x.py"), "unknown exercise 'nope'"),
        (("check", "backprop", "no-such-file.py"), "no-such-file.py: no such file"),
        (("exercise", "start", "nope"), "unknown exercise 'nope'"),
        (("exercise", "start", "backprop", "--format", "doc"), "--format"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(tmp_path, args, message):
    rc, _, err = fcnet(*args, cwd=tmp_path)
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def _check(tmp_path, source, name="backprop", suffix=".py", scale=None):
    path = tmp_path / f"mine{suffix}"
    path.write_text(source)
    return fcnet("check", name, str(path), scale=scale)


def test_syntax_error_names_its_line(tmp_path):
    rc, out, err = _check(tmp_path, "import numpy as np\n\ndef linear_forward(x, W, b)\n    pass\n")
    assert rc == 1 and "Traceback" not in out + err
    assert "✗ linear_forward: syntax error in mine.py line 3: expected ':'" in out


def test_import_error_shows_the_learners_traceback_only(tmp_path):
    rc, out, _ = _check(tmp_path, "def helper():\n    return 1 / 0\n\nhelper()\n")
    assert rc == 1
    assert (
        "the file does not import: ZeroDivisionError: division by zero (in mine.py line 2)" in out
    )
    assert "Traceback (your file only):" in out and "fcnet" not in out.split("your file only")[1]


def test_missing_function_is_named(tmp_path):
    src = (SOLUTIONS / "backprop_ref.py").read_text().replace("def relu_forward", "def relu_fwd")
    rc, out, _ = _check(tmp_path, src)
    assert rc == 1 and "✗ relu_forward: relu_forward is missing" in out
    assert "✓ linear_forward" in out


def test_notebook_cells_run_in_order(tmp_path):
    src = (SOLUTIONS / "backprop_ref.py").read_text()
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "source": "%matplotlib inline\n" + src,
            },
            {"cell_type": "markdown", "metadata": {}, "source": "text"},
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "source": "from fcnet.learn import run_checks\nrun_checks('backprop', globals())",
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    rc, out, _ = _check(tmp_path, json.dumps(nb), suffix=".ipynb")
    assert rc == 0, out


# FCNET_LEARN_TIME_SCALE=0.1 makes the limits 3 s to import, 1 s per call, 6 s in all; 0.2
# doubles them


def test_a_hanging_file_ends_within_the_limits(tmp_path):
    rc, out, _ = _check(tmp_path, "while True:\n    pass\n", name="auc", scale=0.1)
    assert rc == 1 and out.count("did not finish importing within 3 s") == 5


def test_a_hanging_function_fails_its_checks_and_the_run_goes_on(tmp_path):
    src = (SOLUTIONS / "backprop_ref.py").read_text() + (
        "\n\ndef relu_forward(z):\n    while True:\n        pass\n"
    )
    rc, out, _ = _check(tmp_path, src, scale=0.2)  # 2 s a call, 6 s to import
    assert rc == 1
    assert "✗ relu_forward: relu_forward did not return within 2 s" in out
    assert "✗ relu_backward finite differences: relu_forward did not return within 2 s in an" in out
    assert "✓ softmax_cross_entropy stability" in out


def test_a_function_stuck_outside_python_is_stopped_by_the_parent(tmp_path):
    src = (SOLUTIONS / "auc_ref.py").read_text() + (
        "\n\nimport time, signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\n"
        "def roc_auc(y, s):\n    time.sleep(100)\n"
    )
    rc, out, _ = _check(tmp_path, src, name="auc", scale=0.2)  # 2 s a call
    assert rc == 1
    assert "✗ by hand: roc_auc did not return within 2 s" in out
    assert "✗ speed: roc_auc did not return within 2 s in an earlier check" in out


def test_start_creates_the_folder(tmp_path):
    rc, _, _ = fcnet("exercise", "start", "auc", "--dir", str(tmp_path / "week1" / "ex"))
    assert rc == 0 and (tmp_path / "week1" / "ex" / "auc.py").is_file()


def test_run_checks_at_the_top_of_a_file_does_not_recurse(tmp_path):
    src = (SOLUTIONS / "backprop_ref.py").read_text() + (
        "\n\nfrom fcnet.learn import run_checks\nprint(run_checks('backprop', __file__))\n"
    )
    rc, out, _ = _check(tmp_path, src)
    assert rc == 0, out


def test_memory_over_the_limit_stops_the_child(tmp_path, monkeypatch):
    import dataclasses

    from fcnet.learn.exercises import auc
    from fcnet.learn.runner import check_file

    monkeypatch.setattr(auc, "EXERCISE", dataclasses.replace(auc.EXERCISE, memory_bytes=200 << 20))
    path = tmp_path / "hog.py"
    path.write_text(
        "import numpy as np\nhog = np.ones(400 << 20, np.uint8)\nimport time\ntime.sleep(30)\n"
    )
    report = check_file("auc", str(path))
    assert not report.passed and report.status in ("memory", "load_error")
    # the parent's watch, or the sandbox's limit (a MemoryError in the learner's file)
    assert all(
        "used more than 0.195312 GiB of memory" in c.message or "MemoryError" in c.message
        for c in report.checks
    )


def test_start_torch_writes_torch_net_py_which_hides_no_library(tmp_path):
    rc, _, _ = fcnet("exercise", "start", "torch", "--dir", str(tmp_path))
    assert rc == 0 and not (tmp_path / "torch.py").exists()
    path = tmp_path / "torch_net.py"
    skeleton = path.read_text()
    assert "import torch\n" in skeleton and "import_library" not in skeleton
    body = (SOLUTIONS / "torch_ref.py").read_text().replace("import torch\n", "", 1)
    start = skeleton.index("# %%\nclass TwoLayerNet")
    end = skeleton.index("# %% [markdown]\n# ## Run the checks")
    path.write_text(skeleton[:start] + "# %%\n" + body + "\n\n" + skeleton[end:])
    env = dict(os.environ, PYTHONPATH=SRC)  # its __main__ runs the checks in a child
    run = subprocess.run(
        [sys.executable, "torch_net.py"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "torch: all passed" in run.stdout
    # a script beside it imports the real library, not the exercise
    (tmp_path / "other.py").write_text("import torch\nprint(torch.nn.Linear.__name__)\n")
    run = subprocess.run(
        [sys.executable, "other.py"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0 and run.stdout.strip() == "Linear", run.stderr
    # the old name keeps working, with the same checks
    (tmp_path / "torch.py").write_text(path.read_text())
    rc, out, _ = fcnet("check", "torch", str(tmp_path / "torch.py"))
    assert rc == 0 and "all passed" in out, out
    rc, out, _ = fcnet("exercise", "start", "tensorflow", "--dir", str(tmp_path))
    assert rc == 0 and (tmp_path / "tf_net.py").exists()
    assert "import tensorflow as tf\n" in (tmp_path / "tf_net.py").read_text()


def test_a_notebook_syntax_error_names_its_cell_and_line(tmp_path):
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": "import numpy as np"},
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "source": ["x = 1\n", "def f(:\n"],
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    rc, out, _ = _check(tmp_path, json.dumps(nb), name="auc", suffix=".ipynb")
    assert rc == 1 and "syntax error in mine.ipynb cell 2 line 2" in out


def test_a_file_that_is_not_a_notebook_is_said_so(tmp_path):
    rc, out, _ = _check(tmp_path, "{not json", name="auc", suffix=".ipynb")
    assert rc == 1 and "mine.ipynb is not a Jupyter notebook (bad JSON)" in out


def test_protections_off_are_named_in_words(tmp_path):
    """A kernel without a protection (acted by FCNET_SANDBOX_OFF): `fcnet check` still checks
    and says once, in words, what is off."""
    path = tmp_path / "backprop.py"
    path.write_text((SOLUTIONS / "backprop_ref.py").read_text())
    env = dict(os.environ, PYTHONPATH=SRC, FCNET_SANDBOX_OFF="seccomp")
    proc = subprocess.run(
        [sys.executable, "-m", "fcnet", "check", "backprop", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    notes = [line for line in proc.stderr.splitlines() if "protections off" in line]
    assert notes == [
        "note: protections off on this system: system-call filter (seccomp: no sockets)"
    ]
