"""A class's submissions found and read within bounds: a folder, per-student folders, a zip.

SUBMISSIONS is a folder holding one file (`s01.py`, `s02.ipynb`), one folder
(`s03/backprop.py`) or one zip of such a folder (`s04.zip`) per student, or a `.zip` of
such a folder as learning platforms export it (one top-level folder around it is looked
through; a student's own .zip in it is read as their folder, as in a class folder). The
student's id is the file's stem or the folder's name. Every file is read here once,
bounded, and copied into `scratch`, so the checks see exactly the bytes that were
hashed. A submission that cannot be read (`missing`, `empty`, `not_utf8`, `link`,
`too_large`, `refused`) is kept with its reason and graded 0: it never stops the run.
A zip member with an absolute name, a `..` component, a link, or a size or compression
ratio of a zip bomb is refused by itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fcnet import i18n
from fcnet._fileio import FileError, MiB, decode_text
from fcnet.i18n import gettext as _

__all__ = ["MAX_FILE", "SUFFIXES", "Submission", "discover"]

MAX_FILE = 1 * MiB  # one submission (a notebook with outputs included)
MAX_ZIP = 256 * MiB  # all members of a zip, uncompressed
MAX_MEMBERS = 10_000
MAX_RATIO = 200  # uncompressed / compressed size of one member beyond which it is a bomb
SUFFIXES = (".py", ".ipynb")
_SKIP = ("__MACOSX", ".DS_Store", "__pycache__", ".ipynb_checkpoints")


@dataclass
class Submission:
    """One student's submission: `path` (a copy in the scratch folder) when it can be
    checked, else None with `status` and `reason` saying why it gets 0."""

    student: str
    source: str  # the name in SUBMISSIONS, as shown to the teacher
    path: Path | None = None
    status: str = ""  # "" when checkable; else missing/empty/not_utf8/link/too_large/refused
    reason: str = ""
    digest: str = ""  # sha256 of the bytes ("" when none were read)
    text: str = ""  # the code (for similarity)


class _Tree:
    """The files of SUBMISSIONS as relative POSIX paths -> bytes, or (status, reason)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes | tuple[str, str]] = {}
        self.folders: set[str] = set()
        self.refused: dict[str, tuple[str, str]] = {}  # zip members outside: id -> why


def discover(
    submissions: str | os.PathLike[str], name: str, scratch: Path, lang: str | None = None
) -> list[Submission]:
    """The submissions of exercise `name` in `submissions` (a folder or a .zip), sorted
    by student; readable ones copied into `scratch`. ValueError when `submissions` is
    neither, or holds no submission at all (in the current language; the reasons of
    submissions that cannot be read, the students', in `lang`: None, the current)."""
    root = Path(submissions)
    try:
        st = os.lstat(root)
    except FileNotFoundError:
        raise FileNotFoundError(2, _("no such file or folder"), os.fspath(root)) from None
    if stat.S_ISLNK(st.st_mode):
        st = os.stat(root)  # the teacher's own link to the class folder is followed
    if stat.S_ISDIR(st.st_mode):
        with _language(lang):
            tree = _read_folder(root)
    elif stat.S_ISREG(st.st_mode) and root.suffix.lower() == ".zip":
        with _open_zip(root, root) as zf, _language(lang):
            tree = _zip_members(zf, class_zip=True)
    else:
        raise ValueError(
            _("{path}: expected a folder of submissions or a .zip of one").format(path=root)
        )
    with _language(lang):
        tree = _strip_top(tree)
        subs = _submissions(tree, name)
    if not subs:
        raise ValueError(
            _(
                "{path}: no submissions found (expected {name}.py, {name}.ipynb or a folder "
                "per student)"
            ).format(path=root, name=name)
        )
    _copy(subs, tree, scratch)
    return subs


def _language(lang: str | None) -> contextlib.AbstractContextManager[None]:
    return i18n.use_language(lang) if lang else contextlib.nullcontext()


# ----- reading a folder or a zip into a _Tree ---------------------------------------------


def _read_folder(root: Path) -> _Tree:
    tree = _Tree()
    for dirpath, dirnames, filenames in os.walk(root):  # never follows links to folders
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        depth = 0 if rel_dir == "." else rel_dir.count("/") + 1
        dirnames[:] = sorted(d for d in dirnames if not _skipped(d)) if depth < 1 else []
        for d in list(dirnames):
            full = Path(dirpath, d)
            rel = _join(rel_dir, d)
            if full.is_symlink():
                tree.files[rel] = ("link", _("is a link; submit the file itself"))
                dirnames.remove(d)
            else:
                tree.folders.add(rel)
        for f in sorted(filenames):
            if _skipped(f):
                continue
            if f.lower().endswith(SUFFIXES):
                tree.files[_join(rel_dir, f)] = _read_file(Path(dirpath, f))
            elif depth == 0 and f.lower().endswith(".zip"):
                _add_student_zip(tree, Path(dirpath, f))
    return tree


