"""Each malformed IDX case raises IdxFormatError naming the source, fast, in bounded memory."""

from __future__ import annotations

import gzip
import re
import tracemalloc
import zlib

import numpy as np
import pytest

from fcnet.data.idx import IdxFormatError, idx_header, read_idx

GOOD = idx_header(np.zeros((2, 3), np.uint8)) + bytes(range(6))  # 00 00 08 02, 2, 3, payload


def _read_all_ways(tmp_path, data: bytes, match: str, name: str = "bad-file"):
    """The same bytes as a path, as bytes and as a file object all raise IdxFormatError."""
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IdxFormatError, match=match) as info:
        read_idx(path)
    assert str(info.value).startswith(f"{path}: ")
    assert "\n" not in str(info.value)
    with pytest.raises(IdxFormatError, match=match) as info:
        read_idx(data)
    assert str(info.value).startswith("<bytes>: ")
    with open(path, "rb") as fh, pytest.raises(IdxFormatError, match=match) as info:
        read_idx(fh)
    assert str(info.value).startswith(f"{path}: ")


HEADER_CASES = {
    "empty": (b"", "empty file"),
    "short": (b"\x00\x00\x08", "has 3 bytes, too short for an IDX magic number"),
    "magic": (b"\x01\x00\x08\x01\x00\x00\x00\x01\x00", "first two bytes are 01 00"),
    "magic-second": (b"\x00\x07\x08\x01\x00\x00\x00\x01\x00", "first two bytes are 00 07"),
    "text": (b"hello world\n", "first two bytes are 68 65"),
    "type-code": (
        b"\x00\x00\x0a\x01\x00\x00\x00\x01\x00",
        "unknown type code 0x0A, expected one of",
    ),
    "zero-dims": (b"\x00\x00\x08\x00", "declares 0 dimensions, expected 1 to 255"),
    "short-header": (
        b"\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00",
        r"declares 3 dimensions \(16 header bytes\) but the file has only 10 bytes",
    ),
    "too-many-dims": (b"\x00\x00\x08\x41" + b"\x00\x00\x00\x01" * 65 + b"\x00", "65 dimensions"),
    "payload-short": (GOOD[:-1], r"payload has 5 bytes, header \(2, 3\) of uint8 needs 6"),
    "payload-long": (GOOD + b"\x00", r"payload has 7 bytes, header \(2, 3\) of uint8 needs 6"),
    "payload-int32": (
        b"\x00\x00\x0c\x01\x00\x00\x00\x02" + b"\x00" * 7,
        r"payload has 7 bytes, header \(2,\) of int32 needs 8",
    ),
    "absurd": (
        b"\x00\x00\x0e\x04" + b"\xff\xff\xff\xff" * 4 + b"\x00" * 8,
        r"of float64 multiply to \d+ bytes, beyond any array",
    ),
    "huge-but-representable": (
        b"\x00\x00\x08\x02\xff\xff\xff\xff\x7f\xff\xff\xff" + b"\x00" * 8,
        r"payload has 8 bytes, header \(4294967295, 2147483647\) of uint8 needs",
    ),
}


@pytest.mark.parametrize("case", HEADER_CASES)
def test_malformed_raw(tmp_path, case):
    data, match = HEADER_CASES[case]
    _read_all_ways(tmp_path, data, match)


@pytest.mark.parametrize("case", HEADER_CASES)
def test_malformed_inside_gzip(tmp_path, case):
    data, match = HEADER_CASES[case]
    if case == "payload-long":
        match = r"payload inflates to more than 6 bytes"
    if case == "huge-but-representable":
        match = r"more than a gzip stream of \d+ bytes can inflate to"
    _read_all_ways(tmp_path, gzip.compress(data), match)


