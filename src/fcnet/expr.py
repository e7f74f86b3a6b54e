"""The safe parser for the functions users type: `fcnet fit "sin(3*x) + 0.3*x**2"`.

`parse(text)` reads the text with Python's `ast` module (`ast.parse(text, mode="eval")`),
walks the tree against a strict whitelist of node types, and builds a tree of small numpy
closures from it. The user's text never reaches eval, exec or compile: the only thing
ever run is fcnet's own closures, on numpy arrays.

Accepted: the variables `x` and `y`; numbers; `+ - * / **`, unary minus; parentheses;
comparisons `< <= > >= == !=` (1.0 where true, 0.0 where false; chains like `0 < x < 1`
work); the constants `pi` and `e`; and the functions in `FUNCTIONS`. Refused, with an
`ExprError` that quotes the text and points at the offending part: every other name,
call, attribute, subscript, string, lambda, comprehension and keyword argument; `^`
("use ** for powers"); a constant exponent beyond +-100 and powers inside exponents;
text over 1,000 characters, more than 200 nodes or nesting deeper than 50.

>>> f = parse("where(x < 0, 0, sin(x))")
>>> f(np.array([-1.0, 0.5]))
array([0.        , 0.47942554])
"""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from fcnet import _pyast
from fcnet.i18n import N_, ngettext
from fcnet.i18n import gettext as _

__all__ = ["FUNCTIONS", "MAX_DEPTH", "MAX_LENGTH", "MAX_NODES", "ExprError", "Expression", "parse"]

MAX_LENGTH = 1000  # characters of text
MAX_NODES = 200  # ast nodes (names, numbers, operations, calls)
MAX_DEPTH = 50  # nesting of operations
MAX_EXPONENT = 100.0  # largest |constant exponent|

VARIABLES = ("x", "y")
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}


def _sigmoid(a: Any) -> Any:
    # 1 / (1 + exp(-a)) written with tanh: no overflow for large |a|.
    return 0.5 * (np.tanh(0.5 * a) + 1.0)


def _relu(a: Any) -> Any:
    return np.maximum(a, 0.0)


def _where(cond: Any, a: Any, b: Any) -> Any:
    return np.where(np.asarray(cond) != 0, a, b)


# name -> (numpy function, number of arguments)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int]] = {
    "sin": (np.sin, 1),
    "cos": (np.cos, 1),
    "tan": (np.tan, 1),
    "arcsin": (np.arcsin, 1),
    "arccos": (np.arccos, 1),
    "arctan": (np.arctan, 1),
    "sinh": (np.sinh, 1),
    "cosh": (np.cosh, 1),
    "tanh": (np.tanh, 1),
    "exp": (np.exp, 1),
    "log": (np.log, 1),
    "log2": (np.log2, 1),
    "log10": (np.log10, 1),
    "sqrt": (np.sqrt, 1),
    "abs": (np.abs, 1),
    "floor": (np.floor, 1),
    "ceil": (np.ceil, 1),
    "sign": (np.sign, 1),
    "relu": (_relu, 1),
    "sigmoid": (_sigmoid, 1),
    "minimum": (np.minimum, 2),
    "maximum": (np.maximum, 2),
    "where": (_where, 3),
}

