"""Every untouched skeleton (English and Chinese) fails each check with "not implemented yet",
naming the function; a Chinese skeleton's code is the English one's (translated text only)."""

import ast
from pathlib import Path

import pytest

from fcnet.learn.exercises import CATALOG, get
from fcnet.learn.runner import check_file
from fcnet.learn.skeleton import LANGUAGES, NOTEBOOKS, cells, render


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", list(CATALOG))
def test_untouched_skeleton_is_not_implemented_yet(name, lang, tmp_path):
    namespace = {"__name__": "skeleton"}
    text = render(name, "py", lang=lang)
    exec(compile(text, f"{name}.py", "exec"), namespace)
    exercise = get(name)
    for function in exercise.functions:
        assert function in namespace, f"the skeleton defines {function}"
    path = tmp_path / "skeleton.py"
    path.write_text(text)
    report = check_file(name, path)
    assert len(report.checks) == len(exercise.checks)
    for check in report.checks:
        assert not check.passed
        assert check.message.startswith("not implemented yet: "), check
        named = check.message.split()[3]
        assert named.split(".")[0] in exercise.functions, check


@pytest.mark.parametrize("name", list(CATALOG))
def test_limits_nest(name):
    """A check outlives the calls it makes; the import and every check fit in the total."""
    from fcnet.learn.core import CALL_LIMIT

    exercise = get(name)
    assert exercise.import_seconds <= 60
    for check in exercise.checks:
        calls = [check.call_limit or exercise.call_limits.get(f, CALL_LIMIT) for f in check.uses]
        assert check.seconds > max(calls), check.name
        assert check.seconds <= exercise.total_seconds


def _code(name: str, lang: str) -> list[str]:
    """The skeleton's cells as kinds, and each code cell's AST without docstrings and with
    every string emptied (a walk-through's printed labels are translated too)."""
    out = []
    for kind, text in cells(name, lang):
        if kind != "code":
            out.append(kind)
            continue
        tree = ast.parse(text)
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
                if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                node.value = ""
        out.append(ast.dump(tree))
    return out


@pytest.mark.parametrize("name", [name for _, name in NOTEBOOKS])
def test_chinese_skeleton_has_the_english_code_and_chinese_text(name):
    assert _code(name, "zh") == _code(name, "en")
    markdown = [text for kind, text in cells(name, "zh") if kind == "markdown"]
    assert markdown and all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in markdown)
    zh = render(name, "py", lang="zh")
    if name != "idx_header":
        assert 'lang="zh")' in zh and "set_language" not in zh  # checks answer in Chinese


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_skeleton_imports_numpy_when_its_text_uses_np(lang):
    for _stem, name in NOTEBOOKS:
        parts = cells(name, lang)
        text = "\n".join(t for _k, t in parts)
        code = "\n".join(t for k, t in parts if k == "code")
        if "np." in text:
            assert "import numpy as np" in code, (name, lang)
        for lib, imp in (("torch.", "import torch"), ("tf.", "import tensorflow as tf")):
            if lib in code:
                assert imp in code, (name, lang)


def test_the_backprop_notebook_has_a_worked_gradient_check_in_a_code_cell():
    for lang in LANGUAGES:
        parts = cells("backprop", lang)
        code = [t for k, t in parts if k == "code" and "check_grad(" in t]
        assert code, lang
        namespace: dict = {}
        exec(compile("import numpy as np\n" + code[0], "cell", "exec"), namespace)
        assert abs(namespace["dz_ex"] - 0.140743) < 1e-6  # the number the text works out


def test_a_chinese_notebook_cannot_change_the_checkers_language(tmp_path):
    import os
    import subprocess
    import sys

    src = str(Path(__file__).resolve().parents[2] / "src")
    path = tmp_path / "auc.ipynb"
    path.write_text(render("auc", "ipynb", lang="zh"), encoding="utf-8")
    assert "set_language" not in path.read_text(encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=src)
    out = subprocess.run(
        [sys.executable, "-m", "fcnet", "--lang", "en", "check", "auc", str(path)],
        capture_output=True, text=True, env=env, timeout=120,
    ).stdout  # fmt: skip
    assert "not implemented yet" in out and not any("\u4e00" <= c <= "\u9fff" for c in out)
