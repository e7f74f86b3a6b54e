"""Bounded, regular-file-only reads of the files in a run folder (the studio trusts none).

Every file the studio reads from the runs folder comes through here: it must be a regular
file (FIFOs and devices are refused by `stat` type before a byte is read, and opening never
blocks), stay inside its run (a link leading out is refused), and be at most a given size;
JSON is refused when nested deeper than `MAX_JSON_DEPTH` before it is parsed, and a model's
npz members are bounded by their declared size before anything is decompressed.
A refusal is a `RunFileError` (a ValueError) whose message names the file and the problem.

(The CLI's own bounded reader lives in `fcnet._fileio` on another branch; the two can be
unified.)
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from fcnet.i18n import gettext as _

MAX_JSON_DEPTH = 64
# A model.npz the studio loads: its members may hold at most this many bytes in all.
MAX_MODEL_BYTES = 256 * 1024 * 1024
# The spec JSON inside a model.npz (a few hundred bytes in practice).
MAX_SPEC_BYTES = 1024 * 1024
# Escapes first (each two bytes, so a quote after a backslash is no quote), then strings:
# both scans are linear, whatever the text (no backtracking on unterminated strings).
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
    stat.S_IFLNK: "a link",
}


class RunFileError(ValueError):
    """A file of a run folder the studio will not read; the message says which and why."""


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def check_inside(path: Path, folder: Path) -> Path:
    """`path` resolved; RunFileError when it is a link (or in a folder) leading out of `folder`."""
    resolved = path.resolve()
    if resolved.parent != folder.resolve():
        raise RunFileError(
            _("{name}: a link leading out of the run; refused").format(name=path.name)
        )
    return resolved


def open_regular(path: Path, limit: int | None) -> int:
    """A file descriptor of `path`, a regular file of at most `limit` bytes (None: any).

    Opened without following a final link and without blocking (a FIFO with no writer
    would otherwise hold the thread forever); the type is checked on the open file.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise RunFileError(
            _("{name}: cannot be read ({strerror})").format(name=path.name, strerror=exc.strerror)
        ) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise RunFileError(
                _("{name}: is {kind_st_st_mode}, not a regular file").format(
                    name=path.name, kind_st_st_mode=_kind(st.st_mode)
                )
            )
        if limit is not None and st.st_size > limit:
            raise RunFileError(
                _("{name}: holds {st_size} bytes; expected at most {limit} bytes").format(
                    name=path.name, st_size=st.st_size, limit=limit
                )
            )
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(path: Path, limit: int, inside: Path | None = None) -> bytes:
    """At most `limit` bytes of the regular file `path` (RunFileError for anything else)."""
    if inside is not None:
        path = check_inside(path, inside)
    fd = open_regular(path, limit)
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(limit + 1)  # the file may have grown since fstat
    if len(data) > limit:
        raise RunFileError(
            _("{name}: holds more than {limit} bytes; expected at most that").format(
                name=path.name, limit=limit
            )
        )
    return data


def json_depth(data: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (strings are skipped)."""
    stripped = _STRING.sub(b'""', _ESCAPE.sub(b"__", data))
    codes = np.frombuffer(stripped, dtype=np.uint8)
    steps = np.isin(codes, (ord("["), ord("{"))).astype(np.int64)
    steps -= np.isin(codes, (ord("]"), ord("}")))
    return int(np.cumsum(steps).max(initial=0))


def parse_json(data: bytes, name: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value in `data`; RunFileError naming `name` when it is not JSON or too deep."""
    depth = json_depth(data)
    if depth > max_depth:
        raise RunFileError(
            _("{name}: nested {depth} levels deep; expected at most {max_depth}").format(
                name=name, depth=depth, max_depth=max_depth
            )
        )
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise RunFileError(_("{name}: not UTF-8 text").format(name=name)) from None
    except (ValueError, RecursionError) as exc:
        raise RunFileError(_("{name}: not JSON ({exc})").format(name=name, exc=exc)) from None


def read_json(path: Path, limit: int, inside: Path | None = None) -> Any:
    """The JSON value of a bounded regular file (see `read_bytes`, `parse_json`)."""
    return parse_json(read_bytes(path, limit, inside), path.name)


@contextlib.contextmanager
def open_npz(
    path: Path, limit: int = MAX_MODEL_BYTES, inside: Path | None = None
) -> Iterator[tuple[zipfile.ZipFile, dict[str, int]]]:
    """(zip, {member: declared size}) of an npz whose members hold at most `limit` bytes.

    zipfile never inflates a member past its declared size, so the declared sizes bound
    what reading it can cost.
    """
    if inside is not None:
        path = check_inside(path, inside)
    with os.fdopen(open_regular(path, None), "rb") as fh:
        try:
            zf = zipfile.ZipFile(fh)
        except Exception as exc:  # BadZipFile, OSError, ValueError, EOFError, ...
            raise RunFileError(
                _("{name}: not a readable npz file ({exc})").format(name=path.name, exc=exc)
            ) from None
        with zf:
            sizes = {info.filename: info.file_size for info in zf.infolist()}
            total = sum(sizes.values())
            if total > limit:
                raise RunFileError(
                    _(
                        "{name}: its arrays hold {total} bytes; expected at most {limit} bytes"
                    ).format(name=path.name, total=total, limit=limit)
                )
            yield zf, sizes


def read_model_spec(path: Path, inside: Path | None = None) -> dict[str, Any]:
    """The spec stored in a portable model .npz (member `__spec__`), read within bounds."""
    with open_npz(path, inside=inside) as (zf, sizes):
        member = "__spec__.npy"
        if member not in sizes:
            raise RunFileError(
                _("{name}: has no __spec__ (not an fcnet model)").format(name=path.name)
            )
        if sizes[member] > MAX_SPEC_BYTES:
            raise RunFileError(
                _(
                    "{name}: __spec__ holds {sizes_member} bytes; expected at most "
                    "{MAX_SPEC_BYTES} bytes"
                ).format(name=path.name, sizes_member=sizes[member], MAX_SPEC_BYTES=MAX_SPEC_BYTES)
            )
        try:
            with zf.open(member) as fh:
                raw = np.lib.format.read_array(
                    io.BytesIO(fh.read(MAX_SPEC_BYTES + 1)), allow_pickle=False
                )
        except Exception as exc:  # zlib, zipfile and numpy each raise their own kinds
            raise RunFileError(
                _("{name}: __spec__ is not a readable array ({exc})").format(
                    name=path.name, exc=exc
                )
            ) from None
    if raw.dtype.kind == "U" and raw.size <= 1:
        text = str(raw.reshape(-1)[0]) if raw.size else ""
        data = text.encode("utf-8", "surrogatepass")
    elif raw.dtype.kind == "U":
        data = "".join(raw.reshape(-1).tolist()).encode("utf-8", "surrogatepass")
    elif (raw.dtype.kind in "uiS" and raw.dtype.itemsize == 1) or raw.dtype.kind == "S":
        data = raw.tobytes()
    else:
        raise RunFileError(
            _("{name}: __spec__ is a {dtype} array, not text").format(
                name=path.name, dtype=raw.dtype
            )
        )
    spec = parse_json(data, f"{path.name} __spec__")
    if not isinstance(spec, dict):
        raise RunFileError(_("{name}: __spec__ is not a JSON object").format(name=path.name))
    return spec
