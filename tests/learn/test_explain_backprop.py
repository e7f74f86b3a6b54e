"""`explain_backprop`: the learner's backprop chain beside fcnet's names the first quantity
that departs and the function to blame; a broken file is messages, never a crash or a hang."""

from __future__ import annotations

import json

import numpy as np
import pytest
from learnkit import namespace

from fcnet.learn.explain import QUANTITIES, explain_backprop, network

KEYS = [q.key for q in QUANTITIES]


def explain(tmp_path, source: str, **kw) -> dict:
    path = tmp_path / "backprop.py"
    path.write_text(source)
    doc = explain_backprop(path, **kw)
    json.dumps(doc, allow_nan=False)  # JSON as the studio sends it
    return doc


def by_key(doc: dict) -> dict[str, dict]:
    return {q["key"]: q for q in doc["quantities"]}


def test_the_network_is_exact_and_puts_a_hidden_unit_at_zero():
    for seed in range(20):
        net = network(seed)
        for key in ("x", "W1", "b1", "W2", "b2"):
            assert np.array_equal(net[key] * 32, np.round(net[key] * 32)), key  # exact sums
        z1 = net["x"] @ net["W1"].T + net["b1"]
        assert z1[0, 1] == 0.0  # where 1[z > 0] and 1[z >= 0] disagree
        assert (z1[1] != 0).all()  # the sample the page draws: no kink
        assert (net["W2"] != 0).all()
    assert not np.array_equal(network(0)["W1"], network(1)["W1"])


@pytest.mark.parametrize("solution", ["backprop_ref", "backprop_loops"])
def test_a_correct_file_matches_everywhere(tmp_path, solution):
    doc = explain(tmp_path, namespace(solution))
    assert [q["key"] for q in doc["quantities"]] == KEYS
    assert doc["first"] is None and doc["error"] == ""
    assert "every quantity" in doc["summary"]
    for q in doc["quantities"]:
        assert q["status"] == "same" and q["count"] == 0, q
        assert np.allclose(q["yours"], q["fcnet"], rtol=1e-7, atol=1e-9)
        assert q["tex"] and q["formula"] and q["function"] in q["call"]


