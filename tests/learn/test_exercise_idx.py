"""Exercise idx: fcnet's reader is the reference; the course text's loader fails, saying why."""

import pytest
from learnkit import namespace, report, results

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
    assert "load_images raised struct.error, not ValueError, on data one image short" in text
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


def test_a_magic_number_checked_by_its_last_byte_only_is_caught():
    rep = report("idx", namespace("idx_magic_last_byte"), "malformed files raise ValueError")
    (check,) = rep.checks
    assert not check.passed and check.tag == "idx_magic_last_byte_only"
    assert check.message.startswith("only the magic number's last byte is checked")
    assert "type code 0x0d (float32)" in check.message


def test_a_wrong_number_of_dimensions_is_a_malformed_file():
    # the dimension count read from the file, not fixed: 4 dims of 10x1x4x3 pass as 10x12
    ns = namespace(
        "idx_ref",
        "def load_images(path):\n"
        "    data = open(path, 'rb').read()\n"
        "    if data[:3] != b'\\0\\0\\x08':\n        raise ValueError('magic')\n"
        "    ndim = data[3]\n"
        "    dims = np.frombuffer(data, '>u4', ndim, offset=4).astype(int)\n"
        "    size = int(np.prod(dims))\n"
        "    if len(data) != 4 + 4 * ndim + size:\n        raise ValueError('size')\n"
        "    a = np.frombuffer(data, np.uint8, size, offset=4 + 4 * ndim)\n"
        "    return a.reshape(dims[0], -1)\n",
    )
    ok, text = results("idx", ns, "malformed files raise ValueError")[
        "malformed files raise ValueError"
    ]
    assert not ok and "0x00000804 (4 dimensions" in text
