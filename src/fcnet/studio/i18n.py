"""The studio in the user's language: its pages' texts for static/i18n.js, and each request
answered in the language it asks for.

The pages stay English HTML. `static/i18n.js` (loaded by every page) asks
``GET /api/i18n?lang=zh`` for the translations of the pages' texts and replaces them in
the browser, including texts the page scripts set later (statuses, errors: `MESSAGES`
lists their templates, ``{name}`` standing for a value). A *unit* is what
`page_messages` extracts and i18n.js looks up, by the same rule: an element whose
children are only text and inline markup (``<code>``, ``<b>``, ...) is one unit, its
whitespace-collapsed inner HTML; any other element's non-blank text nodes are units each;
``placeholder``, ``title`` and ``aria-label`` attributes too. Texts without a word of two
letters (numbers, ``f(x) =``) and ``<option>`` values that are identifiers (``relu``) are
left alone.

`LanguageMiddleware` runs each request in the language of the ``fcnet_lang`` cookie
(set by i18n.js), else the best of its Accept-Language, so the server's error messages
come back in the page's language.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoint's annotations.
import re
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from fcnet import i18n
from fcnet.i18n import N_

STATIC_DIR = Path(__file__).resolve().parent / "static"
COOKIE = "fcnet_lang"
INLINE = frozenset({"a", "b", "code", "em", "i", "kbd", "small", "strong", "sub", "sup"})
ATTRIBUTES = ("placeholder", "title", "aria-label")
_VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"})
_SKIP = frozenset({"script", "style"})

# Texts the page scripts show ({name}: a value filled in by the script).
MESSAGES = (
    N_("Pause"),
    N_("Resume"),
    N_("Not started."),
    N_("training…"),
    N_("step {step} / {steps} · loss {loss}"),
    N_("step {step} / {steps} · loss {loss} · {kinks} kinks in range"),
    N_("done: {steps} steps · loss {loss} · MSE on the grid {mse} · largest error {error}"),
    N_("stopped at step {step} · loss {loss}"),
    N_("{status} · paused"),
    N_("lost the connection to the studio server"),
    N_("the studio server does not answer (is `fcnet serve` still running?)"),
    N_("No model yet: train a quick one, or run `fcnet mnist` and pick its run."),
    N_("epoch {epoch} / {epochs} · step {step} / {steps} · loss {loss}"),
    N_("done: test accuracy {accuracy}%"),
    N_("No metrics.jsonl in this run."),
    N_("Plots"),
    N_('No runs under {folder}/ yet: try `fcnet fit "sin(x)"` or `fcnet mnist`.'),
    N_("Not started: the form was refused (see the message above)."),
    N_("Not computed: see the message above."),
    N_("Press Forward to compute this unit."),
    N_("Press Forward."),
    N_("These two runs record no metric in common (see each one below)."),
    N_("open it on the Runs page"),
    N_("starting…"),
    N_("stopped"),
    N_("backward: δ from layer {L} down to 1; edges show ∂L/∂W = δ a^T"),
    N_("check: every ∂L/∂W, ∂L/∂b vs central differences, largest difference {difference}"),
    N_("failed at step {step}"),
    N_("paused at step {step}: showing point {point}"),
    N_("skipped {name}: {problem}"),
    N_("step {step}: W ← W - lr ∂L/∂W done (loss before: {loss}); press Forward"),
    N_("training: step {step}, loss {loss}, accuracy {accuracy}%"),
    N_(
        "paused at step {step} (loss {loss}, accuracy {accuracy}%): showing point 0; "
        "click a point to inspect it"
    ),
)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def wanted(text: str) -> bool:
    """Whether a unit is worth translating: it has a word of two letters."""
    return bool(re.search(r"[A-Za-z]{2}", text))


class _Node:
    def __init__(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[Any] = []  # _Node or str

    def inner_html(self) -> str:
        out = []
        for child in self.children:
            if isinstance(child, str):
                out.append(child.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
            else:
                attrs = "".join(f' {k}="{v or ""}"' for k, v in child.attrs)
                out.append(f"<{child.tag}{attrs}>{child.inner_html()}</{child.tag}>")
        return "".join(out)


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root", [])
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, attrs)
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def _units(node: _Node) -> list[str]:
    found: list[str] = []
    for key, value in node.attrs:
        if key in ATTRIBUTES and value and wanted(_collapse(value)):
            found.append(_collapse(value))
    if node.tag in _SKIP:
        return found
    if node.tag == "option" and re.fullmatch(r"[a-z0-9_.\-]*", _collapse(node.inner_html())):
        return found
    kids = [c for c in node.children if not isinstance(c, str)]
    text = "".join(c for c in node.children if isinstance(c, str))
    if kids and text.strip() and all(k.tag in INLINE for k in kids):
        unit = _collapse(node.inner_html())
        return [*found, unit] if wanted(unit) else found
    for child in node.children:
        if isinstance(child, str):
            if wanted(_collapse(child)):
                found.append(_collapse(child))
        else:
            found.extend(_units(child))
    return found


def html_messages(path: Path) -> list[str]:
    """The translatable units of one HTML page, in page order."""
    tree = _Tree()
    tree.feed(path.read_text(encoding="utf-8"))
    return list(dict.fromkeys(_units(tree.root)))


def page_messages() -> dict[str, list[str]]:
    """Every studio text (page units and `MESSAGES`), text -> where it comes from."""
    out: dict[str, list[str]] = {}
    for page in sorted(STATIC_DIR.glob("*.html")):
        for text in html_messages(page):
            out.setdefault(text, []).append(f"fcnet/studio/static/{page.name}")
    for text in MESSAGES:
        out.setdefault(text, []).append("fcnet/studio/i18n.py")
    return out


def messages(lang: str) -> dict[str, str]:
    """The studio's texts translated into `lang` (only those that have a translation)."""
    if lang == "en":
        return {}
    catalog = i18n.translations(lang)
    pairs = ((text, catalog.gettext(text)) for text in page_messages())
    return {text: translated for text, translated in pairs if translated != text}


def request_language(headers: dict[str, str]) -> str:
    """The cookie's language, else the first of Accept-Language fcnet speaks, else
    FCNET_LANG/the locale."""
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header is no reason to fail the request
        cookie = SimpleCookie()
    if COOKIE in cookie and i18n.normalize(cookie[COOKIE].value):
        return i18n.normalize(cookie[COOKIE].value) or "en"
    for part in headers.get("accept-language", "").split(","):
        lang = i18n.normalize(part.split(";")[0].strip())
        if lang:
            return lang
    return i18n.language()


class LanguageMiddleware:
    """ASGI middleware: each HTTP request runs in its own language (`request_language`)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        with i18n.use_language(request_language(headers)):
            await self.app(scope, receive, send)


def router() -> Any:
    """``GET /api/i18n?lang=zh``: {"lang": ..., "messages": {English: translation}}."""
    from fastapi import APIRouter, Request

    api = APIRouter()

    @api.get("/api/i18n")
    def translations(request: Request, lang: str | None = None) -> dict[str, Any]:
        chosen = i18n.normalize(lang) or request_language(dict(request.headers))
        return {"lang": chosen, "messages": messages(chosen)}

    return api
