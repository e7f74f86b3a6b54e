"""A whole class graded in one command: right, wrong, notebook, crashing, hanging, forged
and escaping files, a per-student folder and a student zip; every output file checked."""

import csv
import inspect
import json
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from classkit import COPY, OWN, REF, make_class
from click.testing import CliRunner

from fcnet.cli import cli
from fcnet.grade.gradebook import STATUSES
from fcnet.learn import sandbox
from fcnet.learn.exercises import get
from fcnet.learn.runner import check_file

RIGHT = ("right1", "right2", "nb", "zipped", "copy")
SEED = 1234
SCALE = "0.2"  # limits: 6 s to import, 2 s per call
ESCAPED = Path("/tmp/fcnet-grade-escaped.txt")  # classkit.ESCAPE tries to write it


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grade")
    klass = make_class(root / "class")
    points = root / "points.toml"
    points.write_text(
        '[checks."linear_backward values"]\npoints = 3\n'
        '[checks."softmax_cross_entropy stability"]\nvisibility = "hidden"\n'
        '[checks."two-layer training"]\nvisibility = "after_due_date"\n'
    )
    out = root / "out"
    env = {"FCNET_LEARN_TIME_SCALE": SCALE}
    ESCAPED.unlink(missing_ok=True)
    unsafe = ["--unsafe-no-sandbox"] if sandbox.missing_protections() else []
    result = CliRunner().invoke(
        cli,
        [
            "grade",
            "backprop",
            str(klass),
            "--out",
            str(out),
            "--jobs",
            "2",
            "--seed",
            str(SEED),
            "--points",
            str(points),
            *unsafe,
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    os.environ["FCNET_LEARN_TIME_SCALE"] = SCALE  # for the comparisons with check_file
    yield klass, out, result.output
    os.environ.pop("FCNET_LEARN_TIME_SCALE", None)


def _book(out):
    return json.loads((out / "gradebook.json").read_text())


def _rows(out):
    return {r["student"]: r for r in _book(out)["students"]}


def _check_file(path):
    """`fcnet check`'s report on `path`, with the grading's seed where the runner takes one."""
    kwargs = {"seed": SEED} if "seed" in inspect.signature(check_file).parameters else {}
    return check_file("backprop", str(path), **kwargs)


def test_every_right_file_gets_full_marks(graded):
    _klass, out, _output = graded
    rows = _rows(out)
    for student in RIGHT:
        row = rows[student]
        assert row["status"] == "ok", (student, row["checks"])
        assert row["score"] == row["max_score"] == 13, student  # 11 checks, one worth 3


def test_every_other_file_says_what_fcnet_check_says(graded):
    klass, out, _output = graded
    rows = _rows(out)
    files = {
        s: klass / f"{s}.py"
        for s in ("wrong_db", "wrong_mask", "crash", "load_error", "syntax", "escape", "hang")
    }
    files["folder"] = klass / "folder" / "backprop.py"
    with ThreadPoolExecutor(2) as pool:
        reports = dict(zip(files, pool.map(_check_file, files.values()), strict=True))
    for student, report in reports.items():
        row = rows[student]
        got = [(c["name"], c["passed"], c["message"]) for c in row["checks"]]
        assert got == [(c.name, c.passed, c.message) for c in report.checks], student
        for c, r in zip(row["checks"], report.checks, strict=True):  # partial credit
            assert c["points"] == pytest.approx(r.fraction * c["max_points"]), (student, c)
            assert c["tag"] == r.tag
        assert row["score"] == pytest.approx(sum(c["points"] for c in row["checks"]))
        if student != "escape":  # its functions are right; its escape is the sandbox's
            assert row["score"] < row["max_score"]
    # linear_backward values: dW and dx right, db wrong: 2 of its 3 points; then finite
    # differences and the training fail
    assert rows["wrong_db"]["score"] == pytest.approx(13 - 1 - 1 - 1)
    assert {s: rows[s]["status"] for s in ("crash", "load_error", "syntax", "hang")} == {
        "crash": "crashed",
        "load_error": "load_error",
        "syntax": "load_error",
        "hang": "timeout",
    }


def test_unreadable_submissions_get_zero_with_their_reason(graded):
    _klass, out, _output = graded
    rows = _rows(out)
    expected = {"empty": "empty", "latin1": "not_utf8", "linked": "link", "nothing": "missing"}
    for student, status in expected.items():
        row = rows[student]
        assert row["status"] == status and row["score"] == 0 and row["reason"]
        assert all(c["message"] == row["reason"] for c in row["checks"])
    assert {r["status"] for r in rows.values()} <= set(STATUSES)


def test_a_forged_file_gets_no_credit_and_an_escape_is_confined(graded):
    klass, out, _output = graded
    forged = _rows(out)["forge"]
    assert forged["score"] == 0  # its verdicts written to every descriptor broke its channel
    assert not any(c["message"] == "forged" for c in forged["checks"])
    if json.loads((out / "grade.json").read_text())["missing_protections"] == []:
        assert not ESCAPED.exists() and not (klass.parent.parent / "escaped.txt").exists()


def test_the_gradebook_csv_has_one_column_per_check(graded):
    _klass, out, _output = graded
    with open(out / "gradebook.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    book = _book(out)
    assert list(table[0]) == [
        "student",
        "score",
        "max_score",
        *book["checks"],
        "mistakes",
        "status",
        "seconds",
    ]
    rows = _rows(out)
    assert [t["student"] for t in table] == sorted(rows)
    for t in table:
        row = rows[t["student"]]
        assert float(t["score"]) == row["score"] and t["status"] == row["status"]
        assert t["mistakes"] == ";".join(row["mistakes"])
    wrong = next(t for t in table if t["student"] == "wrong_db")
    assert wrong["linear_backward values"] == "2" and wrong["relu_forward"] == "1"  # 2/3 of 3
    assert {t["student"]: t["linear_backward values"] for t in table}["right1"] == "3"


def test_gradescope_files_follow_the_autograder_format(graded):
    _klass, out, _output = graded
    rows = _rows(out)
    for student, row in rows.items():
        data = json.loads((out / "gradescope" / student / "results.json").read_text())
        assert set(data) == {"score", "execution_time", "output", "tests"}
        assert data["score"] == row["score"] and isinstance(data["execution_time"], float)
        assert len(data["tests"]) == 11
        for test in data["tests"]:
            assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
            assert test["status"] in ("passed", "failed")
            assert test["visibility"] in ("visible", "hidden", "after_due_date")
        vis = {t["name"]: t["visibility"] for t in data["tests"]}
        assert vis["softmax_cross_entropy stability"] == "hidden"
        assert vis["two-layer training"] == "after_due_date"
        assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"])


def test_feedback_counts_hidden_checks_and_says_nothing_else_of_them(graded):
    _klass, out, _output = graded
    text = (out / "feedback" / "own.md").read_text()
    assert "Score on the visible checks: 12 of 12" in text  # not even the hidden total
    assert "1 hidden check is graded too" in text
    assert "stability" not in text and "magnitude 1000" not in text
    wrong = (out / "feedback" / "wrong_db.md").read_text()
    assert "a sum, not a mean" in wrong
    assert "✗ **linear_backward values** (2/3, dW ✓, db ✗, dx ✓)" in wrong  # partial credit
    assert "Not checked: the file is empty" in (out / "feedback" / "empty.md").read_text()


def test_mistakes_similarity_and_grade_json(graded):
    _klass, out, output = graded
    with open(out / "mistakes.csv", newline="") as fh:
        mistakes = list(csv.DictReader(fh))
    counts = [int(m["students"]) for m in mistakes]
    assert counts == sorted(counts, reverse=True) and counts[0] >= 2
    rows = _rows(out)
    for m in mistakes:  # each count is the number of checked students with that tag
        assert int(m["students"]) == sum(
            m["tag"] in r["mistakes"] for r in rows.values() if r["status"] == "ok"
        )
    assert (out / "mistakes.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(out / "similarity.csv", newline="") as fh:
        pairs = {(p["student_a"], p["student_b"]) for p in csv.DictReader(fh)}
    assert ("copy", "right1") in pairs and ("folder", "wrong_mask") in pairs
    assert not any("own" in p or "right2" in p for p in pairs)  # independent solutions
    info = json.loads((out / "grade.json").read_text())
    assert info["exercise"] == "backprop" and info["seed"] == SEED and info["seed_given"]
    assert info["version"] == get("backprop").version
    assert info["unsafe_no_sandbox"] is bool(sandbox.missing_protections())
    assert info["protections"] == sandbox.protections() and info["interrupted"] is False
    assert info["students"] == len(rows) and info["checked"] == 15
    assert "graded 19 students" in output


def test_a_zip_of_the_class_and_resume_and_force(tmp_path):
    zpath = tmp_path / "export.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("export/s1.py", REF)
        zf.writestr("export/s2/backprop.py", REF.replace("(z > 0)", "(z >= 0)"))
    out = tmp_path / "out"
    args = ["grade", "backprop", str(zpath), "--out", str(out), "--unsafe-no-sandbox"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert {s: r["score"] for s, r in _rows(out).items()} == {"s1": 11, "s2": 10}
    again = CliRunner().invoke(cli, args)
    assert "(0 checked, 2 unchanged)" in again.output
    with zipfile.ZipFile(zpath, "w") as zf:  # s2 fixed their mask
        zf.writestr("export/s1.py", REF)
        zf.writestr("export/s2/backprop.py", REF)
    third = CliRunner().invoke(cli, args)
    assert "(1 checked, 1 unchanged)" in third.output
    assert _rows(out)["s2"]["score"] == 11
    forced = CliRunner().invoke(cli, [*args, "--force"])
    assert "(2 checked, 0 unchanged)" in forced.output


def test_without_the_sandbox_grading_is_refused(tmp_path, monkeypatch):
    from fcnet.grade import run

    monkeypatch.setattr(run, "sandbox_state", lambda: ({"rlimits": True}, ["landlock_fs"]))
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "s.py").write_text(REF)
    result = CliRunner().invoke(
        cli, ["grade", "backprop", str(tmp_path / "subs"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "file confinement (Landlock" in result.output
    assert "--unsafe-no-sandbox" in result.output


def test_an_out_folder_with_other_files_is_refused(tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "s.py").write_text(REF)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(
        cli,
        ["grade", "backprop", str(tmp_path / "subs"), "--out", str(mine), "--unsafe-no-sandbox"],
    )
    assert result.exit_code == 2 and "other files" in result.output
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    inside = CliRunner().invoke(
        cli,
        [
            "grade",
            "backprop",
            str(tmp_path / "subs"),
            "--out",
            str(tmp_path / "subs" / "out"),
            "--unsafe-no-sandbox",
        ],
    )
    assert inside.exit_code == 2 and "inside SUBMISSIONS" in inside.output
    assert not Path(tmp_path / "subs" / "out").exists()


def test_feedback_and_chart_follow_lang(tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "s.py").write_text(REF.replace("(z > 0)", "(z >= 0)"))
    out = tmp_path / "out"
    args = ["grade", "backprop", str(tmp_path / "subs"), "--out", str(out), "--lang", "zh"]
    result = CliRunner().invoke(cli, [*args, "--unsafe-no-sandbox"])
    assert result.exit_code == 0, result.output
    text = (out / "feedback" / "s.md").read_text()
    assert text.startswith("# backprop：给 s 的反馈") and "得分：10 / 11" in text
    assert json.loads((out / "grade.json").read_text())["lang"] == "zh"
    results = json.loads((out / "gradescope" / "s" / "results.json").read_text())
    assert "掩码" in json.dumps(results, ensure_ascii=False)  # the checks' own messages in zh


def _one_student(tmp_path, code=REF):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "s.py").write_text(code)
    return ["grade", "backprop", str(tmp_path / "subs"), "--out", str(tmp_path / "out")]


def test_a_rerun_with_other_settings_grades_everything_again(tmp_path):
    args = _one_student(tmp_path)
    out = tmp_path / "out"
    first = CliRunner().invoke(cli, [*args, "--unsafe-no-sandbox"])
    assert first.exit_code == 0, first.output
    other_lang = CliRunner().invoke(cli, [*args, "--unsafe-no-sandbox", "--lang", "zh"])
    assert "(1 checked, 0 unchanged)" in other_lang.output
    assert json.loads((out / "grade.json").read_text())["lang"] == "zh"
    same = CliRunner().invoke(cli, [*args, "--unsafe-no-sandbox", "--lang", "zh"])
    assert "(0 checked, 1 unchanged)" in same.output
    if sandbox.missing_protections():
        pytest.skip("this machine lacks the sandbox's protections")
    sandboxed = CliRunner().invoke(cli, [*args, "--lang", "zh"])
    assert sandboxed.exit_code == 0, sandboxed.output
    assert "(1 checked, 0 unchanged)" in sandboxed.output
    assert json.loads((out / "grade.json").read_text())["unsafe_no_sandbox"] is False


def test_a_rerun_without_seed_keeps_the_seed_its_reused_rows_were_graded_with(tmp_path):
    args = [*_one_student(tmp_path), "--unsafe-no-sandbox"]
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, args).exit_code == 0
    seed = json.loads((out / "grade.json").read_text())["seed"]
    again = CliRunner().invoke(cli, args)
    assert "(0 checked, 1 unchanged)" in again.output
    assert json.loads((out / "grade.json").read_text())["seed"] == seed == _rows(out)["s"]["seed"]
    given = CliRunner().invoke(cli, [*args, "--seed", str(seed + 1)])
    assert "(1 checked, 0 unchanged)" in given.output
    assert _rows(out)["s"]["seed"] == seed + 1
    assert json.loads((out / "grade.json").read_text())["seed"] == seed + 1
    later = CliRunner().invoke(cli, args)  # the given seed is kept too
    assert "(0 checked, 1 unchanged)" in later.output
    assert json.loads((out / "grade.json").read_text())["seed"] == seed + 1


def test_a_suffix_in_capitals_is_checked_like_any_other(tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "s01.PY").write_text(REF)
    out = tmp_path / "out"
    args = ["grade", "backprop", str(tmp_path / "subs"), "--out", str(out), "--unsafe-no-sandbox"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    row = _rows(out)["s01"]
    assert row["status"] == "ok" and row["score"] == row["max_score"] == 11


def test_a_checker_failure_scores_every_check_and_names_the_submission(tmp_path, monkeypatch):
    from fcnet.learn.runner import Checker

    def fail(self, path):
        raise ValueError(f"{path}: boom")

    monkeypatch.setattr(Checker, "check", fail)
    args = [*_one_student(tmp_path), "--unsafe-no-sandbox"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    row = _rows(tmp_path / "out")["s"]
    names = [c.name for c in get("backprop").checks]
    assert row["status"] == "crashed" and [c["name"] for c in row["checks"]] == names
    assert row["score"] == 0 and row["max_score"] == len(names)
    feedback = (tmp_path / "out" / "feedback" / "s.md").read_text()
    assert "s.py: boom" in feedback and "fcnet-grade-" not in feedback


def test_an_unchecked_submission_titles_its_checks_as_a_checked_one(tmp_path):
    args = [*_one_student(tmp_path, code=""), "--unsafe-no-sandbox", "--lang", "zh"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    row = _rows(tmp_path / "out")["s"]
    assert row["status"] == "empty"
    titles = {c["name"]: c["title"] for c in row["checks"]}
    assert titles["linear_backward values"] == "linear_backward 的数值"
    assert "linear_backward 的数值" in (tmp_path / "out" / "feedback" / "s.md").read_text()


def test_a_rerun_removes_the_files_of_students_gone(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for student, code in (("ann", REF), ("bob", COPY), ("cat", OWN)):
        (subs / f"{student}.py").write_text(code)
    out = tmp_path / "out"
    args = ["grade", "backprop", str(subs), "--out", str(out), "--unsafe-no-sandbox"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert sorted(p.name for p in (out / "similar").iterdir()) == ["ann.py", "bob.py"]
    (out / "feedback" / "notes.txt").write_text("the teacher's")
    (out / "gradescope" / "bob" / "mine.txt").write_text("the teacher's")
    (subs / "bob.py").unlink()
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["ann.md", "cat.md", "notes.txt"]
    assert not (out / "gradescope" / "bob" / "results.json").exists()
    assert [p.name for p in (out / "gradescope" / "bob").iterdir()] == ["mine.txt"]
    assert sorted(p.name for p in (out / "gradescope").iterdir()) == ["ann", "bob", "cat"]
    assert list((out / "similar").iterdir()) == []  # ann is in no pair now
    (out / "gradescope" / "bob" / "mine.txt").unlink()
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert sorted(p.name for p in (out / "gradescope").iterdir()) == ["ann", "cat"]


def test_seed_takes_the_range_of_fcnet_check(tmp_path):
    args = [*_one_student(tmp_path), "--unsafe-no-sandbox", "--seed", str(2**32 - 1)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "out" / "grade.json").read_text())["seed"] == 2**32 - 1
    assert _rows(tmp_path / "out")["s"]["seed"] == 2**32 - 1
    too_big = CliRunner().invoke(cli, [*args[:-1], str(2**32)])
    assert too_big.exit_code == 2


def test_an_interrupted_rerun_keeps_the_files_of_students_not_graded_yet(tmp_path, monkeypatch):
    from fcnet.grade import run

    args = [*_one_student(tmp_path), "--unsafe-no-sandbox"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    (tmp_path / "subs" / "s.py").write_text(REF + "\n# changed\n")

    def interrupted(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "_check_all", interrupted)
    assert CliRunner().invoke(cli, args).exit_code == 130
    assert (tmp_path / "out" / "feedback" / "s.md").is_file()  # s is still in SUBMISSIONS
    assert (tmp_path / "out" / "gradescope" / "s" / "results.json").is_file()
