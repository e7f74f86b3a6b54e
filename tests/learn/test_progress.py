"""`fcnet exercise status` and the record `fcnet check` keeps beside the file; `--hint`'s
three levels, kept in that record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from learnkit import SOLUTIONS

from fcnet.learn import progress
from fcnet.learn.exercises import CATALOG, get
from fcnet.learn.hints import HINTS, course_quote, hint

SRC = str(Path(__file__).resolve().parents[2] / "src")


def fcnet(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=SRC)
    proc = subprocess.run(
        [sys.executable, "-m", "fcnet", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )
    return proc.returncode, proc.stdout, proc.stderr


def _status(folder):
    rc, out, err = fcnet("exercise", "status", "--dir", str(folder), "--json")
    assert rc == 0, err
    return {row["exercise"]: row for row in json.loads(out)["exercises"]}, err


def test_status_lists_every_exercise_its_file_and_last_result(tmp_path):
    rows, _err = _status(tmp_path)
    assert list(rows) == list(CATALOG)
    assert all(r["file"] is None and r["last"] is None for r in rows.values())
    (tmp_path / "auc.py").write_text((SOLUTIONS / "auc_ref.py").read_text())
    (tmp_path / "backprop.py").write_text("import numpy as np\n")
    assert fcnet("check", "auc", str(tmp_path / "auc.py"))[0] == 0
    assert fcnet("check", "backprop", str(tmp_path / "backprop.py"))[0] == 1
    rows, _err = _status(tmp_path)
    auc, bp = rows["auc"]["last"], rows["backprop"]["last"]
    assert rows["auc"]["file"] == "auc.py" and auc["passed"] == auc["total"] == 5
    assert auc["failed"] == [] and auc["when"].endswith("+00:00")
    assert bp["passed"] == 0 and bp["total"] == len(get("backprop").checks)
    assert bp["failed"][0] == "linear_forward"
    record = (tmp_path / progress.RECORD).read_text()
    assert "import" not in record and "np." not in record  # names and counts, no code


def test_status_table_in_chinese_and_english(tmp_path):
    (tmp_path / "torch_net.py").write_text("")
    rc, out, _ = fcnet("--lang", "zh", "exercise", "status", "--dir", str(tmp_path))
    assert rc == 0 and "练习" in out and "torch_net.py" in out and "尚未检查" in out
    rc, out, _ = fcnet("--lang", "en", "exercise", "status", "--dir", str(tmp_path))
    assert rc == 0 and "not checked yet" in out and "练习" not in out


def test_the_table_names_the_checked_file_when_another_is_found_first(tmp_path):
    (tmp_path / "mine.py").write_text((SOLUTIONS / "auc_ref.py").read_text())
    assert fcnet("check", "auc", str(tmp_path / "mine.py"))[0] == 0
    (tmp_path / "auc.py").write_text("")  # the skeleton's name, never checked
    rc, out, _ = fcnet("--lang", "en", "exercise", "status", "--dir", str(tmp_path))
    assert rc == 0 and "5 of 5 passed, of" in out and "mine.py" in out


def test_a_corrupt_record_is_ignored_with_one_warning_and_replaced(tmp_path):
    (tmp_path / progress.RECORD).write_text("{not json")
    rows, err = _status(tmp_path)
    assert all(r["last"] is None for r in rows.values())
    assert len(err.strip().splitlines()) == 1 and progress.RECORD in err
    (tmp_path / progress.RECORD).write_text(json.dumps({"exercises": {"auc": {"file": 3}}}))
    assert _status(tmp_path)[1].count("\n") == 1
    (tmp_path / "auc.py").write_text((SOLUTIONS / "auc_ref.py").read_text())
    rc, _out, err = fcnet("check", "auc", str(tmp_path / "auc.py"))
    assert rc == 0 and "ignored" in err
    assert _status(tmp_path)[0]["auc"]["last"]["passed"] == 5


def test_status_of_a_missing_folder_is_one_line_and_exit_2(tmp_path):
    rc, _out, err = fcnet("exercise", "status", "--dir", str(tmp_path / "nope"))
    assert rc == 2 and "nope" in err and "Traceback" not in err


def test_hint_goes_one_level_further_each_run_and_never_shows_code(tmp_path):
    path = tmp_path / "auc.py"
    subprocess.run(
        [sys.executable, "-m", "fcnet", "exercise", "start", "auc", "--dir", str(tmp_path)],
        env=dict(os.environ, PYTHONPATH=SRC),
        check=True,
        capture_output=True,
    )
    shown = []
    for level in (1, 2, 3, 3):
        rc, out, _ = fcnet("check", "auc", str(path), "--hint", "--json")
        assert rc == 1
        ties = next(c for c in json.loads(out)["checks"] if c["name"] == "ties")
        assert ties["hint"]["level"] == level
        shown.append(ties["hint"]["text"])
    assert shown[0] == hint("auc", "ties", 1) and shown[1] == hint("auc", "ties", 2)
    line, text = course_quote(HINTS[("auc", "ties")][2])
    assert str(line) in shown[2] and text in shown[2] and shown[3] == shown[2]
    assert len(set(shown[:3])) == 3
    record = json.loads((tmp_path / progress.RECORD).read_text())
    assert record["exercises"]["auc"]["hints"]["ties"] == 3
    rc, out, _ = fcnet("check", "auc", str(path))  # without --hint: no hint, level kept
    assert "hint" not in out
    assert json.loads((tmp_path / progress.RECORD).read_text())["exercises"]["auc"]["hints"]


def test_every_check_has_three_hints_and_none_holds_the_solutions_code():
    solution_lines = {
        " ".join(ln.split())
        for path in SOLUTIONS.glob("*_ref.py")
        for ln in path.read_text().splitlines()
        if len(ln.strip()) > 12 and not ln.strip().startswith(("#", "def ", "import", "from"))
    }
    assert len(solution_lines) > 50
    for name in CATALOG:
        for check in get(name).checks:
            texts = [hint(name, check.name, level) for level in (1, 2, 3)]
            assert all(texts), (name, check.name)
            for t in texts:
                flat = " ".join(t.split())
                assert not [ln for ln in solution_lines if ln in flat], (name, check.name, t)
    for _key, (_a, _b, quote) in HINTS.items():
        line, text = course_quote(quote)
        assert line > 0 and text


def test_a_record_that_cannot_be_kept_leaves_the_check_as_it_was(tmp_path):
    (tmp_path / "auc.py").write_text((SOLUTIONS / "auc_ref.py").read_text())
    (tmp_path / progress.RECORD).mkdir()  # neither readable as a record nor replaceable
    rc, out, err = fcnet("check", "auc", str(tmp_path / "auc.py"), "--json")
    assert rc == 0 and json.loads(out)["passed"] is True
    lines = err.strip().splitlines()
    assert any("ignored" in ln for ln in lines) and any("progress not kept" in ln for ln in lines)
    assert "Traceback" not in err and (tmp_path / progress.RECORD).is_dir()
