"""The hostile-files suite: run `fcnet` as a user would, on damaged, tampered, huge or
strange files, and hold each refusal to one line on stderr, exit code 2, under 1 GB of
memory and 10 seconds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
MAX_RSS = 1 << 30  # bytes
MAX_SECONDS = 10.0


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str
    rss: int  # peak resident memory of the process, bytes
    seconds: float

    @property
    def line(self) -> str:
        return self.stderr.strip()


def fcnet(*args: str, cwd: Path, timeout: float = 60.0) -> Result:
    """`python -m fcnet ARGS` in `cwd`, with its peak memory (wait4) and wall time."""
    env = {
        **os.environ,
        "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "COLUMNS": "200",
    }
    out, err = cwd / ".stdout", cwd / ".stderr"
    t = time.perf_counter()
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fcnet", *args], cwd=cwd, env=env, stdout=fo, stderr=fe
        )
        deadline = t + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
    seconds = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    result = Result(
        rc=proc.returncode,
        stdout=out.read_text(errors="replace"),
        stderr=err.read_text(errors="replace"),
        rss=usage.ru_maxrss * 1024,
        seconds=seconds,
    )
    out.unlink()
    err.unlink()
    return result


def refused(r: Result, *parts: str) -> str:
    """Assert one line `fcnet: error: ...` naming every part, exit 2, bounded memory and time."""
    assert r.rc == 2, (r.rc, r.stderr[-2000:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr[-2000:]
    line = lines[0]
    assert line.startswith("fcnet: error: "), line
    for part in parts:
        assert part in line, (part, line)
    assert r.rss < MAX_RSS, f"peak memory {r.rss / 2**20:.0f} MiB"
    assert r.seconds < MAX_SECONDS, f"{r.seconds:.1f} s"
    return line


# ----- run folders to tamper with ------------------------------------------------------------


@pytest.fixture(scope="session")
def _fit_run_template(tmp_path_factory) -> Path:
    """A finished fit run (2 epochs) with its checkpoint, made once."""
    root = tmp_path_factory.mktemp("template")
    r = fcnet(
        "fit", "sin(x)", "--samples", "100", "--epochs", "2", "--hidden", "4", "-q",
        "--out", "fit", cwd=root,
    )  # fmt: skip
    assert r.rc == 0, r.stderr
    return root / "fit"


@pytest.fixture
def fit_run(_fit_run_template, tmp_path) -> Path:
    """A fresh copy of the finished fit run, in this test's folder."""
    return Path(shutil.copytree(_fit_run_template, tmp_path / "fit"))


@pytest.fixture
def mnist_run(tmp_path) -> Path:
    """An mnist run folder as predict reads it: run.json and a small 784-4-10 model.npz."""
    from fcnet.backends import build
    from fcnet.spec import NetSpec

    folder = tmp_path / "mnist"
    folder.mkdir()
    spec = NetSpec(input_size=784, hidden=[4], output_size=10, loss="cross_entropy")
    build(spec).save(folder / "model.npz")
    options = {
        "backend": "numpy",
        "seed": 0,
        "early_stopping": False,
        "patience": 5,
        "quiet": True,
        "preset": "default",
        "epochs": 1,
    }
    (folder / "run.json").write_text(json.dumps({"task": "mnist", "options": options}))
    return folder


def digit_png(path: Path) -> Path:
    from PIL import Image

    a = np.zeros((28, 28), np.uint8)
    a[6:22, 12:16] = 255
    Image.fromarray(a).save(path)
    return path
