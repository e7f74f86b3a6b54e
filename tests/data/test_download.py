"""download_mnist against local HTTP mirrors on 127.0.0.1 (never the internet; the
`mirrors` fixture is in conftest.py)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from fcnet.data.idx import idx_sha256, read_idx
from fcnet.data.mnist import MNIST_SHA256, download_mnist, load_mnist

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "mnist"
NAMES = sorted(f"{stem}.gz" for stem in MNIST_SHA256)


def test_downloads_verified_files_skipping_a_bad_mirror(mirrors, tmp_path):
    good, bad = mirrors
    root = tmp_path / "mnist"
    assert download_mnist(root, mirrors=[bad, good], timeout=10) == root
    assert sorted(p.name for p in root.iterdir()) == NAMES  # nothing else, no temporaries
    for name in NAMES:
        assert idx_sha256(read_idx(root / name)) == MNIST_SHA256[name[:-3]]
    x, y = load_mnist("test", root=root)
    assert x.shape == (10000, 784) and np.bincount(y)[1] == 1135


def test_only_bad_mirrors_keep_nothing(mirrors, tmp_path):
    _, bad = mirrors
    root = tmp_path / "mnist"
    with pytest.raises(OSError, match=r"no verified copy of t10k-labels-idx1-ubyte\.gz") as info:
        download_mnist(root, mirrors=[bad], timeout=10)
    assert "does not match the published SHA-256" in str(info.value)
    assert not root.exists() or not any(root.iterdir())


def test_missing_and_corrupt_files_are_reported_per_mirror(mirrors, tmp_path):
    good, bad = mirrors
    root = tmp_path / "mnist"
    # the test labels are there already; for the test images, the bad mirror serves HTML
    # and the other answers 404
    root.mkdir()
    shutil.copy(SHIPPED / "t10k-labels-idx1-ubyte.gz", root)
    with pytest.raises(OSError, match=r"no verified copy of t10k-images-idx3-ubyte\.gz") as info:
        download_mnist(root, mirrors=[bad, good.replace("/good/", "/absent/")], timeout=10)
    assert "/bad/t10k-images-idx3-ubyte.gz: content does not match" in str(info.value)
    assert "/absent/t10k-images-idx3-ubyte.gz: HTTP 404" in str(info.value)
    assert sorted(p.name for p in root.iterdir()) == ["t10k-labels-idx1-ubyte.gz"]


def test_verified_files_already_there_are_kept(mirrors, tmp_path):
    _, bad = mirrors
    root = tmp_path / "mnist"
    root.mkdir()
    for name in NAMES:
        shutil.copy(SHIPPED / name, root / name)
    before = {p.name: p.stat().st_mtime_ns for p in root.iterdir()}
    download_mnist(root, mirrors=[bad], timeout=10)  # the bad mirror is never needed
    assert {p.name: p.stat().st_mtime_ns for p in root.iterdir()} == before


def test_a_damaged_local_file_is_replaced(mirrors, tmp_path):
    good, _ = mirrors
    root = tmp_path / "mnist"
    root.mkdir()
    for name in NAMES:
        shutil.copy(SHIPPED / name, root / name)
    (root / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"junk"))
    download_mnist(root, mirrors=[good], timeout=10)
    labels = read_idx(root / "t10k-labels-idx1-ubyte.gz")
    assert idx_sha256(labels) == MNIST_SHA256["t10k-labels-idx1-ubyte"]


def test_mirrors_must_be_http(tmp_path):
    with pytest.raises(ValueError, match=r"http\(s\) URL, got 'file:///etc/'"):
        download_mnist(tmp_path, mirrors=["file:///etc/"])
