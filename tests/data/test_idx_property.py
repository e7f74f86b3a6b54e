"""Property: truncating, extending or flipping bytes of valid IDX files (raw or gzipped)
gives either an array or IdxFormatError, never another exception."""

from __future__ import annotations

import gzip

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fcnet.data.idx import IdxFormatError, idx_header, read_idx

DTYPES = ["uint8", "int8", "int16", "int32", "float32", "float64"]
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@st.composite
def idx_files_and_arrays(draw) -> tuple[bytes, np.ndarray]:
    """A valid IDX file (random dtype, 1 to 3 small dimensions, raw or gzipped) and the
    array it holds, decoded independently of read_idx (big-endian payload, C order)."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=1, max_size=3)))
    n = int(np.prod(shape))
    payload = draw(st.binary(min_size=n * dtype.itemsize, max_size=n * dtype.itemsize))
    data = idx_header(np.zeros(shape, dtype)) + payload
    expected = np.frombuffer(payload, dtype.newbyteorder(">")).reshape(shape)
    return (gzip.compress(data, mtime=0) if draw(st.booleans()) else data), expected


def idx_files() -> st.SearchStrategy[bytes]:
    return idx_files_and_arrays().map(lambda pair: pair[0])


def _read_or_format_error(data: bytes) -> np.ndarray | None:
    try:
        array = read_idx(data)
    except IdxFormatError as exc:
        assert str(exc).startswith("<bytes>: ")
        return None
    assert isinstance(array, np.ndarray) and array.dtype.isnative
    return array


@SETTINGS
@given(idx_files_and_arrays())
def test_valid_files_read(pair):
    data, expected = pair
    array = _read_or_format_error(data)
    assert array is not None
    assert array.shape == expected.shape and array.dtype == expected.dtype.newbyteorder("=")
    # bit for bit (NaN payloads included): the same bytes once in native order
    assert array.tobytes() == expected.astype(expected.dtype.newbyteorder("=")).tobytes()


@SETTINGS
@given(idx_files(), st.data())
def test_truncated(data, draw):
    cut = draw.draw(st.integers(0, max(len(data) - 1, 0)))
    # A shorter raw file never matches its header; a cut gzip stream is always incomplete.
    assert _read_or_format_error(data[:cut]) is None


@SETTINGS
@given(idx_files(), st.binary(min_size=1, max_size=64))
def test_extended(data, extra):
    _read_or_format_error(data + extra)
    if data[:2] != b"\x1f\x8b":
        assert _read_or_format_error(data + extra) is None  # trailing bytes are an error


@SETTINGS
@given(idx_files(), st.data())
def test_flipped_bytes(data, draw):
    flips = draw.draw(
        st.lists(
            st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)), min_size=1, max_size=4
        )
    )
    mutated = bytearray(data)
    for pos, mask in flips:
        mutated[pos] ^= mask
    _read_or_format_error(bytes(mutated))


@SETTINGS
@given(st.binary(max_size=80), st.sampled_from([b"", b"\x00\x00", b"\x1f\x8b", b"\x1f\x8b\x08"]))
def test_arbitrary_bytes(tail, prefix):
    _read_or_format_error(prefix + tail)
