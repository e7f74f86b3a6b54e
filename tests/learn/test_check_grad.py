"""fcnet.learn.check_grad: any function, the learner's own arrays, the cs231n reading."""

import numpy as np
import pytest

from fcnet.learn import check_grad


def _two_layer(seed=0):
    """The course text's net, x -> relu(x w1) w2, squared error summed (float64)."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((8, 5)), rng.standard_normal((8, 3))
    w1, w2 = rng.standard_normal((5, 6)), rng.standard_normal((6, 3))

    def loss():
        return float(np.square(np.maximum(x @ w1, 0) @ w2 - y).sum())

    h = x @ w1
    h_relu = np.maximum(h, 0)
    grad_y_pred = 2 * (h_relu @ w2 - y)
    grad_w2 = h_relu.T @ grad_y_pred
    grad_h_relu = grad_y_pred @ w2.T
    grad_h = grad_h_relu * (h > 0)
    return loss, x, w1, w2, grad_h_relu, grad_h, grad_w2


def test_right_gradients_read_right():
    loss, x, w1, w2, _, grad_h, grad_w2 = _two_layer()
    result = check_grad(loss, {"w1": w1, "w2": w2}, {"w1": x.T @ grad_h, "w2": grad_w2})
    assert result.passed
    assert result["w1"].rel_error < 1e-7 and result["w2"].rel_error < 1e-7
    assert result["w2"].reading == "right"


def test_course_bug_grad_w1_from_grad_h_relu_reads_wrong_and_names_the_worst_entry():
    loss, x, w1, w2, grad_h_relu, _, grad_w2 = _two_layer()
    wrong = x.T @ grad_h_relu  # the course text's grad_w1 = x.t().mm(grad_h_relu)
    result = check_grad(loss, [w1, w2], [wrong, grad_w2])
    assert not result.passed
    assert result["0"].reading == "wrong" and result["1"].passed
    i = result["0"].worst_index
    assert len(i) == 2 and result["0"].analytic == pytest.approx(wrong[i])
    assert "wrong" in str(result)


def test_arrays_are_restored_and_sampled():
    w = np.random.default_rng(1).standard_normal((30, 30))
    before = w.copy()
    result = check_grad(lambda: float((w**3).sum()), {"w": w}, {"w": 3 * w**2})
    assert np.array_equal(w, before)
    assert result["w"].checked == 100 and result["w"].size == 900
    assert result.passed


@pytest.mark.parametrize(
    ("params", "grads", "match"),
    [
        ({"w": np.ones(3, np.float32)}, {"w": np.ones(3)}, "float64"),
        ({"w": np.ones(3)}, {"w": np.ones(4)}, "shape"),
        ({"w": np.ones(3)}, {"v": np.ones(3)}, "names"),
    ],
)
def test_bad_arguments_say_what_is_wrong(params, grads, match):
    with pytest.raises(ValueError, match=match):
        check_grad(lambda: 0.0, params, grads)


def test_f_must_return_a_scalar():
    w = np.ones(3)
    with pytest.raises(ValueError, match="scalar"):
        check_grad(lambda: w * 2, {"w": w}, {"w": w})
