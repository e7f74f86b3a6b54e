"""Skeletons: the file a learner starts from, as a .py script or a Jupyter notebook.

Each exercise's skeleton is kept in its folder, in the "percent" format
(`exercises/NAME/skeleton.py`):
cells start with ``# %%`` (code) or ``# %% [markdown]`` (text, each line behind "# "),
and the cell ``# %% [check]`` is replaced by the code that runs the checks: an
``if __name__ == "__main__":`` block in a script, a `run_checks(NAME, globals())` cell
in a notebook. `python -m fcnet.learn.skeleton` brings the catalogs in step and rewrites
notebooks/ and notebooks/zh/ (`DIR [LANG]`: one folder).

Each skeleton's code is written once; its text (markdown cells, docstrings, comments,
printed labels) is in English there and translated in `skeleton.zh.po` beside it
(`fcnet.learn.skeleton_text`); `notebooks/` and `notebooks/zh/` are rendered from them.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from fcnet import _pyast
from fcnet._fileio import atomic_write_text

__all__ = [
    "FILE_STEMS",
    "FORMATS",
    "LANGUAGES",
    "NOTEBOOKS",
    "SOURCES",
    "cells",
    "file_names",
    "parameters",
    "render",
    "write_skeleton",
]

FORMATS = ("py", "ipynb")
# notebooks/ holds these, in this order: the IDX walk-through, then one per exercise
NOTEBOOKS = (
    ("00_idx_header", "idx_header"),
    ("01_backprop", "backprop"),
    ("02_fit", "fit"),
    ("03_idx", "idx"),
    ("04_mnist", "mnist"),
    ("05_auc", "auc"),
    ("06_torch", "torch"),
    ("07_tensorflow", "tensorflow"),
)

LANGUAGES = ("en", "zh")  # the source's language first; the others' catalogs: skeleton.LANG.po
_FILES = {"idx_header": ("idx", "header")}  # (folder, stem) where not (NAME, "skeleton")
# every skeleton source: (folder, stem) of exercises/FOLDER/STEM.py
SOURCES = tuple(_FILES.get(name, (name, "skeleton")) for _stem, name in NOTEBOOKS)
NOTEBOOK_FOLDERS = {"en": "notebooks", "zh": "notebooks/zh"}
# the file `fcnet exercise start NAME` writes is NAME.py, except where NAME is a library's:
# a torch.py or tensorflow.py would hide the library from every script in its folder
FILE_STEMS = {"torch": "torch_net", "tensorflow": "tf_net"}
# the names older fcnet wrote, still recognised (`fcnet exercise status`)
_OLD_STEMS = {"torch": "torch", "tensorflow": "tensorflow"}


def file_names(name: str) -> tuple[str, ...]:
    """The file names exercise `name`'s work may have in a folder, the skeleton's first
    (torch_net.py, then torch_net.ipynb, then the older torch.py, torch.ipynb)."""
    stems = [FILE_STEMS.get(name, name)] + ([_OLD_STEMS[name]] if name in _OLD_STEMS else [])
    return tuple(f"{stem}.{ext}" for stem in stems for ext in FORMATS)


_PY_CHECK = """if __name__ == "__main__":
    from fcnet.learn import run_checks

    report = run_checks("{name}", __file__{language})
    print(report)
    raise SystemExit(0 if report.passed else 1)
"""
_NB_CHECK = """from fcnet.learn import run_checks

report = run_checks("{name}", globals(){language})
print(report)"""


# A Chinese skeleton's checks answer in Chinese, whatever the machine's locale.
# Only the report's language: the notebook's process keeps its own (no set_language), so
# nothing in a notebook can change what `fcnet --lang en check` prints.
_LANGUAGE = {"en": "", "zh": ', lang="zh"'}


def _language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"lang: expected one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


def template(name: str, lang: str = "en") -> str:
    """The percent-format text of skeleton `name` in `lang` ("en" or "zh"): the source's
    code with its text translated by the language's catalog."""
    from fcnet.learn import skeleton_text

    folder, stem = _FILES.get(name, (name, "skeleton"))
    source = resources.files("fcnet.learn.exercises").joinpath(folder, f"{stem}.py")
    text = source.read_text("utf-8")
    if _language(lang) == LANGUAGES[0]:
        return text
    return skeleton_text.translate(
        text, skeleton_text.catalog(skeleton_text.catalog_path(folder, stem, lang))
    )


