"""Element-wise passes over long flat arrays, in cache-sized chunks, on a few threads.

Why: an optimiser step is a dozen element-wise passes over every parameter (Adam over
784-1024-1024-10's 1.9 M weights cost as much as the epoch's matrix products). Done
chunk by chunk, the dozen passes over one chunk stay in the CPU's cache; numpy's ufuncs
release the GIL, so two threads do twice the work.

The chunks come from a shared counter, and the caller waits only for chunks that were
taken: a thread the OS deschedules (a busy neighbour on the other core) delays nothing,
the others take its chunks. (OpenBLAS's static split waits for every one of its threads.)
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

MIN_CHUNK = 1 << 16
"""Fewest elements per chunk (256 KiB of float32): smaller chunks cost more in calls."""

_local = threading.local()
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _default_threads() -> int:
    for name in ("FCNET_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) >= 1:
            return min(int(value), 8)
    try:
        return max(1, min(len(os.sched_getaffinity(0)), 4))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, min(os.cpu_count() or 1, 4))


_threads = _default_threads()


def get_num_threads() -> int:
    """Threads the element-wise passes use (FCNET_NUM_THREADS, else OMP_NUM_THREADS, else
    the CPUs this process may run on, at most 4)."""
    return _threads


def set_num_threads(n: int) -> None:
    """Use `n` threads (>= 1) for the element-wise passes from now on."""
    global _threads, _pool
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads: expected an int >= 1, got {n!r}")
    with _pool_lock:
        _threads = n
        if _pool is not None:
            _pool.shutdown(wait=False)
            _pool = None


def scratch(size: int, dtype: np.dtype) -> np.ndarray:
    """A scratch array of `size` elements owned by the calling thread (reused, not zeroed)."""
    buf = getattr(_local, "buf", None)
    if buf is None or buf.dtype != dtype or buf.size < size:
        buf = _local.buf = np.empty(max(size, MIN_CHUNK), dtype)
    return buf[:size]


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(_threads - 1, thread_name_prefix="fcnet-nn")
        return _pool


def run_chunks(fn: Callable[[int, int], None], n: int) -> None:
    """Call fn(lo, hi) for consecutive ranges covering [0, n), each at most a chunk long,
    on up to `get_num_threads()` threads; return when every range is done. fn must touch
    only elements lo..hi-1 of its arrays (then the result is the same on any thread)."""
    threads = _threads
    chunk = max(MIN_CHUNK, -(-n // (4 * threads)))
    n_chunks = -(-n // chunk)
    if threads == 1 or n_chunks == 1:
        for lo in range(0, n, chunk):
            fn(lo, min(lo + chunk, n))
        return
    counter = itertools.count()
    lock = threading.Lock()
    done = [0]
    finished = threading.Event()
    errors: list[BaseException] = []

    def drain() -> None:
        mine = 0
        try:
            while (c := next(counter)) < n_chunks:
                lo = c * chunk
                fn(lo, min(lo + chunk, n))
                mine += 1
        except BaseException as exc:  # reported by the caller; the chunk still counts
            errors.append(exc)
            mine += 1
            for _ in counter:  # claim the rest so nobody waits for them
                if _ >= n_chunks:
                    break
                mine += 1
        with lock:
            done[0] += mine
            if done[0] >= n_chunks:
                finished.set()

    pool = _get_pool()
    for _ in range(threads - 1):
        pool.submit(drain)
    drain()
    finished.wait()
    if errors:
        raise errors[0]


class BlasThreads:
    """Chooses, while training runs, how many threads the BLAS gets for each step: 1 or
    all it has (its setting when this was made), whichever steps faster lately.

    Why: OpenBLAS splits every product between its threads and waits for all of them.
    On a quiet machine two threads halve a product; with a busy neighbour on the other
    core, the descheduled thread makes each product wait a time slice (an MNIST epoch went
    from 0.7 s to 3-19 s). The step times tell which case holds: every `interval` steps
    the other choice is tried for `PROBE` steps and kept if its mean step was faster by
    more than `MARGIN` than the mean of the current choice's last `WINDOW` steps; a probe
    that loses doubles the interval (up to 512 steps), so a settled choice costs under 1%
    in probes. Means, not best steps: beside a busy neighbour two threads give some steps
    at full speed (the neighbour was off the CPU) and others four times slower, and only
    the mean says what an epoch costs (784-256-10 beside a spinning process: 2.4 s an
    epoch with two threads, 0.8 s with one; comparing best steps kept two). Going to more
    threads takes two winning probes in a row (a spurious win there costs the most). It
    starts with one thread when the load average already exceeds the CPUs.
    The BLAS setting is restored after each step.

        blas = BlasThreads()
        loss = blas.run(step, x, y)    # step(x, y) under the chosen thread count
    """

    PROBE = 4
    WINDOW = 8
    MARGIN = 0.1
    FIRST_INTERVAL = 16
    MAX_INTERVAL = 512

    def __init__(self) -> None:
        import time

        from threadpoolctl import ThreadpoolController

        self._clock = time.perf_counter
        self._libs = ThreadpoolController().select(user_api="blas").lib_controllers
        most = max((lib.num_threads for lib in self._libs), default=1)
        self.choices = (1, most) if most > 1 else (1,)
        try:
            busy = os.getloadavg()[0] >= (os.cpu_count() or 1)
        except OSError:  # pragma: no cover - no load average here
            busy = False
        self.current = 1 if busy else most  # the choice in use between probes
        self._recent: list[float] = []  # the current choice's last step times
        self._probe: list[float] = []  # the probed choice's step times
        self._interval = self.FIRST_INTERVAL
        self._countdown = self.FIRST_INTERVAL
        self._wins = 0  # winning probes in a row for more threads
        self.switches = 0

    def _set(self, n: int) -> list[int]:
        before = [lib.num_threads for lib in self._libs]
        for lib, b in zip(self._libs, before, strict=True):
            if b != n:
                lib.set_num_threads(n)
        return before

    def _restore(self, before: list[int]) -> None:
        for lib, b in zip(self._libs, before, strict=True):
            lib.set_num_threads(b)

    def run(self, fn: Callable, *args):
        """fn(*args) under the chosen BLAS thread count, timed to inform the choice."""
        if len(self.choices) == 1:
            return fn(*args)
        probing = self._countdown <= 0
        n = (
            (self.choices[0] if self.current != self.choices[0] else self.choices[1])
            if (probing)
            else self.current
        )
        before = self._set(n)
        t0 = self._clock()
        try:
            return fn(*args)
        finally:
            dt = self._clock() - t0
            self._restore(before)
            self._record(probing, n, dt)

    def call(self, fn: Callable, *args):
        """fn(*args) under the current choice, untimed (evaluation, prediction)."""
        if len(self.choices) == 1:
            return fn(*args)
        before = self._set(self.current)
        try:
            return fn(*args)
        finally:
            self._restore(before)

    def _record(self, probing: bool, n: int, dt: float) -> None:
        if not probing:
            self._recent = [*self._recent[-(self.WINDOW - 1) :], dt]
            self._countdown -= 1
            return
        self._probe.append(dt)
        if len(self._probe) < self.PROBE:
            return
        won = not self._recent or _mean(self._probe) < (1 - self.MARGIN) * _mean(self._recent)
        self._probe = []
        if won and n > self.current and self._wins == 0:
            self._wins = 1  # confirm first: probe again at once
            self._countdown = 0
            return
        self._wins = 0
        if won:
            self.current, self._interval = n, self.FIRST_INTERVAL
            self._recent = []
            self.switches += 1
        else:
            self._interval = min(2 * self._interval, self.MAX_INTERVAL)
        self._countdown = self._interval


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)
