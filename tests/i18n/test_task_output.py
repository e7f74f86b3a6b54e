"""A task run with --lang zh prints its epoch lines, summary table and notes in Chinese."""

from __future__ import annotations

import os
import subprocess
import sys


def run_task(tmp_path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FCNET_LANG", "LC_ALL", "LANG")}
    env.update(COLUMNS="200", OMP_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, "-m", "fcnet", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )


def test_fit_epoch_lines_and_summary_are_chinese(tmp_path):
    proc = run_task(
        tmp_path, "--lang", "zh", "fit", "x", "--samples", "100", "--epochs", "2", "--out", "r"
    )
    assert proc.returncode == 0, proc.stderr
    epoch_lines = proc.stderr.strip().splitlines()
    assert [line.split()[0] for line in epoch_lines] == ["第", "第"], proc.stderr
    assert epoch_lines[0].startswith("第 1/2 轮") and epoch_lines[1].startswith("第 2/2 轮")
    assert epoch_lines[1].endswith("秒")
    out = proc.stdout
    for chinese in (
        "fcnet fit（numpy）",
        "指标",
        "数值",
        "轮数",
        "训练用时",
        "图表：loss.png",
        "运行目录：r",
    ):
        assert chinese in out, (chinese, out)
    for english in ("metric", "epochs", "train time", "run folder", "plots:"):
        assert english not in out, (english, out)


def test_fit_in_english_says_the_same_in_english(tmp_path):
    proc = run_task(
        tmp_path, "--lang", "en", "fit", "x", "--samples", "100", "--epochs", "1", "--out", "r"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("epoch 1/1")
    assert "run folder: r" in proc.stdout and "train time" in proc.stdout
    assert "运行目录" not in proc.stdout


def test_binary_overfitting_note_is_chinese(tmp_path):
    proc = run_task(
        tmp_path,
        "--lang",
        "zh",
        "binary",
        "--dataset",
        "random",
        "--epochs",
        "30",
        "--hidden",
        "64",
        "-q",
        "--out",
        "r",
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.replace("\n", "")
    assert "测试集：P >= 阈值时预测为正类" in out
    assert "过拟合，正如讲义所说" in out and "Over-fitting" not in out


def test_data_info_labels_and_header_are_chinese(tmp_path):
    from pathlib import Path

    labels = Path(__file__).resolve().parents[2] / "data" / "mnist" / "t10k-labels-idx1-ubyte.gz"
    proc = run_task(tmp_path, "--lang", "zh", "data", "info", str(labels))
    assert proc.returncode == 0, proc.stderr
    keys = [line.split()[0] for line in proc.stdout.splitlines()[:9]]
    assert keys == [
        "文件",
        "类型码",
        "dtype",
        "形状",
        "字节数",
        "sha256",
        "sha256",
        "最小值",
        "最大值",
    ]
    assert "魔数 0x00000801：两个零字节，类型码 0x08（uint8），1 维" in proc.stdout
    assert "10000: 条目数" in proc.stdout and "number of items" not in proc.stdout
