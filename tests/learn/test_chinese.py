"""Every word in the learner's language: each exercise's checks, run in Chinese over the
suite's wrong solutions, leave no untranslated English phrase, no `{placeholder}` and no
ASCII punctuation after Chinese text in what they print."""

from __future__ import annotations

import re

import pytest
from learnkit import SOLUTIONS, namespace, report
from test_backprop import WRONG

CJK = "\u4e00-\u9fff"
_PLACEHOLDER = re.compile(r"\{[A-Za-z_0-9!:.]*\}")
# three English words in a row (a translated message keeps code and names, not sentences)
_PHRASE = re.compile(r"(?<![\w.'/-])[A-Za-z][a-z]+(?: [a-z]+){2,}(?![\w(])")
# English words that a formula, a shape or a name never holds (a half-translated phrase)
_ENGLISH = re.compile(
    r"(?<![\w.'/-])(?:the|of|is|are|and|with|within|for|on|to|not|needs|from|than|was|"
    r"were|this|that|its|your|you|has|have|does|did|got|expected|right|wrong|passed|"
    r"error|images|samples|steps|relative)(?![\w('-])"
)
_ASCII_AFTER_CJK = re.compile(f"[{CJK}][;:,](?= )")
# an ASCII ": " joining two parts of a Chinese line ("应当是 (1, 4): z = ...")
_ASCII_COLON = re.compile(f"(?m)^(?=.*[{CJK}]).*?[^\\s]: ")
# what the learner's own code said (their exception's text) and code quoted in backticks
_THEIRS = re.compile(r"抛出了 [\w.]+: .*?(?=（位于|$)|`[^`]*`", re.S)

CASES = [
    (stem.split("_")[0], stem, "")
    for stem in sorted(p.stem for p in SOLUTIONS.glob("*.py"))
    if stem.split("_")[0] in ("backprop", "idx", "auc", "fit")
] + [("backprop", "backprop_ref", override) for override, _c, _m in WRONG.values()]


def untranslated(text: str) -> list[str]:
    """The untranslated pieces of `text` (a report printed in Chinese)."""
    text = _THEIRS.sub("", text)
    found = _PLACEHOLDER.findall(text) + _ASCII_AFTER_CJK.findall(text)
    found += _ASCII_COLON.findall(text)
    return found + _PHRASE.findall(text) + _ENGLISH.findall(text)


def test_the_detector_catches_what_the_issue_found():
    assert untranslated("relu_forward 原地修改了输入 z: backward needs the original z")
    assert untranslated("z 的形状是 (4, 1)，应当是 (1, 4): z = x W^T + b")
    assert untranslated("在 10 个样本上 within 1e-12 of scikit-learn's roc_auc_score")
    assert untranslated("第 {i} 步")
    assert untranslated("抛出的是 error，而不是 ValueError; 另外")
    assert not untranslated("✓ 速度：10^6 个得分用时 150 毫秒（np.frombuffer）")
    assert not untranslated("load_images 抛出了 OverflowError: Python int too large（位于 s.py）")


@pytest.mark.parametrize(
    ("exercise", "stem", "override"), CASES, ids=[f"{s}-{i}" for i, (_e, s, _o) in enumerate(CASES)]
)
def test_every_check_speaks_chinese_over_the_wrong_solutions(exercise, stem, override):
    rep = report(exercise, namespace(stem, override), quick=True, lang="zh")
    text = rep.text()
    assert not untranslated(text), (untranslated(text), text)


def test_check_grad_start_errors_and_the_command_list_speak_chinese(tmp_path):
    import numpy as np
    from click.testing import CliRunner

    from fcnet.cli import cli
    from fcnet.i18n import use_language
    from fcnet.learn import check_grad

    w = np.array([1.0, -2.0])
    with use_language("zh"):
        text = str(check_grad(lambda: float((w**2).sum()), {"w": w}, {"w": 2 * w}))
    assert "相对误差" in text and "（正确）" in text and not untranslated(text), text
    runner = CliRunner()
    out = runner.invoke(cli, ["--lang", "zh", "exercise", "--help"]).output
    commands = out.split("命令：", 1)[1]
    assert "Write" not in commands and "Every" not in commands and "代码框架" in commands
    # each command's text stays in its column: no line of it starts at the margin
    assert all(ln.startswith("  ") for ln in commands.strip("\n").splitlines()), commands
    (tmp_path / "auc.py").write_text("")
    result = runner.invoke(
        cli, ["--lang", "zh", "exercise", "start", "auc", "--dir", str(tmp_path)]
    )
    assert result.exit_code == 2 and "从不覆盖" in result.output, result.output
    result = runner.invoke(cli, ["--lang", "zh", "exercise", "start", "nope"])
    assert result.exit_code == 2 and not untranslated(result.output.split("：", 1)[-1])
