"""`fcnet data info` explains the IDX header as the course text does: the magic number
and its parts, each big-endian integer at its offset, where the data starts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from click.testing import CliRunner

from fcnet.cli import cli
from fcnet.data.idx import write_idx

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "mnist"


def header(path: Path) -> list[str]:
    result = CliRunner().invoke(cli, ["data", "info", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    return lines[next(i for i, s in enumerate(lines) if s.startswith("IDX header")) :]


def test_training_images_header_as_the_course_text_reads_it():
    lines = header(SHIPPED / "train-images-idx3-ubyte.gz")
    assert "big-endian" in lines[0] and "gunzipped" in lines[0]
    assert lines[1].startswith("offset 0   00 00 08 03  magic number 0x00000803: two zero bytes")
    assert "type code 0x08 (uint8), 3 dimension(s)" in lines[1]
    assert lines[2] == "offset 4   00 00 ea 60  0x0000ea60 = 60000: number of images"
    assert lines[3] == "offset 8   00 00 00 1c  0x0000001c = 28: rows"
    assert lines[4] == "offset 12  00 00 00 1c  0x0000001c = 28: columns"
    assert lines[5].startswith("offset 16  data starts: 47040000 bytes = 60000 x 28 x 28")


def test_labels_and_a_raw_multibyte_file(tmp_path):
    lines = header(SHIPPED / "t10k-labels-idx1-ubyte.gz")
    assert lines[1].startswith("offset 0   00 00 08 01  magic number 0x00000801")
    assert lines[2] == "offset 4   00 00 27 10  0x00002710 = 10000: number of items"
    assert lines[3].startswith("offset 8   data starts: 10000 bytes")
    path = tmp_path / "v.idx"
    write_idx(path, np.zeros((3, 2), dtype=np.int32))
    lines = header(path)
    assert "gunzipped" not in lines[0]
    assert "type code 0x0C (int32), 2 dimension(s)" in lines[1]
    assert lines[2] == "offset 4   00 00 00 03  0x00000003 = 3: size of dimension 0"
    assert lines[3] == "offset 8   00 00 00 02  0x00000002 = 2: size of dimension 1"
    assert lines[4] == (
        "offset 12  data starts: 24 bytes = 3 x 2 values of 4 byte(s) each, big-endian,"
        " in C order (the last index fastest)"
    )
