"""`fcnet exercise list|start|status` and `fcnet check`: the course's exercises, checked."""

from __future__ import annotations

import json
import os
import sys

import click

from fcnet.cli.localize import Group
from fcnet.i18n import gettext as _
from fcnet.learn.skeleton import FORMATS


@click.group("exercise", cls=Group)
def exercise() -> None:
    """The course's exercises: list them, or start one from a skeleton."""


@exercise.command("list")
def list_() -> None:
    """One line per exercise: its name, what it asks, the course section."""
    from fcnet.learn.exercises import CATALOG

    width = max(len(n) for n in CATALOG)
    for name, (_module, what, section) in CATALOG.items():
        click.echo(f"{name:<{width}}  {_(what)}  [{_(section)}]")


@exercise.command("start")
@click.argument("name")
@click.option(
    "--dir",
    "folder",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder to write the skeleton into: NAME.py (or .ipynb); torch_net.py and tf_net.py "
    "for torch and tensorflow, which shadow no library.",
)
@click.option(
    "--format",
    "fmt",
    default="py",
    show_default=True,
    type=click.Choice(FORMATS),
    help="A Python script or a Jupyter notebook.",
)
def start(name: str, folder: str, fmt: str) -> None:
    """Write exercise NAME's skeleton: the functions to write, with docstrings and shapes,
    TODO bodies, and the code that runs the checks. Never overwrites a file."""
    from fcnet.learn.skeleton import write_skeleton

    path = write_skeleton(name, folder, fmt)
    click.echo(
        _("wrote {path}: fill in the TODOs, then run: fcnet check {name} {path}").format(
            path=path, name=name
        )
    )


@exercise.command("mistakes")
@click.argument("name")
def mistakes(name: str) -> None:
    """The mistakes exercise NAME's checks can diagnose: one line each, its stable tag (as
    in fcnet grade's gradebook) and what it means."""
    from fcnet.learn.exercises import get

    known = getattr(get(name), "mistakes", {}) or {}
    width = max((len(tag) for tag in known), default=0)
    for tag, text in known.items():
        click.echo(f"{tag:<{width}}  {_(text)}")
    if not known:
        click.echo(_("{name}: no tagged mistakes").format(name=name))


@click.command("check")
@click.argument("name")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option(
    "--quick",
    is_flag=True,
    help="fit and mnist: train on small slices (for tests; does not prove the bound).",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=None,
    help="Seed of the checks' hidden inputs (default: drawn afresh; --json records it).",
)
@click.option(
    "--hint",
    is_flag=True,
    help="A hint per failing check, one level further each run: the formula, then more "
    "concretely, then the course text's line.",
)
@click.option(
    "--explain",
    is_flag=True,
    help="backprop: then open the studio's Backprop page on a small network run by your own "
    "five functions, your numbers beside fcnet's (Ctrl-C stops the studio).",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="With --explain: the studio's port on 127.0.0.1.",
)
@click.option(
    "--no-browser", is_flag=True, help="With --explain: print the page's address, open no browser."
)
def check(
    name: str,
    file: str,
    as_json: bool,
    quick: bool,
    seed: int | None,
    hint: bool,
    explain: bool,
    port: int,
    no_browser: bool,
) -> None:
    """Check your FILE (.py, or .ipynb whose code cells run in order) against exercise NAME.

    FILE runs in a sandboxed child process (no network, no files but its own scratch
    folder, time and memory limits) that only calls your functions; this process
    judges what they return. A function of yours that does not return within 10 s fails
    that check. One line per check; exit status 0 when every check passes, 1 when any
    fails. The result is kept in .fcnet-check.json beside FILE (`fcnet exercise status`).
    With --explain (backprop only), the studio then shows where your numbers depart from
    fcnet's, at http://127.0.0.1:PORT/backprop?explain=FILE, until Ctrl-C.
    """
    from fcnet.learn import progress
    from fcnet.learn.runner import check_file, protection_names

    if explain:
        from fcnet.cli.serve import check_port, studio_modules

        if name != "backprop":
            raise ValueError(
                _("--explain: only the backprop exercise can be explained, not {name}").format(
                    name=name
                )
            )
        studio_modules("fcnet check --explain")  # the studio extra, before any check runs
        check_port("127.0.0.1", port)  # and a port it can listen on

    report = check_file(name, file, quick=quick, seed=seed)
    from fcnet.learn.sandbox import WATCHED  # their limits held by the /proc watch

    off = [k for k, on in report.protections.items() if not on and k not in WATCHED]
    if off or not report.protections:
        what = protection_names(off) if off else _("the sandbox is unavailable")
        click.echo(_("note: protections off on this system: {what}").format(what=what), err=True)
    old = progress.load(os.path.dirname(os.path.abspath(file)))
    if old.warning:
        click.echo(old.warning, err=True)
    entry = old.entries.get(report.exercise)
    levels = dict(entry.hints) if entry is not None else {}
    hints: dict[str, str] = {}
    if hint:
        from fcnet.learn.hints import hint as hint_text
        from fcnet.learn.hints import next_level

        for c in report.checks:
            if not c.passed:
                levels[c.name] = next_level(levels, c.name)
                hints[c.name] = hint_text(report.exercise, c.name, levels[c.name])
    try:
        progress.record_report(file, report, levels, record=old)
    except OSError as exc:  # a read-only folder: the check itself still counts
        click.echo(
            _("warning: progress not kept ({why})").format(why=exc.strerror or exc), err=True
        )
    if as_json:
        data = report.to_json()
        for c in data["checks"]:
            if c["name"] in hints:
                c["hint"] = {"level": levels[c["name"]], "text": hints[c["name"]]}
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        click.echo(report.text(colour=sys.stdout.isatty()))
        for check_name, text in hints.items():
            if text:
                click.echo(
                    _("hint {level}/3 for {check}: {text}").format(
                        level=levels[check_name], check=_(check_name), text=text
                    )
                )
    if explain:
        _explain(file, port, not no_browser)
    sys.exit(0 if report.passed else 1)


