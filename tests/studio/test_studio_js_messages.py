"""Every text a studio page script shows goes through i18n.js's t(), declared once there.

A regex-level lint over static/*.js: a plain string (or template) literal with a word in it
assigned to textContent/innerText/title, given to showError, new Error, new Option, or set
as a chart label/title, is an untranslated message. And what t() declares is what the
catalog extraction finds."""

from __future__ import annotations

import re

import pytest

from fcnet.studio.i18n import STATIC_DIR, page_messages, script_messages

# A string literal: "...", '...' or `...` (a template's ${...} parts are values, not words).
_LITERAL = r"""("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)"""
SINKS = {
    "textContent/innerText/title =": rf"\.(?:textContent|innerText|title)\s*=\s*{_LITERAL}",
    "showError(el, ...)": rf"\bshowError\(\s*[^,()]+(?:\([^()]*\))?\s*,\s*{_LITERAL}",
    "new Error(...)": rf"\bnew Error\(\s*{_LITERAL}",
    "new Option(...)": rf"\bnew Option\(\s*{_LITERAL}",
    "chart label/text": rf"\b(?:label|text)\s*:\s*{_LITERAL}",
    "setAttribute(aria-label/title)": (
        rf"""setAttribute\(\s*["'](?:aria-label|title|placeholder)["']\s*,\s*{_LITERAL}"""
    ),
}
SCRIPTS = sorted(p for p in STATIC_DIR.glob("*.js") if p.name != "i18n.js")


def words(literal: str) -> bool:
    """Whether a literal shows words: two letters in a row outside its ${...} values."""
    return bool(re.search(r"[A-Za-z]{2}", re.sub(r"\$\{[^}]*\}", "", literal[1:-1])))


def untranslated(code: str) -> list[str]:
    code = re.sub(r"^\s*//.*$", "", code, flags=re.MULTILINE)
    found = []
    for sink, pattern in SINKS.items():
        for match in re.finditer(pattern, code):
            if words(match.group(1)):
                line = code.count("\n", 0, match.start()) + 1
                found.append(f"line {line}: {sink} {match.group(1)[:60]}")
    return found


def test_the_lint_catches_plain_literals_and_passes_t():
    bad = """
    status.textContent = "Not started.";
    el.title = `step ${n} of the run`;
    showError(errorBox, "lost the connection");
    showError($("#error"), `no model: ${name}`);
    throw new Error(`sizes: expected ${n}`);
    sel.add(new Option("(none yet)", ""));
    datasets: [{ label: "training loss", data: [] }],
    c.setAttribute("aria-label", `unit ${j} of layer ${l}`);
    """
    assert len(untranslated(bad)) == 8, untranslated(bad)
    good = """
    status.textContent = t("Not started.");
    el.textContent = `z ${g4(v)}`;
    showError(errorBox, "");
    showError(errorBox, e.message);
    throw new Error(t("{name}: expected one number", { name }));
    datasets: [{ label: t("training loss"), data: [] }],
    // status.textContent = "a comment";
    """
    assert untranslated(good) == []


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_page_scripts_show_no_plain_literal(script):
    found = untranslated(script.read_text(encoding="utf-8"))
    assert not found, f"{script.name}: wrap these in t(...):\n" + "\n".join(found)


def test_t_literals_are_the_catalogs_studio_messages():
    fit = script_messages(STATIC_DIR / "fit.js")
    assert "Not started: the form was refused (see the message above)." in fit
    assert "step {step} / {steps} · loss {loss}" in fit
    backprop = script_messages(STATIC_DIR / "backprop.js")
    assert "Press Forward." in backprop
    runs = script_messages(STATIC_DIR / "runs.js")
    assert 'No runs under {folder}/ yet: try `fcnet fit "sin(x)"` or `fcnet mnist`.' in runs
    where = page_messages()
    assert "fcnet/studio/static/fit.js" in where["x from"]
    assert (
        "fcnet/studio/static/studio.js"
        in where["the studio server does not answer (is `fcnet serve` still running?)"]
    )
    # i18n.js's comments mention t("English text"): comments are not messages
    assert "English text" not in where
