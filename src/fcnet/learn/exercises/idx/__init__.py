"""Exercise `idx`: read MNIST's IDX files, as the course text does, but fast and checked.

An IDX file: a magic number 00 00 08 <ndim> (0x00000803 for images, 0x00000801 for
labels), then ndim big-endian uint32 counts, then the bytes; the images start at byte 16.
The checks compare with fcnet's reader (`fcnet.data.idx.read_idx`) on the real MNIST
files (decompressed to a temporary folder) and on files the checker writes.
"""

from __future__ import annotations

import atexit
import gzip
import os
import shutil
import struct
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from fcnet.data.idx import idx_header, read_idx
from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.core import Check, CheckFailed, Exercise, Student, StudentError
from fcnet.learn.diff import compare

_ENDIAN = N_(
    "IDX's integers are big-endian (MSB first): the bytes 00 00 27 10 are 10000, "
    "read them with struct '>I' or np.dtype('>u4')"
)
_FROM_HEADER = N_(
    "read the count, rows and columns from the header (bytes 4-15), never a constant "
    "like 784 or 28: the checks also use files of other sizes"
)
_CHECKED = N_(
    "check the magic number (0x00000803 images, 0x00000801 labels), that the header is "
    "complete and that the file holds exactly the header's count of bytes, and raise "
    "ValueError otherwise"
)
_tmp: dict[str, Path] = {}
_lock = threading.Lock()


def _folder() -> Path:
    """The checker's folder of IDX files (MNIST decompressed, the files the checks write):
    the one folder the learner's sandboxed code may read."""
    with _lock:
        if "dir" not in _tmp:
            _tmp["dir"] = Path(tempfile.mkdtemp(prefix="fcnet-idx-"))
            os.chmod(_tmp["dir"], 0o755)
            atexit.register(shutil.rmtree, _tmp["dir"], True)
        return _tmp["dir"]


def _readable() -> tuple[str, ...]:
    return (str(_folder()),)


def _raw(stem: str) -> Path:
    """The shipped data/mnist/STEM.gz, decompressed once into the checker's folder."""
    if stem in _tmp:
        return _tmp[stem]
    from fcnet.data.mnist import shipped_root

    src = shipped_root() / f"{stem}.gz"
    if not src.is_file():
        raise CheckFailed(
            _("MNIST is missing ({src}): run `fcnet data download` first").format(src=src)
        )
    out = _folder() / stem
    part = out.with_name(f".{stem}.{os.getpid()}.{threading.get_ident()}")
    with gzip.open(src) as fh, open(part, "wb") as dst:
        shutil.copyfileobj(fh, dst, 1 << 20)
    os.replace(part, out)
    _tmp[stem] = out
    return out


def _swapped(got: tuple[int, ...], want: tuple[int, ...]) -> bool:
    """A first count read little-endian (00 00 27 10 as 0x10270000)."""
    return (
        bool(got) and bool(want) and got[0] == int.from_bytes(want[0].to_bytes(4, "big"), "little")
    )


