"""/backprop?explain=FILE in Chromium: the learner's numbers beside fcnet's, the differing
entries marked by colour and by a ✗, the formula typeset, the first departure said in a
sentence, in English and in Chinese."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from studio_support import LiveServer, studio_page

SOLUTIONS = Path(__file__).resolve().parents[1] / "learn" / "solutions"
MASK_GE = "\n\ndef relu_backward(grad_a, z):\n    return grad_a * (z >= 0)\n"
NAME = "week1/backprop wrong.py"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("exercises")
    (root / "week1").mkdir()
    (root / NAME).write_text((SOLUTIONS / "backprop_ref.py").read_text() + MASK_GE)
    with LiveServer(root / "runs") as live:
        live.app.state.exercise_root = root
        yield live


def open_explained(page, server, name: str = NAME) -> None:
    page.goto(f"{server.url}/backprop?explain={quote(name, safe='')}")
    page.wait_for_function("window.bpExplain && window.bpExplain.status !== 'loading'")


def test_the_first_departure_is_marked_and_said(browser, server, artifacts):
    with studio_page(browser, server) as page:
        open_explained(page, server)
        assert page.evaluate("window.bpExplain.status") == "done"
        sentence = page.text_content("#explain-sentence")
        assert "your δ^(1) departs from fcnet's here" in sentence
        assert "relu_backward is wrong given right inputs" in sentence
        assert (
            page.get_attribute("#explain-chain button[data-key='delta1']", "aria-pressed") == "true"
        )
        assert "✗" in page.text_content("#explain-chain button[data-key='delta1']")
        assert "✓" in page.text_content("#explain-chain button[data-key='z1']")
        # sample 0, hidden unit 1 sits at z = 0: the one entry where the mask differs
        marked = page.locator("#explain-yours td.diff")
        assert marked.count() == 1
        assert (
            marked.first.get_attribute("data-i") == "0"
            and marked.first.get_attribute("data-j") == "1"
        )
        assert marked.first.text_content().startswith("✗ ")  # not by colour alone
        assert page.locator("#explain-fcnet td.diff").first.text_content() == "✗ 0"
        assert page.locator("#explain-tex .katex").count() == 1
        assert "relu_backward(dx2, z1)" in page.text_content("#explain-call")
        assert "wrong given right inputs" in page.text_content("#explain-verdict")
        page.screenshot(path=str(artifacts / "backprop-explain-en.png"), full_page=True)
        page.click("#explain-chain button[data-key='dW1']")
        assert "inherits an earlier difference" in page.text_content("#explain-verdict")
        assert page.locator("#explain-yours td.diff").count() > 0
        page.click("#explain-chain button[data-key='z1']")
        assert page.locator("#explain-yours td.diff").count() == 0
        # the drawing: fcnet's network with the same weights, on sample 1 (no unit at z = 0)
        page.wait_for_function(
            "window.bpState.status === 'idle' && document.querySelector('#sizes').value === '3,4,3'"
        )
        z1 = page.evaluate("window.bpExplain.doc.quantities[0].fcnet[1]")
        page.click("#forward")
        page.wait_for_function("window.bpState.status === 'forward'")
        shown = [
            float(page.get_attribute(f"#net .node[data-l='1'][data-j='{j}']", "data-z"))
            for j in range(4)
        ]
        assert shown == pytest.approx(z1) and 0.0 not in shown
        assert "bad" not in (page.get_attribute("#check", "class") or "")
        assert page.js_errors == []


def test_the_page_speaks_chinese(browser, server, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        open_explained(page, server)
        page.wait_for_function(
            "document.querySelector('#explain-title').textContent.includes('并排')"
        )
        assert "你的 δ^(1) 从这里开始偏离 fcnet 的数值" in page.text_content("#explain-sentence")
        assert "relu_backward 在正确的输入上也算错了" in page.text_content("#explain-verdict")
        assert page.locator("#explain-yours td.diff").count() == 1
        assert "第 1 层" in page.text_content("#explain-chain")
        page.screenshot(path=str(artifacts / "backprop-explain-zh.png"), full_page=True)
        assert errors == []
    finally:
        context.close()


def test_a_missing_file_is_one_line_on_the_page(browser, server):
    with studio_page(browser, server) as page:
        open_explained(page, server, "week1/absent.py")
        assert page.evaluate("window.bpExplain.status") == "error"
        assert "absent.py: no such file" in page.text_content("#explain-message")
        assert page.is_visible("#explain-message")
