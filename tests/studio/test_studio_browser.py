"""The studio in a real browser: Debian's Chromium driven by Playwright against a live server.

Screenshots of each page go to tests/artifacts/ (ignored by git).
"""

from __future__ import annotations

import httpx
import pytest
from studio_support import DEMO, RUN_FIT, RUN_LONG, RUN_MNIST, studio_page

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
    assert page.inner_text("#status").startswith("Not started")
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


BAD_RED = "rgb(180, 35, 24)"  # --bad in studio.css
COLOR = "(sel) => getComputedStyle(document.querySelector(sel)).color"


def test_a_refused_expression_clears_the_fit_and_says_why_in_red(page, live_server):
    page.goto(live_server.url + "/fit")
    fill_fit(page, "abs(x)", steps=40, every=20)
    page.click("#train")
    page.wait_for_function("window.fitState.status === 'done'", timeout=30_000)
    assert page.evaluate(CURVE_POINTS) == 200
    fill_fit(page, "log(x)")  # not finite on [-3, 3]
    page.click("#train")
    page.wait_for_selector("#error:not([hidden])")
    assert "not finite" in page.inner_text("#error")
    lengths = page.evaluate(
        "() => [Chart.getChart('curve'), Chart.getChart('loss')]"
        ".flatMap(c => c.data.datasets.map(d => d.data.length))"
    )
    assert lengths == [0, 0, 0, 0]  # target, network, kinks, loss: the old fit is gone
    assert page.inner_text("#status").startswith("Not started")
    assert page.evaluate(COLOR, "#status") == BAD_RED
    assert page.evaluate(COLOR, "#error") == BAD_RED
    assert page.is_disabled("#save")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"x_min": 2, "x_max": 1}, '"x from" must be less than "to", got 2 and 1'),
        ({"x_min": ""}, '"x from": expected a number, got nothing'),
        ({"x_max": 1e9}, '"to": expected a number of at most 1000'),
        ({"width": 5000}, '"hidden width": expected a number of at most 1024'),
        ({"lr": 0}, '"learning rate": expected a number greater than 0'),
        ({"every": 0}, '"update every": expected a number of at least 1'),
    ],
)
def test_fit_errors_use_the_forms_own_labels(page, live_server, fields, message):
    page.goto(live_server.url + "/fit")
    fill_fit(page, "sin(x)", **fields)
    page.click("#train")
    page.wait_for_selector("#error:not([hidden])")
    text = page.inner_text("#error")
    assert text.startswith(message), text
    assert "x_min" not in text and "x_max" not in text


def test_status_says_paused_while_paused(page, live_server):
    page.goto(live_server.url + "/fit")
    fill_fit(page, "sin(x)", steps=20000, every=1)
    page.click("#train")
    page.wait_for_function("window.fitState.step >= 20", timeout=30_000)
    page.click("#pause")
    page.wait_for_function("window.fitState.status === 'paused'")
    page.wait_for_timeout(800)  # updates sent before the pause arrive meanwhile
    status = page.inner_text("#status")
    assert status.startswith("paused at step "), status
    step = page.evaluate("window.fitState.step")
    page.wait_for_timeout(400)
    assert page.evaluate("window.fitState.step") == step  # nothing trains while paused
    page.click("#pause")  # resume
    page.wait_for_function(f"window.fitState.step > {step}")
    assert not page.inner_text("#status").startswith("paused")
    page.click("#stop")
    page.wait_for_function("window.fitState.status === 'stopped'")


def test_the_target_is_drawn_above_the_fit(page, live_server, artifacts):
    page.goto(live_server.url + "/fit")
    fill_fit(page, "sin(2*x)", width=32, steps=1000, every=100)
    page.click("#train")
    page.wait_for_function("window.fitState.status === 'done'", timeout=60_000)
    # Chart.js draws the sorted datasets last to first: the first is on top.
    on_top = page.evaluate(
        "() => { const c = Chart.getChart('curve');"
        " return c.data.datasets[c.getSortedVisibleDatasetMetas()[0].index].label; }"
    )
    assert on_top == "target f(x)"
    # Where the fit lies on the target, the pixels are the target's (dark), not the fit's.
    dark = page.evaluate(
        """() => {
        const c = Chart.getChart('curve'), ctx = c.ctx, r = window.devicePixelRatio || 1;
        const pts = c.data.datasets[0].data;
        let dark = 0, n = 0;
        for (let i = 20; i < pts.length - 20; i += 8) {
          const px = c.scales.x.getPixelForValue(pts[i].x);
          const py = c.scales.y.getPixelForValue(pts[i].y);
          const d = ctx.getImageData(Math.round(px * r), Math.round(py * r), 1, 1).data;
          n++; if (d[0] < 90 && d[1] < 90 && d[2] < 110) dark++;
        }
        return dark / n; }"""
    )
    assert dark > 0.8
    page.locator("#curve").screenshot(path=artifacts / "studio-fit-target-on-top.png")


