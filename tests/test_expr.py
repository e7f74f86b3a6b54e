"""fcnet.expr: every function and operator against numpy, and the inputs it must refuse."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest

from fcnet import expr
from fcnet.expr import FUNCTIONS, ExprError, parse

X = np.linspace(-2.5, 2.5, 41)  # crosses 0, avoids the poles of tan
U = np.linspace(-0.95, 0.95, 41)  # inside the domain of arcsin and arccos
P = np.linspace(0.05, 4.0, 41)  # positive, for log and sqrt

UNARY_CASES = [
    ("sin", np.sin, X),
    ("cos", np.cos, X),
    ("tan", np.tan, X),
    ("arcsin", np.arcsin, U),
    ("arccos", np.arccos, U),
    ("arctan", np.arctan, X),
    ("sinh", np.sinh, X),
    ("cosh", np.cosh, X),
    ("tanh", np.tanh, X),
    ("exp", np.exp, X),
    ("log", np.log, P),
    ("log2", np.log2, P),
    ("log10", np.log10, P),
    ("sqrt", np.sqrt, P),
    ("abs", np.abs, X),
    ("floor", np.floor, X),
    ("ceil", np.ceil, X),
    ("sign", np.sign, X),
    ("relu", lambda a: np.maximum(a, 0), X),
    ("sigmoid", lambda a: 1 / (1 + np.exp(-a)), X),
]


def test_every_function_is_tested():
    tested = {name for name, _, _ in UNARY_CASES} | {"minimum", "maximum", "where"}
    assert tested == set(FUNCTIONS)


@pytest.mark.parametrize(("name", "ref", "grid"), UNARY_CASES, ids=[c[0] for c in UNARY_CASES])
def test_unary_function_matches_numpy(name, ref, grid):
    f = parse(f"{name}(x)")
    np.testing.assert_allclose(f(grid), ref(grid), rtol=1e-14, atol=1e-15)
    # Composed with arithmetic, and folded when its argument is constant.
    np.testing.assert_allclose(parse(f"2*{name}(x) - 1")(grid), 2 * ref(grid) - 1, rtol=1e-13)
    assert parse(f"{name}(0.5)")(np.zeros(3))[0] == pytest.approx(float(ref(np.float64(0.5))))


def test_binary_and_ternary_functions():
    a, b = X, np.cos(X)
    np.testing.assert_array_equal(parse("minimum(x, cos(x))")(a), np.minimum(a, b))
    np.testing.assert_array_equal(parse("maximum(x, cos(x))")(a), np.maximum(a, b))
    np.testing.assert_array_equal(parse("where(x < 0, -x, x**2)")(a), np.where(a < 0, -a, a**2))
    # A numeric condition counts as true where it is nonzero.
    np.testing.assert_array_equal(parse("where(x, 1, 2)")(np.array([0.0, 3.0])), [2.0, 1.0])


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("x + 2", lambda x: x + 2),
        ("x - 2", lambda x: x - 2),
        ("3 * x", lambda x: 3 * x),
        ("x / 4", lambda x: x / 4),
        ("x ** 3", lambda x: x**3),
        ("-x", lambda x: -x),
        ("+x", lambda x: x),
        ("-x**2", lambda x: -(x**2)),  # ** binds tighter than unary minus, as in Python
        ("(1 - x) * (x + 2) / 3", lambda x: (1 - x) * (x + 2) / 3),
        ("2**x", lambda x: 2.0**x),
        ("x**-2", lambda x: x**-2.0),
        ("1e-3 * x + .5", lambda x: 1e-3 * x + 0.5),
        ("pi * x + e", lambda x: np.pi * x + np.e),
        ("sin(3*x) + 0.3*x**2", lambda x: np.sin(3 * x) + 0.3 * x**2),
    ],
)
def test_operators_match_numpy(text, ref):
    grid = P if "**-2" in text else X
    np.testing.assert_allclose(parse(text)(grid), ref(grid), rtol=1e-14)


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("x < 0", lambda x: x < 0),
        ("x <= 0", lambda x: x <= 0),
        ("x > 0", lambda x: x > 0),
        ("x >= 0", lambda x: x >= 0),
        ("x == 0", lambda x: x == 0),
        ("x != 0", lambda x: x != 0),
        ("-1 < x <= 1", lambda x: (-1 < x) & (x <= 1)),
    ],
)
def test_comparisons_give_zero_one_floats(text, ref):
    grid = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0])
    out = parse(text)(grid)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, ref(grid).astype(np.float64))
    # Usable in arithmetic: a step function.
    np.testing.assert_array_equal(parse(f"({text}) * 5 - 1")(grid), ref(grid) * 5.0 - 1)


def test_two_variables():
    f = parse("sin(x) * cos(y) + x*y")
    assert f.variables == ("x", "y")
    assert f.text == "sin(x) * cos(y) + x*y"
    xg, yg = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(0, 2, 4))
    np.testing.assert_allclose(f(xg, yg), np.sin(xg) * np.cos(yg) + xg * yg, rtol=1e-14)
    with pytest.raises(ExprError, match=r"uses x and y: call it as f\(x, y\)"):
        f(xg)
    # One-variable expressions broadcast over a y they ignore.
    g = parse("x**2")
    assert g.variables == ("x",)
    assert g(np.arange(3.0), np.zeros((2, 1))).shape == (2, 3)


def test_dtype_and_broadcasting():
    x32 = np.linspace(-1, 1, 7, dtype=np.float32)
    assert parse("sin(x) * pi + (x > 0)")(x32).dtype == np.float32
    assert parse("x + 1")(np.arange(3)).dtype == np.float64  # ints become float64
    const = parse("2 * pi")
    out = const(np.zeros((4, 1), dtype=np.float32))
    assert out.shape == (4, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out, 2 * np.pi, rtol=1e-6)
    out[0, 0] = 0.0  # a real array, not a read-only broadcast view
    assert parse("y")(np.zeros(3), 7.0).tolist() == [7.0, 7.0, 7.0]


def test_nan_from_domain_errors_without_warnings():
    with np.errstate(all="raise"):  # the expression silences its own numpy warnings
        out = parse("log(x) + 1/sqrt(x)")(np.array([-1.0, 0.0, 1.0]))
    assert np.isnan(out[0])  # log of a negative
    assert np.isnan(out[1])  # -inf + inf
    assert out[2] == 1.0


MALICIOUS = [
    ('__import__("os").system("ls")', r"attribute access '\.system' is not allowed"),
    ("__import__('os')", r"unknown function '__import__' at column 1 \(allowed: sin, cos"),
    ("().__class__.__bases__", r"attribute access '\.__bases__'"),
    ("x.__class__", r"attribute access '\.__class__' is not allowed at column 2"),
    ("[x for x in ()]", r"comprehensions are not allowed"),
    ("(x for x in ())", r"comprehensions are not allowed"),
    ("lambda: 1", r"lambda is not allowed"),
    ('"a"*9', r"strings are not allowed at column 1"),
    ("b'a'", r"strings are not allowed"),
    ("f'{x}'", r"strings are not allowed"),
    ("9**9**9", r"power tower"),
    ("x**2**2", r"power tower"),
    ("x**1000", r"exponent 1000 is too large at column 4 \(at most 100"),
    ("x**-1000", r"exponent -1000 is too large"),
    ("x**(25*5)", r"exponent 125 is too large"),
    ("x" * 1001, r"too long: 1001 characters \(at most 1000\)"),
    ("+".join(["x"] * 120), r"more than 50 levels|more than 200"),
    ("-" * 500 + "x", r"nested too deeply"),
    ("(" * 300 + "x" + ")" * 300, r"too many nested parentheses|nested too deeply"),
    ("x^2", r"'\^' is not a power at column 2: use \*\* for powers"),
    ("x % 2", r"operator '%' is not allowed"),
    ("x // 2", r"operator '//' is not allowed"),
    ("x @ x", r"operator '@' is not allowed"),
    ("x[0]", r"indexing"),
    ("x[::-1]", r"indexing"),
    ("sin(x=1)", r"keyword arguments are not allowed in sin"),
    ("sin(*x)", r"unpacking is not allowed"),
    ("sin(x, 1)", r"sin takes 1 argument, got 2"),
    ("where(x, 1)", r"where takes 3 arguments, got 2"),
    ("exec('1')", r"unknown function 'exec'"),
    ("eval", r"unknown name 'eval'"),
    ("getattr(x, 'real')", r"unknown function 'getattr'"),
    ("np.sin(x)", r"attribute access '\.sin'"),
    ("(x := 1)", r"':=' is not allowed"),
    ("x if x else 0", r"use where\(c, a, b\)"),
    ("x and y", r"'and' / 'or' are not allowed"),
    ("not x", r"'not' is not allowed"),
    ("x in x", r"'in' is not allowed"),
    ("{x: 1}", r"dicts are not allowed"),
    ("(x, x)", r"tuples are not allowed"),
    ("True", r"True is not a number"),
    ("None", r"None is not a number"),
    ("1j", r"complex numbers"),
    ("z + 1", r"unknown name 'z' at column 1 \(allowed: x, y, pi, e\)"),
    ("asin(x)", r"unknown function 'asin' at column 1; did you mean arcsin\?"),
    ("sin", r"'sin' is a function at column 1: call it as sin\(\.\.\.\)"),
    ("x(2)", r"'x' is not a function"),
    ("2x", r"invalid decimal literal at column 1 \(write 2\*x"),
    ("sin(x", r"unbalanced parentheses"),
    ("x +", r"syntax error"),
    ("", r"empty"),
    ("   ", r"empty"),
    ("x\nimport os", r"one line of printable text at column 2"),
    ("x; import os", r"syntax error"),
]


@pytest.mark.parametrize(("text", "match"), MALICIOUS, ids=range(len(MALICIOUS)))
def test_refused_inputs_raise_helpful_errors(text, match):
    with pytest.raises(ExprError, match=match) as info:
        parse(text)
    err = info.value
    assert isinstance(err, ValueError)
    first = str(err).splitlines()[0]
    assert first.startswith('bad expression "')
    assert text[:40].replace("\n", "\\n") in first  # the text is quoted, on one line
    if err.column is not None:
        # The caret line points at the column the first line names.
        assert f"at column {err.column}" in first
        text_line, caret_line = str(err).splitlines()[1:3]
        caret = caret_line.index("^")
        if len(text) <= 80 and err.column <= len(text) and text.isprintable():
            assert text_line[caret] == text[err.column - 1]
        elif len(text) <= 80 and err.column > len(text):  # something missing at the end
            assert caret == len(text_line)


def test_non_string_is_refused():
    with pytest.raises(ExprError, match="expected a string, got int"):
        parse(3)  # type: ignore[arg-type]


def test_limits_are_exactly_the_documented_ones():
    parse("+".join(["x"] * 50))  # 50 terms: depth 50
    with pytest.raises(ExprError, match="unknown name"):  # not too long: refused for the name
        parse("x" * 1000)
    parse("x**100")
    parse("x**-100")
    group = "(" + "+".join(["sin(x)"] * 9) + ")"
    parse("+".join([group] * 5))  # 45 calls, 44 sums: 134 nodes, 14 deep
    with pytest.raises(ExprError, match="more than 200"):
        parse("+".join([group] * 9))  # 81 calls, 80 sums: 242 nodes, only 18 deep


def test_module_never_calls_eval_exec_or_compile():
    tree = ast.parse(inspect.getsource(expr))
    forbidden = {"eval", "exec", "compile", "__import__", "getattr", "globals", "locals"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            assert name not in forbidden, f"fcnet.expr calls {name} at line {node.lineno}"
