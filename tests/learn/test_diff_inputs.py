"""A failing value check shows the inputs it called the learner's function with (issue 23):
in `--json` as `checks[].diff.inputs`, in the text as lines to paste into Python; a hidden
check shows neither its inputs nor its expected values, nor does the grade's feedback."""

from __future__ import annotations

import ast
import dataclasses
import itertools
import json
import re

import numpy as np
from learnkit import namespace, report
from test_chinese import untranslated
from test_cli import fcnet

from fcnet.grade.feedback import feedback_markdown, gradescope_results
from fcnet.grade.gradebook import row_from_report
from fcnet.grade.points import Points
from fcnet.learn.core import Check, CheckFailed, Student, run_one
from fcnet.learn.diff import MAX_VALUES, compare, hide_expected, lines, with_inputs
from fcnet.learn.exercises import get
from fcnet.learn.skeleton import parameters

# dW's last entry off by 0.5: only the check "linear_backward values" fails with a diff
WRONG_BACKWARD = """
def linear_backward(delta, x, W):
    dW = delta.T @ x
    dW.flat[-1] += 0.5
    return dW, delta.sum(axis=0), delta @ W
"""
# delta off in one entry of the largest batch (z of 10 x 10: too large to give whole)
WRONG_DELTA = """
_right_sce = softmax_cross_entropy

def softmax_cross_entropy(z, y):
    loss, delta = _right_sce(z, y)
    if len(y) == 10:
        delta = delta.copy()
        delta[7, 3] += 0.1
    return loss, delta
"""
VALUES = "linear_backward values"


def _wrong_backward():
    scope: dict = {}
    exec(WRONG_BACKWARD, scope)  # the test's own code: the function the file defines
    return scope["linear_backward"]


def _file(tmp_path, override: str):
    path = tmp_path / "backprop.py"
    path.write_text(namespace("backprop_ref", override))
    return path


def _as_array(entry: dict) -> np.ndarray:
    return np.array(entry["values"], dtype=entry["dtype"])


def test_the_json_inputs_reproduce_the_learners_wrong_dW(tmp_path):
    rc, out, err = fcnet("check", "backprop", str(_file(tmp_path, WRONG_BACKWARD)), "--json")
    assert rc == 1, err
    (check,) = [c for c in json.loads(out)["checks"] if c["diff"] is not None]
    assert check["name"] == VALUES and check["tag"] == "dW_wrong"
    diff = check["diff"]
    assert diff["function"] == "linear_backward"
    assert [i["name"] for i in diff["inputs"]] == ["delta", "x", "W"]
    delta, x, W = (_as_array(i) for i in diff["inputs"])
    assert [list(a.shape) for a in (delta, x, W)] == [i["shape"] for i in diff["inputs"]]
    dW, _db, _dx = _wrong_backward()(delta, x, W)
    (r0, r1), (c0, c1) = diff["rows"], diff["columns"]
    np.testing.assert_allclose(dW[r0:r1, c0:c1], diff["yours"], rtol=1e-5)
    assert not np.allclose(dW[r0:r1, c0:c1], diff["expected"], rtol=1e-5)
    right = delta.T @ x  # the expected values follow from the same inputs
    np.testing.assert_allclose(right[r0:r1, c0:c1], diff["expected"], rtol=1e-5)


def test_piped_text_gives_the_inputs_as_np_array_lines_without_ansi(tmp_path):
    path = _file(tmp_path, WRONG_BACKWARD)
    rc, out, _err = fcnet("check", "backprop", str(path), "--seed", "5")
    assert rc == 1 and "\x1b[" not in out
    block = out.split("the check called linear_backward with:\n", 1)[1].splitlines()[:3]
    _rc, data, _e = fcnet("check", "backprop", str(path), "--seed", "5", "--json")
    (diff,) = [c["diff"] for c in json.loads(data)["checks"] if c["diff"] is not None]
    for line, entry in zip(block, diff["inputs"], strict=True):
        head, _sep, literal = line.strip().partition(" = np.array(")
        assert head == f"{entry['name']} {tuple(entry['shape'])}", line
        pasted = np.array(ast.literal_eval(literal.removesuffix(")")))
        assert pasted.dtype == np.float64  # every float keeps its point: "1.0", not "1"
        np.testing.assert_allclose(pasted, _as_array(entry), rtol=1e-5)


