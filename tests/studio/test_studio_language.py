"""The studio in Chinese and English: the pages' texts, the switch, the server's errors."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from studio_support import ARTIFACTS, CHROMIUM, RUN_MNIST, local_client

from fcnet.studio import create_app
from fcnet.studio.i18n import STATIC_DIR, html_messages, request_language


@pytest.fixture
def client(tmp_path):
    with local_client(create_app(tmp_path / "runs")) as c:
        yield c


def test_page_units_are_extracted_as_i18n_js_looks_them_up():
    units = html_messages(STATIC_DIR / "fit.html")
    assert "Type a function of x and press Train." in units
    assert "Fit · fcnet studio" in units and "target and fitted curve" in units  # title, aria
    assert "relu" not in units and "f(x) =" not in units  # identifiers, no words
    runs = html_messages(STATIC_DIR / "runs.html")
    assert any(u.startswith("The run folders written by <code>fcnet fit</code>,") for u in runs)


def test_api_serves_the_translations_of_the_pages(client):
    zh = client.get("/api/i18n", params={"lang": "zh"}).json()
    assert zh["lang"] == "zh"
    assert zh["messages"]["Train"] == "训练"
    assert (
        zh["messages"]["step {step} / {steps} · loss {loss}"]
        == "第 {step} / {steps} 步 · 损失 {loss}"
    )
    en = client.get("/api/i18n", params={"lang": "en"}).json()
    assert en == {"lang": "en", "messages": {}}
    # without ?lang the request's language decides
    assert (
        client.get("/api/i18n", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).json()["lang"]
        == "zh"
    )


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, 'bad expression "x^^2": syntax error'),
        ({"Cookie": "fcnet_lang=zh"}, '表达式 "x^^2" 有误：语法错误'),
        ({"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}, '表达式 "x^^2" 有误：语法错误'),
        ({"Accept-Language": "zh-CN", "Cookie": "fcnet_lang=en"}, "bad expression"),
    ],
)
def test_server_errors_follow_the_requests_language(client, headers, expected):
    r = client.post("/api/fit", json={"expr": "x^^2"}, headers=headers)
    assert r.status_code == 400
    assert r.json()["error"].startswith(expected)


@pytest.mark.parametrize(
    ("path", "body", "english", "chinese"),
    [
        (
            "/api/backprop/step",
            {"sizes": [2, 3, 2], "x": [0.5, -1.0], "y": 7},
            "y: expected a class index from 0 to 1, got 7",
            "y：类别下标应在 0 到 1 之间，实际为 7",
        ),
        (
            "/api/backprop/step",
            {"sizes": [2, 3, 1], "x": [0.5, -1.0], "y": 0},
            "sizes: cross_entropy needs an output of at least 2 classes, got 1",
            "sizes：交叉熵损失（cross_entropy）的输出层至少要有 2 个类别，实际为 1",
        ),
        (
            "/api/backprop/train",
            {"sizes": [3, 2], "dataset": "moons", "steps": 1},
            "sizes: a 2-D data set with cross_entropy needs 2 inputs and 2 output(s), got 3-2",
            "sizes：在二维数据集上使用 cross_entropy 需要 2 个输入和 2 个输出，实际为 3-2",
        ),
    ],
)
def test_backprop_api_errors_follow_the_requests_language(client, path, body, english, chinese):
    r = client.post(path, json=body)
    assert (r.status_code, r.json()["error"]) == (400, english)
    r = client.post(path, json=body, headers={"Cookie": "fcnet_lang=zh"})
    assert (r.status_code, r.json()["error"]) == (400, chinese)


def test_request_language_tolerates_bad_headers():
    assert request_language({"cookie": "=;;=", "accept-language": "fr-FR, zh;q=0.5"}) == "zh"
    assert request_language({"cookie": "fcnet_lang=klingon"}) in ("en", "zh")


def test_the_language_cookie_is_read_in_linear_time_and_long_ones_go_no_further():
    from fcnet.studio.middleware import bounded_cookie

    hostile = 'fcnet_lang="' + "\\" * 100_000 + '"'  # 30 s in http.cookies (CVE-2024-7592)
    t = time.monotonic()
    assert request_language({"cookie": hostile, "accept-language": "zh"}) == "zh"
    assert request_language({"cookie": "theme=dark; fcnet_lang=zh"}) == "zh"
    assert time.monotonic() - t < 1.0
    assert bounded_cookie(b"theme=dark; fcnet_lang=zh; id=42") == b"fcnet_lang=zh"
    assert bounded_cookie(hostile.encode()) is None  # too long: no cookie reaches FastAPI
    assert bounded_cookie(b'fcnet_lang="\\\\"') is None  # nothing to unquote
    assert bounded_cookie(b"theme=dark") is None


@pytest.fixture
def zh_context(browser, live_server):
    """A browser whose preferred language is Chinese, reaching only the studio."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
        ),
    )
    yield context
    context.close()


