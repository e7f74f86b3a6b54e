"""Your numbers beside the right ones: a small excerpt of a wrong array and the expected one.

`compare(quantity, yours, expected)` finds the entries that differ and cuts a window of
at most 4 rows by 6 columns around the first; `lines(diff, colour)` writes both excerpts
side by side, the differing entries marked (red in a terminal, a trailing `*` when
piped). `with_inputs(diff, function, names, args)` adds what the check passed to the
learner's function (`core.CheckFailed` does it for every diff, from the check's last call),
each input's excerpt cut by the same rules and, when it is small, all its values, which
`lines` writes as a `np.array([...])` to paste into Python. A check whose inputs or
answers are hidden shows neither its expected values nor its inputs (`hide_expected`).
The diff is plain data: `fcnet check --json` carries it as `checks[].diff` (quantity,
shape, indices, count, rows, columns, yours, expected, marked, function, inputs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fcnet.i18n import display_width
from fcnet.i18n import gettext as _

__all__ = [
    "COLUMNS",
    "MAX_VALUES",
    "ROWS",
    "compare",
    "differs",
    "hide_expected",
    "lines",
    "with_inputs",
]

ROWS, COLUMNS = 4, 6  # the excerpt's largest size
MAX_INDICES = 10  # differing entries listed in full
MAX_VALUES = 64  # an input of at most this many entries is given whole (to paste into Python)
MAX_TEXT = 300  # characters of a text input (a file's path) shown


def _as_2d(a: np.ndarray) -> np.ndarray:
    return a.reshape(_shape_2d(a.shape))


def _shape_2d(shape: Sequence[int]) -> tuple[int, int]:
    """The rows and columns an array of `shape` is shown as (its last axis the columns)."""
    if len(shape) < 2:
        return 1, int(shape[0]) if shape else 1
    return int(np.prod(shape[:-1])), int(shape[-1])


def _round(x: float) -> float | str:
    if not np.isfinite(x):
        return str(x)  # "nan", "inf", "-inf": JSON has no such numbers
    return float(f"{x:.6g}")


RTOL, ATOL = 1e-7, 1e-9  # the checks' tolerances (`exercises._util.close`)


def differs(
    yours: np.ndarray, expected: np.ndarray, rtol: float = RTOL, atol: float = ATOL
) -> np.ndarray:
    """The entries of `yours` that differ from `expected` (same shape): a NaN differs."""
    return ~np.isclose(yours, expected, rtol=rtol, atol=atol, equal_nan=False)


def compare(
    quantity: str, yours: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL
) -> dict[str, Any] | None:
    """The diff of `yours` against `expected` (same shape), or None when they agree or
    cannot be compared entry by entry (different shapes, not numbers)."""
    try:
        y = np.asarray(yours, dtype=np.float64)
        e = np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if y.shape != e.shape or y.size == 0:
        return None
    wrong = differs(y, e, rtol, atol)
    if not wrong.any():
        return None
    where = [tuple(int(i) for i in ix) for ix in np.argwhere(wrong)[:MAX_INDICES]]
    y2, e2, w2 = _as_2d(y), _as_2d(e), _as_2d(wrong)
    flat = int(np.flatnonzero(w2.ravel())[0])
    r, c = divmod(flat, w2.shape[1])
    r0 = max(0, min(r - 1, w2.shape[0] - ROWS))
    c0 = max(0, min(c - 2, w2.shape[1] - COLUMNS))
    rows, cols = slice(r0, r0 + ROWS), slice(c0, c0 + COLUMNS)
    return {
        "quantity": quantity,
        "shape": list(y.shape),
        "indices": [list(ix) for ix in where],
        "count": int(wrong.sum()),
        "rows": [r0, min(r0 + ROWS, w2.shape[0])],
        "columns": [c0, min(c0 + COLUMNS, w2.shape[1])],
        "yours": [[_round(v) for v in row] for row in y2[rows, cols]],
        "expected": [[_round(v) for v in row] for row in e2[rows, cols]],
        "marked": [[bool(v) for v in row] for row in w2[rows, cols]],
    }


def hide_expected(diff: dict[str, Any] | None) -> dict[str, Any] | None:
    """`diff` without the expected values and without the inputs (for a hidden check)."""
    return None if diff is None else {**diff, "expected": None, "inputs": None}


def with_inputs(
    diff: dict[str, Any], function: str | None, names: Sequence[str], args: Sequence[Any]
) -> dict[str, Any]:
    """`diff` with the inputs the check called the learner's `function` with: one
    {"name", "shape", "dtype", "rows", "columns", "excerpt", "values"} per argument
    (`names` the parameters' names, `args[i]` past them). The excerpt is at most ROWS x
    COLUMNS, on the diff's rows when the input has as many rows (the same samples), else
    its first, and likewise for the columns; `values` the whole input (floats exact) when
    it has at most MAX_VALUES entries, else None. No `function` (no call to show):
    `inputs` is None."""
    if function is None:
        return {**diff, "function": None, "inputs": None}
    size = _shape_2d(diff["shape"])
    start = (diff["rows"][0], diff["columns"][0])
    found = [
        _input(names[i] if i < len(names) else f"args[{i}]", a, size, start)
        for i, a in enumerate(args)
    ]
    return {**diff, "function": function, "inputs": found}


def _input(name: str, arg: Any, size: tuple[int, int], start: tuple[int, int]) -> dict[str, Any]:
    """One input's entry (see `with_inputs`); `size`: the quantity's 2-d shape, `start`:
    the first row and column of its excerpt."""
    entry: dict[str, Any] = {"name": name, "shape": None, "dtype": type(arg).__name__}
    entry |= {"rows": None, "columns": None, "excerpt": None, "values": None}
    if isinstance(arg, str):
        return {**entry, "shape": [], "values": arg[:MAX_TEXT]}
    try:
        a = np.asarray(arg)
    except (TypeError, ValueError):
        return entry
    if a.dtype.kind not in "biuf" or a.size == 0:
        return entry
    a2 = _as_2d(a)
    r0, c0 = (start[i] if a2.shape[i] == size[i] else 0 for i in (0, 1))
    window = a2[r0 : r0 + ROWS, c0 : c0 + COLUMNS]
    return {
        **entry,
        "shape": list(a.shape),
        "dtype": str(a.dtype),
        "rows": [r0, r0 + window.shape[0]],
        "columns": [c0, c0 + window.shape[1]],
        "excerpt": [[_plain(v, _round) for v in row] for row in window.tolist()],
        "values": _exact(a.tolist()) if a.size <= MAX_VALUES else None,
    }


def _plain(v: Any, number: Any) -> Any:
    """A value of an array's .tolist() as JSON data: bools and integers as they are."""
    return v if isinstance(v, bool | int) else number(v)


def _exact(v: Any) -> Any:
    """.tolist()'s nested lists, floats exact (JSON has no nan or inf: those as text)."""
    if isinstance(v, list):
        return [_exact(x) for x in v]
    return _plain(v, lambda x: x if np.isfinite(x) else str(x))


def _cell(v: Any, marked: bool, colour: bool) -> str:
    text = f"{v:.4g}" if isinstance(v, float) else str(v)
    if not marked:
        return text + " "
    return f"\x1b[1;31m{text}\x1b[0m " if colour else text + "*"


def lines(diff: dict[str, Any], colour: bool = False) -> list[str]:
    """The diff as text lines: where the entries differ, then the two excerpts."""
    first = tuple(diff["indices"][0])
    where = _("{quantity} differs in {count} of {size} entries, first at index {index}").format(
        quantity=diff["quantity"],
        count=diff["count"],
        size=int(np.prod(diff["shape"])) if diff["shape"] else 1,
        index=first if len(first) != 1 else first[0],
    )
    if len(first) >= 2:
        where += _(" (row {row})").format(row=first[0])
    out = [where]
    r0, r1 = diff["rows"]
    c0, c1 = diff["columns"]
    out.append(
        _("rows {r0}-{r1}, columns {c0}-{c1}{marks}:").format(
            r0=r0, r1=r1 - 1, c0=c0, c1=c1 - 1, marks="" if colour else _(" (* marks a difference)")
        )
    )
    blocks = [(_("yours"), diff["yours"])]
    if diff.get("expected") is not None:
        blocks.append((_("expected"), diff["expected"]))
    rendered = []
    for label, rows in blocks:
        cells = [[_cell(v, m, colour) for v, m in zip(row, mrow, strict=True)]
                 for row, mrow in zip(rows, diff["marked"], strict=True)]  # fmt: skip
        rendered.append((label, cells))
    width = max(_visible(c) for _l, b in rendered for row in b for c in row)
    label_w = max(display_width(label) for label, _b in rendered)  # 你的, 应为: 4 columns
    for label, cells in rendered:
        for i, row in enumerate(cells):
            shown = " ".join(_pad(c, width) for c in row)
            head = label if i == 0 else ""
            out.append(head + " " * (label_w - display_width(head)) + f"  [ {shown}]")
    if diff.get("inputs"):
        out.append(_("the check called {function} with:").format(function=diff["function"]))
        out += ["  " + _input_line(entry) for entry in diff["inputs"]]
    return out


def _input_line(entry: dict[str, Any]) -> str:
    """One input on one line: `x (5, 4) = np.array([...])` when whole, else an excerpt."""
    name, shape = entry["name"], entry["shape"]
    if isinstance(entry["values"], str):
        return f"{name} = {entry['values']!r}"
    if entry["excerpt"] is None:
        return f"{name}: {entry['dtype']}"
    shown = str(tuple(shape))
    if entry["values"] is not None:
        dtype = "" if entry["dtype"] in ("float64", "int64", "bool") else f", {entry['dtype']!r}"
        return f"{name} {shown} = np.array({_literal(entry['values'])}{dtype})"
    (r0, r1), (c0, c1) = entry["rows"], entry["columns"]
    return _("{name} {shape}, rows {r0}-{r1}, columns {c0}-{c1}: {excerpt}").format(
        name=name, shape=shown, r0=r0, r1=r1 - 1, c0=c0, c1=c1 - 1,
        excerpt=_literal(entry["excerpt"]),
    )  # fmt: skip


def _literal(v: Any) -> str:
    """Nested lists as Python text (floats to 6 significant digits, always with a point;
    nan and inf as np.nan, np.inf)."""
    if isinstance(v, list):
        return "[" + ", ".join(_literal(x) for x in v) + "]"
    if isinstance(v, bool | int):
        return str(v)
    if isinstance(v, str):  # "nan", "inf", "-inf"
        return v.replace("nan", "np.nan").replace("inf", "np.inf")
    text = f"{v:.6g}"
    return text if any(c in text for c in ".e") else text + ".0"


def _visible(cell: str) -> int:
    """A cell's columns on screen, its colour codes left out."""
    return len(cell.replace("\x1b[1;31m", "").replace("\x1b[0m", ""))


def _pad(cell: str, width: int) -> str:
    return " " * (width - _visible(cell)) + cell
