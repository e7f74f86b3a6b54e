"""The `fcnet` command: a thin layer over the library.

Each concern keeps its commands in its own module (`fcnet.cli.data`, ...), which
exposes a list `COMMANDS`. A user error (ValueError, OSError) ends as one line on
stderr and exit code 2, never a traceback. A reader that stops early (`fcnet ... | head
-1`) ends the command quietly with exit code 141, as a tool killed by SIGPIPE does.
`--lang zh|en` (or FCNET_LANG, or the locale) picks the language of help and messages
(`fcnet.cli.localize`, `fcnet.i18n`).
"""

from __future__ import annotations

from fcnet import _startup

_startup.install()  # until the commands are registered: Ctrl-C is one line, no traceback

import importlib  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from typing import NoReturn  # noqa: E402

import click  # noqa: E402

from fcnet import __version__, i18n  # noqa: E402
from fcnet.cli import localize  # noqa: E402
from fcnet.i18n import gettext as _  # noqa: E402

# Modules that contribute commands, in the order `fcnet --help` lists them.
_COMMAND_MODULES = (
    "data",
    "gradcheck",
    "backprop",
    "compare",
    "tasks",
    "demo",
    "serve",
    "learn",
    "grade",
)


class _Group(localize.Group):
    """A click group that turns user errors into one line and exit code 2."""

    def main(self, *args, **kwargs):
        argv = kwargs.get("args", args[0] if args else None)
        # --lang holds for this one invocation, and from the start: click translates a few
        # of its own strings before --lang is parsed (an unsupported FCNET_LANG beside a
        # --lang is then never warned about)
        with i18n.use_language(_lang_option(argv)):
            return super().main(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.exceptions.NoArgsIsHelpError:
            raise  # a bare group: its help, as click shows it
        except click.UsageError as exc:
            _usage_error(ctx, exc)
        except BrokenPipeError:  # --help or --version into a closed pipe
            _pipe_closed()

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            _usage_error(ctx, exc)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            _pipe_closed()
        except SystemExit as exc:
            if exc.code == 1 and _stdout_silenced():  # rich met the closed pipe first
                _pipe_closed()
            raise
        except (ValueError, OSError) as exc:
            click.echo(_("fcnet: error: {message}").format(message=_one_line(exc)), err=True)
            ctx.exit(2)
        except KeyboardInterrupt:  # the tasks say more about what a Ctrl-C left behind
            click.echo(_("fcnet: interrupted"), err=True)
            ctx.exit(130)


def _lang_option(argv: list[str] | None) -> str | None:
    """The language a `--lang` before the command names (None: none, or not one we have)."""
    args = list(argv or [])
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            return i18n.normalize(args[i + 1])
        if arg.startswith("--lang="):
            return i18n.normalize(arg.partition("=")[2])
        if not arg.startswith("-"):
            break
    return None


PIPE_CLOSED = 128 + 13  # the exit status a shell reports for a tool killed by SIGPIPE


def _pipe_closed() -> NoReturn:
    """The reader of stdout went away (`| head -1`): nothing more to say, and nothing to
    complain about. stdout is pointed at /dev/null so the flush at exit cannot fail again
    (the recipe of Python's signal documentation)."""
    try:
        fds = [1, 2] if os.path.sameopenfile(1, 2) else [1]  # 2>&1 | head: both
    except (OSError, ValueError):
        fds = [1]
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in fds:
            os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass
    sys.exit(PIPE_CLOSED)


def _file_id(fd: int) -> tuple[int, int] | None:
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return st.st_dev, st.st_ino


_STDOUT_AT_START = _file_id(1)


def _stdout_silenced() -> bool:
    """Whether stdout became /dev/null during the command: what rich does when it meets a
    closed pipe, before it exits with status 1."""
    try:
        null = os.stat(os.devnull)
    except OSError:
        return False
    now = (null.st_dev, null.st_ino)
    return _file_id(1) == now and _STDOUT_AT_START != now


def _usage_error(ctx: click.Context, exc: click.UsageError) -> NoReturn:
    where = exc.ctx.command_path if exc.ctx else ctx.command_path
    message = _shorten(" ".join(exc.format_message().split()))
    line = _("fcnet: error: {where}: {message} (see '{where} --help')")
    click.echo(line.format(where=where, message=message), err=True)
    ctx.exit(2)


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}"
    return _shorten(" ".join(text.split()))


_LONG_WORD = 300  # characters: a longer word of a message (a 5000-digit number) is elided


def _shorten(text: str) -> str:
    """`text` with every word over _LONG_WORD characters cut to its ends and its length."""
    words = text.split(" ")
    return " ".join(
        w if len(w) <= _LONG_WORD else f"{w[:100]}...{w[-60:]} ({len(w):,} characters)"
        for w in words
    )


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fcnet")
@click.option(
    "--lang",
    type=click.Choice(i18n.LANGUAGES, case_sensitive=False),
    is_eager=True,
    expose_value=False,
    callback=localize.set_language,
    help="Language of help and messages. [default: FCNET_LANG, else zh for a zh_* locale, else en]",
)
def cli() -> None:
    """fcnet: fully-connected networks in numpy, PyTorch and TensorFlow."""


def _register() -> None:
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"fcnet.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"fcnet.cli.{name}":
                continue
            raise
        for command in module.COMMANDS:
            cli.add_command(command)


_register()
# After the commands are built: click names some types at construction ("file"), which
# must not freeze whatever language the environment had at import.
localize.hook_click()
_startup.done()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `fcnet` console script."""
    try:
        cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="fcnet")
    finally:
        if argv is None:
            _startup.exiting()
            try:  # what is still buffered, while a closed pipe can be answered quietly
                sys.stdout.flush()
            except BrokenPipeError:
                _pipe_closed()
            except (OSError, ValueError):
                pass
