"""Hostile run folders: the studio reads every file bounded, as a regular file, inside its run.

Each case builds a runs folder holding one good run beside a hostile one, then asks the
API. The answer must come (no hang), list the good run, skip the bad one with its problem,
and cost little memory: each case runs under `bounded()`, which fails above 200 MB of
Python/numpy allocations (tracemalloc) or 10 s.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import time
import tracemalloc
import zlib
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
from studio_support import RUN_FIT, RUN_MNIST, LiveServer, digit_one_png, local_client

from fcnet._fileio import _JSON_STRING, FileError, _bracket_depth, read_bytes
from fcnet.studio import create_app

MAX_BYTES = 200 * 1024 * 1024
MAX_SECONDS = 10.0
SECRET = "top-secret-outside-the-run"
BAD = "bad-run"


@contextmanager
def bounded():
    """Fail when the block allocates more than MAX_BYTES at its peak or takes MAX_SECONDS."""
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        yield
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    seconds = time.monotonic() - t0
    print(f"[hostile] peak {peak / 2**20:.1f} MiB, {seconds:.2f} s")  # shown with -s
    assert peak < MAX_BYTES, f"peak {peak / 2**20:.0f} MiB"
    assert seconds < MAX_SECONDS, f"{seconds:.1f} s"


@pytest.fixture
def runs(tmp_path, runs_dir) -> Path:
    """A runs folder with the good fit and mnist runs, a secret file beside it, an empty
    hostile run `bad-run` (each test fills it)."""
    root = tmp_path / "runs"
    root.mkdir()
    shutil.copytree(runs_dir / RUN_FIT, root / RUN_FIT)
    shutil.copytree(runs_dir / RUN_MNIST, root / RUN_MNIST)
    (tmp_path / "secret.json").write_text(json.dumps({"task": SECRET, "metrics": {"x": 1}}))
    (root / BAD).mkdir()
    return root


def listing(root: Path) -> dict:
    with local_client(create_app(root)) as c, bounded():
        r = c.get("/api/runs")
    assert r.status_code == 200, r.text
    data = r.json()
    assert {x["name"] for x in data["runs"]} >= {RUN_FIT, RUN_MNIST}
    return data


def skipped_problem(data: dict, name: str = BAD) -> str:
    found = [s["problem"] for s in data["skipped"] if s["name"] == name]
    assert found, f"{name} not among the skipped: {data['skipped']}"
    assert name not in [r["name"] for r in data.get("runs", [])]
    assert f"run:{name}" not in [m["id"] for m in data.get("models", [])]
    return found[0]


def detail(root: Path, name: str = BAD) -> dict:
    with local_client(create_app(root)) as c, bounded():
        r = c.get(f"/api/runs/{name}")
    assert r.status_code == 200, r.text
    assert SECRET not in r.text
    return r.json()


# ----- devices, FIFOs, links -------------------------------------------------------------


def test_config_linked_to_dev_zero_is_refused(runs):
    (runs / BAD / "run.json").write_text(json.dumps({"task": "fit", "options": {}}))
    (runs / BAD / "config.json").symlink_to("/dev/zero")
    assert "config.json: a link leading out of its folder" in skipped_problem(listing(runs))
    run = detail(runs)
    assert run["config"] is None and run["run"]["task"] == "fit"
    assert run["problems"] == ["config.json: a link leading out of its folder; refused"]


def test_devices_and_fifos_are_refused_by_type_not_size(tmp_path):
    with pytest.raises(FileError, match="zero: is a device, expected a regular file"):
        read_bytes(Path("/dev/zero"), 1000, inside="/dev")
    os.mkfifo(tmp_path / "fifo")
    with bounded(), pytest.raises(FileError, match=r"fifo: is a FIFO .*, expected a regular file"):
        read_bytes(tmp_path / "fifo", 1000, inside=tmp_path)


def test_result_json_fifo_never_holds_a_worker_thread(runs):
    os.mkfifo(runs / BAD / "result.json")
    (runs / BAD / "metrics.jsonl").write_text('{"epoch": 1, "train_loss": 1.0}\n')
    assert "result.json: is a FIFO" in skipped_problem(listing(runs))
    # More calls than the server has worker threads (40), then a training still starts.
    with LiveServer(runs) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        for _ in range(60):
            data = http.get("/api/runs").json()
            assert "is a FIFO" in skipped_problem(data)
        assert "result.json: is a FIFO" in http.get(f"/api/runs/{BAD}").json()["problems"][0]
        r = http.post("/api/fit", json={"expr": "x", "steps": 1})
        assert r.status_code == 200 and r.json()["session"]


@pytest.mark.parametrize("file", ["config.json", "result.json", "run.json", "metrics.jsonl"])
def test_links_leaving_the_run_are_refused_for_every_file(runs, file):
    (runs / BAD / "run.json").write_text(json.dumps({"task": "fit"}))
    (runs / BAD / file).unlink(missing_ok=True)
    (runs / BAD / file).symlink_to(runs.parent / "secret.json")
    assert f"{file}: a link leading out of its folder" in skipped_problem(listing(runs))
    run = detail(runs)  # asserts the secret is not in it
    assert f"{file}: a link leading out of its folder; refused" in run["problems"]


def test_a_link_to_another_run_is_refused_too(runs):
    (runs / BAD / "result.json").symlink_to(runs / RUN_FIT / "result.json")
    assert "result.json: a link leading out of its folder" in skipped_problem(listing(runs))


def test_model_and_plot_links_leaving_the_run_are_refused(runs):
    (runs / BAD / "run.json").write_text(json.dumps({"task": "mnist"}))
    (runs / BAD / "model.npz").symlink_to(runs / RUN_MNIST / "model.npz")
    (runs / BAD / "stolen.png").symlink_to(runs / RUN_FIT / "fit.png")
    with local_client(create_app(runs)) as c, bounded():
        r = c.post("/api/digits/predict", json={"model": f"run:{BAD}", "image": digit_one_png()})
        assert r.status_code == 400
        assert "model.npz: a link leading out of its folder" in r.json()["error"]
        assert c.get(f"/api/runs/{BAD}/plots/stolen.png").status_code == 404
        run = c.get(f"/api/runs/{BAD}").json()
        assert run["plots"] == [] and run["has_model"] is False
        models = c.get("/api/digits/models").json()
    assert [m["id"] for m in models["models"]] == [f"run:{RUN_MNIST}"]
    assert "a link leading out of its folder" in skipped_problem(models)


def test_a_link_loop_between_folders_ends_the_walk(runs):
    (runs / "group").mkdir()
    (runs / "group" / "loop").symlink_to(runs / "group", target_is_directory=True)
    (runs / "group" / "up").symlink_to(runs, target_is_directory=True)
    data = listing(runs)
    assert not [r for r in data["runs"] if r["name"].startswith("group")]


# ----- sizes and depths -------------------------------------------------------------------


def test_a_100000_deep_result_json_is_skipped_not_a_500(runs):
    (runs / BAD / "result.json").write_text("[" * 100_000 + "]" * 100_000)
    problem = skipped_problem(listing(runs))
    assert problem == "result.json: nested more than 64 levels deep"
    assert detail(runs)["result"] is None


def test_deep_or_broken_metric_lines_are_skipped_alone(runs):
    lines = [
        '{"epoch": 1, "train_loss": 1.0}',
        "[" * 50_000,
        "{" * 10,
        '{"epoch": 2, "train_loss": 0.5}',
    ]
    (runs / BAD / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    run = detail(runs)
    assert [m["epoch"] for m in run["metrics"]] == [1, 2]
    assert run["problems"] == []


def test_a_config_over_the_size_bound_is_refused(runs):
    with open(runs / BAD / "config.json", "wb") as fh:
        fh.truncate(64 * 1024 * 1024)  # sparse: 64 MiB read as nothing
    problem = skipped_problem(listing(runs))
    assert problem.startswith("config.json: 64 MiB, more than a file may have (1 MiB)")
    assert detail(runs)["problems"][0].startswith("config.json: 64 MiB, more than a file may have")


def test_an_unterminated_string_of_escaped_quotes_is_refused_in_linear_time(runs):
    (runs / BAD / "result.json").write_bytes(b'["\\' * 333_000)  # [" then \" ... to the end
    assert skipped_problem(listing(runs)).startswith("result.json: not valid JSON")


def test_json_depth_skips_brackets_inside_strings():
    assert _bracket_depth('{"a": "[[[[{{{{", "b": [[1]]}', _JSON_STRING) == 3
    assert _bracket_depth('"\\"[[["', _JSON_STRING) == 0
    assert _bracket_depth("", _JSON_STRING) == 0


def test_files_of_the_wrong_shape_give_a_label_not_a_500(runs):
    (runs / BAD / "run.json").write_text("[1, 2, 3]")
    (runs / BAD / "result.json").write_text(json.dumps({"metrics": "many", "task": 7}))
    (runs / BAD / "config.json").write_text(json.dumps({"hidden": "wide", "input_size": True}))
    (runs / BAD / "metrics.jsonl").write_text("7\nnull\n" + '"x"\n')
    data = listing(runs)
    bad = next(r for r in data["runs"] if r["name"] == BAD)
    assert bad["task"] == "bad" and bad["network"] is None and bad["metrics"] == {}
    assert detail(runs)["metrics"] == []


def test_a_huge_folder_is_scanned_within_bounds(runs):
    from fcnet.studio.runs import MAX_SCANNED

    many = runs / "zz-many"
    many.mkdir()
    for i in range(MAX_SCANNED + 10):
        (many / f"d{i}").mkdir()
    data = listing(runs)
    assert data["truncated"] is True


# ----- model.npz --------------------------------------------------------------------------


def _zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> None:
    """A zip of deflated members (name, deflated bytes, declared size, crc), as np.load reads."""
    body, cd = b"", b""
    for name, deflated, size, crc in members:
        fname = name.encode()
        common = (8, 0, 0x21, crc, len(deflated), size, len(fname))
        offset = len(body)
        cd += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, *common, 0, 0, 0, 0, 0, offset
        )
        cd += fname
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, *common, 0) + fname + deflated
    n = len(members)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(cd), len(body), 0)
    path.write_bytes(body + cd + end)


def _deflate(data: bytes) -> tuple[bytes, int, int]:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(), len(data), zlib.crc32(data)


def _zeros_member(name: str, size: int) -> tuple[str, bytes, int, int]:
    """A member whose .npy inflates to `size` bytes (a uint8 array of zeros), built in
    a few MB: deflate with a full flush after each MiB of zeros repeats the same bytes.
    (Its crc is left 0: the check must refuse it before reading that far.)"""

    def header(n: int) -> bytes:
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            buf, {"descr": "|u1", "fortran_order": False, "shape": (n,)}
        )
        return buf.getvalue()

    h = len(header(size))
    head = header(size - h)
    assert len(head) == h
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    parts = [c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)]
    piece = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    assert piece == c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)  # the state is reset
    full, rest = divmod(size - h - 2 * len(chunk), len(chunk))
    parts.append(piece * (full + 2))
    parts.append(c.compress(bytes(rest)) + c.flush())
    return name, b"".join(parts), size, 0


def _four_gb_spec_npz(path: Path) -> None:
    """A ~4 MB model.npz whose `__spec__` member inflates to a 4 GB uint8 array."""
    _zip(path, [_zeros_member("__spec__.npy", 0xFFFFFFFE)])  # just under 4 GiB: no zip64


def test_a_4gb_spec_in_a_small_model_file_is_refused(runs):
    _four_gb_spec_npz(runs / BAD / "model.npz")
    assert (runs / BAD / "model.npz").stat().st_size < 5 * 2**20
    with local_client(create_app(runs)) as c, bounded():
        models = c.get("/api/digits/models")
        assert models.status_code == 200
        r = c.post("/api/digits/predict", json={"model": f"run:{BAD}", "image": digit_one_png()})
    assert [m["id"] for m in models.json()["models"]] == [f"run:{RUN_MNIST}"]
    problem = skipped_problem(models.json())
    assert problem == "model.npz: its arrays hold 4 GiB, more than a model file may have (256 MiB)"
    assert r.status_code == 400 and "its arrays hold 4 GiB" in r.json()["error"]


def _npz(path: Path, **arrays) -> None:
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


@pytest.mark.parametrize(
    ("arrays", "problem"),
    [
        ({"__spec__": np.array("not json {")}, "model.npz __spec__: not valid JSON"),
        ({"__spec__": np.array("[1, 2]")}, "__spec__ is not a JSON object"),
        ({"__spec__": np.array("[" * 5000 + "]" * 5000)}, "nested more than 64 levels deep"),
        ({"__spec__": np.arange(5.0)}, "'__spec__' is not a text entry (shape (5,), float64)"),
        ({"__spec__": np.zeros(2 * 2**20, np.uint8)}, "array '__spec__' holds 2 MiB, more than"),
        ({"w": np.zeros(3)}, "has no '__spec__' entry"),
        (None, "model.npz: not a readable .npz model file"),
    ],
)
def test_malformed_spec_skips_the_model_not_the_list(runs, arrays, problem):
    path = runs / BAD / "model.npz"
    if arrays is None:
        path.write_bytes(b"PK\x03\x04 this is no zip at all")
    else:
        _npz(path, **arrays)
    with local_client(create_app(runs)) as c, bounded():
        models = c.get("/api/digits/models")
        r = c.post("/api/digits/predict", json={"model": f"run:{BAD}", "image": digit_one_png()})
        runs_list = c.get("/api/runs")
    assert models.status_code == 200 and runs_list.status_code == 200
    assert [m["id"] for m in models.json()["models"]] == [f"run:{RUN_MNIST}"]
    assert problem in skipped_problem(models.json())
    assert r.status_code == 400 and problem in r.json()["error"]


def test_a_spec_claiming_a_huge_network_is_never_built(runs):
    spec = {"input_size": 784, "hidden": [{"width": 10**9}], "output_size": 10}
    _npz(runs / BAD / "model.npz", __spec__=np.array(json.dumps(spec)))
    with local_client(create_app(runs)) as c, bounded():
        r = c.post("/api/digits/predict", json={"model": f"run:{BAD}", "image": digit_one_png()})
        models = c.get("/api/digits/models").json()
    assert r.status_code == 400 and "is not a 784-input, 10-class MNIST model" in r.json()["error"]
    assert [m["id"] for m in models["models"]] == [f"run:{RUN_MNIST}"]


def test_weights_declaring_more_than_the_bound_are_not_loaded(runs):
    with np.load(runs / RUN_MNIST / "model.npz") as good:
        members = []
        for k in good.files:
            buf = io.BytesIO()
            np.lib.format.write_array(buf, good[k], allow_pickle=False)
            members.append((f"{k}.npy", *_deflate(buf.getvalue())))
    members.append(_zeros_member("padding.npy", 300 * 2**20))
    _zip(runs / BAD / "model.npz", members)
    with local_client(create_app(runs)) as c, bounded():
        r = c.post("/api/digits/predict", json={"model": f"run:{BAD}", "image": digit_one_png()})
    assert r.status_code == 400
    assert "arrays hold 300 MiB, more than a model file may have (256 MiB)" in r.json()["error"]
    # The same members without the padding load and predict: the file format is right.
    _zip(runs / BAD / "model.npz", members[:-1])
    with local_client(create_app(runs)) as c:
        r = c.post("/api/digits/predict", json={"model": f"run:{BAD}", "image": digit_one_png()})
    assert r.status_code == 200 and r.json()["prediction"] == 1
