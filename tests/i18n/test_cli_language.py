"""`--lang`, FCNET_LANG and the locale choose the language of help and errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fcnet import i18n


def fcnet(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("FCNET_LANG", "LC_ALL", "LANG")}
    environ.update({"LC_MESSAGES": "", **env})
    return subprocess.run(
        [sys.executable, "-m", "fcnet", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
    )


def test_lang_zh_mnist_help_is_chinese():
    proc = fcnet("--lang", "zh", "mnist", "--help")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("用法：fcnet mnist [OPTIONS]")
    assert "识别 MNIST 手写数字" in out  # the command's docstring
    assert "各隐藏层的宽度" in out  # an option of cli/tasks.py, English in the code
    assert "显示本帮助并退出。" in out  # click's own --help text
    assert "Classify MNIST" not in out and "Hidden layer widths" not in out


def test_fcnet_lang_zh_expression_error_is_one_chinese_line_exit_2():
    proc = fcnet("fit", "x^^2", FCNET_LANG="zh")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith('fcnet: 错误：表达式 "x^^2" 有误：语法错误')
    assert "第 3 列" in lines[0]
    assert "Traceback" not in proc.stderr and "bad expression" not in proc.stderr


@pytest.mark.parametrize(
    "env", [{"LANG": "zh_CN.UTF-8"}, {"LC_ALL": "zh_TW.UTF-8"}, {"FCNET_LANG": "zh"}]
)
def test_lang_en_wins_over_a_chinese_locale(env):
    proc = fcnet("--lang", "en", "fit", "x^^2", **env)
    assert proc.returncode == 2
    assert proc.stderr.startswith('fcnet: error: bad expression "x^^2": syntax error')
    help_text = fcnet("--lang", "en", "mnist", "--help", **env).stdout
    assert "Classify MNIST digits" in help_text and "识别" not in help_text


def test_chinese_locale_is_the_default_and_c_is_english():
    assert "识别 MNIST 手写数字" in fcnet("mnist", "--help", LANG="zh_CN.UTF-8").stdout
    assert "Classify MNIST digits" in fcnet("mnist", "--help", LANG="C.UTF-8").stdout
    # LC_ALL overrides LANG, as for any POSIX program
    assert "Classify" in fcnet("mnist", "--help", LANG="zh_CN.UTF-8", LC_ALL="C").stdout


def test_usage_errors_in_chinese_stay_one_line():
    proc = fcnet("--lang", "zh", "gradcheck", "--bogus")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "fcnet: 错误：fcnet gradcheck: 没有选项 '--bogus'。（参见 'fcnet gradcheck --help'）"
    )


def test_an_unknown_lang_option_is_one_line_exit_2():
    proc = fcnet("--lang", "fr", "--help")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("fcnet: error: ")
    assert "'fr' is not one of 'en', 'zh'" in proc.stderr


def test_an_unknown_fcnet_lang_is_one_warning_line_then_the_locale():
    """FCNET_LANG names a language fcnet has no catalog for: passed over, never an error."""
    proc = fcnet("mnist", "--help", FCNET_LANG="fr")
    assert proc.returncode == 0 and "Classify MNIST digits" in proc.stdout
    assert proc.stderr.strip().splitlines() == [
        "fcnet: warning: FCNET_LANG='fr' is not a language fcnet has (en, zh); using English"
    ]
    proc = fcnet("mnist", "--help", FCNET_LANG="fr", LANG="zh_CN.UTF-8")
    assert proc.returncode == 0 and "Classify MNIST digits" not in proc.stdout
    assert proc.stderr.strip().endswith("using Chinese")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_SG"}, "zh"),
        ({"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "de_DE"}, "en"),
        ({"LANG": "zh_CN.UTF-8", "FCNET_LANG": "en"}, "en"),
        ({"FCNET_LANG": "zh-Hans"}, "zh"),
        ({"FCNET_LANG": "klingon", "LANG": "zh_HK"}, "zh"),  # unknown: the locale decides
    ],
)
def test_language_resolution(monkeypatch, env, expected):
    for var in ("FCNET_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert i18n.language() == expected
    with i18n.use_language("en" if expected == "zh" else "zh"):
        assert i18n.language() != expected  # an explicit choice beats the environment
    assert i18n.language() == expected


def test_translations_follow_the_context():
    with i18n.use_language("zh"):
        assert i18n.gettext("Options") == "选项"
        assert i18n.ngettext("{name} takes {n} argument, got {got}", "x", 1).startswith("{name}")
    with i18n.use_language("en"):
        assert i18n.gettext("Options") == "Options"
    with pytest.raises(ValueError, match="language must be one of en, zh, got 'fr'"):
        i18n.set_language("fr")


def test_chinese_help_fits_the_terminal_width():
    """click counts characters; a CJK character takes two columns, so fcnet breaks the
    Chinese lines by display width."""
    from fcnet.cli.localize import wrap
    from fcnet.i18n import display_width

    for command in ("mnist", "gradcheck", "data"):
        out = fcnet("--lang", "zh", command, "--help", COLUMNS="80").stdout
        widest = max(out.splitlines(), key=display_width)
        assert display_width(widest) <= 80, widest
    assert wrap("识别手写数字，在训练集上训练。", 10) == ["识别手写数", "字，在训练", "集上训练。"]
    assert wrap("an english line of words", 10) == ["an english", "line of", "words"]
    assert wrap("依次尝试（可重复）", 10) == ["依次尝试", "（可重复）"]


@pytest.mark.parametrize("argv", [[], ["data"], ["--lang", "zh", "data"]])
def test_a_bare_group_shows_its_help_not_a_one_line_error(argv):
    proc = fcnet(*argv)
    assert proc.returncode == 2
    assert proc.stderr.startswith(("Usage: fcnet", "用法：fcnet")), proc.stderr
    assert "fcnet: error" not in proc.stderr and len(proc.stderr.splitlines()) > 5


def test_an_explicit_lang_leaves_an_unknown_fcnet_lang_unmentioned():
    proc = fcnet("--lang", "zh", "mnist", "--help", FCNET_LANG="fr")
    assert proc.returncode == 0 and proc.stdout.startswith("用法：fcnet mnist")
    assert proc.stderr == ""
