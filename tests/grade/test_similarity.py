"""Copies found after the skeleton is removed; independent solutions not flagged."""

import os
import subprocess
import sys
from pathlib import Path

from classkit import COPY, LOOPS, OWN, REF

from fcnet.grade.similarity import THRESHOLD, similar_pairs
from fcnet.learn.skeleton import template


def _pairs(codes):
    return {(p.a, p.b): p for p in similar_pairs(codes, "backprop")}


def test_a_planted_copy_is_flagged_and_independent_solutions_are_not():
    pairs = _pairs({"ref": REF, "copy": COPY, "loops": LOOPS, "own": OWN})
    # COPY: REF with every name changed, the functions reversed, comments and spacing changed
    assert set(pairs) == {("copy", "ref")}
    pair = pairs["copy", "ref"]
    assert pair.score >= 0.7  # and independent solutions score 0.1 (THRESHOLD 0.6)
    assert pair.lines_a and pair.lines_b  # "4-11;14-30": where the matches lie


def test_the_skeleton_itself_is_not_a_match():
    skeleton = template("backprop", "en")
    zh = template("backprop", "zh")
    # two students who each wrote one different function into the skeleton
    a = skeleton.replace(
        "def relu_forward(z):", "def relu_forward(z):\n    return np.maximum(z, 0)\n\n\ndef _a(z):"
    )
    b = zh.replace(
        "def linear_forward(x, W, b):",
        "def linear_forward(x, W, b):\n    return x @ W.T + b\n\n\ndef _b(x, W, b):",
    )
    assert a != skeleton and b != zh
    assert _pairs({"a": a, "b": b, "skel": skeleton}) == {}


def test_threshold_and_empty_files():
    assert 0 < THRESHOLD < 1
    assert _pairs({"a": REF, "b": "", "c": "   \n"}) == {}
    assert set(_pairs({"a": REF, "b": REF})) == {("a", "b")}


def test_scores_are_the_same_in_every_process():
    """copydetect's own k-gram hash is Python's hash(), salted per process: not here."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from classkit import COPY, REF\n"
        "from fcnet.grade.similarity import similar_pairs\n"
        "print([(p.score, p.lines_a) for p in similar_pairs({'a': REF, 'b': COPY}, 'backprop', 0)])"
    )
    here = str(Path(__file__).parent)
    outs = {
        subprocess.run(
            [sys.executable, "-c", code, here],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "22", "25")
    }
    assert len(outs) == 1 and "0." in outs.pop()
