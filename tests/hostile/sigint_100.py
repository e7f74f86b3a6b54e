"""A hundred Ctrl-C's at random moments of a short `fcnet fit` run; prints what each left.

    python tests/hostile/sigint_100.py [--tries 100] [--seed 0]

Each try starts `fcnet fit ... --out RUN`, sends one SIGINT after a delay drawn uniformly
from 0.1 s (fcnet's own code is running by then; before it only the interpreter is) to the
length of an uninterrupted run, and checks what is left: a finished run, a checkpoint
that `--resume` takes to the end, or no folder with "nothing was written". Anything else
counts as lost, and the script exits 1.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _sigint import full_run_seconds, one_try


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tries", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    counts: collections.Counter[str] = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        window = full_run_seconds(Path(tmp) / "full")
        print(f"an uninterrupted run takes {window:.2f} s here")
        for i in range(args.tries):
            delay = rng.uniform(0.1, window)
            r = one_try(Path(tmp) / f"run{i}", delay)
            kind = r["outcome"].split(":")[0]
            counts[kind] += 1
            print(f"{i + 1:3d}  {delay:5.2f} s  exit {r['rc']:4d}  {r['outcome']}", flush=True)
            if kind == "LOST":
                print(f"     stderr: {r['stderr'][:300]}")
    ok = counts["finished"] + counts["resumed"] + counts["nothing"]
    print(
        f"{ok} of {args.tries} left a finished run ({counts['finished']}), a resumable "
        f"checkpoint ({counts['resumed']}) or nothing, as said ({counts['nothing']}); "
        f"lost: {counts['LOST']}"
    )
    return 0 if counts["LOST"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
