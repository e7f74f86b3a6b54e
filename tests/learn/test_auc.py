"""Exercise auc: scikit-learn is the reference; ties, one class and speed each have their check."""

import dataclasses

from learnkit import namespace, report, results

from fcnet.learn.exercises import get


def test_reference_passes_every_check(monkeypatch):
    monkeypatch.setenv("FCNET_LEARN_TIME_SCALE", "3")  # 3 s for 10^6 scores: a loaded machine
    got = results("auc", namespace("auc_ref"))
    assert len(got) == 5 and all(ok for ok, _ in got.values()), got


def test_without_tie_handling_fails_ties_only():
    got = results("auc", namespace("auc_no_ties"), "by hand", "against scikit-learn", "ties")
    assert got["by hand"][0] and got["against scikit-learn"][0]
    ok, text = got["ties"]
    assert not ok and "a tied (positive, negative) pair counts 1/2" in text


def test_one_class_must_raise_value_error():
    got = results("auc", namespace("auc_pairs"), "one class raises ValueError")
    ok, text = got["one class raises ValueError"]
    assert not ok and "roc_auc returned nan for labels all 0" in text and "ValueError" in text


_SLEEPY = (
    "import time\n_r = roc_auc\ndef roc_auc(y, s):\n    time.sleep(1.05)\n    return _r(y, s)\n"
)


def test_slow_but_right_fails_speed_with_the_figure(monkeypatch):
    import fcnet.learn.exercises.auc as auc

    monkeypatch.setattr(auc, "SLOWER", 0)  # the 1 s floor alone, whatever the machine's load
    ok, text = results("auc", namespace("auc_ref", _SLEEPY), "speed")["speed"]
    assert not ok and "for 10^6 scores, need under 1 s" in text


def test_a_busy_machine_raises_the_bound_with_scikit_learns_own_time(monkeypatch):
    import time

    import fcnet.learn.exercises.auc as auc

    real = auc._sklearn_auc

    def busy(y, s):  # scikit-learn at 0.2 s: a machine this busy allows 10 x 0.2 = 2 s
        time.sleep(0.2)
        return real(y, s)

    monkeypatch.setattr(auc, "_sklearn_auc", busy)
    ok, text = results("auc", namespace("auc_ref", _SLEEPY), "speed")["speed"]
    assert ok, text


def test_a_function_that_never_returns_fails_saying_so():
    ns = namespace("auc_ref", "def roc_auc(y, s):\n    while True:\n        pass\n")
    exercise = dataclasses.replace(get("auc"), call_limits={"roc_auc": 0.5})
    rep = report(exercise, ns, "by hand", "ties")
    (first, second) = rep.checks
    assert not first.passed and "roc_auc did not return within 0.5 s" in first.message
    assert not second.passed and "did not return within 0.5 s in an earlier check" in second.message
