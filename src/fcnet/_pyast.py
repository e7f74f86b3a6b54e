"""`parse`: `ast.parse` behind one lock, for every parse fcnet does.

CPython 3.11 keeps the AST constructor's recursion depth in the interpreter's state, shared
by its threads: two threads building ASTs at once can fail with "SystemError: AST
constructor recursion depth mismatch" (cpython#106905; seen when a grade's checkers, on
several threads, each read which modules the sandboxed child may import). The studio's
worker threads parse users' math too. A parse takes milliseconds, so one lock costs
nothing that matters.
"""

from __future__ import annotations

import ast
import threading
from typing import Literal, overload

_LOCK = threading.Lock()


@overload
def parse(source: str | bytes, filename: str = ..., mode: Literal["exec"] = ...) -> ast.Module: ...
@overload
def parse(source: str | bytes, filename: str = ..., *, mode: Literal["eval"]) -> ast.Expression: ...


def parse(source: str | bytes, filename: str = "<unknown>", mode: str = "exec") -> ast.AST:
    """`ast.parse(source, filename, mode)`, one thread at a time."""
    with _LOCK:
        return ast.parse(source, filename, mode)
