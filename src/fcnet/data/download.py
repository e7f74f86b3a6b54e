"""Fetching a known file over HTTP(S), bounded: what `download_mnist` stands on.

`fetch(url, check, ...)` streams a response into a `GzipIdxCheck`, which inflates each
chunk as it comes (never more than the expected size plus one byte, hashed and dropped),
so a file whose IDX header or size is not the expected one is given up after its first
bytes: a gzip bomb costs neither memory nor time. Every way a mirror can misbehave (an
HTTP error, a non-HTTP answer, a malformed chunk, too many headers, a stalled or endless
body, a deadline passed) ends as one `MirrorError` naming the URL, so the caller goes on
with the next mirror. A `Deadline` bounds the whole download: when it passes, the sockets
it watches are shut down, so even a mirror sending one byte a second stops on time.
`check_file` runs the same check over a file already on disk, in chunks; `probe_folder`
finds a folder that cannot be written before anything is fetched.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from typing import IO, Any

from fcnet.i18n import gettext as _

__all__ = [
    "ContentError",
    "Deadline",
    "GzipIdxCheck",
    "MirrorError",
    "check_file",
    "fetch",
    "idx_header_of",
    "probe_folder",
]

_CHUNK = 1 << 16  # bytes read from the network, and inflated, per step
_GZIP_MAGIC = b"\x1f\x8b"


class MirrorError(OSError):
    """One mirror failed to give one file (the message names the URL and why)."""


class ContentError(ValueError):
    """Bytes that cannot be the expected file (the message says what differs)."""


def idx_header_of(shape: tuple[int, ...], type_code: int = 0x08) -> bytes:
    """The IDX header of a file of `shape` (uint8 unless `type_code` says otherwise)."""
    dims = b"".join(int(d).to_bytes(4, "big") for d in shape)
    return bytes([0, 0, type_code, len(shape)]) + dims


class GzipIdxCheck:
    """Inflates a .gz chunk by chunk and checks it against the file it must be.

    `header`: the IDX header the file starts with; `size`: its length uncompressed;
    `sha256`: of the uncompressed bytes. `feed` raises ContentError as soon as the bytes
    cannot be that file (another header, more than `size` bytes, not gzip); `verify`
    says whether the whole stream was exactly that file. At most `size + 1` bytes are
    ever inflated and none are kept.
    """

    def __init__(self, header: bytes, size: int, sha256: str):
        self._header, self._size, self._sha256 = header, size, sha256
        self._hash = hashlib.sha256()
        self._inflater = zlib.decompressobj(wbits=31)
        self._head = b""  # the first len(header) inflated bytes
        self._out = 0  # bytes inflated so far
        self._magic = b""  # the first two bytes fed

    def feed(self, chunk: bytes) -> None:
        """Inflate `chunk`; ContentError when the stream is not the expected file."""
        if len(self._magic) < 2:
            self._magic += chunk[: 2 - len(self._magic)]
            if not _GZIP_MAGIC.startswith(self._magic):
                raise ContentError(_("not a gzip file"))
        data = chunk
        while data:
            try:
                out = self._inflater.decompress(data, self._size + 1 - self._out)
            except zlib.error as exc:
                raise ContentError(_("corrupt gzip stream ({error})").format(error=exc)) from None
            data = self._inflater.unconsumed_tail
            self._take(out)
            if self._inflater.eof:  # another gzip member may follow (as gzip allows)
                data = self._inflater.unused_data + data
                if data:
                    self._inflater = zlib.decompressobj(wbits=31)
            elif not out:
                break

    def _take(self, out: bytes) -> None:
        if len(self._head) < len(self._header):
            self._head += out[: len(self._header) - len(self._head)]
            if self._header[: len(self._head)] != self._head:
                raise ContentError(
                    _("its IDX header is {got}, expected {expected}").format(
                        got=self._head.hex(" "), expected=self._header.hex(" ")
                    )
                )
        self._out += len(out)
        if self._out > self._size:
            raise ContentError(
                _("it inflates to more than {size} bytes, the size of the file").format(
                    size=self._size
                )
            )
        self._hash.update(out)

    def verify(self) -> bool:
        """Whether everything fed was exactly the expected file (complete, same SHA-256)."""
        return (
            self._inflater.eof
            and not self._inflater.unused_data
            and self._out == self._size
            and self._hash.hexdigest() == self._sha256
        )


def check_file(fh: IO[bytes], check: GzipIdxCheck, limit: int) -> bool:
    """Whether the open file `fh` (at most `limit` bytes read) is the file `check` expects,
    read in chunks (a large file never sits in memory)."""
    left = limit
    try:
        while chunk := fh.read(min(_CHUNK, left + 1)):
            left -= len(chunk)
            if left < 0:
                return False
            check.feed(chunk)
    except ContentError:
        return False
    return check.verify()


class Deadline:
    """The time a whole download may take; past it, every socket it watches is shut down.

    `seconds=None`: no deadline. Use as a context manager (the timer stops on exit).
    """

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self._end = None if seconds is None else time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def __enter__(self) -> Deadline:
        if self.seconds is not None:
            self._timer = threading.Timer(self.seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()

    @property
    def passed(self) -> bool:
        return self._end is not None and time.monotonic() >= self._end

    def left(self, cap: float) -> float:
        """Seconds to wait at most for one read: `cap`, or less near the deadline."""
        if self._end is None:
            return cap
        return max(0.001, min(cap, self._end - time.monotonic()))

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
        if self.passed:
            self._expire()

    def _expire(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:  # the plain socket's shutdown (an SSL socket's would touch its TLS state)
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass


def _watched(cls: Any, deadline: Deadline) -> Any:
    """`cls` (an HTTP(S)Connection class) whose sockets `deadline` watches."""

    class Watched(cls):
        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    return Watched


def _opener(deadline: Deadline) -> urllib.request.OpenerDirector:
    """urllib's opener, its connections watched by `deadline`; no file:// or ftp://."""

    class HTTP(urllib.request.HTTPHandler):
        def do_open(self, http_class, req, **kwargs):
            return super().do_open(_watched(http_class, deadline), req, **kwargs)

    class HTTPS(urllib.request.HTTPSHandler):
        def do_open(self, http_class, req, **kwargs):
            return super().do_open(_watched(http_class, deadline), req, **kwargs)

    class NoOther(urllib.request.BaseHandler):
        def ftp_open(self, req):
            raise urllib.error.URLError(_("not an http(s) URL"))

        file_open = ftp_open

    return urllib.request.build_opener(HTTP, HTTPS, NoOther)