def test_fcnets_numbers_follow_the_exercises_convention(tmp_path):
    """δ carries the mean's 1/N; dW = δ^T a, db = Σ δ, dx = δ W (the exercise's formulas)."""
    q = {
        k: np.asarray(v["fcnet"])
        for k, v in by_key(explain(tmp_path, namespace("backprop_ref"))).items()
    }
    net = network(0)
    z2 = np.maximum(net["x"] @ net["W1"].T + net["b1"], 0) @ net["W2"].T + net["b2"]
    p = np.exp(z2 - z2.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta2 = (p - np.eye(3)[net["y"]]) / 2
    assert np.allclose(q["delta2"], delta2)
    assert np.allclose(q["dx2"], delta2 @ net["W2"])
    assert np.allclose(q["dW2"], delta2.T @ q["a1"]) and np.allclose(q["db2"], delta2.sum(0))
    assert q["delta1"][0, 1] == 0.0  # z = 0: relu's derivative is 0 there


def test_the_formulas_shown_are_in_the_skeletons_row_form():
    """A batch is rows, as in the learner's functions: z = x W^T + b, dW = δ^T x, dx = δ W."""
    formula = {q.key: q.formula for q in QUANTITIES}
    assert formula["z1"] == "z^(1) = x (W^(1))^T + b^(1)"
    assert formula["z2"] == "z^(2) = a^(1) (W^(2))^T + b^(2)"
    assert formula["dW2"] == "∂L/∂W^(2) = (δ^(2))^T a^(1)"
    assert formula["dx2"] == "∂L/∂a^(1) = δ^(2) W^(2)"
    assert formula["delta1"].startswith("δ^(1) = f'(z^(1)) ⊙ (δ^(2) W^(2))")
    assert formula["dW1"] == "∂L/∂W^(1) = (δ^(1))^T x"


WRONG = {
    "db a mean instead of a sum": (
        "def linear_backward(delta, x, W):\n"
        "    return delta.T @ x, delta.mean(axis=0), delta @ W\n",
        "db2",
        "linear_backward",
        {"dW2": "same", "dx2": "same", "db1": "differs"},
    ),
    "relu mask taken with >=": (
        "def relu_backward(grad_a, z):\n    return grad_a * (z >= 0)\n",
        "delta1",
        "relu_backward",
        {"dW1": "differs", "db1": "differs", "dW2": "same"},
    ),
    "delta without 1/N": (
        "def softmax_cross_entropy(z, y):\n"
        "    p = np.exp(z - z.max(axis=1, keepdims=True))\n"
        "    p /= p.sum(axis=1, keepdims=True)\n"
        "    loss = -np.log(p[np.arange(len(y)), y]).mean()\n"
        "    p[np.arange(len(y)), y] -= 1\n"
        "    return loss, p\n",
        "delta2",
        "softmax_cross_entropy",
        {"loss": "same", "dW2": "differs", "delta1": "differs"},
    ),
    "relu forward keeps negatives": (
        "def relu_forward(z):\n    return np.abs(z)\n",
        "a1",
        "relu_forward",
        {"z1": "same", "z2": "differs"},
    ),
}


@pytest.mark.parametrize("case", WRONG, ids=list(WRONG))
def test_a_wrong_function_is_named_at_its_first_departure(tmp_path, case):
    override, first, function, statuses = WRONG[case]
    doc = explain(tmp_path, namespace("backprop_ref", override))
    q = by_key(doc)
    assert doc["first"]["key"] == first and doc["first"]["function"] == function
    assert doc["first"]["verdict"] == "wrong"
    assert q[first]["symbol"] in doc["summary"] and function in doc["summary"]
    assert "wrong given right inputs" in doc["summary"]
    for k in KEYS[: KEYS.index(first)]:
        assert q[k]["status"] == "same", k
    assert q[first]["count"] == sum(map(sum, np.atleast_2d(q[first]["differs"])))
    assert q[first]["count"] > 0
    for key, status in statuses.items():
        assert q[key]["status"] == status, key


def test_a_later_quantity_only_inherits_the_difference(tmp_path):
    """δ^(1) wrong by the mask: linear_backward of layer 1 is right given fcnet's inputs."""
    doc = explain(tmp_path, namespace("backprop_ref", WRONG["relu mask taken with >="][0]))
    q = by_key(doc)
    assert q["delta1"]["verdict"] == "wrong"
    assert q["dW1"]["verdict"] == "inherits" and q["db1"]["verdict"] == "inherits"
    assert q["delta1"]["differs"][0][1] and sum(map(sum, q["delta1"]["differs"])) == 1


def test_a_wrong_shape_is_a_message_on_its_quantity(tmp_path):
    """dx = delta W^T: with a non-square W the product itself fails in the learner's code."""
    override = (
        "def linear_backward(delta, x, W):\n    return delta.T @ x, delta.sum(0), delta @ W.T\n"
    )
    doc = explain(tmp_path, namespace("backprop_ref", override))
    q = by_key(doc)
    assert doc["first"]["key"] == "dW2" and doc["first"]["verdict"] == "error"
    assert doc["first"]["function"] == "linear_backward"
    assert "raised ValueError" in q["dW2"]["message"] and "delta @ W.T" in q["dW2"]["message"]
    assert q["loss"]["status"] == "same"
    for k in ("delta1", "dW1", "db1"):
        assert q[k]["status"] == "not_computed" and q[k]["yours"] is None


def test_a_returned_shape_that_is_wrong_is_named(tmp_path):
    override = (
        "def linear_backward(delta, x, W):\n    return x.T @ delta, delta.sum(0), delta @ W\n"
    )
    q = by_key(explain(tmp_path, namespace("backprop_ref", override)))
    assert (
        q["dW2"]["status"] == "error"
        and "dW has shape (4, 3), expected (3, 4)" in q["dW2"]["message"]
    )


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("def relu_forward(z):\n    raise NotImplementedError\n", "not implemented yet"),
        ("def relu_forward(z):\n    return z / 0.0\n", "not finite"),
        ("def relu_forward(z):\n    while True:\n        pass\n", "did not return within"),
        ("def relu_forward(z):\n    import os\n    os._exit(3)\n", "died"),
        ("def relu_forward(z):\n    return 'relu'\n", "expected a numpy array"),
    ],
    ids=["not implemented", "non-finite", "never returns", "child dies", "not an array"],
)
def test_a_broken_function_is_a_message_and_the_rest_is_not_computed(
    tmp_path, monkeypatch, override, words
):
    monkeypatch.setenv("FCNET_LEARN_TIME_SCALE", "0.1")  # 1 s a call
    doc = explain(tmp_path, namespace("backprop_ref", override))
    q = by_key(doc)
    assert q["z1"]["status"] == "same"
    assert q["a1"]["status"] == "error" and words in q["a1"]["message"]
    assert doc["first"]["key"] == "a1" and words in doc["summary"]
    assert all(q[k]["status"] == "not_computed" for k in KEYS[2:])


def test_a_file_that_does_not_load_says_so(tmp_path):
    doc = explain(tmp_path, "def linear_forward(x, W, b)\n    return x\n")
    assert doc["status"] == "load_error" and "syntax error" in doc["error"]
    assert doc["summary"].startswith("your file could not be run")
    assert all(q["status"] == "not_computed" for q in doc["quantities"])


def test_a_missing_function_is_named(tmp_path):
    source = namespace("backprop_ref").replace("def relu_backward", "def relu_backward_")
    q = by_key(explain(tmp_path, source))
    assert q["delta1"]["status"] == "error" and "relu_backward is missing" in q["delta1"]["message"]
    assert q["dx2"]["status"] == "same"


def test_the_explanation_speaks_chinese(tmp_path):
    doc = explain(
        tmp_path, namespace("backprop_ref", WRONG["relu mask taken with >="][0]), lang="zh"
    )
    assert "你的 δ^(1) 从这里开始偏离" in doc["summary"] and "relu_backward" in doc["summary"]
