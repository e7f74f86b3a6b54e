"""`fcnet exercise list|start` and `fcnet check`: the course's exercises, checked."""

from __future__ import annotations

import json
import sys

import click

from fcnet.i18n import gettext as _
from fcnet.learn.skeleton import FORMATS


@click.group("exercise")
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
    help="Folder to write NAME.py (or NAME.ipynb) into.",
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
def check(name: str, file: str, as_json: bool, quick: bool, seed: int | None) -> None:
    """Check your FILE (.py, or .ipynb whose code cells run in order) against exercise NAME.

    FILE runs in a sandboxed child process (no network, no files but its own scratch
    folder, time and memory limits) that only calls your functions; this process
    judges what they return. A function of yours that does not return within 10 s fails
    that check. One line per check; exit status 0 when every check passes, 1 when any
    fails.
    """
    from fcnet.learn.runner import check_file

    report = check_file(name, file, quick=quick, seed=seed)
    off = [k for k, on in report.protections.items() if not on]
    if off or not report.protections:
        what = ", ".join(off) if off else _("the sandbox is unavailable")
        click.echo(_("note: protections off on this system: {what}").format(what=what), err=True)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        click.echo(str(report))
    sys.exit(0 if report.passed else 1)


COMMANDS = [exercise, check]
