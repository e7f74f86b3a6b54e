"""Issue 25.11, as a user meets it: an unsupported FCNET_LANG is one warning line and
English, never an error; output into a closed pipe (`fcnet ... | head -1`) ends quietly
with exit code 141, as a tool killed by SIGPIPE does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _hostile import SRC, fcnet

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "mnist"
LABELS = str(SHIPPED / "t10k-labels-idx1-ubyte.gz")
IMAGES = str(SHIPPED / "t10k-images-idx3-ubyte.gz")
WARNING = "fcnet: warning: FCNET_LANG='fr' is not a language fcnet has (en, zh); using English"

COMMANDS = [
    ["--help"],
    ["--version"],
    ["data", "--help"],
    ["data", "info", LABELS],
    ["data", "show", IMAGES, "--index", "0"],
    ["gradcheck"],
    ["fit", "sin(x)", "--samples", "50", "--epochs", "1", "--hidden", "3", "-q", "--out", "run"],
]


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(PYTHONPATH=SRC, OMP_NUM_THREADS="1", COLUMNS="200", **extra)
    return env


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_an_unsupported_fcnet_lang_is_one_warning_line(argv, tmp_path, monkeypatch):
    monkeypatch.setenv("FCNET_LANG", "fr")
    monkeypatch.delenv("LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    r = fcnet(*argv, cwd=tmp_path)
    assert r.rc == 0, r.stderr[-2000:]
    assert r.stderr.strip().splitlines() == [WARNING]
    assert r.seconds < 60 and r.rss < 1 << 30


def test_the_library_falls_back_with_the_same_one_line(tmp_path):
    code = (
        "from fcnet import i18n\n"
        "print(i18n.language(), i18n.gettext('fcnet: interrupted'), i18n.language())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=_environment(FCNET_LANG="fr"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["en", "fcnet:", "interrupted", "en"]
    assert proc.stderr.strip().splitlines() == [WARNING]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_closed_pipe_ends_quietly(argv, tmp_path):
    """stdout is a pipe whose reader is gone before the first write: every write fails."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "fcnet", *argv],
            env=_environment(FCNET_LANG="en"),
            cwd=tmp_path,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert proc.stderr == "", proc.stderr[-2000:]
    assert proc.returncode == 141


def test_head_reads_one_line_and_the_command_ends_quietly(tmp_path):
    """The pipeline itself: `fcnet data show ... | head -1` (the image is 28 lines)."""
    proc = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m fcnet data show {IMAGES} -i 0 | head -c 1 "
         "; echo \" ${PIPESTATUS[0]}\""],
        env=_environment(FCNET_LANG="en"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert proc.stderr == ""
    assert proc.stdout.split()[-1] in ("0", "141")  # 0 when it wrote all before head left


# ----- a reader that leaves mid-run: the run folder as a Ctrl-C leaves it ---------------------

FIT = ["fit", "sin(x)", "--samples", "200", "--epochs", "300", "--hidden", "16", "--out", "run"]


def _fit_into_head(tmp_path: Path, redirect: str) -> subprocess.CompletedProcess[str]:
    """`fcnet fit ... REDIRECT | head -1`, the exit status of fcnet last on stdout."""
    argv = " ".join(f"'{a}'" for a in FIT)
    return subprocess.run(
        ["bash", "-c", f"{sys.executable} -m fcnet {argv} {redirect} | head -1 >/dev/null"
         "; echo \"${PIPESTATUS[0]}\""],
        env=_environment(FCNET_LANG="en"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


def test_head_leaving_during_training_leaves_a_checkpoint_that_resumes(tmp_path):
    """Epoch lines into `head -1` (2>&1): the pipe closes in epoch 15 of 300. The run stops
    as after a Ctrl-C, with a checkpoint and no half result, quietly with 141; --resume
    finishes it."""
    proc = _fit_into_head(tmp_path, "2>&1")
    assert proc.stdout.split() == ["141"], proc.stdout + proc.stderr
    assert proc.stderr == ""
    run = tmp_path / "run"
    names = {p.name for p in run.iterdir()}
    assert {"run.json", "config.json", "metrics.jsonl", "checkpoint.npz"} <= names, names
    assert not names & {"model.npz", "result.json"}, names
    again = subprocess.run(
        [sys.executable, "-m", "fcnet", "fit", "--resume", "run", "-q"],
        env=_environment(FCNET_LANG="en"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert {"model.npz", "result.json"} <= {p.name for p in run.iterdir()}


def test_head_leaving_before_the_results_keeps_the_finished_run(tmp_path):
    """Only stdout into `head -1`: training writes to stderr and ends; the results meet the
    closed pipe. The finished run is kept whole, and the command ends quietly."""
    proc = _fit_into_head(tmp_path, "2>err.txt")
    assert proc.stdout.split() in (["0"], ["141"]), proc.stdout  # 0: all written before head left
    err = (tmp_path / "err.txt").read_text()
    assert "Traceback" not in err and "interrupted" not in err, err[-2000:]
    assert {"model.npz", "result.json", "checkpoint.npz"} <= {
        p.name for p in (tmp_path / "run").iterdir()
    }
