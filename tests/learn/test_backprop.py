"""Exercise backprop: the reference passes; each typical mistake fails its own check."""

import pytest
from learnkit import namespace, report, results

ALL = (
    "linear_forward",
    "linear_backward shapes",
    "linear_backward values",
    "linear_backward finite differences",
    "relu_forward",
    "relu_backward",
    "relu_backward finite differences",
    "softmax_cross_entropy",
    "softmax_cross_entropy finite differences",
    "softmax_cross_entropy stability",
    "two-layer training",
)


@pytest.mark.parametrize("solution", ["backprop_ref", "backprop_loops"])
def test_reference_and_per_sample_loops_pass_every_check(solution):
    got = results("backprop", namespace(solution))
    assert list(got) == list(ALL)
    assert all(ok for ok, _ in got.values()), got


WRONG = {
    # the course text's numpy bug: grad_h = h_copy (h with negatives zeroed), grad_a forgotten
    "course: hidden gradient without the ReLU mask's product": (
        "def relu_backward(grad_a, z):\n    h_copy = z.copy()\n    h_copy[z < 0] = 0\n"
        "    return h_copy\n",
        "relu_backward",
        "grad_z is max(z, 0), the activation itself",
    ),
    # the course text's torch bug: grad_w1 = x.t().mm(grad_h_relu), the mask never used
    "course: grad_w1 from grad_h_relu": (
        "def relu_backward(grad_a, z):\n    grad_h = grad_a.copy()\n    grad_h[z < 0] = 0\n"
        "    return grad_a\n",
        "relu_backward",
        "grad_z ignores the ReLU mask f'(z) = 1[z > 0]",
    ),
    "mask taken from grad_a": (
        "def relu_backward(grad_a, z):\n    return grad_a * (grad_a > 0)\n",
        "relu_backward",
        "the mask comes from grad_a",
    ),
    "transposed dW": (
        "def linear_backward(delta, x, W):\n    return x.T @ delta, delta.sum(0), delta @ W\n",
        "linear_backward shapes",
        "dW has shape (3, 4), W has (4, 3): dL/dW = delta^T x sums the batch's outer products",
    ),
    "transposed dW (square W)": (
        "def linear_backward(delta, x, W):\n"
        "    dW = x.T @ delta if W.shape[0] == W.shape[1] else delta.T @ x\n"
        "    return dW, delta.sum(0), delta @ W\n",
        "linear_backward values",
        "dW is transposed",
    ),
    "bias gradient averaged": (
        "def linear_backward(delta, x, W):\n    return delta.T @ x, delta.mean(0), delta @ W\n",
        "linear_backward values",
        "db is the batch's mean of delta",
    ),
    "bias gradient with keepdims": (
        "def linear_backward(delta, x, W):\n"
        "    return delta.T @ x, delta.sum(0, keepdims=True), delta @ W\n",
        "linear_backward shapes",
        "db has shape (1, 4), b has (4,)",
    ),
    "dx with W transposed": (
        "def linear_backward(delta, x, W):\n"
        "    dx = delta @ W.T if W.shape[0] == W.shape[1] else delta @ W\n"
        "    return delta.T @ x, delta.sum(0), dx\n",
        "linear_backward values",
        "dx = delta W^T",
    ),
    "forward with x W": (
        "def linear_forward(x, W, b):\n"
        "    return (x @ W if W.shape[0] == W.shape[1] else x @ W.T) + b\n",
        "linear_forward",
        "z = x W + b",
    ),
    "forward without the bias": (
        "def linear_forward(x, W, b):\n    return x @ W.T\n",
        "linear_forward",
        "b is not added",
    ),
    "delta not divided by N": (
        "_ref = softmax_cross_entropy\n"
        "def softmax_cross_entropy(z, y):\n    loss, delta = _ref(z, y)\n"
        "    return loss, delta * len(z)\n",
        "softmax_cross_entropy",
        "delta is N times too large: the loss is a mean over the batch",
    ),
    "loss summed, not averaged": (
        "_ref = softmax_cross_entropy\n"
        "def softmax_cross_entropy(z, y):\n    loss, delta = _ref(z, y)\n"
        "    return loss * len(z), delta\n",
        "softmax_cross_entropy",
        "loss is N = 6 times the mean",
    ),
    "delta without - onehot": (
        "def softmax_cross_entropy(z, y):\n"
        "    e = np.exp(z - z.max(1, keepdims=True))\n    p = e / e.sum(1, keepdims=True)\n"
        "    return -np.log(p[np.arange(len(y)), y]).mean(), p / len(z)\n",
        "softmax_cross_entropy",
        "delta misses the - onehot(y) term",
    ),
    "unstable softmax": (
        "def softmax_cross_entropy(z, y):\n"
        "    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)\n    N = len(z)\n"
        "    loss = -np.log(p[np.arange(N), y]).mean()\n"
        "    d = p.copy()\n    d[np.arange(N), y] -= 1\n    return loss, d / N\n",
        "softmax_cross_entropy stability",
        "for logits of magnitude 1000 (exp(1000) overflows): subtract each row's max first",
    ),
    # one max for the whole batch: right while every row's max is the batch's (1000)
    "softmax with the batch's max": (
        "def softmax_cross_entropy(z, y):\n"
        "    e = np.exp(z - z.max())\n    p = e / e.sum(1, keepdims=True)\n    N = len(z)\n"
        "    loss = -np.log(p[np.arange(N), y]).mean()\n"
        "    d = p.copy()\n    d[np.arange(N), y] -= 1\n    return loss, d / N\n",
        "softmax_cross_entropy stability",
        "(rows whose maxima differ): the max must be each row's",
    ),
    # the loss right everywhere, delta off only where the logits are large
    "delta wrong for large logits only": (
        "_ref = softmax_cross_entropy\n"
        "def softmax_cross_entropy(z, y):\n    loss, delta = _ref(z, y)\n"
        "    return loss, delta + 0.01 * (np.abs(z) > 100)\n",
        "softmax_cross_entropy stability",
        "delta is wrong for logits of magnitude 1000, right for ordinary ones",
    ),
    "relu in place": (
        "def relu_forward(z):\n    z[z < 0] = 0\n    return z\n",
        "relu_forward",
        "relu_forward changed its input z in place",
    ),
    "backward inconsistent with forward": (
        "def linear_forward(x, W, b):\n    return 2 * (x @ W.T) + b\n",
        "linear_backward finite differences",
        "dW disagrees with finite differences of your linear_forward",
    ),
    "a tuple of two from linear_backward": (
        "def linear_backward(delta, x, W):\n    return delta.T @ x, delta @ W\n",
        "linear_backward shapes",
        "linear_backward must return (dW, db, dx), got a tuple of 2",
    ),
}


