"""The student's feedback says why checks are missing: none ran, or some did not finish."""

from fcnet.grade.feedback import feedback_markdown
from fcnet.grade.gradebook import CheckRow, Row, unchecked_row
from fcnet.grade.points import load_points
from fcnet.learn.exercises import get

POINTS = load_points(None, get("backprop"))
STOPPED = "stopped: the whole check is limited to 60 s"


def _row(results: int) -> Row:
    """A timed-out row whose first `results` checks ran (passed), the rest stopped."""
    checks = [
        CheckRow(name, name, True, "fine", 1.0)
        if i < results
        else CheckRow(name, name, False, STOPPED, 0.0, tag="stopped")
        for i, name in enumerate(POINTS)
    ]
    return Row("s", "s.py", "timeout", 60.0, checks).rescore(POINTS)


def test_checks_that_partly_ran_are_not_said_to_be_unchecked():
    text = feedback_markdown(_row(8), "backprop")
    assert "Not checked" not in text
    assert "Not every check finished: the checks ran out of time" in text


def test_no_result_at_all_is_not_checked():
    assert "Not checked: the checks ran out of time" in feedback_markdown(_row(0), "backprop")
    empty = unchecked_row("s", "s.py", "empty", "the file is empty", POINTS).rescore(POINTS)
    assert "Not checked: the file is empty" in feedback_markdown(empty, "backprop")