def _explain(file: str, port: int, browser: bool) -> None:
    """Serve the studio on 127.0.0.1:`port`, its exercise root FILE's folder, and point at
    /backprop?explain=FILE's name, until Ctrl-C."""
    from urllib.parse import quote

    from fcnet.cli.serve import start_studio

    folder = os.path.dirname(os.path.abspath(file))
    start_studio(
        "127.0.0.1",
        port,
        "runs",
        lambda url: _("your backprop file explained: {url}  (Ctrl-C stops)").format(url=url),
        what="fcnet check --explain",
        path="/backprop?explain=" + quote(os.path.basename(file)),
        exercise_root=folder,
        browser=browser,
    )


@exercise.command("status")
@click.option(
    "--dir",
    "folder",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The folder holding your exercise files.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the status as one JSON object.")
def status(folder: str, as_json: bool) -> None:
    """Every exercise: whether its file is in DIR, and its last result (n of m checks,
    when, which failed), as `fcnet check` recorded it in DIR/.fcnet-check.json."""
    from fcnet.learn import progress

    if not os.path.isdir(folder):
        raise NotADirectoryError(20, _("no such folder"), folder)
    rows, warning = progress.status(folder)
    if warning:
        click.echo(warning, err=True)
    if as_json:
        click.echo(json.dumps({"dir": folder, "exercises": rows}, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=_("exercises in {dir}").format(dir=folder))
    for column in (_("exercise"), _("file"), _("last check"), _("when"), _("failed")):
        table.add_column(column)
    for row in rows:
        last = row["last"]
        if last is None:
            result, when, failed = _("not checked yet"), "", ""
        else:
            result = _("{passed} of {total} passed").format(
                passed=last["passed"], total=last["total"]
            )
            if last["file"] != row["file"]:  # the last check was of another file
                result = _("{result}, of {file}").format(result=result, file=last["file"])
            when = last["when"].replace("T", " ").replace("+00:00", " UTC")
            names = [_(f) for f in last["failed"]]
            failed = _(", ").join(names[:3]) + (
                _(" and {n} more").format(n=len(names) - 3) if len(names) > 3 else ""
            )
        table.add_row(row["exercise"], row["file"] or _("(none)"), result, when, failed)
    Console(soft_wrap=False).print(table)


COMMANDS = [exercise, check]
