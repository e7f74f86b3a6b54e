"""Every parse fcnet does goes through `fcnet._pyast.parse`, one thread at a time: CPython
3.11's AST constructor fails ("AST constructor recursion depth mismatch") when two threads
build ASTs at once, and grading and the studio parse from several threads."""

from __future__ import annotations

import ast
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import fcnet
from fcnet import _pyast

SRC = Path(fcnet.__file__).resolve().parent


def _calls_ast_parse(path: Path) -> bool:
    tree = _pyast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("parse", "literal_eval")
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "ast"
        for node in ast.walk(tree)
    )


def test_no_module_calls_ast_parse_itself():
    found = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "_pyast.py" and _calls_ast_parse(path)
    ]
    assert found == []


def test_parses_from_many_threads_are_taken_one_at_a_time(monkeypatch):
    inside, most = [0], [0]
    real = _pyast.ast.parse
    guard = threading.Lock()

    def counting(*args, **kwargs):
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            return real(*args, **kwargs)
        finally:
            with guard:
                inside[0] -= 1

    monkeypatch.setattr(_pyast.ast, "parse", counting)
    source = (SRC / "learn" / "sandbox.py").read_text(encoding="utf-8")
    with ThreadPoolExecutor(4) as pool:
        trees = list(pool.map(lambda _: _pyast.parse(source), range(12)))
    assert len(trees) == 12 and most[0] == 1
