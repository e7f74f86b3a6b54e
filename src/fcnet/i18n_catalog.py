"""Keep the Chinese catalog in step with the code: ``python -m fcnet.i18n_catalog``.

The msgids are every ``_()``/``gettext``/``ngettext``/``N_``-marked string in fcnet's
source (found by Babel's extractor), every help text of the ``fcnet`` command tree
(click options and docstrings, which stay plain English in the code), the studio pages'
texts (`fcnet.studio.i18n.page_messages`) and click's own messages (usage errors,
headings). Running the module merges them into
``fcnet/locale/zh/LC_MESSAGES/fcnet.po``: translations kept, new messages added empty,
vanished ones kept as obsolete entries (``#~``, revived when the message comes back),
then it lists what still lacks a translation. `problems` is what
the tests check: missing or fuzzy translations and placeholders that differ.
"""

from __future__ import annotations

import string
import sys
from collections import defaultdict
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from fcnet.i18n import DOMAIN, LOCALE_DIR

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
Msgid = str | tuple[str, str]


def po_path(lang: str = "zh") -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _extract(folder: Path, files: list[Path], prefix: str, out: dict) -> None:
    for path in files:
        for _lineno, msgid, _comments, _context in extract_from_file(
            "python", str(path), keywords=KEYWORDS
        ):
            if msgid:
                out[msgid].append(f"{prefix}/{path.relative_to(folder).as_posix()}")


def collect() -> dict[Msgid, list[str]]:
    """Every message fcnet can show, msgid -> where it comes from."""
    import click

    import fcnet
    from fcnet.cli import cli
    from fcnet.cli.localize import _CLICK_MODULES, help_messages

    out: dict[Msgid, list[str]] = defaultdict(list)
    src = Path(fcnet.__file__).resolve().parent
    files = sorted(p for p in src.rglob("*.py") if "__pycache__" not in p.parts)
    _extract(src, files, "fcnet", out)
    for text, where in help_messages(cli):
        out[text].append(where)
    from fcnet.studio.i18n import page_messages

    for text, places in page_messages().items():
        out[text].extend(places)
    folder = Path(click.__file__).resolve().parent
    _extract(folder, [folder / f"{m}.py" for m in _CLICK_MODULES], "click", out)
    return dict(out)


def _fields(text: str) -> list[str]:
    """The {placeholders} of a str.format template, sorted ([] if it is not one)."""
    try:
        return sorted(
            f"{name}!{conv}" if conv else name
            for _lit, name, _spec, conv in string.Formatter().parse(text)
            if name is not None
        )
    except ValueError:
        return ["<unbalanced braces>"]


def problems(catalog: Catalog, msgids: dict[Msgid, list[str]]) -> list[str]:
    """What keeps `catalog` from translating every one of `msgids` faithfully."""
    found = []
    for msgid, where in msgids.items():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = catalog.get(key)
        head = f"{where[0]}: {key!r}"
        if message is None:
            found.append(f"{head}: not in the catalog")
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            found.append(f"{head}: no translation")
            continue
        if message.fuzzy:
            found.append(f"{head}: translation marked fuzzy")
        originals = msgid if isinstance(msgid, tuple) else (msgid,)
        for translated in map(str, strings):
            if _fields(translated) != _fields(originals[-1]):
                found.append(
                    f"{head}: placeholders {_fields(translated)} in the translation, "
                    f"{_fields(originals[-1])} in the original"
                )
        message_check = Message(message.id, message.string, flags=message.flags)
        found.extend(f"{head}: {error}" for error in message_check.check(catalog))
    return found


def update(lang: str = "zh") -> list[str]:
    """Merge the current messages into `lang`'s catalog; return what lacks a translation."""
    path = po_path(lang)
    msgids = collect()
    template = Catalog(domain=DOMAIN)
    for msgid, where in msgids.items():
        template.add(msgid, locations=[(w, None) for w in where[:1]])  # type: ignore[misc]
    if path.is_file():
        with open(path, "rb") as fh:
            catalog = read_po(fh, locale=lang)
    else:
        catalog = Catalog(locale=lang, domain=DOMAIN)
    created, revised = catalog.creation_date, catalog.revision_date
    # Translations of messages that left the code stay as obsolete entries (#~), and come
    # back when the message does (another branch's texts, translated ahead of a merge).
    kept = {**catalog.obsolete}
    for key, message in kept.items():
        if key in template and key not in catalog:
            catalog[key] = message
    catalog.update(template, no_fuzzy_matching=True)
    for key, message in kept.items():
        if key not in catalog and message.string:
            catalog.obsolete[key] = message
    # A stable header: the dates change only with the translations, not with every run.
    catalog.creation_date, catalog.revision_date = created, revised
    catalog.project, catalog.version = "fcnet", "0.1.0"
    catalog.copyright_holder = "the fcnet developers"
    catalog.msgid_bugs_address = catalog.last_translator = ""
    catalog.language_team = "Chinese (Simplified)"
    catalog.fuzzy = False
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=False)
    return problems(catalog, msgids)


def main() -> int:
    left = update()
    for line in left:
        print(line)
    print(f"{po_path()}: {len(left)} problem(s)", file=sys.stderr)
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
