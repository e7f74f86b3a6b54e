"""Exercises fit and mnist: the learner's own training, scored on held-out points (quick sizes).

`fcnet check mnist FILE` without --quick trains on all 60,000 images and scores the
10,000 test images against 97%; the tests use the documented quick option.
"""

from learnkit import namespace, results


def test_fit_reference_passes():
    got = results("fit", namespace("fit_ref"), quick=True)
    assert all(ok for ok, _ in got.values()), got
    assert "(quick)" in got["held-out fit"][1]


def test_fit_refuses_a_straight_line():
    ok, text = results(
        "fit", namespace("fit_ref", "def target(x):\n    return 2 * x + 1\n"), "target"
    )["target"]
    assert not ok and "nearly a straight line" in text


def test_fit_undertrained_fails_with_the_ratio():
    ns = namespace("fit_ref", "_t = train\ndef train(x, y):\n    return _t(x, y, steps=5)\n")
    ok, text = results("fit", ns, "held-out fit", quick=True)["held-out fit"]
    assert not ok and "of the target's variance, need <= 5%" in text


def test_fit_bad_domain_is_named():
    ok, text = results("fit", namespace("fit_ref", "DOMAIN = (3, -3)\n"), "target")["target"]
    assert not ok and "DOMAIN must be (a, b) with finite a < b" in text


def test_mnist_reference_passes_quick():
    got = results("mnist", namespace("mnist_ref"), quick=True)
    assert all(ok for ok, _ in got.values()), got


def test_mnist_undertrained_fails_with_the_accuracy():
    ns = namespace(
        "mnist_ref", "_t = train\ndef train(x, y):\n    return _t(x[:300], y[:300], epochs=1)\n"
    )
    ok, text = results("mnist", ns, "test accuracy >= 97%", quick=True)["test accuracy >= 97%"]
    assert not ok and "need >= 85%" in text and "on 2000 test images" in text


def test_mnist_predict_shape_is_named():
    ns = namespace("mnist_ref", "def predict(model, x):\n    return model.forward(x)[:, :3]\n")
    ok, text = results("mnist", ns, "train and predict")["train and predict"]
    assert not ok and "expected (50,) digits or (50, 10) scores" in text
