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

import math
import re
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
from fcnet.i18n import N_
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
from fcnet.studio.training import available_backends, item_path

__all__ = ["LOCAL_HOSTS", "MAX_BODY_BYTES", "STATIC_DIR", "create_app"]


# What each pydantic error type means, in fcnet's words (translated when shown); the
# placeholders are the error's ctx. Any other type: _INVALID.
_WHY = {
    kind: why
    for kinds, why in (
        ("missing", N_("required")),
        ("extra_forbidden", N_("unknown field")),
        ("int_type int_parsing int_from_float", N_("expected a whole number")),
        ("float_type float_parsing", N_("expected a number")),
        ("finite_number", N_("expected a finite number")),
        ("bool_type bool_parsing", N_("expected true or false")),
        ("string_type", N_("expected text")),
        ("string_too_short", N_("expected at least {min_length} character(s)")),
        ("string_too_long", N_("expected at most {max_length} characters")),
        ("greater_than", N_("expected a number greater than {gt}")),
        ("greater_than_equal", N_("expected a number of at least {ge}")),
        ("less_than", N_("expected a number less than {lt}")),
        ("less_than_equal", N_("expected a number of at most {le}")),
        ("literal_error enum", N_("expected one of {expected}")),
        ("list_type", N_("expected a list")),
        ("too_short", N_("expected at least {min_length} item(s)")),
        ("too_long", N_("expected at most {max_length} items")),
        ("json_invalid", N_("not valid JSON")),
        ("dict_type model_type model_attributes_type", N_("expected a JSON object")),
    )
    for kind in kinds.split()
}
_INVALID = N_("invalid value")
_BOUNDS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")
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


def _ctx(err: Any) -> dict[str, str]:
    """The error's ctx as the message shows it: 10, not 10.0; a choice's values listed
    without pydantic's English "or"."""
    shown = {}
    for key, value in (err.get("ctx") or {}).items():
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        shown[key] = str(value)
    if "expected" in shown:  # "'relu', 'tanh' or 'identity'"
        listed = re.findall(r"'([^']*)'", shown["expected"])
        shown["expected"] = ", ".join(listed) or shown["expected"]
    return shown


def _describe(exc: RequestValidationError) -> str:
    """One line from pydantic's errors, in fcnet's words and the request's language: for up
    to 3 fields, where, what is wrong, what came. A union's alternatives for one field
    (y: int | float | list[float]) are one part, joined with "or"."""
    body = getattr(exc, "body", None)
    found: dict[tuple[str, str], list[str]] = {}
    for err in exc.errors():
        kind = str(err.get("type", ""))
        got = err.get("input")
        if kind in _BOUNDS and isinstance(got, float) and math.isnan(got):
            kind = "finite_number"  # not "at most 10": NaN compares with nothing
        # json_invalid's loc holds a position; a value_error of the whole body stands alone
        where = "" if kind == "json_invalid" else _where(tuple(err.get("loc", ())), body, kind)
        if not where and kind != "value_error":
            where = _("request body")
        if kind == "value_error":  # a ValueError of our validators: its text, translated
            error = (err.get("ctx") or {}).get("error")
            why = str(error) if error is not None else str(err.get("msg", ""))
        else:
            try:
                why = _(_WHY.get(kind, _INVALID)).format(**_ctx(err))
            except (KeyError, IndexError):  # a ctx without the placeholder
                why = _(_INVALID)
        shown = ""
        if kind not in _NO_GOT and not isinstance(got, dict):
            shown = repr(got)
            shown = shown[:60] + "..." if len(shown) > 60 else shown
        key = (where, shown)
        if key not in found and len(found) == 3:
            break
        whys = found.setdefault(key, [])
        if why not in whys:
            whys.append(why)
    parts = []
    for (where, shown), whys in found.items():
        why = _(" or ").join(whys)
        text = _("{field}: {why}").format(field=where, why=why) if where else why
        parts.append(text + (_(", got {value}").format(value=shown) if shown else ""))
    return "; ".join(parts) or _(_INVALID)


def _errors(app: FastAPI) -> None:
    """Every error as one JSON line: 422 invalid, 400 refused, 404 absent, 429 busy, 500 a bug."""

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
