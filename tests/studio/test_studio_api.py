"""The studio's JSON API through FastAPI's TestClient: checks, runs, traversal, predict, SSE."""

from __future__ import annotations

import json
import os
import time

import httpx
import numpy as np
import pytest
from click.testing import CliRunner
from studio_support import (
    DEMO,
    RUN_FIT,
    RUN_LONG,
    RUN_MNIST,
    digit_one_png,
    free_port,
    local_client,
)

from fcnet.studio import create_app
from fcnet.studio.app import MAX_BODY_BYTES
from fcnet.studio.canvas import decode_image, mnist_input
from fcnet.studio.runs import plot_path, run_path


@pytest.fixture
def client(runs_dir):
    app = create_app(runs_dir)
    with local_client(app) as c:
        yield c


def events(client, session_id: str) -> list[dict]:
    """Every event of a session's stream, in order, until it ends."""
    out = []
    with client.stream("GET", f"/api/sessions/{session_id}/events") as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data:"):
                out.append(json.loads(line[5:]))
    return out


# ----- every input checked ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"expr": '__import__("os")'}, 400, "unknown function '__import__'"),
        ({"expr": "x.__class__"}, 400, "bad expression"),
        ({"expr": "sin(x) + y"}, 400, "function of x alone"),
        ({"expr": "log(x)"}, 400, "not finite"),
        ({"expr": ""}, 422, "expr"),
        ({"expr": "x" * 201}, 422, "expr"),
        (
            {"expr": "sin(x)", "width": 1025},
            422,
            "width: expected a number of at most 1024, got 1025",
        ),
        ({"expr": "sin(x)", "width": 0}, 422, "width"),
        ({"expr": "sin(x)", "depth": 5}, 422, "depth"),
        ({"expr": "sin(x)", "steps": 20001}, 422, "steps"),
        ({"expr": "sin(x)", "lr": 0}, 422, "lr: expected a number greater than 0, got 0"),
        ({"expr": "sin(x)", "lr": 10.5}, 422, "lr"),
        ({"expr": "sin(x)", "lr": "fast"}, 422, "lr"),
        ({"expr": "sin(x)", "activation": "swish"}, 422, "activation"),
        ({"expr": "sin(x)", "optimizer": "lbfgs"}, 422, "optimizer"),
        ({"expr": "sin(x)", "backend": "jax"}, 422, "backend"),
        ({"expr": "sin(x)", "x_min": 2, "x_max": 1}, 422, "x_min < x_max"),
        ({"expr": "sin(x)", "x_max": 1e9}, 422, "x_max"),
        ({"expr": "sin(x)", "surprise": 1}, 422, "surprise: unknown field, got 1"),
        ({"width": 8}, 422, "expr: required"),
    ],
)
def test_fit_refuses_bad_requests_with_a_message(client, body, status, message):
    r = client.post("/api/fit", json=body)
    assert r.status_code == status
    assert message in r.json()["error"]
    assert client.get("/api/health").json()["ok"] is True


