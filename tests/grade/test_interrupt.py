"""Ctrl-C (a real SIGINT) keeps what is graded, and the next run goes on from there."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from classkit import REF

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_sigint_keeps_the_rows_graded_so_far(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for i in range(12):
        (subs / f"s{i:02d}.py").write_text(REF + f"\n# student {i}\n")
    out = tmp_path / "out"
    args = [
        sys.executable,
        "-m",
        "fcnet",
        "grade",
        "backprop",
        str(subs),
        "--out",
        str(out),
        "--jobs",
        "1",
        "--unsafe-no-sandbox",
    ]
    env = dict(os.environ, PYTHONPATH=SRC, FCNET_LANG="en")
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    book = out / "gradebook.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait for the first graded rows
        if book.exists() and len(json.loads(book.read_text())["students"]) >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    kept = json.loads(book.read_text())["students"]
    assert 2 <= len(kept) < 12
    assert all(r["score"] == 11 and r["status"] == "ok" for r in kept)
    info = json.loads((out / "grade.json").read_text())
    assert info["interrupted"] is True
    assert len(list((out / "feedback").glob("*.md"))) == len(kept)
    # the next run checks only the rest
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"({12 - len(kept)} checked, {len(kept)} unchanged)" in done.stdout
