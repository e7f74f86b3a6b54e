"""A skeleton's text, translated; its code, shared: one source file, one catalog per language.

A skeleton (`exercises/NAME/skeleton.py`, percent format) is written once, in English. Its
text units are what a translator translates and nothing else:

- each markdown cell (``# %% [markdown]``), whole;
- each docstring;
- each comment: a run of full-line comments at one indentation is one unit, a comment after
  code on its line another;
- each string printed by ``print(...)`` (a walk-through's labels);

a unit without a letter (a comment that is a number) is left as it is.

`exercises/NAME/skeleton.LANG.po` maps each unit (msgid) to its translation (msgstr), as
gettext does for the program's messages. `translate(source, catalog)` puts the translations
in place of the units and leaves every other character of the code as it is, so a Chinese
skeleton cannot drift from the English one's code. `update_catalog` adds new units to a
catalog (empty msgstr) and removes vanished ones; `python -m fcnet.learn.skeleton` does it
for every skeleton before it writes the notebooks.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fcnet import _pyast

__all__ = ["Unit", "catalog", "catalog_path", "translate", "units", "update_catalog"]

_CELL = re.compile(r"^# %%")
_WORDS = re.compile(r"[^\W\d_]")  # a unit has a letter to translate ("# 0.3775" has none)
_PRAGMA = ("noqa", "type:", "fmt:", "pragma")  # comments for tools, not for readers


@dataclass(frozen=True)
class Unit:
    """One piece of text: its msgid and where it sits in the source (0-based line and
    column of its start and end, end exclusive), with how to write a translation back."""

    text: str
    start: tuple[int, int]
    end: tuple[int, int]
    kind: str  # "markdown", "docstring", "comment" or "string"
    indent: int = 0  # docstring and comment lines' indentation
    closing_line: bool = False  # a docstring whose closing quotes have their own line
    quote: str = '"'  # a printed string's quote character


def _cells(lines: list[str]) -> Iterator[tuple[str, int, int]]:
    """(kind, first line, end line) of each cell's body."""
    starts = [i for i, line in enumerate(lines) if _CELL.match(line)]
    for k, i in enumerate(starts):
        kind = "markdown" if "[markdown]" in lines[i] else "code"
        yield kind, i + 1, starts[k + 1] if k + 1 < len(starts) else len(lines)


def _markdown(lines: list[str], first: int, end: int) -> Unit | None:
    while first < end and not lines[first].strip():
        first += 1
    while end > first and not lines[end - 1].strip():
        end -= 1
    if first == end:
        return None
    text = "\n".join(ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines[first:end])
    return Unit(text, (first, 0), (end - 1, len(lines[end - 1])), "markdown")


def _docstrings(tree: ast.AST, code: list[str], offset: int) -> Iterator[Unit]:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not (isinstance(body, list) and body and isinstance(body[0], ast.Expr)):
            continue
        value = body[0].value
        if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
            continue
        assert value.end_lineno is not None and value.end_col_offset is not None
        first, last = value.lineno - 1, value.end_lineno - 1
        segment = "\n".join(code[first : last + 1])[value.col_offset :]
        segment = segment[: len(segment) - (len(code[last]) - value.end_col_offset)]
        if not segment.startswith('"""'):
            raise ValueError(f"line {offset + first + 1}: a docstring must use triple quotes")
        body_lines = segment[3:-3].split("\n")
        indent = value.col_offset
        closing = len(body_lines) > 1 and not body_lines[-1].strip()
        if closing:
            body_lines = body_lines[:-1]
        text = "\n".join([body_lines[0]] + [ln[indent:] for ln in body_lines[1:]])
        yield Unit(
            text,
            (offset + first, value.col_offset),
            (offset + last, value.end_col_offset),
            "docstring",
            indent,
            closing,
        )


def _printed(tree: ast.AST, code: list[str], offset: int) -> Iterator[Unit]:
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"):
            continue
        for arg in node.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.strip():
                assert arg.end_lineno is not None and arg.end_col_offset is not None
                quote = code[arg.lineno - 1][arg.col_offset]
                if arg.lineno != arg.end_lineno or quote not in "'\"":
                    raise ValueError(f"line {offset + arg.lineno}: a printed label: one plain "
                                     "string on one line")  # fmt: skip
                yield Unit(
                    arg.value,
                    (offset + arg.lineno - 1, arg.col_offset),
                    (offset + arg.end_lineno - 1, arg.end_col_offset),
                    "string",
                    quote=quote,
                )