def test_malformed_json_and_wrong_types_are_4xx(client):
    r = client.post("/api/fit", content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert "JSON" in r.json()["error"]
    r = client.post("/api/fit", json=["sin(x)"])
    assert r.status_code == 422


def test_body_over_the_limit_is_refused(client):
    big = b'{"expr": "' + b"x" * MAX_BODY_BYTES + b'"}'
    r = client.post("/api/fit", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert "at most" in r.json()["error"]

    def chunks():  # no Content-Length: counted as it streams
        yield b'{"expr": "'
        for _ in range(20):
            yield b"x" * (MAX_BODY_BYTES // 10)
        yield b'"}'

    r = client.post("/api/fit", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert client.get("/api/health").status_code == 200


def test_digits_train_request_is_bounded(client):
    for body, field in [({"width": 5000}, "width"), ({"epochs": 50}, "epochs"), ({"lr": -1}, "lr")]:
        r = client.post("/api/digits/train", json=body)
        assert r.status_code == 422
        assert r.json()["error"].startswith(field)


def test_too_many_sessions_is_429(runs_dir):
    with local_client(create_app(runs_dir)) as c:
        studio = c.app.state.studio
        studio.sessions.max_active = 2
        waiting = [c.post("/api/fit", json={"expr": "x"}).json()["session"] for _ in range(3)]
        for sid in waiting[:2]:  # streamed: training (the 200 steps outlast this test's asks)
            studio.sessions.start(studio.sessions.get(sid))
        r = c.post("/api/fit", json={"expr": "x"})
        assert r.status_code == 429
        assert "at most 2" in r.json()["error"]
        r = c.get(f"/api/sessions/{waiting[2]}/events")  # created earlier, refused on streaming
        assert r.status_code == 429
        for sid in waiting[:2]:
            c.post(f"/api/sessions/{sid}/stop")


def test_unknown_session_is_404(client):
    r = client.post("/api/sessions/0123456789abcdef/stop", json={})
    assert r.status_code == 404
    assert "no training session" in r.json()["error"]
    for sid in ("..%2f..%2fetc%2fpasswd", "x" * 300, "ABCDEF0123456789"):
        r = client.post(f"/api/sessions/{sid}/stop", json={})
        assert r.status_code == 404
        assert r.json()["error"]


# ----- training through the event stream -------------------------------------------------


def test_fit_streams_curve_kinks_and_a_falling_loss(client):
    r = client.post(
        "/api/fit", json={"expr": "abs(x)", "width": 8, "steps": 300, "every": 50, "lr": 0.02}
    )
    assert r.status_code == 200
    start = r.json()
    assert len(start["x"]) == len(start["target"]) == 200
    assert start["target"][0] == pytest.approx(3.0) and start["kinks"] is True
    evs = events(client, start["session"])
    progress = [e for e in evs if e["type"] == "progress"]
    assert [e["step"] for e in progress] == [0, 50, 100, 150, 200, 250, 300]
    assert progress[-1]["loss"] < progress[1]["loss"]
    for e in progress:
        assert len(e["y"]) == 200
        assert 0 < len(e["kinks"]) <= 8
        assert all(-3 <= k <= 3 for k in e["kinks"])
    done = evs[-1]
    assert done["type"] == "done" and done["status"] == "done"
    assert done["grid_mse"] < 0.05
    # A finished session streams no more.
    assert client.get(f"/api/sessions/{start['session']}/events").status_code == 400


def test_kinks_are_minus_b_over_w_of_the_first_layer(client):
    start = client.post("/api/fit", json={"expr": "x**2", "width": 6, "steps": 1}).json()
    session = client.app.state.studio.sessions.get(start["session"])
    import fcnet

    model = fcnet.build(session.spec, "numpy")
    session._spread_kinks(model)
    w = model.get_weights()
    expected = sorted(-w["0.bias"] / w["0.weight"][:, 0] * 3.0)  # x in [-3, 3] scaled by 3
    assert session._kinks(model) == pytest.approx(expected, rel=1e-4)


def test_pause_resume_and_stop(client):
    start = client.post("/api/fit", json={"expr": "sin(x)", "steps": 20000, "every": 1}).json()
    sid = start["session"]
    seen = []
    with client.stream("GET", f"/api/sessions/{sid}/events") as r:
        for line in r.iter_lines():
            if not line.startswith("data:"):
                continue
            ev = json.loads(line[5:])
            seen.append(ev)
            if len(seen) == 3:
                assert client.post(f"/api/sessions/{sid}/pause", json={"paused": True}).json() == {
                    "status": "paused"
                }
                assert client.post(f"/api/sessions/{sid}/pause", json={"paused": False}).json() == {
                    "status": "running"
                }
                assert client.post(f"/api/sessions/{sid}/stop", json={}).status_code == 200
            if ev["type"] in ("done", "failed"):
                break
    assert seen[-1] == {"type": "done", "status": "stopped"}
    steps = [e["step"] for e in seen if e["type"] == "progress"]
    assert steps[-1] < 20000
    assert "paused" in [e.get("status") for e in seen]
    r = client.post(f"/api/sessions/{sid}/pause", json={"paused": "maybe"})
    assert r.status_code == 422


def test_a_fit_is_saved_as_a_run_folder_the_tasks_can_read(tmp_path):
    from fcnet.backends import load
    from fcnet.tasks.evaluate import evaluate

    runs = tmp_path / "runs"
    with local_client(create_app(runs)) as c:
        body = {"expr": "abs(x)", "width": 8, "steps": 300, "every": 50, "lr": 0.02}
        start = c.post("/api/fit", json=body).json()
        sid = start["session"]
        r = c.post(f"/api/fit/{sid}/save", json={})
        assert r.status_code == 400 and "still training" in r.json()["error"]
        evs = events(c, sid)
        curve = np.array([e for e in evs if e["type"] == "progress"][-1]["y"])  # as drawn
        r = c.post(f"/api/fit/{sid}/save", json={"name": "../x"})
        assert r.status_code == 400 and r.json()["error"].startswith("name: expected a folder")
        r = c.post(f"/api/fit/{sid}/save", json={}, headers={"Origin": "http://evil.example"})
        assert r.status_code == 403
        name = c.post(f"/api/fit/{sid}/save", json={}).json()["run"]
        assert name.startswith("fit-studio-")
        assert c.post(f"/api/fit/{sid}/save", json={}).json()["run"] == name  # saved once
        listed = {x["name"]: x for x in c.get("/api/runs").json()["runs"]}
        assert listed[name]["label"].startswith("fit · f = abs(x) · 1-8-1 · test mse ")
        detail = c.get(f"/api/runs/{name}").json()
        assert [m["step"] for m in detail["metrics"]] == [50, 100, 150, 200, 250, 300]
        assert "fit.png" in detail["plots"]
        # A name that exists is never written into.
        other = c.post("/api/fit", json={**body, "steps": 5}).json()["session"]
        events(c, other)
        r = c.post(f"/api/fit/{other}/save", json={"name": name})
        assert r.status_code == 400 and "exists" in r.json()["error"]
        never = c.post("/api/fit", json=body).json()["session"]
        c.post(f"/api/sessions/{never}/stop", json={})
        r = c.post(f"/api/fit/{never}/save", json={})
        assert r.status_code == 400 and "has not trained a step" in r.json()["error"]
    folder = runs / name
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json",
        "fit.png",
        "metrics.jsonl",
        "model.npz",
        "result.json",
        "run.json",
    ]
    # The saved model maps raw x to raw f(x): the curve the page drew, and abs(x).
    model = load(folder / "model.npz", backend="numpy")
    x = np.array(start["x"], dtype=np.float32).reshape(-1, 1)
    y = np.asarray(model.predict(x)).reshape(-1)
    assert np.allclose(y, curve, atol=1e-3)
    saved = json.loads((folder / "result.json").read_text())["metrics"]
    assert saved["test_mse"] == pytest.approx(np.mean((curve - np.abs(x[:, 0])) ** 2), rel=1e-2)
    # `fcnet evaluate` reads it as any fit run (on its own dense grid).
    again = evaluate(folder)
    assert again["test_mse"] == pytest.approx(saved["test_mse"], rel=0.3)
    assert again["test_mse"] < 0.05


def test_a_diverging_fit_ends_with_a_message(client):
    body = {"expr": "1000*x", "optimizer": "sgd", "lr": 10, "steps": 200, "every": 1000}
    start = client.post("/api/fit", json=body).json()
    evs = events(client, start["session"])
    assert evs[-1]["type"] == "failed"
    assert "try a lower learning rate (lr is 10)" in evs[-1]["error"]
    assert client.app.state.studio.sessions.get(start["session"]).status == "failed"
    assert client.get("/api/health").json()["ok"] is True


# ----- runs: listing, detail, traversal -------------------------------------------------------


def test_runs_are_listed_newest_first_with_their_metrics(client, runs_dir):
    os.utime(runs_dir / RUN_FIT, (1e9, 1e9))
    data = client.get("/api/runs").json()
    names = [r["name"] for r in data["runs"]]
    assert names == [RUN_MNIST, RUN_FIT]  # not-a-run holds no run files
    fit = data["runs"][1]
    assert fit["task"] == "fit" and fit["has_model"] is False
    assert fit["metrics"] == {"test_mse": 1e-4, "max_abs_error": 0.02}


def test_run_detail_has_config_metrics_and_plots(client):
    run = client.get(f"/api/runs/{RUN_FIT}").json()
    assert run["config"]["hidden"] == [{"width": 64}]
    assert [m["epoch"] for m in run["metrics"]] == [1, 2, 3, 4, 5]  # the bad line skipped
    assert run["plots"] == ["fit.png", "loss.png"]
    r = client.get(f"/api/runs/{RUN_FIT}/plots/fit.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_empty_or_missing_runs_dir_lists_nothing(tmp_path):
    with local_client(create_app(tmp_path / "nowhere")) as c:
        assert c.get("/api/runs").json()["runs"] == []
        assert c.get("/api/digits/models").json()["models"] == []


@pytest.mark.parametrize("name", ["...", "a..b", ".hidden", "%2e%2e", "run name", "é", "x" * 200])
def test_run_names_that_could_escape_are_refused(client, runs_dir, name):
    r = client.get(f"/api/runs/{name}")
    assert r.status_code == 400
    assert "run:" in r.json()["error"]
    for bad in ("..", "../etc", "/etc", "a/../../b", "", "."):
        with pytest.raises(ValueError, match="run: expected a folder name"):
            run_path(runs_dir, bad)


@pytest.mark.parametrize(
    "path",
    [
        "/api/runs/..%2f..%2fetc/plots/passwd.png",
        "/api/runs/../../etc/passwd",
        f"/api/runs/{RUN_FIT}/plots/..%2f{RUN_MNIST}%2fmodel.npz",
        f"/api/runs/{RUN_FIT}/plots/%2e%2e",
    ],
)
def test_traversal_in_paths_never_reaches_a_file(client, path):
    r = client.get(path)
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"].startswith("application/json")


def test_plot_names_are_checked(client, runs_dir):
    assert client.get(f"/api/runs/{RUN_FIT}/plots/notes.txt").status_code == 400
    assert client.get(f"/api/runs/{RUN_FIT}/plots/missing.png").status_code == 404
    with pytest.raises(ValueError, match=r"plot: expected a \.png"):
        plot_path(runs_dir, RUN_FIT, "../x.png")


def test_a_symlink_out_of_the_runs_dir_is_refused(tmp_path):
    runs, outside = tmp_path / "runs", tmp_path / "secret"
    runs.mkdir()
    outside.mkdir()
    (outside / "config.json").write_text("{}")
    (runs / "escape").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValueError, match="leads outside"):
        run_path(runs, "escape")
    with local_client(create_app(runs)) as c:
        assert c.get("/api/runs").json()["runs"] == []
        assert c.get("/api/runs/escape").status_code == 400


def test_nested_runs_of_fcnet_demo_are_found_and_labelled(demo_runs_dir):
    """`make demo` writes runs/demo-<time>/{mnist,fit,binary}: all three are listed."""
    with local_client(create_app(demo_runs_dir)) as c:
        data = c.get("/api/runs").json()
        by_name = {r["name"]: r for r in data["runs"]}
        assert set(by_name) == {f"{DEMO}/mnist", f"{DEMO}/fit", f"{DEMO}/binary", RUN_FIT, RUN_LONG}
        assert data["skipped"] == [] and data["truncated"] is False
        fit, mnist, binary = (by_name[f"{DEMO}/{t}"] for t in ("fit", "mnist", "binary"))
        assert fit["label"].startswith("fit · f = sin(x) · 1-64-1 · test mse ")
        assert mnist["label"].startswith("mnist · MNIST digits · 784-64-10 · test accuracy ")
        assert mnist["label"].endswith("%")
        assert binary["label"].startswith("binary · MNIST 4 vs 9 · 784-16-1 · test auc 0.9")
        assert by_name[RUN_LONG]["label"] == "fit · f = x**2 · 1-16-1 · test mse 0.008"
        # Its page, its plots and its model are reachable by the nested name.
        run = c.get(f"/api/runs/{DEMO}/mnist").json()
        assert run["task"] == "mnist" and "confusion.png" in run["plots"]
        r = c.get(f"/api/runs/{DEMO}/mnist/plots/confusion.png")
        assert r.status_code == 200 and r.content[:4] == b"\x89PNG"
        ids = [m["id"] for m in c.get("/api/digits/models").json()["models"]]
        assert ids == [f"run:{DEMO}/mnist"]
        r = c.post("/api/digits/predict", json={"model": ids[0], "image": digit_one_png()})
        assert r.status_code == 200 and len(r.json()["probs"]) == 10
        # Nested names are checked part by part.
        for bad in (f"{DEMO}/%2e%2e/{RUN_FIT}", f"{DEMO}//mnist", f"{DEMO}/mnist/x/y", "a/.b"):
            r = c.get(f"/api/runs/{bad}")
            assert r.status_code == 400 and "run: expected a folder name" in r.json()["error"]
        for bad in (f"{DEMO}/../{RUN_FIT}", f"{DEMO}//mnist", f"{DEMO}/mnist/x/y", "a/.b"):
            with pytest.raises(ValueError, match="run: expected a folder name"):
                run_path(demo_runs_dir, bad)


# ----- Digits: preprocessing and predict ----------------------------------------------------


def test_mnist_input_crops_scales_and_centres_by_mass():
    grey = np.zeros((200, 300), dtype=np.float32)
    grey[20:60, 250:270] = 1.0  # a small off-centre block, 40 tall
    img = mnist_input(grey)
    assert img.shape == (28, 28) and img.dtype == np.float32
    rows = np.flatnonzero(img.max(axis=1) > 0.2)
    assert rows[-1] - rows[0] + 1 == 20  # the longer side scaled to 20 px
    ys, xs = np.indices(img.shape)
    assert abs((ys * img).sum() / img.sum() - 14) < 1
    assert abs((xs * img).sum() / img.sum() - 14) < 1
    assert mnist_input(np.zeros((50, 50), np.float32)) is None


def test_dark_ink_on_light_paper_is_inverted():
    light = decode_image(digit_one_png(light=True))
    dark = decode_image(digit_one_png())
    assert light.shape == (280, 280)
    assert np.allclose(light, dark, atol=0.02)
    assert np.median(light) < 0.05


def test_predict_a_drawn_one(client):
    models = client.get("/api/digits/models").json()["models"]
    assert [m["id"] for m in models] == [f"run:{RUN_MNIST}"]  # the fit run is no MNIST model
    r = client.post(
        "/api/digits/predict", json={"model": models[0]["id"], "image": digit_one_png()}
    )
    assert r.status_code == 200
    out = r.json()
    assert len(out["probs"]) == 10 and sum(out["probs"]) == pytest.approx(1.0, abs=1e-6)
    assert out["prediction"] == int(np.argmax(out["probs"])) == 1
    assert len(out["input"]) == 784 and max(out["input"]) > 0.9


def test_predict_on_a_blank_canvas_has_no_prediction(client):
    blank = digit_one_png().split(",")[0] + ","
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (100, 100), "black").save(buf, "PNG")
    blank += base64.b64encode(buf.getvalue()).decode()
    out = client.post("/api/digits/predict", json={"model": f"run:{RUN_MNIST}", "image": blank})
    assert out.status_code == 200
    assert out.json()["prediction"] is None and out.json()["probs"] is None


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"model": f"run:{RUN_MNIST}", "image": "hello"}, 400, "expected a data URL"),
        ({"model": f"run:{RUN_MNIST}", "image": "data:image/png;base64,!!!"}, 400, "base64"),
        (
            {"model": f"run:{RUN_MNIST}", "image": "data:image/png;base64,aGVsbG8="},
            400,
            "not a readable",
        ),
        ({"model": "run:../../etc", "image": digit_one_png()}, 400, "run:"),
        ({"model": f"run:{RUN_FIT}", "image": digit_one_png()}, 404, "has no model.npz"),
        ({"model": "session:0123456789abcdef", "image": digit_one_png()}, 404, "no model"),
        ({"model": "pickle:evil", "image": digit_one_png()}, 400, "expected 'run:<name>'"),
        ({"image": digit_one_png()}, 422, "model: required"),
    ],
)
def test_predict_refuses_bad_requests(client, body, status, message):
    r = client.post("/api/digits/predict", json=body)
    assert r.status_code == status
    assert message in r.json()["error"]


