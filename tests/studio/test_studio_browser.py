"""The studio in a real browser: Debian's Chromium driven by Playwright against a live server.

Screenshots of each page go to tests/artifacts/ (ignored by git).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from studio_support import CHROMIUM, DEMO, RUN_FIT, RUN_LONG, RUN_MNIST


@pytest.fixture(autouse=True, scope="module")
def _chromium_is_there():
    """A missing browser fails these tests (a skip would pass unseen): install it."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")


CURVE_POINTS = "() => Chart.getChart('curve').data.datasets[1].data.length"
KINKS = "() => Chart.getChart('curve').data.datasets[2].data.length"
LOSS_POINTS = "() => Chart.getChart('loss').data.datasets[0].data.length"


def fill_fit(page, expr: str, **fields) -> None:
    page.fill("#expr", expr)
    for name, value in fields.items():
        page.fill(f"#{name}", str(value))


def test_fit_page_trains_sin_2x_and_draws_the_curve(page, live_server, artifacts):
    page.goto(live_server.url + "/fit")
    assert page.title() == "Fit · fcnet studio"
    fill_fit(page, "sin(2*x)", width=32, steps=1000, every=20)
    page.click("#train")
    page.wait_for_function("window.fitState.status === 'done'", timeout=60_000)
    loss = page.evaluate("window.fitState.loss")
    assert loss < 0.01  # sin(2x) on [-3, 3] has variance 0.5: the fit is close
    assert page.evaluate(CURVE_POINTS) == 200
    assert 0 < page.evaluate(KINKS) <= 32
    assert page.evaluate(LOSS_POINTS) == 50
    first, last = page.evaluate(
        "() => { const d = Chart.getChart('loss').data.datasets[0].data;"
        " return [d[0].y, d[d.length - 1].y]; }"
    )
    assert last < first / 10
    assert "done: 1000 steps" in page.inner_text("#status")
    assert page.is_hidden("#error")
    assert page.js_errors == []
    page.screenshot(path=artifacts / "studio-fit.png")


def test_fit_page_shows_a_bad_expression_and_the_server_keeps_serving(page, live_server, artifacts):
    page.goto(live_server.url + "/fit")
    fill_fit(page, '__import__("os")')
    page.click("#train")
    page.wait_for_selector("#error:not([hidden])")
    text = page.inner_text("#error")
    assert "unknown function '__import__'" in text
    assert page.inner_text("#status") == "Not started."
    page.screenshot(path=artifacts / "studio-fit-error.png")
    # The server still serves: another request, and a good expression trains.
    assert httpx.get(live_server.url + "/api/health").json()["ok"] is True
    fill_fit(page, "abs(x)", steps=40, every=20)
    page.click("#train")
    page.wait_for_function("window.fitState.status === 'done'", timeout=30_000)
    assert page.is_hidden("#error")
    # A bound broken in the form is refused by the server, with its message shown.
    fill_fit(page, "x", width=5000)
    page.click("#train")
    page.wait_for_selector("#error:not([hidden])")
    assert "width" in page.inner_text("#error") and "1024" in page.inner_text("#error")


def test_digits_page_predicts_a_drawn_one(page, live_server, artifacts):
    page.goto(live_server.url + "/digits")
    page.wait_for_function(f"document.querySelector('#model').value === 'run:{RUN_MNIST}'")
    box = page.locator("#pad").bounding_box()
    s = box["width"] / 280  # the stroke in the pad's own 280x280 coordinates

    def at(x: float, y: float) -> tuple[float, float]:
        return box["x"] + x * s, box["y"] + y * s

    page.mouse.move(*at(120, 75))
    page.mouse.down()
    page.mouse.move(*at(148, 50), steps=5)
    page.mouse.move(*at(145, 230), steps=20)
    page.mouse.up()
    page.wait_for_function(
        "window.digitsState.prediction !== null && window.digitsState.answered >= 2"
    )
    page.wait_for_timeout(300)  # the last stroke's answer
    state = page.evaluate("window.digitsState")
    assert state["prediction"] == 1
    assert abs(sum(state["probs"]) - 1) < 1e-6
    assert page.inner_text("#prediction").startswith("1")
    # The 28x28 input the network saw is drawn: some bright pixels, centred.
    bright = page.evaluate(
        "() => { const d = document.querySelector('#seen').getContext('2d')"
        ".getImageData(0, 0, 28, 28).data; let n = 0;"
        " for (let i = 0; i < d.length; i += 4) if (d[i] > 128) n++; return n; }"
    )
    assert 10 < bright < 200
    bars = page.evaluate("() => Chart.getChart('probs').data.datasets[0].data")
    assert bars == state["probs"]
    page.screenshot(path=artifacts / "studio-digits.png")
    page.click("#clear")
    assert page.inner_text("#prediction") == "–"
    assert page.js_errors == []


def test_runs_page_shows_two_runs_side_by_side(page, live_server, artifacts):
    page.goto(live_server.url + "/runs")
    page.wait_for_selector(f"#pane-a[data-run='{RUN_MNIST}']")
    page.wait_for_selector(f"#pane-b[data-run='{RUN_FIT}']")
    assert page.locator("#runs-table tbody tr").count() == 2
    # B: the fit run's two loss-like series drawn from metrics.jsonl, and its two plots.
    series = page.evaluate(
        "() => Chart.getChart(document.querySelector('#pane-b canvas[data-chart=loss]'))"
        ".data.datasets.map(d => [d.label, d.data.length])"
    )
    assert series == [["train_loss", 5], ["val_loss", 5], ["val_mse", 5]]
    page.wait_for_function(
        "() => [...document.querySelectorAll('#pane-b img')].every(i => i.naturalWidth === 64)"
    )
    assert page.locator("#pane-b img").count() == 2
    assert "test_accuracy" in page.inner_text("#pane-a")
    # Swap: show the fit run in A too.
    page.click(f"button[data-run='{RUN_FIT}'][data-side='a']")
    page.wait_for_selector(f"#pane-a[data-run='{RUN_FIT}']")
    page.screenshot(path=artifacts / "studio-runs.png", full_page=True)
    assert page.js_errors == []


