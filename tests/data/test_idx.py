"""read_idx / write_idx: round trips, byte layout, sources, gzip by magic, atomic writes."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pytest

from fcnet.data import idx as idx_module
from fcnet.data.idx import IdxFormatError, idx_header, idx_sha256, read_idx, write_idx

DTYPES = ["uint8", "int8", "int16", "int32", "float32", "float64"]
SHAPES = [(7,), (3, 5), (2, 3, 4), (2, 1, 3, 2)]
MNIST = Path(__file__).resolve().parents[2] / "data" / "mnist"


def _sample(dtype: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Values spanning the dtype's range (extremes included) so byte order matters."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    n = int(np.prod(shape))
    if dt.kind == "f":
        values = rng.standard_normal(n) * 1e3
        if n >= 2:
            values[:2] = [np.finfo(dt).max, -np.finfo(dt).tiny]
    else:
        info = np.iinfo(dt)
        values = rng.integers(info.min, info.max, n, endpoint=True)
        if n >= 2:
            values[:2] = [info.min, info.max]
    return values.astype(dt).reshape(shape)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{len(s)}d")
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_every_dtype_and_rank(tmp_path, dtype, shape, compress):
    array = _sample(dtype, shape)
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    write_idx(path, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    assert back.shape == shape
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable
    # the same content through bytes and a file object
    np.testing.assert_array_equal(read_idx(path.read_bytes()), array)
    with open(path, "rb") as fh:
        np.testing.assert_array_equal(read_idx(fh), array)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("shape", [(0,), (0, 28, 28), (5, 0), (2, 0, 3, 0)])
def test_round_trip_zero_length_dimensions(tmp_path, shape, compress):
    array = np.zeros(shape, np.float32)
    path = tmp_path / "empty.idx"
    write_idx(path, array, compress=compress)
    back = read_idx(path)
    assert back.shape == shape and back.dtype == np.float32


def test_bytes_on_disk_are_big_endian_idx(tmp_path):
    path = tmp_path / "x.idx"
    write_idx(path, np.array([1, -2], dtype=np.int16))
    # magic 00 00 0B 01, one dimension of 2, then 0x0001 and 0xFFFE big-endian
    assert path.read_bytes() == bytes.fromhex("00000B01 00000002 0001 FFFE")
    write_idx(path, np.array([[1.0]], dtype=">f8"))  # a big-endian array is fine too
    assert path.read_bytes() == bytes.fromhex("00000E02 00000001 00000001 3FF0000000000000")
    assert read_idx(path).dtype == np.dtype("=f8")


def test_gzip_is_recognised_by_magic_not_name(tmp_path):
    array = np.arange(12, dtype=np.int32).reshape(3, 4)
    gz_named_plain = tmp_path / "plain-name"
    write_idx(gz_named_plain, array, compress=True)
    assert gz_named_plain.read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(read_idx(gz_named_plain), array)
    plain_named_gz = tmp_path / "looks.gz"
    write_idx(plain_named_gz, array, compress=False)
    assert plain_named_gz.read_bytes()[:2] == b"\x00\x00"
    np.testing.assert_array_equal(read_idx(plain_named_gz), array)


def test_concatenated_gzip_members_are_one_stream():
    array = np.arange(10, dtype=np.uint8)
    data = gzip.compress(idx_header(array)) + gzip.compress(array.tobytes())
    np.testing.assert_array_equal(read_idx(data), array)


def test_sources_path_types_and_bytes_like(tmp_path):
    array = np.arange(6, dtype=np.uint8)
    path = tmp_path / "a.idx"
    write_idx(str(path), array)
    for source in (path, str(path), path.read_bytes(), bytearray(path.read_bytes())):
        np.testing.assert_array_equal(read_idx(source), array)
    back = read_idx(io.BytesIO(path.read_bytes()))
    np.testing.assert_array_equal(back, array)
    back[0] = 9  # the result owns its memory
    assert back[0] == 9


def test_result_does_not_alias_the_callers_bytes():
    data = bytearray(idx_header(np.zeros(3, np.uint8)) + b"\x01\x02\x03")
    back = read_idx(data)
    data[-1] = 0
    assert back.tolist() == [1, 2, 3]


def test_missing_file_is_oserror_not_format_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope")
    with pytest.raises(IsADirectoryError):
        read_idx(tmp_path)


def test_bad_source_types_raise_type_error():
    with pytest.raises(TypeError, match="path, bytes or a binary file"):
        read_idx(12)
    with pytest.raises(TypeError, match="not a binary file object"):
        read_idx(io.StringIO("text"))


@pytest.mark.parametrize("dtype", ["int64", "uint16", "bool", "complex64", "float16"])
def test_write_rejects_other_dtypes_listing_supported(tmp_path, dtype):
    path = tmp_path / "bad.idx"
    with pytest.raises(
        ValueError, match=rf"cannot store dtype {dtype}; supported: uint8, int8, int16"
    ):
        write_idx(path, np.zeros(3, dtype))
    assert not path.exists()


def test_write_rejects_scalars(tmp_path):
    with pytest.raises(ValueError, match="1 to 255 dimensions, got a 0-d array"):
        write_idx(tmp_path / "s.idx", np.float32(1.0))


def test_numpys_most_dimensions_round_trip(tmp_path):
    write_idx(tmp_path / "m.idx", np.zeros((1,) * 63 + (2,), np.uint8))
    assert read_idx(tmp_path / "m.idx").shape == (1,) * 63 + (2,)


def test_write_is_atomic_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "keep.idx.gz"
    write_idx(path, np.arange(4, dtype=np.uint8))
    before = path.read_bytes()

    class Boom(gzip.GzipFile):
        def write(self, data):
            super().write(data)
            raise OSError("disk full")

    monkeypatch.setattr(idx_module.gzip, "GzipFile", Boom)
    with pytest.raises(OSError, match="disk full"):
        write_idx(path, np.arange(100, dtype=np.uint8))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.idx.gz"]  # no temporary left


def test_gz_output_is_reproducible(tmp_path):
    array = np.arange(50, dtype=np.float32)
    write_idx(tmp_path / "a.gz", array)
    write_idx(tmp_path / "b.gz", array)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()
    assert b"a.gz" not in (tmp_path / "a.gz").read_bytes()  # no file name in the header


def test_idx_sha256_is_the_uncompressed_files_hash(tmp_path):
    import hashlib

    array = _sample("int32", (4, 3))
    write_idx(tmp_path / "a.idx", array)
    assert idx_sha256(array) == hashlib.sha256((tmp_path / "a.idx").read_bytes()).hexdigest()


def test_reads_the_shipped_mnist_labels():
    labels = read_idx(MNIST / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_format_error_is_a_value_error():
    assert issubclass(IdxFormatError, ValueError)


@pytest.mark.parametrize("in_chunk, out_chunk", [(1, 1), (7, 5), (64, 3)])
def test_tiny_inflate_steps_give_the_same_results(monkeypatch, in_chunk, out_chunk):
    monkeypatch.setattr(idx_module, "_IN_CHUNK", in_chunk)
    monkeypatch.setattr(idx_module, "_CHUNK", out_chunk)
    array = _sample("int32", (5, 7))
    header, payload = idx_header(array), array.astype(">i4").tobytes()
    one = gzip.compress(header + payload)
    two = gzip.compress(header) + gzip.compress(payload[:50]) + gzip.compress(payload[50:])
    for data in (one, two, two + gzip.compress(b"")):
        np.testing.assert_array_equal(read_idx(data), array)
    with pytest.raises(IdxFormatError, match="3 bytes of trailing garbage"):
        read_idx(two + b"abc")
    with pytest.raises(IdxFormatError, match="truncated gzip stream"):
        read_idx(two[:-1])
    with pytest.raises(IdxFormatError, match="payload inflates to more than 140 bytes"):
        read_idx(two + gzip.compress(b"\x00"))


def test_non_contiguous_and_foreign_order_arrays_are_written_in_c_order(tmp_path):
    base = _sample("float32", (4, 6), seed=1)
    for array in (np.asfortranarray(base), base[:, ::2], base.astype(">f4"), base.T):
        write_idx(tmp_path / "a.idx", array)
        back = read_idx(tmp_path / "a.idx")
        assert back.dtype == np.dtype("=f4")
        np.testing.assert_array_equal(back, array)
