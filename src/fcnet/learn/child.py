"""The checking child: `python -m fcnet.learn.child NAME FILE FD [--quick] [--skip K]`.

Loads the learner's FILE, runs exercise NAME's checks from the K-th on, and writes one
JSON line per event to the file descriptor FD: {"start": check}, {"result": {...}}, or
{"load_error": message, "detail": traceback}. Its own stdout and stderr are the
learner's prints, which the parent discards.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    name, path, fd = argv[0], argv[1], int(argv[2])
    quick = "--quick" in argv
    skip = int(argv[argv.index("--skip") + 1]) if "--skip" in argv else 0
    out = os.fdopen(fd, "w", buffering=1, encoding="utf-8")

    def send(event: dict) -> None:
        out.write(json.dumps(event) + "\n")
        out.flush()

    os.environ["FCNET_LEARN_CHILD"] = "1"
    from fcnet.learn import core
    from fcnet.learn.exercises import get
    from fcnet.learn.student_file import LoadError, load

    exercise = get(name)
    if exercise.address_limit:
        _limit_memory(exercise.memory_bytes)
    send({"loading": path})
    try:
        namespace, names = load(path)
    except LoadError as exc:
        send({"load_error": exc.message, "detail": exc.detail})
        return 0
    except MemoryError:
        send({"load_error": "the file ran out of memory while being imported", "detail": ""})
        return 0
    student = core.Student(namespace, names, quick=quick, call_limits=exercise.call_limits)
    for check in exercise.checks[skip:]:
        send({"start": check.name})
        result = core.run_one(check, student)
        send({"result": result.to_json()})
    return 0


def _limit_memory(nbytes: int) -> None:
    """Cap the address space (not for torch or tensorflow, whose start-up reserves far
    more than it uses; the parent watches the resident size in every case)."""
    try:
        import resource
    except ImportError:  # not on POSIX: the parent's watch remains
        return
    if nbytes:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = 4 * nbytes  # address space, not memory: numpy and BLAS reserve more than they use
        if hard == resource.RLIM_INFINITY or hard > cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
