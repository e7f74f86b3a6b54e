"""IDX reading: fcnet.data.idx.read_idx against the course text's struct loader.

Target: MNIST's training images (60000 x 28 x 28 uint8, 47 MB raw). The shipped .gz is
decompressed to a temporary file for the raw case. Contestants:

- raw: `read_idx(path)` against the course text's `loadImageSet` (``struct.unpack_from(
  '>IIII')`` for the header, then ``'>47040000B'`` into a tuple, then ``np.reshape``);
- gz: `read_idx(path.gz)` against ``gzip -dc FILE > /dev/null`` (inflation alone, no array).

Each contestant is warmed up once (only read_idx with quick: the course loader takes
seconds), then they run in turn, alternating who goes first, `repeats` times (3, or 1 with
quick); medians are reported. Peak memory: each loader runs once in a fresh subprocess,
and the rise of its peak resident set size (VmHWM) over the level before the load is
reported. Targets: raw <= 0.1 s, gz <= 0.5 s.

Run as a script for a table: `python benchmarks/bench_idx.py [--quick]`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

MNIST_DIR = Path(__file__).resolve().parent.parent / "data" / "mnist"
TARGET_RAW_S = 0.1
TARGET_GZ_S = 0.5


def course_load_image_set(filename: str | os.PathLike) -> tuple[np.ndarray, tuple]:
    """The course text's `loadImageSet`, as written there (only the names are PEP 8)."""
    binfile = open(filename, "rb")
    buffers = binfile.read()
    head = struct.unpack_from(">IIII", buffers, 0)
    offset = struct.calcsize(">IIII")
    img_num, width, height = head[1], head[2], head[3]
    bits = img_num * width * height
    bits_string = ">" + str(bits) + "B"  # '>47040000B'
    imgs = struct.unpack_from(bits_string, buffers, offset)
    binfile.close()
    imgs = np.reshape(imgs, [img_num, width * height])
    return imgs, head


def _read_idx(path: str | os.PathLike) -> np.ndarray:
    from fcnet.data.idx import read_idx

    return read_idx(path)


def _gzip_dc(path: str | os.PathLike) -> None:
    subprocess.run(["gzip", "-dc", str(path)], stdout=subprocess.DEVNULL, check=True)


LOADERS: dict[str, Callable[[Any], Any]] = {
    "read_idx": _read_idx,
    "course_struct": course_load_image_set,
}


