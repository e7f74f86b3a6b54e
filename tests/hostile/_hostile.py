"""Helpers of the hostile-files suite: run `fcnet` as a user would, and hold each refusal
to one line on stderr, exit code 2, under 1 GB of memory and 10 seconds."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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


def _high_water(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), bytes; 0 once it has exited.

    Not wait4's ru_maxrss: Linux starts a child's count at its parent's resident size
    (the mm copied at fork is recorded at exec), and a test worker that imported torch is
    over 1 GB itself. VmHWM belongs to the new program's own memory map.
    """
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


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
        peak = 0
        while True:
            peak = max(peak, _high_water(proc.pid))
            pid, status, _usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, _usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
    seconds = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    result = Result(
        rc=proc.returncode,
        stdout=out.read_text(errors="replace"),
        stderr=err.read_text(errors="replace"),
        rss=peak,
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


def digit_png(path: Path) -> Path:
    from PIL import Image

    a = np.zeros((28, 28), np.uint8)
    a[6:22, 12:16] = 255
    Image.fromarray(a).save(path)
    return path
