"""The IDX format (MNIST's): read and write, fast, and safe on malformed input.

An IDX file is a 4-byte magic number ``00 00 <type code> <ndim>``, then ``ndim``
big-endian uint32 dimensions, then the payload: ``prod(dims)`` values of the type,
big-endian, in C order. Type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
0x0D float32, 0x0E float64. Files may be gzipped (recognised by the bytes 1f 8b).
The format allows 1 to 255 dimensions; numpy arrays hold at most 64, so a file
with more is refused with IdxFormatError.

Safety: every malformed input raises `IdxFormatError` before anything larger than
the input itself is allocated. A raw file's header is checked against the file size
before the payload is read; a gzip stream is inflated incrementally and stops at the
header's size plus one byte, so a small .gz never inflates to gigabytes in memory.

Speed: a raw file is read straight into the array's memory (no copy for one-byte
types; multi-byte types are byte-swapped in place); a .gz is inflated in chunks
into the array's memory.

>>> import numpy as np
>>> a = np.arange(6, dtype=np.int16).reshape(2, 3)
>>> read_idx(idx_header(a) + a.astype(">i2").tobytes()).tolist()
[[0, 1, 2], [3, 4, 5]]
"""

from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import sys
import zlib
from typing import BinaryIO

import numpy as np

from fcnet._fileio import atomic_write, open_regular
from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.limits import MAX_IDX_BYTES

__all__ = ["TYPE_CODES", "IdxFormatError", "idx_header", "idx_sha256", "read_idx", "write_idx"]

# Type code -> numpy dtype as stored (big-endian).
TYPE_CODES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF = {dt.newbyteorder("="): code for code, dt in TYPE_CODES.items()}
_SUPPORTED = ", ".join(f"0x{c:02X} {dt.newbyteorder('=').name}" for c, dt in TYPE_CODES.items())
_SUPPORTED_NAMES = ", ".join(dt.newbyteorder("=").name for dt in TYPE_CODES.values())

_GZIP_MAGIC = b"\x1f\x8b"
_MAX_HEADER = 4 + 4 * 255
# Deflate cannot expand better than about 1032:1; a header asking for more than this
# from a gzip stream of a given size is absurd, and is refused before any allocation.
_DEFLATE_MAX_RATIO = 1032
_CHUNK = 1 << 20  # bytes inflated per step
_IN_CHUNK = 256 << 10  # compressed bytes given to zlib per step
_MAX_COUNT = 16 << 20  # trailing bytes of a file object counted for the message, at most
_NUMPY_MAX_NDIM = 64  # the format allows 255 dimensions; numpy 2 arrays hold at most 64

Source = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO


class IdxFormatError(ValueError):
    """A malformed IDX file (bad header, wrong payload size, corrupt gzip stream)."""


def idx_header(array: np.ndarray) -> bytes:
    """The IDX header (magic number and dimensions) that describes `array`."""
    array = np.asarray(array)
    code = _type_code(array.dtype)
    if array.ndim == 0:
        raise ValueError(_("IDX holds 1 to 255 dimensions, got a 0-d array (a scalar)"))
    if any(d >= 2**32 for d in array.shape):
        raise ValueError(
            _("IDX dimensions are uint32, got shape {shape}").format(shape=array.shape)
        )
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return bytes([0, 0, code, array.ndim]) + dims


def idx_sha256(array: np.ndarray) -> str:
    """SHA-256 (hex) of the uncompressed IDX bytes of `array`, i.e. of a raw IDX file holding it.

    For an array returned by `read_idx`, this is the SHA-256 of the file (decompressed).
    """
    array = np.asarray(array)
    h = hashlib.sha256(idx_header(array))
    stored = np.ascontiguousarray(array, dtype=TYPE_CODES[_type_code(array.dtype)])
    h.update(stored.reshape(-1).view(np.uint8))
    return h.hexdigest()


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> None:
    """Write `array` (uint8, int8, int16, int32, float32 or float64; 1 to 255 dims) as IDX.

    `compress=None` gzips when the name ends in ".gz". The file is written atomically
    (a temporary file beside it, then renamed), so a reader never sees half of it.
    """
    array = np.asarray(array)
    header = idx_header(array)  # checks dtype and shape
    if compress is None:
        compress = os.fspath(path).endswith(".gz")
    payload = np.ascontiguousarray(array, dtype=TYPE_CODES[_type_code(array.dtype)])
    with atomic_write(path, "wb") as fh:
        if compress:
            with gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=6) as gz:
                gz.write(header)
                gz.write(payload.reshape(-1).view(np.uint8))
        else:
            fh.write(header)
            fh.write(payload.reshape(-1).view(np.uint8))


