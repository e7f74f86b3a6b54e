"""The one finite-difference core (`fcnet.numdiff`): its differences, its named error
measures (a NaN or an infinity is `inf`, never a pass), and that `fcnet gradcheck`'s
`gradcheck`, `fcnet backprop`'s checks and the learner's `check_grad` all go through it."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest

import fcnet.numdiff as core

# the module, not `fcnet.nn.gradcheck` the function that `fcnet.nn` exports under its name
nn_gradcheck = importlib.import_module("fcnet.nn.gradcheck")


def test_central_difference_of_a_cubic_and_w_restored() -> None:
    w = np.array([1.0, -2.0, 0.5])
    before = w.copy()
    numeric = core.central_difference(lambda: float((w**3).sum()), w, 1e-5)
    # (w+e)^3 - (w-e)^3 = 6 w^2 e + 2 e^3: the difference quotient is 3 w^2 + e^2
    np.testing.assert_allclose(numeric, 3 * before**2 + 1e-10, rtol=1e-9)
    assert np.array_equal(w, before)
    some = core.central_difference(lambda: float((w**3).sum()), w, 1e-5, np.array([2]))
    assert some.shape == (1,) and some[0] == pytest.approx(0.75, rel=1e-8)


def test_central_difference_restores_w_when_f_raises() -> None:
    w = np.array([[1.0, 2.0]])
    calls = []

    def f() -> float:
        calls.append(w.copy())
        if len(calls) == 2:
            raise RuntimeError("boom")
        return 0.0

    with pytest.raises(RuntimeError):
        core.central_difference(f, w, 0.25)
    assert np.array_equal(w, [[1.0, 2.0]])
    assert calls[0][0, 0] == 1.25 and calls[1][0, 0] == 0.75


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize(
    "measure",
    [
        core.max_abs_error,
        core.relative_error,
        lambda a, n: float(core.entrywise_relative_error(a, n).max()),
    ],
    ids=["max_abs_error", "relative_error", "entrywise_relative_error"],
)
def test_a_nan_or_an_infinity_is_an_infinite_error(measure, bad: float) -> None:
    good = np.array([1.0, 2.0])
    assert measure(good, good) == 0.0
    assert measure(np.array([1.0, bad]), good) == math.inf
    assert measure(good, np.array([bad, 2.0])) == math.inf
    assert measure(np.array([bad, bad]), np.array([bad, bad])) == math.inf  # not 0, not NaN


def test_the_error_measures() -> None:
    a, n = np.array([10.0, 0.001]), np.array([10.0, 0.002])
    assert core.max_abs_error(a, n) == pytest.approx(0.001)
    assert core.relative_error(a, n) == pytest.approx(0.001 / 10)  # by the largest entry
    np.testing.assert_allclose(core.entrywise_relative_error(a, n), [0.0, 0.001 / 0.003])
    assert core.relative_error(np.zeros(3), np.zeros(3)) == 0.0


def test_every_checker_goes_through_the_one_core(monkeypatch) -> None:
    from fcnet.explain import checks, trace
    from fcnet.learn.gradcheck import check_grad

    calls: list[str] = []
    real = core.central_difference

    def counting(f, w, eps, indices=None):
        calls.append("core")
        return real(f, w, eps, indices)

    # modules bound the name at import: patch where each one looks it up, and make sure
    # that each one's is the core's
    import fcnet.explain.checks as explain_checks
    import fcnet.learn.gradcheck as learn_gradcheck

    for module in (nn_gradcheck, explain_checks, learn_gradcheck):
        assert module.central_difference is real
        monkeypatch.setattr(module, "central_difference", counting)

    model, loss_fn, x, y = nn_gradcheck.grid_case("tanh", "mse", True, 2, 1)
    nn_gradcheck.gradcheck(model, loss_fn, x, y)
    n_gradcheck = len(calls)
    assert n_gradcheck == len(list(model.named_parameters())) + 1  # + the input

    net = trace.Net([2, 2], "relu", "mse", trace.init_weights([2, 2], "relu", 0))
    checks.finite_difference(trace.step(net, np.array([[0.5, -1.0]]), np.array([[0.1, 0.2]]), 0.1))
    assert len(calls) == n_gradcheck + 2  # W and b

    w = np.array([1.0, 2.0])
    assert check_grad(lambda: float((w**2).sum()), {"w": w}, {"w": 2 * w}).passed
    assert len(calls) == n_gradcheck + 3


def test_check_grad_and_the_step_through_fail_on_nan() -> None:
    from fcnet.learn.gradcheck import check_grad

    w = np.array([1.0, 2.0])
    result = check_grad(lambda: float((w**2).sum()), {"w": w}, {"w": np.array([np.nan, 4.0])})
    assert not result.passed and result["w"].reading == "wrong"
