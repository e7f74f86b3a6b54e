"""load_mnist: the shipped copy (verified), user folders in either naming, checks and errors."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from fcnet.data import mnist
from fcnet.data.idx import IdxFormatError, read_idx, write_idx
from fcnet.data.mnist import MNIST_SHA256, ChecksumError, load_mnist, shipped_root

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "mnist"
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _fake_set(folder: Path, split: str, n: int, *, dotted=False, gz=False, seed=0):
    """A small data set in MNIST's layout (random pixels, labels 0-9)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    for stem, array in zip(mnist.MNIST_FILES[split], (images, labels), strict=True):
        name = stem.replace("-idx", ".idx") if dotted else stem
        write_idx(folder / (name + (".gz" if gz else "")), array)
    return images, labels


def test_shipped_root_is_the_repositorys_data_folder(monkeypatch):
    monkeypatch.delenv(mnist.ENV_VAR, raising=False)
    assert shipped_root() == SHIPPED
    monkeypatch.setenv(mnist.ENV_VAR, "/somewhere/else")
    assert shipped_root() == Path("/somewhere/else")


def test_train_split_shape_range_and_label_counts(monkeypatch):
    monkeypatch.delenv(mnist.ENV_VAR, raising=False)
    x, y = load_mnist("train")
    assert x.shape == (60000, 784) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    assert y.shape == (60000,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == TRAIN_COUNTS


def test_test_split_raw_values_and_options(monkeypatch):
    monkeypatch.delenv(mnist.ENV_VAR, raising=False)
    x8, y = load_mnist("test", normalize=False, flatten=False)
    assert x8.shape == (10000, 28, 28) and x8.dtype == np.uint8
    assert np.bincount(y).tolist() == TEST_COUNTS and y[:3].tolist() == [7, 2, 1]
    assert x8.flags.writeable  # a private copy, not the verified cache
    x8[0] = 0
    x, _ = load_mnist("test", dtype=np.float64)
    assert x.dtype == np.float64 and x.shape == (10000, 784)
    np.testing.assert_array_equal(
        x * 255, read_idx(SHIPPED / "t10k-images-idx3-ubyte.gz").reshape(10000, 784)
    )


def test_shipped_copy_is_hashed_once_per_process(monkeypatch, tmp_path):
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        shutil.copy(SHIPPED / f"{name}.gz", tmp_path / f"{name}.gz")
    monkeypatch.setenv(mnist.ENV_VAR, str(tmp_path))
    calls = []
    real = mnist.idx_sha256
    monkeypatch.setattr(mnist, "idx_sha256", lambda a: calls.append(a.shape) or real(a))
    load_mnist("test")
    load_mnist("test", normalize=False)
    assert calls == [(10000, 28, 28), (10000,)]


def test_damaged_shipped_copy_is_refused(monkeypatch, tmp_path):
    images = read_idx(SHIPPED / "t10k-images-idx3-ubyte.gz")
    images[123, 14, 14] ^= 1  # one pixel off by one grey level
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images)
    shutil.copy(SHIPPED / "t10k-labels-idx1-ubyte.gz", tmp_path)
    monkeypatch.setenv(mnist.ENV_VAR, str(tmp_path))
    with pytest.raises(ChecksumError, match=r"t10k-images-idx3-ubyte: SHA-256 .* is damaged"):
        load_mnist("test")
    # the same folder as a user's root is not checksummed
    x, _ = load_mnist("test", root=tmp_path, normalize=False, flatten=False)
    assert x[123, 14, 14] == images[123, 14, 14]


def test_truncated_shipped_copy_is_a_format_error(monkeypatch, tmp_path):
    data = (SHIPPED / "t10k-labels-idx1-ubyte.gz").read_bytes()
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(data[: len(data) // 2])
    shutil.copy(SHIPPED / "t10k-images-idx3-ubyte.gz", tmp_path)
    monkeypatch.setenv(mnist.ENV_VAR, str(tmp_path))
    with pytest.raises(IdxFormatError, match=r"t10k-labels-idx1-ubyte\.gz: truncated gzip"):
        load_mnist("test")


def test_checksums_match_the_shipped_raw_checksums_file():
    listed = {}
    for line in (SHIPPED / "RAW_CHECKSUMS").read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and len(parts[0]) == 64:
            listed[parts[1]] = parts[0]
    assert listed == MNIST_SHA256


@pytest.mark.parametrize("dotted", [False, True], ids=["usual", "course"])
@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_user_folder_in_either_naming(tmp_path, dotted, gz):
    images, labels = _fake_set(tmp_path, "train", 12, dotted=dotted, gz=gz)
    x, y = load_mnist("train", root=tmp_path)
    assert x.shape == (12, 784) and x.dtype == np.float32
    np.testing.assert_array_equal(np.round(x * 255).astype(np.uint8), images.reshape(12, 784))
    np.testing.assert_array_equal(y, labels)
    assert y.dtype == np.int64


def test_fashion_style_set_loads_without_checksums(tmp_path):
    images, labels = _fake_set(tmp_path, "test", 5, gz=True, seed=3)
    x, y = load_mnist("test", root=str(tmp_path), normalize=False, flatten=False)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)


def test_missing_files_list_the_names_looked_for(tmp_path):
    _fake_set(tmp_path, "train", 3)
    with pytest.raises(FileNotFoundError) as info:
        load_mnist("test", root=tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message and "test images" in message
    for name in (
        "t10k-images-idx3-ubyte",
        "t10k-images-idx3-ubyte.gz",
        "t10k-images.idx3-ubyte",
        "t10k-images.idx3-ubyte.gz",
    ):
        assert name in message
    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_mnist("train", root=tmp_path / "absent")


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"split must be one of \['test', 'train'\], got 'valid'"):
        load_mnist("valid")
    with pytest.raises(ValueError, match="dtype must be a float type when normalize=True"):
        load_mnist("test", dtype=np.int32)


def _write_pair(folder, images, labels):
    write_idx(folder / "train-images-idx3-ubyte", images)
    write_idx(folder / "train-labels-idx1-ubyte", labels)


@pytest.mark.parametrize(
    "images, labels, match",
    [
        (np.zeros((3, 27, 27), np.uint8), np.zeros(3, np.uint8), r"images of shape \(N, 28, 28\)"),
        (np.zeros((3, 784), np.uint8), np.zeros(3, np.uint8), r"images of shape \(N, 28, 28\)"),
        (np.zeros((3, 28, 28), np.float32), np.zeros(3, np.uint8), "uint8 images"),
        (np.zeros((3, 28, 28), np.uint8), np.zeros((3, 1), np.uint8), r"labels of shape \(N,\)"),
        (np.zeros((3, 28, 28), np.uint8), np.zeros(3, np.int32), "uint8 labels"),
        (np.zeros((3, 28, 28), np.uint8), np.zeros(4, np.uint8), "4 labels for 3 images"),
        (np.zeros((3, 28, 28), np.uint8), np.array([0, 10, 2], np.uint8), "0 to 9, found 10"),
    ],
)
def test_content_checks(tmp_path, images, labels, match):
    _write_pair(tmp_path, images, labels)
    with pytest.raises(ValueError, match=match):
        load_mnist("train", root=tmp_path)


def test_a_raw_file_wins_over_its_gz(tmp_path):
    images, _ = _fake_set(tmp_path, "train", 2)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"not idx"))
    x, _ = load_mnist("train", root=tmp_path, normalize=False)
    np.testing.assert_array_equal(x.reshape(images.shape), images)