def test_train_a_digits_model_from_the_page_then_predict(client):
    body = {"width": 16, "epochs": 1, "samples": 1000, "batch_size": 100}
    start = client.post("/api/digits/train", json=body).json()
    evs = events(client, start["session"])
    progress = [e for e in evs if e["type"] == "progress"]
    assert progress and progress[-1]["step"] == progress[-1]["steps"] == 10
    done = evs[-1]
    # 10 Adam steps: 0.28-0.31 by the shuffle's seed; chance is 0.1
    assert done["type"] == "done" and 0.2 < done["test_accuracy"] <= 1.0
    ids = [m["id"] for m in client.get("/api/digits/models").json()["models"]]
    assert ids[0] == done["model"] == f"session:{start['session']}"
    r = client.post("/api/digits/predict", json={"model": done["model"], "image": digit_one_png()})
    assert r.status_code == 200 and len(r.json()["probs"]) == 10


# ----- the live server: closing the stream stops the training ------------------------------


def test_dropping_the_stream_stops_its_training(live_server):
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        sid = http.post("/api/fit", json={"expr": "sin(x)", "steps": 20000, "every": 1}).json()[
            "session"
        ]
        with http.stream("GET", f"/api/sessions/{sid}/events") as r:
            for line in r.iter_lines():
                if line.startswith("data:"):
                    break
        session = live_server.session(sid)
        deadline = time.monotonic() + 10
        while session.status != "stopped" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert session.status == "stopped"
        assert http.get("/api/health").json()["ok"] is True