def _time(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _alternate(contestants: dict[str, Callable[[], Any]], repeats: int) -> dict[str, list[float]]:
    """Each contestant `repeats` times, in turn; the order is reversed every other round."""
    names = list(contestants)
    times: dict[str, list[float]] = {n: [] for n in names}
    for i in range(repeats):
        for name in names if i % 2 == 0 else reversed(names):
            times[name].append(_time(contestants[name]))
    return times


_PEAK_CODE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("bench_idx", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
import fcnet.data.idx  # imports before the baseline

def status(key):
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith(key + ":"))

with open("/proc/self/clear_refs", "w") as fh:  # peak RSS := current RSS
    fh.write("5")
before = status("VmHWM")
out = mod.LOADERS[sys.argv[2]](sys.argv[3])
print(json.dumps({"before_kib": before, "after_kib": status("VmHWM")}))
"""


def peak_rise_mib(loader: str, path: str | os.PathLike) -> float | None:
    """Rise of the peak RSS (MiB) when `loader` reads `path` in a fresh process.

    Linux only: the peak is VmHWM, reset just before the load through
    /proc/self/clear_refs (ru_maxrss would carry the parent's peak over exec).
    None where that is not available.
    """
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _PEAK_CODE, __file__, loader, str(path)],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    return (figures["after_kib"] - figures["before_kib"]) / 1024.0


def run(quick: bool = False) -> dict[str, Any]:
    """Time and measure the contestants; return JSON-able figures (seconds are medians)."""
    from fcnet.data.idx import read_idx

    tiny = os.environ.get("FCNET_BENCH_TINY", "") not in ("", "0")
    stem = "t10k-images-idx3-ubyte" if tiny else "train-images-idx3-ubyte"
    gz_path = MNIST_DIR / f"{stem}.gz"
    repeats = 1 if (quick or tiny) else 3
    with tempfile.TemporaryDirectory(prefix="fcnet-bench-idx-") as tmp:
        raw_path = Path(tmp) / stem
        with gzip.open(gz_path, "rb") as src, open(raw_path, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        raw_bytes = raw_path.stat().st_size

        # Both loaders agree (this also warms the file cache and the course loader).
        ours = read_idx(raw_path)
        if not (quick or tiny):
            theirs, _ = course_load_image_set(raw_path)
            assert np.array_equal(theirs, ours.reshape(len(ours), -1)), "loaders disagree"
            del theirs
        read_idx(gz_path)

        raw_times = _alternate(
            {
                "read_idx": lambda: read_idx(raw_path),
                "course_struct": lambda: course_load_image_set(raw_path),
            },
            repeats,
        )
        gzip_dc = shutil.which("gzip") is not None
        gz_contestants: dict[str, Callable[[], Any]] = {"read_idx": lambda: read_idx(gz_path)}
        if gzip_dc:
            _gzip_dc(gz_path)  # warm-up
            gz_contestants["gzip_dc"] = lambda: _gzip_dc(gz_path)
        gz_times = _alternate(gz_contestants, max(repeats, 3))  # cheap: always 3 or more

        peaks = {
            "read_idx_raw": peak_rise_mib("read_idx", raw_path),
            "course_struct_raw": peak_rise_mib("course_struct", raw_path),
            "read_idx_gz": peak_rise_mib("read_idx", gz_path),
        }

    ours_raw = statistics.median(raw_times["read_idx"])
    course_raw = statistics.median(raw_times["course_struct"])
    ours_gz = statistics.median(gz_times["read_idx"])
    gzip_s = statistics.median(gz_times["gzip_dc"]) if gzip_dc else None
    return {
        "file": stem,
        "tiny": tiny,
        "shape": list(ours.shape),
        "raw_bytes": raw_bytes,
        "gz_bytes": gz_path.stat().st_size,
        "repeats": repeats,
        "raw": {
            "read_idx_s": ours_raw,
            "course_struct_s": course_raw,
            "speedup": course_raw / ours_raw,
            "read_idx_peak_mib": peaks["read_idx_raw"],
            "course_struct_peak_mib": peaks["course_struct_raw"],
            "read_idx_mb_per_s": raw_bytes / ours_raw / 1e6,
            "target_s": None if tiny else TARGET_RAW_S,  # the targets are for the 47 MB file
            "meets_target": None if tiny else ours_raw <= TARGET_RAW_S,
        },
        "gz": {
            "read_idx_s": ours_gz,
            "gzip_dc_s": gzip_s,
            "vs_gzip_dc": (ours_gz / gzip_s) if gzip_s else None,
            "read_idx_peak_mib": peaks["read_idx_gz"],
            "target_s": None if tiny else TARGET_GZ_S,
            "meets_target": None if tiny else ours_gz <= TARGET_GZ_S,
        },
        "times_s": {
            "raw_read_idx": raw_times["read_idx"],
            "raw_course_struct": raw_times["course_struct"],
            "gz_read_idx": gz_times["read_idx"],
            "gz_gzip_dc": gz_times.get("gzip_dc", []),
        },
    }


def _f(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _verdict(case: dict[str, Any]) -> str:
    if case["meets_target"] is None:
        return "no target (tiny run)"
    return f"target <= {case['target_s']} s: {'met' if case['meets_target'] else 'MISSED'}"


def table(result: dict[str, Any]) -> str:
    """The figures as a small plain-text table."""
    raw, gz = result["raw"], result["gz"]
    rows = [
        ("case", "contestant", "median s", "peak MiB", "note"),
        ("raw", "read_idx", _f(raw["read_idx_s"], ".4f"), _f(raw["read_idx_peak_mib"], ".0f"),
         _verdict(raw)),
        ("raw", "course struct", _f(raw["course_struct_s"], ".3f"),
         _f(raw["course_struct_peak_mib"], ".0f"), f"read_idx is {raw['speedup']:.0f}x faster"),
        ("gz", "read_idx", _f(gz["read_idx_s"], ".4f"), _f(gz["read_idx_peak_mib"], ".0f"),
         _verdict(gz)),
        ("gz", "gzip -dc", _f(gz["gzip_dc_s"], ".4f"), "-", "inflate only, to /dev/null"),
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [
        f"{result['file']} {tuple(result['shape'])}: {result['raw_bytes']} bytes raw, "
        f"{result['gz_bytes']} gz; medians of {result['repeats']} (gz: >= 3)"
    ]
    for r in rows:
        cells = [c.ljust(w) if i < 2 else c.rjust(w) if i < 4 else c
                 for i, (c, w) in enumerate(zip(r, widths, strict=True))]  # fmt: skip
        lines.append("  ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="one repetition")
    p.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = p.parse_args(argv)
    result = run(quick=args.quick)
    print(table(result))
    if args.json:
        print(json.dumps(result, indent=2))
    return 0


def targets(idx: dict[str, Any]) -> list[Any]:
    """Section idx_read's targets (issue 6), as `benchmarks._common.Target`s."""
    from benchmarks._common import Target, fmt  # (here: the module also runs as a script)

    sp = idx.get("raw", {}).get("speedup")
    vs = idx.get("gz", {}).get("vs_gzip_dc")
    return [
        Target(6, "IDX raw read >= 50x faster than the struct loader", f"{fmt(sp, '.0f')}x",
               sp >= 50 if sp else None),
        Target(6, "IDX gz read <= 1.5x `gzip -dc > /dev/null`", f"{fmt(vs, '.2f')}x",
               vs <= 1.5 if vs else None),
    ]  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
