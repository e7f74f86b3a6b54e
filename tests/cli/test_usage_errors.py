"""Click's own usage errors (unknown flag, missing argument, unknown command) are one
line on stderr and exit code 2, for every command group."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["nosuch"], "No such command 'nosuch'"),
        (["data", "info"], "Missing argument 'PATH'"),
        (["gradcheck", "--bogus"], "No such option '--bogus'"),
        (["compare", "--steps", "many"], "'many' is not a valid integer"),
    ],
)
def test_usage_error_is_one_line_exit_2(argv: list[str], expected: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "fcnet", *argv], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("fcnet: error: ")
    assert expected in lines[0]
    assert "Traceback" not in proc.stderr
