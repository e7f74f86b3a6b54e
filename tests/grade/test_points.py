"""The points file: defaults per check, overrides, and one-line errors (exit 2)."""

from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from fcnet.cli import cli
from fcnet.grade.points import Points, load_points
from fcnet.learn.exercises import get

EXERCISE = get("backprop")


def test_defaults_are_each_checks_own():
    own = SimpleNamespace(name="x", points=3, visibility="hidden")
    bare = SimpleNamespace(name="y")  # a check saying nothing: 1 point, visible
    exercise = SimpleNamespace(name="ex", checks=[own, bare])
    assert load_points(None, exercise) == {"x": Points(3.0, "hidden"), "y": Points(1.0, "visible")}
    table = load_points(None, EXERCISE)
    assert list(table) == [c.name for c in EXERCISE.checks]
    assert set(table.values()) == {Points(1.0, "visible")}  # backprop's checks say nothing


def test_a_file_overrides_points_and_visibility(tmp_path):
    path = tmp_path / "points.toml"
    path.write_text(
        '[checks."linear_backward values"]\npoints = 3\nvisibility = "hidden"\n'
        '[checks."two-layer training"]\nvisibility = "after_due_date"\n'
    )
    table = load_points(path, EXERCISE)
    assert table["linear_backward values"] == Points(3.0, "hidden")
    assert table["two-layer training"].visibility == "after_due_date"
    assert table["relu_forward"] == load_points(None, EXERCISE)["relu_forward"]


BAD = {
    "unknown check": ('[checks."nope"]\npoints = 1\n', "unknown check 'nope'"),
    "negative": ('[checks."relu_forward"]\npoints = -1\n', "points must be a number"),
    "string points": ('[checks."relu_forward"]\npoints = "2"\n', "points must be a number"),
    "infinite": ('[checks."relu_forward"]\npoints = inf\n', "points must be a number"),
    "visibility": ('[checks."relu_forward"]\nvisibility = "secret"\n', "visibility must be one"),
    "extra key": ('[checks."relu_forward"]\nweight = 2\n', "unknown key 'weight'"),
    "top key": ("points = 2\n", "unknown key 'points'"),
    "not a table": ("checks = 3\n", "must be a table"),
    "not toml": ("[checks\n", "not valid TOML"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_points_files_are_one_line_errors_with_exit_2(tmp_path, case):
    text, expected = BAD[case]
    path = tmp_path / "points.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=expected.replace("(", r"\(")):
        load_points(path, EXERCISE)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "s1.py").write_text("x = 1\n")
    result = CliRunner().invoke(
        cli,
        [
            "grade",
            "backprop",
            str(subs),
            "--out",
            str(tmp_path / "out"),
            "--points",
            str(path),
            "--unsafe-no-sandbox",
        ],
    )
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "points.toml" in lines[0] and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()  # nothing written before the file is good


def _args(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir(exist_ok=True)
    (subs / "s1.py").write_text("")
    return ["grade", "backprop", str(subs), "--out", str(tmp_path / "out"), "--unsafe-no-sandbox"]


def _grade(tmp_path, *options):
    return CliRunner().invoke(cli, [*_args(tmp_path), *options])


def test_a_missing_points_file_is_one_line_in_the_teachers_language(tmp_path):
    missing = tmp_path / "nope.toml"
    result = _grade(tmp_path, "--points", str(missing))
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert result.output.endswith(f"{missing}: no such file\n")
    result = CliRunner().invoke(cli, ["--lang", "zh", *_args(tmp_path), "--points", str(missing)])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert result.output.endswith(f"{missing}：没有这个文件\n")


def test_the_teachers_errors_follow_fcnets_language_and_the_feedback_lang(tmp_path):
    path = tmp_path / "points.toml"
    path.write_text('[checks."nope"]\npoints = 1\n')
    result = _grade(tmp_path, "--points", str(path), "--lang", "zh")
    assert result.exit_code == 2 and "unknown check 'nope'" in result.output
    result = _grade(tmp_path, "--lang", "zh")  # the students' side in --lang
    assert result.exit_code == 0, result.output
    assert "文件是空的" in (tmp_path / "out" / "feedback" / "s1.md").read_text()
