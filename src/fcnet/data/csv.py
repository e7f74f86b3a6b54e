"""A user's table for binary classification: numeric features and one two-class label column.

`load_csv(path, label)` reads a CSV file with a header row. Every column but `label` is
a feature and must hold finite numbers; the label column must hold exactly two distinct
values. A bad row is an error naming its line (1-based, the header is line 1), so the
user can go straight to it.

>>> data = load_csv("patients.csv", label="sick")  # doctest: +SKIP
>>> data.x.shape, data.y[:5], data.classes  # doctest: +SKIP
((303, 13), array([1., 0., 0., 1., 1.], dtype=float32), ('0', '1'))
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fcnet._fileio import decode_text, read_bytes
from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.limits import MAX_CSV_BYTES


@dataclass(frozen=True)
class CsvData:
    """Features x (n, d) float32, labels y (n,) float32 in {0, 1}, names of both."""

    x: np.ndarray
    y: np.ndarray
    features: tuple[str, ...]
    classes: tuple[str, str]  # (negative, positive) as written in the file


def load_csv(path: str | os.PathLike[str], label: str, positive: str | None = None) -> CsvData:
    """Read `path`: a header row, then one sample per row; `label` names the class column.

    positive: the label value that counts as the positive class; by default the larger
    of two numbers (1 of 0/1), otherwise the later of the two values in sorted order.
    Raises OSError for an unreadable file, ValueError naming the line for a bad row.
    """
    path = Path(path)
    text = decode_text(read_bytes(path, MAX_CSV_BYTES, N_("CSV file")), str(path))
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ValueError(f"{path}: not a readable CSV file ({exc})") from None
    del text
    # csv.reader skips nothing: blank lines come as [] and keep the line numbers right.
    numbered = [(i + 1, row) for i, row in enumerate(rows) if row and any(c.strip() for c in row)]
    if not numbered:
        raise ValueError(
            _("{path}: empty file, expected a header row and data rows").format(path=path)
        )
    header_line, header = numbered[0]
    header = [h.strip() for h in header]
    seen: set[str] = set()
    for h in header:  # linear: a header may have a hundred thousand columns
        if h in seen:
            raise ValueError(
                _("{path}, line {header_line}: column name {name} appears twice").format(
                    path=path, header_line=header_line, name=_short(h)
                )
            )
        seen.add(h)
    if label not in seen:
        shown = ", ".join(_short(h)[1:-1] for h in header[:_SHOWN_COLUMNS])
        more = f", ... ({len(header):,} columns)" if len(header) > _SHOWN_COLUMNS else ""
        raise ValueError(
            _("{path}: no column {label} in the header (columns: {columns})").format(
                path=path, label=_short(label), columns=shown + more
            )
        )
    if len(header) < 2:
        raise ValueError(
            _("{path}: expected feature columns beside {label!r}, got none").format(
                path=path, label=label
            )
        )
    data = numbered[1:]
    if not data:
        raise ValueError(
            _("{path}: expected data rows after the header, got none").format(path=path)
        )
    li = header.index(label)
    features = tuple(h for i, h in enumerate(header) if i != li)
    x = np.empty((len(data), len(header) - 1), dtype=np.float32)
    labels: list[str] = []
    for r, (line, row) in enumerate(data):
        if len(row) != len(header):
            raise ValueError(
                _("{path}, line {line}: expected {n_header} fields, got {n_row}").format(
                    path=path, line=line, n_header=len(header), n_row=len(row)
                )
            )
        labels.append(row[li].strip())
        values = row[:li] + row[li + 1 :]
        for c, text in enumerate(values):
            x[r, c] = _number(text, path, line, features[c])
        if not labels[-1]:
            raise ValueError(
                _("{path}, line {line}, column {label!r}: the label is empty").format(
                    path=path, line=line, label=label
                )
            )
    classes = _classes(labels, positive, path, label)
    y = (np.asarray(labels) == classes[1]).astype(np.float32)
    return CsvData(x=x, y=y, features=features, classes=classes)


_SHOWN_COLUMNS = 12  # column names listed in a message, at most


def _short(name: str, width: int = 40) -> str:
    """A column name for a message: quoted, at most `width` characters."""
    return repr(name) if len(name) <= width else repr(name[: width - 3] + "...")


def _number(text: str, path: Path, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(
            _("{path}, line {line}, column {column!r}: expected a number, got {text!r}").format(
                path=path, line=line, column=column, text=text.strip()
            )
        ) from None
    if not math.isfinite(value):
        raise ValueError(
            _(
                "{path}, line {line}, column {column!r}: expected a finite number, got {text!r}"
            ).format(path=path, line=line, column=column, text=text)
        )
    return value


def _classes(labels: list[str], positive: str | None, path: Path, label: str) -> tuple[str, str]:
    distinct = sorted(set(labels))
    if len(distinct) != 2:
        shown = ", ".join(repr(v) for v in distinct[:6]) + (", ..." if len(distinct) > 6 else "")
        raise ValueError(
            _(
                "{path}: column {label!r} must hold exactly two classes, got {n_distinct}: {shown}"
            ).format(path=path, label=label, n_distinct=len(distinct), shown=shown)
        )
    if positive is None:
        numbers = _as_numbers(distinct)
        positive = distinct[1] if numbers is None else distinct[int(np.argmax(numbers))]
    elif positive not in distinct:
        raise ValueError(
            _(
                "positive: expected one of the labels in column {label!r} ({first!r}, "
                "{second!r}), got {positive!r}"
            ).format(label=label, first=distinct[0], second=distinct[1], positive=positive)
        )
    negative = distinct[0] if distinct[1] == positive else distinct[1]
    return negative, positive


def _as_numbers(values: list[str]) -> list[float] | None:
    try:
        return [float(v) for v in values]
    except ValueError:
        return None


def standardize(
    x: np.ndarray, mean: np.ndarray | None = None, std: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x - mean) / std column-wise, float32; mean and std computed from x unless given.

    Constant columns get std 1, so they become 0 rather than NaN. Compute the statistics
    on the training rows and pass them for the test rows.
    """
    if mean is None or std is None:
        mean = x.mean(axis=0, dtype=np.float64)
        std = x.std(axis=0, dtype=np.float64)
        std = np.where(std > 0, std, 1.0)
    out = ((x - mean) / std).astype(np.float32)
    return out, np.asarray(mean), np.asarray(std)


__all__ = ["CsvData", "load_csv", "standardize"]
