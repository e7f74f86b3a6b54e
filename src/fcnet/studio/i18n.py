"""The studio in the user's language: its pages' texts for static/i18n.js, and each request
answered in the language it asks for.

The pages stay English HTML. `static/i18n.js` (loaded by every page) asks
``GET /api/i18n?lang=zh`` for the translations of the pages' texts and replaces them in
the browser. Texts the page scripts show (statuses, errors, labels) are written
``t("English text", {name: value})`` in the scripts, and `script_messages` finds those
literals, so a script's message is declared once, where it is shown. A *unit* is what
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
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from fcnet import i18n

STATIC_DIR = Path(__file__).resolve().parent / "static"
COOKIE = "fcnet_lang"
INLINE = frozenset({"a", "b", "code", "em", "i", "kbd", "small", "strong", "sub", "sup"})
ATTRIBUTES = ("placeholder", "title", "aria-label")
_VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"})
_SKIP = frozenset({"script", "style"})

# A page script's message: t("English text", ...), the literal in double or single quotes.
_T_CALL = re.compile(r"""(?<![\w.$])t\(\s*("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')""")
_LINE_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)


def script_messages(path: Path) -> list[str]:
    """The ``t("...")`` literals of one page script, in file order (comment lines skipped)."""
    code = _LINE_COMMENT.sub("", path.read_text(encoding="utf-8"))
    found = []
    for match in _T_CALL.finditer(code):
        literal = match.group(1)
        body = literal[1:-1]
        if literal[0] == "'":
            body = body.replace("\\'", "'").replace('"', '\\"')
        found.append(json.loads(f'"{body}"'))
    return list(dict.fromkeys(found))


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
    """Every studio text (page units and the scripts' t() messages), text -> where from."""
    out: dict[str, list[str]] = {}
    for page in sorted(STATIC_DIR.glob("*.html")):
        for text in html_messages(page):
            out.setdefault(text, []).append(f"fcnet/studio/static/{page.name}")
    for script in sorted(STATIC_DIR.glob("*.js")):
        for text in script_messages(script):
            out.setdefault(text, []).append(f"fcnet/studio/static/{script.name}")
    return out


def messages(lang: str) -> dict[str, str]:
    """The studio's texts translated into `lang` (only those that have a translation)."""
    if lang == "en":
        return {}
    catalog = i18n.translations(lang)
    pairs = ((text, catalog.gettext(text)) for text in page_messages())
    return {text: translated for text, translated in pairs if translated != text}


# Characters of a Cookie or Accept-Language header looked at: the language is a few
# bytes; a longer header is cut here (http.cookies' parser takes quadratic time on some
# texts, CVE-2024-7592: the studio never hands it a long one, see middleware.CookieBound).
_MAX_HEADER_CHARS = 4096


def cookie_value(header: str, name: str = COOKIE) -> str | None:
    """The value of cookie `name` in a Cookie header, in linear time: `a=1; name=v` -> "v".

    Only the first _MAX_HEADER_CHARS characters are read, split at ";" (no quoting rules:
    the language is a bare word).
    """
    for part in header[:_MAX_HEADER_CHARS].split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip() == name:
            return value.strip().strip('"')
    return None


def request_language(headers: dict[str, str]) -> str:
    """The cookie's language, else the first of Accept-Language fcnet speaks, else
    FCNET_LANG/the locale."""
    chosen = i18n.normalize(cookie_value(headers.get("cookie", "")) or "")
    if chosen:
        return chosen
    for part in headers.get("accept-language", "")[:_MAX_HEADER_CHARS].split(",")[:32]:
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
