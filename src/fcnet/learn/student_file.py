"""Load a learner's file (.py, or .ipynb whose code cells run in order) into a namespace.

Errors become `LoadError(message, detail)`: a one-line message (a syntax error with its
line, or the exception the file raised) and the traceback trimmed to the learner's file.
"""

from __future__ import annotations

import linecache
import os
import re
import sys
import traceback
import types
from typing import Any

from fcnet._fileio import parse_json
from fcnet.i18n import gettext as _

__all__ = ["CHILD_ENV", "FORBIDDEN_ENV", "LoadError", "load", "read_cells"]

# "1" in the process that loads a learner's file for fcnet check (set by the runner and the
# child): a notebook's check cell, run_checks, does nothing there
CHILD_ENV = "FCNET_LEARN_CHILD"
# the libraries the exercise forbids, comma-separated: the child names them when their
# import fails (`fcnet.learn.reach` makes them unreadable)
FORBIDDEN_ENV = "FCNET_LEARN_FORBIDDEN"

_MAGIC = re.compile(r"^(\s*)([%!].*)$")
_MODULE = "fcnet_learner"


class LoadError(Exception):
    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message, self.detail = message, detail


def read_cells(path: str) -> list[tuple[str, str]]:
    """[(filename, source)] to run: the .py file, or each code cell of a notebook
    (named "path#N", N counting code cells from 1). A cell that starts with a cell magic
    (`%%writefile`, `%%bash`, `%%script`, any `%%`) is not run at all; line magics and
    `!` shell lines become `pass`."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if not path.endswith(".ipynb"):
        return [(path, text)]
    try:
        nb = parse_json(text, os.path.basename(path))  # bounded nesting: no RecursionError
        cells = [c for c in nb["cells"] if c.get("cell_type") == "code"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise LoadError(
            _("{file} is not a Jupyter notebook (bad JSON)").format(file=os.path.basename(path))
        ) from None
    out = []
    for i, cell in enumerate(cells, 1):
        src = cell.get("source", "")
        src = "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else str(src)
        if src.lstrip().startswith("%%"):  # a cell magic (%%writefile, %%bash ...): not Python
            src = ""
        src = "\n".join(_MAGIC.sub(r"\1pass  # \2", line) for line in src.splitlines())
        out.append((f"{path}#{i}", src + "\n"))
    return out


def load(path: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Run the learner's file as a module named `fcnet_learner` (not __main__, so its
    ``if __name__ == "__main__":`` block does not run); return its namespace and the
    file names its frames carry."""
    path = os.path.abspath(path)
    cells = read_cells(path)
    module = types.ModuleType(_MODULE)
    module.__file__ = path
    sys.modules[_MODULE] = module
    # their own helper modules import; last, so a file named torch.py does not hide torch
    sys.path.append(os.path.dirname(path))
    names = (*(name for name, _ in cells), path)
    for name, src in cells:
        linecache.cache[name] = (len(src), None, src.splitlines(True), name)
        try:
            code = compile(src, name, "exec")
        except SyntaxError as exc:
            where = _where(exc.filename or name, exc.lineno)
            line = (exc.text or "").rstrip("\n")
            detail = f"  {line}\n  {' ' * max((exc.offset or 1) - 1, 0)}^" if line else ""
            raise LoadError(
                _("syntax error {where}: {error}").format(where=where, error=exc.msg), detail
            ) from None
        try:
            exec(code, module.__dict__)
        except SystemExit:
            raise LoadError(
                _("{file} called exit() while being imported").format(file=os.path.basename(path))
            ) from None
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise LoadError(_first_line(exc, names), trimmed(exc, names)) from None
    return module.__dict__, names


def _where(filename: str, lineno: int | None) -> str:
    base, _sep, cell = filename.partition("#")
    where = _("in {file}").format(file=os.path.basename(base))
    where += _(" cell {cell}").format(cell=cell) if cell else ""
    return where + (_(" line {line}").format(line=lineno) if lineno else "")


def _first_line(exc: BaseException, names: tuple[str, ...]) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in names]
    text = " ".join(str(exc).split())
    what = f"{type(exc).__name__}" + (f": {text}" if text else "")
    if frames:
        return _("the file does not import: {error} ({where})").format(
            error=what, where=_where(frames[-1].filename, frames[-1].lineno)
        )
    return _("the file does not import: {error}").format(error=what)


def trimmed(exc: BaseException, names: tuple[str, ...]) -> str:
    """The traceback with only the learner's frames, and the exception line."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in names]
    lines = ["Traceback (your file only):"]
    for f in frames:
        lines.append(f"  {_where(f.filename, f.lineno)}, in {f.name}")
        if f.line:
            lines.append(f"    {f.line.strip()}")
    lines += [ln.rstrip("\n") for ln in traceback.format_exception_only(type(exc), exc)]
    return "\n".join(lines)