TAGS = {
    "course: hidden gradient without the ReLU mask's product": "relu_returns_activation",
    "course: grad_w1 from grad_h_relu": "relu_mask_missing",
    "mask taken from grad_a": "relu_mask_from_grad",
    "transposed dW": "dW_transposed_shape",
    "transposed dW (square W)": "dW_transposed",
    "bias gradient averaged": "db_mean_not_sum",
    "bias gradient with keepdims": "db_keepdims",
    "dx with W transposed": "dx_W_transposed",
    "forward with x W": "z_x_W_not_transposed",
    "forward without the bias": "bias_missing",
    "delta not divided by N": "delta_missing_1_over_n",
    "loss summed, not averaged": "loss_sum_not_mean",
    "delta without - onehot": "delta_missing_onehot",
    "unstable softmax": "softmax_unstable",
    "softmax with the batch's max": "softmax_global_max",
    "delta wrong for large logits only": "softmax_unstable",
    "relu in place": "in_place",
    "backward inconsistent with forward": "fd_mismatch",
    "a tuple of two from linear_backward": None,
}


@pytest.mark.parametrize("case", list(WRONG))
def test_each_mistake_fails_its_check_with_its_message_and_tag(case):
    override, check, message = WRONG[case]
    rep = report("backprop", namespace("backprop_ref", override))
    (got,) = [c for c in rep.checks if c.name == check]
    assert not got.passed and message in got.message, (check, got.message)
    assert got.tag == TAGS[case]
    assert got.tag is None or got.tag in rep_mistakes()


def rep_mistakes():
    from fcnet.learn.exercises import get

    return get("backprop").mistakes


def test_linear_backward_values_gives_partial_credit_per_gradient():
    rep = report("backprop", namespace("backprop_ref", WRONG["bias gradient averaged"][0]))
    (got,) = [c for c in rep.checks if c.name == "linear_backward values"]
    assert got.parts == [("dW", True), ("db", False), ("dx", True)]
    assert got.fraction == pytest.approx(2 / 3)
    assert got.to_json()["tag"] == "db_mean_not_sum"


@pytest.mark.parametrize("case", ["course: grad_w1 from grad_h_relu", "bias gradient averaged"])
def test_a_wrong_gradient_also_fails_the_two_layer_training(case):
    got = results("backprop", namespace("backprop_ref", WRONG[case][0]))
    ok, text = got["two-layer training"]
    assert not ok and "the loss leaves fcnet.nn's at step" in text


def test_a_mistake_leaves_the_other_functions_checks_passing():
    override = WRONG["bias gradient averaged"][0]
    got = results("backprop", namespace("backprop_ref", override))
    for name in ("linear_forward", "relu_forward", "relu_backward", "softmax_cross_entropy"):
        assert got[name][0], got[name]


def test_an_error_in_the_learners_function_names_it_and_their_line():
    got = results(
        "backprop", namespace("backprop_ref", "def relu_forward(z):\n    return z.nope\n")
    )
    ok, text = got["relu_forward"]
    assert not ok
    assert text.startswith("relu_forward raised AttributeError")
    assert text.endswith("(at solution.py line 36 `return z.nope`)")


# a finite but wrong result at magnitude 1000 is blamed on the max only when ordinary
# logits come out right; otherwise it gets the softmax_cross_entropy check's diagnosis
STABILITY = {
    "delta not divided by N": "delta_missing_1_over_n",
    "loss summed, not averaged": "loss_sum_not_mean",
}


@pytest.mark.parametrize("case", list(STABILITY))
def test_the_stability_check_names_a_mistake_that_is_not_the_max(case):
    rep = report("backprop", namespace("backprop_ref", WRONG[case][0]))
    (got,) = [c for c in rep.checks if c.name == "softmax_cross_entropy stability"]
    assert not got.passed and got.tag == STABILITY[case], (got.tag, got.message)
    assert "subtract each row's max" not in got.message


def test_the_stability_check_blames_the_max_when_only_large_logits_go_wrong():
    clipped = (
        "def softmax_cross_entropy(z, y):\n"
        "    e = np.exp(np.clip(z, -50, 50))\n    p = e / e.sum(1, keepdims=True)\n"
        "    N = len(z)\n    loss = -np.log(p[np.arange(N), y]).mean()\n"
        "    d = p.copy()\n    d[np.arange(N), y] -= 1\n    return loss, d / N\n"
    )
    rep = report("backprop", namespace("backprop_ref", clipped))
    (got,) = [c for c in rep.checks if c.name == "softmax_cross_entropy stability"]
    assert not got.passed and got.tag == "softmax_unstable", got.message
    assert "subtract each row's max" in got.message
