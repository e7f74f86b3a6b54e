"""Ctrl-C while training: held between optimiser steps, so a checkpoint is always whole.

`CtrlC` is the training loop's Ctrl-C callback: while training runs it owns SIGINT; the
first two Ctrl-C only set `flag`, which the loop checks between steps (it then writes a
checkpoint and stops); a third stops at once, unless a checkpoint is being written
(`shielded`): a save always ends. `sigint_handler` is the one place that installs a
SIGINT handler (the training loop, and the figures' "hold Ctrl-C until drawn").

A reader that goes away (`fcnet fit ... 2>&1 | head -1`) stops a run the same way:
`pipe_closed` records it and gives the `PipeClosed` to raise, a KeyboardInterrupt, so the
loop writes its checkpoint and the run folder is left as after a Ctrl-C; `output_closed`
then tells the command to end quietly (exit 141) instead of printing where no one reads.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def sigint_handler(handler: Callable[[int, Any], None]) -> Iterator[Any]:
    """`handler` takes Ctrl-C (SIGINT) inside the block; yields the handler it replaced
    (put back at the end), or None where none can be installed: off the main thread, or
    in an embedded interpreter that does not allow it."""
    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    previous = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # not allowed here (embedded interpreter)
        yield None
        return
    try:
        yield previous
    finally:
        signal.signal(signal.SIGINT, previous)


class PipeClosed(KeyboardInterrupt):
    """The reader of the output went away: a stop handled as Ctrl-C is."""


_closed = threading.Event()


def pipe_closed() -> PipeClosed:
    """Record that the output's reader went away; the stop to raise."""
    _closed.set()
    return PipeClosed()


def output_closed() -> bool:
    """Whether a reader of this process's output went away (`pipe_closed`)."""
    return _closed.is_set()


class CtrlC:
    """The loop's Ctrl-C state: `flag` (a stop was asked), `in_step` (a step is running),
    and `shielded()` (Ctrl-C is only recorded, even a forced one)."""

    FORCE_AFTER = 3

    def __init__(self) -> None:
        self.flag = False
        self.count = 0
        self.in_step = False
        self._shield = 0

    @contextlib.contextmanager
    def shielded(self) -> Iterator[None]:
        """Ctrl-C inside this block is only recorded."""
        self._shield += 1
        try:
            yield
        finally:
            self._shield -= 1

    def _handler(self, signum: int, frame: Any) -> None:
        self.count += 1
        self.flag = True
        if self.count >= self.FORCE_AFTER and not self._shield:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """This object takes SIGINT inside the block."""
        with sigint_handler(self._handler):
            yield

    def check(self) -> None:
        """Between steps: a Ctrl-C asked for a stop -> KeyboardInterrupt (the loop saves)."""
        if self.flag:
            raise KeyboardInterrupt


__all__ = ["CtrlC", "PipeClosed", "output_closed", "pipe_closed", "sigint_handler"]
