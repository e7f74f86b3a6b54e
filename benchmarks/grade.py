"""Section `grade`: `fcnet grade` on a generated class of 200 backprop submissions.

The class (`make_class`): right files (vectorised, per-sample loops, notebooks; each with
a comment of its own, so no two are the same file), the course's typical mistakes (db a
mean, the ReLU mask with >=, dW transposed, an unstable softmax, delta without 1/N),
crashing files (os._exit, an exception or a syntax error at import), hanging ones (at
import, in a call) and hostile ones (verdicts forged on every descriptor, writes outside
the scratch folder, a fork bomb, a memory hog). Graded with `--jobs 2` and the real
limits; reported: seconds, submissions per second, the statuses, and whether every right
file got full marks and every hostile one no more than its functions earn.

This section owns its target (issue 22): 200 backprop submissions in at most 60 s.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks._common import THREADS, tiny

TARGET = "fcnet grade: 200 backprop submissions in at most 60 s (--jobs 2)"
TARGET_SECONDS = 60.0
_SOLUTIONS = Path(__file__).resolve().parents[1] / "tests" / "learn" / "solutions"

_WRONG = {
    "db_mean": ("db = delta.sum(axis=0)", "db = delta.mean(axis=0)"),
    "relu_ge": ("return grad_a * (z > 0)", "return grad_a * (z >= 0)"),
    "dW_transposed": ("dW = delta.T @ x", "dW = x.T @ delta"),
    "unstable": ("shifted = z - z.max(axis=1, keepdims=True)", "shifted = z"),
    "no_1_over_N": ("return loss, delta / N", "return loss, delta"),
}
_HOSTILE = {
    "forge": (
        "\nimport json as _j, os as _o\n"
        "for _fd in range(3, 64):\n"
        "    try:\n"
        "        _o.write(_fd, (_j.dumps({'result': {'passed': True}}) + '\\n').encode())\n"
        "    except OSError:\n"
        "        pass\n"
    ),
    "escape": (
        "\nfor _p in ('../../escaped.txt', '/tmp/fcnet-bench-escaped.txt'):\n"
        "    try:\n"
        "        open(_p, 'w').write('out')\n"
        "    except OSError:\n"
        "        pass\n"
    ),
    "fork_bomb": (
        "\nimport os as _o\n"
        "for _i in range(200):\n"
        "    try:\n"
        "        _o.fork()\n"
        "    except OSError:\n"
        "        break\n"
    ),
    "memory_hog": "\n_hog = bytearray(8 << 30)\n",
}
_CRASH = {
    "exit": "import os\nos._exit(3)\n",
    "raise": "raise RuntimeError('my bug at import')\n",
    "syntax": "def linear_forward(x, W, b)\n    return x\n",
}
_HANG = {
    "import": "while True:\n    pass\n",
    "call": None,  # REF with relu_forward looping forever
}


def make_class(root: Path, n: int = 200) -> dict[str, str]:
    """Write `n` submissions into `root`; returns student -> kind."""
    import json

    ref = (_SOLUTIONS / "backprop_ref.py").read_text()
    loops = (_SOLUTIONS / "backprop_loops.py").read_text()
    kinds: list[tuple[str, str, str]] = []  # (kind, suffix, text)
    for name, (old, new) in _WRONG.items():
        assert old in ref, name
        kinds += [(f"wrong_{name}", ".py", ref.replace(old, new))] * max(1, n * 6 // 100)
    for name, text in _CRASH.items():
        kinds += [(f"crash_{name}", ".py", text)] * max(1, n * 2 // 100)
    hang_call = ref.replace(
        "def relu_forward(z):\n", "def relu_forward(z):\n    while True:\n        pass\n"
    )
    kinds += [("hang_import", ".py", _HANG["import"]), ("hang_call", ".py", hang_call)]
    for name, extra in _HOSTILE.items():
        kinds += [(f"hostile_{name}", ".py", ref + extra)] * max(1, n // 100)
    right = n - len(kinds)
    for i in range(right):
        base = loops if i % 5 == 0 else ref
        text = f"# student {i}\n{base}"
        if i % 10 == 3:
            cell = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": []}
            cell["source"] = text.splitlines(keepends=True)
            nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
            kinds.append(("right", ".ipynb", json.dumps(nb)))
        else:
            kinds.append(("right", ".py", text))
    root.mkdir(parents=True, exist_ok=True)
    students = {}
    for i, (kind, suffix, text) in enumerate(kinds):
        sid = f"s{i:03d}"
        (root / f"{sid}{suffix}").write_text(text if kind == "right" else f"# {sid}\n{text}")
        students[sid] = kind
    return students


def run(quick: bool = False) -> dict[str, Any]:
    from fcnet.grade import GradeOptions, grade
    from fcnet.learn import sandbox

    n = 20 if tiny() else 200
    saved = os.environ.get("FCNET_LEARN_TIME_SCALE")
    if tiny():
        os.environ["FCNET_LEARN_TIME_SCALE"] = "0.1"  # the harness's own test: short limits
    try:
        with tempfile.TemporaryDirectory(prefix="fcnet-bench-grade-") as folder:
            root = Path(folder)
            kinds = make_class(root / "class", n)
            unsafe = bool(sandbox.missing_protections())
            start = time.perf_counter()
            summary = grade(
                GradeOptions(
                    "backprop",
                    root / "class",
                    root / "out",
                    jobs=THREADS,
                    seed=1,
                    unsafe_no_sandbox=unsafe,
                ),
                progress=False,
            )
            seconds = time.perf_counter() - start
    finally:
        if saved is None:
            os.environ.pop("FCNET_LEARN_TIME_SCALE", None)
        else:
            os.environ["FCNET_LEARN_TIME_SCALE"] = saved
    rows = {r.student: r for r in summary.rows}
    right = [rows[s] for s, k in kinds.items() if k == "right"]
    forged = [rows[s] for s, k in kinds.items() if k == "hostile_forge"]
    statuses = Counter(r.status for r in summary.rows)
    result = {
        "submissions": len(rows),
        "jobs": THREADS,
        "seconds": round(seconds, 2),
        "submissions_per_second": round(len(rows) / seconds, 2),
        "statuses": dict(sorted(statuses.items())),
        "kinds": dict(sorted(Counter(kinds.values()).items())),
        "right_full_marks": all(r.score == r.max_score for r in right),
        "forged_no_credit": all(r.score == 0 for r in forged),
        "sandbox": not unsafe,
        "target": TARGET,
    }
    if n == 200:
        result["target_met"] = seconds <= TARGET_SECONDS
    return result


def targets(g: dict[str, Any]) -> list[Any]:
    """Section grade's target (issue 22), as a `benchmarks._common.Target`."""
    from benchmarks._common import Target  # (here: the module also runs as a script)

    seconds = g.get("seconds")
    measured = (
        f"{seconds:.1f} s ({g.get('submissions_per_second')} per s)"
        if isinstance(seconds, (int, float))
        else "n/a"
    )
    return [Target(22, TARGET, measured, g.get("target_met"))]
