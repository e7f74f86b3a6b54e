"""The studio's ASGI security middlewares: every request passes these before any route.

`CookieBound` cuts the Cookie header down to the one cookie the studio reads (FastAPI
parses every request's cookies on the event loop with `http.cookies`, in quadratic time
over backslashes: CVE-2024-7592), `HostCheck` answers only the loopback names (DNS
rebinding), `SameOrigin` refuses cross-site requests to the API and every state-changing
request, and `BodyLimit` refuses request bodies over 1 MiB. Each refusal is
`{"error": "..."}` with a 4xx, one line in the request's language (they run inside
`i18n.LanguageMiddleware`). None of them parses more than a header's worth
of bytes, each in linear time.
"""

from __future__ import annotations

import re

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fcnet.i18n import gettext as _
from fcnet.studio.i18n import COOKIE

MAX_BODY_BYTES = 1024 * 1024
# The most of the one cookie the studio reads (the page's language) passed on.
MAX_COOKIE_BYTES = 64
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
# A Host header: a name or [IPv6], then an optional port of digits; nothing else.
_HOST = re.compile(r"(?:\[(?P<v6>[0-9a-f:.]{2,45})\]|(?P<name>[a-z0-9.-]{1,253}))(?::[0-9]{1,5})?")
_SAFE_METHODS = (b"GET", b"HEAD")
_SAME_SITE = (b"same-origin", b"none")


def error_response(status: int, message: str, keep_lines: bool = False) -> JSONResponse:
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
        too_big = error_response(
            413, _("request body: expected at most {limit} bytes").format(limit=self.max_bytes)
        )
        if length is not None:
            try:
                declared = int(length[:20])
            except ValueError:
                await error_response(400, _("Content-Length: expected an integer"))(
                    scope, receive, send
                )
                return
            if declared > self.max_bytes or len(length) > 20:
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


def bounded_cookie(header: bytes) -> bytes | None:
    """`fcnet_lang=<value>` from a Cookie header when it is there and short, else None.

    Linear: the header is split at ";" once; nothing is unquoted.
    >>> bounded_cookie(b"a=1; fcnet_lang=zh")
    b'fcnet_lang=zh'
    """
    for part in header.split(b";"):
        key, sep, value = part.partition(b"=")
        if sep and key.strip() == COOKIE.encode():
            pair = COOKIE.encode() + b"=" + value.strip()
            return pair if len(pair) <= MAX_COOKIE_BYTES and b"\\" not in pair else None
    return None


class CookieBound:
    """Pass on only the `fcnet_lang` cookie, at most MAX_COOKIE_BYTES long; drop the rest.

    The studio sets and reads no other cookie; a long one (100 KB of backslashes) would
    otherwise hold the event loop, and every other client, for half a minute.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(k == b"cookie" for k, _v in scope["headers"]):
            headers = [(k, v) for k, v in scope["headers"] if k != b"cookie"]
            cookies = [v for k, v in scope["headers"] if k == b"cookie"]
            kept = bounded_cookie(b";".join(cookies))
            if kept is not None:
                headers.append((b"cookie", kept))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


def host_name(host: str) -> str | None:
    """The name in a Host header (`127.0.0.1:8000` -> `127.0.0.1`, `[::1]:80` -> `::1`);
    None unless the whole header is a name and an optional port of digits.

    >>> host_name("127.0.0.1:evil") is None
    True
    """
    m = _HOST.fullmatch(host.lower())
    if m is None:
        return None
    return m.group("v6") or m.group("name")


class HostCheck:
    """Answer only requests whose Host is one of `hosts` (None: any).

    A web page elsewhere cannot reach the studio through a domain that resolves to
    127.0.0.1 (DNS rebinding): its requests carry that domain as Host and get 400. The
    port must be digits: `127.0.0.1:evil` is no loopback name.
    """

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...] | None = LOCAL_HOSTS) -> None:
        self.app = app
        self.hosts = None if hosts is None else {h.lower() for h in hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.hosts is not None:
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            if host_name(host) not in self.hosts:
                shown = host[:80]
                await error_response(
                    400,
                    _("Host: expected one of {hosts}, got {host!r}").format(
                        hosts=sorted(self.hosts), host=shown
                    ),
                )(scope, receive, send)
                return
        await self.app(scope, receive, send)


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
                await error_response(problem[0], problem[1])(scope, receive, send)
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
                return 403, _(
                    "Sec-Fetch-Site: expected same-origin, got {site!r} (cross-site)"
                ).format(site=shown)
            origin = headers.get(b"origin")
            if origin is not None:
                host = headers.get(b"host", b"").decode("latin-1").lower()
                allowed = {f"http://{host}", f"https://{host}"}
                if origin.decode("latin-1").lower() not in allowed:
                    shown = origin.decode("latin-1")[:80]
                    return 403, _("Origin: expected this studio's own page, got {origin!r}").format(
                        origin=shown
                    )
            if method == b"POST":
                kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
                if kind != b"application/json":
                    shown = kind.decode("latin-1")[:60]
                    return 415, _("Content-Type: expected application/json, got {kind!r}").format(
                        kind=shown
                    )
        return None
