"""What of fcnet the sandboxed child may read: reference solutions never exist there.

Whatever of fcnet the child can read, the learner's code can import and call: the engine
(`fcnet.nn`, the answer to `backprop`), the IDX reader (`idx`'s), `fcnet.metrics.roc_auc`
(`auc`'s), the backends (`torch`'s and `tensorflow`'s), the checks themselves. So the
sandbox's Landlock rules (`sandbox.Policy.fcnet`, an allow-list) leave readable only:

- the modules the child server imports, `CHILD`, and what they import at module level;
- the exercise's child-side driver, `fcnet.learn.drivers.<name>`, where it has one;
- the packages the exercise lets the learner use, `Exercise.uses` (fit and mnist train
  with any network: `fcnet.nn`, `fcnet.data`), with what they import;
- fcnet's translations (`DATA`).

Libraries an exercise forbids (`Exercise.forbidden`: backprop's autograd frameworks and
SciPy, auc's scikit-learn) are made unreadable too, where the parent finds them
(`library_paths`, `sandbox.Policy.hidden`); the child is told their names
(`student_file.FORBIDDEN_ENV`) only to say why their import fails.

The closure is read from the modules' own import statements (`ast`), so it cannot fall
behind the code: a module-level import of the engine by the child server would show in
`child_modules()` (tests/learn/test_reach.py fails on it). Imports inside functions are not
followed: the child never calls those (`run_checks` returns at once there).
"""

from __future__ import annotations

import ast
import functools
import importlib.machinery
import sys
from collections.abc import Iterable
from pathlib import Path

import fcnet
from fcnet import _pyast

CHILD = ("fcnet.learn.child",)  # the child server; fcnet.learn with it (check_grad)
DATA = ("locale",)  # folders of fcnet's the child reads whole: the translations
_ROOT = Path(fcnet.__file__).resolve().parent


def module_file(name: str) -> Path | None:
    """The source file of fcnet module `name` ("fcnet.learn.child"), or None."""
    parts = name.split(".")
    if parts[0] != "fcnet":
        return None
    base = _ROOT.joinpath(*parts[1:])
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def _imports(name: str, path: Path) -> set[str]:
    """The fcnet modules `name` (at `path`) imports at module level, TYPE_CHECKING aside."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(body: Iterable[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    module = f"{base}.{node.module}" if node.module else base
                else:
                    module = node.module or ""
                found.add(module)
                found.update(f"{module}.{a.name}" for a in node.names)  # submodules
            elif isinstance(node, ast.If):
                test = node.test
                guard = test.id if isinstance(test, ast.Name) else getattr(test, "attr", "")
                if guard != "TYPE_CHECKING":
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, ast.With | ast.ClassDef):
                visit(node.body)

    visit(_pyast.parse(path.read_bytes(), str(path)).body)
    return {m for m in found if m.split(".")[0] == "fcnet" and module_file(m) is not None}


def _package_modules(name: str) -> list[str]:
    """`name` and, for a package, every module under it."""
    path = module_file(name)
    if path is None or path.name != "__init__.py":
        return [name]
    names = []
    for file in sorted(path.parent.rglob("*.py")):
        rel = file.relative_to(_ROOT).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        names.append(".".join(("fcnet", *parts)))
    return names


@functools.lru_cache(maxsize=32)
def child_modules(uses: tuple[str, ...] = (), driver: str | None = None) -> frozenset[str]:
    """The fcnet modules the child may import: `CHILD`, the `driver` module, every module of
    the packages `uses`, what each imports at module level, and their parent packages."""
    todo = [*CHILD, *([driver] if driver else []), *(m for u in uses for m in _package_modules(u))]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
        for module in (name, *parents):
            path = module_file(module)
            if module in seen or path is None:
                continue
            seen.add(module)
            todo.extend(_imports(module, path))
    return frozenset(seen)


def driver_module(exercise: str) -> str | None:
    """`fcnet.learn.drivers.<exercise>` where that module exists."""
    name = f"fcnet.learn.drivers.{exercise}"
    return name if module_file(name) is not None else None


@functools.lru_cache(maxsize=32)
def child_files(exercise: str, uses: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The files of fcnet the child checking `exercise` may read, relative to the package
    (`sandbox.Policy.fcnet`)."""
    modules = child_modules(uses, driver_module(exercise))
    files = {str(module_file(m).relative_to(_ROOT)) for m in modules}  # type: ignore[union-attr]
    return (*sorted(files), *DATA)


@functools.lru_cache(maxsize=32)
def library_paths(names: tuple[str, ...]) -> tuple[Path, ...]:
    """Where the libraries `names` (top-level, e.g. "sklearn") are installed in any folder
    of this process's import path (the child's is the same, less the current and test
    folders): every copy, not only the one an import finds first, so that moving a second
    copy to the front of sys.path reaches nothing. Package folders or module files; nothing
    is imported."""
    paths: list[Path] = []
    for name in names:
        for entry in sys.path:
            try:
                spec = importlib.machinery.PathFinder.find_spec(name, [entry or "."])
            except (ImportError, ValueError, OSError):
                continue
            if spec is None:
                continue
            if spec.submodule_search_locations:
                paths += [Path(p).resolve() for p in spec.submodule_search_locations]
            elif spec.origin and spec.has_location:
                paths.append(Path(spec.origin).resolve())
    return tuple(dict.fromkeys(paths))