def test_runs_page_lists_nested_runs_by_label_and_compares_two(demo_page, demo_server, artifacts):
    page = demo_page
    page.goto(demo_server.url + "/runs")
    page.wait_for_selector("#pane-b[data-run]")
    rows = page.locator("#runs-table tbody tr")
    assert rows.count() == 5  # the three of `fcnet demo`, one level down, and two more
    labels = page.locator("#runs-table .run-label").all_inner_texts()
    assert any(t.startswith("mnist · MNIST digits · 784-64-10 · test accuracy ") for t in labels)
    assert any(t.startswith("binary · MNIST 4 vs 9 · 784-16-1 · test auc ") for t in labels)
    assert "fit · f = x**2 · 1-16-1 · test mse 0.008" in labels
    assert page.is_hidden("#skipped")
    # A: the nested 300-epoch run, B: a 5-epoch one. Compare draws both on one chart.
    page.click(f"button[data-run='{RUN_LONG}'][data-side='a']")
    page.click(f"button[data-run='{RUN_FIT}'][data-side='b']")
    page.wait_for_selector(f"#pane-a[data-run='{RUN_LONG}']")
    page.wait_for_selector(f"#pane-b[data-run='{RUN_FIT}']")
    page.wait_for_function("Chart.getChart('compare-chart') !== undefined")
    compare = page.evaluate(
        "() => { const c = Chart.getChart('compare-chart'); return {"
        " metric: document.querySelector('#compare-metric').value,"
        " sets: c.data.datasets.map(d => [d.label, d.data.length, d.pointRadius]),"
        " x: c.options.scales.x.title.text, y: c.options.scales.y.type }; }"
    )
    assert compare["metric"] == "val_loss" and compare["x"] == "epoch"
    assert compare["y"] == "logarithmic"
    (label_a, n_a, radius_a), (label_b, n_b, radius_b) = compare["sets"]
    assert label_a == "A: fit · f = x**2 · 1-16-1 · test mse 0.008" and n_a == 300
    assert label_b.startswith("B: fit · f = sin(x)") and n_b == 5
    assert radius_a == 0 and radius_b > 0  # 300 epochs: a line, not a band of markers
    page.select_option("#compare-metric", "train_loss")
    page.wait_for_function(
        "Chart.getChart('compare-chart').options.plugins.title.text.startsWith('train_loss')"
    )
    radii = page.evaluate(
        "() => Chart.getChart(document.querySelector('#pane-a canvas[data-chart=loss]'))"
        ".data.datasets.map(d => d.pointRadius)"
    )
    assert radii == [0, 0]
    page.screenshot(path=artifacts / "studio-runs-compare.png", full_page=True)
    # The nested mnist run of the demo: its plots load through its nested name.
    page.click(f"button[data-run='{DEMO}/mnist'][data-side='b']")
    page.wait_for_selector(f"#pane-b[data-run='{DEMO}/mnist']")
    page.wait_for_function(
        "() => { const i = [...document.querySelectorAll('#pane-b img')];"
        " return i.length >= 3 && i.every(x => x.complete && x.naturalWidth > 100); }"
    )
    assert "no metric in common" not in page.inner_text("#compare")
    assert page.js_errors == []


def test_pages_fit_a_phone_screen(page, live_server, artifacts):
    page.set_viewport_size({"width": 390, "height": 844})
    for name in ("fit", "digits", "runs"):
        page.goto(f"{live_server.url}/{name}")
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} scrolls sideways at 390 px ({width} px wide)"
        page.screenshot(path=artifacts / f"studio-{name}-phone.png", full_page=True)


def test_tabs_train_independently_and_closing_one_stops_it(browser, live_server):
    ids = []
    pages = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        p = context.new_page()
        p.goto(live_server.url + "/fit")
        fill_fit(p, "sin(x)", steps=20000, every=5)
        p.click("#train")
        p.wait_for_function("window.fitState.step >= 10", timeout=30_000)
        ids.append(p.evaluate("window.fitState.session"))
        pages.append((context, p))
    assert ids[0] != ids[1]
    # Closing the first tab drops its event stream: its training stops; the other goes on.
    pages[0][0].close()
    first, second = live_server.session(ids[0]), live_server.session(ids[1])
    pages[1][1].wait_for_function(
        "() => { window._step = window._step || window.fitState.step;"
        " return window.fitState.step > window._step + 50; }",
        timeout=30_000,
    )
    for _ in range(100):
        if first.status == "stopped":
            break
        pages[1][1].wait_for_timeout(50)
    assert first.status == "stopped"
    assert second.status in ("running", "paused")
    # The second tab's Pause and Stop work.
    pages[1][1].click("#pause")
    pages[1][1].wait_for_function("window.fitState.status === 'paused'")
    assert second.status == "paused"
    pages[1][1].click("#stop")
    pages[1][1].wait_for_function("window.fitState.status === 'stopped'")
    for _ in range(100):
        if second.status == "stopped":
            break
        pages[1][1].wait_for_timeout(50)
    assert second.status == "stopped"
    pages[1][0].close()
