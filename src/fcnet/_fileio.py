"""Every file fcnet reads or writes goes through here: bounded reads, atomic writes.

Reads: `read_bytes`/`read_text`/`load_json`/`load_toml`/`load_npz` open only regular
files (a FIFO, a device or a folder is refused by its `stat` type, before any read, so
`/dev/zero` or a pipe cannot hang or fill memory), refuse a file over a size bound, and
refuse JSON/TOML nested deeper than `MAX_DEPTH`. Every refusal is a `FileError`
(a ValueError: one line, exit code 2 on the CLI) naming the file and what is wrong.
With `inside=FOLDER` (the studio reading a run folder it does not trust) a file must also
sit directly in FOLDER, a link leading elsewhere is refused, and messages name the file
relative to FOLDER.

Writes: `atomic_write` renames a finished temporary file over the target, so a reader
sees the old file or the new one, never half of one. The new file gets the mode a plain
`open()` would give it (0666 less the umask; an existing file keeps its own), not
mkstemp's 0600. `atomic_path` does the same for a library that writes by file name
(Keras). Temporary files are named `.NAME.fcnet-PID-XXXX.tmp` (plus the suffix such a
library insists on); one left behind by a killed process is removed by the next atomic
write in the same folder.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from fcnet.i18n import N_
from fcnet.i18n import gettext as _

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
MAX_TEXT = 16 * MiB  # a config, run.json, result.json, CSV header line ...
MAX_DEPTH = 64  # nesting of JSON/TOML objects and arrays (a NetSpec needs 4)
MAX_NPZ_MEMBER = 4 * GiB  # one array of a model or checkpoint, uncompressed


class FileError(ValueError):
    """A file fcnet was asked to read is not one it can read safely: the message says why."""


# ----- reading ------------------------------------------------------------------------------


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return N_("a folder")
    if stat.S_ISFIFO(mode):
        return N_("a FIFO (named pipe)")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return N_("a device")
    if stat.S_ISSOCK(mode):
        return N_("a socket")
    return N_("not a regular file")


def _size(n: int) -> str:
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def resolve_inside(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> Path:
    """`path` resolved; a FileError when it, or a link on its way, leads out of `folder`
    (the file must sit directly in it)."""
    resolved = Path(path).resolve()
    if resolved.parent != Path(folder).resolve():
        raise FileError(
            _("{name}: a link leading out of its folder; refused").format(name=Path(path).name)
        )
    return resolved


def shown_name(path: str | os.PathLike[str], inside: str | os.PathLike[str] | None) -> str:
    """How messages name `path`: in full, or by its name inside `inside`."""
    return Path(path).name if inside is not None else os.fspath(path)


@contextlib.contextmanager
def open_regular(
    path: str | os.PathLike[str],
    limit: int,
    what: str = N_("file"),
    inside: str | os.PathLike[str] | None = None,
) -> Iterator[IO[bytes]]:
    """Open `path` for reading if it is a regular file of at most `limit` bytes.

    The type is checked on the open descriptor (O_NONBLOCK: opening a FIFO does not wait
    for a writer), so a file swapped for a pipe after a check cannot slip through.
    inside: the folder the file must sit in (see `resolve_inside`); the resolved file is
    then opened without following a link, and an open that fails is a FileError too.
    """
    name = shown_name(path, inside)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if inside is not None:
        path = resolve_inside(path, inside)
        try:
            fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))
        except OSError as exc:
            raise FileError(
                _("{name}: cannot be read ({strerror})").format(name=name, strerror=exc.strerror)
            ) from None
    else:
        fd = os.open(os.fspath(path), flags)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode) and inside is None:
            raise IsADirectoryError(
                errno.EISDIR, _("is a folder, expected a {what}").format(what=_(what)), name
            )
        if not stat.S_ISREG(st.st_mode):
            raise FileError(
                _("{name}: is {kind}, expected a regular {what}").format(
                    name=name, kind=_(_kind(st.st_mode)), what=_(what)
                )
            )
        if st.st_size > limit:
            raise FileError(
                _("{name}: {size}, more than a {what} may have ({limit})").format(
                    name=name, size=_size(st.st_size), what=_(what), limit=_size(limit)
                )
            )
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with fh:
        yield fh


def read_bytes(
    path: str | os.PathLike[str],
    limit: int = MAX_TEXT,
    what: str = N_("file"),
    inside: str | os.PathLike[str] | None = None,
) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (FileError otherwise)."""
    with open_regular(path, limit, what, inside) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:  # it grew while being read
        raise FileError(
            _("{name}: more than a {what} may have ({limit})").format(
                name=shown_name(path, inside), what=_(what), limit=_size(limit)
            )
        )
    return data


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 (a BOM is dropped) or a FileError naming the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileError(
            _(
                "{source}: not UTF-8 text (byte 0x{byte} at offset {offset}); save it as UTF-8"
            ).format(source=source, byte=f"{data[exc.start]:02x}", offset=exc.start)
        ) from None


