"""Translations: gettext catalogs for fcnet's messages, English or Chinese.

The English text in the code is the msgid; ``fcnet/locale/zh/LC_MESSAGES/fcnet.po`` holds
the Chinese (maintained with ``python -m fcnet.i18n_catalog``). Only the .po is kept in
git: at first use in a process, fcnet reads ``fcnet.mo`` beside it when that is there and
newer, and otherwise compiles the .po in memory with Babel (a few milliseconds), so a
fresh clone, an editable install and ``pip install .`` all work without a build step.

The language, first match wins: `set_language` (the CLI's ``--lang``), the environment
variable ``FCNET_LANG``, then the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``zh...``
is Chinese); English otherwise. It lives in a context variable, so a server can answer
each request in its own language (`use_language`). A ``FCNET_LANG`` fcnet has no catalog
for (``fr``) is passed over with one warning line on stderr, once per process (the
library, the CLI and the studio alike), never an error.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import io
import logging
import os
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

__all__ = [
    "ENV_VAR",
    "LANGUAGES",
    "N_",
    "display_width",
    "gettext",
    "language",
    "ngettext",
    "normalize",
    "set_language",
    "translations",
    "use_language",
]

LANGUAGES = ("en", "zh")
ENV_VAR = "FCNET_LANG"
DOMAIN = "fcnet"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_LANG: ContextVar[str | None] = ContextVar("fcnet_lang", default=None)


def normalize(value: str | None) -> str | None:
    """'zh', 'zh_CN.UTF-8', 'zh-Hans' -> 'zh'; 'en...' -> 'en'; anything else -> None."""
    if not value:
        return None
    head = value.strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    return head if head in LANGUAGES else None


def _from_environment() -> str:
    wanted = os.environ.get(ENV_VAR)
    chosen = normalize(wanted)
    if chosen:
        return chosen
    lang = _from_locale()
    if wanted and wanted.strip():
        _warn_unsupported(wanted, lang)
    return lang


def _from_locale() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:  # the first one set decides, as for any POSIX program
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


_warned: set[str] = set()


def _warn_unsupported(value: str, lang: str) -> None:
    """One warning line (through `logging`, so an application can silence or route it),
    once per process and value."""
    if value in _warned:
        return
    _warned.add(value)
    shown = value if len(value) <= 40 else value[:40] + "..."
    name = {"en": "English", "zh": "Chinese"}[lang]
    logging.getLogger("fcnet").warning(
        "fcnet: warning: %s=%r is not a language fcnet has (%s); using %s",
        ENV_VAR,
        shown,
        ", ".join(LANGUAGES),
        name,
    )


def language() -> str:
    """The language messages are shown in now: 'en' or 'zh'."""
    return _LANG.get() or _from_environment()


def set_language(lang: str | None) -> None:
    """Show messages in `lang` ('en' or 'zh'); None: follow FCNET_LANG and the locale."""
    if lang is not None and normalize(lang) is None:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    _LANG.set(normalize(lang))


@contextmanager
def use_language(lang: str | None) -> Iterator[None]:
    """Within the block, show messages in `lang` (None: from the environment)."""
    token = _LANG.set(normalize(lang))
    try:
        yield
    finally:
        _LANG.reset(token)


@functools.cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalog of `lang` (NullTranslations for English or a missing catalog)."""
    if lang == "en":
        return _gettext.NullTranslations()
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with open(mo, "rb") as fh:
            return _gettext.GNUTranslations(fh)
    if not po.is_file():
        return _gettext.NullTranslations()
    return _gettext.GNUTranslations(io.BytesIO(compile_po(po)))


def compile_po(po: Path) -> bytes:
    """The .mo bytes of the catalog `po` (fuzzy entries left out), compiled by Babel."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(po, "rb") as fh:
        catalog = read_po(fh)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def gettext(message: str) -> str:
    """`message` in the current language (itself when untranslated)."""
    lang = language()
    if lang == "en" or not message:
        return message
    return translations(lang).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """`singular` or `plural`, chosen by `n`, in the current language."""
    lang = language()
    if lang == "en":
        return singular if n == 1 else plural
    return translations(lang).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for the catalog without translating it (translate it when shown)."""
    return message


_ = gettext


def display_width(text: str) -> int:
    """Terminal columns of `text`: CJK characters and full-width punctuation take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
