"""Each reproduction of issue 12 as the user met it: one line, exit 2, < 1 GB, < 10 s.

Grouped by cause: damaged or tampered checkpoints, run.json, nested JSON/TOML, files that
are not regular files, sizes without limits, images, IDX and CSV oddities.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from _hostile import digit_png, fcnet, refused

from fcnet.data.idx import write_idx

DEEP = 100_000  # nesting levels of the deep JSON/TOML cases


def _checkpoint(run: Path) -> tuple[dict, dict[str, np.ndarray]]:
    with np.load(run / "checkpoint.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return json.loads(str(arrays["__meta__"])), arrays


def _write_checkpoint(run: Path, meta_text: str, arrays: dict[str, np.ndarray]) -> None:
    arrays = {**arrays, "__meta__": np.array(meta_text)}
    with open(run / "checkpoint.npz", "wb") as fh:
        np.savez(fh, **arrays)


def _resume(run: Path) -> list[str]:
    return ["fit", "--resume", str(run), "-q"]


# ----- checkpoints -----------------------------------------------------------------------------


def test_truncated_checkpoint(fit_run):
    ckpt = fit_run / "checkpoint.npz"
    ckpt.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    refused(fcnet(*_resume(fit_run), cwd=fit_run.parent), "checkpoint.npz", "not a readable")


def test_bit_flipped_checkpoint(fit_run):
    ckpt = fit_run / "checkpoint.npz"
    data = bytearray(ckpt.read_bytes())
    data[len(data) // 3] ^= 0x10  # inside a stored array: the zip's CRC no longer matches
    ckpt.write_bytes(bytes(data))
    refused(fcnet(*_resume(fit_run), cwd=fit_run.parent), "checkpoint.npz")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rng", None),  # None: the field is removed
        ("rng", "not a state"),
        ("rng", {"bit_generator": "PCG64", "state": {"state": "x", "inc": 1}}),
        ("history", None),
        ("history", [1, 2]),
        ("epoch", None),
        ("epoch", "2"),
        ("epoch", -1),
        ("epoch", 7),  # the history holds 2 records
        ("step", 1.5),
        ("loss_sum", "many"),
        ("wait", True),
    ],
)
def test_checkpoint_metadata_fields(fit_run, field, value):
    meta, arrays = _checkpoint(fit_run)
    if value is None:
        del meta[field]
    else:
        meta[field] = value
    _write_checkpoint(fit_run, json.dumps(meta), arrays)
    log_before = (fit_run / "metrics.jsonl").read_bytes()
    line = refused(fcnet(*_resume(fit_run), cwd=fit_run.parent), "checkpoint.npz")
    assert field in line or (field == "epoch" and "records" in line), line
    assert (fit_run / "metrics.jsonl").read_bytes() == log_before  # nothing written


def test_checkpoint_history_records_of_garbage(fit_run):
    meta, arrays = _checkpoint(fit_run)
    meta["history"]["records"] = [{"epoch": "x"}, "garbage"]
    _write_checkpoint(fit_run, json.dumps(meta), arrays)
    log_before = (fit_run / "metrics.jsonl").read_bytes()
    refused(fcnet(*_resume(fit_run), cwd=fit_run.parent), "checkpoint.npz", "history.records")
    assert (fit_run / "metrics.jsonl").read_bytes() == log_before


@pytest.mark.parametrize("order", [np.arange(5), np.full(100, 10**6), np.zeros(100, np.float32)])
def test_checkpoint_order(fit_run, order):
    meta, arrays = _checkpoint(fit_run)
    _write_checkpoint(fit_run, json.dumps(meta), {**arrays, "order": order})
    refused(fcnet(*_resume(fit_run), cwd=fit_run.parent), "checkpoint.npz", "order")


def test_checkpoint_metadata_nested_deep(fit_run):
    _, arrays = _checkpoint(fit_run)
    _write_checkpoint(fit_run, "[" * DEEP + "]" * DEEP, arrays)
    refused(fcnet(*_resume(fit_run), cwd=fit_run.parent), "checkpoint.npz", "nested")


def test_checkpoint_metadata_not_an_object(fit_run):
    _, arrays = _checkpoint(fit_run)
    _write_checkpoint(fit_run, "[1, 2, 3]", arrays)
    refused(fcnet(*_resume(fit_run), cwd=fit_run.parent), "checkpoint.npz", "__meta__")


# ----- run.json --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["[1, 2]", '"a string"', "{not json", "[" * DEEP + "]" * DEEP])
def test_run_json_not_an_object_on_evaluate_and_resume(fit_run, text):
    (fit_run / "run.json").write_text(text)
    for args in (["evaluate", str(fit_run)], _resume(fit_run)):
        refused(fcnet(*args, cwd=fit_run.parent), "run.json")


def test_run_json_not_an_object_on_predict(mnist_run, tmp_path):
    (mnist_run / "run.json").write_text("[1, 2]")
    png = digit_png(tmp_path / "digit.png")
    refused(fcnet("predict", str(mnist_run), str(png), cwd=tmp_path), "run.json")


@pytest.mark.parametrize(
    ("key", "value"), [("expr", None), ("expr", 12), ("range", "wide"), ("seed", "0")]
)
def test_run_json_options_missing_or_wrong(fit_run, key, value):
    saved = json.loads((fit_run / "run.json").read_text())
    if value is None:
        del saved["options"][key]
    else:
        saved["options"][key] = value
    (fit_run / "run.json").write_text(json.dumps(saved))
    for args in (["evaluate", str(fit_run)], _resume(fit_run)):
        refused(fcnet(*args, cwd=fit_run.parent), "run.json", f"options.{key}")


# ----- --config, model.npz: nesting, non-regular files, encodings ---------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", '{"hidden": ' + "[" * DEEP + "]" * DEEP + "}"),
        ("deep.toml", "hidden = " + "[" * DEEP + "]" * DEEP + "\n"),
        ("dotted.toml", "a" + ".a" * DEEP + " = 1\n"),
    ],
)
def test_config_nested_deep(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    refused(fcnet("fit", "sin(x)", "--config", name, cwd=tmp_path), name, "nested")


def test_config_latin1(tmp_path):
    (tmp_path / "c.json").write_bytes('{"input_size": 1, "note": "café"}'.encode("latin-1"))
    refused(fcnet("fit", "sin(x)", "--config", "c.json", cwd=tmp_path), "c.json", "UTF-8")


@pytest.mark.parametrize("name", ["fifo.json", "dev.json"])
def test_config_fifo_or_device(tmp_path, name):
    target = tmp_path / name
    if name.startswith("fifo"):
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    line = refused(fcnet("fit", "sin(x)", "--config", name, cwd=tmp_path), name)
    assert "FIFO" in line or "device" in line


@pytest.mark.parametrize("what", ["fifo", "device"])
def test_data_info_fifo_or_device(tmp_path, what):
    target = tmp_path / "data.idx"
    if what == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    line = refused(fcnet("data", "info", "data.idx", cwd=tmp_path), "data.idx")
    assert ("FIFO" if what == "fifo" else "device") in line


def _npy_header(shape: tuple[int, ...], descr: str) -> bytes:
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    header += b" " * (64 - (10 + len(header) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def _replace_member(path: Path, name: str, data: bytes) -> None:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[name] = data
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)


@pytest.mark.parametrize(
    ("member", "detail"),
    [
        (_npy_header((10**9,), "<U4"), "__spec__"),  # claims 4 GB, holds a header
        (_npy_header((3,), "<f8") + bytes(24), "__spec__"),  # not a text entry
        (b"garbage", "not a readable"),
    ],
)
def test_model_npz_spec_entry(fit_run, member, detail):
    _replace_member(fit_run / "model.npz", "__spec__.npy", member)
    refused(fcnet("evaluate", str(fit_run), cwd=fit_run.parent), "model.npz", detail)


def test_model_npz_spec_nested_deep(fit_run):
    deep = "[" * DEEP + "]" * DEEP
    buf = io.BytesIO()
    np.save(buf, np.array(deep))
    _replace_member(fit_run / "model.npz", "__spec__.npy", buf.getvalue())
    refused(fcnet("evaluate", str(fit_run), cwd=fit_run.parent), "model.npz", "nested")


# ----- sizes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "parts"),
    [
        pytest.param(
            ["fit", "sin(x)", "--hidden", "1000000000000"],
            ["hidden[0].width", "at most"],
            id="hidden-1e12",
        ),
        pytest.param(
            ["fit", "sin(x)", "--hidden", "18446744073709551617"],
            ["hidden[0].width"],
            id="hidden-2e64",
        ),
        pytest.param(
            ["fit", "sin(x)", "--hidden", "100000,100000,100000"],
            ["needs about", "available"],
            id="hidden-memory",
        ),
        pytest.param(
            ["mnist", "--hidden", "100000000"], ["hidden[0].width"], id="mnist-hidden-1e8"
        ),
        pytest.param(
            ["fit", "sin(x)", "--samples", "1000000000000"],
            ["samples", "needs about"],
            id="samples-1e12",
        ),
        pytest.param(
            ["binary", "--dataset", "random", "--samples", "1000000000"],
            ["samples x features"],
            id="random-samples-1e9",
        ),
        pytest.param(
            ["binary", "--dataset", "random", "--features", "1000000000"],
            ["samples x features"],
            id="random-features-1e9",
        ),
        pytest.param(["compare", "--steps", str(10**12)], ["--steps"], id="compare-steps-1e12"),
        pytest.param(["fit", "10.0**100*x"], ["10.0**100*x", "float32"], id="expr-overflow"),
        pytest.param(
            ["fit", "sin(x)", "--seed", "9" * 5000], ["--seed", "characters"], id="seed-5000-digits"
        ),
    ],
)
def test_sizes_have_bounds(tmp_path, args, parts):
    line = refused(fcnet(*args, "-q" if args[0] != "compare" else "--json", cwd=tmp_path), *parts)
    assert len(line) < 400, line


def test_config_width_of_a_trillion(tmp_path):
    spec = {"input_size": 1, "output_size": 1, "loss": "mse", "hidden": [10**12]}
    (tmp_path / "c.json").write_text(json.dumps(spec))
    refused(fcnet("fit", "sin(x)", "--config", "c.json", cwd=tmp_path), "c.json", "width")


def test_data_show_scale_on_a_large_image(tmp_path):
    write_idx(tmp_path / "large.idx", np.zeros((1, 2000, 2000), np.uint8))
    args = ["data", "show", "large.idx", "-i", "0", "--png", "o.png", "--scale", "64"]
    refused(fcnet(*args, cwd=tmp_path), "--scale 64", "128000 x 128000")
    assert not (tmp_path / "o.png").exists()


# ----- images ------------------------------------------------------------------------------------


def _png_header_only(w: int, h: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [7000, 20000, 100000])
def test_predict_huge_png(mnist_run, tmp_path, side):
    (tmp_path / "big.png").write_bytes(_png_header_only(side, side))
    refused(fcnet("predict", str(mnist_run), "big.png", cwd=tmp_path), "big.png", "pixels")


def test_predict_truncated_png(mnist_run, tmp_path):
    (tmp_path / "t.png").write_bytes(_png_header_only(28, 28))
    refused(fcnet("predict", str(mnist_run), "t.png", cwd=tmp_path), "t.png", "truncated")


def test_predict_png_that_is_a_fifo(mnist_run, tmp_path):
    os.mkfifo(tmp_path / "p.png")
    refused(fcnet("predict", str(mnist_run), "p.png", cwd=tmp_path), "p.png", "FIFO")


# ----- IDX --------------------------------------------------------------------------------------


def test_data_show_float_idx_with_nan(tmp_path):
    a = np.zeros((2, 28, 28), np.float32)
    a[0, 3, 3] = np.nan
    write_idx(tmp_path / "nan.idx", a)
    refused(fcnet("data", "show", "nan.idx", "-i", "0", cwd=tmp_path), "nan.idx", "NaN")


def test_idx_without_images(mnist_run, tmp_path):
    write_idx(tmp_path / "empty.idx", np.zeros((0, 28, 28), np.uint8))
    refused(fcnet("data", "show", "empty.idx", "-i", "0", cwd=tmp_path), "empty.idx", "no images")
    args = ["predict", str(mnist_run), "--idx", "empty.idx", "--index", "0"]
    refused(fcnet(*args, cwd=tmp_path), "empty.idx", "no images")


def test_data_show_png_never_overwrites_without_force(tmp_path):
    write_idx(tmp_path / "one.idx", np.zeros((1, 28, 28), np.uint8))
    (tmp_path / "keep.png").write_bytes(b"mine")
    args = ["data", "show", "one.idx", "-i", "0", "--png", "keep.png"]
    refused(fcnet(*args, cwd=tmp_path), "keep.png", "--force")
    assert (tmp_path / "keep.png").read_bytes() == b"mine"
    r = fcnet(*args, "--force", cwd=tmp_path)
    assert r.rc == 0, r.stderr
    assert (tmp_path / "keep.png").read_bytes()[:4] == b"\x89PNG"


# ----- CSV --------------------------------------------------------------------------------------


def _binary_csv(*args: str) -> list[str]:
    return ["binary", "--dataset", "csv", "--path", "t.csv", *args, "-q"]


def test_csv_duplicate_name_among_100k_columns(tmp_path):
    names = [f"c{i}" for i in range(100_000)] + ["c99999", "y"]
    row = ["0"] * (len(names) - 1) + ["1"]
    (tmp_path / "t.csv").write_text(",".join(names) + "\n" + ",".join(row) + "\n")
    refused(fcnet(*_binary_csv("--label", "y"), cwd=tmp_path), "t.csv", "'c99999' appears twice")


def test_csv_missing_label_among_a_million_columns(tmp_path):
    names = [f"c{i}" for i in range(1_000_000)]
    (tmp_path / "t.csv").write_text(",".join(names) + "\n" + ",".join(["0"] * len(names)) + "\n")
    line = refused(fcnet(*_binary_csv("--label", "y"), cwd=tmp_path), "t.csv", "'y'")
    assert len(line) < 1000 and "1,000,000 columns" in line


def test_csv_latin1(tmp_path):
    (tmp_path / "t.csv").write_bytes("a,y\ncafé,1\n".encode("latin-1"))
    refused(fcnet(*_binary_csv("--label", "y"), cwd=tmp_path), "t.csv", "UTF-8")


def test_mnist_folder_of_zero_images(tmp_path):
    for stem in ("train", "t10k"):
        write_idx(tmp_path / f"{stem}-images-idx3-ubyte", np.zeros((0, 28, 28), np.uint8))
        write_idx(tmp_path / f"{stem}-labels-idx1-ubyte", np.zeros((0,), np.uint8))
    args = ["mnist", "--data-dir", str(tmp_path), "--out", "run", "-q"]
    refused(fcnet(*args, cwd=tmp_path), "images-idx3-ubyte", "no images")
