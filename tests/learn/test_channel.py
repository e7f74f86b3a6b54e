"""fcnet.learn.channel: values cross as data only, every frame is checked on receipt, and a
read never outlasts its deadline."""

from __future__ import annotations

import json
import socket
import struct
import time

import numpy as np
import pytest

from fcnet.learn.channel import Channel, ChannelError, ChannelTimeout, Remote, encode


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    yield Channel(a), Channel(b, limit=1 << 20)
    a.close()
    b.close()


def _raw(sock: socket.socket, header: dict, body: bytes = b"") -> None:
    head = json.dumps(header).encode()
    sock.sendall(struct.pack(">QQ", len(head) + len(body), len(head)) + head + body)


def test_data_round_trips_with_types_kept(pair):
    send, recv = pair
    value = {
        "a": np.arange(6, dtype=">u4").reshape(2, 3),
        "t": (1, 2.5, float("nan"), float("-inf"), None, True, "x", 2**70),
        "l": [np.zeros((0, 3)), np.float64(1.5), np.bool_(True), Remote(3, "Model")],
    }
    send.send({"token": "t"}, value)
    header, got = recv.recv(time.monotonic() + 5)
    assert header["token"] == "t"
    assert got["a"].dtype == np.dtype(">u4") and np.array_equal(got["a"], value["a"])
    assert got["t"][:2] == (1, 2.5) and np.isnan(got["t"][2]) and got["t"][3] == float("-inf")
    assert got["t"][4:] == (None, True, "x", 2**70)
    assert got["l"][0].shape == (0, 3) and got["l"][1:] == [1.5, True, Remote(3, "Model")]


@pytest.mark.parametrize(
    "value",
    [np.array([object()]), np.zeros(2, dtype=[("a", "i4")]), {1: 2}, object(), np.array(["s"])],
    ids=["object array", "structured", "int keys", "object", "str array"],
)
def test_what_is_not_data_does_not_encode(value):
    with pytest.raises(TypeError):
        encode(value, [])


@pytest.mark.parametrize(
    ("header", "body", "why"),
    [
        ({"value": {"$nd": 0, "dtype": "|O", "shape": [1]}, "arrays": [8]}, bytes(8), "numbers"),
        ({"value": {"$nd": 0, "dtype": "<f8", "shape": [2]}, "arrays": [8]}, bytes(8), "size"),
        ({"value": {"$nd": 1, "dtype": "<f8", "shape": [1]}, "arrays": [8]}, bytes(8), "no array"),
        ({"value": {"$nd": 0, "dtype": "<f8", "shape": [1]}, "arrays": [9]}, bytes(8), "add up"),
        ({"value": {"$pickle": "gASV"}, "arrays": []}, b"", "not a value"),
        ({"value": {"$tuple": [[[]]] * 3}, "arrays": []}, b"", None),
        ({"value": {"$nd": 0, "dtype": "<f8", "shape": [0, 2**70]}, "arrays": [0]}, b"", "shape"),
        (
            {"value": {"$nd": 0, "dtype": "<f8", "shape": [0, 2**40, 2**40]}, "arrays": [0]},
            b"",
            "shape",
        ),
    ],
    ids=[
        "object dtype",
        "short data",
        "missing array",
        "sizes",
        "unknown tag",
        "fine",
        "dimension numpy cannot make",
        "too big an empty array",
    ],
)
def test_malformed_frames_fail(pair, header, body, why):
    send, recv = pair
    _raw(send.sock, header, body)
    if why is None:
        recv.recv(time.monotonic() + 5)
        return
    with pytest.raises(ChannelError, match=why):
        recv.recv(time.monotonic() + 5)


def test_an_oversized_frame_is_refused_before_it_is_read(pair):
    send, recv = pair
    send.sock.sendall(struct.pack(">QQ", 1 << 40, 10))
    with pytest.raises(ChannelError, match="a frame of"):
        recv.recv(time.monotonic() + 5)


def test_an_announced_frame_costs_only_what_arrives():
    """A child that announces a frame near the limit and sends little holds no more of the
    parent's memory than that little (the buffer grows as bytes come), and big frames that
    do arrive come whole."""
    import tracemalloc

    a, b = socket.socketpair()
    send, recv = Channel(a), Channel(b, limit=1 << 30)
    try:
        a.sendall(struct.pack(">QQ", 900 << 20, 10) + b"x" * 5000)
        tracemalloc.start()
        with pytest.raises(ChannelTimeout):
            recv.recv(time.monotonic() + 0.3)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 4 << 20, peak
    finally:
        a.close()
        b.close()
    a, b = socket.socketpair()
    send, recv = Channel(a), Channel(b, limit=1 << 30)
    big = np.arange(3 << 20, dtype=np.float64)  # 24 MiB: the buffer grows several times
    try:
        import threading

        writer = threading.Thread(target=send.send, args=({"token": "t"}, big))
        writer.start()
        header, got = recv.recv(time.monotonic() + 30)
        writer.join()
        assert header["token"] == "t" and np.array_equal(got, big)
    finally:
        a.close()
        b.close()


def test_deep_nesting_is_refused(pair):
    send, recv = pair
    tree: object = 1
    for _ in range(100):
        tree = [tree]
    _raw(send.sock, {"value": tree, "arrays": []})
    with pytest.raises(ChannelError, match="nested"):
        recv.recv(time.monotonic() + 5)


def test_a_silent_peer_cannot_hold_a_read_past_its_deadline(pair):
    send, recv = pair
    send.sock.sendall(struct.pack(">QQ", 100, 10))  # a frame begun, never finished
    t0 = time.monotonic()
    with pytest.raises(ChannelTimeout):
        recv.recv(t0 + 0.3)
    assert time.monotonic() - t0 < 1.0


def test_a_closed_peer_fails_the_read(pair):
    send, recv = pair
    send.sock.close()
    with pytest.raises(ChannelError, match="closed"):
        recv.recv(time.monotonic() + 5)
