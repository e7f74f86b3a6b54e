"""User errors in Chinese: one line on stderr, exit status 2, no English left."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def fcnet(tmp_path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FCNET_LANG", "LC_ALL", "LANG")}
    return subprocess.run(
        [sys.executable, "-m", "fcnet", "--lang", "zh", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("input_size = 2\noutput_size = 1\nfoo = 1\n", "net.toml: 未知的键 'foo'（允许的键："),
        (
            "input_size = 2\noutput_size = 1\nloss = 'cross_entropy'\n",
            "net.toml: output_size: 损失 'cross_entropy' 需要 output_size >= 2",
        ),
        ("input_size = 2\n", "net.toml: output_size: 缺少必需的键"),
    ],
)
def test_spec_errors_are_one_chinese_line(tmp_path, toml, expected):
    (tmp_path / "net.toml").write_text(toml)
    proc = fcnet(tmp_path, "fit", "x", "--config", "net.toml")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fcnet: 错误：" + expected), proc.stderr
    assert "Traceback" not in proc.stderr


def test_idx_error_is_one_chinese_line(tmp_path):
    (tmp_path / "empty-idx1-ubyte").write_bytes(b"")
    proc = fcnet(tmp_path, "data", "info", "empty-idx1-ubyte")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "fcnet: 错误：empty-idx1-ubyte：文件是空的，应当以 IDX 文件头开始"


def test_csv_error_is_one_chinese_line(tmp_path):
    (tmp_path / "t.csv").write_text("age,weight\n1,2\n3,4\n")
    proc = fcnet(tmp_path, "binary", "--dataset", "csv", "--path", "t.csv", "--label", "sick")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "表头中没有列 'sick'（现有的列：age, weight）" in lines[0]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("fit", "--resume", "run"), "run.json：应为键值对象，得到 list"),
        (("fit", "10.0**100*x"), "在取值范围内达到 3.14e+100，超出 float32 训练能容纳的范围"),
    ],
)
def test_hostile_inputs_are_one_chinese_line(tmp_path, argv, expected):
    """A hostile run folder and an overflowing expression: one Chinese line, exit 2."""
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text("[1, 2]")
    proc = fcnet(tmp_path, *argv)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fcnet: 错误："), proc.stderr
    assert expected in lines[0], proc.stderr