def test_browser_language_switch_and_memory(zh_context, live_server):
    page = zh_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server.url + "/fit")
    page.wait_for_function("(document.querySelector('#train') || {}).textContent === '训练'")
    assert page.title() == "拟合 · fcnet studio"
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.inner_text("#status") == "输入一个关于 x 的函数，然后点击“训练”。"
    assert page.inner_text("header nav").split()[:3] == ["拟合", "数字", "运行记录"]
    # a server error comes back in the page's language
    page.fill("#expr", "x^^2")
    page.click("#train")
    page.wait_for_selector("#error:not([hidden])")
    assert page.inner_text("#error").startswith('表达式 "x^^2" 有误')
    assert page.inner_text("#status") == "尚未开始：表单未通过检查（见上方提示）。"  # fit.js t()
    # the inline-markup unit of the Runs page keeps its <code> elements
    page.goto(live_server.url + "/runs")
    page.wait_for_function(
        "((document.querySelector('#runs-hint') || {}).textContent || '').startsWith('由')"
    )
    assert page.locator("#runs-hint code").count() == 4
    # switch to English: remembered in this browser, over its preferred language
    page.select_option("#lang", "en")
    page.wait_for_function("(document.querySelector('h1') || {}).textContent === 'Runs'")
    other = zh_context.new_page()
    other.goto(live_server.url + "/fit")
    other.wait_for_load_state("load")
    assert other.inner_text("#train") == "Train"
    assert other.evaluate("localStorage.getItem('fcnet.lang')") == "en"
    assert errors == []


# Every text a user reads on a page, with where it is: the visible text of the controls
# (code, pre, select menus of identifiers, table cells of run data and SVG numbers left
# out), the placeholder/title/aria-label attributes, and the charts' legends, axis titles
# and titles (drawn on a canvas, so read from Chart.js).
VISIBLE_TEXTS = """() => {
  const out = [];
  const skip = "code, pre, select, svg, td, .small-note, .run-label, figcaption, #lang, .katex";
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.data.trim() || el.closest(skip) || el.closest("[hidden]")) continue;
    if (!el.getClientRects().length) continue;
    out.push(["text", n.data.trim()]);
  }
  // the Digits page's model menu: a run's name, then what the server says of it
  document.querySelectorAll("main #model option:checked").forEach((o) => {
    const text = o.textContent;
    out.push(["model menu", text.includes("(") ? text.slice(text.indexOf("(")) : text]);
  });
  document.querySelectorAll("main [placeholder], main [title], main [aria-label]").forEach((el) => {
    ["placeholder", "title", "aria-label"].forEach((a) => {
      if (el.getAttribute(a)) out.push([a, el.getAttribute(a)]);
    });
  });
  Object.values(Chart.instances).forEach((c) => {
    c.data.datasets.forEach((d) => out.push(["legend", String(d.label || "")]));
    Object.values(c.options.scales || {}).forEach((s) => {
      if (s.title && s.title.display) out.push(["axis", String(s.title.text)]);
    });
    const title = c.options.plugins && c.options.plugins.title;
    if (title && title.display) out.push(["chart title", String(title.text)]);
  });
  return out;
}"""
# Words that stay as they are in Chinese: names, abbreviations, the commands (a run's
# task), the formulas' functions.
KEPT = {"fcnet", "studio", "ReLU", "MSE", "AUC", "SGD", "MNIST", "numpy", "float", "lr"}
KEPT |= {"fit", "mnist", "binary", "sin", "cos", "exp"}
IDENTIFIER = re.compile(r"\b\w*_\w*\b|\b[\w.-]+\.(?:json|jsonl|png|npz)\b|\bf\(x\)|\b[A-Za-z]\b")


