"""One BLAS thread for the engine's tests: they use small matrices, and on a shared
machine a second BLAS thread mostly waits (OpenBLAS is many times slower under load)."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    with threadpool_limits(1):
        yield