def _result(value, what: str, expected: np.ndarray, where: str) -> None:
    if isinstance(value, tuple):
        raise CheckFailed(
            _(
                "{what} returns a tuple on {where}: return only the array (the course text's "
                "loader also returns the header)"
            ).format(what=what, where=where),
            tag="idx_returns_tuple",
        )
    if not isinstance(value, np.ndarray):
        raise CheckFailed(
            _("{what} returns a {type} on {where}, expected a numpy array").format(
                what=what, type=getattr(value, "type", type(value).__name__), where=where
            ),
            tag="idx_not_array",
        )
    if value.shape != expected.shape:
        raise CheckFailed(
            _("{what} returns shape {shape} on {where}, expected {shape2}").format(
                what=what, shape=value.shape, where=where, shape2=expected.shape
            )
            + (" = (N, rows*cols)" if expected.ndim == 2 else " = (N,)")
            + "; "
            + (_(_ENDIAN) if _swapped(value.shape, expected.shape) else _(_FROM_HEADER)),
            tag="idx_little_endian" if _swapped(value.shape, expected.shape) else "idx_shape",
        )
    if value.dtype != np.uint8:
        raise CheckFailed(
            _(
                "{what} returns {dtype} on {where}, expected uint8: one byte per pixel or label, "
                "as in the file (np.frombuffer(data, np.uint8, offset=...) keeps them so; {dtype} "
                "takes {itemsize}x the memory)"
            ).format(what=what, dtype=value.dtype, where=where, itemsize=value.dtype.itemsize),
            tag="idx_not_uint8",
        )
    if not np.array_equal(value, expected):
        bad = np.argwhere(value != expected)[0]
        raise CheckFailed(
            _(
                "{what} returns wrong values on {where}, first at {index}: "
                "{value}, expected {expected} (do the data start after "
                "the header: byte 16 for images, 8 for labels?)"
            ).format(
                what=what,
                where=where,
                index=tuple(int(i) for i in bad),
                value=int(value[tuple(bad)]),
                expected=int(expected[tuple(bad)]),
            ),
            tag="idx_values",
            diff=compare(what, value, expected, rtol=0, atol=0),
        )


def _load(student: Student, name: str, path: Path, where: str):
    try:
        return student.call(name, str(path))
    except StudentError as exc:
        why = _FROM_HEADER if "cannot reshape" in exc.message else _ENDIAN
        raise CheckFailed(
            _("{message} on {where}; {endian}").format(
                message=exc.message, where=where, endian=_(why)
            ),
            tag="idx_raised",
        ) from None


def check_mnist_labels(student: Student) -> str:
    for stem in ("t10k-labels-idx1-ubyte", "train-labels-idx1-ubyte"):
        path = _raw(stem)
        _result(_load(student, "load_labels", path, stem), "load_labels", read_idx(path), stem)
    return _("equal to fcnet's reader on MNIST's test and training labels")


def check_mnist_images(student: Student) -> str:
    for stem in ("t10k-images-idx3-ubyte", "train-images-idx3-ubyte"):
        path = _raw(stem)
        expected = read_idx(path)
        expected = expected.reshape(len(expected), -1)
        _result(_load(student, "load_images", path, stem), "load_images", expected, stem)
    return _("equal to fcnet's reader on MNIST's test and training images")


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def check_other_sizes(student: Student) -> str:
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory(prefix="case-", dir=_folder()) as tmp:
        os.chmod(tmp, 0o755)
        folder = Path(tmp)
        for shape in ((7, 5, 3), (1, 28, 28), (300, 2, 2)):
            a = rng.integers(0, 256, shape, dtype=np.uint8)
            path = _write(folder, "images", idx_header(a) + a.tobytes())
            where = _("a file of {n} images of {rows}x{cols}").format(
                n=shape[0], rows=shape[1], cols=shape[2]
            )
            _result(
                _load(student, "load_images", path, where),
                "load_images",
                a.reshape(shape[0], -1),
                where,
            )
        for n in (1, 7, 300):
            a = rng.integers(0, 256, n, dtype=np.uint8)
            path = _write(folder, "labels", idx_header(a) + a.tobytes())
            where = _("a file of {n} labels").format(n=n)
            _result(_load(student, "load_labels", path, where), "load_labels", a, where)
    return _("images of 7x5x3, 1x28x28, 300x2x2 and 1, 7, 300 labels")


