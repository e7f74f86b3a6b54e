"""Fixtures for the studio: a runs folder with a real tiny MNIST model, a live server, a browser."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from studio_support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO,
    RUN_FIT,
    RUN_LONG,
    RUN_MNIST,
    LiveServer,
    studio_page,
)


def _tiny_mnist_model():
    """784-32-10 on the numpy engine, 2 epochs over 2,000 shipped MNIST images (a few s)."""
    import fcnet
    from fcnet.data.mnist import load_mnist
    from fcnet.spec import LayerSpec, NetSpec, OptimizerSpec

    x, y = load_mnist("train")
    x, y = x[:2000], y[:2000]
    spec = NetSpec(
        input_size=784,
        hidden=[LayerSpec(width=32)],
        output_size=10,
        loss="cross_entropy",
        optimizer=OptimizerSpec(name="adam", lr=3e-3),
    )
    model = fcnet.build(spec, "numpy")
    rng = np.random.default_rng(0)
    for _ in range(2):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 100):
            idx = order[start : start + 100]
            model.train_step(x[idx], y[idx])
    x_test, y_test = load_mnist("test")
    accuracy = float(np.mean(model.predict(x_test[:2000]).argmax(axis=1) == y_test[:2000]))
    return model, accuracy


def _png(path: Path, color: tuple[int, int, int]) -> None:
    Image.new("RGB", (64, 48), color).save(path)


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory) -> Path:
    """A runs folder as the tasks write it: a fit run (no model) and an mnist run (model)."""
    root = tmp_path_factory.mktemp("runs")
    fit = root / RUN_FIT
    fit.mkdir()
    (fit / "run.json").write_text(json.dumps({"task": "fit", "options": {"expr": "sin(x)"}}))
    (fit / "config.json").write_text(json.dumps({"input_size": 1, "hidden": [{"width": 64}]}))
    lines = [
        {"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.2 / e, "val_mse": 0.5 / e, "seconds": 0.1}
        for e in range(1, 6)
    ]
    lines.insert(2, "not json")
    (fit / "metrics.jsonl").write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    )
    (fit / "result.json").write_text(
        json.dumps({"task": "fit", "metrics": {"test_mse": 1e-4, "max_abs_error": 0.02}})
    )
    _png(fit / "fit.png", (200, 30, 30))
    _png(fit / "loss.png", (30, 30, 200))
    (fit / "notes.txt").write_text("not a plot")

    mnist = root / RUN_MNIST
    mnist.mkdir()
    model, accuracy = _tiny_mnist_model()
    model.save(mnist / "model.npz")
    (mnist / "run.json").write_text(json.dumps({"task": "mnist", "options": {"epochs": 2}}))
    (mnist / "config.json").write_text(json.dumps(model.spec.to_dict()))
    (mnist / "metrics.jsonl").write_text(
        json.dumps({"epoch": 1, "train_loss": 0.9, "val_accuracy": 0.8})
        + "\n"
        + json.dumps({"epoch": 2, "train_loss": 0.5, "val_accuracy": accuracy})
        + "\n"
    )
    (mnist / "result.json").write_text(
        json.dumps({"task": "mnist", "metrics": {"test_accuracy": accuracy}})
    )
    _png(mnist / "confusion.png", (30, 160, 30))
    (root / "not-a-run").mkdir()  # no run files: not listed
    return root


@pytest.fixture(scope="session")
def demo_runs_dir(tmp_path_factory, runs_dir) -> Path:
    """A runs folder as `make demo` leaves it (runs/demo-<time>/{mnist,fit,binary}, made by
    `fcnet demo --quick`), the fit run of `runs_dir`, and a nested 300-epoch fit run."""
    import shutil

    from fcnet.cli.demo import run_demo

    root = tmp_path_factory.mktemp("demo-runs")
    run_demo(out=root / DEMO, quick=True, quiet=True)
    shutil.copytree(runs_dir / RUN_FIT, root / RUN_FIT)
    long = root / RUN_LONG
    long.mkdir(parents=True)
    (long / "run.json").write_text(json.dumps({"task": "fit", "options": {"expr": "x**2"}}))
    (long / "config.json").write_text(
        json.dumps({"input_size": 1, "hidden": [{"width": 16}], "output_size": 1})
    )
    records = [
        {"epoch": e, "train_loss": 2.0 / e, "val_loss": 2.5 / e, "seconds": 0.01}
        for e in range(1, 301)
    ]
    (long / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (long / "result.json").write_text(
        json.dumps({"task": "fit", "metrics": {"test_mse": 0.008}, "expr": "x**2"})
    )
    return root


@pytest.fixture(scope="session")
def demo_server(demo_runs_dir):
    with LiveServer(demo_runs_dir) as server:
        yield server


@pytest.fixture(scope="session")
def live_server(runs_dir):
    with LiveServer(runs_dir) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless (a missing one fails the tests that need it: `make test`
    installs it, so nothing is skipped)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh tab at 1280x800 that may reach only the studio server."""
    with studio_page(browser, live_server) as p:
        yield p


@pytest.fixture
def demo_page(browser, demo_server):
    """A fresh tab at 1280x800 on the studio serving `demo_runs_dir`."""
    with studio_page(browser, demo_server) as p:
        yield p


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
