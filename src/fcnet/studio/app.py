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

import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from fcnet import __version__
from fcnet._pydantic_errors import INVALID, kind_of, reason, shown
from fcnet.expr import ExprError
from fcnet.i18n import gettext as _
from fcnet.i18n import use_language
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
from fcnet.studio.training import available_backends, item_path

__all__ = ["LOCAL_HOSTS", "MAX_BODY_BYTES", "STATIC_DIR", "create_app"]


# No "got ...": nothing came, the body is no JSON, or our validator's message says it.
_NO_GOT = ("missing", "json_invalid", "value_error")


def _where(loc: tuple[Any, ...], body: Any, kind: str) -> str:
    """Where an error is, as the request names it (a.b[2].c): without "body", and without
    the names pydantic gives a union's members (y.int), which are no keys of the body."""
    where, here = "", body
    in_body = loc[:1] == ("body",)
    keys = loc[1:] if in_body else loc
    for i, key in enumerate(keys):
        if in_body and isinstance(key, str):
            absent = i == len(keys) - 1 and kind == "missing"
            if not (isinstance(here, dict) and (key in here or absent)):
                continue
        where = item_path(where, key)
        if isinstance(here, dict):
            here = here.get(key)
        elif isinstance(here, list) and isinstance(key, int) and 0 <= key < len(here):
            here = here[key]
        else:
            here = None
    return where


def _describe(exc: RequestValidationError) -> str:
    """One line from pydantic's errors, in fcnet's words and the request's language: for up
    to 3 fields, where, what is wrong, what came. A union's alternatives for one field
    (y: int | float | list[float]) are one part, joined with "or"."""
    body = getattr(exc, "body", None)
    found: dict[tuple[str, str], list[str]] = {}
    for err in exc.errors():
        kind = kind_of(err)
        got = err.get("input")
        # json_invalid's loc holds a position; a value_error of the whole body stands alone
        where = "" if kind == "json_invalid" else _where(tuple(err.get("loc", ())), body, kind)
        if not where and kind != "value_error":
            where = _("request body")
        why = reason(err)  # a ValueError of our validators: its text, translated
        got_text = ""
        if kind not in _NO_GOT and not isinstance(got, dict):
            got_text = shown(got)
        key = (where, got_text)
        if key not in found and len(found) == 3:
            break
        whys = found.setdefault(key, [])
        if why not in whys:
            whys.append(why)
    parts = []
    for (where, got_text), whys in found.items():
        why = _(" or ").join(whys)
        text = _("{field}: {why}").format(field=where, why=why) if where else why
        parts.append(text + (_(", got {value}").format(value=got_text) if got_text else ""))
    return "; ".join(parts) or _(INVALID)


# FastAPI's own 400 when the body is JSON that Python cannot read (its detail is English).
_FASTAPI_BODY_ERROR = "There was an error parsing the body"


def _http_detail(request: Request, exc: StarletteHTTPException) -> str:
    """An HTTPException's line in fcnet's words: ours as they are; FastAPI's and
    Starlette's English ones (a body it cannot parse, 404, 405) said again."""
    detail = str(exc.detail)
    if exc.status_code == 400 and detail == _FASTAPI_BODY_ERROR:
        cause = exc.__cause__
        if isinstance(cause, RecursionError):
            why = _("nested too deeply")
        elif isinstance(cause, ValueError) and "digits" in str(cause):
            # json.loads refuses an integer longer than int's string limit (4300 digits)
            why = _("expected numbers of at most {limit} digits").format(
                limit=sys.get_int_max_str_digits()
            )
        else:
            why = _("cannot be read")
        return _("{field}: {why}").format(field=_("request body"), why=why)
    path = request.url.path[:80]
    if exc.status_code == 404 and detail == "Not Found":
        return _("{path}: no such page").format(path=path)
    if exc.status_code == 405 and detail == "Method Not Allowed":
        return _("{path}: method {method} not allowed").format(path=path, method=request.method)
    return detail


def _errors(app: FastAPI) -> None:
    """Every error as one JSON line: 422 invalid, 400 refused, 404 absent, 429 busy, 500 a bug."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, _describe(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, _http_detail(request, exc))

    @app.exception_handler(ValueError)
    async def _value(request: Request, exc: ValueError) -> JSONResponse:
        # ExprError points at the offending part with a caret on its own line: keep it.
        return error_response(400, str(exc), keep_lines=isinstance(exc, ExprError))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return error_response(404, str(exc))

    @app.exception_handler(FileNotFoundError)
    async def _missing(request: Request, exc: FileNotFoundError) -> JSONResponse:
        return error_response(404, str(exc))

    @app.exception_handler(TooManySessions)
    async def _busy(request: Request, exc: TooManySessions) -> JSONResponse:
        return error_response(429, str(exc))

    # No OverflowError handler: no request value reaches one (StrictRequest refuses JSON
    # integers beyond 19 digits, fcnet.expr and explain.trace catch their own), so one is a
    # bug: a 500 here, its traceback in the server's log (Starlette raises it on).
    # Starlette calls this one outside the middlewares, LanguageMiddleware's too: the
    # request's language is chosen here again.
    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        with use_language(studio_i18n.request_language(dict(request.headers))):
            text = _("internal error: {error}").format(error=f"{type(exc).__name__}: {exc}")
        return error_response(500, text)


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
