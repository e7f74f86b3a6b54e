"""The Class page in Chromium: a grade folder of `fcnet grade` opened, in both languages,
and its API refusing what is not a grade folder inside the class root."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from studio_support import LiveServer, local_client, studio_page

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "grade"))
from classkit import COPY, OWN, REF


@pytest.fixture(scope="module")
def class_root(tmp_path_factory) -> Path:
    from fcnet.grade import GradeOptions, grade

    root = tmp_path_factory.mktemp("teacher")
    subs = root / "subs"
    subs.mkdir()
    (subs / "ann.py").write_text(REF)
    (subs / "bob.py").write_text(COPY)
    (subs / "cat.py").write_text(OWN)
    (subs / "dan.py").write_text(REF.replace("delta.sum(axis=0)", "delta.mean(axis=0)"))
    (subs / "eve.py").write_text("")
    grade(GradeOptions("backprop", subs, root / "grades" / "week1", jobs=2, seed=7,
                       unsafe_no_sandbox=True), progress=False)  # fmt: skip
    return root


@pytest.fixture(scope="module")
def class_server(class_root, tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("runs"))
    server.app.state.class_root = class_root
    with server:
        yield server


def _shown(x: float) -> str:
    """A score as the page writes it: whole numbers as they are, others to 2 decimals."""
    return f"{x:g}" if float(x).is_integer() else f"{x:.2f}"


def test_the_page_shows_scores_mistakes_feedback_and_pairs(browser, class_server, class_root):
    book = json.loads((class_root / "grades/week1/gradebook.json").read_text())
    with studio_page(browser, class_server) as page:
        page.goto(class_server.url + "/class")
        assert page.title() == "Class · fcnet studio"
        page.wait_for_function("window.classState.status === 'loaded'")
        assert page.input_value("#folder") == "grades/week1"
        assert "backprop" in page.text_content("#summary")
        # the histogram counts every student once
        assert sum(page.evaluate("window.classState.histogram")) == len(book["students"])
        rows = page.locator("#students-table tbody tr")
        assert rows.count() == 5
        scores = {r["student"]: r for r in book["students"]}
        for i in range(5):
            cells = rows.nth(i).locator("td").all_text_contents()
            s = scores[cells[0]]
            assert cells[1] == f"{_shown(s['score'])} / {_shown(s['max_score'])}"
            assert cells[2] == s["status"]
        page.click("#students-table tr[data-student='dan']")
        page.wait_for_function("window.classState.feedback === 'dan'")
        feedback = page.text_content("#feedback")
        assert feedback == (class_root / "grades/week1/feedback/dan.md").read_text()
        assert "a sum, not a mean" in feedback
        # the mistakes: the table of mistakes.csv and the chart
        tags = page.locator("#mistakes-table tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.tag)"
        )
        assert "db_mean_not_sum" in tags  # dan: EXERCISE.mistakes tag of db as a mean
        page.wait_for_function("document.querySelector('#mistakes-img').naturalWidth === 900")
        # the copies are paired with their source, side by side, matching lines marked
        pairs = page.locator("#pairs-table tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.a + '+' + r.dataset.b)"
        )
        assert sorted(pairs) == ["ann+bob", "ann+dan", "bob+dan"]  # dan is ann's with db wrong
        page.click("#pairs-table tr[data-a='ann'][data-b='bob']")
        page.wait_for_function("window.classState.pair")
        assert page.evaluate("window.classState.pair") == ["ann", "bob"]
        assert "def linear_backward(delta, x, W):" in page.text_content("#code-a")
        assert "def linear_backward(d, inp, weights):" in page.text_content("#code-b")
        assert page.locator("#code-a .line.match").count() > 10
        assert page.js_errors == []


def test_the_page_in_chinese(browser, class_server):
    with studio_page(browser, class_server) as page:
        page.add_init_script("localStorage.setItem('fcnet.lang', 'zh')")
        page.goto(class_server.url + "/class")
        page.wait_for_function("window.classState.status === 'loaded'")
        assert "学生" in page.text_content("#students-pane")
        assert "相似" in page.text_content("#pairs-pane")
        assert "学生" in page.text_content("#summary")
        assert page.js_errors == []


def test_the_api_opens_only_grade_folders_inside_the_root(class_server, class_root):
    client = local_client(class_server.app)
    ok = client.get("/api/class", params={"dir": "grades/week1"})
    assert ok.status_code == 200 and len(ok.json()["students"]) == 5
    for bad, code in (("../", 400), ("/etc", 400), ("subs", 404), ("grades/nope", 404)):
        got = client.get("/api/class", params={"dir": bad})
        assert got.status_code == code, bad
        assert "\n" not in got.json()["error"]
    for student in ("../grade", ".hidden", "a/b"):
        got = client.get("/api/class/feedback", params={"dir": "grades/week1", "student": student})
        assert got.status_code in (400, 404), student
    missing = client.get("/api/class/code", params={"dir": "grades/week1", "student": "cat"})
    assert missing.status_code == 404  # cat is in no similar pair
    (class_root / "grades/week1/feedback/eve.md").unlink()
    (class_root / "grades/week1/feedback/eve.md").symlink_to("/dev/zero")
    got = client.get("/api/class/feedback", params={"dir": "grades/week1", "student": "eve"})
    assert got.status_code == 404  # not a regular file: never read
    (class_root / "grades/week1/feedback/dan.md").write_text("#" * (4 * 2**20 + 1))
    got = client.get("/api/class/feedback", params={"dir": "grades/week1", "student": "dan"})
    assert got.status_code == 400 and "more than" in got.json()["error"]


def test_the_api_reads_no_file_through_a_link_out_of_the_root(class_server, class_root, tmp_path):
    client = local_client(class_server.app)
    week = class_root / "grades/week1"
    secret = tmp_path / "secret.md"
    secret.write_text("SECRET of another folder")
    (week / "feedback/ann.md").unlink()
    (week / "feedback/ann.md").symlink_to(secret)
    got = client.get("/api/class/feedback", params={"dir": "grades/week1", "student": "ann"})
    assert got.status_code == 400 and "SECRET" not in got.text
    assert "\n" not in got.json()["error"]
    outside = tmp_path / "similar"
    outside.mkdir()
    (outside / "ann.py").write_text("SECRET = 1\n")
    (week / "similar").rename(tmp_path / "similar-kept")
    (week / "similar").symlink_to(outside)  # the folder itself a link out of the root
    got = client.get("/api/class/code", params={"dir": "grades/week1", "student": "ann"})
    assert got.status_code == 400 and "SECRET" not in got.text
    (week / "similar").unlink()
    (tmp_path / "similar-kept").rename(week / "similar")
    png = tmp_path / "chart.png"
    png.write_bytes(b"\x89PNG SECRET")
    (week / "mistakes.png").unlink()
    (week / "mistakes.png").symlink_to(png)
    got = client.get("/api/class/mistakes.png", params={"dir": "grades/week1"})
    assert got.status_code == 400 and b"SECRET" not in got.content