def english_words(texts: list[list[str]]) -> list[str]:
    """The English words left in `texts` ([where, text] pairs), each with its text."""
    found = []
    for where, text in texts:
        words = re.findall(r"[A-Za-z]{2,}", IDENTIFIER.sub(" ", text))
        left = [w for w in words if w not in KEPT]
        if left:
            found.append(f"{where}: {text!r} ({', '.join(left)})")
    return found


def test_english_words_finds_words_and_keeps_names():
    texts = [
        ["text", "训练中：第 3 步，损失 0.5"],
        ["legend", "train_loss"],
        ["text", "ReLU 开启处（x = −b/w）"],
        ["axis", "step"],
        ["text", "第 2 步 · loss 0.1"],
    ]
    assert english_words(texts) == ["axis: 'step' (step)", "text: '第 2 步 · loss 0.1' (loss)"]


def assert_chinese(page) -> None:
    left = english_words(page.evaluate(VISIBLE_TEXTS))
    assert not left, "English left on the page:\n" + "\n".join(left)


def zh_page(zh_context, url: str):
    page = zh_context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    page.goto(url)
    page.wait_for_function("document.documentElement.dataset.i18n === 'zh'")
    return page


def test_fit_page_in_chinese_after_training_and_a_refused_expression(zh_context, live_server):
    page = zh_page(zh_context, live_server.url + "/fit")
    page.wait_for_function("(document.querySelector('#train') || {}).textContent === '训练'")
    page.fill("#expr", "sin(x)")
    page.fill("#steps", "40")
    page.fill("#every", "20")
    page.click("#train")
    page.wait_for_function("window.fitState.status === 'done'", timeout=30_000)
    assert page.inner_text("#status").startswith("完成")  # fit.js's t() message
    assert_chinese(page)
    page.fill("#expr", "x^^2")
    page.click("#train")
    page.wait_for_selector("#error:not([hidden])")
    assert_chinese(page)
    page.fill("#expr", "x")
    page.fill("#x_min", "2")
    page.fill("#x_max", "1")
    page.click("#train")  # refused in the page itself, naming the form's labels
    page.wait_for_function("document.querySelector('#error').textContent.includes('必须小于')")
    assert_chinese(page)
    assert page.js_errors == []


def test_fit_pages_refusal_by_the_server_in_chinese_names_the_forms_label(zh_context, live_server):
    page = zh_page(zh_context, live_server.url + "/fit")
    page.wait_for_function("(document.querySelector('#train') || {}).textContent === '训练'")
    page.fill("#expr", "sin(x)")
    page.fill("#width", "5000")
    page.click("#train")  # a 422: "width：应为不大于 1024 的数，实际为 5000"
    page.wait_for_selector("#error:not([hidden])")
    assert page.inner_text("#error").startswith('"隐藏层宽度"：应为不大于 1024 的数，实际为 5000')
    assert_chinese(page)
    assert page.js_errors == []


