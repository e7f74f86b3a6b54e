"""fcnet._fileio: bounded regular-file reads, nesting bounds, and the removal of the
temporary files a killed atomic write leaves behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from fcnet._fileio import (
    STALE_SECONDS,
    FileError,
    atomic_write_text,
    load_npz,
    parse_json,
    parse_toml,
    read_bytes,
    read_text,
)


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(proc.stdout)


def test_the_next_write_removes_stale_temporaries_of_dead_writers(tmp_path):
    dead = tmp_path / f".checkpoint.npz.fcnet-{_dead_pid()}-abcd1234.tmp"
    live = tmp_path / f".model.npz.fcnet-{os.getpid()}-efgh5678.tmp"  # being written now
    mine = tmp_path / ".notes.backup.tmp"  # not fcnet's: never touched
    # a dead writer's fresh one may be another machine's write in a shared folder: kept
    fresh = tmp_path / f".metrics.jsonl.fcnet-{_dead_pid()}-ijkl9012.tmp"
    for p in (dead, live, mine, fresh):
        p.write_bytes(b"partial")
    an_hour_ago = time.time() - STALE_SECONDS - 1
    for p in (dead, live, mine):
        os.utime(p, (an_hour_ago, an_hour_ago))
    atomic_write_text(tmp_path / "run.json", "{}")
    assert not dead.exists()
    assert live.exists() and mine.exists()
    assert fresh.exists()
    assert (tmp_path / "run.json").read_text() == "{}"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".run.json")]
    assert leftovers == []


def test_reads_are_bounded_and_regular_only(tmp_path):
    (tmp_path / "f").write_bytes(b"x" * 100)
    assert read_bytes(tmp_path / "f", limit=100) == b"x" * 100
    with pytest.raises(FileError, match=r"f: 100 bytes, more than a thing may have \(99 bytes\)"):
        read_bytes(tmp_path / "f", limit=99, what="thing")
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(FileError, match=r"pipe: is a FIFO"):
        read_bytes(tmp_path / "pipe")  # refused by type: no wait for a writer
    with pytest.raises(FileError, match=r"zero: is a device"):
        (tmp_path / "zero").symlink_to("/dev/zero")
        read_bytes(tmp_path / "zero")
    with pytest.raises(IsADirectoryError):
        read_bytes(tmp_path)
    (tmp_path / "l1").write_bytes("café".encode("latin-1"))
    with pytest.raises(FileError, match=r"l1: not UTF-8 text \(byte 0xe9 at offset 3\)"):
        read_text(tmp_path / "l1")


@pytest.mark.parametrize("depth", [60, 65, 100_000])
def test_nesting_is_bounded_in_json_and_toml(depth):
    text = "[" * depth + "]" * depth
    if depth <= 60:
        assert parse_json(text, "j") is not None
        assert parse_toml(f"a = {text}", "t") is not None
    else:
        with pytest.raises(FileError, match="j: nested more than 64 levels deep"):
            parse_json(text, "j")
        with pytest.raises(FileError, match="t: nested more than 64 levels deep"):
            parse_toml(f"a = {text}", "t")
    # brackets inside strings are text, not nesting
    assert parse_json('["' + "[" * 1000 + '"]', "j") == ["[" * 1000]


def test_npz_members_are_checked_before_they_are_read(tmp_path):
    np.savez(tmp_path / "a.npz", small=np.zeros(10), big=np.zeros(1000))
    assert set(load_npz(tmp_path / "a.npz")) == {"small", "big"}
    with pytest.raises(FileError, match=r"array 'big' holds 7.94 KiB, more than a model may have"):
        load_npz(tmp_path / "a.npz", "model", small={"big": 1024})
    (tmp_path / "b.npz").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(FileError, match=r"b.npz: not a readable .npz"):
        load_npz(tmp_path / "b.npz")


def test_native_model_files_are_checked_before_the_framework_reads_them(tmp_path):
    from fcnet.backends import load
    from fcnet.spec import NetSpec

    os.mkfifo(tmp_path / "m.pt")
    with pytest.raises(FileError, match=r"m\.pt: is a FIFO"):
        load(tmp_path / "m.pt", spec=NetSpec(input_size=2, output_size=1))


# ----- modes: what a plain open() would give (issue 25.9) -------------------------------------


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_atomic_writes_follow_the_umask_as_a_subprocess_run_folder_does(tmp_path, mask):
    """`fcnet fit` run as a user with umask `mask`: every file of its run folder has mode
    0666 & ~mask (a class sharing a folder reads each other's runs), none mkstemp's 0600."""
    from _hostile import SRC

    env = {**os.environ, "PYTHONPATH": SRC, "OMP_NUM_THREADS": "1", "FCNET_LANG": "en"}
    proc = subprocess.run(
        [sys.executable, "-m", "fcnet", "fit", "x", "--samples", "50", "--epochs", "1",
         "--hidden", "2", "-q", "--out", str(tmp_path / "run")],
        env=env, capture_output=True, text=True, timeout=120,
        preexec_fn=lambda: os.umask(mask),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    files = [p for p in (tmp_path / "run").iterdir() if p.is_file()]
    assert {"run.json", "result.json", "model.npz"} <= {p.name for p in files}
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in files}
    assert set(modes.values()) == {oct(0o666 & ~mask)}, modes


def test_an_existing_file_keeps_its_own_mode_when_rewritten(tmp_path):
    target = tmp_path / "notes.json"
    target.write_text("{}")
    target.chmod(0o640)
    atomic_write_text(target, '{"a": 1}')
    assert target.stat().st_mode & 0o777 == 0o640 and target.read_text() == '{"a": 1}'
