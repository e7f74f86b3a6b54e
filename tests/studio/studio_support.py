"""Helpers for the studio tests: names of the fixture runs, a drawn 1, a live server.

A module of its own (not conftest) so that test files import it by a unique name.
"""

from __future__ import annotations

import base64
import io
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageDraw

from testports import free_port

RUN_FIT = "fit-20260101-100000"
RUN_MNIST = "mnist-20260101-110000"
DEMO = "demo-20260101-120000"  # `fcnet demo` writes its three runs one level down
RUN_LONG = "course/fit-300-epochs"  # nested two levels, 300 epochs of metrics
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def digit_one_png(size: int = 280, light: bool = False) -> str:
    """A data URL of a PNG with a stroke shaped like a 1, as the page's canvas sends it."""
    ink, paper = ("black", "white") if light else ("white", "black")
    img = Image.new("RGB", (size, size), paper)
    s = size / 280
    ImageDraw.Draw(img).line(
        [(120 * s, 75 * s), (148 * s, 50 * s), (145 * s, 230 * s)], fill=ink, width=round(20 * s)
    )
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


# The Host every in-process test client sends: a name the studio really answers.
LOCAL_BASE_URL = "http://127.0.0.1:8000"


def local_client(app):
    """FastAPI's TestClient addressed as a browser on this machine addresses the studio."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's notice about httpx2
        from fastapi.testclient import TestClient

    return TestClient(app, base_url=LOCAL_BASE_URL)


class LiveServer:
    """The studio app served by uvicorn in a thread on 127.0.0.1:<free port>."""

    def __init__(self, runs_dir: Path) -> None:
        import uvicorn

        from fcnet.studio import create_app

        self.app = create_app(runs_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the studio server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def session(self, session_id: str):
        return self.app.state.studio.sessions.get(session_id)


@contextmanager
def studio_page(browser, server, width: int = 1280, height: int = 800):
    """A fresh tab that may reach only `server`; fails if the page asked for anything else."""
    context = browser.new_context(viewport={"width": width, "height": height})
    blocked: list[str] = []

    def only_the_studio(route) -> None:
        # Never reach the internet: anything not addressed to the studio is aborted, and
        # counted (the pages must need nothing from elsewhere: Chart.js is vendored).
        url = route.request.url
        if url.startswith(server.url) or url.startswith("data:"):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", only_the_studio)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    try:
        yield page
    finally:
        context.close()
    assert blocked == [], f"the page asked for outside resources: {blocked}"
