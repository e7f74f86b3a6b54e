"""The class's mistakes: counted per student, listed, drawn (both languages)."""

import types

import pytest
from click.testing import CliRunner
from PIL import Image

from fcnet import i18n, plots
from fcnet.cli import cli
from fcnet.grade.gradebook import CheckRow, Row
from fcnet.grade.mistakes import count_mistakes, describe
from fcnet.learn.exercises import get


def _row(student, status, failed):
    checks = [CheckRow(n, n, False, "no", 0.0, tag=t) for n, t in failed]
    checks.append(CheckRow("ok check", "ok check", True, "", 1.0))
    return Row(student, student, status, 0.1, checks).rescore({})


def test_counts_are_students_most_frequent_first_checked_files_only():
    ex = get("backprop")
    rows = [
        _row("a", "ok", [("linear_backward values", "db_mean"), ("relu_backward", "relu_ge")]),
        _row("b", "ok", [("linear_backward values", "db_mean")]),
        _row("c", "ok", [("relu_forward", None)]),
        _row("d", "load_error", [("linear_backward values", "db_mean")]),  # not counted
    ]
    got = [(m.tag, m.students, round(m.share, 3)) for m in count_mistakes(rows, ex)]
    assert got == [("db_mean", 2, 0.667), ("relu_forward", 1, 0.333), ("relu_ge", 1, 0.333)]
    assert describe(ex, "relu_forward") == "failed: relu_forward"


def test_the_chart_is_a_png_in_either_language(tmp_path):
    for lang in ("en", "zh"):
        with i18n.use_language(lang):
            path = plots.mistakes(
                ["db 取了平均而不是求和", "ReLU mask taken with >="],
                [7, 3],
                tmp_path / f"{lang}.png",
                checked=10,
            )
        with Image.open(path) as img:
            assert img.format == "PNG" and img.size[0] == 900
    empty = plots.mistakes([], [], tmp_path / "none.png", checked=4)
    assert empty.stat().st_size > 0
    with pytest.raises(ValueError, match="students"):
        plots.mistakes(["a"], [5], tmp_path / "bad.png", checked=4)
    with pytest.raises(ValueError, match="one count per mistake"):
        plots.mistakes(["a", "b"], [1], tmp_path / "bad.png", checked=4)


def test_exercise_mistakes_lists_tags_and_descriptions(monkeypatch):
    import fcnet.learn.exercises as exercises

    real = exercises.get("backprop")
    fake = types.SimpleNamespace(
        name="backprop", checks=real.checks, mistakes={"db_mean": "db is a mean", "x": "y"}
    )
    monkeypatch.setattr(exercises, "get", lambda name: fake)
    result = CliRunner().invoke(cli, ["exercise", "mistakes", "backprop"])
    assert result.exit_code == 0
    assert result.output.splitlines() == ["db_mean  db is a mean", "x        y"]


def test_exercise_mistakes_lists_every_tag_of_the_real_exercise():
    known = get("backprop").mistakes
    assert known  # the checks name their mistakes
    lines = CliRunner().invoke(cli, ["exercise", "mistakes", "backprop"]).output.splitlines()
    assert [line.split()[0] for line in lines] == list(known)
    zh = CliRunner().invoke(cli, ["--lang", "zh", "exercise", "mistakes", "backprop"]).output
    assert zh != "\n".join(lines) + "\n"  # the descriptions in Chinese, the tags kept
    assert [line.split()[0] for line in zh.splitlines()] == list(known)