def test_serve_refuses_a_port_in_use():
    import socket

    from fcnet.cli import cli

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port)])
    assert result.exit_code == 2
    assert f"127.0.0.1:{port} is in use" in result.output


def test_serve_help_defaults_to_loopback():
    from fcnet.cli import cli

    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "127.0.0.1" in result.output and "--runs" in result.output


def test_fit_on_the_torch_backend(client):
    pytest.importorskip("torch")
    assert "torch" in client.get("/api/options").json()["backends"]
    body = {"expr": "abs(x)", "backend": "torch", "width": 8, "steps": 60, "every": 30}
    start = client.post("/api/fit", json=body).json()
    evs = events(client, start["session"])
    assert [e["step"] for e in evs if e["type"] == "progress"] == [0, 30, 60]
    assert evs[-1]["type"] == "done" and evs[-1]["grid_mse"] < 1.0


def test_only_local_host_names_are_answered(runs_dir):
    with local_client(create_app(runs_dir)) as c:
        assert c.get("/api/health", headers={"Host": "127.0.0.1:8000"}).status_code == 200
        assert c.get("/api/health", headers={"Host": "localhost:8000"}).status_code == 200
        assert c.get("/api/health", headers={"Host": "[::1]:8000"}).status_code == 200
        refused = ("rebind.example:8000", "testserver", "127.0.0.1.evil.example", "")
        refused += ("127.0.0.1:evil", "localhost:8000:1", "[::1]x", "127.0.0.1:123456")
        for host in refused:
            r = c.get("/api/health", headers={"Host": host})
            assert r.status_code == 400, host
            assert "Host: expected one of" in r.json()["error"]
    with local_client(create_app(runs_dir, hosts=None)) as c:
        assert c.get("/api/health", headers={"Host": "studio.lan"}).status_code == 200


