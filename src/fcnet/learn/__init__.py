"""The learner's side of fcnet: do the course's exercises yourself, and let fcnet check them.

- `check_grad(f, params, grads, *, eps=1e-6)`: a finite-difference check of your own
  gradients, for any function of your own arrays;
- `run_checks(name, source)`: an exercise's checks, on a file (in a child process, as
  `fcnet check NAME FILE` does) or on a namespace such as a notebook's `globals()`;
- `fcnet exercise list`, `fcnet exercise start NAME`, `fcnet check NAME FILE` on the
  command line (`fcnet.cli.learn`).
"""

from __future__ import annotations

import os
from typing import Any

from fcnet.learn.core import CHILD_ENV, QUICK_ENV, Report
from fcnet.learn.gradcheck import GradCheck, ParamCheck, check_grad

__all__ = ["GradCheck", "ParamCheck", "Report", "check_grad", "import_library", "run_checks"]


def import_library(name: str):
    """Import the library `name` (e.g. "torch") from a file that has its name.

    `fcnet exercise start torch` writes torch.py; run as `python torch.py`, a plain
    `import torch` there finds the file itself (its folder comes first on sys.path).
    This imports the installed library instead.
    """
    import importlib
    import sys

    saved = sys.path[:]
    sys.path[:] = [p for p in saved if not os.path.isfile(os.path.join(p or ".", f"{name}.py"))]
    try:
        return importlib.import_module(name)
    finally:
        sys.path[:] = saved


def run_checks(
    name: str, source: str | os.PathLike | dict[str, Any], *, quick: bool | None = None
) -> Report:
    """Run exercise `name`'s checks and return the `Report` (print it for one line per check).

    `source`: a path to your .py or .ipynb (checked in a child process with time and
    memory limits, as `fcnet check` does), or a namespace, e.g. a notebook's `globals()`
    (checked here, each call of your functions limited in time). `quick` (default: the
    environment variable FCNET_LEARN_QUICK=1) trains fit and mnist on small slices, for
    tests; it does not prove the exercise's bound.
    Inside `fcnet check` (which imports your file, a notebook's cells included) it does
    nothing.
    """
    from fcnet.learn.core import run_in_process
    from fcnet.learn.exercises import get

    if quick is None:
        quick = os.environ.get(QUICK_ENV) == "1"
    exercise = get(name)
    if os.environ.get(CHILD_ENV) == "1":  # the learner's file, imported by fcnet check
        return Report(exercise.name, [], 0.0, "(checks skipped inside fcnet check)")
    if isinstance(source, dict):
        return run_in_process(exercise, source, quick=quick)
    from fcnet.learn.runner import check_file

    return check_file(name, os.fspath(source), quick=quick)
