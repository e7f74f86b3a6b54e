"""The learner's side of fcnet: do the course's exercises yourself, and let fcnet check them.

- `check_grad(f, params, grads, *, eps=1e-6)`: a finite-difference check of your own
  gradients, for any function of your own arrays;
- `run_checks(name, source)`: an exercise's checks on a file (its code sandboxed in a
  child process, judged here, as `fcnet check NAME FILE` does), or on the notebook whose
  `globals()` it is given;
- `fcnet exercise list`, `fcnet exercise start NAME`, `fcnet check NAME FILE` on the
  command line (`fcnet.cli.learn`).

This module is imported in the sandboxed child too (a skeleton's `check_grad`, a
notebook's check cell), where fcnet's engine and the checks are out of reach
(`fcnet.learn.reach`): it imports only `gradcheck` (numpy and `fcnet.numdiff`) up front,
the checker's side (`Report`, the exercises, the runner) on first use.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from fcnet.learn.gradcheck import GradCheck, ParamCheck, check_grad
from fcnet.learn.student_file import CHILD_ENV

if TYPE_CHECKING:  # pragma: no cover
    from fcnet.learn.core import Report

__all__ = ["GradCheck", "ParamCheck", "Report", "check_grad", "import_library", "run_checks"]


def __getattr__(name: str) -> Any:
    if name == "Report":  # the checker's side, imported when asked for
        from fcnet.learn.core import Report

        return Report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Skipped:
    """What `run_checks` returns inside fcnet check's child: no checks, nothing failed."""

    checks: tuple = ()
    passed = True

    def __str__(self) -> str:
        return "(checks skipped inside fcnet check)"


def import_library(name: str):
    """Import the library `name` (e.g. "torch") from a file that has its name.

    Older fcnet wrote the torch exercise as torch.py (now torch_net.py); run as
    `python torch.py`, a plain `import torch` there finds the file itself (its folder
    comes first on sys.path). This imports the installed library instead.
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
    name: str,
    source: str | os.PathLike | dict[str, Any],
    *,
    quick: bool | None = None,
    seed: int | None = None,
    lang: str | None = None,
) -> Report:
    """Run exercise `name`'s checks and return the `Report` (print it for one line per check).

    `source`: a path to your .py or .ipynb, or a notebook's `globals()`. Either way the
    checks run on a file, as `fcnet check` does: your code runs in a sandboxed child
    process that only calls your functions, and this process judges what they return.
    From a notebook, `globals()` stands for the notebook's file, which Jupyter and VS Code
    name (`__session__`, `__vsc_ipynb_file__`): the checks see it as last saved, so save
    first. Where the kernel does not name it, pass the file's name instead:
    run_checks(NAME, "my_notebook.ipynb") (ValueError says so).
    `quick` (default: the environment variable FCNET_LEARN_QUICK=1) trains fit and mnist
    on small slices, for tests; it does not prove the exercise's bound. `seed`: the
    hidden inputs' seed (default: a fresh one). `lang`: the report's language ("en" or
    "zh"; default the current one); it changes nothing else in this process.
    Inside `fcnet check` (which imports your file, a notebook's cells included) it does
    nothing (the checker is out of reach there) and returns a stand-in that prints as
    "(checks skipped inside fcnet check)".
    """
    if os.environ.get(CHILD_ENV) == "1":  # the learner's file, imported by fcnet check
        return _Skipped()  # type: ignore[return-value]
    from fcnet.i18n import gettext as _
    from fcnet.learn.exercises import get

    exercise = get(name)
    if isinstance(source, dict):
        found = [source.get(k) for k in ("__session__", "__vsc_ipynb_file__")]
        paths = [p for p in found if isinstance(p, str) and p.endswith(".ipynb")]
        paths = [p for p in paths if os.path.isfile(p)]
        if not paths:
            raise ValueError(
                _(
                    "run_checks checks the saved notebook file, and this kernel does not say "
                    'which it is: save the notebook, then pass its name: run_checks("{name}", '
                    '"{name}.ipynb")'
                ).format(name=name)
            )
        source = paths[0]
    from fcnet.learn.runner import check_file

    return check_file(exercise.name, os.fspath(source), quick=quick, seed=seed, lang=lang)
