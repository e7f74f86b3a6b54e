"""`fcnet check backprop FILE --explain`: the checks as usual, then the studio serving the
file's explanation until Ctrl-C; another exercise or no studio extra is one line, exit 2."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner
from learnkit import SOLUTIONS

from fcnet.cli import cli
from testports import free_port

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_explain_with_another_exercise_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "fit.py").write_text("x = 1\n")
    result = CliRunner().invoke(cli, ["check", "fit", str(tmp_path / "fit.py"), "--explain"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "fcnet: error: --explain: only the backprop exercise can be explained, not fit"
    ]
    assert result.stdout == ""  # refused before any check ran
    assert not (tmp_path / ".fcnet-check.json").exists()


def test_explain_without_the_studio_extra_is_one_line_and_exit_2(tmp_path, monkeypatch):
    shutil.copy(SOLUTIONS / "backprop_ref.py", tmp_path / "backprop.py")
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed
    result = CliRunner().invoke(
        cli, ["check", "backprop", str(tmp_path / "backprop.py"), "--explain", "--no-browser"]
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs the studio extra" in lines[0] and "uvicorn" in lines[0]


def test_explain_on_a_port_in_use_is_one_line_before_any_check(tmp_path):
    import socket

    shutil.copy(SOLUTIONS / "backprop_ref.py", tmp_path / "backprop.py")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = CliRunner().invoke(
            cli,
            ["check", "backprop", str(tmp_path / "backprop.py"), "--explain", "--port", str(port)],
        )
    assert result.exit_code == 2 and result.stdout == ""
    assert f"127.0.0.1:{port} is in use" in result.stderr


def test_explain_no_browser_serves_the_page_and_its_explanation(tmp_path):
    source = (SOLUTIONS / "backprop_ref.py").read_text()
    source += "\n\ndef relu_backward(grad_a, z):\n    return grad_a * (z >= 0)\n"
    (tmp_path / "my backprop.py").write_text(source)
    port = free_port()
    argv = ["check", "backprop", "my backprop.py", "--explain", "--no-browser"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "fcnet", *argv, "--port", str(port)],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=SRC),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = None
        assert proc.stdout is not None
        for line in proc.stdout:  # the report, then the page's address
            if "explained:" in line:
                url = line.split()[4]
                break
        assert url == f"http://127.0.0.1:{port}/backprop?explain=my%20backprop.py"
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(url, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the studio did not start"
                time.sleep(0.2)
        assert page.status_code == 200 and "backprop_explain.js" in page.text
        res = httpx.post(
            f"http://127.0.0.1:{port}/api/backprop/explain",
            json={"file": "my backprop.py"},
            timeout=60,
        )
        assert res.status_code == 200, res.text
        assert res.json()["first"]["key"] == "delta1"
        assert (tmp_path / ".fcnet-check.json").exists()  # the check was recorded as usual
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    err = proc.stderr.read()  # type: ignore[union-attr]
    assert proc.returncode == 130, err  # stopped by Ctrl-C, as `fcnet serve` is
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 1, err
