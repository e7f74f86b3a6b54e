"""MNIST (shipped with fcnet, verified) and data sets in its layout (Fashion-MNIST, ...).

`load_mnist(split)` reads the first of: the folder named by the environment variable
``FCNET_MNIST_DIR``, the copy in the repository's ``data/mnist/``, the per-user cache
(``$XDG_CACHE_HOME/fcnet/mnist``, default ``~/.cache/fcnet/mnist``, which
``fcnet data download`` fills), and checks the SHA-256 of each file's decompressed bytes
against the published values kept below, once per process, so a damaged copy is
reported, never trained on. `load_mnist(split, root=folder)` reads any folder in the same
layout (Fashion-MNIST, KMNIST, ...) without checksums. `download_mnist(root)` fetches the
four files from mirrors (``FCNET_MNIST_MIRROR`` or public ones), verified whatever the
source.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fcnet._fileio import atomic_write_bytes
from fcnet.data.idx import idx_sha256, read_idx
from fcnet.i18n import N_
from fcnet.i18n import gettext as _

if TYPE_CHECKING:
    from fcnet.data.download import Deadline

__all__ = [
    "MNIST_FILES",
    "MNIST_MIRRORS",
    "MNIST_SHA256",
    "MNIST_SHAPES",
    "ChecksumError",
    "cache_root",
    "download_mnist",
    "load_mnist",
    "mirrors_from_env",
    "search_roots",
    "shipped_root",
]

# split -> (images, labels), the usual names (without .gz).
MNIST_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# SHA-256 of the decompressed IDX files (data/mnist/RAW_CHECKSUMS; their MD5 are the
# widely published ones). The .gz bytes differ between copies; these do not.
MNIST_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# Shapes of the four files (uint8): with MNIST_SHA256, all a download checks against.
MNIST_SHAPES: dict[str, tuple[int, ...]] = {
    "train-images-idx3-ubyte": (60000, 28, 28),
    "train-labels-idx1-ubyte": (60000,),
    "t10k-images-idx3-ubyte": (10000, 28, 28),
    "t10k-labels-idx1-ubyte": (10000,),
}

# Public mirrors of the four .gz files, tried in order.
MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)

ENV_VAR = "FCNET_MNIST_DIR"
MIRROR_ENV_VAR = "FCNET_MNIST_MIRROR"
_MAX_DOWNLOAD = 64 << 20  # the largest MNIST .gz is under 10 MB
DEADLINE = 600.0  # seconds a whole download may take, by default

# Verified shipped files: (resolved path, size, mtime_ns) -> read-only uint8 array.
_VERIFIED: dict[tuple[str, int, int], np.ndarray] = {}


class ChecksumError(ValueError):
    """A data file whose content is not the published one."""


def shipped_root() -> Path:
    """The shipped MNIST's folder: ``$FCNET_MNIST_DIR``, else the repository's data/mnist."""
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else _repository_copy()


def cache_root() -> Path:
    """Where ``fcnet data download`` puts MNIST: $XDG_CACHE_HOME/fcnet/mnist (~/.cache/...)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fcnet" / "mnist"


def search_roots() -> list[Path]:
    """The folders `load_mnist` looks in, in order: $FCNET_MNIST_DIR, the shipped copy, the
    per-user cache."""
    env = os.environ.get(ENV_VAR)
    roots = [Path(env)] if env else []
    roots += [_repository_copy(), cache_root()]
    return list(dict.fromkeys(roots))


def _repository_copy() -> Path:
    """data/mnist of the repository fcnet runs from (absent in an installed wheel)."""
    import fcnet

    return Path(fcnet.__file__).resolve().parents[2] / "data" / "mnist"


def mirrors_from_env() -> tuple[str, ...]:
    """The mirrors named in $FCNET_MNIST_MIRROR (comma- or space-separated), else the
    public ones."""
    named = os.environ.get(MIRROR_ENV_VAR, "").replace(",", " ").split()
    return tuple(named) or MNIST_MIRRORS


