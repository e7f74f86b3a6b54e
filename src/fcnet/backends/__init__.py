"""One network, three backends: numpy (fcnet.nn), PyTorch and TensorFlow.

    >>> from fcnet.spec import NetSpec
    >>> from fcnet.backends import build
    >>> spec = NetSpec(input_size=5, hidden=[8], output_size=3, loss="cross_entropy")
    >>> model = build(spec, "numpy")           # or "torch", "tensorflow"
    >>> loss = model.train_step(x, y)          # doctest: +SKIP

Every backend starts from the same weights for the same spec (drawn with numpy from
spec.seed), names them the same way (PyTorch's `"0.weight"` of shape (out, in)) and
follows torch.optim's formulas, so that all three agree step for step in float64
(docs/backends.md lists where TensorFlow/Keras had to be configured or corrected).

Importing this package imports neither torch nor tensorflow: each framework is imported
when its backend is built.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any, Literal, Protocol, get_args, runtime_checkable

import numpy as np

from fcnet.backends._common import native_backend_of, read_npz
from fcnet.i18n import N_
from fcnet.spec import NetSpec

Backend = Literal["numpy", "torch", "tensorflow"]
BACKENDS: tuple[str, ...] = get_args(Backend)  # the one list of backends

_MODULES = {
    "numpy": "fcnet.backends.numpy_backend",
    "torch": "fcnet.backends.torch_backend",
    "tensorflow": "fcnet.backends.tf_backend",
}
_PIP = {"torch": "torch", "tensorflow": "tensorflow-cpu (or tensorflow)"}
_ALIASES = {"tf": "tensorflow", "pytorch": "torch", "np": "numpy"}


@runtime_checkable
class Model(Protocol):
    """What every backend's model offers (see docs/architecture.md)."""

    spec: NetSpec
    backend: str
    steps: int

    def predict(self, x: Any) -> np.ndarray: ...

    def train_step(self, x: Any, y: Any, sample_weight: Any = None) -> float: ...

    def evaluate(self, x: Any, y: Any) -> dict[str, float]: ...

    def get_weights(self) -> dict[str, np.ndarray]: ...

    def set_weights(self, d: dict[str, Any]) -> None: ...

    def get_state(self) -> dict[str, np.ndarray]: ...

    def set_state(self, d: dict[str, Any]) -> None: ...

    def save(self, path: str | os.PathLike[str]) -> None: ...

    def load_weights(self, path: str | os.PathLike[str]) -> None: ...


def backend_name(backend: str) -> str:
    """The canonical backend name ("tf" and "pytorch" accepted); ValueError otherwise."""
    name = _ALIASES.get(str(backend).lower(), str(backend).lower())
    if name not in BACKENDS:
        raise ValueError(f"backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
    return name


def _module(backend: str):
    name = backend_name(backend)
    try:
        return importlib.import_module(_MODULES[name])
    except ModuleNotFoundError as exc:
        framework = {"torch": "torch", "tensorflow": "tensorflow"}.get(name)
        if framework and exc.name and exc.name.split(".")[0] in (framework, "keras"):
            raise ValueError(
                f"backend {name!r} needs {exc.name.split('.')[0]}, which is not installed: "
                f"pip install {_PIP[name]}  (or pip install 'fcnet[backends]')"
            ) from None
        raise


def build(spec: NetSpec | dict[str, Any], backend: str = "numpy", device: str = "cpu") -> Model:
    """The network `spec` describes, on `backend`, with the spec's initial weights.

    device: "cpu", or "cuda" for the torch backend (a ValueError where no GPU is visible).
    """
    if isinstance(spec, dict):
        spec = NetSpec.from_dict(spec)
    if not isinstance(spec, NetSpec):
        raise ValueError(f"spec: expected a NetSpec or a dict, got {type(spec).__name__}")
    from fcnet.limits import check_network

    check_network(spec)  # the weights and optimiser state fit in memory, before allocating
    return _module(backend).Model(spec, device=device)


def load(
    path: str | os.PathLike[str],
    backend: str | None = None,
    *,
    spec: NetSpec | None = None,
    device: str = "cpu",
) -> Model:
    """A model from a file: a portable `.npz` (any backend; by default the one that wrote
    it), or a native `.pt` / `.weights.h5`, which hold weights only and so need `spec`."""
    path = Path(path)
    native = native_backend_of(path)
    if path.suffix.lower() == ".npz":
        file_spec, weights, writer = read_npz(path)
        model = build(file_spec, backend or writer or "numpy", device=device)
        model.set_weights(weights)
        return model
    if native is None:
        raise ValueError(f"{path}: expected a .npz, .pt or .weights.h5 model file")
    if backend is not None and backend_name(backend) != native:
        raise ValueError(
            f"{path}: a {native} native file cannot be loaded by backend "
            f"{backend_name(backend)!r}; save it as .npz to move it between backends"
        )
    if spec is None:
        raise ValueError(
            f"{path}: a native {native} file holds weights only; pass spec= "
            f"(or use the portable .npz, which holds the spec)"
        )
    from fcnet._fileio import MAX_NPZ_MEMBER, open_regular

    with open_regular(path, 4 * MAX_NPZ_MEMBER, N_("model file")):
        pass  # a FIFO, a device or an oversized file is refused before the framework reads it
    model = build(spec, native, device=device)
    model.load_weights(path)
    return model


__all__ = ["BACKENDS", "Model", "backend_name", "build", "load"]
