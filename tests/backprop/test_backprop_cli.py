"""`fcnet backprop`: the JSON obeys the course's recursion (checked from the JSON alone),
the text substitutes the numbers, --weights poses a hand-computed example, bad input is
one line and exit 2."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from fcnet.cli import cli
from fcnet.explain.trace import ACTIVATIONS, LOSSES

TARGETS = {
    "cross_entropy": "1",
    "mse": "0.2,-0.7",
    "bce_with_logits": "1,0",
    "quadratic": "0.2,-0.7",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["backprop", *args])
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> dict:
    code, out, err = run(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def _f(activation: str, z: np.ndarray) -> np.ndarray:
    return {
        "relu": lambda: np.maximum(z, 0),
        "sigmoid": lambda: 1 / (1 + np.exp(-z)),
        "tanh": lambda: np.tanh(z),
        "leaky_relu": lambda: np.where(z > 0, z, 0.01 * z),
    }[activation]()


def _fprime(activation: str, z: np.ndarray) -> np.ndarray:
    s = 1 / (1 + np.exp(-z))
    return {
        "relu": (z > 0).astype(float),
        "sigmoid": s * (1 - s),
        "tanh": 1 - np.tanh(z) ** 2,
        "leaky_relu": np.where(z > 0, 1.0, 0.01),
    }[activation]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", LOSSES)
def test_json_obeys_the_recursion(activation: str, loss: str) -> None:
    doc = run_json(
        "--sizes", "2,4,3,2", "--activation", activation, "--loss", loss,
        "--x", "0.5,-1.0", "--y", TARGETS[loss], "--seed", "3",
    )  # fmt: skip
    assert set(doc) == {
        "sizes", "activation", "output_activation", "loss_fn", "x", "y", "loss", "output",
        "layers", "checks"
    }  # fmt: skip
    assert doc["output_activation"] == "linear"
    assert doc["sizes"] == [2, 4, 3, 2] and doc["activation"] == activation
    assert doc["loss_fn"] == loss
    layers = doc["layers"]
    assert [layer["l"] for layer in layers] == [1, 2, 3]
    for layer in layers:
        assert set(layer) == {"l", "W", "b", "z", "a", "delta", "dW", "db"}
    # forward: z = W a + b, a = f(z) (hidden), a = z (output)
    a = np.array(doc["x"])
    for i, layer in enumerate(layers):
        W, b, z = np.array(layer["W"]), np.array(layer["b"]), np.array(layer["z"])
        assert W.shape == (doc["sizes"][i + 1], doc["sizes"][i])  # (out, in)
        np.testing.assert_allclose(z, W @ a + b, rtol=1e-12, atol=1e-14)
        expect_a = _f(activation, z) if i < len(layers) - 1 else z
        np.testing.assert_allclose(layer["a"], expect_a, rtol=1e-12, atol=1e-14)
        a = np.array(layer["a"])
    # the output, the loss and delta^(L)
    zL, y = np.array(layers[-1]["z"]), doc["y"]
    if loss == "cross_entropy":
        p = np.exp(zL - zL.max()) / np.exp(zL - zL.max()).sum()
        expect_loss, expect_delta = -math.log(p[y]), p - np.eye(len(p))[y]
    elif loss == "mse":
        p = zL
        expect_loss, expect_delta = float(((p - y) ** 2).sum()), 2 * (p - np.array(y))
    elif loss == "quadratic":
        p = zL
        expect_loss, expect_delta = float(((p - y) ** 2).sum()) / 2, p - np.array(y)
    else:
        p, t = 1 / (1 + np.exp(-zL)), np.array(y)
        expect_loss = float(-(t * np.log(p) + (1 - t) * np.log(1 - p)).sum())
        expect_delta = p - t
    np.testing.assert_allclose(doc["output"], p, rtol=1e-12)
    assert doc["loss"] == pytest.approx(expect_loss, rel=1e-12)
    np.testing.assert_allclose(layers[-1]["delta"], expect_delta, rtol=1e-12, atol=1e-15)
    # delta^(l) = f'(z^(l)) ⊙ (W^(l+1))^T delta^(l+1); dW = delta a^T; db = delta
    for i in range(len(layers) - 2, -1, -1):
        W_next, d_next = np.array(layers[i + 1]["W"]), np.array(layers[i + 1]["delta"])
        expect = _fprime(activation, np.array(layers[i]["z"])) * (W_next.T @ d_next)
        np.testing.assert_allclose(layers[i]["delta"], expect, rtol=1e-12, atol=1e-15)
    a_prev = [doc["x"]] + [layer["a"] for layer in layers[:-1]]
    for layer, ap in zip(layers, a_prev, strict=True):
        np.testing.assert_allclose(
            layer["dW"], np.outer(layer["delta"], ap), rtol=1e-12, atol=1e-15
        )
        assert layer["db"] == layer["delta"]
    # the closing checks: central differences and PyTorch agree
    assert 0 <= doc["checks"]["finite_difference"] < 1e-7
    assert 0 <= doc["checks"]["torch"] < 1e-12
    assert doc["checks"]["passed"] is True


def _g4(v: float) -> str:
    return "0" if f"{v:.4g}" in ("0", "-0") else f"{v:.4g}"


def test_text_substitutes_the_numbers_in_the_course_notation() -> None:
    code, out, _ = run("--sizes", "2,3,2", "--x", "0.5,-1.0", "--y", "1", "--seed", "0")
    assert code == 0
    doc = run_json("--sizes", "2,3,2", "--x", "0.5,-1.0", "--y", "1", "--seed", "0")
    text = " ".join(out.split())  # the wrapped lines joined
    for expected in (
        "a^(0) = x = ⎡0.5⎤",
        "z^(1) = W^(1) a^(0) + b^(1)",
        "a^(1) = relu(z^(1))",
        "δ^(2) = ŷ - onehot(y)",
        "δ^(1) = f'(z^(1)) ⊙ (W^(2))^T δ^(2)",
        "∂L/∂W^(1) = δ^(1) (a^(0))^T",
        "∂L/∂b^(2) = δ^(2)",
        "Update: W ← W - lr ∂L/∂W",
    ):
        assert expected in text, expected
    # the numbers themselves, to 4 significant digits
    assert f"L = -log ŷ_y = -log({doc['output'][1]:.4g}) = {doc['loss']:.4g}" in text
    # vectors are columns: δ^(1)'s entries stand one per line, at the right-hand end of the
    # δ^(1) block, and a^T is a row with no "^T" after it
    lines = out.splitlines()
    start = next(i for i, s in enumerate(lines) if "⊙" in s and "δ^(1) =" in s) - 1
    column = [s.rstrip().rsplit(" ", 1)[-1].strip("⎡⎢⎣⎤⎥⎦") for s in lines[start : start + 3]]
    assert column == [_g4(v) for v in doc["layers"][0]["delta"]]
    assert "]^T" not in out
    a0 = "[" + "  ".join(_g4(v) for v in doc["x"]) + "]"
    assert f"⎥ {a0} = ⎢" in out  # ∂L/∂W^(1) = δ^(1) (a^(0))^T: a column times a row
    # order: forward, backward, gradients, update, check
    marks = ["Forward pass", "Backward pass", "Gradients", "Update", "Check"]
    assert [text.index(m) for m in marks] == sorted(text.index(m) for m in marks)
    last = out.strip().splitlines()[-1]
    assert "central differences" in last and "PyTorch autograd" in last
    assert last.count("✓") == 2
    assert max(len(line) for line in out.splitlines()) <= 120


def test_json_writes_zero_not_minus_zero() -> None:
    # relu's dead unit: δ = 0 * (negative) = -0.0 in float64; JSON says 0.0
    code, out, _ = run("--sizes", "2,3,2", "--seed", "0", "--json")
    assert code == 0 and "-0.0," not in out and "-0.0]" not in out
    doc = json.loads(out)
    assert 0.0 in doc["layers"][0]["delta"]


def test_weights_file_poses_a_hand_computed_example(tmp_path) -> None:
    # 1-1-1, relu, mse: z1 = 2*3 + 1 = 7, a1 = 7; z2 = 0.5*7 - 1 = 2.5; L = (2.5 - 1)^2 = 2.25
    # delta2 = 2(2.5 - 1) = 3; delta1 = 1 * 0.5 * 3 = 1.5; dW2 = 3*7 = 21; dW1 = 1.5*3 = 4.5
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"layers": [{"W": [[2]], "b": [1]}, {"W": [[0.5]], "b": [-1]}]}))
    doc = run_json("--weights", str(path), "--loss", "mse", "--x", "3", "--y", "1")
    assert doc["sizes"] == [1, 1, 1]
    assert doc["loss"] == 2.25
    assert [layer["delta"] for layer in doc["layers"]] == [[1.5], [3.0]]
    assert [layer["dW"] for layer in doc["layers"]] == [[[4.5]], [[21.0]]]
    code, out, _ = run("--weights", str(path), "--loss", "mse", "--x", "3", "--y", "1")
    assert code == 0
    assert "W^(2) = [0.5] - 0.1 [21] = [-1.6]" in out  # 0.5 - 0.1 * 21
    # the JSON output is itself a weights file: the same step again
    again = tmp_path / "again.json"
    again.write_text(json.dumps(doc))
    assert run_json("--weights", str(again), "--loss", "mse", "--x", "3", "--y", "1") == doc


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"layers": []}', "non-empty list of layers"),
        ('{"W": [[1]]}', "expected a 'layers' list"),
        ('{"layers": [{"W": [[1, 2]], "b": [0]}]}', "the weights make a 2-1 network"),
        ('{"layers": [{"W": [[1, 2]], "b": [0, 0]}]}', "b: expected 1 numbers"),
        ('{"layers": [{"W": [["a", 2]], "b": [0]}]}', "W: expected a matrix"),
        ('{"layers": [{"W": [[1, 2], [3]], "b": [0, 0]}]}', "W: expected a matrix"),
        ('{"layers": [{"W": [[1e999, 2]], "b": [0]}]}', "NaN or inf"),
        ('{"layers": [{"W": [[1, true]], "b": [0]}]}', "W: expected a matrix"),
        ('{"layers": [{"W": [[1, 2]], "b": ["0"]}]}', "b: expected 1 numbers"),
        ("[" * 100_000 + "]" * 100_000, "nested more than 64 levels deep"),
        ('{"layers": [{"W": [[[[1]]]], "b": [0]}]}', "W: expected a matrix"),
        (
            '{"layers": [{"W": [[1, 2], [3, 4]], "b": [0, 0]}, {"W": [[1, 2, 3]], "b": [0]}]}',
            "W has 3 columns, expected 2",
        ),
    ],
)
def test_bad_weights_file_is_one_line_exit_2(tmp_path, content: str, message: str) -> None:
    path = tmp_path / "w.json"
    path.write_text(content)
    sizes = ["--sizes", "2,2,1"] if "2-1 network" in message else []
    code, out, err = run("--weights", str(path), "--loss", "mse", "--y", "0", *sizes)
    assert code == 2, out
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"fcnet: error: --weights {path}")
    assert message in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sizes", "2,0,2"], "widths from 1 to 64, got 0"),
        (["--sizes", "2,1000000,2"], "widths from 1 to 64, got 1000000"),
        (["--sizes", "2,x,2"], "--sizes: expected comma-separated widths"),
        (["--sizes", "2"], "expected 2 to 9 layer widths"),
        (["--sizes", "2,3,1"], "cross_entropy needs an output of at least 2"),
        (["--x", "nan,1"], "--x: expected finite numbers"),
        (["--x", "1,2,3"], "x: expected 2 numbers"),
        (["--x", "a,b"], "--x: expected comma-separated numbers"),
        (["--y", "2"], "--y: expected a class index from 0 to 1, got 2"),
        (["--y", "one"], "--y: expected a class index"),
        (["--loss", "mse", "--y", "1"], "--y: expected 2 number(s) per sample"),
        (["--loss", "bce_with_logits", "--y", "2,0"], "targets in [0, 1]"),
        (["--lr", "nan"], "--lr: expected a number from 0 to 100"),
        (["--weights", "/nonexistent/w.json"], "no such file"),
        (["--weights", "/dev/null"], "expected a regular"),
        (["--output-activation", "sigmoid"], "--output-activation: sigmoid works with mse or"),
        (["--output-activation", "tanh"], "'tanh' is not one of"),
        (["--activation", "softplus"], "'softplus' is not one of"),
    ],
)
def test_bad_option_is_one_line_exit_2(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert code == 2, out
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("fcnet: error: ")
    assert message in err


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(
    ("loss", "delta_L"),
    [
        ("cross_entropy", "δ^(3) = ŷ - onehot(y)"),
        ("mse", "δ^(3) = 2(ŷ - y)"),
        ("bce_with_logits", "δ^(3) = σ(z^(3)) - y"),
        ("quadratic", "δ^(3) = (ŷ - y)"),
    ],
)
def test_text_for_every_activation_and_loss(activation: str, loss: str, delta_L: str) -> None:
    code, out, err = run(
        "--sizes", "2,3,3,2", "--activation", activation, "--loss", loss, "--y", TARGETS[loss]
    )
    assert code == 0, err
    text = " ".join(out.split())
    f = "σ" if activation == "sigmoid" else activation
    assert f"a^(1) = {f}(z^(1))" in text and f"a^(2) = {f}(z^(2))" in text
    assert delta_L in text
    assert "δ^(2) = f'(z^(2)) ⊙ (W^(3))^T δ^(3)" in text
    assert "δ^(1) = f'(z^(1)) ⊙ (W^(2))^T δ^(2)" in text
    assert out.strip().splitlines()[-1].count("✓") == 2


def test_the_numbers_are_the_engines_and_the_checks_catch_a_wrong_derivative(monkeypatch):
    from fcnet import nn

    monkeypatch.setattr(nn.Tanh, "backward", lambda self, g: g * (1 - self.a))  # wrong f'
    code, out, _ = run("--activation", "tanh", "--sizes", "2,3,2", "--json")
    assert code == 1  # a failed check is exit status 1, as in `fcnet gradcheck`
    doc = json.loads(out)
    assert doc["checks"]["finite_difference"] > 1e-3
    assert doc["checks"]["torch"] > 1e-3
    assert doc["checks"]["passed"] is False
    code, out, _ = run("--activation", "tanh", "--sizes", "2,3,2")
    assert code == 1 and out.strip().splitlines()[-1].count("✗") == 2


def test_a_user_error_is_one_line_from_the_real_command(tmp_path) -> None:
    bad = tmp_path / "w.json"
    bad.write_bytes(b"\xff\xfe not json")
    proc = subprocess.run(
        [sys.executable, "-m", "fcnet", "backprop", "--weights", str(bad)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"fcnet: error: --weights {bad}: not UTF-8 text (byte 0xff at offset 0); save it as UTF-8"
    ]
    assert proc.stdout == ""


def test_the_refused_output_activation_is_all_chinese_in_chinese() -> None:
    result = CliRunner().invoke(cli, ["--lang", "zh", "backprop", "--output-activation", "sigmoid"])
    code, err = result.exit_code, result.stderr
    assert code == 2 and "mse 或 quadratic" in err and " or " not in err, err
