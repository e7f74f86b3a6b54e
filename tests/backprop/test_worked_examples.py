"""The classic worked examples, reproduced to the printed digit by `fcnet backprop`:
Matt Mazur's 2-2-2 sigmoid network ("A Step by Step Backpropagation Example") and
Nielsen's chapter 2 equations (BP1-BP4) with the quadratic cost, against his network.py."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from click.testing import CliRunner

from fcnet.cli import cli

# Mazur: i1, i2 = 0.05, 0.10; h1 = w1 i1 + w2 i2 + b1, h2 = w3 i1 + w4 i2 + b1;
# o1 = w5 out_h1 + w6 out_h2 + b2, o2 = w7 out_h1 + w8 out_h2 + b2; sigmoid everywhere;
# E_total = Σ ½ (target - out)^2 with targets 0.01, 0.99; learning rate 0.5.
MAZUR = {
    "layers": [
        {"W": [[0.15, 0.20], [0.25, 0.30]], "b": [0.35, 0.35]},
        {"W": [[0.40, 0.45], [0.50, 0.55]], "b": [0.60, 0.60]},
    ]
}
MAZUR_ARGS = ["--activation", "sigmoid", "--output-activation", "sigmoid", "--loss", "quadratic",
              "--x", "0.05,0.10", "--y", "0.01,0.99", "--lr", "0.5"]  # fmt: skip


def backprop(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["backprop", *args])
    return result.exit_code, result.stdout


def test_mazur_step_by_step_example(tmp_path) -> None:
    path = tmp_path / "mazur.json"
    path.write_text(json.dumps(MAZUR))
    code, out = backprop("--weights", str(path), *MAZUR_ARGS, "--json")
    assert code == 0, out
    doc = json.loads(out)
    h, o = doc["layers"]
    assert h["a"] == pytest.approx([0.593269992, 0.596884378], abs=1e-9)  # out_h1, out_h2
    assert doc["output"] == pytest.approx([0.75136507, 0.772928465], abs=1e-8)  # out_o1, out_o2
    assert doc["loss"] == pytest.approx(0.298371109, abs=1e-9)  # E_total
    assert o["dW"][0][0] == pytest.approx(0.082167041, abs=1e-9)  # ∂E/∂w5
    assert h["dW"][0][0] == pytest.approx(0.000438568, abs=1e-9)  # ∂E/∂w1
    assert o["delta"][0] == pytest.approx(0.138498562, abs=1e-9)  # δ_o1
    assert doc["checks"]["passed"] is True
    # the text shows the same numbers and the updated weights w5+ = 0.35891648, w1+ = 0.149780716
    code, out = backprop("--weights", str(path), *MAZUR_ARGS)
    assert code == 0
    assert "sigmoid output, loss quadratic" in out
    assert "L = ½ Σ_k (ŷ_k - y_k)^2 = " in out and out.count("= 0.2984") == 1
    assert "δ^(2) = (ŷ - y) ⊙ σ'(z^(2))" in out
    update = out[out.index("Update:") :]
    assert "0.3589" in update and "0.1498" in update


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _nielsen_backprop(weights, biases, x, y):
    """Nielsen's network.py `backprop`, column vectors, verbatim in substance:
    delta = cost_derivative(a, y) * sigmoid_prime(z), cost_derivative = a - y (BP1);
    delta = dot(w^T, delta) * sigmoid_prime(z) (BP2); nabla_b = delta (BP3);
    nabla_w = dot(delta, activation^T) (BP4)."""
    activation, activations, zs = x, [x], []
    for b, w in zip(biases, weights, strict=True):
        z = np.dot(w, activation) + b
        zs.append(z)
        activation = _sigmoid(z)
        activations.append(activation)
    nabla_b, nabla_w = [None] * len(biases), [None] * len(weights)
    delta = (activations[-1] - y) * _sigmoid(zs[-1]) * (1 - _sigmoid(zs[-1]))
    nabla_b[-1], nabla_w[-1] = delta, np.dot(delta, activations[-2].T)
    for l in range(2, len(weights) + 1):
        sp = _sigmoid(zs[-l]) * (1 - _sigmoid(zs[-l]))
        delta = np.dot(weights[-l + 1].T, delta) * sp
        nabla_b[-l], nabla_w[-l] = delta, np.dot(delta, activations[-l - 1].T)
    return activations[-1], nabla_b, nabla_w


@pytest.mark.parametrize("sizes", ["3,4,2", "2,5,4,3"])
def test_nielsen_bp1_to_bp4_with_the_quadratic_cost(tmp_path, sizes: str) -> None:
    widths = [int(n) for n in sizes.split(",")]
    rng = np.random.default_rng(7)
    weights = [rng.standard_normal((o, i)) for i, o in itertools.pairwise(widths)]
    biases = [rng.standard_normal((o, 1)) for o in widths[1:]]
    x, y = rng.uniform(0, 1, (widths[0], 1)), rng.uniform(0, 1, (widths[-1], 1))
    path = tmp_path / "w.json"
    path.write_text(
        json.dumps(
            {
                "layers": [
                    {"W": w.tolist(), "b": b[:, 0].tolist()}
                    for w, b in zip(weights, biases, strict=True)
                ]
            }
        )
    )
    code, out = backprop(
        "--weights", str(path), "--activation", "sigmoid", "--output-activation", "sigmoid",
        "--loss", "quadratic", "--x", ",".join(repr(float(v)) for v in x[:, 0]),
        "--y", ",".join(repr(float(v)) for v in y[:, 0]), "--json",
    )  # fmt: skip
    assert code == 0, out
    doc = json.loads(out)
    a_L, nabla_b, nabla_w = _nielsen_backprop(weights, biases, x, y)
    np.testing.assert_allclose(doc["output"], a_L[:, 0], rtol=1e-13)
    assert doc["loss"] == pytest.approx(
        0.5 * float(((a_L - y) ** 2).sum()), rel=1e-13
    )  # C = ½‖y - a‖²
    for layer, nb, nw in zip(doc["layers"], nabla_b, nabla_w, strict=True):
        np.testing.assert_allclose(layer["delta"], nb[:, 0], rtol=1e-12, atol=1e-16)
        np.testing.assert_allclose(layer["db"], nb[:, 0], rtol=1e-12, atol=1e-16)
        np.testing.assert_allclose(layer["dW"], nw, rtol=1e-12, atol=1e-16)
    assert doc["checks"]["passed"] is True


def test_mse_and_quadratic_differ_by_the_half(tmp_path) -> None:
    path = tmp_path / "mazur.json"
    path.write_text(json.dumps(MAZUR))
    base = ["--weights", str(path), *MAZUR_ARGS, "--json"]
    quad = json.loads(backprop(*base)[1])
    mse = json.loads(backprop(*[a if a != "quadratic" else "mse" for a in base])[1])
    assert mse["loss"] == pytest.approx(2 * quad["loss"], rel=1e-15)
    for lm, lq in zip(mse["layers"], quad["layers"], strict=True):
        np.testing.assert_allclose(lm["dW"], 2 * np.array(lq["dW"]), rtol=1e-14)
