"""The studio's Class page and its API: a grade folder written by `fcnet grade`, opened.

A grade folder is looked for under the class root: `app.state.class_root` when set,
else the folder `fcnet serve` was started in. Every name the page sends is checked
(a relative path inside the root, a student id as `fcnet grade` makes them), and every
file is read by `fcnet._fileio`'s bounded readers: a link out of the root, a FIFO or a
file over its bound is a one-line error, never a hang.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations.
import csv
import io
import os
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

from fcnet._fileio import FileError, MiB, load_json, read_bytes, read_text
from fcnet.i18n import gettext as _

router = APIRouter()
PAGE = Path(__file__).resolve().parent / "static" / "class.html"
MAX_BOOK = 64 * MiB  # gradebook.json of a large class, every message included
MAX_SMALL = 4 * MiB  # grade.json, the csv files, one feedback or code file
MAX_PNG = 16 * MiB
MAX_FOLDERS = 200  # grade folders listed
_DEPTH = 3  # levels below the root searched for grade folders
_STUDENT = re.compile(r"[\w][\w.-]{0,99}")


def class_root(request: Request) -> Path:
    root = getattr(request.app.state, "class_root", None)
    return Path(root if root is not None else os.getcwd()).resolve()


def grade_folder(request: Request, folder: str) -> Path:
    """`folder` (relative to the class root) if it is a grade folder inside it."""
    root = class_root(request)
    if not folder or os.path.isabs(folder) or len(folder) > 1000:
        raise ValueError(_("dir: expected a folder relative to {root}").format(root=root))
    path = (root / folder).resolve()
    if not path.is_relative_to(root):
        raise ValueError(_("dir: {folder} is outside {root}").format(folder=folder, root=root))
    if not (path / "grade.json").is_file():
        raise HTTPException(
            404,
            _("{folder}: not a grade folder (no grade.json): run fcnet grade first").format(
                folder=folder
            ),
        )
    return path


def _file(path: Path, student: str) -> Path:
    if not path.is_file():
        raise HTTPException(404, _("{student}: no such file").format(student=student))
    return path


def _inside(request: Request, path: Path) -> Path:
    """The folder `path` must sit in for the bounded readers' `inside=`: its own folder,
    when that lies inside the class root (a link on the way out of the root is refused)."""
    folder = path.parent.resolve()
    if not folder.is_relative_to(class_root(request)):
        raise FileError(
            _("{name}: a link leading out of its folder; refused").format(name=path.name)
        )
    return folder


def _student(student: str) -> str:
    if not _STUDENT.fullmatch(student):
        raise ValueError(
            _("student: expected an id as fcnet grade writes them, got {student!r}").format(
                student=student[:40]
            )
        )
    return student


def _csv(request: Request, path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    text = read_text(path, MAX_SMALL, inside=_inside(request, path))
    return list(csv.DictReader(io.StringIO(text)))


@router.get("/class", include_in_schema=False)
def page() -> FileResponse:
    return FileResponse(PAGE, media_type="text/html")


@router.get("/api/class/folders")
def folders(request: Request) -> dict[str, Any]:
    """The grade folders under the class root (those holding grade.json), newest first."""
    root = class_root(request)
    found: list[tuple[float, str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        depth = len(rel.parts)
        dirnames[:] = (
            []
            if depth >= _DEPTH
            else sorted(
                d for d in dirnames if not d.startswith(".") and d not in ("node_modules", ".venv")
            )
        )
        if "grade.json" in filenames and depth > 0:
            found.append((os.stat(Path(dirpath, "grade.json")).st_mtime, rel.as_posix()))
            dirnames[:] = []
        if len(found) >= MAX_FOLDERS:
            break
    found.sort(reverse=True)
    return {"root": str(root), "folders": [name for _t, name in found]}


@router.get("/api/class")
def open_folder(request: Request, dir: str) -> dict[str, Any]:
    """A grade folder: grade.json, the students' rows (every check), the mistakes, the
    similar pairs."""
    path = grade_folder(request, dir)
    info = load_json(path / "grade.json", MAX_SMALL, inside=path)
    book = load_json(path / "gradebook.json", MAX_BOOK, inside=path)
    students = [
        {
            key: row.get(key)
            for key in (
                "student",
                "source",
                "score",
                "max_score",
                "status",
                "reason",
                "seconds",
                "mistakes",
                "checks",
            )
        }
        for row in book.get("students", [])
    ]
    return {
        "dir": dir,
        "grade": info,
        "checks": book.get("checks", []),
        "students": students,
        "mistakes": _csv(request, path / "mistakes.csv"),
        "similarity": _csv(request, path / "similarity.csv"),
    }


@router.get("/api/class/feedback")
def feedback(request: Request, dir: str, student: str) -> dict[str, str]:
    path = _file(grade_folder(request, dir) / "feedback" / f"{_student(student)}.md", student)
    return {
        "student": student,
        "markdown": read_text(path, MAX_SMALL, inside=_inside(request, path)),
    }


@router.get("/api/class/code")
def code(request: Request, dir: str, student: str) -> dict[str, str]:
    """A student's code as similarity compared it (students in a similar pair only)."""
    path = _file(grade_folder(request, dir) / "similar" / f"{_student(student)}.py", student)
    return {"student": student, "code": read_text(path, MAX_SMALL, inside=_inside(request, path))}


@router.get("/api/class/mistakes.png")
def mistakes_png(request: Request, dir: str) -> Response:
    path = grade_folder(request, dir) / "mistakes.png"
    data = read_bytes(path, MAX_PNG, inside=_inside(request, path))
    return Response(data, media_type="image/png")
