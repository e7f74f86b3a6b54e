"""fcnet studio's web app: its pages (Fit, Digits, Runs, Backprop, Class, Exercises) over a
small JSON API.

`create_app(runs_dir)` returns the FastAPI app; `fcnet serve` runs it with uvicorn on
127.0.0.1. The app is assembled here from its parts: the security middlewares
(`middleware`), one router per page (`fit_page`, `digits_page`, `runs_page`, `backprop`,
`classroom`, `exercises_page`), the training sessions' routes (`session_routes`) and the
translations (`i18n`), sharing one `state.Studio`. Every error is answered here as a 4xx
with `{"error": "..."}`, one line the page shows, and no request can take the server down.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from fcnet import __version__
from fcnet.expr import ExprError
from fcnet.i18n import gettext as _
from fcnet.studio import classroom
from fcnet.studio import i18n as studio_i18n
from fcnet.studio.backprop import router as backprop_router
from fcnet.studio.digits_page import router as digits_router
from fcnet.studio.exercises_page import router as exercises_router
from fcnet.studio.fit_page import router as fit_router
from fcnet.studio.middleware import (
    LOCAL_HOSTS,
    MAX_BODY_BYTES,
    BodyLimit,
    CookieBound,
    HostCheck,
    SameOrigin,
    error_response,
)
from fcnet.studio.runs_page import router as runs_router
from fcnet.studio.session_routes import router as session_router
from fcnet.studio.sessions import TooManySessions
from fcnet.studio.state import STATIC_DIR, NotFound, Studio
from fcnet.studio.training import available_backends

__all__ = ["LOCAL_HOSTS", "MAX_BODY_BYTES", "STATIC_DIR", "create_app"]


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


def _errors(app: FastAPI) -> None:
    """Every error as one JSON line: 422 invalid, 400 refused, 404 absent, 429 busy."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, _describe(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, exc.detail)

    @app.exception_handler(ValueError)
    async def _value(request: Request, exc: ValueError) -> JSONResponse:
        # ExprError points at the offending part with a caret on its own line: keep it.
        return error_response(400, str(exc), keep_lines=isinstance(exc, ExprError))

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        # a number too large for the arrays it is put in (an int of 400 digits)
        return error_response(
            400, _("request: a number is too large ({detail})").format(detail=exc)
        )

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return error_response(404, str(exc))

    @app.exception_handler(FileNotFoundError)
    async def _missing(request: Request, exc: FileNotFoundError) -> JSONResponse:
        return error_response(404, str(exc))

    @app.exception_handler(TooManySessions)
    async def _busy(request: Request, exc: TooManySessions) -> JSONResponse:
        return error_response(429, str(exc))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        return error_response(500, f"internal error: {type(exc).__name__}: {exc}")


def create_app(
    runs_dir: str | Path = "runs", *, hosts: tuple[str, ...] | None = LOCAL_HOSTS
) -> FastAPI:
    """The studio's FastAPI app, reading runs from `runs_dir` (it may not exist yet).

    hosts: the Host names it answers (loopback by default; None for any, as when
    `fcnet serve --host` names another address).
    """
    studio = Studio(Path(runs_dir))

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
    app.add_middleware(CookieBound)  # first of all: no long cookie reaches a parser
    _errors(app)

    @app.get("/", include_in_schema=False)
    async def index() -> RedirectResponse:
        return RedirectResponse("/fit")

    @app.get("/api/health")
    async def health() -> dict[str, Any]:
        return {"ok": True, "version": __version__}

    @app.get("/api/options")
    async def options() -> dict[str, Any]:
        return {"backends": available_backends()}

    app.include_router(studio_i18n.router())  # GET /api/i18n for static/i18n.js
    app.include_router(fit_router)
    app.include_router(digits_router)
    app.include_router(runs_router)
    app.include_router(session_router)
    app.include_router(backprop_router)  # the Backprop page and /api/backprop/*
    app.include_router(classroom.router)  # the Class page and /api/class/* (fcnet grade)
    app.include_router(exercises_router)  # the Exercises page: fcnet check and its hints
    return app
