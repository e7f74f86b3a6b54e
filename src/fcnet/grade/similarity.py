"""Copies found: pairs of submissions whose code is more alike than a threshold.

Token fingerprints with winnowing (Schleimer, Wilkerson and Aiken 2003) by `copydetect`:
Pygments tokens with every name replaced by one letter, comments and whitespace dropped
(so renamed variables, changed comments and whitespace change nothing, and reordered
functions only the few k-grams across their borders). The skeleton's own code (both
languages) is boilerplate: its fingerprints are removed before comparing, so the
signatures and docstrings every student starts from never count.
A pair's score is the larger of the two shares of fingerprinted code found in the
other file (a copy padded with code of its own still scores high).
copydetect hashes k-grams with Python's `hash()`, salted afresh in every process, so the
winnowed fingerprints (and the scores) changed from one run to the next: `_copydetect`
swaps in a stable hash (BLAKE2b), and the same class always gets the same pairs.
"""

from __future__ import annotations

import functools
import hashlib
import io
from dataclasses import dataclass
from itertools import combinations

import numpy as np

__all__ = ["NOISE", "THRESHOLD", "Pair", "similar_pairs"]

NOISE = 25  # k: the shortest match counted, in filtered characters (copydetect's default)
GUARANTEE = 30  # every match this long is found (winnow window = GUARANTEE - NOISE + 1)
THRESHOLD = 0.6  # a pair at or above this score is listed


@dataclass(frozen=True)
class Pair:
    """Two students' files alike by `score` (0..1), with the matching lines of each."""

    a: str
    b: str
    score: float
    lines_a: str  # "12-18;25-30"
    lines_b: str


def _stable_hashes(string: str, k: int) -> np.ndarray:
    """The hash of every k-gram of `string`, the same in every process."""
    data = [string[i : i + k].encode("utf-8", "surrogatepass") for i in range(len(string) - k + 1)]
    return np.array(
        [int.from_bytes(hashlib.blake2b(g, digest_size=8).digest(), "little", signed=True)
         for g in data],
        dtype=np.int64,
    )  # fmt: skip


@functools.cache
def _copydetect():
    """copydetect with `utils.hashed_kgrams` made stable (see the module's docstring)."""
    import copydetect
    from copydetect import utils

    utils.hashed_kgrams = _stable_hashes
    return copydetect


def _fingerprint(text: str, boilerplate: list | None = None):
    return _copydetect().CodeFingerprint(
        "submission.py",
        NOISE,
        GUARANTEE - NOISE + 1,
        boilerplate=boilerplate,
        fp=io.StringIO(text),
        language="python",
    )


def skeleton_fingerprints(name: str) -> list:
    """The hashes of exercise `name`'s skeleton (English and Chinese): boilerplate."""
    from fcnet.learn.skeleton import template

    hashes: set = set()
    for lang in ("en", "zh"):
        try:
            hashes |= _fingerprint(template(name, lang)).hashes
        except (OSError, ValueError):
            continue
    return sorted(hashes)


def similar_pairs(codes: dict[str, str], name: str, threshold: float = THRESHOLD) -> list[Pair]:
    """The pairs of `codes` (student -> Python source) scoring at least `threshold`,
    highest first; the skeleton of exercise `name` is excluded."""
    compare_files = _copydetect().compare_files
    boilerplate = skeleton_fingerprints(name)
    prints = {s: _fingerprint(code, boilerplate) for s, code in codes.items() if code.strip()}
    pairs = []
    for a, b in combinations(sorted(prints), 2):
        fa, fb = prints[a], prints[b]
        if not fa.hashes & fb.hashes:
            continue
        _overlap, (sim_a, sim_b), (slices_a, slices_b) = compare_files(fa, fb)
        score = float(max(sim_a, sim_b))
        if score >= threshold:
            pairs.append(
                Pair(
                    a,
                    b,
                    round(score, 3),
                    _lines(fa.raw_code, slices_a),
                    _lines(fb.raw_code, slices_b),
                )
            )
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b))


def _lines(code: str, slices: np.ndarray) -> str:
    """Character slices of `code` as merged 1-based line ranges: "3-9;14-20"."""
    if len(slices) == 0 or np.size(slices) == 0:
        return ""
    starts = np.cumsum([0] + [len(line) + 1 for line in code.split("\n")])
    ranges: list[list[int]] = []
    for s, e in sorted(zip(slices[0].tolist(), slices[1].tolist(), strict=True)):
        first = int(np.searchsorted(starts, s, side="right"))
        last = int(np.searchsorted(starts, max(e - 1, s), side="right"))
        if ranges and first <= ranges[-1][1] + 1:
            ranges[-1][1] = max(ranges[-1][1], last)
        else:
            ranges.append([first, last])
    return ";".join(f"{a}-{b}" if a != b else f"{a}" for a, b in ranges)