def _malformed_images() -> list[tuple[str, bytes]]:
    a = np.arange(10 * 4 * 3, dtype=np.uint8).reshape(10, 4, 3)
    good = idx_header(a) + a.tobytes()
    dims = good[4:16]
    return [
        (N_("data one image short"), good[:-12]),
        (N_("one image of extra bytes after the data"), good + bytes(12)),
        (N_("a labels magic number 0x00000801 in an images file"), b"\0\0\x08\x01" + good[4:]),
        (N_("a PNG file (magic 89 50 4e 47)"), b"\x89PNG\r\n\x1a\n" + good[8:]),
        (N_("a header cut off after 10 bytes"), good[:10]),
        (N_("data 5 bytes short"), good[:-5]),
        (N_("5 extra bytes after the data"), good + bytes(5)),
        (
            N_("counts that disagree: the header says 10 images of 4x3, the data hold 10 of 4x4"),
            good[:16] + bytes(10 * 16),
        ),
        (N_("a magic number 0x00000802 (2 dimensions, not 3)"), b"\0\0\x08\x02" + dims + good[16:]),
        (N_("an empty file"), b""),
        (N_("type code 0x0d (float32), not 0x08 (unsigned byte)"), b"\0\0\x0d\x03" + good[4:]),
        (N_("type code 0x0b (int16), not 0x08 (unsigned byte)"), b"\0\0\x0b\x03" + good[4:]),
        (
            N_("a magic number 01 00 08 03 (its first bytes are not zero)"),
            b"\x01\0\x08\x03" + good[4:],
        ),
        (
            N_("a magic number 0x00000804 (4 dimensions: 10 images of 1x4x3)"),
            b"\0\0\x08\x04" + struct.pack(">IIII", 10, 1, 4, 3) + good[16:],
        ),
    ]


def _malformed_labels() -> list[tuple[str, bytes]]:
    a = np.arange(10, dtype=np.uint8)
    good = idx_header(a) + a.tobytes()
    images = np.zeros((10, 2, 2), np.uint8)
    return [
        (
            N_("an images file (magic 0x00000803) given as labels"),
            idx_header(images) + images.tobytes(),
        ),
        (N_("a header cut off after 6 bytes"), good[:6]),
        (N_("data 3 labels short"), good[:-3]),
        (N_("4 extra bytes after the labels"), good + bytes(4)),
        (N_("an empty file"), b""),
        (N_("type code 0x0c (int32), not 0x08 (unsigned byte)"), b"\0\0\x0c\x01" + good[4:]),
        (
            N_("a magic number 0x00000802 (2 dimensions: 10 x 1 labels)"),
            b"\0\0\x08\x02" + struct.pack(">II", 10, 1) + good[8:],
        ),
    ]


# accepted by a reader that checks only the magic number's last byte (the dimensions)
_MAGIC_ONLY = {
    "type code 0x0d (float32), not 0x08 (unsigned byte)",
    "type code 0x0b (int16), not 0x08 (unsigned byte)",
    "a magic number 01 00 08 03 (its first bytes are not zero)",
    "type code 0x0c (int32), not 0x08 (unsigned byte)",
}


def check_malformed(student: Student) -> str:
    problems: list[str] = []
    accepted: list[str] = []
    with tempfile.TemporaryDirectory(prefix="case-", dir=_folder()) as tmp:
        os.chmod(tmp, 0o755)
        folder = Path(tmp)
        cases = [("load_images", c) for c in _malformed_images()]
        cases += [("load_labels", c) for c in _malformed_labels()]
        for i, (fn, (what, data)) in enumerate(cases):
            path = _write(folder, f"bad{i}", data)
            try:
                out = student.call(fn, str(path))
            except StudentError as exc:
                if exc.is_a("ValueError"):
                    continue
                problems.append(
                    _("{name} raised {error}, not ValueError, on {what}").format(
                        name=fn, error=exc.error, what=_(what)
                    )
                )
                continue
            shape = getattr(out, "shape", None)
            got = (
                _("returned an array of shape {shape}").format(shape=shape)
                if shape is not None
                else _("returned")
            )
            accepted.append(what)
            problems.append(
                _("{name} accepted {what} ({got})").format(name=fn, what=_(what), got=got)
            )
    if problems:
        more = _("; and {n} more").format(n=len(problems) - 3) if len(problems) > 3 else ""
        tag = "idx_unchecked"
        if accepted and all(w in _MAGIC_ONLY for w in accepted):
            tag = "idx_magic_last_byte_only"
            problems.insert(0, _("only the magic number's last byte is checked"))
        elif not accepted:
            tag = "idx_wrong_error"
        raise CheckFailed(
            _("{problems}{more}: {checked}").format(
                problems=_("; ").join(problems[:3]), more=more, checked=_(_CHECKED)
            ),
            tag=tag,
        )
    n = len(_malformed_images()) + len(_malformed_labels())
    return _("ValueError on all {n} malformed files").format(n=n)