def test_a_fit_is_saved_as_a_run_and_opens_on_the_runs_page(browser, tmp_path):
    from studio_support import LiveServer

    with LiveServer(tmp_path / "runs") as server, studio_page(browser, server) as page:
        page.goto(server.url + "/fit")
        assert page.is_disabled("#save")
        fill_fit(page, "abs(x)", width=8, steps=200, every=50)
        page.click("#train")
        page.wait_for_function("window.fitState.status === 'done'", timeout=30_000)
        page.click("#save")
        page.wait_for_function("window.fitState.saved !== null")
        name = page.evaluate("window.fitState.saved")
        assert (tmp_path / "runs" / name / "model.npz").is_file()
        assert page.inner_text("#saved").startswith("Saved as ")
        page.click("#saved a")
        page.wait_for_selector(f"#pane-a[data-run='{name}']")
        assert page.inner_text("#pane-a h2").startswith("A: fit · f = abs(x) · 1-8-1 · test mse")
        series = page.evaluate(
            "() => Chart.getChart(document.querySelector('#pane-a canvas[data-chart=loss]'))"
            ".data.datasets.map(d => [d.label, d.data.length])"
        )
        assert series == [["train_loss", 4]]
        assert page.js_errors == []


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
    # The Digits page offers the demo's nested MNIST model.
    page.goto(demo_server.url + "/digits")
    page.wait_for_function(f"document.querySelector('#model').value === 'run:{DEMO}/mnist'")
    assert page.is_hidden("#skipped")


def test_a_broken_run_is_named_with_its_problem_and_the_rest_are_listed(
    browser, runs_dir, tmp_path
):
    import os
    import shutil

    from studio_support import LiveServer

    root = tmp_path / "runs"
    shutil.copytree(runs_dir / RUN_FIT, root / RUN_FIT)
    shutil.copytree(runs_dir / RUN_MNIST, root / RUN_MNIST)
    (root / "broken").mkdir()
    os.mkfifo(root / "broken" / "result.json")
    (root / "broken" / "config.json").symlink_to("/dev/zero")
    with LiveServer(root) as server, studio_page(browser, server) as page:
        page.goto(server.url + "/runs")
        page.wait_for_selector("#pane-b[data-run]")
        assert page.locator("#runs-table tbody tr").count() == 2
        text = page.inner_text("#skipped")
        assert "1 run folder(s) skipped" in text
        assert "broken: result.json: is a FIFO (named pipe), expected a regular file" in text
        assert "config.json: a link leading out of its folder; refused" in text
        page.goto(server.url + "/digits")
        page.wait_for_function(f"document.querySelector('#model').value === 'run:{RUN_MNIST}'")
        assert "skipped broken: result.json: is a FIFO" in page.inner_text("#skipped")
        assert page.js_errors == []


def test_on_a_phone_train_and_drawing_bring_the_result_into_view(page, live_server, artifacts):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/fit")
    top = "(sel) => document.querySelector(sel).getBoundingClientRect().top"
    assert page.evaluate(top, "#charts") > 844 / 2  # below the form, mostly out of view
    fill_fit(page, "abs(x)", steps=40, every=20)
    page.click("#train")
    page.wait_for_function("window.fitState.status === 'done'", timeout=30_000)
    assert 0 <= page.evaluate(top, "#charts") < 844 / 2
    page.screenshot(path=artifacts / "studio-fit-phone-trained.png")

    page.set_viewport_size({"width": 375, "height": 667})  # a small phone
    page.goto(live_server.url + "/digits")
    page.wait_for_function(f"document.querySelector('#model').value === 'run:{RUN_MNIST}'")
    assert page.evaluate(top, "#prediction") > 667  # below the pad, out of view
    box = page.locator("#pad").bounding_box()
    s = box["width"] / 280
    page.mouse.move(box["x"] + 120 * s, box["y"] + 75 * s)
    page.mouse.down()
    page.mouse.move(box["x"] + 148 * s, box["y"] + 50 * s, steps=5)
    page.mouse.move(box["x"] + 145 * s, box["y"] + 230 * s, steps=20)
    page.mouse.up()
    page.wait_for_function("window.digitsState.prediction !== null")
    rect = page.evaluate(
        "() => { const r = document.querySelector('#prediction').getBoundingClientRect();"
        " return [r.top, r.bottom]; }"
    )
    assert 0 <= rect[0] and rect[1] < 668, rect  # (to the sub-pixel)
    page.screenshot(path=artifacts / "studio-digits-phone-drawn.png")


def test_a_page_on_another_site_cannot_stop_a_training(browser, live_server):
    """Chromium itself, on a page of another origin, sends a simple cross-origin POST and
    submits a form to the studio: the session it names is left alone."""
    sid = httpx.post(live_server.url + "/api/fit", json={"expr": "x"}).json()["session"]
    evil = "http://evil.example"
    stop = f"{live_server.url}/api/sessions/{sid}/stop"
    html = f"""<!doctype html><form id=f method=post action="{stop}" enctype="text/plain">
      <input name='{{"a":' value='1}}'></form><script>
      fetch("{stop}", {{method: "POST", mode: "no-cors", body: "{{}}"}})
        .finally(() => {{ window.sent = true; }});
      </script>"""
    context = browser.new_context()
    context.route(f"{evil}/**", lambda route: route.fulfill(body=html, content_type="text/html"))
    statuses: list[int] = []
    page = context.new_page()
    page.on("response", lambda r: statuses.append(r.status) if "/stop" in r.url else None)
    page.goto(f"{evil}/attack")
    page.wait_for_function("window.sent === true")
    with page.expect_navigation():
        page.evaluate("document.getElementById('f').submit()")
    context.close()
    assert live_server.session(sid).status == "created"  # not stopped
    assert statuses and all(s in (403, 415) for s in statuses), statuses


def test_pages_fit_a_phone_screen(page, live_server, artifacts):
    page.set_viewport_size({"width": 390, "height": 844})
    for name in ("fit", "digits", "runs", "exercises"):
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
