"""What every backend shares: input checks, the canonical weights, the portable `.npz`.

numpy only: the framework backends import their framework themselves, on demand.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from fcnet._fileio import KiB, MiB, atomic_write, load_npz, open_regular, scalar_text
from fcnet.i18n import N_
from fcnet.spec import NetSpec, SpecError

# The text entries of a portable .npz, and the most bytes each may hold (every reader of
# the file uses these: `read_model_npz`, and `fcnet.runs.read_model_spec` for `__spec__`).
# the `__sklearn__` entry: `fcnet.sklearn`'s estimator data (parameters, curves, classes)
NPZ_TEXT_LIMITS = {
    "__spec__": 1 * MiB,
    "__format__": 1 * KiB,
    "__backend__": 1 * KiB,
    "__sklearn__": 16 * MiB,
}

FORMAT = "fcnet-model-1"
# Each backend's native weight-file suffixes; the first is the one fcnet writes.
NATIVE_SUFFIXES = {"torch": (".pt", ".pth"), "tensorflow": (".weights.h5",)}
NATIVE_SUFFIX = {backend: suffixes[0] for backend, suffixes in NATIVE_SUFFIXES.items()}
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


# ----- inputs -------------------------------------------------------------------------------


_FINITE_BLOCK = 1 << 17
"""Values per pass of the finite check: a batch in one pass, a whole training set (checked
once per fit by `fcnet.train`) without a bool array of its size."""


def _all_finite(a: np.ndarray) -> bool:
    """Whether every value of the C-contiguous array `a` is finite, block by block."""
    flat = a.reshape(-1)
    return all(
        np.isfinite(flat[i : i + _FINITE_BLOCK]).all() for i in range(0, flat.size, _FINITE_BLOCK)
    )


def check_x(spec: NetSpec, x: Any, name: str = "x") -> np.ndarray:
    """`x` as a C-contiguous (N, input_size) array in spec.dtype, finite."""
    a = np.asarray(x)
    if a.ndim == 1 and spec.input_size == 1:
        a = a.reshape(-1, 1)
    if a.ndim != 2 or a.shape[1] != spec.input_size:
        raise ValueError(
            f"{name}: expected shape (N, {spec.input_size}) for input_size {spec.input_size}, "
            f"got {a.shape}"
        )
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise ValueError(f"{name}: expected numbers, got dtype {a.dtype}")
    a = np.ascontiguousarray(a, dtype=spec.dtype)
    if not _all_finite(a):
        raise ValueError(f"{name}: expected finite values, got NaN or inf")
    return a


def check_y(spec: NetSpec, y: Any, n: int, name: str = "y") -> np.ndarray:
    """Targets as the loss wants them: int64 labels (N,) for cross_entropy, else (N, out)."""
    a = np.asarray(y)
    if spec.loss == "cross_entropy":
        if a.ndim == 2 and a.shape[1] == 1:
            a = a[:, 0]
        if a.ndim != 1 or a.shape[0] != n:
            raise ValueError(f"{name}: expected class labels of shape ({n},), got {a.shape}")
        if np.issubdtype(a.dtype, np.floating):
            if not np.isfinite(a).all() or (a != np.round(a)).any():
                raise ValueError(f"{name}: expected integer class labels, got non-integer values")
        elif not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"{name}: expected integer class labels, got dtype {a.dtype}")
        a = a.astype(np.int64, copy=False)
        if a.size and (a.min() < 0 or a.max() >= spec.output_size):
            raise ValueError(
                f"{name}: expected labels in 0..{spec.output_size - 1}, "
                f"got values in {a.min()}..{a.max()}"
            )
        return np.ascontiguousarray(a)
    if a.ndim == 1 and spec.output_size == 1:
        a = a.reshape(-1, 1)
    if a.ndim != 2 or a.shape != (n, spec.output_size):
        raise ValueError(f"{name}: expected shape ({n}, {spec.output_size}), got {a.shape}")
    a = np.ascontiguousarray(a, dtype=spec.dtype)
    if not _all_finite(a):
        raise ValueError(f"{name}: expected finite values, got NaN or inf")
    if spec.loss in ("bce", "bce_with_logits") and ((a < 0).any() or (a > 1).any()):
        raise ValueError(f"{name}: loss {spec.loss!r} expects targets in [0, 1]")
    return a


def check_xy(spec: NetSpec, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    xa = check_x(spec, x)
    return xa, check_y(spec, y, xa.shape[0])


def accuracy(spec: NetSpec, out: np.ndarray, y: np.ndarray) -> float | None:
    """Fraction right, for the classification losses (None for mse). `out` as `predict` gives."""
    if spec.loss == "cross_entropy":
        return float((out.argmax(axis=1) == y).mean())
    if spec.loss in ("bce", "bce_with_logits"):
        threshold = 0.5 if spec.loss == "bce" else 0.0
        return float(((out > threshold) == (y > 0.5)).mean())
    return None


DEVICES = ("cpu", "cuda", "cuda:N", "auto")
"""What `device=` accepts (auto: the GPU when the backend sees one, else the CPU)."""


def check_device(device: str) -> str:
    """`device` if it is cpu, cuda, cuda:N (N a GPU index) or auto; ValueError otherwise."""
    text = str(device)
    ok = text in ("cpu", "cuda", "auto") or (
        text.startswith("cuda:") and text[5:].isdigit() and text[5:].isascii()
    )
    if not isinstance(device, str) or not ok:
        raise ValueError(f"device: expected one of {', '.join(DEVICES)}, got {device!r}")
    return device


# ----- weights ------------------------------------------------------------------------------


def initial_weights(spec: NetSpec) -> dict[str, np.ndarray]:
    """The starting weights every backend uses for `spec`: drawn with numpy from spec.seed,
    layer by layer in canonical order (biases zero), so all backends start the same."""
    from fcnet.nn.init import init_weight

    rng = np.random.default_rng(spec.seed)
    out: dict[str, np.ndarray] = {}
    for name, shape in spec.weight_shapes().items():
        if name.endswith(".weight"):
            n_out, n_in = shape
            w = init_weight(spec.init, (n_out, n_in), rng, np.dtype(np.float64))
            out[name] = w.astype(spec.dtype)
        else:
            out[name] = np.zeros(shape, dtype=spec.dtype)
    return out


def check_weights(spec: NetSpec, d: Any, source: str = "weights") -> dict[str, np.ndarray]:
    """Canonical weights `d` checked against `spec` (names, shapes, finite), cast to its dtype."""
    if not hasattr(d, "keys"):
        raise ValueError(f"{source}: expected a dict of arrays, got {type(d).__name__}")
    expected = spec.weight_shapes()
    names = [k for k in d.keys() if not str(k).startswith("__")]
    missing = [k for k in expected if k not in names]
    extra = [k for k in names if k not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected {', '.join(map(str, extra))}")
        raise ValueError(
            f"{source}: names do not fit the spec ({'; '.join(parts)}); "
            f"expected {', '.join(expected)}"
        )
    out: dict[str, np.ndarray] = {}
    for name, shape in expected.items():
        a = np.asarray(d[name])
        if a.shape != shape:
            raise ValueError(f"{source}: {name!r} expected shape {shape}, got {a.shape}")
        if not np.issubdtype(a.dtype, np.number):
            raise ValueError(f"{source}: {name!r} expected numbers, got dtype {a.dtype}")
        a = np.array(a, dtype=spec.dtype, copy=True)
        if not np.isfinite(a).all():
            raise ValueError(f"{source}: {name!r} holds NaN or inf")
        out[name] = a
    return out


# ----- files --------------------------------------------------------------------------------


def native_backend_of(path: str | os.PathLike[str]) -> str | None:
    """The backend whose native weight file `path`'s name says it is (None for others)."""
    name = Path(path).name.lower()
    for backend, suffixes in NATIVE_SUFFIXES.items():
        if name.endswith(suffixes):
            return backend
    return None


