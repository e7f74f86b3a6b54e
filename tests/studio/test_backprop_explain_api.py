"""POST /api/backprop/explain: a learner's backprop file beside fcnet's numbers, the file
resolved only inside the exercise root, every bad name one line and a 4xx."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from studio_support import local_client

from fcnet.studio import backprop, create_app

SOLUTIONS = Path(__file__).resolve().parents[1] / "learn" / "solutions"
MASK_GE = "\n\ndef relu_backward(grad_a, z):\n    return grad_a * (z >= 0)\n"


@pytest.fixture
def root(tmp_path) -> Path:
    folder = tmp_path / "exercises"
    (folder / "week1").mkdir(parents=True)
    shutil.copy(SOLUTIONS / "backprop_ref.py", folder / "backprop.py")
    source = (SOLUTIONS / "backprop_ref.py").read_text() + MASK_GE
    (folder / "week1" / "backprop wrong.py").write_text(source)
    (folder / "notes.txt").write_text("not code")
    (tmp_path / "outside.py").write_text((SOLUTIONS / "backprop_ref.py").read_text())
    return folder


@pytest.fixture
def client(tmp_path, root):
    app = create_app(tmp_path / "runs")
    app.state.exercise_root = root
    with local_client(app) as c:
        yield c


def test_a_correct_file_departs_nowhere(client):
    res = client.post("/api/backprop/explain", json={"file": "backprop.py"})
    assert res.status_code == 200, res.text
    doc = res.json()
    assert doc["file"] == "backprop.py" and doc["seed"] == 0
    assert doc["first"] is None
    assert {q["status"] for q in doc["quantities"]} == {"same"}


def test_a_wrong_file_in_a_subfolder_names_its_first_departure(client):
    res = client.post("/api/backprop/explain", json={"file": "week1/backprop wrong.py", "seed": 3})
    assert res.status_code == 200, res.text
    doc = res.json()
    assert doc["seed"] == 3
    assert doc["first"]["key"] == "delta1" and doc["first"]["function"] == "relu_backward"
    assert "wrong given right inputs" in doc["summary"]


def test_the_sentence_follows_the_pages_language(client):
    res = client.post(
        "/api/backprop/explain",
        json={"file": "week1/backprop wrong.py"},
        headers={"Cookie": "fcnet_lang=zh"},
    )
    assert res.status_code == 200, res.text
    assert "从这里开始偏离" in res.json()["summary"]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"file": "../outside.py"}, 400, "outside"),
        ({"file": "/etc/passwd.py"}, 400, "relative to"),
        ({"file": "notes.txt"}, 400, "not an exercise file"),
        ({"file": "absent.py"}, 404, "no such file"),
        ({"file": ""}, 422, "file"),
        ({"file": "x" * 2000 + ".py"}, 422, "file"),
        ({"file": "backprop.py", "seed": -1}, 422, "seed"),
        ({"file": "backprop.py", "code": "import os"}, 422, "code"),
        ({}, 422, "file"),
    ],
    ids=["outside", "absolute", "not .py", "absent", "empty", "too long", "seed", "extra", "none"],
)
def test_bad_requests_get_one_line(client, body, status, words):
    res = client.post("/api/backprop/explain", json=body)
    assert res.status_code == status, res.text
    message = res.json()["error"]
    assert words in message and "\n" not in message


def test_too_many_at_once_is_a_429(client):
    held = [backprop._explaining.acquire(blocking=False) for _ in range(backprop.MAX_EXPLAINING)]
    try:
        assert all(held)
        res = client.post("/api/backprop/explain", json={"file": "backprop.py"})
        assert res.status_code == 429 and "busy" in res.json()["error"]
    finally:
        for _ in held:
            backprop._explaining.release()
    assert client.post("/api/backprop/explain", json={"file": "backprop.py"}).status_code == 200
