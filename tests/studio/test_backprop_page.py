"""The Backprop page in Chromium: the δ and gradients it shows are `fcnet backprop --json`'s,
Step/Train/Pause work, hostile input gets a message and the server keeps serving."""

from __future__ import annotations

import json

import httpx
import pytest
from click.testing import CliRunner

from fcnet.cli import cli

ARGS = ["--sizes", "2,3,2", "--activation", "tanh", "--loss", "cross_entropy",
        "--seed", "4", "--lr", "0.5", "--x", "0.5,-1.0", "--y", "1"]  # fmt: skip


def g4(v: float) -> str:
    return "0" if f"{v:.4g}" in ("0", "-0") else f"{v:.4g}"


def open_page(page, live_server, **fields: str) -> None:
    page.goto(live_server.url + "/backprop")
    assert page.title() == "Backprop · fcnet studio"
    page.wait_for_function("window.bpState.status === 'idle'")
    page.evaluate("window.bpState.delay = 20")
    for name, value in fields.items():
        if name in ("activation", "loss", "dataset"):
            page.select_option(f"#{name}", value)
        else:
            page.fill(f"#{name}", value)
    if fields:
        page.evaluate("window.bpState.status = 'changing'")
        page.dispatch_event("#sizes", "change")
        page.wait_for_function(
            "window.bpState.status === 'idle' || window.bpState.status === 'error'"
        )


def node(page, l: int, j: int, key: str) -> float:
    return float(page.get_attribute(f"#net .node[data-l='{l}'][data-j='{j}']", f"data-{key}"))


def test_page_shows_the_deltas_and_gradients_of_fcnet_backprop(page, live_server, artifacts):
    doc = json.loads(CliRunner().invoke(cli, ["backprop", *ARGS, "--json"]).stdout)
    cli_text = " ".join(CliRunner().invoke(cli, ["backprop", *ARGS]).stdout.split())
    open_page(page, live_server, sizes="2,3,2", activation="tanh", loss="cross_entropy",
              seed="4", lr="0.5", x="0.5,-1.0", y="1")  # fmt: skip
    page.click("#forward")
    page.wait_for_function("window.bpState.status === 'forward'")
    assert page.locator("#net .node text.delta").count() == 0  # no δ on the way forward
    page.click("#backward")
    page.wait_for_function("window.bpState.status === 'backward'")
    for l, layer in enumerate(doc["layers"], start=1):
        for j, delta in enumerate(layer["delta"]):
            assert node(page, l, j, "delta") == delta  # the same float64, digit for digit
            assert node(page, l, j, "z") == layer["z"][j]
            shown = page.text_content(f"#net .node[data-l='{l}'][data-j='{j}'] text.delta")
            assert shown == f"δ {g4(delta)}"
            for i, grad in enumerate(layer["dW"][j]):
                edge = f"#net line.edge[data-l='{l}'][data-j='{j}'][data-i='{i}']"
                assert float(page.get_attribute(edge, "data-grad")) == grad
                assert page.get_attribute(edge, "data-shows") == "grad"
    # the edges' colour and width follow the gradient on the way back
    colours = page.eval_on_selector_all(
        "#net line.edge", "es => es.map(e => [e.getAttribute('stroke'), +e.dataset.grad])"
    )
    assert all((c == "#2f6fde") == (g >= 0) for c, g in colours)
    # hovering a hidden unit: its formula and the CLI's lines, numbers substituted
    page.hover("#net .node[data-l='1'][data-j='0'] circle")
    formula = page.text_content("#formula")
    assert formula.startswith("z_0^(1) = Σ_i W_0i^(1) a_i^(0) + b_0^(1) = ")
    assert "δ_0^(1) = f'(z_0^(1)) Σ_k W_k0^(2) δ_k^(2) = " in formula
    delta_line = next(s for s in formula.splitlines() if s.startswith("δ^(1) = "))
    assert " ".join(delta_line.split()) in cli_text
    # hovering an edge: dL/dW_ji = δ_j a_i with its numbers
    page.hover("#net line.edge-hit[data-l='2'][data-j='1'][data-i='0']", force=True)
    edge_text = page.text_content("#formula")
    dW = doc["layers"][1]["dW"][1][0]
    assert "∂L/∂W_10^(2) = δ_1^(2) a_0^(1) = " in edge_text
    assert f"= {g4(dW)}" in edge_text.splitlines()[1]
    page.screenshot(path=artifacts / "studio-backprop-step.png")
    assert page.js_errors == []


