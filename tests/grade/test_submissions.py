"""Finding a class's submissions: files, per-student folders, zips; bad ones kept with 0."""

import os
import stat
import zipfile

import pytest

from fcnet.grade.submissions import MAX_FILE, discover

RIGHT = "def linear_forward(x, W, b):\n    return x @ W.T + b\n"


def by_id(subs):
    return {s.student: s for s in subs}


def test_files_folders_and_student_zips_with_their_ids(tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    (root / "s01.py").write_text(RIGHT)
    (root / "s02.ipynb").write_text('{"cells": []}')
    (root / "s03").mkdir()
    (root / "s03" / "backprop.py").write_text(RIGHT)
    (root / "s03" / "helper.py").write_text("x = 1\n")
    (root / "s04").mkdir()
    (root / "s04" / "mine.py").write_text(RIGHT)
    with zipfile.ZipFile(root / "s05.zip", "w") as zf:
        zf.writestr("s05/backprop.py", RIGHT)
    (root / "README.txt").write_text("not a submission")
    (root / ".hidden.py").write_text(RIGHT)
    subs = by_id(discover(root, "backprop", tmp_path / "scratch"))
    assert sorted(subs) == ["s01", "s02", "s03", "s04", "s05"]
    assert subs["s03"].source == "s03/backprop.py"  # NAME.py chosen over the helper
    assert subs["s04"].source == "s04/mine.py"  # the only code file
    for s in subs.values():
        assert s.status == "" and s.path is not None and s.path.is_file()
        assert s.path.read_bytes() == (RIGHT.encode() if s.student != "s02" else b'{"cells": []}')
        assert len(s.digest) == 64


def test_unreadable_submissions_are_kept_with_their_status(tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    (root / "empty.py").write_text("  \n")
    (root / "latin.py").write_bytes("# caf\xe9\n".encode("latin-1"))
    (root / "big.py").write_bytes(b"#" * (MAX_FILE + 1))
    (root / "link.py").symlink_to("/etc/passwd")
    (root / "dirlink").symlink_to(tmp_path, target_is_directory=True)
    (root / "nocode").mkdir()
    (root / "nocode" / "a.txt").write_text("x")
    os.mkfifo(root / "fifo.py")
    subs = by_id(discover(root, "backprop", tmp_path / "scratch"))
    expected = {
        "empty": "empty",
        "latin": "not_utf8",
        "big": "too_large",
        "link": "link",
        "dirlink": "link",
        "nocode": "missing",
        "fifo": "refused",
    }
    assert {k: s.status for k, s in subs.items()} == expected
    assert all(s.path is None and s.reason for s in subs.values())
    assert "byte 0xe9" in subs["latin"].reason


def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            if isinstance(data, zipfile.ZipInfo):
                zf.writestr(data, "/etc/passwd")
            else:
                zf.writestr(name, data)


def test_a_zip_of_the_class_refuses_bad_members_one_by_one(tmp_path):
    link = zipfile.ZipInfo("class/evil_link.py")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    _zip(
        tmp_path / "class.zip",
        {
            "class/s01.py": RIGHT,
            "class/s02/backprop.py": RIGHT,
            "class/../up.py": RIGHT,
            "/abs.py": RIGHT,
            "class/bomb.py": "#" * (MAX_FILE // 2) + "\n" + " " * (MAX_FILE // 2 - 10),
            "class/huge.py": "#" * (MAX_FILE + 10),
            "evil_link": link,
        },
    )
    scratch = tmp_path / "scratch"
    subs = by_id(discover(tmp_path / "class.zip", "backprop", scratch))
    assert subs["s01"].status == "" and subs["s02"].status == ""
    assert subs["up"].status == "refused" and "outside" in subs["up"].reason
    assert subs["abs"].status == "refused"
    assert subs["bomb"].status == "too_large" and "zip bomb" in subs["bomb"].reason
    assert subs["huge"].status == "too_large"
    assert subs["evil_link"].status == "link"
    # nothing was written outside the scratch folder
    assert not (tmp_path / "up.py").exists() and not os.path.exists("/abs.py")
    assert {p.parent.name for p in scratch.rglob("*.py")} == {"s01", "s02"}


def test_a_students_zip_inside_a_zip_of_the_class_is_their_folder(tmp_path):
    import io

    inner = io.BytesIO()
    _zip(inner, {"s02/backprop.py": RIGHT})
    _zip(
        tmp_path / "class.zip",
        {
            "export/s01.py": RIGHT,
            "export/s02.zip": inner.getvalue(),
            "export/s03.zip": "not a zip",
        },
    )
    subs = by_id(discover(tmp_path / "class.zip", "backprop", tmp_path / "scratch"))
    assert sorted(subs) == ["s01", "s02", "s03"]
    assert subs["s02"].status == "" and subs["s02"].source == "s02/backprop.py"
    assert subs["s02"].path.read_text() == RIGHT
    assert subs["s03"].status == "refused" and "not a readable zip" in subs["s03"].reason


def test_ids_are_safe_file_names_and_unique(tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    (root / "a b.py").write_text(RIGHT)
    (root / "-=cmd.py").write_text(RIGHT)
    (root / "dup.py").write_text(RIGHT)
    (root / "dup").mkdir()
    (root / "dup" / "backprop.py").write_text(RIGHT)
    ids = sorted(s.student for s in discover(root, "backprop", tmp_path / "s"))
    assert ids == ["_cmd", "a_b", "dup", "dup-2"]


@pytest.mark.parametrize("make", ["none", "file", "emptydir"])
def test_nothing_to_grade_is_a_one_line_error(tmp_path, make):
    target = tmp_path / "subs"
    if make == "file":
        target.write_text("x")
    elif make == "emptydir":
        target.mkdir()
    with pytest.raises((ValueError, OSError)) as info:
        discover(target, "backprop", tmp_path / "s")
    assert "\n" not in str(info.value) and "subs" in str(info.value)