def sniff(path: str | os.PathLike[str]) -> str:
    """What a file holds by its first bytes: "hdf5", "torch", "npz", "pickle" or "unknown"."""
    with open_regular(path, 1 << 62, N_("model file")) as fh:
        head = fh.read(8)
    if head.startswith(_HDF5_MAGIC):
        return "hdf5"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile:
            return "unknown"
        if any(n.endswith("data.pkl") for n in names):
            return "torch"
        return "npz" if all(n.endswith(".npy") for n in names) else "unknown"
    if head[:1] == b"\x80":
        return "pickle"
    return "unknown"


_WHAT = {
    "hdf5": "an HDF5 file (TensorFlow/Keras .weights.h5)",
    "torch": "a PyTorch checkpoint (.pt)",
    "npz": "a portable fcnet .npz",
    "pickle": "a pickle (older PyTorch format)",
    "unknown": "an unknown format",
}


def describe_file(path: str | os.PathLike[str]) -> str:
    return _WHAT[sniff(path)]


def save_npz(path: str | os.PathLike[str], spec: NetSpec, weights: dict, backend: str) -> None:
    """The portable file: spec JSON under `__spec__`, canonical weights, no pickle."""
    arrays: dict[str, np.ndarray] = {
        "__format__": np.array(FORMAT),
        "__spec__": np.array(spec.to_json()),
        "__backend__": np.array(backend),
    }
    arrays.update({k: np.asarray(v) for k, v in weights.items()})
    with atomic_write(path, "wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]  # (numpy's stub: allow_pickle)


def read_npz(path: str | os.PathLike[str]) -> tuple[NetSpec, dict[str, np.ndarray], str | None]:
    """(spec, weights, backend that wrote it) from a portable `.npz`; ValueError otherwise."""
    spec, weights, backend, _texts = read_model_npz(path)
    return spec, weights, backend


def read_model_npz(
    path: str | os.PathLike[str], texts: tuple[str, ...] = ()
) -> tuple[NetSpec, dict[str, np.ndarray], str | None, dict[str, str]]:
    """`read_npz`'s three, plus the text entries named in `texts` that the file holds (each
    bounded as `NPZ_TEXT_LIMITS` says, read once with the rest); the file is read once."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(2, "no such model file", str(path))
    kind = sniff(path)
    if kind != "npz":
        raise ValueError(f"{path}: expected a portable fcnet .npz, got {_WHAT[kind]}")
    arrays = load_npz(path, N_("model file"), small=NPZ_TEXT_LIMITS)
    if "__spec__" not in arrays:
        raise ValueError(
            f"{path}: not an fcnet model file (no __spec__ key; keys: "
            f"{', '.join(sorted(arrays)[:6])})"
        )
    for key in NPZ_TEXT_LIMITS:
        if key in arrays:
            arrays[key] = np.array(scalar_text(arrays, key, str(path)))
    found = {key: str(arrays.pop(key)) for key in texts if key in arrays}
    try:
        spec = NetSpec.from_json(str(arrays.pop("__spec__")), source=f"{path}: __spec__")
    except SpecError as exc:
        raise SpecError(f"{path}: {exc}") from None
    backend = str(arrays.pop("__backend__")) if "__backend__" in arrays else None
    arrays.pop("__format__", None)
    return spec, check_weights(spec, arrays, source=str(path)), backend, found