def test_step_and_update_move_the_weights_by_lr_times_the_gradient(page, live_server):
    doc = json.loads(CliRunner().invoke(cli, ["backprop", *ARGS, "--json"]).stdout)
    open_page(page, live_server, sizes="2,3,2", activation="tanh", loss="cross_entropy",
              seed="4", lr="0.5", x="0.5,-1.0", y="1")  # fmt: skip
    page.click("#step")
    page.wait_for_function("window.bpState.status === 'updated'")
    state = page.evaluate("window.bpState")
    assert state["steps"] == 1
    for new, layer in zip(state["weights"], doc["layers"], strict=True):
        for row_new, row, grad in zip(new["W"], layer["W"], layer["dW"], strict=True):
            assert row_new == pytest.approx([w - 0.5 * g for w, g in zip(row, grad, strict=True)])
    assert page.locator("#net .node text.a").count() == 0  # values cleared until Forward
    page.click("#forward")
    page.wait_for_function("window.bpState.status === 'forward'")
    assert page.evaluate("window.bpState.trace.loss") < doc["loss"]
    page.click("#update")  # Update runs the backward pass it needs
    page.wait_for_function("window.bpState.steps === 2")
    assert page.js_errors == []


def test_train_pause_and_inspect_a_point(page, live_server, artifacts):
    open_page(page, live_server, sizes="2,8,8,2", activation="tanh", loss="cross_entropy",
              seed="0", lr="1", x="0.5,-1.0", y="1", dataset="moons", per="20")  # fmt: skip
    page.click("#train")
    page.wait_for_function("window.bpState.steps >= 200", timeout=60_000)
    assert page.is_disabled("#step") and page.is_enabled("#pause")
    page.click("#pause")
    page.wait_for_function("window.bpState.status === 'paused'", timeout=30_000)
    state = page.evaluate("window.bpState")
    losses = [p["y"] for p in state["losses"]]
    assert len(losses) == state["steps"] and state["steps"] % 20 == 0
    assert losses[-1] < 0.3 * losses[0]
    assert state["accuracy"] > 0.9
    assert page.evaluate("Chart.getChart('losscurve').data.datasets[0].data.length") == len(losses)
    assert "paused at step" in page.inner_text("#status")
    # the decision boundary is drawn in both colours behind the points
    colours = page.evaluate(
        "() => { const d = document.querySelector('#boundary').getContext('2d')"
        ".getImageData(0, 0, 280, 280).data; let b = 0, o = 0;"
        " for (let i = 0; i < d.length; i += 4) {"
        " if (d[i+2] > d[i]) b++; else if (d[i] > d[i+2]) o++; }"
        " return [b, o]; }"
    )
    assert min(colours) > 5000
    # paused: the network shows point 0's numbers at this step
    assert page.locator("#net .node text.delta").count() == 18
    assert state["phase"] == "backward"
    page.screenshot(path=artifacts / "studio-backprop-train.png")
    # a click on a point shows that point's numbers
    box = page.locator("#boundary").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.7)
    page.wait_for_function(
        "document.querySelector('#status').textContent.includes('showing point')"
    )
    # training goes on from where it paused
    steps = page.evaluate("window.bpState.steps")
    page.click("#train")
    page.wait_for_function(f"window.bpState.steps > {steps}", timeout=30_000)
    page.click("#pause")
    page.wait_for_function("window.bpState.status === 'paused'", timeout=30_000)
    assert page.js_errors == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sizes": "2,0,2"}, "sizes: expected widths from 1 to 8, got 0"),
        ({"sizes": "2,1000000,2"}, "sizes: expected widths from 1 to 8, got 1000000"),
        ({"sizes": "2,three,2"}, 'sizes: expected whole numbers like 2,3,2, got "three"'),
        ({"x": "NaN,1"}, 'x: expected finite numbers like 0.5,-1.0, got "NaN"'),
        ({"x": "1,2,3"}, "x: expected 2 numbers"),
        ({"y": "5"}, "y: expected a class index from 0 to 1, got 5"),
        ({"lr": "fast"}, 'learning rate: expected finite numbers like 0.5,-1.0, got "fast"'),
    ],
)
def test_hostile_input_gets_a_message_and_the_server_keeps_serving(
    page, live_server, fields: dict[str, str], message: str
):
    open_page(page, live_server)
    for name, value in fields.items():
        page.fill(f"#{name}", value)
    page.click("#forward")
    page.wait_for_selector("#error:not([hidden])")
    assert message in page.inner_text("#error")
    assert page.evaluate("window.bpState.status") == "error"
    assert httpx.get(live_server.url + "/api/health").json()["ok"] is True
    # the server checks again what the page let through or a script sends past the page
    body = {"sizes": [2, 3, 2], "x": [0.5, -1.0], "y": 1}
    for key, value in fields.items():
        if key == "sizes":
            body["sizes"] = [int(v) if v.isdigit() else v for v in value.split(",")]
        elif key == "x":
            body["x"] = [float(v) if v != "NaN" else "NaN" for v in value.split(",")]
        elif key == "y":
            body["y"] = int(value)
        else:
            body["lr"] = value
    answer = page.evaluate(
        "async (b) => { const r = await fetch('/api/backprop/step', {method: 'POST',"
        " headers: {'Content-Type': 'application/json'}, body: JSON.stringify(b)});"
        " return [r.status, (await r.json()).error]; }",
        body,
    )
    assert answer[0] in (400, 422) and answer[1] and "\n" not in answer[1]
    server_word = {"sizes": "sizes", "x": "x", "y": "y", "lr": "lr"}[next(iter(fields))]
    assert server_word in answer[1]
    # put it right: the page computes again and the message goes
    open_page(page, live_server)
    page.click("#forward")
    page.wait_for_function("window.bpState.status === 'forward'")
    assert page.is_hidden("#error")
    assert page.js_errors == []