# Names people reach for, and what fcnet calls them.
_ALIASES = {
    "asin": "arcsin",
    "acos": "arccos",
    "atan": "arctan",
    "ln": "log",
    "min": "minimum",
    "max": "maximum",
    "fabs": "abs",
    "π": "pi",
    "X": "x",
    "Y": "y",
}

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}
_OPERATOR_TEXT = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.LShift: "<<",
    ast.RShift: ">>",
}
_REFUSED = {
    ast.Attribute: N_("attribute access is not allowed"),
    ast.Subscript: N_("indexing with [...] is not allowed"),
    ast.Lambda: N_("lambda is not allowed"),
    ast.ListComp: N_("comprehensions are not allowed"),
    ast.SetComp: N_("comprehensions are not allowed"),
    ast.DictComp: N_("comprehensions are not allowed"),
    ast.GeneratorExp: N_("comprehensions are not allowed"),
    ast.List: N_("lists are not allowed"),
    ast.Tuple: N_("tuples are not allowed"),
    ast.Set: N_("sets are not allowed"),
    ast.Dict: N_("dicts are not allowed"),
    ast.JoinedStr: N_("strings are not allowed"),
    ast.IfExp: N_("'a if c else b' is not allowed (use where(c, a, b))"),
    ast.BoolOp: N_("'and' / 'or' are not allowed (multiply or add comparisons, or use where)"),
    ast.NamedExpr: N_("':=' is not allowed"),
    ast.Starred: N_("'*' unpacking is not allowed"),
    ast.Await: N_("'await' is not allowed"),
    ast.Yield: N_("'yield' is not allowed"),
    ast.YieldFrom: N_("'yield' is not allowed"),
    ast.Slice: N_("slices are not allowed"),
}
# Node kinds that do not count towards the size limit (contexts and operator tokens).
_UNCOUNTED = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)

_Env = dict[str, Any]
_Fn = Callable[[_Env], Any]


class ExprError(ValueError):
    """An expression fcnet refuses. The first line of the message stands on its own.

    `str(error)` is `bad expression "TEXT": REASON at column N (HINT)`, then a second line with
    the text and a third with a caret under the offending part. `.text`, `.reason` and
    `.column` (1-based, or None) hold the pieces.
    """

    def __init__(self, text: str, reason: str, column: int | None = None, hint: str = "") -> None:
        self.text = text
        self.reason = reason
        self.column = column
        shown = _printable(text)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        where = _(" at column {column}").format(column=column) if column is not None else ""
        message = _('bad expression "{text}": {reason}{where}{hint}').format(
            text=shown, reason=reason, where=where, hint=hint
        )
        if column is not None:
            line, caret = _window(text, column)
            message += f"\n    {line}\n    {' ' * caret}^"
        super().__init__(message)


def _printable(text: str) -> str:
    """`text` with newlines, tabs and other unprintable characters escaped (one line)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _window(text: str, column: int) -> tuple[str, int]:
    """At most ~80 characters of `text` around `column`, and the caret's offset in them."""
    i = max(0, min(column - 1, len(text)))
    shown = _printable(text)
    i = len(_printable(text[:i]))
    if len(shown) <= 80:
        return shown, i
    start = max(0, i - 38)
    end = min(len(shown), start + 76)
    line = ("..." if start else "") + shown[start:end] + ("..." if end < len(shown) else "")
    return line, i - start + (3 if start else 0)


class Expression:
    """A parsed expression: call it as `f(x)` or, when it uses y, `f(x, y)`.

    Inputs are numpy arrays (or numbers) of any shape; they broadcast against each other
    and the result has their common shape, even for a constant expression. Float inputs
    keep their dtype (float32 in, float32 out); others become float64. numpy's warnings
    (log of a negative number) are silenced: such points come back as NaN or inf, and
    the caller decides what to do with them.
    """

    def __init__(self, text: str, fn: _Fn, variables: tuple[str, ...], nodes: int) -> None:
        self.text = text
        self.variables = variables
        self.nodes = nodes
        self._fn = fn

    def __repr__(self) -> str:
        return f"Expression({self.text!r}, variables={self.variables})"

    def __call__(self, x: ArrayLike, y: ArrayLike | None = None) -> np.ndarray:
        if y is None and "y" in self.variables:
            raise ExprError(self.text, _("uses x and y: call it as f(x, y)"))
        xs = _as_float(x)
        arrays = [xs] if y is None else [xs, _as_float(y)]
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        dtype = np.result_type(*arrays)
        env: _Env = {"x": xs, "y": arrays[-1], "dtype": dtype}
        with np.errstate(all="ignore"):
            out = np.asarray(self._fn(env), dtype=dtype)
        if out.shape != shape:
            out = np.broadcast_to(out, shape).copy()
        return out


# How far below the dtype's largest number the targets must stay: training scales them to
# unit variance, and the saved model multiplies its last layer back by their spread.
OVERFLOW_MARGIN = 1e4


