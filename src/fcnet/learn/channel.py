"""Request/answer frames between the checker (parent) and the child that runs a learner's code.

Values cross as data only: numpy arrays of numbers or booleans (their raw bytes, with
dtype and shape in the JSON header, read back with `np.frombuffer`: no pickle, no
object dtype), ints, floats, strings, None, bools, and tuples, lists and
string-keyed dicts of these; a `Remote` names an object that stays in the child (a model).
Nothing is ever unpickled. A frame is an 8-byte big-endian length, a JSON header and the
arrays' bytes; every size is checked against the receiver's bounds before it is read.

Each request carries a fresh random token and gets exactly one answer with that token;
an answer with another token, a malformed frame, a closed socket or a deadline passed
fails that call (`ChannelError`). The parent's `recv` never blocks past its deadline,
whatever the child does with its descriptors.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import select
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "MAX_ARRAYS",
    "MAX_FRAME",
    "Channel",
    "ChannelError",
    "ChannelTimeout",
    "Remote",
    "decode",
    "encode",
    "new_token",
]

MAX_FRAME = 1 << 30  # bytes of one frame (MNIST's training images in float32 are 188 MB)
MAX_HEADER = 8 << 20  # bytes of a frame's JSON header
MAX_ARRAYS = 4096  # arrays in one frame
MAX_DEPTH = 32  # nesting of lists, tuples and dicts
_SMALL = 1 << 20  # a frame under this is sent in one write
_LEN = struct.Struct(">Q")
_KINDS = "biuf"  # bool, int, unsigned, float: the only dtypes that cross
_DTYPE = re.compile(r"[<>|=]?[biuf][1-8]")


class ChannelError(Exception):
    """A frame that is not a well-formed answer, or the other side went away."""


class ChannelTimeout(ChannelError):
    """No answer before the deadline."""


@dataclass(frozen=True)
class Remote:
    """An object that stays in the child (e.g. a model): usable as a later call's argument."""

    id: int
    type: str


def new_token() -> str:
    return secrets.token_hex(16)