def read_idx(source: Source) -> np.ndarray:
    """Read an IDX file, raw or gzipped, into an array of native byte order.

    `source`: a path (str or PathLike), the file's bytes, or a binary file object.
    Returns an array of the header's shape and type (uint8, int8, int16, int32,
    float32 or float64), writable and owning its memory.

    Raises `IdxFormatError` (a ValueError) naming the source when the content is
    malformed; a missing or unreadable file raises OSError.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _read_buffer("<bytes>", memoryview(source).cast("B"), copy=True)
    if isinstance(source, (str, os.PathLike)):
        return _read_path(os.fspath(source))
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        return _read_fileobj(str(name) if name not in (None, "") else "<file object>", source)
    raise TypeError(
        "read_idx: source must be a path, bytes or a binary file object, "
        f"got {type(source).__name__}"
    )


# --------------------------------------------------------------------------- internals


def _type_code(dtype: np.dtype) -> int:
    code = _CODE_OF.get(np.dtype(dtype).newbyteorder("="))
    if code is None:
        raise ValueError(
            _("IDX cannot store dtype {name}; supported: {supported}").format(
                name=np.dtype(dtype).name, supported=_SUPPORTED_NAMES
            )
        )
    return code


def _read_path(path: str) -> np.ndarray:
    # a pipe or a device is refused by its type (its size is unknown: /dev/zero never ends)
    with open_regular(path, MAX_IDX_BYTES + _MAX_HEADER, N_("IDX file")) as fh:
        st = os.fstat(fh.fileno())
        prefix = fh.read(_MAX_HEADER)
        if prefix[:2] == _GZIP_MAGIC:
            fh.seek(0)
            return _read_gzip(path, memoryview(fh.read()))
        dtype, shape, hlen = _parse_header(path, _Cursor(memoryview(prefix)).read)
        nbytes = _payload_bytes(path, shape, dtype)
        have = st.st_size - hlen
        if have != nbytes:
            raise IdxFormatError(_size_message(path, have, shape, dtype, nbytes))
        out = np.empty(nbytes, np.uint8)
        fh.seek(hlen)
        view, got = memoryview(out), 0
        while got < nbytes:
            n = fh.readinto(view[got:])
            if not n:
                raise IdxFormatError(_size_message(path, got, shape, dtype, nbytes))
            got += n
        if fh.read(1):  # the file grew while we read it
            raise IdxFormatError(
                _("{path}: file changed while being read (now longer than {size} bytes)").format(
                    path=path, size=st.st_size
                )
            )
        return _finish(out, dtype, shape)


def _read_fileobj(name: str, fh: BinaryIO) -> np.ndarray:
    """Read from a file object, taking no more than the header's size plus one byte.

    (The object may itself decompress, as gzip.open's does: its length is then unknown.)
    """
    prefix = _read_upto(name, fh, _MAX_HEADER)
    if prefix[:2] == _GZIP_MAGIC:
        return _read_gzip(name, memoryview(prefix + _read_upto(name, fh, -1)))
    dtype, shape, hlen = _parse_header(name, _Cursor(memoryview(prefix)).read)
    nbytes = _payload_bytes(name, shape, dtype)
    payload = bytearray(prefix[hlen:])
    while len(payload) <= nbytes:
        chunk = _read_upto(name, fh, min(nbytes + 1 - len(payload), _CHUNK))
        if not chunk:
            break
        payload += chunk
    if len(payload) != nbytes:
        have, more = len(payload), ""
        while have > nbytes and (chunk := _read_upto(name, fh, _CHUNK)):  # count, don't keep
            have += len(chunk)
            if have > nbytes + _MAX_COUNT:  # a decompressing object may go on for gigabytes
                more = "more than "
                break
        raise IdxFormatError(
            _(
                "{name}: payload has {more}{have} bytes, header {shape} of {dtype} needs {nbytes}"
            ).format(name=name, more=more, have=have, shape=shape, dtype=dtype.name, nbytes=nbytes)
        )
    return _finish(np.frombuffer(payload, np.uint8), dtype, shape)


def _read_upto(name: str, fh: BinaryIO, n: int) -> bytes:
    """Up to `n` bytes from `fh` (all that is left when n < 0); fewer only at its end."""
    if n < 0:
        data = fh.read()
        parts = [data]
    else:
        parts, left = [], n
        while left > 0 and (data := fh.read(left)):
            parts.append(data)
            left -= len(data)
    if parts and not isinstance(parts[0], (bytes, bytearray)):
        raise TypeError(
            f"read_idx: {name} is not a binary file object (read() gave {type(parts[0]).__name__})"
        )
    return b"".join(parts)


def _read_buffer(name: str, data: memoryview, *, copy: bool) -> np.ndarray:
    """Parse a whole file held in memory; `copy` when `data` must not be aliased."""
    if data[:2] == _GZIP_MAGIC:
        return _read_gzip(name, data)
    cursor = _Cursor(data)
    dtype, shape, hlen = _parse_header(name, cursor.read)
    nbytes = _payload_bytes(name, shape, dtype)
    if len(data) - hlen != nbytes:
        raise IdxFormatError(_size_message(name, len(data) - hlen, shape, dtype, nbytes))
    out = np.frombuffer(data, np.uint8, count=nbytes, offset=hlen)
    if copy or not out.flags.writeable:
        out = out.copy()
    return _finish(out, dtype, shape)


def _read_gzip(name: str, data: memoryview) -> np.ndarray:
    inflater = _Inflater(name, data)
    dtype, shape, _hlen = _parse_header(name, inflater.read)
    nbytes = _payload_bytes(name, shape, dtype)
    bound = _DEFLATE_MAX_RATIO * len(data) + 1024
    if nbytes > bound:
        raise IdxFormatError(
            _(
                "{name}: header {shape} of {dtype} needs {nbytes} bytes, more than a gzip stream "
                "of {gz_bytes} bytes can inflate to (at most about {bound})"
            ).format(
                name=name,
                shape=shape,
                dtype=dtype.name,
                nbytes=nbytes,
                gz_bytes=len(data),
                bound=bound,
            )
        )
    _check_max(name, shape, dtype, nbytes)
    # np.empty commits memory only as it is written, so a lying header costs nothing.
    out = np.empty(nbytes, np.uint8)
    got = inflater.readinto(memoryview(out))
    if got < nbytes:
        raise IdxFormatError(_size_message(name, got, shape, dtype, nbytes))
    if inflater.read(1):
        raise IdxFormatError(
            _(
                "{name}: payload inflates to more than {nbytes} bytes, header {shape} of {dtype} "
                "needs {nbytes}"
            ).format(name=name, nbytes=nbytes, shape=shape, dtype=dtype.name)
        )
    return _finish(out, dtype, shape)


def _parse_header(name: str, read) -> tuple[np.dtype, tuple[int, ...], int]:
    """Read and check the magic number and dimensions; `read(n)` gives up to n bytes."""
    magic = read(4)
    if not magic:
        raise IdxFormatError(_("{name}: empty file, expected an IDX header").format(name=name))
    if len(magic) < 4:
        raise IdxFormatError(
            _(
                "{name}: file has {file_bytes} bytes, too short for an IDX magic number (4 bytes)"
            ).format(name=name, file_bytes=len(magic))
        )
    if magic[0] or magic[1]:
        raise IdxFormatError(
            _(
                "{name}: first two bytes are {byte0:02x} {byte1:02x}, an IDX file starts with "
                "00 00 (or 1f 8b when gzipped)"
            ).format(name=name, byte0=magic[0], byte1=magic[1])
        )
    code, ndim = magic[2], magic[3]
    if code not in TYPE_CODES:
        raise IdxFormatError(
            _("{name}: unknown type code 0x{code:02X}, expected one of {supported}").format(
                name=name, code=code, supported=_SUPPORTED
            )
        )
    if ndim == 0:
        raise IdxFormatError(
            _("{name}: header declares 0 dimensions, expected 1 to 255").format(name=name)
        )
    raw = read(4 * ndim)
    if len(raw) < 4 * ndim:
        raise IdxFormatError(
            _(
                "{name}: header declares {ndim} dimensions ({header_bytes} header bytes) but the "
                "file has only {file_bytes} bytes"
            ).format(name=name, ndim=ndim, header_bytes=4 + 4 * ndim, file_bytes=4 + len(raw))
        )
    if ndim > _NUMPY_MAX_NDIM:
        raise IdxFormatError(
            _(
                "{name}: header declares {ndim} dimensions, more than a numpy array can hold "
                "({max_ndim})"
            ).format(name=name, ndim=ndim, max_ndim=_NUMPY_MAX_NDIM)
        )
    shape = tuple(int.from_bytes(raw[i : i + 4], "big") for i in range(0, 4 * ndim, 4))
    return TYPE_CODES[code], shape, 4 + 4 * ndim


def _payload_bytes(name: str, shape: tuple[int, ...], dtype: np.dtype) -> int:
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > sys.maxsize:
        raise IdxFormatError(
            _(
                "{name}: header dimensions {shape} of {dtype} multiply to {nbytes} bytes, beyond "
                "any array (at most {maxsize})"
            ).format(name=name, shape=shape, dtype=dtype.name, nbytes=nbytes, maxsize=sys.maxsize)
        )
    return nbytes


def _check_max(name: str, shape: tuple[int, ...], dtype: np.dtype, nbytes: int) -> None:
    """A stream (gzip, a file object) whose header asks for more than MAX_IDX_BYTES."""
    if nbytes > MAX_IDX_BYTES:
        raise IdxFormatError(
            f"{name}: header dimensions {shape} of {dtype.name} need {nbytes:,} bytes, more "
            f"than fcnet reads from one IDX file ({MAX_IDX_BYTES:,})"
        )


def _size_message(name: str, have: int, shape, dtype: np.dtype, nbytes: int) -> str:
    return _("{name}: payload has {have} bytes, header {shape} of {dtype} needs {nbytes}").format(
        name=name, have=have, shape=shape, dtype=dtype.name, nbytes=nbytes
    )


def _finish(buf: np.ndarray, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """View the uint8 payload `buf` (owned, writable) as `dtype`, native byte order, `shape`."""
    arr = buf.view(dtype)
    if not dtype.isnative:
        arr.byteswap(inplace=True)
        arr = arr.view(dtype.newbyteorder("="))
    return arr.reshape(shape)


class _Cursor:
    """read(n) over a buffer."""

    def __init__(self, data: memoryview):
        self._data, self._pos = data, 0

    def read(self, n: int) -> bytes:
        chunk = bytes(self._data[self._pos : self._pos + n])
        self._pos += len(chunk)
        return chunk


class _Inflater:
    """Incremental gzip inflation with bounded output (members may be concatenated).

    The compressed data is fed in slices of `_IN_CHUNK` bytes, so zlib's copy of the
    unconsumed input (`unconsumed_tail`) stays small.
    """

    def __init__(self, name: str, data: memoryview):
        self._name = name
        self._data, self._pos = data, 0  # compressed input not yet given to zlib
        self._pending: bytes = b""  # input given to zlib but left unconsumed
        self._d = zlib.decompressobj(wbits=31)

    def readinto(self, view: memoryview) -> int:
        """Fill `view` as far as the stream goes; return the number of bytes written."""
        got = 0
        while got < len(view):
            chunk = self._next(min(len(view) - got, _CHUNK))
            if not chunk:
                break
            view[got : got + len(chunk)] = chunk
            got += len(chunk)
        return got

    def read(self, n: int) -> bytes:
        """Up to `n` bytes (fewer only at the end of the stream)."""
        out = io.BytesIO()
        while out.tell() < n:
            chunk = self._next(n - out.tell())
            if not chunk:
                break
            out.write(chunk)
        return out.getvalue()

    def _next(self, limit: int) -> bytes:
        """At most `limit` (> 0) inflated bytes; b"" only at the clean end of the data."""
        while True:
            if self._d.eof:
                rest = self._d.unused_data
                left = len(rest) + len(self._data) - self._pos
                if not left:
                    return b""
                if (rest + bytes(self._data[self._pos : self._pos + 2]))[:2] != _GZIP_MAGIC:
                    raise IdxFormatError(
                        _("{name}: {left} bytes of trailing garbage after the gzip stream").format(
                            name=self._name, left=left
                        )
                    )
                self._d, self._pending = zlib.decompressobj(wbits=31), rest
            if self._pending:
                data, self._pending = self._pending, b""
            else:
                data = self._data[self._pos : self._pos + _IN_CHUNK]
                self._pos += len(data)
            try:
                chunk = self._d.decompress(data, limit)
            except zlib.error as exc:
                raise IdxFormatError(
                    _("{name}: corrupt gzip stream ({exc})").format(name=self._name, exc=exc)
                ) from None
            self._pending = self._d.unconsumed_tail
            if chunk:
                return chunk
            if not self._d.eof and not self._pending and self._pos >= len(self._data):
                raise IdxFormatError(_("{name}: truncated gzip stream").format(name=self._name))
