"""Exercise `idx`: read MNIST's IDX files, as the course text does, but fast and checked.

An IDX file: a magic number 00 00 08 <ndim> (0x00000803 for images, 0x00000801 for
labels), then ndim big-endian uint32 counts, then the bytes; the images start at byte 16.
The checks compare with fcnet's reader (`fcnet.data.idx.read_idx`) on the real MNIST
files (decompressed to a temporary folder) and on files the checker writes.
"""

from __future__ import annotations

import atexit
import gzip
import shutil
import struct
import tempfile
import time
from pathlib import Path

import numpy as np

from fcnet.data.idx import idx_header, read_idx
from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.core import Check, CheckFailed, Exercise, Student, StudentError

_ENDIAN = N_(
    "IDX's integers are big-endian (MSB first): the bytes 00 00 27 10 are 10000, "
    "read them with struct '>I' or np.dtype('>u4')"
)
_CHECKED = N_(
    "check the magic number (0x00000803 images, 0x00000801 labels), that the header is "
    "complete and that the file holds exactly the header's count of bytes, and raise "
    "ValueError otherwise"
)
_tmp: dict[str, Path] = {}


def _raw(stem: str) -> Path:
    """The shipped data/mnist/STEM.gz, decompressed once into a temporary folder."""
    if stem in _tmp:
        return _tmp[stem]
    from fcnet.data.mnist import shipped_root

    src = shipped_root() / f"{stem}.gz"
    if not src.is_file():
        raise CheckFailed(
            _("MNIST is missing ({src}): run `fcnet data download` first").format(src=src)
        )
    if "dir" not in _tmp:
        _tmp["dir"] = Path(tempfile.mkdtemp(prefix="fcnet-idx-"))
        atexit.register(shutil.rmtree, _tmp["dir"], True)
    out = _tmp["dir"] / stem
    with gzip.open(src) as fh, open(out, "wb") as dst:
        shutil.copyfileobj(fh, dst, 1 << 20)
    _tmp[stem] = out
    return out


def _result(value, what: str, expected: np.ndarray, where: str) -> None:
    if isinstance(value, tuple):
        raise CheckFailed(
            _(
                "{what} returns a tuple on {where}: return only the array (the course text's "
                "loader also returns the header)"
            ).format(what=what, where=where)
        )
    if not isinstance(value, np.ndarray):
        raise CheckFailed(
            _("{what} returns a {type} on {where}, expected a numpy array").format(
                what=what, type=type(value).__name__, where=where
            )
        )
    if value.shape != expected.shape:
        raise CheckFailed(
            _("{what} returns shape {shape} on {where}, expected {expected_shape}").format(
                what=what, shape=value.shape, where=where, expected_shape=expected.shape
            )
            + (" = (N, rows*cols)" if expected.ndim == 2 else " = (N,)")
            + "; "
            + _(_ENDIAN)
        )
    if value.dtype != np.uint8:
        raise CheckFailed(
            _(
                "{what} returns {dtype} on {where}, expected uint8: one byte per pixel or label, "
                "as in the file (np.frombuffer(data, np.uint8, offset=...) keeps them so; {dtype} "
                "takes {itemsize}x the memory)"
            ).format(what=what, dtype=value.dtype, where=where, itemsize=value.dtype.itemsize)
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
            )
        )


def _load(student: Student, name: str, path: Path, where: str):
    try:
        return student.call(name, str(path))
    except StudentError as exc:
        raise CheckFailed(
            _("{message} on {where}; {endian}").format(
                message=exc.message, where=where, endian=_(_ENDIAN)
            )
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
    with tempfile.TemporaryDirectory(prefix="fcnet-idx-") as tmp:
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
    ]


def check_malformed(student: Student) -> str:
    problems = []
    with tempfile.TemporaryDirectory(prefix="fcnet-idx-") as tmp:
        folder = Path(tmp)
        cases = [("load_images", c) for c in _malformed_images()]
        cases += [("load_labels", c) for c in _malformed_labels()]
        for i, (fn, (what, data)) in enumerate(cases):
            path = _write(folder, f"bad{i}", data)
            try:
                out = student.call(fn, str(path))
            except StudentError as exc:
                if isinstance(exc.exc, ValueError):
                    continue
                problems.append(
                    _("{name} raised {error}, not ValueError, on {what}").format(
                        name=fn, error=type(exc.exc).__name__, what=_(what)
                    )
                )
                continue
            shape = getattr(out, "shape", None)
            got = (
                _("returned an array of shape {shape}").format(shape=shape)
                if shape is not None
                else _("returned")
            )
            problems.append(
                _("{name} accepted {what} ({got})").format(name=fn, what=_(what), got=got)
            )
    if problems:
        more = _("; and {n} more").format(n=len(problems) - 3) if len(problems) > 3 else ""
        raise CheckFailed(f"{'; '.join(problems[:3])}{more}: {_(_CHECKED)}")
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
            ).format(yours=yours, course=course, speedup=speedup)
        )
    return _(
        "{ms:.0f} ms on the 47 MB training images, {speedup:.0f}x the course text's "
        "struct loader ({course:.1f} s)"
    ).format(ms=yours * 1000, speedup=speedup, course=course)


EXERCISE = Exercise(
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
