"""download_mnist against local HTTP mirrors on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import functools
import gzip
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from fcnet.data.idx import idx_sha256, read_idx, write_idx
from fcnet.data.mnist import MNIST_SHA256, download_mnist, load_mnist

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "mnist"
NAMES = sorted(f"{stem}.gz" for stem in MNIST_SHA256)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def mirrors(tmp_path_factory):
    """Base URLs of a good mirror (the shipped files) and a bad one (each file damaged)."""
    top = tmp_path_factory.mktemp("mirrors")
    good, bad = top / "good", top / "bad"
    good.mkdir()
    bad.mkdir()
    for name in NAMES:
        shutil.copy(SHIPPED / name, good / name)
    # bad: wrong content that is valid IDX, not gzip at all, a truncated stream; and one missing
    labels = read_idx(SHIPPED / "t10k-labels-idx1-ubyte.gz")
    labels[0] = (labels[0] + 1) % 10
    write_idx(bad / "t10k-labels-idx1-ubyte.gz", labels)
    (bad / "t10k-images-idx3-ubyte.gz").write_bytes(b"<html>not found</html>")
    data = (SHIPPED / "train-labels-idx1-ubyte.gz").read_bytes()
    (bad / "train-labels-idx1-ubyte.gz").write_bytes(data[: len(data) // 2])
    handler = functools.partial(_Quiet, directory=str(top))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield f"{base}/good/", f"{base}/bad/"
    server.shutdown()
    server.server_close()


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
