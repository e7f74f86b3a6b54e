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
    assert not root.exists()  # the folder it made for them is gone too


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


# ----- the streaming check, the deadline and the folder check (fcnet.data.download) -------


def _check(stem: str = "t10k-labels-idx1-ubyte"):
    from fcnet.data.mnist import _gz_check

    return _gz_check(stem)


def _feed(check, data: bytes, step: int = 1000) -> None:
    for i in range(0, len(data), step):
        check.feed(data[i : i + step])


def test_the_streaming_check_accepts_the_published_file_in_any_chunking():
    data = (SHIPPED / "t10k-labels-idx1-ubyte.gz").read_bytes()
    for step in (1, 7, 1000, len(data)):
        check = _check()
        _feed(check, data, step)
        assert check.verify()


def test_the_streaming_check_accepts_concatenated_gzip_members():
    raw = gzip.decompress((SHIPPED / "t10k-labels-idx1-ubyte.gz").read_bytes())
    check = _check()
    _feed(check, gzip.compress(raw[:5000]) + gzip.compress(raw[5000:]))
    assert check.verify()


def test_the_streaming_check_refuses_early():
    from fcnet.data.download import ContentError

    raw = gzip.decompress((SHIPPED / "t10k-labels-idx1-ubyte.gz").read_bytes())
    with pytest.raises(ContentError, match="not a gzip file"):
        _check().feed(b"<html>")
    other = b"\x00\x00\x08\x01" + (10001).to_bytes(4, "big")  # one label too many
    with pytest.raises(ContentError, match=r"its IDX header is 00 00 08 01 00 00 27 11, expected"):
        _check().feed(gzip.compress(other + raw[8:]))
    with pytest.raises(ContentError, match="inflates to more than 10008 bytes"):
        _check().feed(gzip.compress(raw + b"\x00"))
    with pytest.raises(ContentError, match="corrupt gzip stream"):
        _check().feed(gzip.compress(raw)[:20] + b"\xff" * 50)
    short = _check()
    short.feed(gzip.compress(raw[:-1]))
    assert not short.verify()  # complete stream, one byte short
    changed = _check()
    changed.feed(gzip.compress(raw[:-1] + bytes([(raw[-1] + 1) % 10])))
    assert not changed.verify()  # right size and header, other content


def test_a_bomb_costs_no_memory_in_the_check():
    import zlib

    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = b"\x00\x00\x08\x01" + (10000).to_bytes(4, "big")  # the right header, then 64 MiB
    body = co.compress(head) + b"".join(co.compress(bytes(1 << 20)) for _ in range(64))
    check = _check()
    with pytest.raises(ValueError, match="inflates to more than 10008 bytes"):
        _feed(check, body + co.flush(), 1 << 16)


def test_the_deadline_shuts_a_watched_socket(tmp_path):
    import socket
    import time

    from fcnet.data.download import Deadline

    a, b = socket.socketpair()
    with a, b, Deadline(0.2) as deadline:
        deadline.watch(a)
        t = time.monotonic()
        assert a.recv(10) == b""  # woken by the shutdown, not by data
        assert 0.15 < time.monotonic() - t < 5 and deadline.passed
    assert Deadline(None).left(7.0) == 7.0


def test_a_bad_folder_is_refused_before_any_fetch(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(NotADirectoryError, match=r"afile: is a file, expected a folder"):
        download_mnist(afile, mirrors=["http://127.0.0.1:9/"])
    with pytest.raises(OSError, match=r"a part of its path is a file") as info:
        download_mnist(afile / "sub", mirrors=["http://127.0.0.1:9/"])
    assert "File exists" not in str(info.value) and ".tmp" not in str(info.value)
    with pytest.raises(ValueError, match="deadline must be a positive number"):
        download_mnist(tmp_path / "d", mirrors=["http://127.0.0.1:9/"], deadline=0)
    for name, value in (("deadline", float("inf")), ("deadline", 1e308), ("timeout", float("nan"))):
        with pytest.raises(ValueError, match=f"{name} must be at most 1e\\+06 seconds"):
            download_mnist(tmp_path / "d", mirrors=["http://127.0.0.1:9/"], **{name: value})
    assert not (tmp_path / "d").exists()  # refused before anything was made


def test_load_mnist_refuses_a_huge_or_foreign_copy_before_reading_it(tmp_path, monkeypatch):
    import zlib

    from fcnet.data import mnist

    for name in NAMES:
        shutil.copy(SHIPPED / name, tmp_path / name)
    monkeypatch.setenv(mnist.ENV_VAR, str(tmp_path))
    target = tmp_path / "t10k-images-idx3-ubyte.gz"
    with open(target, "wb") as fh:
        fh.truncate(3 << 30)  # sparse
    with pytest.raises(mnist.ChecksumError, match=r"3221225472 bytes, more than the file has"):
        load_mnist("test")
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = b"\x00\x00\x08\x03" + b"".join(n.to_bytes(4, "big") for n in (65536, 256, 256))
    target.write_bytes(co.compress(head) + co.compress(bytes(1 << 20)) + co.flush())
    with pytest.raises(mnist.ChecksumError, match=r"its IDX header is 00 00 08 03 00 01 00 00"):
        load_mnist("test")
