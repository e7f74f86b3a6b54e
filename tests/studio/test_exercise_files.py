"""The studio's exercise files: only a regular .py/.ipynb file inside the exercise root."""

from __future__ import annotations

import os
import types

import pytest
from fastapi import HTTPException

from fcnet.studio.exercise_files import exercise_file, exercise_root


def _request(root) -> types.SimpleNamespace:
    return types.SimpleNamespace(
        app=types.SimpleNamespace(state=types.SimpleNamespace(exercise_root=root))
    )


def test_a_file_inside_the_root_is_found(tmp_path):
    (tmp_path / "week1").mkdir()
    (tmp_path / "week1" / "backprop.py").write_text("x = 1\n")
    req = _request(tmp_path)
    assert exercise_root(req) == tmp_path.resolve()
    assert exercise_file(req, "week1/backprop.py") == tmp_path / "week1" / "backprop.py"


def test_the_root_defaults_to_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert exercise_root(_request(None)) == tmp_path.resolve()


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "relative to"),
        ("/etc/passwd.py", "relative to"),
        ("a\x00.py", "relative to"),
        ("notes.txt", "not an exercise file"),
        ("../outside.py", "outside"),
        ("sub/../../outside.py", "outside"),
        ("link.py", "symbolic link"),
        ("folder.py", "not a regular file"),
    ],
)
def test_names_that_are_refused_say_why(tmp_path, name, words):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.py").write_text("secret = 1\n")
    os.symlink(tmp_path / "outside.py", root / "link.py")
    (root / "folder.py").mkdir()
    with pytest.raises(ValueError, match=words):
        exercise_file(_request(root), name)


def test_a_missing_file_is_a_404(tmp_path):
    with pytest.raises(HTTPException) as err:
        exercise_file(_request(tmp_path), "backprop.py")
    assert err.value.status_code == 404 and "backprop.py" in err.value.detail
