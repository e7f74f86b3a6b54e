"""Exercise idx: fcnet's reader is the reference; the course text's loader fails, saying why."""

import pytest
from learnkit import namespace, results

FAST = ("labels on MNIST", "images on MNIST", "other sizes", "malformed files raise ValueError")


def test_reference_passes_every_check_but_speed():
    got = results("idx", namespace("idx_ref"), *FAST)
    assert all(ok for ok, _ in got.values()), got


def test_reference_is_ten_times_the_course_loader():
    ok, text = results("idx", namespace("idx_ref"), "speed")["speed"]
    assert ok, text
    assert "the course text's struct loader" in text


def test_course_loader_is_slow_and_checks_nothing():
    got = results(
        "idx", namespace("idx_course"), "images on MNIST", "malformed files raise ValueError"
    )
    ok, text = got["images on MNIST"]
    assert not ok and "returns int64" in text and "expected uint8" in text
    ok, text = got["malformed files raise ValueError"]
    assert not ok
    assert "load_images raised error, not ValueError, on data one image short" in text
    assert "load_images accepted one image of extra bytes after the data" in text


def test_course_loader_fails_speed(monkeypatch):
    monkeypatch.setenv("FCNET_LEARN_TIME_SCALE", "3")  # its 4 s may pass 10 s on a loaded machine
    # the course loader, made to return uint8, still is a Python int per pixel
    ns = namespace(
        "idx_course", "def load_images(p):\n    return loadImageSet(p)[0].astype(np.uint8)\n"
    )
    ok, text = results("idx", ns, "speed")["speed"]
    assert not ok and "need at least 10x" in text and "np.frombuffer" in text


def test_little_endian_header_is_named():
    got = results("idx", namespace("idx_little_endian"), "labels on MNIST", "images on MNIST")
    for ok, text in got.values():
        assert not ok and "big-endian (MSB first)" in text


def test_unchecked_length_is_caught():
    got = results("idx", namespace("idx_unchecked"), *FAST)
    assert got["images on MNIST"][0] and got["other sizes"][0]
    ok, text = got["malformed files raise ValueError"]
    assert not ok
    assert "load_images accepted data one image short (returned an array of shape (9, 12))" in text
    assert "one image of extra bytes" in text and "exactly the header's count of bytes" in text


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("def load_labels(p):\n    return tuple(load_labels_ok(p))\n", "returns a tuple"),
        (
            "def load_images(p):\n    a = load_images_ok(p)\n"
            "    return a.reshape(len(a), 28, -1)\n",
            "expected (10000, 784) = (N, rows*cols)",
        ),
    ],
)
def test_shape_and_type_mistakes(override, message):
    ns = namespace(
        "idx_ref", "load_labels_ok, load_images_ok = load_labels, load_images\n" + override
    )
    got = results("idx", ns, "labels on MNIST", "images on MNIST")
    assert any(not ok and message in text for ok, text in got.values()), got