def course_load_images(filename: str):
    """The course text's `loadImageSet` (struct, one Python int per pixel), for timing."""
    with open(filename, "rb") as binfile:
        buffers = binfile.read()
    head = struct.unpack_from(">IIII", buffers, 0)
    offset = struct.calcsize(">IIII")
    img_num, width, height = head[1], head[2], head[3]
    bits = img_num * width * height
    imgs = struct.unpack_from(">" + str(bits) + "B", buffers, offset)
    return np.reshape(imgs, [img_num, width * height]), head


_timed: dict[str, float] = {}


def _course_seconds(path: Path) -> float:
    """Seconds the course text's loader takes on `path` (measured once per process)."""
    if str(path) not in _timed:
        t0 = time.perf_counter()
        course_load_images(str(path))
        _timed[str(path)] = time.perf_counter() - t0
    return _timed[str(path)]


def check_speed(student: Student) -> str:
    path = _raw("train-images-idx3-ubyte")
    t0 = time.perf_counter()
    _load(student, "load_images", path, "train-images-idx3-ubyte")
    yours = time.perf_counter() - t0
    if yours < 1.0:  # a second run, for a fair best-of-two
        t0 = time.perf_counter()
        _load(student, "load_images", path, "train-images-idx3-ubyte")
        yours = min(yours, time.perf_counter() - t0)
    course = _course_seconds(path)
    speedup = course / max(yours, 1e-9)
    if speedup < 10:
        raise CheckFailed(
            _(
                "{yours:.2f} s on the 47 MB training images, the course text's struct loader "
                "{course:.2f} s: {speedup:.1f}x, need at least 10x: np.frombuffer(data, np.uint8, "
                "offset=16) views the bytes as an array, with no Python int per pixel"
            ).format(yours=yours, course=course, speedup=speedup),
            tag="idx_slow",
        )
    return _(
        "{ms:.0f} ms on the 47 MB training images, {speedup:.0f}x the course text's "
        "struct loader ({course:.1f} s)"
    ).format(ms=yours * 1000, speedup=speedup, course=course)


MISTAKES = {
    "idx_returns_tuple": N_("the loader returns the header too, not only the array"),
    "idx_not_array": N_("the loader does not return a numpy array"),
    "idx_little_endian": N_("the header's integers are read little-endian"),
    "idx_shape": N_("the array has the wrong shape"),
    "idx_not_uint8": N_("the array is not uint8"),
    "idx_values": N_("the array holds wrong values (the data's offset?)"),
    "idx_raised": N_("the loader raises on a valid file"),
    "idx_unchecked": N_("a malformed file is accepted (length or magic number unchecked)"),
    "idx_magic_last_byte_only": N_("only the magic number's last byte is checked"),
    "idx_wrong_error": N_("a malformed file raises an error other than ValueError"),
    "idx_slow": N_("the loader is not 10x the course text's struct loader"),
}

EXERCISE = Exercise(
    version="2",
    mistakes=MISTAKES,
    readable=_readable,
    answer_bytes=512 << 20,  # MNIST's training images, even as float64 (376 MB)
    name="idx",
    title="read MNIST's IDX files",
    section="exercise 3 (the data set)",
    functions=("load_images", "load_labels"),
    checks=(
        Check("labels on MNIST", check_mnist_labels, ("load_labels",)),
        Check("images on MNIST", check_mnist_images, ("load_images",)),
        Check("other sizes", check_other_sizes, ("load_images", "load_labels")),
        Check("malformed files raise ValueError", check_malformed, ("load_images", "load_labels")),
        Check("speed", check_speed, ("load_images",)),
    ),
)
