"""Exercises fit and mnist: the learner's own training, scored on held-out points (quick sizes).

`fcnet check mnist FILE` without --quick trains on all 60,000 images and scores the
10,000 test images against 97%; the tests use the documented quick option.
"""

import pytest
from learnkit import namespace, report, results


def test_fit_reference_passes():
    got = results("fit", namespace("fit_ref"), quick=True)
    assert all(ok for ok, _ in got.values()), got
    assert "(--quick: on small slices)" in got["held-out fit"][1]


def test_fit_refuses_a_straight_line():
    ok, text = results(
        "fit", namespace("fit_ref", "def target(x):\n    return 2 * x + 1\n"), "target"
    )["target"]
    assert not ok and "nearly a straight line" in text


def test_fit_undertrained_fails_with_the_ratio():
    ns = namespace("fit_ref", "_t = train\ndef train(x, y):\n    return _t(x, y, steps=5)\n")
    ok, text = results("fit", ns, "held-out fit", quick=True)["held-out fit"]
    assert not ok and "of the curve's variance, need <= 5%" in text


def test_fit_far_worse_than_the_mean_is_said_diverged_not_underfit():
    # huge untrained weights: finite predictions, an error ~1e13 times the curve's variance
    ns = namespace(
        "fit_ref",
        "def train(x, y):\n    rng = np.random.default_rng(1)\n"
        "    return [(rng.standard_normal((64, 1)) * 1e3, np.zeros(64)),\n"
        "            (rng.standard_normal((1, 64)) * 1e3, np.zeros(1))]\n",
    )
    (check,) = report("fit", ns, "held-out fit", quick=True).checks
    assert not check.passed and check.tag == "diverged", check
    assert "times the curve's variance" in check.message and "%" not in check.message
    assert "lower the learning rate" in check.message and "more hidden" not in check.message


def test_fit_bad_domain_is_named():
    ok, text = results("fit", namespace("fit_ref", "DOMAIN = (3, -3)\n"), "target")["target"]
    assert not ok and "DOMAIN must be (a, b) with finite a < b" in text


def test_mnist_reference_passes_quick():
    got = results("mnist", namespace("mnist_ref"), quick=True)
    assert all(ok for ok, _ in got.values()), got
    assert list(got)[-1] == "test accuracy"  # no "✓ test accuracy >= 97%: 89.40%"
    assert (
        ">= the --quick bound 85% (on small slices; it does not prove the 97%)"
        in got["test accuracy"][1]
    )


def test_mnist_undertrained_fails_with_the_accuracy():
    ns = namespace(
        "mnist_ref", "_t = train\ndef train(x, y):\n    return _t(x[:300], y[:300], epochs=1)\n"
    )
    ok, text = results("mnist", ns, "test accuracy", quick=True)["test accuracy"]
    assert not ok and "need >= the --quick bound 85%" in text and "on 2000 test images" in text
    assert "97%" not in text.split("(")[0]  # the quick bound is not called the 97% one


def test_mnist_untrained_weights_are_said_to_be_at_chance():
    """Finite weights that learnt nothing (here: zeros, one digit for every image) are
    diagnosed as such, not sent to train longer."""
    ns = namespace(
        "mnist_ref",
        "def train(x, y):\n    return [(np.zeros((10, 784)), np.zeros(10))]\n",
    )
    rep = report("mnist", ns, "test accuracy", quick=True)
    (check,) = rep.checks
    assert not check.passed and check.tag == "diverged", check
    assert "about chance (10%): the network predicts 1 of the 10 digits" in check.message


def test_mnist_a_network_of_the_wrong_shape_is_named():
    ns = namespace("mnist_ref", "_t = train\ndef train(x, y):\n    return _t(x, y, 1)[:1]\n")
    rep = report("mnist", ns, "train returns a network")
    (check,) = rep.checks
    assert not check.passed and check.tag == "not_a_network"
    assert "a network of 256 outputs, expected 10" in check.message


# the wrong solutions that passed when the learner's code predicted for itself

FIT_CHEATS = {
    "predict returns target(x)": "def train(x, y):\n    return target\n",
    "np.interp over the training points": (
        "def train(x, y):\n    return lambda t: np.interp(t, x[:, 0], y[:, 0])\n"
    ),
    "the model is the training data": "def train(x, y):\n    return {'x': x, 'y': y}\n",
}


@pytest.mark.parametrize("case", list(FIT_CHEATS))
def test_fit_a_model_that_is_not_a_network_fails(case):
    rep = report("fit", namespace("fit_ref", FIT_CHEATS[case]), "held-out fit", quick=True)
    (check,) = rep.checks
    assert not check.passed and check.tag == "not_a_network", check
    assert "list of (W, b) pairs" in check.message


def test_fit_scores_a_curve_the_learners_target_does_not_know():
    # a network fitted to the learner's own target, not to the points given, fails
    ns = namespace("fit_ref", "_t = train\ndef train(x, y):\n    return _t(x, target(x), 400)\n")
    rep = report("fit", ns, "held-out fit", quick=True, seed=1)
    (check,) = rep.checks
    assert not check.passed and check.tag == "fit_underfit", check


def test_mnist_test_images_cannot_be_read_while_training():
    ns = namespace(
        "mnist_ref",
        "from fcnet.data import load_mnist\n_t = train\n"
        "def train(x, y):\n    xt, yt = load_mnist('test')\n    return _t(x, y, 1)\n",
    )
    rep = report("mnist", ns, "train returns a network")
    (check,) = rep.checks
    assert not check.passed and check.tag == "raised", check


def test_a_wide_network_is_run_in_blocks_of_rows_with_the_same_result(monkeypatch):
    """The checker runs the returned network itself: a wide layer must not take all the
    rows at once (the parameter bound does not bound its activations)."""
    import numpy as np

    from fcnet.learn.exercises import _network

    rng = np.random.default_rng(0)
    layers = [
        (rng.normal(size=(50, 4)), rng.normal(size=50)),
        (rng.normal(size=(3, 50)), rng.normal(size=3)),
    ]
    x = rng.normal(size=(103, 4))
    whole = _network.forward(layers, x)
    seen = []
    real = _network._forward
    monkeypatch.setattr(_network, "MAX_ACTIVATION", 50 * 10)  # 10 rows per block
    monkeypatch.setattr(_network, "_forward", lambda ls, xs: seen.append(len(xs)) or real(ls, xs))
    blocked = _network.forward(layers, x)
    assert seen == [10] * 10 + [3] and max(seen) * 50 <= 500
    np.testing.assert_allclose(blocked, whole, rtol=1e-12)