def _add_student_zip(tree: _Tree, path: Path) -> None:
    """A student's own .zip at the top of the class folder: read as their folder."""
    stem = path.name[: -len(".zip")]
    if path.is_symlink():
        tree.files[stem] = ("link", _("is a link; submit the file itself"))
        return
    _add_zip_folder(tree, stem, path, path)


def _add_zip_folder(tree: _Tree, key: str, source: Path | io.BytesIO, shown: object) -> None:
    """A student's own zip (a file, or the bytes of a class zip's member) read, bounded,
    as their folder `key`; one that cannot be read is their refused submission."""
    try:
        inner = _strip_top(_read_zip(source, shown))
    except (FileError, OSError) as exc:
        tree.files[key] = ("refused", str(exc))
        return
    tree.folders.add(key)
    for name, value in inner.files.items():
        tree.files[f"{key}/{name}"] = value
    if inner.refused and not inner.files:
        tree.files[key] = next(iter(inner.refused.values()))


def _read_file(path: Path) -> bytes | tuple[str, str]:
    """The file's bytes, read without following a link, or (status, reason)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if os.path.islink(path):
            return "link", _("is a link; submit the file itself")
        return "refused", _("cannot be read: {error}").format(error=exc.strerror)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            return "refused", _("is not a regular file")
        data = fh.read(MAX_FILE + 1)
    return _too_large() if len(data) > MAX_FILE else data


def _open_zip(source: Path | io.BytesIO, path: object) -> zipfile.ZipFile:
    """A zip opened (`path`: its name in messages); FileError when it is not one or has
    more than MAX_MEMBERS members."""
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileError(
            _("{path}: not a readable zip ({error})").format(path=path, error=exc)
        ) from None
    if len(zf.infolist()) > MAX_MEMBERS:
        zf.close()
        raise FileError(
            _("{path}: {n} members, more than {limit}").format(
                path=path, n=len(zf.infolist()), limit=MAX_MEMBERS
            )
        )
    return zf


def _read_zip(source: Path | io.BytesIO, path: object) -> _Tree:
    with _open_zip(source, path) as zf:
        return _zip_members(zf)


def _zip_members(zf: zipfile.ZipFile, *, class_zip: bool = False) -> _Tree:
    """The members of an open zip; in a class zip, a student's own .zip (at the top, or
    in the one folder around everything) is read as their folder."""
    tree = _Tree()
    total = 0
    for info in zf.infolist():
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if not parts:
            continue
        key = "/".join(p for p in parts if p not in ("", "/"))
        student_zip = class_zip and name.lower().endswith(".zip") and len(parts) <= 2
        if not info.is_dir() and not name.lower().endswith(SUFFIXES) and not student_zip:
            continue
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            tree.refused[_safe_key(parts)] = (
                "refused",
                _("zip member {name!r} points outside the folder").format(name=info.filename),
            )
            continue
        if any(_skipped(p) for p in parts):
            continue
        if info.is_dir():
            tree.folders.add(key.rstrip("/"))
            continue
        for i in range(1, len(parts)):
            tree.folders.add("/".join(parts[:i]))
        if stat.S_ISLNK(info.external_attr >> 16):
            tree.files[key] = ("link", _("is a link; submit the file itself"))
            continue
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        limit = MAX_ZIP if student_zip else MAX_FILE
        if info.file_size > limit or total > MAX_ZIP:
            tree.files[key] = _too_large(limit)
            continue
        if ratio > MAX_RATIO and info.file_size > 64 * 1024:
            tree.files[key] = (
                "too_large",
                _("zip member compressed {ratio:.0f} to 1: refused as a zip bomb").format(
                    ratio=ratio
                ),
            )
            continue
        try:
            with zf.open(info) as fh:
                data = fh.read(limit + 1)  # the header may lie about the size
        except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:
            tree.files[key] = ("refused", _("cannot be read: {error}").format(error=exc))
            continue
        if len(data) > limit:
            tree.files[key] = _too_large(limit)
        elif student_zip:
            _add_zip_folder(tree, key[: -len(".zip")], io.BytesIO(data), info.filename)
        else:
            tree.files[key] = data
    return tree


def _too_large(limit: int = MAX_FILE) -> tuple[str, str]:
    return "too_large", _("more than {mib} MiB").format(mib=limit // MiB)


def _safe_key(parts: tuple[str, ...]) -> str:
    """A refused member's id: its base name's stem."""
    return (parts[-1] if parts else "_").rsplit(".", 1)[0]


def _strip_top(tree: _Tree) -> _Tree:
    """Look through one top-level folder holding everything (a zip of a folder)."""
    tops = {k.split("/", 1)[0] for k in tree.files} | {k.split("/", 1)[0] for k in tree.folders}
    while len(tops) == 1 and (top := next(iter(tops))) in tree.folders:
        inner = _Tree()
        cut = len(top) + 1
        inner.files = {k[cut:]: v for k, v in tree.files.items() if k.startswith(top + "/")}
        inner.folders = {k[cut:] for k in tree.folders if k.startswith(top + "/")}
        if not inner.files:
            break
        inner.refused = tree.refused
        tree = inner
        tops = {k.split("/", 1)[0] for k in tree.files} | {k.split("/", 1)[0] for k in tree.folders}
    return tree


# ----- submissions from the tree ------------------------------------------------------------


def _submissions(tree: _Tree, name: str) -> list[Submission]:
    subs: list[Submission] = []
    for key in sorted(tree.files):
        if "/" not in key and key.lower().endswith(SUFFIXES):
            stem = key.rsplit(".", 1)[0]
            subs.append(Submission(stem, key))
            _set(subs[-1], tree.files[key], key)
        elif "/" not in key and isinstance(tree.files[key], tuple) and key not in tree.folders:
            # a refused zip member or a link at the top: still somebody's submission
            subs.append(Submission(key.rsplit(".", 1)[0], key))
            _set(subs[-1], tree.files[key], key)
    for sid, (status, reason) in tree.refused.items():
        subs.append(Submission(sid, sid, status=status, reason=reason))
    for folder in sorted(f for f in tree.folders if "/" not in f):
        inside = {
            k[len(folder) + 1 :]: v
            for k, v in tree.files.items()
            if k.startswith(folder + "/") and k.count("/") >= 1
        }
        sub = Submission(folder, folder + "/")
        subs.append(sub)
        pick = _pick(inside, name)
        if pick is None:
            sub.status = "missing"
            sub.reason = _("no {name}.py or {name}.ipynb in the folder").format(name=name)
        else:
            sub.source = f"{folder}/{pick}"
            _set(sub, inside[pick], sub.source)
    _unique_ids(subs)
    return sorted(subs, key=lambda s: s.student)


def _pick(files: dict[str, bytes | tuple[str, str]], name: str) -> str | None:
    """The student's file in their folder: NAME.py/.ipynb, else the only code file."""
    top = [k for k in files if "/" not in k]
    for suffix in SUFFIXES:
        if f"{name}{suffix}" in top:
            return f"{name}{suffix}"
    code = [k for k in files if k.lower().endswith(SUFFIXES)]
    return code[0] if len(code) == 1 else None


