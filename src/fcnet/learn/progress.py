"""The learner's progress: the small record `fcnet check` keeps beside the checked file.

`.fcnet-check.json` in the file's folder holds, per exercise, the last result (the file's
name, n of m checks passed, when, which failed) and the hint level reached per check
(`fcnet check --hint`). It holds data only, never code: names, counts and a time. It is
written atomically (`fcnet._fileio`) and read bounded; a record that cannot be read is
ignored with one warning line, and the next check writes a fresh one.
`fcnet exercise status` reads it (`status`); the studio's Exercises page keeps its checks
and hints in the same record (`record_report`, `next_hint`), so both advance one counter.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fcnet._fileio import FileError, atomic_write_text, load_json
from fcnet.i18n import gettext as _

__all__ = ["RECORD", "Entry", "Record", "load", "next_hint", "record_report", "status"]

RECORD = ".fcnet-check.json"
MAX_RECORD = 256 << 10  # bytes: a record holds a few lines per exercise
VERSION = 1


@dataclass
class Entry:
    """One exercise's last result in a folder."""

    file: str
    passed: int
    total: int
    when: str  # ISO 8601, UTC
    failed: list[str] = field(default_factory=list)
    hints: dict[str, int] = field(default_factory=dict)  # check name -> hint level shown

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "passed": self.passed,
            "total": self.total,
            "when": self.when,
            "failed": list(self.failed),
            "hints": dict(self.hints),
        }


@dataclass
class Record:
    """The record of one folder: `entries` by exercise name; `warning` says why an
    unreadable record was ignored ("" when it was fine or absent)."""

    path: Path
    entries: dict[str, Entry] = field(default_factory=dict)
    warning: str = ""

    def save(self) -> None:
        import json

        data = {"version": VERSION, "exercises": {k: e.to_json() for k, e in self.entries.items()}}
        atomic_write_text(self.path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def _entry(value: Any) -> Entry | None:
    """An Entry from its JSON, or None when anything in it is not what a record holds."""
    if not isinstance(value, dict):
        return None
    file, passed, total, when = (value.get(k) for k in ("file", "passed", "total", "when"))
    failed, hints = value.get("failed", []), value.get("hints", {})
    if not (isinstance(passed, int) and isinstance(total, int)):
        return None
    if isinstance(passed, bool) or isinstance(total, bool) or min(passed, total) < 0:
        return None
    if not (isinstance(file, str) and isinstance(when, str)):
        return None
    if not (isinstance(failed, list) and all(isinstance(f, str) for f in failed)):
        return None
    if not (isinstance(hints, dict) and all(isinstance(v, int) for v in hints.values())):
        return None
    return Entry(file, passed, total, when, failed, {str(k): int(v) for k, v in hints.items()})


def load(folder: str | os.PathLike[str]) -> Record:
    """The record in `folder` (empty when there is none, or when it is unreadable:
    then `warning` says why, in one line)."""
    path = Path(folder) / RECORD
    record = Record(path)
    try:
        if not os.path.lexists(path):
            return record
        data = load_json(path, MAX_RECORD)
        if not isinstance(data, dict) or not isinstance(data.get("exercises"), dict):
            raise ValueError(_("not a progress record"))
        entries = {str(k): _entry(v) for k, v in data["exercises"].items()}
        if any(e is None for e in entries.values()):
            raise ValueError(_("an entry is malformed"))
    except (OSError, ValueError, FileError) as exc:
        record.warning = _("warning: {path}: ignored ({why})").format(
            path=path, why=" ".join(str(exc).split())[:200]
        )
        return record
    record.entries = {k: e for k, e in entries.items() if e is not None}
    return record


def record_report(
    path: str | os.PathLike[str],
    report: Any,
    hints: dict[str, int] | None = None,
    *,
    record: Record | None = None,
):
    """Keep `report`'s result (a `fcnet.learn.core.Report`) for the file `path` in its
    folder's record; `hints`: the hint levels to keep (default: those already there);
    `record`: the folder's record as the caller loaded it (default: read now).
    Returns the `Record` (its `warning` set when an old one was unreadable)."""
    path = Path(path)
    record = load(path.parent) if record is None else record
    old = record.entries.get(report.exercise)
    if hints is None:
        hints = old.hints if old is not None else {}
    failed = [c.name for c in report.checks if not c.passed]
    record.entries[report.exercise] = Entry(
        file=path.name,
        passed=sum(c.passed for c in report.checks),
        total=len(report.checks),
        when=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        failed=failed,
        hints={k: v for k, v in hints.items() if k in failed},
    )
    record.save()
    return record


def next_hint(path: str | os.PathLike[str], exercise: str, check: str) -> int:
    """One hint level further for `exercise`'s `check` on the file `path`, kept in its
    folder's record as `fcnet check --hint` keeps it; returns the new level. ValueError
    (one line) when the record's last result of that file does not list `check` as failing."""
    from fcnet.learn.hints import next_level

    path = Path(path)
    record = load(path.parent)
    entry = record.entries.get(exercise)
    if entry is None or entry.file != path.name or check not in entry.failed:
        why = _("check: {check} did not fail in the last check of {file}: check the file first")
        raise ValueError(why.format(check=_(check), file=path.name))
    entry.hints[check] = next_level(entry.hints, check)
    record.save()
    return entry.hints[check]


def status(folder: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], str]:
    """One row per exercise, in `fcnet exercise list`'s order: its name, the file found in
    `folder` (None when none is there), and its last result (None when never checked).
    Returns (rows, warning)."""
    from fcnet.learn.exercises import CATALOG
    from fcnet.learn.skeleton import file_names

    record = load(folder)
    rows = []
    for name in CATALOG:
        found = [f for f in file_names(name) if (Path(folder) / f).is_file()]
        entry = record.entries.get(name)
        rows.append(
            {
                "exercise": name,
                "file": found[0] if found else None,
                "last": entry.to_json() if entry is not None else None,
            }
        )
    return rows, record.warning
