"""Issue 25.4: numba with nowhere to write its cache. A read-only install with an unwritable
NUMBA_CACHE_DIR and HOME makes numba raise `RuntimeError: cannot cache function
'adam_chunk': no locator available` when the kernels are defined; `fcnet mnist` must
train on the reference numpy path instead, and leave a whole run folder.

Root can write anywhere, so the test takes numba's cache locators away (what numba finds
on such an install) with a sitecustomize module in the child process."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _hostile import MAX_RSS, fcnet

from fcnet import _speed
from fcnet.data.idx import write_idx

NO_LOCATOR = """\
import numba.core.caching as caching

caching.CacheImpl._locator_classes = []  # as with no writable place for numba's cache
"""


@pytest.mark.skipif(_speed.kernels() is None, reason="numba is not importable here")
def test_mnist_without_a_place_for_numbas_cache_trains_on_the_numpy_path(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(NO_LOCATOR)
    monkeypatch.setenv("PYTHONPATH", str(site))
    data = tmp_path / "mnist"
    data.mkdir()
    rng = np.random.default_rng(0)
    for stem, n in (("train", 600), ("t10k", 100)):
        write_idx(data / f"{stem}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), np.uint8))
        write_idx(data / f"{stem}-labels-idx1-ubyte", rng.integers(0, 10, n).astype(np.uint8))
    args = ["mnist", "--data-dir", str(data), "--limit", "500", "--epochs", "1"]
    args += ["--hidden", "64", "--distort", "--out", "run", "-q"]  # 51 k weights: the kernels'
    r = fcnet(*args, cwd=tmp_path, timeout=120)
    assert r.rc == 0, r.stderr[-2000:]
    assert "Traceback" not in r.stderr and "cannot cache" not in r.stderr, r.stderr[-2000:]
    run = tmp_path / "run"
    assert (run / "model.npz").is_file()
    record = json.loads((run / "run.json").read_text())
    assert record["task"] == "mnist"
    assert r.rss < MAX_RSS, f"peak memory {r.rss / 2**20:.0f} MiB"
