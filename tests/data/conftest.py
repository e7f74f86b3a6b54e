"""Local HTTP mirrors of MNIST on 127.0.0.1 for the download tests (never the internet)."""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fcnet.data.idx import read_idx, write_idx
from fcnet.data.mnist import MNIST_SHA256

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "mnist"
NAMES = sorted(f"{stem}.gz" for stem in MNIST_SHA256)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def mirrors(tmp_path_factory):
    """Base URLs of a good mirror (the shipped files) and a bad one (each file damaged)."""
    top = tmp_path_factory.mktemp("mirrors")
    good, bad = top / "good", top / "bad"
    good.mkdir()
    bad.mkdir()
    for name in NAMES:
        shutil.copy(SHIPPED / name, good / name)
    # bad: wrong content that is valid IDX, not gzip at all, a truncated stream; and one missing
    labels = read_idx(SHIPPED / "t10k-labels-idx1-ubyte.gz")
    labels[0] = (labels[0] + 1) % 10
    write_idx(bad / "t10k-labels-idx1-ubyte.gz", labels)
    (bad / "t10k-images-idx3-ubyte.gz").write_bytes(b"<html>not found</html>")
    data = (SHIPPED / "train-labels-idx1-ubyte.gz").read_bytes()
    (bad / "train-labels-idx1-ubyte.gz").write_bytes(data[: len(data) // 2])
    handler = functools.partial(_Quiet, directory=str(top))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield f"{base}/good/", f"{base}/bad/"
    server.shutdown()
    server.server_close()
