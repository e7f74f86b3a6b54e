"""The compiled kernels (numba), loaded on first use, or None without them.

fcnet's long element-wise passes have a compiled twin beside the numpy lines they
replace: `fcnet.nn._kernels` (Adam, dropout, ReLU') and `fcnet.data._kernels` (the
image warp of `fcnet.data.augment`). numba is imported only when a kernel is first
wanted: for the engine, when a pass is long enough to pay for it (`worth`), so small
networks, the gradient checks and `import fcnet` never load it. FCNET_JIT=0 turns every
kernel off (the numpy code then runs, with the same results).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

MIN_SIZE = 1 << 15
"""Fewest elements for a compiled engine pass: below it numpy's ufuncs cost as little."""

_loaded: dict[str, ModuleType | None] = {}


def load(name: str) -> ModuleType | None:
    """The kernel module `name`, or None when FCNET_JIT=0 or numba cannot be imported."""
    if name not in _loaded:
        module = None
        if os.environ.get("FCNET_JIT", "1").strip() != "0":
            try:
                module = importlib.import_module(name)
            except (ImportError, OSError):  # numba missing or broken: numpy does every pass
                module = None
        _loaded[name] = module
    return _loaded[name]


def kernels() -> ModuleType | None:
    """The engine's kernels, `fcnet.nn._kernels` (or None)."""
    return load("fcnet.nn._kernels")


def worth(size: int) -> ModuleType | None:
    """The engine's kernels when a pass over `size` elements should use them, else None."""
    return kernels() if size >= MIN_SIZE else None
