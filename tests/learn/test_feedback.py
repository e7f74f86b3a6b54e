"""Feedback that points at the real fault: a wrong array beside the right one, hidden
expected values withheld, and the diagnoses of issue 23 (log of an underflowed softmax)."""

from __future__ import annotations

import json

import numpy as np
from learnkit import namespace, report

from fcnet.learn.core import Check, CheckFailed, Exercise, run_one
from fcnet.learn.diff import compare, hide_expected, lines

LOG_OF_P = """
def softmax_cross_entropy(z, y):
    N = z.shape[0]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean()
    delta = p.copy()
    delta[np.arange(N), y] -= 1
    return loss, delta / N
"""

DW_ONE_ENTRY_OFF = """
_right_backward = linear_backward

def linear_backward(delta, x, W):
    dW, db, dx = _right_backward(delta, x, W)
    dW = dW.copy()
    dW.flat[-1] += 0.5
    return dW, db, dx
"""


def test_compare_marks_only_the_entries_that_differ_and_says_where():
    expected = np.arange(12.0).reshape(3, 4)
    yours = expected.copy()
    yours[2, 1] = -1.0
    d = compare("dW", yours, expected)
    assert d is not None
    assert d["indices"] == [[2, 1]] and d["count"] == 1 and d["shape"] == [3, 4]
    marked = [(r, c) for r, row in enumerate(d["marked"]) for c, m in enumerate(row) if m]
    r0, c0 = d["rows"][0], d["columns"][0]
    assert [(r + r0, c + c0) for r, c in marked] == [(2, 1)]
    assert d["yours"][2 - r0][1 - c0] == -1.0 and d["expected"][2 - r0][1 - c0] == 9.0
    text = "\n".join(lines(d))
    assert "-1*" in text and "9*" in text and "(row 2)" in text and "\x1b[" not in text
    assert "\x1b[1;31m-1\x1b[0m" in "\n".join(lines(d, colour=True))
    assert compare("dW", expected, expected) is None  # nothing to show when they agree
    assert compare("dW", expected.T, expected) is None  # shapes differ: said elsewhere


def test_the_excerpts_line_up_on_screen_in_chinese_too():
    """你的 and 应为 take four columns each: every row's bracket sits in one column."""
    from fcnet import i18n

    yours = np.arange(6.0).reshape(2, 3)
    expected = yours.copy()
    expected[1, 2] = 7.0
    for lang in i18n.LANGUAGES:
        with i18n.use_language(lang):
            d = compare("dW", yours, expected)
            assert d is not None
            rows = [ln for ln in lines(d) if "[" in ln]
        assert len(rows) == 4, rows
        assert len({i18n.display_width(ln[: ln.index("[")]) for ln in rows}) == 1, (lang, rows)


def test_a_large_array_is_cut_to_a_window_around_the_first_difference():
    expected = np.zeros((50, 40))
    yours = expected.copy()
    yours[30, 25] = 1.0
    d = compare("x", yours, expected)
    assert d is not None
    assert len(d["yours"]) <= 4 and all(len(r) <= 6 for r in d["yours"])
    assert d["rows"][0] <= 30 < d["rows"][1] and d["columns"][0] <= 25 < d["columns"][1]


def test_a_hidden_check_never_shows_its_expected_values():
    def failing(_student):
        raise CheckFailed("wrong", tag="t", diff=compare("z", np.ones(3), np.zeros(3)))

    for visibility, shown in (("visible", True), ("hidden", False)):
        res = run_one(Check("c", failing, (), visibility=visibility), _NoStudent())
        assert res.diff is not None and res.diff["yours"] == [[1.0, 1.0, 1.0]]
        assert (res.diff["expected"] is not None) is shown
        assert ("expected" in res.line()) is shown
    assert hide_expected(None) is None


class _NoStudent:
    check_limit = check_deadline = None
    check_seconds = 0.0

    def precheck(self, names):
        pass


