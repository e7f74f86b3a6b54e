"""`grade`: a class's submissions checked, scored and written to a grade folder.

The order of a run: the submissions are found and read (`submissions`), the points
table loaded (`points`), the sandbox's protections looked up (a run without all of
them is refused unless `unsafe_no_sandbox`), then `jobs` threads each call the shared
`Checker` on one submission at a time while a progress bar counts them. A submission
whose content hash, exercise version and seed match the previous run's row is not
checked again (without `seed` the previous run's seed is used again; `force` checks
everything), unless the previous run (grade.json) was graded with other settings:
sandbox, missing protections, language, quick. Every finished row is written to
gradebook.json at once, so Ctrl-C keeps what is graded; the other files (feedback,
Gradescope, mistakes, similarity.csv with similar/<student>.py, the code of each
student in a pair, and grade.json) are written at the end and on Ctrl-C alike; those an
earlier run wrote for students no longer there (or no longer in a pair) are removed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import queue
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fcnet import __version__, i18n
from fcnet._fileio import atomic_write_text
from fcnet.grade import similarity
from fcnet.grade.feedback import write_student_files
from fcnet.grade.gradebook import Row, read_rows, row_from_report, unchecked_row, write_gradebook
from fcnet.grade.mistakes import count_mistakes, write_mistakes
from fcnet.grade.points import Points, load_points
from fcnet.grade.submissions import Submission, discover
from fcnet.i18n import gettext as _

__all__ = ["GradeOptions", "Summary", "grade", "sandbox_state"]

_OUR_FILES = ("grade.json", "gradebook.json", "gradebook.csv")


@dataclass
class GradeOptions:
    """What `fcnet grade` was asked (see its help)."""

    name: str
    submissions: Path
    out: Path
    jobs: int = 0  # 0: one per core
    points: Path | None = None
    seed: int | None = None  # None: drawn afresh, recorded
    lang: str | None = None  # None: the current language
    force: bool = False
    unsafe_no_sandbox: bool = False
    quick: bool = False
    threshold: float = similarity.THRESHOLD


@dataclass
class Summary:
    """What a run did: the rows, how many were checked now and reused, the pairs."""

    rows: list[Row]
    checked: int
    reused: int
    seconds: float
    pairs: list[similarity.Pair] = field(default_factory=list)
    interrupted: bool = False


def sandbox_state() -> tuple[dict[str, bool], list[str]]:
    """(protections, missing ones) of `fcnet.learn.sandbox` on this machine."""
    from fcnet.learn import sandbox

    return dict(sandbox.protections()), list(sandbox.missing_protections())


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def grade(options: GradeOptions, *, progress: bool | None = None) -> Summary:
    """Grade `options.submissions` into `options.out`; see the module's docstring.

    ValueError/OSError for what the teacher must fix (an unknown exercise, a bad points
    file, an out folder holding other files, a missing sandbox); KeyboardInterrupt is
    turned into a Summary with `interrupted` after writing what was graded.
    """
    from fcnet.learn.exercises import get
    from fcnet.learn.runner import Checker, protection_names

    lang = i18n.normalize(options.lang) or i18n.language()
    # the teacher's errors in fcnet's language, the students' files in the feedback's
    exercise = get(options.name)
    points = load_points(options.points, exercise)
    protections, missing = sandbox_state()
    if missing and not options.unsafe_no_sandbox:
        raise ValueError(
            _(
                "the sandbox lacks {missing}: students' code would run unconfined; "
                "grade where the kernel offers them, or pass --unsafe-no-sandbox"
            ).format(missing=protection_names(missing))
        )
    settings = {
        "unsafe_no_sandbox": options.unsafe_no_sandbox,
        "missing_protections": missing,
        "lang": lang,
        "quick": options.quick,
    }
    before = {} if options.force else _previous_run(options.out, settings)
    seed = options.seed
    if seed is None:  # the previous run's, so that its reused rows and grade.json agree
        seed = before["seed"] if before else secrets.randbelow(2**32)
    jobs = options.jobs or cores()
    started = datetime.now(UTC)
    t0 = time.monotonic()
    with contextlib.ExitStack() as stack:
        scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="fcnet-grade-"))
        subs = discover(options.submissions, options.name, Path(scratch), lang=lang)
        out = _prepare_out(options.out, options.submissions)
        stack.enter_context(i18n.use_language(lang))
        with Checker(
            options.name,
            quick=options.quick,
            seed=seed,
            lang=lang,
            unsafe_no_sandbox=options.unsafe_no_sandbox,
        ) as checker:
            version = exercise.version
            meta = {"exercise": exercise.name, "version": version}
            previous = read_rows(out / "gradebook.json") if before else {}
            rows: dict[str, Row] = {}
            todo: list[Submission] = []
            for sub in subs:
                if sub.status:
                    rows[sub.student] = unchecked_row(
                        sub.student, sub.source, sub.status, sub.reason, points
                    )
                    continue
                old = previous.get(sub.student)
                if (
                    old is not None
                    and old.digest == sub.digest
                    and old.version == version
                    and old.seed == seed
                ):
                    rows[sub.student] = old
                else:
                    todo.append(sub)
            reused = sum(1 for s in subs if not s.status) - len(todo)
            order = [s.student for s in subs]

            def save() -> list[Row]:
                done = [rows[s].rescore(points) for s in order if s in rows]
                write_gradebook(out, done, list(points), meta)
                return done

            interrupted = False
            try:
                _check_all(checker, todo, rows, jobs, save, progress, points)
            except KeyboardInterrupt:
                interrupted = True
        done = save()
        codes = _codes(subs)
        pairs = similarity.similar_pairs(codes, options.name, options.threshold)
        _write_rest(out, done, exercise, pairs, codes, {s.student for s in subs})
        finished = datetime.now(UTC)
        checked = sum(1 for s in todo if s.student in rows)
        seconds = round(time.monotonic() - t0, 3)
        info = {
            **meta,
            "seed": seed,
            "seed_given": options.seed is not None,
            "protections": protections,
            **settings,
            "fcnet_version": __version__,
            "points_file": os.fspath(options.points) if options.points else None,
            "similarity_threshold": options.threshold,
            "jobs": jobs,
            "students": len(done),
            "checked": checked,
            "reused": reused,
            "interrupted": interrupted,
            "started": started.isoformat(timespec="seconds"),
            "finished": finished.isoformat(timespec="seconds"),
            "seconds": seconds,
        }
        atomic_write_text(out / "grade.json", json.dumps(info, ensure_ascii=False, indent=1) + "\n")
        return Summary(done, checked, reused, seconds, pairs, interrupted=interrupted)


def _previous_run(out: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """The previous run's grade.json when its rows may be reused: {} when there is none,
    it cannot be read, or it was graded with other `settings` (sandbox, language, quick),
    so that every row of a grade folder was graded the same way."""
    from fcnet._fileio import load_json

    try:
        info = load_json(Path(out) / "grade.json")
    except (OSError, ValueError):
        return {}
    if not isinstance(info, dict) or not isinstance(info.get("seed"), int):
        return {}
    if any(info.get(k, False if k == "quick" else None) != v for k, v in settings.items()):
        return {}
    return info


def _prepare_out(out: Path, submissions: Path) -> Path:
    """The grade folder: new, empty, or an earlier grade folder (never someone's files)."""
    out = Path(out)
    if out.resolve().is_relative_to(Path(submissions).resolve()):
        raise ValueError(
            _("--out {out}: inside SUBMISSIONS; put the grade folder elsewhere").format(out=out)
        )
    if out.exists():
        if not out.is_dir():
            raise ValueError(_("--out {out}: exists and is not a folder").format(out=out))
        if any(out.iterdir()) and not any((out / f).is_file() for f in _OUR_FILES):
            raise ValueError(
                _("--out {out}: a folder with other files; give a new or empty folder").format(
                    out=out
                )
            )
    out.mkdir(parents=True, exist_ok=True)
    return out


def _check_all(checker, todo, rows, jobs, save, progress, points) -> None:
    """Check `todo` on `jobs` threads; each finished row goes into `rows` and is saved."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    if progress is None:
        progress = console.is_terminal
    pending: queue.Queue[Submission] = queue.Queue()
    for sub in todo:
        pending.put(sub)
    finished: queue.Queue[Row] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            try:
                sub = pending.get_nowait()
            except queue.Empty:
                return
            try:
                report = checker.check(sub.path)
                row = row_from_report(sub.student, sub.source, sub.digest, report, points)
            except Exception as exc:  # the checker's own failure: this row, not the run
                row = row_from_report_error(sub, exc, points)
            finished.put(row)

    threads = [threading.Thread(target=work, daemon=True) for _i in range(max(1, jobs))]
    for t in threads:
        t.start()
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("/"),
        TimeRemainingColumn(),
        console=console,
        disable=not progress,
    )
    try:
        with bar:
            task = bar.add_task(_("grading"), total=len(todo))
            last_save = 0.0
            for _i in range(len(todo)):
                while True:  # a timeout, so that Ctrl-C is seen at once
                    try:
                        row = finished.get(timeout=0.2)
                        break
                    except queue.Empty:
                        continue
                rows[row.student] = row
                bar.advance(task)
                if time.monotonic() - last_save > 0.5:
                    save()
                    last_save = time.monotonic()
    finally:
        stop.set()
        while not finished.empty():  # rows that finished while we were stopping
            row = finished.get_nowait()
            rows[row.student] = row


def row_from_report_error(sub: Submission, exc: Exception, points: dict[str, Points]) -> Row:
    """The row of a submission the checker itself failed on: 0 on every check of the
    points table, the error said with the submission's own name (not the scratch copy's)."""
    error = f"{type(exc).__name__}: {exc}"
    if sub.path is not None:
        error = error.replace(os.fspath(sub.path), sub.source)
    reason = _("the checker failed: {error}").format(error=error)
    return unchecked_row(sub.student, sub.source, "crashed", reason, points)


def _codes(subs: list[Submission]) -> dict[str, str]:
    """Each readable submission's code (a notebook's code cells, joined)."""
    from fcnet.learn.student_file import LoadError, read_cells

    codes = {}
    for sub in subs:
        if sub.path is None:
            continue
        try:
            codes[sub.student] = "\n".join(src for _n, src in read_cells(str(sub.path)))
        except (LoadError, OSError, ValueError):
            codes[sub.student] = sub.text
    return codes


def _write_rest(
    out: Path,
    rows: list[Row],
    exercise: Any,
    pairs: list,
    codes: dict[str, str],
    students: set[str],
) -> None:
    """Each graded row's files, the mistakes, the similar pairs; the files of students
    not in `students` (those of SUBMISSIONS, graded now or not) removed."""
    for row in rows:
        write_student_files(out, row, exercise.name)
    mistakes = count_mistakes(rows, exercise)
    write_mistakes(out, mistakes, sum(r.status == "ok" for r in rows))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["student_a", "student_b", "score", "lines_a", "lines_b"])
    for p in pairs:
        writer.writerow([p.a, p.b, f"{p.score:.3f}", p.lines_a, p.lines_b])
    atomic_write_text(out / "similarity.csv", buf.getvalue())
    # the code of each student in a pair, for the Class page's side-by-side view
    (out / "similar").mkdir(exist_ok=True)
    paired = {s for p in pairs for s in (p.a, p.b)}
    for student in sorted(paired):
        atomic_write_text(out / "similar" / f"{student}.py", codes[student])
    _remove_stale(out, students, paired)


def _remove_stale(out: Path, students: set[str], paired: set[str]) -> None:
    """Remove what an earlier run wrote for students no longer there (feedback/<s>.md,
    gradescope/<s>/results.json and its folder) or no longer in a similar pair
    (similar/<s>.py): only those files of fcnet's own subfolders, never a link's target."""
    stale = (
        (out / "feedback", ".md", students),
        (out / "similar", ".py", paired),
    )
    for folder, suffix, keep in stale:
        for entry in _entries(folder):
            name = entry.name
            if name.endswith(suffix) and name[: -len(suffix)] not in keep:
                if entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
    for entry in _entries(out / "gradescope"):
        if entry.name not in students and entry.is_dir(follow_symlinks=False):
            results = Path(entry.path, "results.json")
            if results.is_file() and not results.is_symlink():
                results.unlink()
            with contextlib.suppress(OSError):  # it holds something else: kept
                os.rmdir(entry.path)


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    if folder.is_symlink() or not folder.is_dir():
        return []
    with os.scandir(folder) as it:
        return list(it)
