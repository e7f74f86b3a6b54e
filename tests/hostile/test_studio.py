"""Issue 25's studio cases as a hostile user meets them: each against `fcnet serve` in its
own process, with the server's peak memory and each answer's time bounded.

A slow cookie must not stall other clients, a Host with a non-numeric port is refused,
a 400-digit integer is a 4xx naming the field, unstreamed Fit sessions do not lock
training out, and 120 concurrent 2048x2048 predictions stay within bounded memory.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest
from _hostile import SRC, _high_water

from testports import free_port

STARTUP_S = 30.0


@dataclass
class Server:
    url: str
    proc: subprocess.Popen

    def peak(self) -> int:
        """The server's peak resident memory so far (VmHWM), bytes."""
        return _high_water(self.proc.pid)

    def resident(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0


@contextmanager
def serve(runs: Path) -> Iterator[Server]:
    """`fcnet serve` on a free loopback port, in its own process; killed afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "FCNET_LANG": "en",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "fcnet", "serve", "--port", str(port), "--runs", str(runs)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "the studio did not start"
            time.sleep(0.1)
        yield Server(url, proc)
    finally:
        proc.kill()
        proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def _timed(fn, *args, **kwargs) -> tuple[httpx.Response, float]:
    t = time.monotonic()
    r = fn(*args, **kwargs)
    return r, time.monotonic() - t


# ----- the language cookie ------------------------------------------------------------------


def test_a_100kb_cookie_of_backslashes_stalls_nobody(tmp_path):
    cookie = 'fcnet_lang="' + "\\" * 100_000 + '"'  # quadratic in http.cookies (CVE-2024-7592)
    with serve(tmp_path) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        slow: list[tuple[httpx.Response, float]] = []
        t = threading.Thread(
            target=lambda: slow.append(_timed(http.get, "/api/health", headers={"Cookie": cookie}))
        )
        t.start()
        others = [_timed(http.get, "/api/health") for _ in range(5)]
        t.join(30)
        assert slow, "the request with the cookie never came back"
        r, seconds = slow[0]
        # a bound against a hang: a quadratic parse of this cookie takes minutes
        assert r.status_code == 200 and seconds < 10.0, (r.status_code, seconds)
        assert all(o.status_code == 200 and s < 10.0 for o, s in others), others
        # the cookie is read for its language, up to a bound: zh still works
        r = http.post("/api/fit", json={"expr": "x", "x_min": 2, "x_max": 1},
                      headers={"Cookie": "a=1; fcnet_lang=zh"})  # fmt: skip
        assert r.status_code == 422 and "应当满足 x_min < x_max" in r.json()["error"]


# ----- Host ---------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1:evil", "localhost:80x", "[::1]:", "127.0.0.1:"])
def test_a_host_whose_port_is_not_digits_is_refused(tmp_path, host):
    with serve(tmp_path) as server:
        r = httpx.get(f"{server.url}/api/health", headers={"Host": host}, timeout=10)
        assert r.status_code == 400
        assert r.json()["error"].startswith("Host: expected one of")
        ok = httpx.get(f"{server.url}/api/health", timeout=10)
        assert ok.status_code == 200


# ----- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/backprop/step", '{"sizes":[2,2,2],"x":[1,2],"y":1%s}', "y"),
        ("/api/backprop/step", '{"sizes":[2,2,1],"x":[1,2],"loss":"mse","y":[1%s]}', "y[0]"),
        ("/api/fit", '{"expr":"x","seed":1%s}', "seed"),
        ("/api/digits/train", '{"width":1%s}', "width"),
    ],
)
def test_an_integer_of_400_digits_is_a_4xx_naming_its_field(tmp_path, path, body, field):
    with serve(tmp_path) as server:
        r = httpx.post(
            server.url + path,
            content=body % ("0" * 400),
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error.startswith(f"{field}: expected a number of at most 19 digits"), error
        assert "\n" not in error


# ----- sessions -----------------------------------------------------------------------------


def test_unstreamed_fit_sessions_do_not_lock_training_out(tmp_path):
    with serve(tmp_path) as server, httpx.Client(base_url=server.url, timeout=20) as http:
        for _ in range(40):  # far more than may train at once, none ever streamed
            assert http.post("/api/fit", json={"expr": "x", "steps": 5}).status_code == 200
        sid = http.post("/api/fit", json={"expr": "x", "steps": 5}).json()["session"]
        t = time.monotonic()
        events = []
        with http.stream("GET", f"/api/sessions/{sid}/events") as r:
            assert r.status_code == 200
            for line in r.iter_lines():
                if line.startswith("data:"):
                    events.append(json.loads(line[5:]))
        assert events[-1]["type"] == "done" and events[-1]["status"] == "done"
        assert time.monotonic() - t < 10


# ----- predictions --------------------------------------------------------------------------


def _mnist_run(runs: Path) -> str:
    from fcnet.backends import build
    from fcnet.spec import NetSpec

    run = runs / "mnist-tiny"
    run.mkdir(parents=True)
    build(NetSpec(input_size=784, hidden=[8], output_size=10, loss="cross_entropy")).save(
        run / "model.npz"
    )
    (run / "run.json").write_text(json.dumps({"task": "mnist", "options": {}}))
    return "run:mnist-tiny"


def _big_canvas() -> str:
    """A 2048x2048 PNG data URL: a white stroke on black (a few KB compressed)."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (2048, 2048), 0)
    ImageDraw.Draw(img).line([(1000, 300), (1050, 1700)], fill=255, width=80)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def test_120_concurrent_2048px_predictions_stay_within_bounded_memory(tmp_path):
    model = _mnist_run(tmp_path / "runs")
    body = {"model": model, "image": _big_canvas()}
    with serve(tmp_path / "runs") as server:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            assert http.post("/api/digits/predict", json=body).status_code == 200  # warm
        before = server.resident()
        answers: list[int] = []

        def ask() -> None:
            with httpx.Client(base_url=server.url, timeout=120) as http:
                answers.append(http.post("/api/digits/predict", json=body).status_code)

        threads = [threading.Thread(target=ask) for _ in range(120)]
        t = time.monotonic()
        for th in threads:
            th.start()
        for th in threads:
            th.join(180)
        seconds = time.monotonic() - t
        peak, after = server.peak(), server.resident()
        print(
            f"[hostile] 120 predictions in {seconds:.1f} s; server before {before / 2**20:.0f} "
            f"MiB, peak {peak / 2**20:.0f} MiB, after {after / 2**20:.0f} MiB"
        )
    assert answers == [200] * 120
    assert peak < 700 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    assert after - before < 200 * 2**20, f"kept {(after - before) / 2**20:.0f} MiB"


def test_predictions_read_the_same_pixels_as_before(tmp_path):
    """The bounded decoding changes no number: the canvas's 28x28 input is the same as the
    data module gives the same picture."""
    from PIL import Image

    from fcnet.data.digits import digit_field, grey_levels
    from fcnet.studio.canvas import decode_image, mnist_input

    url = _big_canvas()
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as img:
        expected = digit_field(grey_levels(img))
    got = mnist_input(decode_image(url))
    assert got is not None and np.array_equal(got, expected)
