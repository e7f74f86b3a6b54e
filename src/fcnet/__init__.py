"""fcnet: fully-connected neural networks, with backpropagation you can read.

The numpy engine (`fcnet.nn`) is written by hand; the PyTorch and TensorFlow
backends (`fcnet.backends`) build the same network from one `fcnet.spec.NetSpec`.
Importing fcnet imports neither torch nor tensorflow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from fcnet import _startup

_startup.install()  # only when this process is the `fcnet` command (see fcnet._startup)

if TYPE_CHECKING:  # pragma: no cover
    from fcnet.backends import Model
    from fcnet.spec import NetSpec


def build(spec: NetSpec, backend: str = "numpy", **kwargs: Any) -> Model:
    """Build the network described by `spec` on `backend` ("numpy", "torch" or "tensorflow")."""
    from fcnet.backends import build as _build

    return _build(spec, backend=backend, **kwargs)


__all__ = ["__version__", "build"]