def test_an_input_too_large_to_give_whole_is_cut_on_the_diffs_rows_and_columns():
    rep = report("backprop", namespace("backprop_ref", WRONG_DELTA), "softmax_cross_entropy")
    (check,) = rep.checks
    diff = check.diff
    assert diff is not None and diff["indices"] == [[7, 3]]
    z, y = diff["inputs"]
    assert z["name"] == "z" and z["shape"] == [10, 10] and z["values"] is None
    assert (z["rows"], z["columns"]) == (diff["rows"], diff["columns"])  # same samples
    assert y["name"] == "y" and y["dtype"] == "int64" and len(y["values"]) == 10
    text = check.line()
    assert "z (10, 10), rows 6-9, columns 1-6: [[" in text and "y (10,) = np.array([" in text


def test_hidden_checks_carry_neither_inputs_nor_expected_values():
    exercise = get("backprop")
    source = namespace("backprop_ref", WRONG_BACKWARD)
    for visibility in ("hidden", "after_due_date"):
        checks = tuple(dataclasses.replace(c, visibility=visibility) for c in exercise.checks)
        rep = report(dataclasses.replace(exercise, checks=checks), source, VALUES)
        (check,) = rep.checks
        assert check.diff is not None and check.diff["yours"]
        assert check.diff["inputs"] is None and check.diff["expected"] is None
        text = rep.text()
        assert "np.array" not in text and "called" not in text and "expected" not in text
        data = rep.to_json()["checks"][0]["diff"]
        assert data["inputs"] is None and data["expected"] is None


def test_hide_expected_strips_the_inputs_too():
    diff = with_inputs(compare("z", np.ones(2), np.zeros(2)), "f", ("a",), (np.arange(2.0),))
    assert diff["inputs"][0]["values"] == [0.0, 1.0]
    hidden = hide_expected(diff)
    assert hidden is not None and hidden["inputs"] is None and hidden["expected"] is None
    assert not any("np.array" in ln or "called" in ln for ln in lines(hidden))


class _FakeChild:
    """The child's side of `Student.call`: returns `value` and records nothing."""

    def __init__(self, value):
        self.value = value

    def __call__(self, op, name, args, *, deadline, keep_args):
        return {"ok": True}, self.value


def test_the_student_proxy_gives_every_diff_the_inputs_of_the_checks_last_call():
    student = Student(
        _FakeChild(np.ones(3)), {"f": "function"}, arguments={"f": ("a", "b")}, seed=0
    )

    def judged(st):
        st.call("f", np.zeros(3), 2.0)  # an earlier call: not the one judged
        got = st.call("f", np.arange(3.0), 7, "text")
        raise CheckFailed("wrong", diff=compare("out", got, np.zeros(3)))

    def no_call(_st):
        raise CheckFailed("wrong", diff=compare("out", np.ones(3), np.zeros(3)))

    res = run_one(Check("judged", judged, ("f",)), student)
    assert res.diff is not None and res.diff["function"] == "f"
    a, b, extra = res.diff["inputs"]
    assert (a["name"], a["values"], a["shape"]) == ("a", [0.0, 1.0, 2.0], [3])
    assert (b["name"], b["values"], b["shape"], b["dtype"]) == ("b", 7, [], "int64")
    assert (extra["name"], extra["values"]) == ("args[2]", "text")
    assert "a (3,) = np.array([0.0, 1.0, 2.0])" in res.line()
    assert "b () = np.array(7)" in res.line() and "args[2] = 'text'" in res.line()
    # the next check made no call: its diff has no inputs (nothing left from the last check)
    res = run_one(Check("no call", no_call, ("f",)), student)
    assert res.diff is not None and res.diff["inputs"] is None and res.diff["function"] is None
    assert "called" not in res.line()
    # outside a check, too
    assert CheckFailed("x", diff=compare("q", np.ones(1), np.zeros(1))).diff["inputs"] is None