def check_overflow(text: str, values: np.ndarray, dtype: str | np.dtype) -> None:
    """Refuse target values of expression `text` that the training dtype cannot hold.

    Checked before training: `10.0**100*x` is finite in float64 but not in float32, where
    its model's weights would become infinite only at the end of training.
    """
    finfo = np.finfo(np.dtype(dtype))
    top = float(np.max(np.abs(values))) if np.size(values) else 0.0
    bound = float(finfo.max) / OVERFLOW_MARGIN
    if not top <= bound:
        raise ExprError(
            text,
            _(
                "reaches {top} on the range, beyond what {dtype} training can hold (|f| up to "
                "{bound}); rescale the function or narrow the range"
            ).format(top=f"{top:.3g}", dtype=np.dtype(dtype).name, bound=f"{bound:.3g}"),
        )


def _as_float(a: ArrayLike) -> np.ndarray:
    arr = np.asarray(a)
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


def parse(text: str) -> Expression:
    """Parse `text` into an `Expression`, or raise `ExprError` saying what and where.

    >>> f = parse("x**2 + y")
    >>> f.variables, float(f(3.0, 1.0))
    (('x', 'y'), 10.0)
    """
    if not isinstance(text, str):
        raise ExprError(
            repr(text), _("expected a string, got {type}").format(type=type(text).__name__)
        )
    if len(text) > MAX_LENGTH:
        raise ExprError(
            text,
            _("too long: {n} characters (at most {limit})").format(n=len(text), limit=MAX_LENGTH),
        )
    if not text.strip():
        raise ExprError(text, _("empty: expected math in x, such as sin(x)"))
    for i, ch in enumerate(text):
        if not ch.isprintable():
            raise ExprError(text, _("expected one line of printable text"), i + 1)
    try:
        tree = _pyast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise _syntax_error(text, err) from None
    except (ValueError, MemoryError, RecursionError) as err:
        raise ExprError(text, _("cannot be read: {error}").format(error=err)) from None
    lead = len(text) - len(text.lstrip())
    builder = _Builder(text, lead)
    builder.check_size(tree.body)
    fn, _const = builder.build(tree.body)
    variables = ("x", "y") if "y" in builder.used else ("x",)
    return Expression(text, fn, variables, builder.nodes)


def _syntax_error(text: str, err: SyntaxError) -> ExprError:
    lead = len(text) - len(text.lstrip())
    body = text.strip()
    offset = err.offset if err.offset and 0 < err.offset <= len(body) else len(body) + 1
    msg = err.msg or "invalid syntax"
    if msg == "invalid syntax":
        msg = _("invalid syntax")
    hint = ""
    if "decimal literal" in msg:
        hint = _(" (write 2*x for a product)")
    elif "never closed" in msg or "unmatched" in msg or "does not match" in msg:
        msg = _("unbalanced parentheses: {msg}").format(msg=msg)
    else:
        msg = _("syntax error: {msg}").format(msg=msg)
    return ExprError(text, msg, lead + offset, hint)


def _name_hint(name: str, choices: list[str]) -> str:
    if name in _ALIASES:
        return _("; did you mean {name}?").format(name=_ALIASES[name])
    close = difflib.get_close_matches(name, choices, n=1)
    return _("; did you mean {name}?").format(name=close[0]) if close else ""


