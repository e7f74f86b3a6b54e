"""A small class of backprop submissions for the grading tests (imported as `classkit`).

Right, typically wrong, notebook, crashing, hanging, forging and escaping files, one
per-student folder and one student zip; the planted copies of `right` differ from it
only by renamed variables, reordered functions and changed comments.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

SOLUTIONS = Path(__file__).parent.parent / "learn" / "solutions"
REF = (SOLUTIONS / "backprop_ref.py").read_text()
LOOPS = (SOLUTIONS / "backprop_loops.py").read_text()

# an independent third solution: np.dot, np.where, a log-sum-exp of its own
OWN = '''"""My backprop."""
import numpy as np


def linear_forward(x, W, b):
    out = np.dot(x, np.transpose(W))
    out = out + b[None, :]
    return out


def linear_backward(delta, x, W):
    grad_weights = np.einsum("no,ni->oi", delta, x)
    grad_bias = np.einsum("no->o", delta)
    grad_input = np.einsum("no,oi->ni", delta, W)
    return (grad_weights, grad_bias, grad_input)


def relu_forward(z):
    return np.where(z > 0, z, 0.0)


def relu_backward(grad_a, z):
    mask = np.where(z > 0, 1.0, 0.0)
    return mask * grad_a


def softmax_cross_entropy(z, y):
    count = len(y)
    top = np.max(z, axis=-1)[:, None]
    logits = z - top
    log_totals = np.log(np.sum(np.exp(logits), axis=-1))[:, None]
    log_probs = logits - log_totals
    probs = np.exp(log_probs)
    cost = float(-np.mean(log_probs[np.arange(count), y]))
    onehot = np.zeros_like(z)
    onehot[np.arange(count), y] = 1.0
    return cost, (probs - onehot) / count
'''

# a copy of REF: names changed, functions reordered, comments changed, spacing changed
COPY = """import numpy as np

# softmax first this time
def softmax_cross_entropy(scores, labels):
    batch = scores.shape[0]
    moved = scores - scores.max(axis=1, keepdims=True)   # stable
    logp = moved - np.log(np.exp(moved).sum(axis=1, keepdims=True))
    cost = -logp[np.arange(batch), labels].mean()
    d = np.exp(logp)
    d[np.arange(batch), labels] -= 1
    return cost, d / batch


def relu_backward(g, pre):
    return g * (pre > 0)


def relu_forward(pre):
    return np.maximum(pre, 0)


def linear_backward(d, inp, weights):
    gw = d.T @ inp
    gb = d.sum(axis=0)
    gi = d @ weights
    return gw, gb, gi


def linear_forward(inp, weights, bias):
    return inp @ weights.T + bias
"""

WRONG_DB = REF.replace("db = delta.sum(axis=0)", "db = delta.mean(axis=0)")
WRONG_MASK = REF.replace("return grad_a * (z > 0)", "return grad_a * (z >= 0)")
CRASH = "import os\nos._exit(3)\n"
LOAD_ERROR = REF + "\nraise RuntimeError('my bug at import')\n"
HANG = "while True:\n    pass\n"
SYNTAX = "def linear_forward(x, W, b)\n    return x\n"
# writes a forged 'passed' verdict for every check to every inherited descriptor
FORGE = (
    REF
    + """
import json as _j, os as _o
from fcnet.learn.exercises import get as _get
for _c in _get("backprop").checks:
    _line = _j.dumps({"result": {"name": _c.name, "passed": True, "message": "forged"}}) + "\\n"
    for _fd in range(3, 64):
        try:
            _o.write(_fd, _line.encode())
        except OSError:
            pass
"""
)
ESCAPE = (
    REF
    + """
import os as _o
for _p in ("../../escaped.txt", "/tmp/fcnet-grade-escaped.txt"):
    try:
        with open(_p, "w") as _f:
            _f.write("out")
    except OSError:
        pass
"""
)


def notebook(code: str) -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# backprop\n"]},
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": code.splitlines(keepends=True),
        },
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def make_class(root: Path, *, slow: bool = True) -> Path:
    """Write the class folder; `slow` adds the hanging file."""
    root.mkdir(parents=True, exist_ok=True)
    files = {
        "right1.py": REF,
        "right2.py": LOOPS,
        "own.py": OWN,
        "copy.py": COPY,
        "nb.ipynb": notebook(REF),
        "wrong_db.py": WRONG_DB,
        "wrong_mask.py": WRONG_MASK,
        "crash.py": CRASH,
        "load_error.py": LOAD_ERROR,
        "syntax.py": SYNTAX,
        "forge.py": FORGE,
        "escape.py": ESCAPE,
        "empty.py": "",
    }
    if slow:
        files["hang.py"] = HANG
    for name, text in files.items():
        (root / name).write_text(text)
    (root / "latin1.py").write_bytes("# caf\xe9\n".encode("latin-1"))
    (root / "folder").mkdir(exist_ok=True)
    (root / "folder" / "backprop.py").write_text(WRONG_MASK)
    (root / "nothing").mkdir(exist_ok=True)
    (root / "nothing" / "notes.txt").write_text("no code")
    with zipfile.ZipFile(root / "zipped.zip", "w") as zf:
        zf.writestr("zipped/backprop.py", REF)
    (root / "linked.py").symlink_to(root / "right1.py")
    return root