def _fonts_loaded(page) -> list[str]:
    """The KaTeX font faces the page has loaded (from the vendored files)."""
    return page.evaluate(
        "async () => { await document.fonts.ready; return [...document.fonts]"
        ".filter(f => f.family.startsWith('KaTeX') && f.status === 'loaded')"
        ".map(f => f.family); }"
    )


def test_formulas_are_typeset_offline_with_the_vendored_katex(page, live_server, artifacts):
    open_page(page, live_server, sizes="2,3,2", activation="tanh", loss="cross_entropy",
              seed="4", lr="0.5", x="0.5,-1.0", y="1")  # fmt: skip
    page.click("#backward")
    page.wait_for_function("window.bpState.status === 'backward'")
    page.hover("#net .node[data-l='1'][data-j='0'] circle")
    box = page.locator("#formula-tex")
    assert box.locator(".katex").count() >= 5  # z, a, δ of the unit and the layer's formulas
    assert box.locator(".katex-error").count() == 0
    assert box.locator(".katex .mord.mathnormal").count() > 0  # typeset, not raw TeX
    assert "\\delta" not in box.inner_text() and "^{(" not in box.inner_text()
    # column vectors are typeset as matrices (∂L/∂W^(1) = δ^(1) (a^(0))^T)
    assert box.locator(".katex .mtable").count() > 0
    assert page.locator("#hint-tex .katex-display .mfrac").count() == 2  # ∂L/∂W, ∂L/∂b
    hint, panel = (
        page.locator("#hint-tex .katex-display").bounding_box(),
        page.locator(".controls").bounding_box(),
    )
    assert hint["x"] + hint["width"] <= panel["x"] + panel["width"]  # fits its panel
    assert "KaTeX_Main" in _fonts_loaded(page)  # served by fcnet, no outside request
    for path in ("katex.min.js", "katex.min.css", "fonts/KaTeX_Main-Regular.woff2"):
        res = httpx.get(f"{live_server.url}/static/vendor/katex/{path}")
        assert res.status_code == 200 and len(res.content) < 1 << 20
    page.screenshot(path=artifacts / "studio-backprop-katex.png")
    assert page.js_errors == []


