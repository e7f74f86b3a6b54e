"""The learner's exercise files the studio may open: checked here, before anything reads them.

The exercise root is `app.state.exercise_root` when set (`fcnet check ... --explain` sets
the file's folder), else the folder `fcnet serve` was started in. A file a page names must
be a relative path inside that root, end in .py or .ipynb and be a regular file; the
checker (`fcnet.learn.runner`) then reads it itself (no link, bounded size) and runs it in
the sandbox: nothing of it runs in the studio's process.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from fastapi import HTTPException, Request

from fcnet.i18n import gettext as _
from fcnet.learn.skeleton import FORMATS

__all__ = ["exercise_file", "exercise_root"]

MAX_NAME = 1000  # characters of a relative path a page may send


def exercise_root(request: Request) -> Path:
    """The folder the learner's exercise files are looked for in."""
    root = getattr(request.app.state, "exercise_root", None)
    return Path(root if root is not None else os.getcwd()).resolve()


def exercise_file(request: Request, file: str) -> Path:
    """`file` (relative to the exercise root) as a path inside the root, or a one-line error:
    ValueError (a 400) for a name that is not a relative .py/.ipynb path inside the root,
    HTTPException 404 when no regular file is there."""
    root = exercise_root(request)
    suffixes = tuple(f".{fmt}" for fmt in FORMATS)
    if not file or os.path.isabs(file) or len(file) > MAX_NAME or "\x00" in file:
        raise ValueError(_("file: expected a file name relative to {root}").format(root=root))
    if not file.endswith(suffixes):
        raise ValueError(
            _("file: {file} is not an exercise file ({suffixes})").format(
                file=file[:80], suffixes=", ".join(suffixes)
            )
        )
    path = root / file
    if not path.parent.resolve().is_relative_to(root) or ".." in Path(file).parts:
        raise ValueError(_("file: {file} is outside {root}").format(file=file[:80], root=root))
    try:
        info = path.lstat()
    except OSError:
        raise HTTPException(404, _("{file}: no such file").format(file=file[:80])) from None
    if stat.S_ISLNK(info.st_mode):
        raise ValueError(
            _("{path} is a symbolic link: submit the file itself").format(path=file[:80])
        )
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(_("{path} is not a regular file").format(path=file[:80]))
    return path
