"""MNIST (shipped with fcnet, verified) and data sets in its layout (Fashion-MNIST, ...).

`load_mnist(split)` reads the copy in the repository's ``data/mnist/`` (or the folder
named by the environment variable ``FCNET_MNIST_DIR``) and checks the SHA-256 of each
file's decompressed bytes against the published values kept below, once per process,
so a damaged copy is reported, never trained on. `load_mnist(split, root=folder)` reads
any folder in the same layout (Fashion-MNIST, KMNIST, ...) without checksums.
`download_mnist(root)` fetches the four files from public mirrors, verified.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from fcnet._fileio import atomic_write_bytes
from fcnet.data.idx import idx_sha256, read_idx

__all__ = [
    "MNIST_FILES",
    "MNIST_MIRRORS",
    "MNIST_SHA256",
    "ChecksumError",
    "download_mnist",
    "load_mnist",
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

# Public mirrors of the four .gz files, tried in order.
MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)

ENV_VAR = "FCNET_MNIST_DIR"
_MAX_DOWNLOAD = 64 << 20  # the largest MNIST .gz is under 10 MB

# Verified shipped files: (resolved path, size, mtime_ns) -> read-only uint8 array.
_VERIFIED: dict[tuple[str, int, int], np.ndarray] = {}


class ChecksumError(ValueError):
    """A data file whose content is not the published one."""


def shipped_root() -> Path:
    """The shipped MNIST's folder: ``$FCNET_MNIST_DIR``, else the repository's data/mnist."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    import fcnet

    return Path(fcnet.__file__).resolve().parents[2] / "data" / "mnist"


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

    `root=None` is the shipped copy, verified against its SHA-256 once per process.
    A `root` folder may name its files ``train-images-idx3-ubyte[.gz]`` or, as the
    course text does, ``train-images.idx3-ubyte[.gz]``; its content is not checksummed
    (so Fashion-MNIST and other sets in the same layout load too).

    >>> x, y = load_mnist("test")
    >>> x.shape, x.dtype.name, y[:3].tolist()
    ((10000, 784), 'float32', [7, 2, 1])
    """
    if split not in MNIST_FILES:
        raise ValueError(f"load_mnist: split must be one of {sorted(MNIST_FILES)}, got {split!r}")
    dtype = np.dtype(dtype)
    if normalize and dtype.kind != "f":
        raise ValueError(
            f"load_mnist: dtype must be a float type when normalize=True, got {dtype.name}"
        )
    verify = root is None
    folder = shipped_root() if verify else Path(root)
    image_stem, label_stem = MNIST_FILES[split]
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


def download_mnist(
    root: str | os.PathLike,
    mirrors: tuple[str, ...] | list[str] = MNIST_MIRRORS,
    *,
    timeout: float = 60.0,
) -> Path:
    """Fetch the four MNIST .gz files into `root` (created if needed); return `root`.

    Each file is taken from the first mirror (a base URL, http or https) that serves
    it with the published SHA-256 of its decompressed bytes; it is written atomically,
    and only once verified. Files already in `root` and verified are kept. Raises
    OSError when no mirror has a verified copy of a file (nothing unverified is kept).
    """
    import urllib.error
    import urllib.request

    root = Path(root)
    for base in mirrors:
        if not base.startswith(("http://", "https://")):
            raise ValueError(f"download_mnist: mirror must be an http(s) URL, got {base!r}")
    # Small files first: a bad mirror list fails fast.
    stems = [s for pair in (MNIST_FILES["test"], MNIST_FILES["train"]) for s in reversed(pair)]
    for stem in stems:
        target = root / f"{stem}.gz"
        if target.is_file() and _matches(target.read_bytes(), stem):
            continue
        problems = []
        for base in mirrors:
            url = base.rstrip("/") + f"/{stem}.gz"
            try:
                req = urllib.request.Request(url, headers={"User-Agent": "fcnet"})
                with urllib.request.urlopen(req, timeout=timeout) as resp:
                    data = resp.read(_MAX_DOWNLOAD + 1)
            except urllib.error.HTTPError as exc:
                problems.append(f"{url}: HTTP {exc.code} {exc.reason}")
                continue
            except (urllib.error.URLError, OSError, ValueError) as exc:
                problems.append(f"{url}: {getattr(exc, 'reason', exc)}")
                continue
            if len(data) > _MAX_DOWNLOAD:
                problems.append(f"{url}: more than {_MAX_DOWNLOAD} bytes")
            elif _matches(data, stem):
                atomic_write_bytes(target, data)
                break
            else:
                problems.append(f"{url}: content does not match the published SHA-256")
        else:
            raise OSError(f"download_mnist: no verified copy of {stem}.gz; " + "; ".join(problems))
    return root


# --------------------------------------------------------------------------- internals


def _names(stem: str) -> list[str]:
    """The usual name and the course text's (a dot before idx), each raw then .gz."""
    dotted = stem.replace("-idx", ".idx", 1)
    return [stem, f"{stem}.gz", dotted, f"{dotted}.gz"]


def _find(folder: Path, stem: str, split: str, what: str) -> Path:
    for name in _names(stem):
        path = folder / name
        if path.is_file():
            return path
    where = folder if folder.is_dir() else f"{folder} (no such folder)"
    raise FileNotFoundError(
        f"no MNIST {split} {what} in {where}: looked for {', '.join(_names(stem))}"
        + (f" (set {ENV_VAR} or pass root=)" if not folder.is_dir() else "")
    )


def _read(path: Path, stem: str | None) -> np.ndarray:
    """read_idx, plus for the shipped copy the SHA-256 check (cached per file version)."""
    if stem is None:
        return read_idx(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key in _VERIFIED:
        return _VERIFIED[key]
    array = read_idx(path)
    got = idx_sha256(array)
    if got != MNIST_SHA256[stem]:
        raise ChecksumError(
            f"{path}: SHA-256 of the decompressed data is {got[:16]}..., expected "
            f"{MNIST_SHA256[stem][:16]}...: this MNIST copy is damaged; restore it "
            f"(git checkout data/mnist) or fetch it with fcnet.data.mnist.download_mnist"
        )
    array.flags.writeable = False
    _VERIFIED[key] = array
    return array


def _matches(gz_bytes: bytes, stem: str) -> bool:
    """Whether `gz_bytes` decompress to the published MNIST file `stem`."""
    try:
        return idx_sha256(read_idx(gz_bytes)) == MNIST_SHA256[stem]
    except ValueError:
        return False


def _check(image_path: Path, images: np.ndarray, label_path: Path, labels: np.ndarray) -> None:
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"{image_path}: expected uint8 images of shape (N, 28, 28), "
            f"got {images.dtype.name} {images.shape}"
        )
    if len(images) == 0:
        raise ValueError(f"{image_path}: holds no images (its first dimension is 0)")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"{label_path}: expected uint8 labels of shape (N,), "
            f"got {labels.dtype.name} {labels.shape}"
        )
    if len(labels) != len(images):
        raise ValueError(
            f"{label_path}: {len(labels)} labels for {len(images)} images in {image_path.name}"
        )
    if len(labels) and labels.max() > 9:
        raise ValueError(f"{label_path}: labels must be 0 to 9, found {int(labels.max())}")