# ----- cross-origin requests ------------------------------------------------------------------


def _running_session(client) -> str:
    sid = client.post("/api/fit", json={"expr": "x", "steps": 5}).json()["session"]
    assert client.app.state.studio.sessions.get(sid).active
    return sid


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({"Origin": "http://evil.example"}, 403, "Origin: expected this studio's own page"),
        ({"Origin": "http://127.0.0.1:9999"}, 403, "Origin"),  # another port: another origin
        ({"Origin": "null"}, 403, "Origin"),
        ({"Sec-Fetch-Site": "cross-site"}, 403, "Sec-Fetch-Site"),
        ({"Sec-Fetch-Site": "same-site"}, 403, "Sec-Fetch-Site"),
    ],
)
def test_cross_origin_requests_change_nothing(client, headers, status, message):
    sid = _running_session(client)
    for path, body in [
        (f"/api/sessions/{sid}/stop", {}),
        (f"/api/sessions/{sid}/pause", {"paused": True}),
        ("/api/fit", {"expr": "x"}),
    ]:
        r = client.post(path, json=body, headers=headers)
        assert r.status_code == status and message in r.json()["error"], path
    r = client.get(f"/api/sessions/{sid}/events", headers=headers)  # would start it
    assert r.status_code == status
    assert client.get("/api/runs", headers=headers).status_code == status
    session = client.app.state.studio.sessions.get(sid)
    assert session.status == "created" and not session.started


