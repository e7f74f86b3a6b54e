"""Ctrl-C while the `fcnet` command is still starting: one line and exit 130, no traceback.

Importing the command's modules takes a few tenths of a second; Python's own handler would
print a traceback from inside some import. `install()` (called by `fcnet/__init__.py`,
only when the process is the `fcnet` command) replaces it until `done()` (called once
the commands are registered); library users' signal handling is never touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

_MESSAGE = b"fcnet: interrupted during start-up; nothing was written\n"
_previous: object = None
_installed = False


def _handler(signum: int, frame: object) -> None:  # pragma: no cover - runs in a subprocess
    os.write(2, _MESSAGE)
    os._exit(130)


def is_command() -> bool:
    """Whether this process is the `fcnet` command (the console script or python -m fcnet)."""
    argv0 = sys.argv[0] if sys.argv else ""
    return (
        argv0 == "-m"  # python -m fcnet, while the package is being imported
        or os.path.basename(argv0) in ("fcnet", "fcnet.exe")
        or argv0.endswith(os.path.join("fcnet", "__main__.py"))
    )


def install() -> None:
    global _previous, _installed
    if _installed or not is_command():
        return
    try:
        _previous = signal.signal(signal.SIGINT, _handler)
    except ValueError:  # not the main thread
        return
    _installed = True


def done() -> None:
    global _installed
    if not _installed:
        return
    _installed = False
    handler = _previous if callable(_previous) else signal.default_int_handler
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, handler)


def exiting() -> None:
    """The command has finished: a Ctrl-C now would only turn its exit code into a signal
    (Python restores the default action while it shuts down), so ignore it."""
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