def _comments(code: list[str], offset: int) -> Iterator[Unit]:
    tokens = tokenize.generate_tokens(io.StringIO("\n".join(code) + "\n").readline)
    run: list[tuple[int, int, str]] = []  # full-line comments: (line, column, text)

    def flush() -> Iterator[Unit]:
        if run:
            (line, col, _), last = run[0], run[-1]
            text = "\n".join(t for _, _, t in run)
            yield Unit(text, (offset + line, col), (offset + last[0], len(code[last[0]])),
                       "comment", col)  # fmt: skip
            run.clear()

    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                yield from flush()
            continue
        line, col = tok.start[0] - 1, tok.start[1]
        text = tok.string[1:].removeprefix(" ")
        if text.startswith(_PRAGMA):
            continue
        if code[line][:col].strip():  # after code on its line
            yield from flush()
            yield Unit(text, (offset + line, col), (offset + line, len(code[line])), "comment")
            continue
        if run and (run[-1][0] != line - 1 or run[-1][1] != col):
            yield from flush()
        run.append((line, col, text))
    yield from flush()


def units(source: str) -> list[Unit]:
    """The text units of a percent-format skeleton, in the order they appear."""
    lines = source.split("\n")
    found: list[Unit] = []
    for kind, first, end in _cells(lines):
        if kind == "markdown":
            unit = _markdown(lines, first, end)
            found += [unit] if unit else []
            continue
        code = lines[first:end]
        tree = _pyast.parse("\n".join(code))
        found += _docstrings(tree, code, first)
        found += _printed(tree, code, first)
        found += _comments(code, first)
    return sorted((u for u in found if _WORDS.search(u.text)), key=lambda u: u.start)


def _written(unit: Unit, text: str, lines: list[str]) -> list[str]:
    """The source lines that replace `unit`'s lines, holding `text` in its place."""
    (l0, c0), (l1, c1) = unit.start, unit.end
    head, tail = lines[l0][:c0], lines[l1][c1:]
    if unit.kind == "markdown":
        return [f"# {ln}".rstrip() for ln in text.split("\n")]
    if unit.kind == "comment":
        pad = " " * unit.indent
        new = [f"# {ln}".rstrip() for ln in text.split("\n")]
        return [head + new[0]] + [pad + ln for ln in new[1:]]
    if unit.kind == "string":
        if "\n" in text:
            raise ValueError(f"a printed label must stay on one line: {text!r}")
        quoted = unit.quote + text.replace("\\", "\\\\").replace(unit.quote, "\\" + unit.quote)
        return [head + quoted + unit.quote + tail]
    pad = " " * unit.indent
    body = text.split("\n")
    out = [head + '"""' + body[0]] + [(pad + ln).rstrip() for ln in body[1:]]
    if unit.closing_line:
        out.append(pad + '"""' + tail)
    else:
        out[-1] += '"""' + tail
    return out


def translate(source: str, translations: dict[str, str]) -> str:
    """`source` with each text unit replaced by its translation; KeyError names a unit
    that `translations` lacks (an empty translation counts as lacking)."""
    lines = source.split("\n")
    for unit in reversed(units(source)):
        text = translations.get(unit.text)
        if not text:
            raise KeyError(unit.text)
        lines[unit.start[0] : unit.end[0] + 1] = _written(unit, text, lines)
    return "\n".join(lines)


def catalog_path(folder: str, stem: str, lang: str) -> Path:
    """exercises/FOLDER/STEM.LANG.po (inside the installed package)."""
    return Path(str(resources.files("fcnet.learn.exercises").joinpath(folder, f"{stem}.{lang}.po")))


def catalog(path: Path) -> dict[str, str]:
    """msgid -> msgstr of a skeleton's catalog (fuzzy and obsolete entries left out)."""
    from babel.messages.pofile import read_po

    with open(path, "rb") as fh:
        po = read_po(fh)
    return {
        str(m.id): str(m.string)
        for m in po
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and not m.fuzzy
    }


def update_catalog(source: str, path: Path, lang: str) -> tuple[int, int]:
    """Bring the catalog at `path` in step with `source`'s units, as gettext's msgmerge
    does (Babel's `Catalog.update`): a new unit gets an empty msgstr, or, when it is an
    edit of a vanished one, that one's translation marked fuzzy (used only once a
    translator has checked it and removed the flag); vanished units are dropped.
    Returns (added, removed), in units."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    if path.exists():
        with open(path, "rb") as fh:
            po = read_po(fh, locale=lang)
    else:
        po = Catalog(locale=lang)
    wanted = list(dict.fromkeys(u.text for u in units(source)))
    added = [text for text in wanted if text not in po]
    gone = [m.id for m in po if m.id and m.id not in wanted]
    template = Catalog(locale=lang)
    for text in wanted:
        template.add(text)
    po.update(template, update_header_comment=False)
    with open(path, "wb") as fh:
        write_po(fh, po, width=0, omit_header=True, ignore_obsolete=True, sort_output=False)
    return len(added), len(gone)
