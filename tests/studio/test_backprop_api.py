"""The Backprop page's API: the same numbers as `fcnet backprop --json`, training on the
2-D sets, and every hostile request refused with one line while the server keeps serving."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from studio_support import local_client

from fcnet.cli import cli
from fcnet.studio import create_app

STEP = {"sizes": [2, 3, 2], "activation": "tanh", "loss": "cross_entropy", "seed": 4,
        "lr": 0.5, "x": [0.5, -1.0], "y": 1}  # fmt: skip


@pytest.fixture
def client(tmp_path):
    with local_client(create_app(tmp_path)) as c:
        yield c


def cli_json(*args: str) -> dict:
    result = CliRunner().invoke(cli, ["backprop", *args, "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse", "bce_with_logits"])
def test_step_gives_the_numbers_of_fcnet_backprop(client, loss: str) -> None:
    y = {"cross_entropy": 1, "mse": [0.3, -0.2], "bce_with_logits": [1.0, 0.0]}[loss]
    res = client.post("/api/backprop/step", json={**STEP, "loss": loss, "y": y})
    assert res.status_code == 200, res.text
    page = res.json()
    y_arg = "1" if loss == "cross_entropy" else ",".join(map(str, y))
    args = ["--sizes", "2,3,2", "--activation", "tanh", "--loss", loss, "--seed", "4",
            "--lr", "0.5", "--x", "0.5,-1.0", "--y", y_arg]  # fmt: skip
    doc = cli_json(*args)
    for key in ("sizes", "activation", "loss_fn", "x", "loss", "output", "layers"):
        assert page[key] == doc[key], key
    # the update is W - lr dW, and the formulas are the CLI's lines
    for new, layer in zip(page["updated"], page["layers"], strict=True):
        for row_new, row, grad in zip(new["W"], layer["W"], layer["dW"], strict=True):
            assert row_new == pytest.approx([w - 0.5 * g for w, g in zip(row, grad, strict=True)])
    out = CliRunner().invoke(cli, ["backprop", *args]).stdout
    cli_text = " ".join(out.split())
    for line in page["text"]["lines"][2:]:
        assert " ".join(line.split()) in cli_text
    assert page["checks"]["finite_difference"] < 1e-7


def test_step_with_the_page_weights_continues_from_them(client) -> None:
    first = client.post("/api/backprop/step", json=STEP).json()
    second = client.post("/api/backprop/step", json={**STEP, "weights": first["updated"]}).json()
    assert [layer["W"] for layer in second["layers"]] == [w["W"] for w in first["updated"]]
    assert second["loss"] < first["loss"]  # one SGD step on the same sample helps


@pytest.mark.parametrize("dataset", ["moons", "circles", "xor"])
def test_train_lowers_the_loss_and_draws_a_boundary(client, dataset: str) -> None:
    body = {"sizes": [2, 8, 8, 2], "activation": "tanh", "loss": "cross_entropy", "seed": 0,
            "lr": 1.0, "dataset": dataset, "points": 200, "steps": 200}  # fmt: skip
    res = client.post("/api/backprop/train", json=body)
    assert res.status_code == 200, res.text
    out = res.json()
    assert len(out["losses"]) == 200
    assert out["losses"][-1] < 0.3 * out["losses"][0]
    assert out["accuracy"] > 0.95
    b = out["boundary"]
    assert len(b["p"]) == b["n"] ** 2 and all(0 <= p <= 1 for p in b["p"])
    # continuing from the returned weights goes on from where it stopped
    again = client.post("/api/backprop/train", json={**body, "steps": 1, "weights": out["weights"]})
    assert again.json()["losses"][0] == pytest.approx(out["loss"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sizes": [2, 0, 2]}, "sizes: expected widths from 1 to 8, got 0"),
        ({"sizes": [2, 1000000, 2]}, "sizes: expected widths from 1 to 8, got 1000000"),
        ({"sizes": [2, 3, 3, 3, 3, 3, 2]}, "sizes"),
        ({"sizes": "2,3,2"}, "sizes"),
        ({"sizes": ["two", 3, 2]}, "sizes[0]: expected a whole number"),
        ({"x": [float("nan"), 1.0]}, "x"),
        ({"x": ["text", 1.0]}, "x[0]: expected a number"),
        ({"x": [1.0, 2.0, 3.0]}, "x: expected 2 numbers"),
        ({"y": 7}, "y: expected a class index from 0 to 1, got 7"),
        ({"lr": 1e300}, "lr: expected a number from 0 to 100"),
        ({"activation": "softplus"}, "activation: expected one of relu, sigmoid"),
        ({"weights": [{"W": [[1.0]], "b": [0.0]}]}, "weights: the weights make a 1-1 network"),
        ({"evil": 1}, "evil"),
    ],
)
def test_hostile_step_requests_get_one_line(client, change: dict, message: str) -> None:
    body = json.dumps({**STEP, **change}, allow_nan=True)
    res = client.post(
        "/api/backprop/step", content=body, headers={"content-type": "application/json"}
    )
    assert res.status_code in (400, 422), res.text
    error = res.json()["error"]
    assert "\n" not in error and message in error
    assert client.get("/api/health").json()["ok"] is True


def test_train_refuses_sizes_that_do_not_fit_the_data(client) -> None:
    body = {"sizes": [3, 4, 2], "dataset": "moons", "steps": 1}
    res = client.post("/api/backprop/train", json=body)
    assert res.status_code == 400
    assert "needs 2 inputs and 2 output(s), got 3-4-2" in res.json()["error"]
    res = client.post("/api/backprop/train", json={"sizes": [2, 4, 2], "steps": 10**6})
    assert res.status_code == 422 and "steps" in res.json()["error"]
    res = client.post("/api/backprop/train", json={"sizes": [2, 4, 2], "dataset": "spiral"})
    assert res.status_code == 400 and "dataset: expected one of moons" in res.json()["error"]


@pytest.mark.parametrize("loss", ["bce_with_logits", "mse"])
def test_train_with_one_output_unit(client, loss: str) -> None:
    lr = 0.5 if loss == "bce_with_logits" else 0.2  # mse's δ^(L) = 2(ŷ - y) is twice as big
    body = {"sizes": [2, 8, 1], "activation": "tanh", "loss": loss, "lr": lr,
            "dataset": "circles", "steps": 300}  # fmt: skip
    out = client.post("/api/backprop/train", json=body).json()
    assert out["losses"][-1] < 0.5 * out["losses"][0]
    assert out["accuracy"] > 0.9
    assert [len(g["db"]) for g in out["gradients"]] == [8, 1]


def test_step_with_a_sigmoid_output_and_the_quadratic_loss_is_mazurs(client) -> None:
    body = {"sizes": [2, 2, 2], "activation": "sigmoid", "output_activation": "sigmoid",
            "loss": "quadratic", "lr": 0.5, "x": [0.05, 0.10], "y": [0.01, 0.99],
            "weights": [{"W": [[0.15, 0.20], [0.25, 0.30]], "b": [0.35, 0.35]},
                        {"W": [[0.40, 0.45], [0.50, 0.55]], "b": [0.60, 0.60]}]}  # fmt: skip
    res = client.post("/api/backprop/step", json=body)
    assert res.status_code == 200, res.text
    doc = res.json()
    assert doc["output_activation"] == "sigmoid"
    assert doc["loss"] == pytest.approx(0.298371109, abs=1e-9)
    assert doc["layers"][1]["dW"][0][0] == pytest.approx(0.082167041, abs=1e-9)
    assert doc["updated"][1]["W"][0][0] == pytest.approx(0.35891648, abs=1e-8)
    refused = client.post("/api/backprop/step", json={**body, "loss": "cross_entropy", "y": 1})
    assert refused.status_code == 400
    assert "output_activation: sigmoid works with mse or quadratic" in refused.json()["error"]


def test_step_gives_every_formula_in_tex_too(client) -> None:
    doc = client.post("/api/backprop/step", json=STEP).json()
    text = doc["text"]
    assert len(text["tex_inputs"]) == len(text["inputs"])
    assert len(text["tex_output"]) == 3 and text["tex_output"][2].startswith(
        r"L = -\log \hat{y}_{y}"
    )
    for layer in text["layers"]:
        tex = layer["tex"]
        for key in ("forward", "backward", "grads", "update", "units", "edges"):
            assert len(tex[key]) == len(layer[key]), key
        assert tex["forward"][0].startswith(r"z^{(") and r"\begin{bmatrix}" in tex["forward"][0]
        assert tex["units"][0]["delta"].startswith(r"\delta _{0}^{(")
        assert all("^(" not in s and "δ" not in s for s in tex["grads"])
    # ∂L/∂W^(1) = δ^(1) (a^(0))^T: a column times a row, in TeX as in the text
    grads = text["layers"][0]["tex"]["grads"][0]
    assert r"\begin{bmatrix}0.5 & -1\end{bmatrix}" in grads


def test_train_reports_the_dead_units(client) -> None:
    # unit 1 of the hidden layer: z = -x0 - x1 - 10 < 0 on every point of the moons
    weights = [{"W": [[1.0, 0.5], [-1.0, -1.0], [0.3, -0.2]], "b": [0.0, -10.0, 0.1]},
               {"W": [[1.0, -1.0, 0.5], [-1.0, 1.0, 0.2]], "b": [0.0, 0.0]}]  # fmt: skip
    body = {"sizes": [2, 3, 2], "activation": "relu", "loss": "cross_entropy", "lr": 0.5,
            "dataset": "moons", "steps": 5, "weights": weights}  # fmt: skip
    out = client.post("/api/backprop/train", json=body).json()
    assert out["dead"] == [[False, True, False]]
    assert out["gradients"][0]["db"][1] == 0.0 and out["gradients"][0]["dW"][1] == [0.0, 0.0]
    assert out["weights"][0]["b"][1] == -10.0  # no gradient reaches it: it stays dead
    tanh = client.post("/api/backprop/train", json={**body, "activation": "tanh"}).json()
    assert tanh["dead"] == [[False, False, False]]  # tanh' never vanishes exactly
