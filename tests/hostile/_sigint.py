"""One Ctrl-C at a chosen moment of a short `fcnet fit` run, and what it left behind.

Shared by test_interrupts.py (a few tries) and sigint_100.py (a hundred).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

FIT = ["fit", "sin(x)", "--epochs", "60", "--samples", "1000", "--hidden", "16", "-q"]


def fcnet_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "fcnet", *args]


def env() -> dict[str, str]:
    src = os.environ.get("FCNET_SRC") or str(Path(__file__).resolve().parents[2] / "src")
    return {
        **os.environ,
        "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def one_try(folder: Path, delay: float, second: float | None = None) -> dict:
    """Start `fcnet fit --out folder`, send SIGINT after `delay` seconds (and a second one
    `second` seconds later), then classify what is left and resume it if it can be.

    outcome: "finished" (result.json and model.npz), "resumed" (a checkpoint that a
    --resume run took to the end), "nothing" (no folder, and the message said so), or
    "LOST: ..." for anything else.
    """
    proc = subprocess.Popen(
        fcnet_cmd(*FIT, "--out", str(folder)),
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    if second is not None:
        time.sleep(second)
        proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    rc = proc.returncode
    result = {"delay": delay, "rc": rc, "stderr": err.strip()}
    if "Traceback" in err or len(err.strip().splitlines()) > 1:
        return {**result, "outcome": "LOST: more than one line on stderr"}
    if rc == 0:
        done = (folder / "result.json").is_file() and (folder / "model.npz").is_file()
        return {**result, "outcome": "finished" if done else "LOST: exit 0 without a model"}
    if rc != 130:
        return {**result, "outcome": f"LOST: exit code {rc}"}
    if not folder.exists():
        said = "nothing was written" in err
        return {**result, "outcome": "nothing" if said else "LOST: no folder, message silent"}
    if (folder / "result.json").is_file() and "finished" in err:
        return {**result, "outcome": "finished"}
    if not (folder / "checkpoint.npz").is_file():
        return {**result, "outcome": "LOST: a folder without a checkpoint"}
    if "--resume" not in err:
        return {**result, "outcome": "LOST: a checkpoint, but the message does not say so"}
    again = subprocess.run(
        fcnet_cmd("fit", "--resume", str(folder), "-q"),
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if again.returncode == 0 and (folder / "model.npz").is_file():
        return {**result, "outcome": "resumed"}
    return {**result, "outcome": f"LOST: resume failed: {again.stderr.strip()[-300:]}"}


def full_run_seconds(folder: Path) -> float:
    """How long the uninterrupted run takes here (the window the delays are drawn from)."""
    t = time.perf_counter()
    subprocess.run(
        fcnet_cmd(*FIT, "--out", str(folder)), env=env(), capture_output=True, check=True
    )
    return time.perf_counter() - t
