"""Backend tests run torch and numpy's BLAS on one thread: the nets here are tiny, and on a
busy two-core machine contended threads make a torch step tens of times slower."""

from __future__ import annotations

import pytest

from fcnet.backends.compare import limit_threads


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with limit_threads(1):
        yield
