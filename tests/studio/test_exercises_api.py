"""The Exercises page's API: a file checked as `fcnet check --json` checks it, the result
kept in the same record, hints one level further in the counter `--hint` advances, and
every bad name refused with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from studio_support import local_client

from fcnet.learn import progress
from fcnet.learn.exercises import get
from fcnet.learn.hints import HINTS, course_quote, hint

SRC = str(Path(__file__).resolve().parents[2] / "src")
REF = (Path(__file__).resolve().parents[1] / "learn" / "solutions" / "backprop_ref.py").read_text()
# db off by 0.5 everywhere: a wrong value, neither a mean nor a scaled sum (so a diff comes)
WRONG = REF.replace("db = delta.sum(axis=0)", "db = delta.sum(axis=0) + 0.5")
VALUES = "linear_backward values"


@pytest.fixture
def root(tmp_path) -> Path:
    (tmp_path / "backprop.py").write_text(REF)
    (tmp_path / "week1").mkdir()
    (tmp_path / "week1" / "wrong.py").write_text(WRONG)
    return tmp_path


@pytest.fixture
def client(root, tmp_path_factory):
    from fcnet.studio import create_app

    app = create_app(tmp_path_factory.mktemp("runs"))
    app.state.exercise_root = root
    return local_client(app)


def fcnet_check(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "fcnet", "check", *args, "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=SRC),
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def check(client, file: str, **headers: str) -> dict:
    got = client.post(
        "/api/exercises/check", json={"name": "backprop", "file": file}, headers=headers
    )
    assert got.status_code == 200, got.text
    return got.json()


def next_hint(client, file: str, name: str = VALUES):
    return client.post(
        "/api/exercises/hint", json={"name": "backprop", "file": file, "check": name}
    )


# ----- the list and the checks ---------------------------------------------------------------


def test_the_list_shows_each_exercise_its_file_and_last_result(client, root):
    data = client.get("/api/exercises").json()
    rows = {r["exercise"]: r for r in data["exercises"]}
    assert data["root"] == str(root.resolve()) and data["levels"] == 3
    assert rows["backprop"]["file"] == "backprop.py" and rows["backprop"]["last"] is None
    assert rows["auc"]["file"] is None
    assert "numpy" in rows["backprop"]["what"]
    check(client, "backprop.py")
    last = {r["exercise"]: r for r in client.get("/api/exercises").json()["exercises"]}
    assert last["backprop"]["last"]["passed"] == len(get("backprop").checks)
    assert last["backprop"]["last"]["failed"] == []


def test_a_right_file_passes_and_a_wrong_one_shows_its_diff(client, root):
    right = check(client, "backprop.py")
    assert right["passed"] is True and right["file"] == "backprop.py"
    assert all(c["passed"] for c in right["checks"])
    wrong = check(client, "week1/wrong.py")
    assert wrong["passed"] is False and wrong["file"] == "week1/wrong.py"
    by_name = {c["name"]: c for c in wrong["checks"]}
    values = by_name[VALUES]
    assert not values["passed"] and values["message"].startswith("db is wrong")
    diff = values["diff"]
    assert diff["quantity"] == "db" and diff["count"] > 0
    assert any(any(row) for row in diff["marked"]) and diff["expected"] is not None
    assert diff["function"] == "linear_backward"  # and the inputs it was called with
    assert [i["name"] for i in diff["inputs"]] == ["delta", "x", "W"]
    assert by_name["linear_forward"]["passed"] and by_name["relu_backward"]["passed"]
    # the same report as `fcnet check --json`: the same keys, the same checks and verdict
    cli = fcnet_check("backprop", str(root / "week1" / "wrong.py"))
    assert set(cli) <= set(wrong) and set(cli["checks"][0]) == set(wrong["checks"][0])
    assert [c["name"] for c in cli["checks"]] == list(by_name)
    cli_values = next(c for c in cli["checks"] if c["name"] == VALUES)
    assert not cli_values["passed"] and cli_values["diff"]["quantity"] == "db"
    # kept as the CLI keeps it, beside the file
    record = progress.load(root / "week1").entries["backprop"]
    assert record.file == "wrong.py" and VALUES in record.failed
    assert record.passed == sum(c["passed"] for c in wrong["checks"])


def test_the_learners_code_never_runs_in_the_studios_process(client, root):
    (root / "sneaky.py").write_text(
        'import os\nos.environ["FCNET_STUDIO_SNEAKY"] = "ran here"\n' + REF
    )
    report = check(client, "sneaky.py")
    assert report["passed"] is True  # it ran: in the sandboxed child
    assert "FCNET_STUDIO_SNEAKY" not in os.environ


def test_a_second_check_while_one_runs_is_refused(client):
    lock = client.app.state.studio.check_lock
    assert lock.acquire(blocking=False)  # as if a check were running
    try:
        got = client.post("/api/exercises/check", json={"name": "backprop", "file": "backprop.py"})
    finally:
        lock.release()
    assert got.status_code == 409 and "already running" in got.json()["error"]
    assert check(client, "backprop.py")["passed"] is True  # the lock is free again


# ----- hints ---------------------------------------------------------------------------------


def test_hints_go_one_level_further_in_the_counter_fcnet_check_hint_advances(client, root):
    check(client, "week1/wrong.py")
    first = next_hint(client, "week1/wrong.py").json()
    assert first == {"check": VALUES, "level": 1, "levels": 3, "text": hint("backprop", VALUES, 1)}
    assert progress.load(root / "week1").entries["backprop"].hints[VALUES] == 1
    # the CLI's --hint goes on from the studio's level ...
    cli = fcnet_check("backprop", str(root / "week1" / "wrong.py"), "--hint")
    cli_hint = next(c for c in cli["checks"] if c["name"] == VALUES)["hint"]
    assert cli_hint == {"level": 2, "text": hint("backprop", VALUES, 2)}
    # ... and the studio from the CLI's: level 3 quotes the course text, then stays there
    third = next_hint(client, "week1/wrong.py").json()
    line, text = course_quote(HINTS[("backprop", VALUES)][2])
    assert third["level"] == 3 and str(line) in third["text"] and text in third["text"]
    assert next_hint(client, "week1/wrong.py").json()["level"] == 3
    assert len({first["text"], cli_hint["text"], third["text"]}) == 3
    assert "delta.sum" not in first["text"] + cli_hint["text"] + third["text"]  # never code
    # a check of the file keeps the level reached (the page labels the next hint from it)
    assert check(client, "week1/wrong.py")["hint_levels"][VALUES] == 3


def test_a_hint_in_chinese(client):
    check(client, "week1/wrong.py")
    got = client.post(
        "/api/exercises/hint",
        json={"name": "backprop", "file": "week1/wrong.py", "check": VALUES},
        headers={"Cookie": "fcnet_lang=zh"},
    ).json()
    assert got["text"] == "看这三个公式：dW = delta^T x，db = delta 按行求和，dx = delta W。"
    zh = check(client, "week1/wrong.py", Cookie="fcnet_lang=zh")
    values = next(c for c in zh["checks"] if c["name"] == VALUES)
    assert values["title"] == "linear_backward 的数值" and "db" in values["message"]


def test_a_hint_only_for_a_check_that_failed_in_the_files_last_check(client):
    got = next_hint(client, "week1/wrong.py")
    assert got.status_code == 400 and "check the file first" in got.json()["error"]  # unchecked
    check(client, "week1/wrong.py")
    got = next_hint(client, "week1/wrong.py", "relu_forward")  # passed
    assert got.status_code == 400 and "did not fail" in got.json()["error"]
    check(client, "backprop.py")
    got = next_hint(client, "backprop.py")  # right: nothing failed in the root's record
    assert got.status_code == 400


# ----- refused -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("check", {"name": "nope", "file": "backprop.py"}, 400, "unknown exercise 'nope'"),
        ("check", {"name": "backprop", "file": "../outside.py"}, 400, "outside"),
        ("check", {"name": "backprop", "file": "/etc/passwd.py"}, 400, "relative to"),
        ("check", {"name": "backprop", "file": "notes.txt"}, 400, "not an exercise file"),
        ("check", {"name": "backprop", "file": "missing.py"}, 404, "no such file"),
        ("check", {"name": "backprop", "file": "week1"}, 400, "not an exercise file"),
        ("check", {"name": "backprop"}, 422, "file"),
        ("check", {"name": "backprop", "file": "backprop.py", "x": 1}, 422, "x"),
        ("check", {"name": "b" * 41, "file": "backprop.py"}, 422, "name"),
        ("hint", {"name": "backprop", "file": "backprop.py", "check": "nope"}, 400, "no check"),
        ("hint", {"name": "nope", "file": "backprop.py", "check": VALUES}, 400, "unknown"),
        ("hint", {"name": "backprop", "file": "../outside.py", "check": VALUES}, 400, "outside"),
        ("hint", {"name": "backprop", "file": "backprop.py"}, 422, "check"),
    ],
)
def test_bad_requests_are_refused_with_one_line(client, root, path, body, status, words):
    (root.parent / "outside.py").write_text(REF)
    got = client.post(f"/api/exercises/{path}", json=body)
    assert got.status_code == status, got.text
    error = got.json()["error"]
    assert words in error and "\n" not in error and "Traceback" not in error
    assert not (root / progress.RECORD).exists()  # nothing checked, nothing recorded


def test_a_refusal_in_chinese(client):
    got = client.post(
        "/api/exercises/check",
        json={"name": "backprop", "file": "../x.py"},
        headers={"Cookie": "fcnet_lang=zh"},
    )
    assert got.status_code == 400 and "之外" in got.json()["error"]
