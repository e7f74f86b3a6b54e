"""`fcnet check` answers in the language of --lang: the checking child inherits it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parents[1] / "learn" / "solutions"


def fcnet(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FCNET_LANG", "LC_ALL", "LANG")}
    return subprocess.run(
        [sys.executable, "-m", "fcnet", *argv],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
        env=env,
    )


def _wrong_db(tmp_path: Path) -> Path:
    """The reference backprop solution with db the batch's mean instead of its sum."""
    path = tmp_path / "backprop.py"
    path.write_text(
        (SOLUTIONS / "backprop_ref.py")
        .read_text(encoding="utf-8")
        .replace("db = delta.sum(axis=0)", "db = delta.mean(axis=0)"),
        encoding="utf-8",
    )
    return path


def test_wrong_solution_gets_the_chinese_message(tmp_path):
    path = _wrong_db(tmp_path)
    proc = fcnet("--lang", "zh", "check", "backprop", str(path), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert "✗ linear_backward 的数值：db 取的是 delta 在小批量上的平均" in out, out
    assert "应当求和而不是平均" in out
    assert "✓ linear_forward 前向：与 fcnet.nn.Linear 一致" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("backprop：") and "项中通过" in last and "秒）" in last, last
    assert "batch's mean" not in out and "passed" not in out


def test_same_solution_in_english(tmp_path):
    path = _wrong_db(tmp_path)
    proc = fcnet("--lang", "en", "check", "backprop", str(path), cwd=tmp_path)
    assert proc.returncode == 1
    assert "✗ linear_backward values: db is the batch's mean of delta" in proc.stdout
    assert "项" not in proc.stdout


def test_untouched_chinese_skeleton_says_not_implemented_in_chinese(tmp_path):
    start = fcnet("--lang", "zh", "exercise", "start", "backprop", cwd=tmp_path)
    assert start.returncode == 0, start.stderr
    assert start.stdout.startswith("已写出 backprop.py：补全其中的 TODO")
    text = (tmp_path / "backprop.py").read_text(encoding="utf-8")
    assert "# # 练习 `backprop`：亲手写全连接层的反向传播" in text
    assert "def linear_backward(delta, x, W):" in text and "Exercise `backprop`" not in text
    proc = fcnet("--lang", "zh", "check", "backprop", "backprop.py", cwd=tmp_path)
    assert proc.returncode == 1
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("✗")]
    assert lines and all("尚未实现：" in ln for ln in lines), proc.stdout
