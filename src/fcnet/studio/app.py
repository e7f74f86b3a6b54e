"""fcnet studio's web app: three pages (Fit, Digits, Runs) over a small JSON API.

`create_app(runs_dir)` returns the FastAPI app; `fcnet serve` runs it with uvicorn on
127.0.0.1. Every request is checked here: a bad one gets a 4xx with `{"error": "..."}`,
one line the page shows, and no request can take the server down. Live training updates
are Server-Sent Events, one stream per training session; closing the stream (the tab)
stops the training.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import re
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fcnet import __version__
from fcnet.expr import ExprError
from fcnet.i18n import gettext as _
from fcnet.studio import classroom
from fcnet.studio import i18n as studio_i18n
from fcnet.studio import runs as runs_mod
from fcnet.studio.backprop import router as backprop_router
from fcnet.studio.bounded import RunFileError
from fcnet.studio.digits import decode_image, mnist_input
from fcnet.studio.fitrun import RecordingFitSession, save_fit
from fcnet.studio.sessions import SessionRegistry, TooManySessions, TrainingSession
from fcnet.studio.training import (
    DigitsSession,
    DigitsTrainRequest,
    FitRequest,
    ModelStore,
    StrictRequest,
    available_backends,
    check_backend,
    predict_digit,
)

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 1024 * 1024
_PAGES = {"fit": "fit.html", "digits": "digits.html", "runs": "runs.html"}
_SESSION_ID = re.compile(r"[0-9a-f]{16}")
# Seconds between keep-alive comments on an idle event stream.
_HEARTBEAT_S = 2.0
# Models of runs kept loaded for the Digits page.
_MAX_RUN_MODELS = 4


class PauseRequest(StrictRequest):
    paused: bool


class SaveRequest(StrictRequest):
    """Fit page: save the finished fit as a run folder (named, or fit-studio-<time>)."""

    name: str | None = Field(default=None, min_length=1, max_length=128)


class PredictRequest(StrictRequest):
    """Digits page: the canvas as a PNG data URL, and which model to ask."""

    model: str = Field(min_length=1, max_length=200)
    image: str = Field(min_length=1, max_length=MAX_BODY_BYTES)


def _error(status: int, message: str, keep_lines: bool = False) -> JSONResponse:
    """`{"error": message}`: one line, or as it is when its lines mean something (a caret)."""
    text = str(message).strip() if keep_lines else " ".join(str(message).split())
    return JSONResponse({"error": text}, status_code=status)


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413, by Content-Length or as they stream."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        too_big = _error(413, f"request body: expected at most {self.max_bytes} bytes")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _error(400, "Content-Length: expected an integer")(scope, receive, send)
                return
            if declared > self.max_bytes:
                await too_big(scope, receive, send)
                return
        if length is not None or b"transfer-encoding" not in headers:
            # The server delivers no more than was declared (and nothing when undeclared).
            await self.app(scope, receive, send)
            return
        # A chunked body: read it here, bounded, then replay it.
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await too_big(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class HostCheck:
    """Answer only requests whose Host is one of `hosts` (None: any).

    A web page elsewhere cannot reach the studio through a domain that resolves to
    127.0.0.1 (DNS rebinding): its requests carry that domain as Host and get 400.
    """

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...] | None = LOCAL_HOSTS) -> None:
        self.app = app
        self.hosts = None if hosts is None else {h.lower() for h in hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.hosts is not None:
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1").lower()
            name = host[1:].split("]")[0] if host.startswith("[") else host.rsplit(":", 1)[0]
            if name not in self.hosts:
                await _error(400, f"Host: expected one of {sorted(self.hosts)}, got {host!r}")(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)


_SAFE_METHODS = (b"GET", b"HEAD")
_SAME_SITE = (b"same-origin", b"none")


class SameOrigin:
    """Refuse cross-origin requests to the API and every state-changing request.

    A page on another site (or another port of this machine) could otherwise make the
    browser send `POST /api/sessions/<id>/stop` or start trainings: a "simple" request
    needs no CORS preflight. So on `/api/*`, and on any method but GET/HEAD: a browser's
    `Sec-Fetch-Site` must be same-origin (or none: typed by the user), an `Origin` must be
    this server's own (`http://<Host>`), and a POST must carry `Content-Type:
    application/json` (which no HTML form or simple request can send). Clients that send
    neither header (curl, scripts) are not browsers driven by another site.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = self.problem(scope)
            if problem is not None:
                await _error(problem[0], problem[1])(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def problem(scope: Scope) -> tuple[int, str] | None:
        method = scope.get("method", "GET").encode("latin-1")
        if scope.get("path", "").startswith("/api/") or method not in _SAFE_METHODS:
            headers = dict(scope.get("headers") or [])
            site = headers.get(b"sec-fetch-site")
            if site is not None and site.lower() not in _SAME_SITE:
                shown = site.decode("latin-1")[:40]
                return 403, f"Sec-Fetch-Site: expected same-origin, got {shown!r} (cross-site)"
            origin = headers.get(b"origin")
            if origin is not None:
                host = headers.get(b"host", b"").decode("latin-1").lower()
                allowed = {f"http://{host}", f"https://{host}"}
                if origin.decode("latin-1").lower() not in allowed:
                    shown = origin.decode("latin-1")[:80]
                    return 403, f"Origin: expected this studio's own page, got {shown!r}"
            if method == b"POST":
                kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
                if kind != b"application/json":
                    shown = kind.decode("latin-1")[:60]
                    return 415, f"Content-Type: expected application/json, got {shown!r}"
        return None


class NotFound(Exception):
    """A session, model or run that is not there: 404."""


class _Studio:
    """The app's state: where the runs are, the training sessions, the loaded models."""

    def __init__(self, runs_dir: Path) -> None:
        self.runs_dir = runs_dir
        self.sessions = SessionRegistry()
        self.store = ModelStore()
        self._run_models: dict[str, tuple[float, Any, threading.Lock]] = {}
        self._session_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self.save_lock = threading.Lock()

    def model(self, model_id: str) -> tuple[Any, threading.Lock]:
        """The Digits model named `model_id`: "run:<name>" or "session:<id>"."""
        if model_id.startswith("session:"):
            model = self.store.get(model_id)
            if model is None:
                raise NotFound(
                    _("model: no model {model_id!r} (train one, or pick a run)").format(
                        model_id=model_id
                    )
                )
            return model, self._lock_for(model_id)
        if not model_id.startswith("run:"):
            raise ValueError(
                _("model: expected 'run:<name>' or 'session:<id>', got {model_id!r}").format(
                    model_id=model_id
                )
            )
        name = model_id[4:]
        path = runs_mod.run_path(self.runs_dir, name) / runs_mod.MODEL_FILE
        if not os.path.lexists(path):
            raise NotFound(
                _("model: run {name!r} has no {MODEL_FILE}").format(
                    name=name, MODEL_FILE=runs_mod.MODEL_FILE
                )
            )
        try:
            spec = runs_mod.read_model_spec(path)  # bounded; says what is wrong
            runs_mod.check_mnist_spec(name, spec)
            resolved = runs_mod.check_model_file(path)
        except RunFileError as exc:
            raise ValueError(_("model: run {name!r}: {exc}").format(name=name, exc=exc)) from None
        mtime = resolved.stat().st_mtime
        with self._lock:
            cached = self._run_models.get(name)
        if cached is None or cached[0] != mtime:
            from fcnet.backends import load

            cached = (mtime, load(resolved, backend="numpy"), threading.Lock())
            with self._lock:
                self._run_models[name] = cached
                while len(self._run_models) > _MAX_RUN_MODELS:
                    self._run_models.pop(next(iter(self._run_models)))
        return cached[1], cached[2]

    def _lock_for(self, model_id: str) -> threading.Lock:
        with self._lock:
            return self._session_locks.setdefault(model_id, threading.Lock())


def _describe(exc: RequestValidationError) -> str:
    """One line from pydantic's errors: field, what was expected, what came."""
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        got = err.get("input")
        text = f"{loc}: {msg}" if loc else msg
        if err.get("type") not in ("missing", "json_invalid") and not isinstance(got, dict):
            shown = repr(got)
            text += f", got {shown[:60] + '...' if len(shown) > 60 else shown}"
        parts.append(text)
    return "; ".join(parts) or "invalid request"


def create_app(
    runs_dir: str | Path = "runs", *, hosts: tuple[str, ...] | None = LOCAL_HOSTS
) -> FastAPI:
    """The studio's FastAPI app, reading runs from `runs_dir` (it may not exist yet).

    hosts: the Host names it answers (loopback by default; None for any, as when
    `fcnet serve --host` names another address).
    """
    studio = _Studio(Path(runs_dir))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        studio.sessions.stop_all()

    app = FastAPI(
        title="fcnet studio",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.studio = studio
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(SameOrigin)
    app.add_middleware(HostCheck, hosts=hosts)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(studio_i18n.LanguageMiddleware)  # each request in its own language
    app.include_router(studio_i18n.router())  # GET /api/i18n for static/i18n.js

    # ----- errors: always one JSON line ----------------------------------------------------

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _describe(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, exc.detail)

    @app.exception_handler(ValueError)
    async def _value(request: Request, exc: ValueError) -> JSONResponse:
        # ExprError points at the offending part with a caret on its own line: keep it.
        return _error(400, str(exc), keep_lines=isinstance(exc, ExprError))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(FileNotFoundError)
    async def _missing(request: Request, exc: FileNotFoundError) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(TooManySessions)
    async def _busy(request: Request, exc: TooManySessions) -> JSONResponse:
        return _error(429, str(exc))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        return _error(500, f"internal error: {type(exc).__name__}: {exc}")

    # ----- pages ---------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    async def index() -> RedirectResponse:
        return RedirectResponse("/fit")

    def page(name: str):
        async def handler() -> FileResponse:
            return FileResponse(STATIC_DIR / _PAGES[name], media_type="text/html")

        return handler

    for name in _PAGES:
        app.add_api_route(f"/{name}", page(name), methods=["GET"], include_in_schema=False)

    # ----- API -----------------------------------------------------------------------------

    @app.get("/api/health")
    async def health() -> dict[str, Any]:
        return {"ok": True, "version": __version__}

    @app.get("/api/options")
    async def options() -> dict[str, Any]:
        return {"backends": available_backends()}

    @app.post("/api/fit")
    def fit(req: FitRequest) -> dict[str, Any]:
        check_backend(req.backend)
        session = RecordingFitSession(req)  # parses and checks the expression
        studio.sessions.add(session)
        return session.start_payload()

    @app.post("/api/digits/train")
    def digits_train(req: DigitsTrainRequest) -> dict[str, Any]:
        check_backend(req.backend)
        session = studio.sessions.add(DigitsSession(req, studio.store))
        return {"session": session.id}

    @app.get("/api/digits/models")
    def digits_models() -> dict[str, Any]:
        found = runs_mod.mnist_models(studio.runs_dir)
        return {"models": studio.store.listing() + found["models"], "skipped": found["skipped"]}

    @app.post("/api/digits/predict")
    def digits_predict(req: PredictRequest) -> dict[str, Any]:
        model, lock = studio.model(req.model)
        image = mnist_input(decode_image(req.image))
        if image is None:
            return {"probs": None, "prediction": None, "input": [0.0] * 784}
        probs = predict_digit(model, image, lock)
        return {
            "probs": probs,
            "prediction": int(np.argmax(probs)),
            "input": [round(float(v), 3) for v in image.reshape(-1)],
        }

    def session_or_404(session_id: str) -> TrainingSession:
        session = studio.sessions.get(session_id) if _SESSION_ID.fullmatch(session_id) else None
        if session is None:
            raise NotFound(
                _("session: no training session {session_id_40!r}").format(
                    session_id_40=session_id[:40]
                )
            )
        return session

    @app.get("/api/sessions/{session_id}/events")
    async def events(session_id: str) -> StreamingResponse:
        session = session_or_404(session_id)
        if session.started or not session.active:
            raise ValueError(
                _("session: {session_id} is already streaming or finished").format(
                    session_id=session_id
                )
            )
        session.start()
        return StreamingResponse(
            _stream(session),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.post("/api/sessions/{session_id}/pause")
    async def pause(session_id: str, req: PauseRequest) -> dict[str, Any]:
        session = session_or_404(session_id)
        session.pause(req.paused)
        return {"status": session.status}

    @app.post("/api/sessions/{session_id}/stop")
    async def stop(session_id: str) -> dict[str, Any]:
        session = session_or_404(session_id)
        session.stop()
        return {"status": "stopping" if session.active else session.status}

    @app.post("/api/fit/{session_id}/save")
    def fit_save(session_id: str, req: SaveRequest) -> dict[str, Any]:
        session = session_or_404(session_id)
        if not isinstance(session, RecordingFitSession):
            raise ValueError(_("save: only a fit from the Fit page can be saved as a run"))
        with studio.save_lock:
            if session.saved is not None:
                return {"run": session.saved, "runs_dir": str(studio.runs_dir)}
            name = save_fit(session, studio.runs_dir, req.name)
        return {"run": name, "runs_dir": str(studio.runs_dir)}

    @app.get("/api/runs")
    def runs() -> dict[str, Any]:
        return {"runs_dir": str(studio.runs_dir), **runs_mod.scan_runs(studio.runs_dir)}

    # A run's name may hold "/" (runs/demo-<time>/mnist): the plot route comes first.
    @app.get("/api/runs/{name:path}/plots/{plot}")
    def run_plot(name: str, plot: str) -> FileResponse:
        return FileResponse(runs_mod.plot_path(studio.runs_dir, name, plot), media_type="image/png")

    @app.get("/api/runs/{name:path}")
    def run(name: str) -> dict[str, Any]:
        return runs_mod.run_detail(studio.runs_dir, name)

    app.include_router(backprop_router)  # the Backprop page and /api/backprop/*
    app.include_router(classroom.router)  # the Class page and /api/class/* (fcnet grade)
    return app


async def _stream(session: TrainingSession):
    """A session's events as Server-Sent Events; when the reader goes, the training stops."""
    idle = 0.0
    try:
        yield "retry: 60000\n\n"
        while True:
            try:
                event = session.events.get_nowait()
            except queue.Empty:
                if not session.active and session.events.empty() and session.finished:
                    break
                await asyncio.sleep(0.02)
                idle += 0.02
                if idle >= _HEARTBEAT_S:
                    idle = 0.0
                    yield ": keep-alive\n\n"
                continue
            idle = 0.0
            yield f"event: {event['type']}\ndata: {json.dumps(event, allow_nan=False)}\n\n"
            if event["type"] in ("done", "failed"):
                break
    finally:
        session.stop()  # the tab closed (or the training ended): stop its thread