@functools.cache
def parameters(name: str) -> dict[str, tuple[str, ...]]:
    """{function: its parameters' names} of exercise `name`, as its English skeleton
    defines them (a failing check's diff names its inputs so); {} without a skeleton."""
    try:
        tree = _pyast.parse(template(name, "en"))
    except (OSError, SyntaxError, ValueError):
        return {}
    return {
        node.name: tuple(a.arg for a in node.args.posonlyargs + node.args.args)
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def cells(name: str, lang: str = "en") -> list[tuple[str, str]]:
    """[(kind, text)] of skeleton `name`; kind is "markdown", "code" or "check"."""
    out: list[tuple[str, list[str]]] = []
    for line in template(name, lang).splitlines():
        if line.startswith("# %%"):
            kind = "markdown" if "[markdown]" in line else "check" if "[check]" in line else "code"
            out.append((kind, []))
        elif out:
            out[-1][1].append(line)
        elif line.strip():
            raise AssertionError(f"skeleton {name}: text before the first cell")
    result = []
    for kind, lines in out:
        if kind == "markdown":
            lines = [ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines]
        result.append((kind, "\n".join(lines).strip("\n")))
    return result


def render(name: str, fmt: str, exercise: str | None = None, lang: str = "en") -> str:
    """Skeleton `name` as the text of a .py script or of an .ipynb notebook, in `lang`."""
    exercise = exercise or name
    parts = cells(name, lang)
    language = _LANGUAGE[lang]
    if fmt == "py":
        chunks = []
        for kind, text in parts:
            if kind == "markdown":
                chunks.append(
                    "# %% [markdown]\n" + "\n".join(f"# {ln}".rstrip() for ln in text.splitlines())
                )
            elif kind == "check":
                chunks.append(
                    "# %%\n" + _PY_CHECK.format(name=exercise, language=language).rstrip("\n")
                )
            else:
                chunks.append("# %%\n" + text)
        return "\n\n\n".join(chunks) + "\n"
    if fmt != "ipynb":
        raise ValueError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    nb_cells = []
    for i, (kind, text) in enumerate(parts, 1):
        if kind == "check":
            kind, text = (
                "code",
                _NB_CHECK.format(name=exercise, language=language),
            )
        cell: dict[str, Any] = {
            "cell_type": kind,
            "id": f"cell-{i}",
            "metadata": {},
            "source": _lines(text),
        }
        if kind == "code":
            cell |= {"execution_count": None, "outputs": []}
        nb_cells.append(cell)
    nb = {
        "cells": nb_cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def _lines(text: str) -> list[str]:
    lines = text.splitlines(True)
    return lines


def write_skeleton(
    name: str, folder: str | os.PathLike = ".", fmt: str = "py", lang: str | None = None
) -> Path:
    """Write exercise `name`'s skeleton as FOLDER/NAME.py (or .ipynb; torch_net and tf_net
    for the frameworks, which shadow no library), creating FOLDER;
    never overwrite. `lang`: the skeleton's language, by default the current one
    (`fcnet.i18n.language()`, so `fcnet --lang zh exercise start` writes the Chinese one).

    ValueError for an unknown exercise or format; FileExistsError when the file exists.
    """
    from fcnet.i18n import gettext as _
    from fcnet.learn.exercises import get

    get(name)  # ValueError naming the known ones
    if fmt not in FORMATS:
        raise ValueError(
            _("--format: expected one of {names}, got {fmt!r}").format(
                names=", ".join(FORMATS), fmt=fmt
            )
        )
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(20, _("not a folder"), str(folder))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{FILE_STEMS.get(name, name)}.{fmt}"
    if lang is None:
        from fcnet.i18n import language

        lang = language()
    text = render(name, fmt, lang=lang)
    try:  # "x": fails if the file exists, so nothing the learner wrote is ever replaced
        with open(path, "x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise FileExistsError(
            17, _("already exists; fcnet never overwrites it (remove it or use --dir)"), str(path)
        ) from None
    return path


def write_notebooks(folder: str | os.PathLike, lang: str = "en") -> list[Path]:
    """(Re)write notebooks/ (or, in Chinese, notebooks/zh/): the IDX walk-through and one
    notebook per exercise."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for stem, name in NOTEBOOKS:
        path = folder / f"{stem}.ipynb"
        atomic_write_text(path, render(name, "ipynb", lang=lang))
        out.append(path)
    return out


def update_catalogs() -> list[tuple[Path, int, int]]:
    """Bring every skeleton's catalogs in step with its source
    (`skeleton_text.update_catalog`): [(catalog, units added, units removed)]."""
    from fcnet.learn import skeleton_text

    out = []
    for folder, stem in SOURCES:
        source = resources.files("fcnet.learn.exercises").joinpath(folder, f"{stem}.py")
        for lang in LANGUAGES[1:]:
            path = skeleton_text.catalog_path(folder, stem, lang)
            added, removed = skeleton_text.update_catalog(source.read_text("utf-8"), path, lang)
            out.append((path, added, removed))
    return out


def main(argv: list[str]) -> int:
    """`python -m fcnet.learn.skeleton [DIR [LANG]]`: with no argument, update every
    catalog, then rewrite notebooks/ and notebooks/zh/ (a text still to translate is
    named, exit 1); with DIR, write that one folder's notebooks in LANG (default en)."""
    if argv:
        for p in write_notebooks(argv[0], argv[1] if len(argv) > 1 else "en"):
            print(p)
        return 0
    for path, added, removed in update_catalogs():
        if added or removed:
            print(f"{path}: {added} new, {removed} removed")
    for lang, folder in NOTEBOOK_FOLDERS.items():
        try:
            written = write_notebooks(folder, lang)
        except KeyError as exc:
            print(f"{lang}: translate {exc.args[0]!r} in its catalog (its msgstr is empty)")
            return 1
        for p in written:
            print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
