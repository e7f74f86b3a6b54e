"""The command line in the user's language, translated where click renders it.

The English help texts in the commands stay the msgids: a help formatter translates each
paragraph and each option's help as it writes them, groups translate their commands'
short help, and click's own strings ("Usage:", "Options", its usage errors) go through
fcnet's catalog too (`hook_click`). So a command needs nothing but `localize(command)`
(done for every registered command) to show its help in Chinese.
"""

from __future__ import annotations

import gettext as _stdlib_gettext
import importlib
import inspect
import re
from collections.abc import Iterable, Iterator

import click
from click.utils import _make_default_short_help  # click 8.5 deprecates the public name

from fcnet import i18n
from fcnet.i18n import display_width
from fcnet.i18n import gettext as _

# The click modules whose messages (headings, usage errors) fcnet translates.
_CLICK_MODULES = (
    "core",
    "decorators",
    "exceptions",
    "formatting",
    "parser",
    "shell_completion",
    "termui",
    "types",
    "utils",
)
# click appends "  [default: 8; required]" to an option's help; the help alone is the msgid.
_EXTRAS = re.compile(r"^(?P<help>.*?)(?P<extras>  \[[^\[\]]*\])?$", re.DOTALL)


def hook_click() -> None:
    """Route click's gettext calls through fcnet's catalog (English stays as it is)."""
    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if getattr(module, "_", None) is _stdlib_gettext.gettext:
            module._ = i18n.gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is _stdlib_gettext.ngettext:
            module.ngettext = i18n.ngettext  # type: ignore[attr-defined]


def help_text(text: str | None) -> str:
    """A command's help as click shows it (and as the catalog keeps it)."""
    return inspect.cleandoc(text or "").partition("\f")[0]


def translate_help(text: str) -> str:
    """An option's help record: the help translated, click's bracketed extras kept."""
    match = _EXTRAS.match(text)
    assert match is not None  # the pattern matches any text
    return _(match["help"]) + (match["extras"] or "")


def short_help(command: click.Command, limit: int = 45) -> str:
    """The one line a group lists for `command`, in the current language."""
    if command.short_help:
        return _(help_text(command.short_help))
    text = _(help_text(command.help))
    if i18n.language() == "zh":
        first, stop, _rest = _join(text.splitlines()).partition("。")
        return first + stop if len(first) < limit else first[: limit // 2] + "…"
    return _make_default_short_help(text, limit)


# No line starts with these (Chinese line-breaking rules, the common part).
_NO_LINE_START = set("，。、；：？！）》」』】,.;:?!)")
_NO_LINE_END = set("（《「『【“")


def wrap(text: str, width: int) -> list[str]:
    """Greedy line breaking by display width: between words, and between any two CJK
    characters, never before closing punctuation nor after opening punctuation."""
    tokens = re.findall(
        r"[ \t]+|[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]|[^ \t\u2e80-\u9fff"
        r"\uff00-\uffef\u3000-\u303f]+",
        text,
    )
    lines: list[str] = []
    line = ""
    for token in tokens:
        if token.isspace():
            line += " " if line else ""
            continue
        if line and display_width(line + token) > width and token[0] not in _NO_LINE_START:
            carry = line[-1] if line[-1] in _NO_LINE_END and len(line) > 1 else ""
            lines.append(line[: len(line) - len(carry)].rstrip())
            line = carry
        line += token
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _join(lines: list[str]) -> str:
    """Lines of one paragraph as one: no space where a line ends or starts in CJK."""
    out = ""
    for line in (ln.strip() for ln in lines):
        cjk_seam = out and (display_width(out[-1]) == 2 or display_width(line[:1]) == 2)
        out += line if not out or cjk_seam else " " + line
    return out


class HelpFormatter(click.HelpFormatter):
    """Writes help with each paragraph and option help looked up in the catalog; in
    Chinese, lines are broken by display width (click counts characters)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, _("Usage: ") if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        line = _("{heading}:").format(heading=heading)
        self.write(f"{'':>{self.current_indent}}{line}\n")

    def write_text(self, text: str) -> None:
        text = _(text)
        if i18n.language() != "zh":
            return super().write_text(text)
        indent = " " * self.current_indent
        for number, paragraph in enumerate(re.split(r"\n\s*\n", text)):
            if number:
                self.write("\n")
            lines = paragraph.splitlines()
            if lines and lines[0].strip() == "\b":  # click's "do not rewrap" marker
                self.write("".join(f"{indent}{line}\n" for line in lines[1:]))
                continue
            for line in wrap(_join(lines), max(self.width - self.current_indent, 20)):
                self.write(f"{indent}{line}\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = [(term, translate_help(text)) for term, text in rows]
        if i18n.language() != "zh":
            return super().write_dl(rows, col_max, col_spacing)
        first_col = min(max((display_width(t) for t, _x in rows), default=0), col_max)
        first_col += col_spacing
        for term, text in rows:
            self.write(f"{'':>{self.current_indent}}{term}")
            if not text:
                self.write("\n")
                continue
            if display_width(term) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(term)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap(text, max(self.width - first_col - self.current_indent, 10))
            pad = " " * (first_col + self.current_indent)
            self.write(lines[0] + "\n" + "".join(f"{pad}{line}\n" for line in lines[1:]))


class Context(click.Context):
    """A click context whose help formatter translates."""

    formatter_class = HelpFormatter


class Group(click.Group):
    """A group listing its commands' short help translated; its commands localized."""

    context_class = Context

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = [
            (name, cmd)
            for name in self.list_commands(ctx)
            if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden
        ]
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _cmd in commands)
            with formatter.section(_("Commands")):
                formatter.write_dl([(name, short_help(cmd, limit)) for name, cmd in commands])

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        localize(cmd)
        super().add_command(cmd, name)


def localize(command: click.Command) -> click.Command:
    """Make `command` (and a group's subcommands) render its help through the catalog."""
    if command.context_class is click.Context:
        command.context_class = Context
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localize(sub)
    return command


def walk(command: click.Command) -> Iterator[click.Command]:
    """`command` and, for a group, every command below it."""
    yield command
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from walk(sub)


def help_messages(command: click.Command) -> Iterator[tuple[str, str]]:
    """Every English help text `command` and its subcommands show (the catalog's msgids),
    with the file defining the command ("fcnet/cli/tasks.py")."""
    for cmd in walk(command):
        module = getattr(cmd.callback, "__module__", None) or "fcnet.cli"
        where = module.replace(".", "/") + ".py"
        for text in (cmd.help, cmd.short_help):
            if text and help_text(text):
                yield help_text(text), where
        for param in cmd.params:
            text = getattr(param, "help", None)
            if text and (match := _EXTRAS.match(text)) and match["help"]:
                yield match["help"], where  # as translate_help looks it up


def set_language(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """The --lang callback: switch the catalog before anything else is parsed (an
    unsupported FCNET_LANG is passed over by `fcnet.i18n` with one warning line)."""
    i18n.set_language(value)
    i18n.language()  # the warning, if any, before the command's own output