def test_the_issues_example_message_without_reading_the_payload(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    with open(path, "wb") as fh:
        fh.write(idx_header(np.zeros((60000, 28, 28), np.uint8)))
        fh.truncate(16 + 47039990)  # sparse: the payload is never read
    with pytest.raises(IdxFormatError) as info:
        read_idx(path)
    assert str(info.value) == (
        f"{path}: payload has 47039990 bytes, header (60000, 28, 28) of uint8 needs 47040000"
    )


def test_truncated_gzip(tmp_path):
    data = gzip.compress(GOOD)
    for cut in (3, 10, len(data) // 2, len(data) - 4, len(data) - 1):
        _read_all_ways(tmp_path, data[:cut], "truncated gzip stream|corrupt gzip stream")


def test_gzip_with_only_its_magic(tmp_path):
    _read_all_ways(tmp_path, b"\x1f\x8b", "truncated gzip stream")


def test_corrupt_gzip_crc_and_length(tmp_path):
    data = bytearray(gzip.compress(GOOD))
    data[-8] ^= 0xFF  # CRC-32
    _read_all_ways(tmp_path, bytes(data), r"corrupt gzip stream \(.*incorrect data check")
    data = bytearray(gzip.compress(GOOD))
    data[-1] ^= 0x01  # ISIZE
    _read_all_ways(tmp_path, bytes(data), r"corrupt gzip stream \(.*incorrect length check")


def test_corrupt_gzip_deflate_data(tmp_path):
    data = bytearray(gzip.compress(GOOD))
    data[10] = 0xFF  # first deflate byte: a reserved block type (BTYPE=11)
    _read_all_ways(tmp_path, bytes(data), r"corrupt gzip stream \(.*invalid block type")


def test_trailing_garbage_after_gzip(tmp_path):
    _read_all_ways(tmp_path, gzip.compress(GOOD) + b"junk", "4 bytes of trailing garbage")


def _bomb(header: bytes, zeros: int) -> bytes:
    """A gzip stream of `header` followed by `zeros` zero bytes (about 1000:1)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [c.compress(header)]
    block = bytes(1 << 20)
    for _ in range(zeros >> 20):
        parts.append(c.compress(block))
    parts.append(c.flush())
    return b"".join(parts)


@pytest.mark.parametrize("claimed", [(10,), (1000, 1000)])
def test_gzip_bomb_stops_at_header_size_plus_one(tmp_path, claimed):
    bomb = _bomb(idx_header(np.zeros(claimed, np.uint8)), 64 << 20)  # inflates to 64 MiB
    assert len(bomb) < 100_000
    nbytes = int(np.prod(claimed))
    tracemalloc.start()
    try:
        with pytest.raises(IdxFormatError, match=rf"payload inflates to more than {nbytes} bytes"):
            read_idx(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the claimed payload, the compressed input and one inflate chunk at most; never 64 MiB
    assert peak < nbytes + len(bomb) + (5 << 20)


def test_lying_header_in_a_small_gzip_allocates_nothing_big():
    # header: 2**31 float64 values (16 GiB); the stream holds 8 bytes
    data = gzip.compress(b"\x00\x00\x0e\x01\x80\x00\x00\x00" + bytes(8))
    tracemalloc.start()
    try:
        with pytest.raises(IdxFormatError, match="more than a gzip stream of"):
            read_idx(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_a_claim_within_the_deflate_bound_but_unmet_is_short_payload(tmp_path):
    # 5000 bytes claimed (a stream this size could hold them), 10 inflated: the stream ends early
    data = gzip.compress(idx_header(np.zeros(5000, np.uint8)) + bytes(10))
    _read_all_ways(tmp_path, data, r"payload has 10 bytes, header \(5000,\) of uint8 needs 5000")


def test_a_decompressing_file_object_is_read_only_as_far_as_the_header_says():
    # gzip.open inflates by itself, so read_idx sees raw IDX of unknown length
    import io

    bomb = io.BytesIO(_bomb(idx_header(np.zeros(10, np.uint8)), 64 << 20))
    tracemalloc.start()
    try:
        with gzip.open(bomb) as fh, pytest.raises(IdxFormatError) as info:
            read_idx(fh)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert re.fullmatch(
        r"<file object>: payload has more than 1677\d{4} bytes, header \(10,\) of uint8 needs 10",
        str(info.value),
    )
    assert peak < 8 << 20  # a few chunks, never the 64 MiB


def test_a_file_object_that_returns_short_reads():
    import io

    class Trickle(io.RawIOBase):
        def __init__(self, data):
            self._data = data

        def readable(self):
            return True

        def readinto(self, b):
            n = min(len(b), 3, len(self._data))
            b[:n], self._data = self._data[:n], self._data[n:]
            return n

    array = np.arange(20, dtype=np.int16)
    data = idx_header(array) + array.astype(">i2").tobytes()
    np.testing.assert_array_equal(read_idx(Trickle(data)), array)
    np.testing.assert_array_equal(read_idx(Trickle(gzip.compress(data))), array)
    with pytest.raises(IdxFormatError, match=r"payload has 39 bytes, header \(20,\) of int16"):
        read_idx(Trickle(data[:-1]))