def test_a_simple_cross_origin_post_is_refused_without_origin_too(client):
    """An HTML form (or an old browser sending no Origin) can only send simple bodies."""
    sid = _running_session(client)
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        r = client.post(f"/api/sessions/{sid}/stop", content=b"{}", headers={"Content-Type": kind})
        assert r.status_code == 415 and "expected application/json" in r.json()["error"]
    assert client.post(f"/api/sessions/{sid}/stop").status_code == 415  # no body, no type
    assert client.app.state.studio.sessions.get(sid).active


def test_the_studios_own_pages_and_scripts_are_let_through(client):
    sid = _running_session(client)
    own = {"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"}
    r = client.post(f"/api/sessions/{sid}/stop", json={}, headers=own)
    assert r.status_code == 200
    assert client.app.state.studio.sessions.get(sid).status == "stopped"
    assert client.get("/api/runs", headers={"Sec-Fetch-Site": "none"}).status_code == 200
    # Pages may be opened from a link on any site; only the API is same-origin only.
    assert client.get("/fit", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200


def test_fcnet_serve_runs_the_app_on_loopback(runs_dir):
    """The CLI itself: it serves, and its Host allow-list and origin checks are the app's."""
    import signal
    import subprocess
    import sys

    port = free_port()
    cmd = [sys.executable, "-m", "fcnet", "serve", "--port", str(port), "--runs", str(runs_dir)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(url + "/api/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "fcnet serve did not answer in 30 s"
                time.sleep(0.2)
        assert health.json()["ok"] is True
        page = httpx.get(url + "/", follow_redirects=True)
        assert page.status_code == 200 and "<title>Fit" in page.text
        runs = httpx.get(url + "/api/runs").json()["runs"]
        assert {r["name"] for r in runs} == {RUN_FIT, RUN_MNIST}
        # A foreign Host (DNS rebinding) is refused; the loopback names are answered.
        for host in ("rebind.example", f"rebind.example:{port}", "testserver"):
            r = httpx.get(url + "/api/health", headers={"Host": host})
            assert r.status_code == 400 and "Host: expected one of" in r.json()["error"]
        for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
            assert httpx.get(url + "/api/health", headers={"Host": host}).status_code == 200
        # A cross-origin POST is refused there too.
        r = httpx.post(url + "/api/fit", json={"expr": "x"}, headers={"Origin": "http://evil"})
        assert r.status_code == 403
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/" in out