# progress(bytes so far, total bytes or None)
Progress = Callable[[int, int | None], None]


def fetch(
    url: str,
    check: GzipIdxCheck,
    *,
    timeout: float,
    deadline: Deadline,
    limit: int,
    progress: Progress | None = None,
) -> bytes:
    """The body at `url` once `check` accepts it whole; MirrorError naming `url` otherwise.

    `timeout`: seconds one read may wait; `limit`: bytes the body may have; each chunk is
    fed to `check` as it arrives, so a wrong file stops the transfer at once.
    """
    chunks: list[bytes] = []
    try:
        if deadline.passed:
            raise TimeoutError
        req = urllib.request.Request(url, headers={"User-Agent": "fcnet"})
        with _opener(deadline).open(req, timeout=deadline.left(timeout)) as resp:
            total = _content_length(resp)
            if total is not None and total > limit:
                raise ValueError(_("more than {limit} bytes").format(limit=limit))
            done = 0
            while chunk := resp.read1(_CHUNK):
                done += len(chunk)
                if done > limit:
                    raise ValueError(_("more than {limit} bytes").format(limit=limit))
                check.feed(chunk)
                chunks.append(chunk)
                if progress is not None:
                    progress(done, total)
                if deadline.passed:
                    raise TimeoutError
    except urllib.error.HTTPError as exc:
        raise MirrorError(f"{url}: HTTP {exc.code} {_short(exc.reason)}") from None
    except ContentError as exc:
        raise MirrorError(_mismatch(url, str(exc))) from None
    except (ValueError, http.client.HTTPException, OSError) as exc:
        raise MirrorError(f"{url}: {_why(exc, deadline)}") from None
    if deadline.passed:  # the watchdog ended the body early
        raise MirrorError(f"{url}: {_why(TimeoutError(), deadline)}")
    if not check.verify():
        raise MirrorError(_("{url}: content does not match the published SHA-256").format(url=url))
    return b"".join(chunks)


def _mismatch(url: str, why: str) -> str:
    return _("{url}: content does not match the published SHA-256 ({why})").format(url=url, why=why)


def _content_length(resp: http.client.HTTPResponse) -> int | None:
    try:
        return int(resp.headers.get("Content-Length") or 0) or None
    except ValueError:
        return None


def _why(exc: BaseException, deadline: Deadline) -> str:
    """Why a mirror failed, in a few words."""
    if deadline.passed:
        return _("stopped at the deadline ({seconds:g} s for the whole download)").format(
            seconds=deadline.seconds
        )
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, http.client.HTTPException):  # a non-HTTP answer, a bad chunk, 101 headers
        return _("not a valid HTTP response ({error})").format(error=_http(exc))
    if isinstance(exc, urllib.error.URLError):
        return _short(exc.reason)
    if isinstance(exc, OSError) and exc.strerror:
        return _short(exc.strerror)
    return _short(exc)


def _http(exc: http.client.HTTPException) -> str:
    """An http.client error in a few words (its text may be a whole line the server sent)."""
    text = _short(exc)
    return type(exc).__name__ + (f": {text}" if text else "")


def _short(value: object, width: int = 120) -> str:
    """`value` as one line of at most `width` characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def probe_folder(folder: os.PathLike[str] | str) -> None:
    """Create `folder` if needed and check a file can be written in it, before anything is
    fetched; an OSError naming the folder (never a temporary file) when not."""
    import tempfile

    name = os.fspath(folder)
    if os.path.lexists(name) and not os.path.isdir(name):
        raise NotADirectoryError(_("{folder}: is a file, expected a folder").format(folder=name))
    try:
        os.makedirs(name, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # a part of the path is a file
        raise NotADirectoryError(
            _("{folder}: cannot create the folder: a part of its path is a file").format(
                folder=name
            )
        ) from None
    except OSError as exc:
        raise OSError(
            _("{folder}: cannot create the folder ({reason})").format(
                folder=name, reason=exc.strerror or exc
            ),
        ) from None
    try:
        with tempfile.TemporaryFile(dir=name, prefix=".fcnet-probe-"):
            pass
    except OSError as exc:
        raise OSError(
            _("{folder}: cannot write files there ({reason})").format(
                folder=name, reason=exc.strerror or exc
            ),
        ) from None
