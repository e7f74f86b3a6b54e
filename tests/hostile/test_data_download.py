"""Issue 25's `fcnet data download` cases (2, 3, 8), each run as a user would: a hostile
mirror on 127.0.0.1 gives one line and the next --mirror is tried; a gzip bomb, a slow
mirror, a huge cached file or a bad --dir end within the suite's time and memory bounds."""

from __future__ import annotations

import os
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path
from typing import ClassVar

import pytest
from _hostile import MAX_RSS, SRC, fcnet, refused

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "mnist"
FIRST = "t10k-labels-idx1-ubyte.gz"  # the file fetched first (the smallest)
NAMES = sorted(p.name for p in SHIPPED.glob("*.gz"))


def _bomb() -> bytes:
    """4.2 MB of gzip: an IDX header claiming 65536 x 256 x 256 bytes (4 GiB), then 4 GiB of
    zeros (each 64 MiB block deflated once after a full flush, then repeated)."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    dims = b"".join(n.to_bytes(4, "big") for n in (65536, 256, 256))
    zeros = bytes(64 << 20)
    first = co.compress(b"\x00\x00\x08\x03" + dims + zeros) + co.flush(zlib.Z_FULL_FLUSH)
    block = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    end = co.flush()
    gzip_header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return gzip_header + first + block * 63 + end + bytes(8)  # (a trailer never reached)


class _Mirror(socketserver.BaseRequestHandler):
    """Answers by the first path segment: /good/ the shipped files, and the hostile ones."""

    hits: ClassVar[list[str]] = []
    bomb = b""

    def handle(self) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            data = self.request.recv(4096)
            if not data:
                return
            request += data
        path = request.split(b" ")[1].decode()
        self.hits.append(path)
        kind, name = path.strip("/").split("/", 1)
        send = self.request.sendall
        try:
            if kind == "good":
                body = (SHIPPED / name).read_bytes()
                send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            elif kind == "status":  # not HTTP at all
                send(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
            elif kind == "chunk":  # a chunk size that is not hex
                send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n")
            elif kind == "headers":  # 101 headers (http.client allows 100)
                fields = b"".join(b"X-%d: y\r\n" % i for i in range(101))
                send(b"HTTP/1.1 200 OK\r\n" + fields + b"\r\n")
            elif kind == "bomb":
                body = self.bomb
                send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            elif kind == "slow":  # one byte a second, forever
                send(b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n\x1f")
                for _ in range(120):
                    time.sleep(1)
                    send(b"\x8b")
        except OSError:  # the client went away
            pass


@pytest.fixture(scope="module")
def server():
    _Mirror.bomb = _bomb()
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Mirror)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _download(tmp_path: Path, *mirrors: str, extra: tuple[str, ...] = ()):
    folder = tmp_path / "mnist"
    args = ["data", "download", "--dir", str(folder), "--timeout", "5", *extra]
    for url in mirrors:
        args += ["--mirror", url]
    return fcnet(*args, cwd=tmp_path, timeout=30), folder


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("status", "not a valid HTTP response (BadStatusLine"),
        ("chunk", "not a valid HTTP response (IncompleteRead"),
        ("headers", "not a valid HTTP response (HTTPException: got more than 100 headers"),
    ],
)
def test_a_broken_http_answer_is_one_line(server, tmp_path, kind, says):
    r, folder = _download(tmp_path, f"{server}/{kind}/")
    line = refused(r, f"{server}/{kind}/{FIRST}: {says}")
    assert "Traceback" not in r.stderr and "http.client" not in line
    assert not folder.exists() or not any(folder.iterdir())


@pytest.mark.parametrize("kind", ["status", "chunk", "headers"])
def test_after_a_broken_http_answer_the_next_mirror_is_tried(server, tmp_path, kind):
    r, folder = _download(tmp_path, f"{server}/{kind}/", f"{server}/good/")
    assert r.rc == 0, r.stderr
    assert sorted(p.name for p in folder.iterdir()) == NAMES


def test_a_gzip_bomb_is_left_at_its_header(server, tmp_path):
    r, folder = _download(tmp_path, f"{server}/bomb/")
    refused(r, f"{server}/bomb/{FIRST}: content does not match", "its IDX header is 00 00 08 03")
    assert not folder.exists() or not any(folder.iterdir())
    r, folder = _download(tmp_path, f"{server}/bomb/", f"{server}/good/")
    assert r.rc == 0, r.stderr
    assert r.rss < MAX_RSS and r.seconds < 10


def test_a_slow_mirror_stops_at_the_deadline(server, tmp_path):
    r, _folder = _download(
        tmp_path, f"{server}/slow/", f"{server}/good/", extra=("--deadline", "3")
    )
    refused(r, f"{server}/slow/{FIRST}: stopped at the deadline (3 s")
    assert r.seconds >= 3  # it waited for the deadline (refused() holds it under 10 s)


def test_a_huge_cached_file_is_never_read_whole(server, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    with open(folder / FIRST, "wb") as fh:  # 3 GiB, sparse
        fh.truncate(3 << 30)
    shutil.copy(SHIPPED / "train-labels-idx1-ubyte.gz", folder)  # a good one, kept
    before = (folder / "train-labels-idx1-ubyte.gz").stat().st_mtime_ns
    _Mirror.hits.clear()
    r, folder = _download(tmp_path, f"{server}/good/")
    assert r.rc == 0, r.stderr
    assert r.rss < MAX_RSS and r.seconds < 10
    assert (folder / FIRST).read_bytes() == (SHIPPED / FIRST).read_bytes()
    assert (folder / "train-labels-idx1-ubyte.gz").stat().st_mtime_ns == before
    assert "/good/train-labels-idx1-ubyte.gz" not in _Mirror.hits


def test_a_dir_below_a_file_is_refused_before_fetching(server, tmp_path):
    (tmp_path / "afile").write_text("x")
    _Mirror.hits.clear()
    r = fcnet(
        "data", "download", "--dir", str(tmp_path / "afile" / "mnist"),
        "--mirror", f"{server}/good/", cwd=tmp_path,
    )  # fmt: skip
    line = refused(r, str(tmp_path / "afile" / "mnist"), "a part of its path is a file")
    assert "File exists" not in line and not _Mirror.hits


def test_a_dir_that_is_a_file_is_refused_before_fetching(server, tmp_path):
    (tmp_path / "afile").write_text("x")
    _Mirror.hits.clear()
    r = fcnet(
        "data", "download", "--dir", str(tmp_path / "afile"), "--mirror", f"{server}/good/",
        cwd=tmp_path,
    )  # fmt: skip
    refused(r, "afile")
    assert not _Mirror.hits and (tmp_path / "afile").read_text() == "x"


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX users")
def test_a_dir_the_user_cannot_write_is_refused_before_fetching(server):
    """As an ordinary user (root writes anywhere): one line naming the folder, never the
    temporary file fcnet would have written there."""
    top = Path(tempfile.mkdtemp(prefix="fcnet-ro-"))
    try:
        os.chmod(top, 0o755)
        locked = top / "locked"
        locked.mkdir(mode=0o555)
        os.chmod(locked, 0o555)
        prefix: list[str] = []
        if os.geteuid() == 0:
            os.chown(locked, 0, 0)  # owned by root, mode 555: nobody may not write
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        elif os.access(locked, os.W_OK):
            pytest.fail("a folder of mode 555 is writable by this user")
        _Mirror.hits.clear()
        env = {**os.environ, "PYTHONPATH": SRC, "HOME": str(top)}
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "fcnet", "data", "download", "--dir", str(locked),
             "--mirror", f"{server}/good/"],
            cwd=top, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("fcnet: error: "), proc.stderr
        assert f"{locked}: cannot write files there" in lines[0], lines[0]
        assert ".tmp" not in lines[0] and "fcnet-probe" not in lines[0]
        assert not _Mirror.hits and not any(locked.iterdir())
    finally:
        os.chmod(top / "locked", 0o755)
        shutil.rmtree(top)


@pytest.mark.parametrize("kind", ["sparse", "bomb"])
def test_a_damaged_copy_is_refused_before_it_is_read(tmp_path, monkeypatch, kind):
    """`fcnet mnist` over a folder whose training images are a 3 GiB sparse file or a gzip
    bomb: one line naming the file, never gigabytes read or inflated."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in NAMES:
        shutil.copy(SHIPPED / name, folder / name)
    target = folder / "train-images-idx3-ubyte.gz"
    if kind == "sparse":
        with open(target, "wb") as fh:
            fh.truncate(3 << 30)
    else:
        target.write_bytes(_bomb())
    monkeypatch.setenv("FCNET_MNIST_DIR", str(folder))
    r = fcnet("mnist", "--epochs", "1", "--out", "run", cwd=tmp_path)
    refused(r, str(target), "not MNIST's train-images-idx3-ubyte", "this MNIST copy is damaged")
    assert not (tmp_path / "run").exists()