def encode(value: Any, arrays: list[np.ndarray], *, depth: int = 0) -> Any:
    """`value` as a JSON tree, its arrays appended to `arrays` (sent as raw bytes).

    TypeError for anything that is not data (the child keeps those as a `Remote`)."""
    if depth > MAX_DEPTH:
        raise TypeError("nested too deeply")
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return {"$int": str(value)} if abs(value) >= 1 << 53 else value
    if isinstance(value, float):
        value = float(value)  # np.float64 too
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, np.generic) and value.dtype.kind in _KINDS:
        return encode(value.item(), arrays, depth=depth)  # a numpy scalar: its Python number
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _KINDS or value.dtype.fields is not None:
            raise TypeError(f"an array of dtype {value.dtype}")
        if len(arrays) >= MAX_ARRAYS:
            raise TypeError(f"more than {MAX_ARRAYS} arrays")
        arrays.append(np.ascontiguousarray(value))
        return {"$nd": len(arrays) - 1, "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, Remote):
        return {"$remote": value.id, "type": value.type}
    if isinstance(value, tuple | list):
        items = [encode(v, arrays, depth=depth + 1) for v in value]
        return {"$tuple": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("a dict with keys that are not strings")
        return {"$dict": {k: encode(v, arrays, depth=depth + 1) for k, v in value.items()}}
    raise TypeError(f"a {type(value).__name__}")


def decode(tree: Any, arrays: list[memoryview], *, depth: int = 0) -> Any:
    """The value `encode` wrote; ChannelError for anything else."""
    if depth > MAX_DEPTH:
        raise ChannelError("nested too deeply")
    if tree is None or isinstance(tree, bool | str | int | float):
        return tree
    if isinstance(tree, list):
        return [decode(v, arrays, depth=depth + 1) for v in tree]
    if not isinstance(tree, dict) or len(tree) not in (1, 2, 3):
        raise ChannelError("not a value")
    if "$nd" in tree:
        return _array(tree, arrays)
    if "$tuple" in tree and isinstance(tree["$tuple"], list):
        return tuple(decode(v, arrays, depth=depth + 1) for v in tree["$tuple"])
    if "$dict" in tree and isinstance(tree["$dict"], dict):
        return {str(k): decode(v, arrays, depth=depth + 1) for k, v in tree["$dict"].items()}
    if "$float" in tree and tree["$float"] in ("nan", "inf", "-inf"):
        return float(tree["$float"])
    if "$int" in tree and isinstance(tree["$int"], str) and len(tree["$int"]) <= 4300:
        try:
            return int(tree["$int"])
        except ValueError:
            raise ChannelError("not an int") from None
    if "$remote" in tree and isinstance(tree["$remote"], int):
        return Remote(tree["$remote"], str(tree.get("type", "object"))[:100])
    raise ChannelError("not a value")


def _array(tree: dict[str, Any], arrays: list[memoryview]) -> np.ndarray:
    """The array `tree` names: its dtype one of numbers or booleans, its bytes exactly
    its shape's size."""
    index, dtype, shape = tree.get("$nd"), tree.get("dtype"), tree.get("shape")
    if not isinstance(index, int) or not 0 <= index < len(arrays):
        raise ChannelError("a reference to no array")
    if not isinstance(dtype, str) or not _DTYPE.fullmatch(dtype):
        raise ChannelError("an array that is not numbers")
    if (
        not isinstance(shape, list)
        or len(shape) > 32
        or not all(isinstance(n, int) and n >= 0 for n in shape)
    ):
        raise ChannelError("an array with a malformed shape")
    dt = np.dtype(dtype)
    if dt.kind not in _KINDS or math.prod(shape) * dt.itemsize != len(arrays[index]):
        raise ChannelError("an array whose size disagrees with its shape")
    try:  # a shape numpy cannot make (a dimension beyond its bounds, 2**70 with 0 rows)
        return np.frombuffer(arrays[index], dt).reshape(shape)
    except (ValueError, OverflowError):
        raise ChannelError("an array with a malformed shape") from None


class Channel:
    """One end of a socketpair speaking frames; `limit` bounds what it accepts."""

    def __init__(self, sock: socket.socket, *, limit: int = MAX_FRAME):
        self.sock = sock
        self.limit = limit

    def send(self, header: dict[str, Any], value: Any = None) -> None:
        """Send `header` with `value` (TypeError when `value` is not data)."""
        arrays: list[np.ndarray] = []
        header = dict(header, value=encode(value, arrays), arrays=[a.nbytes for a in arrays])
        head = json.dumps(header, allow_nan=False).encode()
        total = len(head) + sum(a.nbytes for a in arrays)
        prefix = _LEN.pack(total) + _LEN.pack(len(head)) + head
        if total < _SMALL:  # one write: the reader wakes once
            self.sock.sendall(b"".join([prefix, *(a.tobytes() for a in arrays)]))
            return
        self.sock.sendall(prefix)
        for a in arrays:
            if a.nbytes:
                self.sock.sendall(a.reshape(-1).view(np.uint8).data)  # no copy

    def recv(
        self, deadline: float | None = None, *, watch: Callable[[], None] | None = None
    ) -> tuple[dict[str, Any], Any]:
        """(header, value) of the next frame. ChannelTimeout past `deadline` (monotonic
        seconds; None: wait for ever), ChannelError for a closed socket or a bad frame.
        `watch()` runs every 50 ms while waiting (the parent's memory watch; it may raise)."""
        sizes = self._read(16, deadline, watch)
        total, nhead = _LEN.unpack(sizes[:8])[0], _LEN.unpack(sizes[8:])[0]
        if total > self.limit or nhead > min(total, MAX_HEADER):
            raise ChannelError(f"a frame of {total:,} bytes (at most {self.limit:,})")
        data = self._read(total, deadline, watch)
        try:
            header = json.loads(data[:nhead])
        except (ValueError, RecursionError):
            raise ChannelError("a header that is not JSON") from None
        if not isinstance(header, dict):
            raise ChannelError("a header that is not an object")
        lengths = header.get("arrays", [])
        if (
            not isinstance(lengths, list)
            or len(lengths) > MAX_ARRAYS
            or not all(isinstance(n, int) and n >= 0 for n in lengths)
            or nhead + sum(lengths) != total
        ):
            raise ChannelError("array sizes that do not add up")
        arrays, at, view = [], nhead, memoryview(data)
        for n in lengths:
            arrays.append(view[at : at + n])
            at += n
        return header, decode(header.get("value"), arrays)

    def _read(self, n: int, deadline: float | None, watch: Callable[[], None] | None) -> bytearray:
        if deadline is None and watch is None:  # the child: block until the frame is in
            buf = bytearray(n)
            view, got = memoryview(buf), 0
            while got < n:
                try:
                    k = self.sock.recv_into(view[got:], n - got)
                except InterruptedError:
                    continue
                except OSError as exc:
                    raise ChannelError(f"the socket failed ({exc.strerror})") from None
                if not k:
                    raise ChannelError("the other side closed the channel")
                got += k
            return buf
        # the parent: the buffer grows as bytes come (at most twice what came), so a frame
        # that announces a gigabyte and sends nothing costs nothing
        buf = bytearray(min(n, _SMALL))
        view, got = memoryview(buf), 0
        while got < n:
            if got == len(buf):
                view.release()
                buf.extend(bytes(min(len(buf), n - len(buf))))  # calloc'd zeros: untouched
                view = memoryview(buf)
            wait = 0.05
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ChannelTimeout("no answer in time")
                wait = min(wait, left)
            ready, _w, _x = select.select([self.sock], [], [], wait)
            if not ready:
                if watch is not None:
                    watch()
                continue
            try:
                k = self.sock.recv_into(view[got:], len(buf) - got)
            except (BlockingIOError, InterruptedError, TimeoutError):
                continue
            except OSError as exc:
                raise ChannelError(f"the socket failed ({exc.strerror})") from None
            if not k:
                raise ChannelError("the other side closed the channel")
            got += k
        return buf

    def close(self) -> None:
        self.sock.close()
