"""The Exercises page in Chromium, in English and Chinese: a wrong file checked, its ✗ and
diff shown, two presses of Hint giving two different hints, the link to the Backprop page."""

from __future__ import annotations

from pathlib import Path

import pytest
from studio_support import LiveServer, studio_page

REF = (Path(__file__).resolve().parents[1] / "learn" / "solutions" / "backprop_ref.py").read_text()
WRONG = REF.replace("db = delta.sum(axis=0)", "db = delta.sum(axis=0) + 0.5")
VALUES = "linear_backward values"
ROW = "#exercises-table tr[data-exercise='backprop']"
FAILING = f"#checks li[data-check='{VALUES}']"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with LiveServer(tmp_path_factory.mktemp("runs")) as live:
        yield live


@pytest.fixture
def root(server, tmp_path) -> Path:
    """A fresh exercise root per test (the hint levels start again): a wrong backprop.py
    at the top, and the same file in a folder whose name needs URL-encoding."""
    (tmp_path / "backprop.py").write_text(WRONG)
    (tmp_path / "week 1").mkdir()
    (tmp_path / "week 1" / "backprop.py").write_text(WRONG)
    server.app.state.exercise_root = tmp_path
    return tmp_path


def check_and_hint_twice(page, server, file: str | None = None) -> list[str]:
    """Open the page, check `file` (default: the one found), press Hint twice; the hints."""
    page.goto(server.url + "/exercises")
    page.wait_for_function("window.exercisesState.status === 'ready'")
    assert page.input_value(f"{ROW} input") == "backprop.py"  # the file found in the root
    if file is not None:
        page.fill(f"{ROW} input", file)
    page.click(f"{ROW} button")
    page.wait_for_function("window.exercisesState.status === 'checked'")
    for n in (1, 2):
        page.click(f"{FAILING} button.hint-button")
        page.wait_for_function(f"window.exercisesState.hints === {n}")
    return page.locator(f"{FAILING} ul.hints li").all_text_contents()


def test_a_wrong_file_its_diff_two_hints_and_the_backprop_link(browser, server, root, artifacts):
    with studio_page(browser, server) as page:
        hints = check_and_hint_twice(page, server, "week 1/backprop.py")
        assert page.title() == "Exercises · fcnet studio"
        assert page.locator("header nav a.active").text_content() == "Exercises"
        failing = page.locator(FAILING)
        assert "bad" in failing.get_attribute("class")
        assert failing.locator(".line").text_content().startswith("✗ linear_backward values: db")
        assert (
            page.locator("#checks li[data-check='linear_forward'] .line").text_content()[0] == "✓"
        )
        # the diff: yours beside the expected, the differing entries marked
        captions = failing.locator("table.diff-table caption").all_text_contents()
        assert captions == ["yours", "expected"]
        assert failing.locator("td.marked").count() >= 2
        assert "db differs in" in failing.locator(".diff").text_content()
        inputs = failing.locator("pre.inputs").text_content()  # what the check passed
        assert inputs.startswith("the check called linear_backward with:")
        assert "delta (" in inputs and "np.array([[" in inputs
        assert hints[0].startswith("Hint 1/3: ") and hints[1].startswith("Hint 2/3: ")
        assert hints[0][10:] != hints[1][10:]
        assert failing.locator("button.hint-button").text_content() == "Hint 3/3"
        link = failing.locator("a.backprop-link")
        assert link.get_attribute("href") == "/backprop?explain=week%201%2Fbackprop.py"
        assert link.text_content() == "Open in the Backprop page"
        assert (root / "week 1" / ".fcnet-check.json").is_file()  # kept beside the file
        page.screenshot(path=artifacts / "studio-exercises-en.png", full_page=True)
        assert page.js_errors == []


def test_the_page_in_chinese(browser, server, root):
    with studio_page(browser, server) as page:
        page.add_init_script("localStorage.setItem('fcnet.lang', 'zh')")
        hints = check_and_hint_twice(page, server)
        page.wait_for_function("document.documentElement.dataset.i18n === 'zh'")
        assert page.title() == "练习 · fcnet studio"
        assert page.locator("header nav a.active").text_content() == "练习"
        line = page.locator(f"{FAILING} .line").text_content()
        assert line.startswith("✗ linear_backward 的数值：")
        assert page.locator(f"{FAILING} td.marked").count() >= 2
        captions = page.locator(f"{FAILING} table.diff-table caption").all_text_contents()
        assert captions == ["你的", "应为"]
        assert hints[0].startswith("提示 1/3：") and hints[1].startswith("提示 2/3：")
        assert hints[0] != hints[1].replace("2/3", "1/3")
        href = page.locator(f"{FAILING} a.backprop-link").get_attribute("href")
        assert href == "/backprop?explain=backprop.py"
        last = f'document.querySelector("{ROW} td.last").textContent'
        page.wait_for_function(f"{last}.startsWith('11 项中通过 8 项')")  # the list, reloaded
        assert page.js_errors == []


def test_a_refused_file_is_one_line_on_the_page(browser, server, root):
    with studio_page(browser, server) as page:
        page.goto(server.url + "/exercises")
        page.wait_for_function("window.exercisesState.status === 'ready'")
        page.fill(f"{ROW} input", "../elsewhere.py")
        page.click(f"{ROW} button")
        page.wait_for_function("window.exercisesState.status === 'error'")
        assert "outside" in page.inner_text("#error")
        assert page.locator(f"{ROW} button").is_enabled()  # ready for the next try
        assert page.js_errors == []