def test_y_hat_y_and_the_loss_are_drawn_labels_on_backings_and_a_legend(page, live_server):
    doc = json.loads(CliRunner().invoke(cli, ["backprop", *ARGS, "--json"]).stdout)
    open_page(page, live_server, sizes="2,3,2", activation="tanh", loss="cross_entropy",
              seed="4", lr="0.5", x="0.5,-1.0", y="1")  # fmt: skip
    assert page.locator("#net .outputs").count() == 0  # nothing before the forward pass
    page.click("#forward")
    page.wait_for_function("window.bpState.status === 'forward'")
    yhat = page.locator("#net .outputs text.yhat").all_text_contents()
    assert yhat == [f"ŷ{j} {g4(p)}" for j, p in enumerate(doc["output"])]
    assert page.locator("#net .outputs text.target").all_text_contents() == ["y0 0", "y1 1"]
    assert page.text_content("#net .outputs text.loss-label") == f"L = {g4(doc['loss'])}"
    assert "width ∝ |W_ji|" in page.inner_text("#legend")
    assert "positive" in page.inner_text("#legend") and "negative" in page.inner_text("#legend")
    page.click("#backward")
    page.wait_for_function("window.bpState.status === 'backward'")
    assert "width ∝ |∂L/∂W_ji|" in page.inner_text("#legend")
    # every value label sits on its backing, and inside the drawing
    boxes = page.evaluate(
        "() => [...document.querySelectorAll('#net .label')].map(g => {"
        " const t = g.querySelector('text').getBBox(), r = g.querySelector('rect').getBBox();"
        " return [t.x, t.y, t.width, t.height, r.x, r.y, r.width, r.height]; })"
    )
    assert len(boxes) >= 3 + 3 + 2 + 2 + 4 + 1  # z and δ of 5 units, ŷ, y, L
    for tx, ty, tw, th, rx, ry, rw, rh in boxes:
        assert rx <= tx and ry <= ty and rx + rw >= tx + tw and ry + rh >= ty + th
        assert 0 <= rx and rx + rw <= 880 and 0 <= ry and ry + rh <= 380
    fill = page.evaluate("getComputedStyle(document.querySelector('#net .label rect')).fill")
    assert fill == "rgb(255, 255, 255)"
    assert page.js_errors == []


def test_the_formula_box_follows_the_selection_after_train_pause_click(page, live_server):
    open_page(page, live_server, sizes="2,4,2", activation="tanh", loss="cross_entropy",
              seed="0", lr="1", x="0.5,-1.0", y="1", dataset="moons", per="10")  # fmt: skip
    page.click("#forward")
    page.wait_for_function("window.bpState.status === 'forward'")
    page.hover("#net .node[data-l='1'][data-j='2'] circle")
    before = page.text_content("#formula")
    page.click("#train")
    page.wait_for_function("window.bpState.steps >= 30", timeout=60_000)
    assert "pause" in page.text_content("#formula").lower()  # no stale numbers while training
    page.click("#pause")
    page.wait_for_function("window.bpState.status === 'paused'", timeout=30_000)
    # paused: the box shows unit (1, 2) at point 0 with the trained weights
    page.click("#net .node[data-l='1'][data-j='2'] circle")
    z = float(page.get_attribute("#net .node[data-l='1'][data-j='2']", "data-z"))
    shown = page.text_content("#formula")
    assert shown.startswith("z_2^(1) = ") and shown.splitlines()[0].endswith(f"= {g4(z)}")
    assert shown != before
    # a click on another point: the same unit, that point's numbers, without touching the unit
    trace_id = page.evaluate("window.bpState.traceId")
    page.locator("#boundary").click(position={"x": 70, "y": 84})  # scrolled into view
    page.wait_for_function(f"window.bpState.traceId > {trace_id}")
    page.wait_for_function(
        "document.querySelector('#status').textContent.includes('showing point')"
    )
    z2 = float(page.get_attribute("#net .node[data-l='1'][data-j='2']", "data-z"))
    shown2 = page.text_content("#formula")
    assert shown2.splitlines()[0].endswith(f"= {g4(z2)}") and z2 != z
    assert page.get_attribute("#formula-tex", "data-trace") == str(
        page.evaluate("window.bpState.traceId")
    )
    # an edge too
    page.hover("#net line.edge-hit[data-l='2'][data-j='1'][data-i='2']", force=True)
    w = page.evaluate("window.bpState.weights[1].W[1][2]")
    assert page.text_content("#formula").startswith(f"W_12^(2) = {g4(w)}")
    assert page.js_errors == []


DEAD = [{"W": [[1.0, 0.5], [-1.0, -1.0], [0.3, -0.2]], "b": [0.0, -10.0, 0.1]},
        {"W": [[1.0, -1.0, 0.5], [-1.0, 1.0, 0.2]], "b": [0.0, 0.0]}]  # fmt: skip