def read_text(
    path: str | os.PathLike[str],
    limit: int = MAX_TEXT,
    what: str = N_("file"),
    inside: str | os.PathLike[str] | None = None,
) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes."""
    return decode_text(read_bytes(path, limit, what, inside), shown_name(path, inside))


# JSON strings, found in two linear passes (one regex with alternation backtracks over an
# unterminated string of escaped quotes in quadratic time): escapes first (each two bytes,
# so a quote after a backslash is no quote), then the strings left.
_JSON_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_JSON_STRING = re.compile(rb'"[^"]*"')
_TOML_STRING = re.compile(
    rb'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'', re.DOTALL
)


def _bracket_depth(text: str, strings: re.Pattern[bytes]) -> int:
    """The deepest nesting of [ and { outside strings (linear time, no recursion)."""
    data = text.encode("utf-8", "surrogatepass")
    if strings is _JSON_STRING:
        data = _JSON_ESCAPE.sub(b"__", data)
    data = strings.sub(b"", data)
    if not data:
        return 0
    a = np.frombuffer(data, dtype=np.uint8)
    step = np.isin(a, (0x5B, 0x7B)).astype(np.int32) - np.isin(a, (0x5D, 0x7D)).astype(np.int32)
    return int(np.cumsum(step).max(initial=0))


def _dotted_depth(text: str) -> int:
    """The most dots on one line outside strings: a TOML key `a.b.c` nests as deep as it has
    parts (tomllib takes quadratic time over a very long one)."""
    data = _TOML_STRING.sub(b"", text.encode("utf-8", "surrogatepass"))
    return max((line.count(b".") for line in data.split(b"\n")), default=0)


def _nested() -> str:
    """The one message of the five depth checks."""
    return _("{source}: nested more than {max_depth} levels deep")


def check_depth(obj: Any, source: str, max_depth: int = MAX_DEPTH) -> Any:
    """`obj` if its lists/dicts nest at most `max_depth` deep (checked without recursion)."""
    stack = [(obj, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children = list(item.values())
        elif isinstance(item, list | tuple):
            children = list(item)
        else:
            continue
        if depth > max_depth:
            raise FileError(_nested().format(source=source, max_depth=max_depth))
        stack.extend((c, depth + 1) for c in children)
    return obj


def parse_json(text: str, source: str, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads with a nesting bound; a FileError names `source` and the line."""
    if _bracket_depth(text, _JSON_STRING) > max_depth:
        raise FileError(_nested().format(source=source, max_depth=max_depth))
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileError(
            _("{source}: not valid JSON ({error} at line {line})").format(
                source=source, error=exc.msg, line=exc.lineno
            )
        ) from None
    except RecursionError:
        raise FileError(_nested().format(source=source, max_depth=max_depth)) from None
    except ValueError:  # an integer of more than 4300 digits (int's string limit)
        raise FileError(
            _("{source}: a number too large for float64 (at most about 1.8e308)").format(
                source=source
            )
        ) from None
    return check_depth(obj, source, max_depth)


def parse_toml(text: str, source: str, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """tomllib.loads with a nesting bound; a FileError names `source`."""
    import tomllib

    if _bracket_depth(text, _TOML_STRING) > max_depth or _dotted_depth(text) > max_depth:
        raise FileError(_nested().format(source=source, max_depth=max_depth))
    try:
        obj = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FileError(
            _("{source}: not valid TOML ({error})").format(
                source=source, error=" ".join(str(exc).split())
            )
        ) from None
    except RecursionError:
        raise FileError(_nested().format(source=source, max_depth=max_depth)) from None
    return check_depth(obj, source, max_depth)


def load_json(
    path: str | os.PathLike[str],
    limit: int = MAX_TEXT,
    what: str = N_("file"),
    inside: str | os.PathLike[str] | None = None,
) -> Any:
    """A bounded, depth-checked JSON file."""
    return parse_json(read_text(path, limit, what, inside), shown_name(path, inside))


def load_npz(
    path: str | os.PathLike[str],
    what: str = N_("file"),
    small: Mapping[str, int] | None = None,
    member_limit: int = MAX_NPZ_MEMBER,
    *,
    keys: Collection[str] | None = None,
    total_limit: int | None = None,
    inside: str | os.PathLike[str] | None = None,
) -> dict[str, np.ndarray]:
    """The arrays of a regular `.npz` file, no pickle, each size checked before it is read.

    small: bounds for named members (e.g. {"__spec__": 1 MiB}); every other member may hold
    up to `member_limit` bytes uncompressed, and all of them together `total_limit` (None:
    no bound of their own). keys: read only these members (those present). inside: see
    `open_regular`. A damaged archive is a FileError.
    """
    name = shown_name(path, inside)
    small = dict(small or {})
    try:
        with open_regular(path, member_limit * 4, what, inside) as fh:
            with zipfile.ZipFile(fh) as zf:
                sizes = _npz_sizes(zf, name, what, small, member_limit, total_limit)
                fh.seek(0)
                with np.load(fh, allow_pickle=False) as z:
                    wanted = [k for k in z.files if keys is None or k in keys]
                    return {k: z[k] for k in wanted if k in sizes}
    except (FileError, FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (
        OSError,
        ValueError,
        EOFError,
        KeyError,
        zipfile.BadZipFile,
        RuntimeError,
        zlib.error,
        MemoryError,
    ) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise FileError(
            _("{name}: not a readable .npz {what} ({detail})").format(
                name=name, what=_(what), detail=detail
            )
        ) from None


def _npz_sizes(
    zf: zipfile.ZipFile,
    name: str,
    what: str,
    small: Mapping[str, int],
    member_limit: int,
    total_limit: int | None,
) -> dict[str, int]:
    """{array: bytes} of an open npz, from the zip's declared sizes and each .npy header
    (zipfile never inflates a member past its declared size); a FileError over a bound."""
    total = sum(info.file_size for info in zf.infolist())
    if total_limit is not None and total > total_limit:
        raise FileError(
            _("{name}: its arrays hold {size}, more than a {what} may have ({limit})").format(
                name=name, size=_size(total), what=_(what), limit=_size(total_limit)
            )
        )
    sizes: dict[str, int] = {}
    for info in zf.infolist():
        key = info.filename.removesuffix(".npy")
        limit = small.get(key, member_limit)
        if info.file_size > limit:  # refused before a byte of it is inflated
            claimed = info.file_size
        else:
            with zf.open(info) as member:
                claimed = _npy_nbytes(member)
        if max(info.file_size, claimed) > limit:
            raise FileError(
                _("{name}: array {key} holds {size}, more than a {what} may have ({limit})").format(
                    name=name,
                    key=repr(key),
                    size=_size(max(info.file_size, claimed)),
                    what=_(what),
                    limit=_size(limit),
                )
            )
        if claimed > info.file_size:
            raise FileError(
                _(
                    "{name}: array {key} claims {claimed} but holds {size} (truncated or damaged)"
                ).format(
                    name=name,
                    key=repr(key),
                    claimed=_size(claimed),
                    size=_size(info.file_size),
                )
            )
        sizes[key] = claimed
    return sizes


def _npy_nbytes(fh: IO[bytes]) -> int:
    """The bytes a .npy member's header says its data holds (read from the header alone)."""
    from numpy.lib import format as npy

    version = npy.read_magic(fh)
    if version == (1, 0):
        shape, _order, dtype = npy.read_array_header_1_0(fh)
    elif version in ((2, 0), (3, 0)):
        shape, _order, dtype = npy.read_array_header_2_0(fh)
    else:
        raise ValueError(_("unsupported .npy version {version}").format(version=version))
    if dtype.hasobject:
        raise ValueError(_("object arrays need pickle, which fcnet never loads"))
    return int(np.prod(shape, dtype=object)) * dtype.itemsize


def scalar_text(arrays: Mapping[str, np.ndarray], key: str, source: str) -> str:
    """The string held by 0-d array `key` (e.g. "__spec__"), or a FileError."""
    a = arrays.get(key)
    if a is None:
        raise FileError(_("{source}: has no {key} entry").format(source=source, key=repr(key)))
    if a.shape != () or a.dtype.kind != "U":
        raise FileError(
            _("{source}: {key} is not a text entry (shape {shape}, {dtype})").format(
                source=source, key=repr(key), shape=a.shape, dtype=a.dtype
            )
        )
    return str(a)


# ----- writing ------------------------------------------------------------------------------


STALE_SECONDS = 3600.0  # a dead writer's temporary older than this is removed
_TMP = re.compile(r"^\..+\.fcnet-(\d+)-[a-z0-9_]+\.tmp(?:\.[a-z0-9]+)*$")


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove `.NAME.fcnet-PID-XXXX.tmp[.SUFFIX]` files whose writing process is gone and
    that are older than `STALE_SECONDS`: what a killed atomic write leaves. The age guards a
    folder shared between machines, where the PID is another machine's. Returns what was
    removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _TMP.match(entry.name)
        if m is None or not entry.is_file(follow_symlinks=False):
            continue
        pid = int(m.group(1))
        if pid == os.getpid() or _alive(pid):
            continue
        try:  # a recent one may be another machine's write in progress (a shared folder)
            if time.time() - entry.stat(follow_symlinks=False).st_mtime < STALE_SECONDS:
                continue
        except OSError:
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def umask() -> int:
    """The process's umask, read without changing it (Linux: /proc/self/status).

    Elsewhere it is set and put back at once, under a lock (the only way POSIX offers).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


_UMASK_LOCK = threading.Lock()


def _new_file_mode(path: Path) -> int:
    """The mode `open(path, "w")` would leave: an existing file's own, else 0666 & ~umask."""
    try:
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    except OSError:
        pass
    return 0o666 & ~umask()


def _temporary(path: Path, suffix: str) -> tuple[int, str]:
    """A new temporary file beside `path` (fd, name), with the mode `path` would get."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.fcnet-{os.getpid()}-", suffix=suffix, dir=path.parent
    )
    with contextlib.suppress(OSError):  # a file system without modes keeps its own
        os.fchmod(fd, _new_file_mode(path))
    return fd, tmp


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside `path`; on success fsync it and rename it over `path`.

    On any exception the temporary file is removed and `path` is left as it was.
    """
    path = Path(path)
    fd, tmp = _temporary(path, ".tmp")
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """`atomic_write` for a library that writes by file name (Keras's `save_weights`): the
    name of an empty temporary file beside `path`, ending `.tmp` + `suffix`, with the mode
    `path` would get; on success it is fsynced and renamed over `path`, on any exception
    removed (`path` is left as it was)."""
    path = Path(path)
    fd, tmp = _temporary(path, ".tmp" + suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_write(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))
