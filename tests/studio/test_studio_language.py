"""The studio in Chinese and English: the pages' texts, the switch, the server's errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from studio_support import CHROMIUM

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx2
    from fastapi.testclient import TestClient

from fcnet.studio import create_app
from fcnet.studio.i18n import STATIC_DIR, html_messages, request_language


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(tmp_path / "runs"), base_url="http://127.0.0.1") as c:
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


def test_request_language_tolerates_bad_headers():
    assert request_language({"cookie": "=;;=", "accept-language": "fr-FR, zh;q=0.5"}) == "zh"
    assert request_language({"cookie": "fcnet_lang=klingon"}) in ("en", "zh")


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
    assert (
        page.inner_text("#status") == "尚未开始：表单被拒绝了（见上方的说明）。"
    )  # fit.js, translated
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