def test_dead_units_are_marked_and_explained(page, live_server, artifacts):
    open_page(page, live_server, sizes="2,3,2", activation="relu", loss="cross_entropy",
              seed="0", lr="0.5", x="0.5,-1.0", y="1", dataset="moons", per="10")  # fmt: skip
    assert page.locator("#net .node.dead").count() == 0
    assert page.is_hidden("#legend-dead")
    # hidden unit 1: z = -x0 - x1 - 10 < 0 for every point of the moons
    page.evaluate("(w) => { window.bpState.weights = w; }", DEAD)
    page.click("#train")
    page.wait_for_function("window.bpState.steps >= 10", timeout=60_000)
    page.click("#pause")
    page.wait_for_function("window.bpState.status === 'paused'", timeout=30_000)
    dead = page.locator("#net .node.dead")
    assert dead.count() == 1
    assert dead.get_attribute("data-l") == "1" and dead.get_attribute("data-j") == "1"
    assert page.text_content("#net .node.dead text.dead-mark") == "dead"
    assert page.is_visible("#legend-dead")
    page.hover("#net .node[data-l='1'][data-j='1'] circle")
    formula = page.text_content("#formula")
    assert formula.startswith("dead unit: z ≤ 0 for every point of the data set")
    assert "no longer learns" in formula
    page.screenshot(path=artifacts / "studio-backprop-dead.png")
    # new weights: nothing is marked any more
    page.click("#reset")
    page.wait_for_function("window.bpState.status === 'idle'")
    assert page.locator("#net .node.dead").count() == 0
    assert page.js_errors == []


def test_mazurs_worked_example_reproduces_on_the_page(page, live_server, artifacts):
    open_page(page, live_server)
    page.select_option("#example", "mazur")
    page.wait_for_function(
        "window.bpState.status === 'idle' && window.bpState.trace.sizes.join() === '2,2,2'"
    )
    assert page.input_value("#loss") == "quadratic"
    assert page.input_value("#output_activation") == "sigmoid"
    page.click("#backward")
    page.wait_for_function("window.bpState.status === 'backward'")
    tr = page.evaluate("window.bpState.trace")
    assert tr["loss"] == pytest.approx(0.298371109, abs=1e-9)  # E_total
    assert tr["layers"][1]["dW"][0][0] == pytest.approx(0.082167041, abs=1e-9)  # ∂E/∂w5
    assert tr["layers"][0]["dW"][0][0] == pytest.approx(0.000438568, abs=1e-9)  # ∂E/∂w1
    assert page.text_content("#net .outputs text.loss-label") == "L = 0.2984"
    assert page.locator("#net .outputs text.yhat").all_text_contents() == [
        "ŷ0 0.7514", "ŷ1 0.7729",
    ]  # fmt: skip
    page.hover("#net line.edge-hit[data-l='2'][data-j='0'][data-i='0']", force=True)
    assert "∂L/∂W_00^(2) = δ_0^(2) a_0^(1) = 0.1385·0.5933 = 0.08217" in page.text_content(
        "#formula"
    )
    page.hover("#net .node[data-l='2'][data-j='0'] circle")
    assert "δ_0^(2) = (ŷ_0 - y_0) σ'(z_0^(2))" in page.text_content("#formula")
    page.screenshot(path=artifacts / "studio-backprop-mazur.png")
    page.click("#update")
    page.wait_for_function("window.bpState.steps === 1")
    w5 = page.evaluate("window.bpState.weights[1].W[0][0]")
    assert w5 == pytest.approx(0.35891648, abs=1e-8)  # Mazur's w5+
    assert page.js_errors == []


def test_own_weights_pasted_from_fcnet_backprop_json(page, live_server):
    doc = json.loads(CliRunner().invoke(cli, ["backprop", *ARGS, "--json"]).stdout)
    layers = [{"W": [[2.0, -1.0]], "b": [0.5]}, {"W": [[1.0], [-1.0]], "b": [0.0, 0.0]}]
    open_page(page, live_server)
    page.click(".own-weights summary")
    page.fill("#weights-json", json.dumps({**doc, "layers": layers}))
    page.click("#use-weights")
    page.wait_for_function("window.bpState.trace.sizes.join() === '2,1,2'")
    assert page.input_value("#sizes") == "2,1,2"
    assert page.evaluate("window.bpState.trace.layers[0].W") == [[2.0, -1.0]]
    page.click("#forward")
    page.wait_for_function("window.bpState.status === 'forward'")
    # z = 2 * 0.5 + (-1) * (-1) + 0.5 = 2.5
    assert node(page, 1, 0, "z") == 2.5
    page.fill("#weights-json", "{not json")
    page.click("#use-weights")
    page.wait_for_selector("#error:not([hidden])")
    assert page.inner_text("#error").startswith("weights: not JSON")
    page.fill("#weights-json", '{"layers": [{"W": [["a"]], "b": [0]}]}')
    page.click("#use-weights")
    page.wait_for_function("document.querySelector('#error').textContent.includes('W')")
    assert httpx.get(live_server.url + "/api/health").json()["ok"] is True
    assert page.js_errors == []
