"""Hostile cases of `fcnet.sklearn` (issue 25, items 1 and 7): an estimator too large for
memory with its real batch, and tampered `.npz` files given to `load()`. Each case runs in
its own interpreter under an address-space cap, as a user's script would, and must end in
one ValueError naming what is wrong, within bounded memory and time."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from _hostile import MAX_RSS, MAX_SECONDS, SRC, _high_water

CAP = 6 << 30  # address space of the child (numpy's and OpenBLAS's reservations fit)

PRELUDE = """
import sys, warnings
warnings.simplefilter("ignore")
import numpy as np
import fcnet.sklearn as fs
def report(fn):
    try:
        fn()
    except Exception as exc:
        print(type(exc).__name__ + ": " + str(exc))
        sys.exit(3)
    print("no error")
"""


def _run(code: str, cwd: Path, timeout: float = 60.0) -> tuple[int, str, int, float]:
    """Run `code` in a fresh interpreter capped at CAP bytes: (rc, output, peak RSS, s)."""
    env = {
        **os.environ,
        "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))

    out = cwd / ".out"
    t = time.perf_counter()
    with open(out, "wb") as fo:
        proc = subprocess.Popen(
            [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
            cwd=cwd,
            env=env,
            stdout=fo,
            stderr=subprocess.STDOUT,
            preexec_fn=cap,
        )
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _high_water(proc.pid))
            if time.perf_counter() - t > timeout:
                proc.kill()
                proc.wait()
                break
            time.sleep(0.005)
    return proc.returncode, out.read_text(errors="replace"), peak, time.perf_counter() - t


def _refused(result: tuple[int, str, int, float], *parts: str) -> str:
    """One ValueError line naming every part, before any large allocation."""
    rc, output, rss, seconds = result
    assert rc == 3, output[-2000:]
    lines = output.strip().splitlines()
    assert len(lines) == 1, output[-2000:]
    line = lines[0]
    assert line.startswith(("ValueError: ", "FileError: ", "LimitError: ")), line
    for part in parts:
        assert part in line, (part, line)
    assert rss < MAX_RSS, f"peak memory {rss / 2**20:.0f} MiB"
    assert seconds < MAX_SECONDS, f"{seconds:.1f} s"
    return line


# ----- 25.1: the memory check counts the real batch ---------------------------------------


@pytest.mark.parametrize("cls", ["FCNetClassifier", "FCNetRegressor"])
def test_estimator_checks_memory_with_its_real_batch(tmp_path, cls):
    """hidden_layer_sizes=(10**7,) on 400x4 data: the weights alone would fit (~1.6 GB),
    a batch of 200 needs ~30 GiB; refused before training, not a MemoryError."""
    code = f"""
    X = np.random.default_rng(0).normal(size=(400, 4))
    y = (X[:, 0] > 0).astype(int)
    report(lambda: fs.{cls}(hidden_layer_sizes=(10**7,)).fit(X, y))
    """
    line = _refused(_run(code, tmp_path), cls, "batch of 200", "needs about")
    assert "MemoryError" not in line


def test_netspec_does_not_ask_the_machine(tmp_path):
    """A NetSpec is plain data: a network too large for this machine can be described
    (and saved), and is refused where it is built."""
    code = """
    from fcnet.spec import NetSpec
    import fcnet
    spec = NetSpec(input_size=4096, hidden=[4096] * 400, output_size=2, loss="cross_entropy")
    print("described", spec.hidden[0].width)
    report(lambda: fcnet.build(spec))
    """
    rc, output, rss, seconds = _run(code, tmp_path)
    assert output.startswith("described 4096\n"), output[-2000:]
    _refused((rc, output.split("\n", 1)[1], rss, seconds), "needs about")


# ----- 25.7: load() of a tampered file --------------------------------------------------------


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A small fitted classifier saved as .npz (string labels)."""
    from fcnet.sklearn import FCNetClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.array(["a", "b", "c"])[rng.integers(0, 3, size=60)]
    path = tmp_path_factory.mktemp("est") / "clf.npz"
    with pytest.warns(Warning):
        FCNetClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(X, y).save(path)
    return path


def _tamper(saved: Path, tmp_path: Path, meta: str | None = None, **changes) -> Path:
    """A copy of `saved` whose __sklearn__ entry is `meta`, or the saved one with `changes`."""
    with np.load(saved) as z:
        arrays = {k: z[k] for k in z.files}
    if meta is None:
        d = json.loads(str(arrays["__sklearn__"]))
        for key, value in changes.items():
            target = d
            *path, last = key.split(".")
            for part in path:
                target = target[part]
            target[last] = value
        meta = json.dumps(d)
    arrays["__sklearn__"] = np.array(meta)
    out = tmp_path / "tampered.npz"
    np.savez_compressed(out, **arrays)
    return out


def _load(path: Path) -> str:
    return f"report(lambda: fs.load({str(path)!r}))"


def test_untampered_file_loads(saved, tmp_path):
    """The control: the saved file loads in the same harness."""
    rc, output, _rss, _s = _run(_load(saved), tmp_path)
    assert rc == 0 and output.strip() == "no error", output[-2000:]


def test_load_huge_estimator_entry_is_bounded(saved, tmp_path):
    """A ~300 KB file whose __sklearn__ inflates to 256 MiB: refused from its header."""
    meta = '{"version": 1, "pad": "' + "x" * (64 << 20) + '"}'
    path = _tamper(saved, tmp_path, meta)
    assert path.stat().st_size < 2 << 20
    _refused(_run(_load(path), tmp_path), "__sklearn__", "more than a model file may have")


def test_load_class_dtype_of_a_gigabyte(saved, tmp_path):
    path = _tamper(saved, tmp_path, **{"targets.dtype": "<U250000000"})
    _refused(_run(_load(path), tmp_path), "targets", "<U250000000")


def test_load_deeply_nested_metadata(saved, tmp_path):
    meta = '{"version": 1, "params": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path = _tamper(saved, tmp_path, meta)
    line = _refused(_run(_load(path), tmp_path), "__sklearn__")
    assert "Recursion" not in line


@pytest.mark.parametrize("field", ["n_iter", "t", "best_epoch", "n_features_in"])
def test_load_count_of_infinity(saved, tmp_path, field):
    path = _tamper(saved, tmp_path, **{field: float("inf")})
    line = _refused(_run(_load(path), tmp_path), field)
    assert "Overflow" not in line


def test_load_hidden_layer_sizes_contradicting_the_network(saved, tmp_path):
    path = _tamper(saved, tmp_path, **{"params.hidden_layer_sizes": [7, 7]})
    _refused(_run(_load(path), tmp_path), "hidden_layer_sizes", "[7, 7]", "[5]")


def test_load_classes_contradicting_the_network(saved, tmp_path):
    path = _tamper(saved, tmp_path, **{"targets.classes": ["a", "b"]})
    _refused(_run(_load(path), tmp_path), "does not fit the saved network")


def test_load_unknown_field(saved, tmp_path):
    path = _tamper(saved, tmp_path, extra="x")
    _refused(_run(_load(path), tmp_path), "extra")
