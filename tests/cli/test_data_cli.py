"""`fcnet data info` and `fcnet data show`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from fcnet.cli import cli
from fcnet.data.idx import read_idx, write_idx
from fcnet.data.mnist import MNIST_SHA256

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "mnist"
IMAGES = SHIPPED / "t10k-images-idx3-ubyte.gz"
LABELS = SHIPPED / "t10k-labels-idx1-ubyte.gz"


def _run(*args: str):
    return CliRunner().invoke(cli, ["data", *map(str, args)])


def test_info_on_shipped_labels():
    result = _run("info", LABELS)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "type code   0x08" in out
    assert "dtype       uint8" in out
    assert "shape       (10000,)" in out
    assert f"{LABELS.stat().st_size} on disk, 10000 of data" in out
    assert MNIST_SHA256["t10k-labels-idx1-ubyte"] in out
    lines = {line.split()[0]: line.split()[-1] for line in out.splitlines() if line.strip()}
    assert lines["min"] == "0" and lines["max"] == "9"


def test_info_on_a_float_file(tmp_path):
    path = tmp_path / "values.idx"
    write_idx(path, np.array([[-2.5, 0.0], [1.0, 7.25]], dtype=np.float64))
    result = _run("info", path)
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split(None, 1)[1] for line in result.stdout.splitlines()}
    assert lines["type"] == "code   0x0E"
    assert lines["dtype"] == "float64" and lines["shape"] == "(2, 2)"
    assert lines["min"] == "-2.5" and lines["max"] == "7.25"


def test_info_on_an_empty_array(tmp_path):
    path = tmp_path / "empty.idx"
    write_idx(path, np.zeros((0, 3), np.int16))
    result = _run("info", path)
    assert result.exit_code == 0, result.output
    assert "(0, 3)" in result.stdout and "- (empty)" in result.stdout


def test_show_draws_the_digit_with_its_label_and_saves_png(tmp_path):
    png = tmp_path / "digit.png"
    result = _run("show", IMAGES, "--index", "0", "--labels", LABELS, "--png", png, "--scale", "2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    drawing = lines[:28]
    assert all(len(line) == 56 for line in drawing)
    image = read_idx(IMAGES)[0]
    # full ink where the pixel is 255 or so, blank where it is 0
    for (r, c), value in np.ndenumerate(image):
        cell = drawing[r][2 * c]
        assert (cell == " ") == (value < 255 / 5)
        if value >= 4 * 255 / 5:
            assert cell == "█"
    assert "label: 7" in lines[28]
    from PIL import Image

    with Image.open(png) as im:
        assert im.size == (56, 56)
        pixels = np.asarray(im)
    np.testing.assert_array_equal(pixels[::2, ::2], image)


def test_show_flattened_float_images(tmp_path):
    path = tmp_path / "flat.idx"
    flat = np.zeros((2, 16), np.float32)
    flat[1, 5] = 3.0  # row 1, column 1 of a 4x4 image
    write_idx(path, flat)
    result = _run("show", path, "--index", "1")
    assert result.exit_code == 0, result.output
    drawing = result.stdout.splitlines()[:4]
    assert drawing[1] == "  ██    " and drawing[0] == " " * 8


@pytest.mark.parametrize(
    "args, message",
    [
        (["info", "/no/such/file"], "/no/such/file: No such file or directory"),
        (["show", IMAGES, "--index", "10000"], "--index 10000 is out of range"),
        (["show", IMAGES, "--index", "-1"], "--index -1 is out of range"),
        (["show", LABELS, "--index", "0"], r"expected images of shape (N, H, W)"),
        (["show", IMAGES, "--index", "0", "--labels", IMAGES], "expected 10000 labels"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(args, message):
    result = _run(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    err = result.stderr.strip()
    assert err.startswith("fcnet: error: ") and "\n" not in err
    assert message in err


def test_malformed_file_is_a_user_error(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02")
    result = _run("info", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"fcnet: error: {path}: payload has 2 bytes, header (5,) of uint8 needs 5"
    )


def test_real_console_entry_point(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(b"junk")
    proc = subprocess.run(
        [sys.executable, "-m", "fcnet", "data", "info", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.strip().startswith(f"fcnet: error: {path}: first two bytes are 6a 75")