def test_a_wrong_dW_shows_yours_beside_fcnets_in_the_report_and_its_json():
    rep = report("backprop", namespace("backprop_ref", DW_ONE_ENTRY_OFF), "linear_backward values")
    (check,) = rep.checks
    assert not check.passed and check.tag == "dW_wrong"
    data = json.loads(json.dumps(rep.to_json()))["checks"][0]
    diff = data["diff"]
    assert diff["quantity"] == "dW" and diff["count"] == 1
    (index,) = diff["indices"]
    assert index == [s - 1 for s in diff["shape"]]  # the last entry, where it was changed
    assert "yours" in str(rep) and "expected" in str(rep) and "*" in str(rep)


def test_log_of_a_softmax_that_underflowed_is_told_so_not_to_subtract_the_max():
    rep = report("backprop", namespace("backprop_ref", LOG_OF_P), "softmax_cross_entropy stability")
    (check,) = rep.checks
    assert not check.passed and check.tag == "log_of_underflowed_p"
    assert "log(0) = -inf" in check.message and "log-sum-exp" in check.message
    assert "overflows" not in check.message


def test_every_tag_a_check_can_give_is_listed_among_the_mistakes():
    from fcnet.learn.exercises import get

    assert "log_of_underflowed_p" in get("backprop").mistakes
    assert isinstance(get("backprop"), Exercise)


FIT_DIVERGES = """
_t = train

def train(x, y):
    layers = _t(x, y, steps=20)
    return [(W * np.nan, b) for W, b in layers]
"""

FIT_PREDICTIONS_OVERFLOW = """
_t = train

def train(x, y):
    layers = _t(x, y, steps=20)
    return [(W * 1e300, b) for W, b in layers]
"""


def test_a_fit_that_diverged_is_told_so_not_to_add_units():
    for override, where in (
        (FIT_DIVERGES, "parameters"),
        (FIT_PREDICTIONS_OVERFLOW, "predictions"),
    ):
        rep = report("fit", namespace("fit_ref", override), "held-out fit", quick=True)
        (check,) = rep.checks
        assert not check.passed and check.tag == "diverged", check
        assert check.message.startswith(f"training diverged: the network's {where} hold NaN")
        assert "lower the learning rate" in check.message and "units" not in check.message


IDX_784 = """
def load_images(path):
    pixels, (n, rows, cols) = _read(path, 0x00000803, 3)
    return pixels.reshape(n, 784)
"""


def test_a_reader_that_hard_codes_784_is_told_to_read_the_header_not_the_byte_order():
    rep = report("idx", namespace("idx_ref", IDX_784), "other sizes")
    (check,) = rep.checks
    assert not check.passed
    assert "read the count, rows and columns from the header" in check.message
    assert "big-endian" not in check.message
    rep = report("idx", namespace("idx_ref", IDX_784_RESHAPE), "other sizes")
    (check,) = rep.checks
    assert not check.passed and "cannot reshape" in check.message, check
    assert "from the header" in check.message and "big-endian" not in check.message


IDX_784_RESHAPE = """
def load_images(path):
    pixels, (n, rows, cols) = _read(path, 0x00000803, 3)
    return pixels.reshape(-1, 784)[: n]
"""


IDX_LABELS_OFF = """
_right_labels = load_labels

def load_labels(path):
    labels = _right_labels(path).copy()
    labels[3] += 1
    return labels
"""


def test_wrong_idx_values_show_the_learners_labels_beside_the_files():
    rep = report("idx", namespace("idx_ref", IDX_LABELS_OFF), "labels on MNIST")
    (check,) = rep.checks
    assert not check.passed and check.tag == "idx_values"
    assert check.diff is not None and check.diff["indices"] == [[3]]
    assert check.diff["count"] == 1 and check.diff["expected"] is not None
    shown = check.diff["yours"][0]
    assert (
        shown[3 - check.diff["columns"][0]]
        == check.diff["expected"][0][3 - check.diff["columns"][0]] + 1
    )