def test_a_large_input_gives_an_excerpt_and_non_finite_values_stay_json():
    big = np.zeros((50, 40))
    small = np.array([[np.nan, np.inf], [-np.inf, 1.0]])
    yours = np.zeros((50, 40))
    yours[30, 25] = 1
    diff = with_inputs(compare("q", yours, np.zeros((50, 40))), "f", ("big", "s"), (big, small))
    b, s = diff["inputs"]
    assert b["values"] is None and big.size > MAX_VALUES
    assert len(b["excerpt"]) <= 4 and all(len(r) <= 6 for r in b["excerpt"])
    assert (b["rows"], b["columns"]) == (diff["rows"], diff["columns"])
    assert (s["rows"], s["columns"]) == ([0, 2], [0, 2])  # another shape: its first entries
    assert s["values"] == [["nan", "inf"], ["-inf", 1.0]]
    json.dumps(diff, allow_nan=False)  # plain JSON data
    assert "s (2, 2) = np.array([[np.nan, np.inf], [-np.inf, 1.0]])" in "\n".join(lines(diff))


def test_the_inputs_are_named_as_the_skeletons_parameters():
    assert parameters("backprop")["linear_backward"] == ("delta", "x", "W")
    assert parameters("backprop")["softmax_cross_entropy"] == ("z", "y")
    assert parameters("idx")["load_labels"] == ("path",)
    assert parameters("no such exercise") == {}


def test_the_inputs_lines_speak_chinese():
    rep = report(
        "backprop",
        namespace("backprop_ref", WRONG_BACKWARD + WRONG_DELTA),
        VALUES,
        "softmax_cross_entropy",
        lang="zh",
    )
    text = rep.text()
    heads = re.findall(r"检查调用 (\w+) 时传入的参数：", text)
    assert heads == ["linear_backward", "softmax_cross_entropy"], text
    block = []  # the lines below each heading, one per input
    for part in text.split("时传入的参数：\n")[1:]:
        block += itertools.takewhile(lambda ln: ln.startswith("      "), part.splitlines())
    assert len(block) == 3 + 2, block
    assert any("第 6-9 行，第 1-6 列：" in ln for ln in block), block
    assert block and not untranslated("\n".join(block)), (untranslated("\n".join(block)), text)
    assert "called" not in text and "rows" not in text


def test_the_grade_feedback_shows_no_inputs_nor_expected_values():
    exercise = get("backprop")
    rep = report("backprop", namespace("backprop_ref", WRONG_BACKWARD), seed=3)
    (diff,) = [c.diff for c in rep.checks if c.diff is not None]
    numbers = [v for i in diff["inputs"] for v in np.ravel(i["values"])] + list(
        np.ravel(diff["expected"])
    )
    shown = {f"{v:.6g}" for v in numbers} | {f"{v:.4g}" for v in numbers}
    for visibility in ("visible", "hidden", "after_due_date"):
        points = {
            c.name: Points(1.0, visibility if c.name == VALUES else "visible")
            for c in exercise.checks
        }
        row = row_from_report("s1", "s1.py", "digest", rep, points).rescore(points)
        text = feedback_markdown(row, "backprop") + json.dumps(gradescope_results(row))
        text += json.dumps(row.to_json())
        assert "np.array" not in text and "delta (" not in text
        assert not [s for s in shown if s in text], [s for s in shown if s in text]
        if visibility == "hidden":
            assert "dW is wrong" not in feedback_markdown(row, "backprop")


# three diagnosed mistakes at once: each tagged verdict carries its diff, not only the fallbacks
DIAGNOSED = """
def linear_backward(delta, x, W):
    return delta.T @ x, delta.mean(axis=0), delta @ W

def relu_backward(grad_a, z):
    return grad_a * (z >= 0)

_right_ce = softmax_cross_entropy

def softmax_cross_entropy(z, y):
    loss, delta = _right_ce(z, y)
    return loss, delta * len(z)
"""


def test_a_diagnosed_mistake_carries_its_diff_in_json(tmp_path):
    rc, out, err = fcnet("check", "backprop", str(_file(tmp_path, DIAGNOSED)), "--json")
    assert rc == 1, err
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    for name, tag, quantity in (
        (VALUES, "db_mean_not_sum", "db"),
        ("relu_backward", "relu_mask_ge", "grad_z"),
        ("softmax_cross_entropy", "delta_missing_1_over_n", "delta"),
    ):
        check = checks[name]
        assert check["tag"] == tag, check
        assert check["diff"] is not None and check["diff"]["quantity"] == quantity, check
