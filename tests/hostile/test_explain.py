"""Issue 25's cases in the step-through (`fcnet backprop`, the studio's Backprop API), each
run as a user would, in its own process, bounded in time and memory.

5: a gradient check that meets a NaN or an infinity says so and fails (it reported
"0.0e+00 ✓" and exit 0; `--json` died on "Out of range float values").
10: `--weights` with an integer such as 10**400 (an OverflowError traceback) and a FIFO
(reported as "no such file", or a hang on open); `y: 10**400` answered with a 500.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from _hostile import MAX_RSS, MAX_SECONDS, SRC, fcnet, refused

# Weights of 1e308: z overflows to inf, the loss and every gradient become NaN.
HUGE = {
    "layers": [
        {"W": [[1e308, 1e308], [1e308, -1e308], [1, 2]], "b": [0, 0, 0]},
        {"W": [[1e308, 1, 1], [1, 1e308, 1]], "b": [0, 0]},
    ]
}


def _bounded(r) -> None:
    assert r.rss < MAX_RSS, f"peak memory {r.rss / 2**20:.0f} MiB"
    assert r.seconds < 30, f"{r.seconds:.1f} s"  # torch's import is part of the check


def test_gradient_check_on_nan_fails_and_says_so(tmp_path) -> None:
    (tmp_path / "w.json").write_text(json.dumps(HUGE))
    r = fcnet("backprop", "--weights", "w.json", cwd=tmp_path)
    assert r.rc == 1, (r.rc, r.stderr[-2000:])
    last = r.stdout.strip().splitlines()[-1]
    assert "✗" in last and "✓" not in last
    assert "NaN or an infinity" in last
    assert r.stderr == ""
    _bounded(r)


def test_gradient_check_on_nan_gives_valid_json_that_fails(tmp_path) -> None:
    (tmp_path / "w.json").write_text(json.dumps(HUGE))
    r = fcnet("backprop", "--weights", "w.json", "--json", cwd=tmp_path)
    assert r.rc == 1, (r.rc, r.stderr[-2000:])
    doc = json.loads(r.stdout)  # strict JSON: no NaN, no Infinity
    assert doc["loss"] is None
    assert doc["checks"]["passed"] is False
    assert doc["checks"]["finite_difference"] is None and doc["checks"]["torch"] is None
    assert doc["layers"][0]["W"][0] == [1e308, 1e308]  # the finite numbers stay numbers
    _bounded(r)


@pytest.mark.parametrize("digits", [400, 5000])
def test_weights_with_an_integer_too_large_for_float64(tmp_path, digits: int) -> None:
    (tmp_path / "w.json").write_text('{"layers": [{"W": [[1' + "0" * digits + ', 1]], "b": [0]}]}')
    r = fcnet("backprop", "--weights", "w.json", "--loss", "mse", "--y", "0", cwd=tmp_path)
    refused(r, "--weights w.json", "too large for float64")


def test_weights_from_a_fifo_is_refused_without_waiting(tmp_path) -> None:
    os.mkfifo(tmp_path / "w.json")  # nobody writes: opening it for reading would block
    r = fcnet("backprop", "--weights", "w.json", cwd=tmp_path, timeout=MAX_SECONDS + 5)
    line = refused(r, "--weights w.json", "FIFO")
    assert "no such file" not in line


STUDIO = """
import json, sys
from fastapi.testclient import TestClient
from fcnet.studio import create_app
body = json.loads(sys.argv[1])
with TestClient(create_app(sys.argv[2]), base_url="http://127.0.0.1:8000") as c:
    r = c.post("/api/backprop/step", content=sys.argv[1],
               headers={"content-type": "application/json"})
    print(json.dumps({"status": r.status_code, "body": r.text}))
"""


def _studio(tmp_path, body: str) -> dict:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-c", STUDIO, body, str(tmp_path)],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_studio_step_on_nan_fails_its_check_and_answers(tmp_path) -> None:
    body = {"sizes": [2, 3, 2], "x": [0.5, -1.0], "y": 1, "weights": HUGE["layers"]}
    out = _studio(tmp_path, json.dumps(body))
    assert out["status"] == 200, out
    doc = json.loads(out["body"])
    assert doc["checks"]["passed"] is False and doc["checks"]["finite_difference"] is None


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_studio_step_with_y_10_to_the_400(tmp_path, loss: str) -> None:
    sizes = "[2, 3, 2]" if loss == "cross_entropy" else "[2, 3, 1]"
    body = f'{{"sizes": {sizes}, "loss": "{loss}", "x": [0.5, -1.0], "y": 1{"0" * 400}}}'
    out = _studio(tmp_path, body)
    assert out["status"] in (400, 422), out
    error = json.loads(out["body"])["error"]
    assert "\n" not in error and error.startswith("y")
