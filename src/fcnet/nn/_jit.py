"""The compiled kernels (`fcnet.nn._kernels`), loaded on first use, or None without them.

numba is imported only when a pass is long enough to pay for it (`worth`), so small
networks, the gradient checks and `import fcnet` never load it. FCNET_JIT=0 turns the
kernels off (every pass then runs as numpy ufuncs, with the same results).
"""

from __future__ import annotations

import os
from types import ModuleType

MIN_SIZE = 1 << 15
"""Fewest elements for a compiled pass: below it, numpy's ufuncs cost about as little."""

_UNSET = object()
_kernels: object = _UNSET


def kernels() -> ModuleType | None:
    """`fcnet.nn._kernels`, or None when FCNET_JIT=0 or numba cannot be imported."""
    global _kernels
    if _kernels is _UNSET:
        if os.environ.get("FCNET_JIT", "1").strip() == "0":
            _kernels = None
        else:
            try:
                from fcnet.nn import _kernels as module
            except ImportError:  # numba missing or broken here: numpy does every pass
                module = None
            _kernels = module
    return _kernels  # type: ignore[return-value]


def worth(size: int) -> ModuleType | None:
    """The kernels when a pass over `size` elements should use them, else None."""
    return kernels() if size >= MIN_SIZE else None
