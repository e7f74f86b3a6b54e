"""Every untouched skeleton (English and Chinese) fails each check with "not implemented yet",
naming the function; a Chinese skeleton's code is the English one's."""

import ast

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
        assert 'set_language("zh")' in zh  # its checks answer in Chinese