def load_mnist(
    split: str = "train",
    root: str | os.PathLike | None = None,
    *,
    normalize: bool = True,
    flatten: bool = True,
    dtype: np.dtype | type = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST's "train" (60,000) or "test" (10,000) split as (images, labels).

    images: (N, 784) when `flatten`, else (N, 28, 28); in [0, 1] as `dtype` when
    `normalize`, else uint8 0-255. labels: int64 (N,), 0 to 9.

    `root=None`: the first of `search_roots()` that holds the split, verified against the
    published SHA-256 once per process.
    A `root` folder may name its files ``train-images-idx3-ubyte[.gz]`` or, as the
    course text does, ``train-images.idx3-ubyte[.gz]``; its content is not checksummed
    (so Fashion-MNIST and other sets in the same layout load too).

    >>> x, y = load_mnist("test")
    >>> x.shape, x.dtype.name, y[:3].tolist()
    ((10000, 784), 'float32', [7, 2, 1])
    """
    if split not in MNIST_FILES:
        raise ValueError(
            _("load_mnist: split must be one of {names}, got {split!r}").format(
                names=sorted(MNIST_FILES), split=split
            )
        )
    dtype = np.dtype(dtype)
    if normalize and dtype.kind != "f":
        raise ValueError(
            _("load_mnist: dtype must be a float type when normalize=True, got {dtype}").format(
                dtype=dtype.name
            )
        )
    verify = root is None
    image_stem, label_stem = MNIST_FILES[split]
    folder = _search(image_stem, split) if root is None else Path(root)
    image_path = _find(folder, image_stem, split, "images")
    label_path = _find(folder, label_stem, split, "labels")
    images = _read(image_path, image_stem if verify else None)
    labels = _read(label_path, label_stem if verify else None)
    _check(image_path, images, label_path, labels)

    n = len(images)
    if flatten:
        images = images.reshape(n, -1)
    if normalize:
        out = images.astype(dtype)
        np.divide(out, 255, out=out)
        images = out
    elif not images.flags.writeable:  # the cached, verified copy: never hand it out
        images = images.copy()
    return images, labels.astype(np.int64)


# progress(file name, bytes so far, total bytes or None); bytes so far is -1 when the file
# was there already, verified.
Progress = Callable[[str, int, int | None], None]


MAX_SECONDS = 1e6  # a --timeout or --deadline beyond this (11 days, inf) is a typo


def download_mnist(
    root: str | os.PathLike | None = None,
    mirrors: Sequence[str] | None = None,
    *,
    timeout: float = 60.0,
    deadline: float | None = DEADLINE,
    progress: Progress | None = None,
) -> Path:
    """Fetch the four MNIST .gz files into `root` (created if needed); return `root`.

    `root` defaults to `cache_root()`, `mirrors` (base URLs, http or https) to
    $FCNET_MNIST_MIRROR, else the public ones. Each file is taken from the first mirror
    that serves it with the published SHA-256 of its decompressed bytes; it is written
    atomically, and only once verified. Files already in `root` and verified are kept.
    `timeout`: seconds one read may wait; `deadline`: seconds the whole call may take
    (None: no limit). `root` is checked (a folder fcnet can write in) before anything is
    fetched; each file's IDX header and size are known, so a mirror sending anything
    else is left after its first bytes, and nothing larger than the file is inflated.
    Raises OSError when no mirror has a verified copy of a file (nothing unverified is
    kept); its message says where to put the files by hand.
    """
    from fcnet.data.download import Deadline, probe_folder

    root = cache_root() if root is None else Path(root)
    mirrors = tuple(mirrors) if mirrors is not None else mirrors_from_env()
    if not mirrors:
        raise ValueError(_("download_mnist: no mirror given"))
    for base in mirrors:
        if not base.startswith(("http://", "https://")):
            raise ValueError(
                _("download_mnist: mirror must be an http(s) URL, got {url!r}").format(url=base)
            )
    if deadline is not None and not deadline > 0:
        raise ValueError(
            _("download_mnist: deadline must be a positive number of seconds, got {value}").format(
                value=deadline
            )
        )
    for name, value in (("deadline", deadline), ("timeout", timeout)):
        if value is not None and not value <= MAX_SECONDS:  # NaN and inf too
            raise ValueError(
                _("download_mnist: {name} must be at most {most:g} seconds, got {value}").format(
                    name=name, most=MAX_SECONDS, value=value
                )
            )
    created = not os.path.lexists(root)
    probe_folder(root)
    try:
        with Deadline(deadline) as clock:
            for stem in _DOWNLOAD_ORDER:
                _fetch_one(root, stem, mirrors, clock, timeout, progress)
    except BaseException:
        if created:  # leave no empty folder behind (one with files stays)
            with contextlib.suppress(OSError):
                root.rmdir()
        raise
    return root


# Small files first: a bad mirror list fails fast.
_DOWNLOAD_ORDER = [
    s for pair in (MNIST_FILES["test"], MNIST_FILES["train"]) for s in reversed(pair)
]


def _fetch_one(
    root: Path,
    stem: str,
    mirrors: Sequence[str],
    clock: Deadline,
    timeout: float,
    progress: Progress | None,
) -> None:
    """`root/stem.gz`: kept if verified, else from the first mirror that has it verified;
    an OSError listing every mirror's problem when none has."""
    from fcnet.data.download import MirrorError, fetch

    target = root / f"{stem}.gz"
    if _cached(target, stem):
        if progress is not None:
            progress(target.name, -1, None)
        return
    problems: list[str] = []
    for base in mirrors:
        if clock.passed and problems:  # said once: the rest are not tried
            continue
        url = base.rstrip("/") + f"/{stem}.gz"
        report = None if progress is None else functools.partial(progress, target.name)
        try:
            data = fetch(
                url, _gz_check(stem), timeout=timeout, deadline=clock, limit=_MAX_DOWNLOAD,
                progress=report,
            )  # fmt: skip
        except MirrorError as exc:
            problems.append(str(exc))
            continue
        _keep(target, data)
        return
    raise OSError(
        _(
            "download_mnist: no verified copy of {name}: {problems}. Put the four files "
            "({files}) in {folder} by hand: the fcnet repository ships them in "
            "data/mnist/; or name another mirror with --mirror URL or {env}"
        ).format(
            name=f"{stem}.gz",
            problems="; ".join(problems),
            files=", ".join(f"{s}.gz" for s in _DOWNLOAD_ORDER),
            folder=root,
            env=MIRROR_ENV_VAR,
        )
    )


def _gz_check(stem: str):
    """The streaming check of MNIST file `stem`'s .gz: its header, size and SHA-256."""
    from fcnet.data.download import GzipIdxCheck, idx_header_of

    header = idx_header_of(MNIST_SHAPES[stem])
    return GzipIdxCheck(header, len(header) + math.prod(MNIST_SHAPES[stem]), MNIST_SHA256[stem])


def _cached(target: Path, stem: str) -> bool:
    """Whether `target` is already the verified file (read in chunks, never whole; a file
    larger than any MNIST .gz, or not a regular file, is not)."""
    from fcnet._fileio import FileError, open_regular
    from fcnet.data.download import check_file

    try:
        with open_regular(target, _MAX_DOWNLOAD) as fh:
            return check_file(fh, _gz_check(stem), _MAX_DOWNLOAD)
    except (FileError, OSError):
        return False


def _keep(target: Path, data: bytes) -> None:
    """Write the verified `data` to `target` atomically; an error names `target` (never
    the temporary file beside it)."""
    try:
        atomic_write_bytes(target, data)
    except OSError as exc:
        raise OSError(
            _("{path}: cannot write it ({reason})").format(path=target, reason=exc.strerror or exc)
        ) from None


# --------------------------------------------------------------------------- internals


def _names(stem: str) -> list[str]:
    """The usual name and the course text's (a dot before idx), each raw then .gz."""
    dotted = stem.replace("-idx", ".idx", 1)
    return [stem, f"{stem}.gz", dotted, f"{dotted}.gz"]


def _search(stem: str, split: str) -> Path:
    """The first of `search_roots()` with the split's images; an error naming the command
    that fetches them when there is none."""
    roots = search_roots()
    for folder in roots:
        if any((folder / name).is_file() for name in _names(stem)):
            return folder
    raise FileNotFoundError(
        _(
            "no MNIST {split} data in {folders}: run 'fcnet data download' (it fetches the "
            "four files into {cache}), or set {env} to a folder that holds them"
        ).format(split=split, folders=", ".join(map(str, roots)), cache=cache_root(), env=ENV_VAR)
    )


def _find(folder: Path, stem: str, split: str, what: str) -> Path:
    for name in _names(stem):
        path = folder / name
        if path.is_file():
            return path
    where = folder if folder.is_dir() else _("{folder} (no such folder)").format(folder=folder)
    raise FileNotFoundError(
        _("no MNIST {split} {what} in {folder}: looked for {names}").format(
            split=split, what=what, folder=where, names=", ".join(_names(stem))
        )
    )


def _read(path: Path, stem: str | None) -> np.ndarray:
    """read_idx, plus for the shipped copy the SHA-256 check (cached per file version)."""
    if stem is None:
        return read_idx(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key in _VERIFIED:
        return _VERIFIED[key]
    _check_header(path, stem, st.st_size)
    array = read_idx(path)
    got = idx_sha256(array)
    if got != MNIST_SHA256[stem]:
        raise ChecksumError(
            _(
                "{path}: SHA-256 of the decompressed data is {got}..., expected {expected}...: "
                "this MNIST copy is damaged; restore it (git checkout data/mnist) or fetch it "
                "again with 'fcnet data download'"
            ).format(path=path, got=got[:16], expected=MNIST_SHA256[stem][:16])
        )
    array.flags.writeable = False
    _VERIFIED[key] = array
    return array


def _check_header(path: Path, stem: str, size: int) -> None:
    """Before `read_idx`: a copy of `stem` larger than the file, or whose IDX header is not
    the file's, is damaged (so a 3 GiB file or a gzip bomb is never read into memory)."""
    import gzip
    import zlib

    from fcnet._fileio import open_regular
    from fcnet.data.download import idx_header_of

    header = idx_header_of(MNIST_SHAPES[stem])
    full = len(header) + math.prod(MNIST_SHAPES[stem])
    why = None
    if size > full:
        why = _("{size} bytes, more than the file has ({full})").format(size=size, full=full)
    else:
        with open_regular(path, full, N_("IDX file")) as fh:
            gz = fh.read(2) == b"\x1f\x8b"
            fh.seek(0)
            try:
                head = gzip.GzipFile(fileobj=fh).read(len(header)) if gz else fh.read(len(header))
            except (OSError, EOFError, zlib.error) as exc:
                head = f"({exc})".encode()
        if head != header:
            why = _("its IDX header is {got}, expected {expected}").format(
                got=head[: len(header)].hex(" "), expected=header.hex(" ")
            )
    if why is not None:
        raise ChecksumError(
            _(
                "{path}: not MNIST's {name} ({why}): this MNIST copy is damaged; restore it "
                "(git checkout data/mnist) or fetch it again with 'fcnet data download'"
            ).format(path=path, name=stem, why=why)
        )


def _check(image_path: Path, images: np.ndarray, label_path: Path, labels: np.ndarray) -> None:
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            _("{path}: expected uint8 images of shape (N, 28, 28), got {dtype} {shape}").format(
                path=image_path, dtype=images.dtype.name, shape=images.shape
            )
        )
    if len(images) == 0:
        raise ValueError(f"{image_path}: holds no images (its first dimension is 0)")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            _("{path}: expected uint8 labels of shape (N,), got {dtype} {shape}").format(
                path=label_path, dtype=labels.dtype.name, shape=labels.shape
            )
        )
    if len(labels) != len(images):
        raise ValueError(
            _("{path}: {labels} labels for {images} images in {name}").format(
                path=label_path, labels=len(labels), images=len(images), name=image_path.name
            )
        )
    if len(labels) and labels.max() > 9:
        raise ValueError(
            _("{path}: labels must be 0 to 9, found {label}").format(
                path=label_path, label=int(labels.max())
            )
        )