def test_backprop_page_in_chinese_after_a_step_and_a_bad_size(zh_context, live_server):
    page = zh_page(zh_context, live_server.url + "/backprop")
    page.wait_for_function("window.bpState && window.bpState.status === 'idle'")
    page.click("#step")
    page.wait_for_function("window.bpState.status === 'updated'")
    assert page.inner_text("#status").startswith("第 1 步")
    page.hover("#net .node[data-l='2'][data-j='0'] circle")
    assert page.text_content("#formula") == "点击“前向”计算这个神经元。"
    assert_chinese(page)
    page.click("#forward")
    page.wait_for_function("window.bpState.status === 'forward'")
    page.hover("#net .node[data-l='2'][data-j='0'] circle")
    assert "（线性输出）" in page.text_content("#formula")  # the server's formula text
    assert_chinese(page)
    page.fill("#sizes", "2,30,2")
    page.click("#forward")
    page.wait_for_selector("#error:not([hidden])")
    assert "宽度应在 1 到 8 之间" in page.inner_text("#error")
    assert_chinese(page)
    page.fill("#sizes", "2,3,1")  # the page lets it through, the server refuses it
    page.click("#forward")
    page.wait_for_function("document.querySelector('#error').textContent.includes('交叉熵')")
    assert page.inner_text("#error").startswith("各层大小：交叉熵损失")  # the form's label
    assert_chinese(page)
    assert page.js_errors == []


def test_digits_and_runs_pages_in_chinese(zh_context, live_server):
    page = zh_page(zh_context, live_server.url + "/digits")
    page.wait_for_function(f"document.querySelector('#model').value === 'run:{RUN_MNIST}'")
    assert "测试准确率" in page.inner_text("#model")  # the server's label, in Chinese
    box = page.locator("#pad").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.8, steps=10)
    page.mouse.up()
    page.wait_for_function("window.digitsState.prediction !== null")
    assert_chinese(page)
    page = zh_page(zh_context, live_server.url + "/runs")
    page.wait_for_function("document.querySelector('#pane-b').dataset.run")
    page.wait_for_function("!document.querySelector('#compare').hidden")
    assert_chinese(page)
    assert page.js_errors == []


# ----- the header: brand, the six pages and the language menu on one line (issue 23) ---------

_HEADER = """() => {
  const header = document.querySelector("header.top");
  const box = (el) => el.getBoundingClientRect();
  const select = document.getElementById("lang");
  const links = [...header.querySelectorAll("nav a")];
  const kids = [header.querySelector(".brand"), ...links, select];
  const tallest = Math.max(...links.map((a) => box(a).height));
  const lineHeight = parseFloat(getComputedStyle(links[0]).lineHeight) || 20;
  return {
    headerHeight: box(header).height,
    selectWidth: box(select).width,
    headerWidth: box(header).width,
    tallestLink: tallest,
    lineHeight,
    rows: new Set(kids.map((el) => Math.round(box(el).top + box(el).height / 2))).size,
    overflow: kids.some((el) => box(el).right > box(header).right + 0.5),
    scrollWidth: document.documentElement.scrollWidth,
    optionTexts: [...select.options].map((o) => o.textContent),
  };
}"""


@pytest.mark.parametrize("width", [1280, 800])
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", ["fit", "digits", "runs", "backprop", "class", "exercises"])
def test_the_header_fits_on_one_line_in_both_languages(browser, live_server, lang, width, name):
    """The language menu is as wide as its choices, not the rest of the header, and the
    Chinese menu reads 中文 on one line: brand, pages and menu share one row."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    context = browser.new_context(viewport={"width": width, "height": 800})
    context.add_init_script(f"localStorage.setItem('fcnet.lang', '{lang}')")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/{name}")
        page.wait_for_selector("#lang")
        if lang == "zh":
            page.wait_for_function("document.documentElement.dataset.i18n === 'zh'")
        m = page.evaluate(_HEADER)
        page.screenshot(path=ARTIFACTS / f"studio-header-{name}-{lang}-{width}.png")
    finally:
        context.close()
    assert m["optionTexts"] == ["English", "中文"]
    assert m["rows"] == 1, m  # brand, links and menu side by side
    assert not m["overflow"] and m["scrollWidth"] <= width, m
    assert m["selectWidth"] < 160, m  # the menu is as wide as its words, not the header
    assert m["tallestLink"] < 2 * m["lineHeight"], m  # no link wraps a character per line
    assert m["headerHeight"] < 70, m
