"""Your numbers beside the right ones: a small excerpt of a wrong array and the expected one.

`compare(quantity, yours, expected)` finds the entries that differ and cuts a window of
at most 4 rows by 6 columns around the first; `lines(diff, colour)` writes both excerpts
side by side, the differing entries marked (red in a terminal, a trailing `*` when
piped). A check whose inputs or answers are hidden shows no expected values
(`hide_expected`). The diff is plain data: `fcnet check --json` carries it as
`checks[].diff` (quantity, shape, indices, count, rows, columns, yours, expected).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fcnet.i18n import gettext as _

__all__ = ["COLUMNS", "ROWS", "compare", "differs", "hide_expected", "lines"]

ROWS, COLUMNS = 4, 6  # the excerpt's largest size
MAX_INDICES = 10  # differing entries listed in full


def _as_2d(a: np.ndarray) -> np.ndarray:
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    return a.reshape(-1, a.shape[-1])


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
    """`diff` without the expected values (for a hidden check)."""
    return None if diff is None else {**diff, "expected": None}


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
    width = max(len(c.replace("\x1b[1;31m", "").replace("\x1b[0m", "")) for _l, b in rendered
                for row in b for c in row)  # fmt: skip
    label_w = max(len(label) for label, _b in rendered)
    for label, cells in rendered:
        for i, row in enumerate(cells):
            shown = " ".join(_pad(c, width) for c in row)
            out.append(f"{(label if i == 0 else ''):<{label_w}}  [ {shown}]")
    return out


def _pad(cell: str, width: int) -> str:
    visible = len(cell.replace("\x1b[1;31m", "").replace("\x1b[0m", ""))
    return " " * (width - visible) + cell