def _set(sub: Submission, value: bytes | tuple[str, str], source: str) -> None:
    if isinstance(value, tuple):
        sub.status, sub.reason = value
        return
    if not value.strip():
        sub.status, sub.reason = "empty", _("the file is empty")
        return
    try:
        sub.text = decode_text(value, source)
    except FileError as exc:
        sub.status, sub.reason = "not_utf8", str(exc)
        return
    sub.digest = hashlib.sha256(value).hexdigest()


def _unique_ids(subs: list[Submission]) -> None:
    """Ids safe as file names (feedback/<id>.md), unique (s01.py and s01/ -> s01, s01-2)."""
    seen: set[str] = set()
    for sub in subs:
        base = re.sub(r"[^\w.-]", "_", sub.student).lstrip(".-") or "_"
        sid, n = base[:100], 1
        while sid.lower() in seen:
            n += 1
            sid = f"{base[:96]}-{n}"
        seen.add(sid.lower())
        sub.student = sid


def _copy(subs: list[Submission], tree: _Tree, scratch: Path) -> None:
    """Write each readable submission to scratch/<student>/<its file name>, its suffix in
    lower case (found in any case, `s01.PY` is checked as the .py file it is)."""
    for sub in subs:
        if sub.status:
            continue
        folder = scratch / sub.student
        folder.mkdir(parents=True, exist_ok=True)
        name = PurePosixPath(sub.source)
        target = folder / (name.stem + name.suffix.lower())
        target.write_bytes(_raw(tree, sub.source))
        sub.path = target


def _raw(tree: _Tree, source: str) -> bytes:
    value = tree.files[source]
    assert isinstance(value, bytes)
    return value


def _skipped(name: str) -> bool:
    return name in _SKIP or name.startswith(".")


def _join(folder: str, name: str) -> str:
    return name if folder in (".", "") else f"{folder}/{name}"