class _Builder:
    """Walks the ast against the whitelist; returns (closure, constant or None) per node."""

    def __init__(self, text: str, lead: int) -> None:
        self.text = text
        self.lead = lead  # characters of leading whitespace stripped before parsing
        self.body = text.strip().encode("utf-8")
        self.used: set[str] = set()
        self.nodes = 0

    def error(
        self, node: ast.AST | None, reason: str, byte_offset: int | None = None, hint: str = ""
    ) -> ExprError:
        """An ExprError pointing at `node` (or at `byte_offset` into the text)."""
        if byte_offset is None and node is not None:
            byte_offset = node.col_offset if isinstance(node, ast.expr) else None
        column = None
        if byte_offset is not None:
            # ast counts UTF-8 bytes; the caret counts characters.
            chars = len(self.body[:byte_offset].decode("utf-8", errors="ignore"))
            column = self.lead + chars + 1
        return ExprError(self.text, reason, column, hint)

    def check_size(self, root: ast.AST) -> None:
        """Refuse more than MAX_NODES nodes or nesting deeper than MAX_DEPTH, before any
        recursion over the tree."""
        stack = [(root, 1)]
        while stack:
            node, depth = stack.pop()
            if isinstance(node, _UNCOUNTED):
                continue
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise self.error(
                    None,
                    _("too large: more than {n} operations and terms").format(n=MAX_NODES),
                )
            if depth > MAX_DEPTH:
                raise self.error(
                    node,
                    _("nested too deeply: more than {n} levels of operations").format(n=MAX_DEPTH),
                )
            stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))

    def build(self, node: ast.AST, in_exponent: bool = False) -> tuple[_Fn, float | None]:
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node, in_exponent)
        if isinstance(node, ast.BinOp):
            return self._binop(node, in_exponent)
        if isinstance(node, ast.Compare):
            return self._compare(node, in_exponent)
        if isinstance(node, ast.Call):
            return self._call(node, in_exponent)
        if isinstance(node, ast.Attribute):
            dot = node.value.end_col_offset
            reason = _("attribute access '.{name}' is not allowed").format(name=node.attr)
            raise self.error(node, reason, dot)
        refused = _REFUSED.get(type(node))
        refused = (
            _(refused) if refused else _("{kind} is not allowed").format(kind=type(node).__name__)
        )
        reason, paren, hint = refused.partition(" (")
        raise self.error(node, reason, hint=paren + hint)

    @staticmethod
    def _fold(value: Any) -> tuple[_Fn, float]:
        folded = float(value)

        def fn(env: _Env) -> float:
            return folded

        return fn, folded

    def _constant(self, node: ast.Constant) -> tuple[_Fn, float]:
        value = node.value
        if isinstance(value, str | bytes):
            raise self.error(node, _("strings are not allowed"))
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise self.error(node, _("{value} is not a number").format(value=repr(value)))
        if isinstance(value, complex):
            raise self.error(node, _("complex numbers are not allowed"))
        if not isinstance(value, int | float):
            raise self.error(node, _("{kind} is not allowed").format(kind=type(value).__name__))
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise self.error(node, _("number too large"))
        return self._fold(number)

    def _name(self, node: ast.Name) -> tuple[_Fn, float | None]:
        name = node.id
        if name in VARIABLES:
            self.used.add(name)

            def fn(env: _Env) -> Any:
                return env[name]

            return fn, None
        if name in CONSTANTS:
            return self._fold(CONSTANTS[name])
        if name in FUNCTIONS:
            raise self.error(
                node,
                _("'{name}' is a function").format(name=name),
                hint=_(": call it as {name}(...)").format(name=name),
            )
        allowed = [*VARIABLES, *CONSTANTS]
        hint = _name_hint(name, allowed + list(FUNCTIONS))
        raise self.error(
            node,
            _("unknown name '{name}'").format(name=name),
            hint=hint + _(" (allowed: {names})").format(names=", ".join(allowed)),
        )

    def _unary(self, node: ast.UnaryOp, in_exponent: bool) -> tuple[_Fn, float | None]:
        if isinstance(node.op, ast.Not):
            raise self.error(node, _("'not' is not allowed"), hint=_(" (use 1 - (comparison))"))
        if isinstance(node.op, ast.Invert):
            raise self.error(node, _("'~' is not allowed"))
        operand, const = self.build(node.operand, in_exponent)
        if isinstance(node.op, ast.UAdd):
            return operand, const
        if const is not None:
            return self._fold(-const)

        def fn(env: _Env) -> Any:
            return np.negative(operand(env))

        return fn, None

    def _binop(self, node: ast.BinOp, in_exponent: bool) -> tuple[_Fn, float | None]:
        op_type = type(node.op)
        # Point at the operator: it sits between the end of the left operand and the right.
        op_at = node.left.end_col_offset
        if op_type is ast.BitXor:
            raise self.error(node, _("'^' is not a power"), op_at, _(": use ** for powers (x**2)"))
        if op_type not in _BINOPS:
            sym = _OPERATOR_TEXT.get(op_type, type(node.op).__name__)
            raise self.error(
                node,
                _("operator '{op}' is not allowed").format(op=sym),
                op_at,
                _(" (allowed: {names})").format(names="+ - * / **"),
            )
        is_pow = op_type is ast.Pow
        if is_pow and in_exponent:
            raise self.error(node, _("a power inside an exponent (a power tower) is not allowed"))
        left, lconst = self.build(node.left, in_exponent)
        right, rconst = self.build(node.right, in_exponent or is_pow)
        if is_pow and rconst is not None and abs(rconst) > MAX_EXPONENT:
            raise self.error(
                node.right,
                _("exponent {value} is too large").format(value=f"{rconst:g}"),
                hint=_(" (at most {limit} in absolute value)").format(limit=f"{MAX_EXPONENT:g}"),
            )
        op = _BINOPS[op_type]
        if lconst is not None and rconst is not None:
            with np.errstate(all="ignore"):
                return self._fold(op(np.float64(lconst), np.float64(rconst)))

        def fn(env: _Env) -> Any:
            return op(left(env), right(env))

        return fn, None

    def _compare(self, node: ast.Compare, in_exponent: bool) -> tuple[_Fn, float | None]:
        terms = [self.build(node.left, in_exponent)]
        ops = []
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if type(op) not in _CMPOPS:
                word = {ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}
                raise self.error(
                    comparator,
                    _("'{op}' is not allowed").format(op=word.get(type(op), type(op).__name__)),
                    hint=_(" (allowed: {names})").format(names="< <= > >= == !="),
                )
            ops.append(_CMPOPS[type(op)])
            terms.append(self.build(comparator, in_exponent))
        fns = [t[0] for t in terms]

        if all(t[1] is not None for t in terms):
            truth = all(bool(op(terms[i][1], terms[i + 1][1])) for i, op in enumerate(ops))
            return self._fold(1.0 if truth else 0.0)

        def fn(env: _Env) -> Any:
            values = [f(env) for f in fns]
            result = ops[0](values[0], values[1])
            for i in range(1, len(ops)):  # a chain 0 < x < 1 is (0 < x) and (x < 1)
                result = np.logical_and(result, ops[i](values[i], values[i + 1]))
            return np.asarray(result).astype(env["dtype"])

        return fn, None

    def _call(self, node: ast.Call, in_exponent: bool) -> tuple[_Fn, float | None]:
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Attribute):
                return self.build(node.func)  # refused, pointing at the attribute
            raise self.error(node, _("only the listed functions can be called"))
        name = node.func.id
        if name not in FUNCTIONS:
            if name in VARIABLES or name in CONSTANTS:
                raise self.error(
                    node,
                    _("'{name}' is not a function").format(name=name),
                    hint=_(" (write {name}*(...))").format(name=name),
                )
            hint = _name_hint(name, list(FUNCTIONS))
            raise self.error(
                node,
                _("unknown function '{name}'").format(name=name),
                hint=hint + _(" (allowed: {names})").format(names=", ".join(FUNCTIONS)),
            )
        if node.keywords:
            kw = node.keywords[0]
            raise self.error(
                kw.value, _("keyword arguments are not allowed in {name}(...)").format(name=name)
            )
        func, arity = FUNCTIONS[name]
        if len(node.args) != arity:
            reason = ngettext(
                "{name} takes {n} argument, got {got}",
                "{name} takes {n} arguments, got {got}",
                arity,
            ).format(name=name, n=arity, got=len(node.args))
            raise self.error(node, reason)
        built = [self.build(arg, in_exponent) for arg in node.args]
        if all(c is not None for _fn, c in built):
            with np.errstate(all="ignore"):
                return self._fold(func(*(np.float64(c) for _fn, c in built)))
        args = [f for f, _ in built]
        if arity == 1:
            (a,) = args

            def fn(env: _Env) -> Any:
                return func(a(env))

        else:

            def fn(env: _Env) -> Any:
                return func(*(f(env) for f in args))

        return fn, None
