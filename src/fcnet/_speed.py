"""The speed layer: the compiled kernels and every thread choice, in one dispatch module.

`fcnet.nn` is the reference engine, written to be read beside docs/backprop.md. Speed
comes from here, from outside it, as nanoGPT's comes from fused kernels: `FastStep` runs
the numpy backend's training step with compiled twins of the engine's long element-wise
passes (`fcnet.nn._kernels`: Adam's update, the dropout mask, ReLU's derivative) and with
each weight gradient written straight into its array (the reference zeroes it, then adds).
Every twin does the reference's floating-point operations in the same order, so both paths
give the same bits (tests/nn/test_speed.py). `fcnet.data.augment` takes its image warp
(`fcnet.data._kernels`) from `load` too.

FCNET_JIT=0 turns every kernel off: the reference path runs. Without numba, or when numba
cannot load (no place to write its cache: a read-only install with an unwritable
NUMBA_CACHE_DIR and HOME), the reference path runs too.

Threads are decided here and nowhere else: `BlasThreads` picks the BLAS thread count per
training step, `limit_threads` caps numpy's BLAS, torch and TensorFlow for a block, and
`one_numba_thread` keeps numba's parallel loops on the calling thread.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from fcnet import nn

T = TypeVar("T")

MIN_SIZE = 1 << 15
"""Fewest parameters for the compiled step: below it numpy's ufuncs cost as little, and
small networks, the gradient checks and `import fcnet` never load numba."""

_loaded: dict[str, ModuleType | None] = {}


def enabled() -> bool:
    """False when FCNET_JIT=0: every pass then runs the reference numpy code."""
    return os.environ.get("FCNET_JIT", "1").strip() != "0"


def load(name: str) -> ModuleType | None:
    """The kernel module `name`, or None when FCNET_JIT=0 or numba cannot load it.

    numba raises RuntimeError ("cannot cache function ...: no locator available") at import
    when it finds nowhere to write its cache, OSError on a broken install: the numpy code
    then does every pass, with the same results."""
    if name not in _loaded:
        module = None
        if enabled():
            try:
                module = importlib.import_module(name)
            except (ImportError, OSError, RuntimeError):
                module = None
        _loaded[name] = module
    return _loaded[name]


def kernels() -> ModuleType | None:
    """The engine's kernels, `fcnet.nn._kernels` (or None)."""
    return load("fcnet.nn._kernels")


# ----- the compiled training step -----------------------------------------------------------


class FastStep:
    """A training step of an `nn.Sequential` and its optimiser through the kernels, in
    three calls around the loss (make it with `fast_step`):

        loss = loss_fn(fast.forward(x), y)      # dropout fused
        fast.backward(loss_fn.backward())       # gradients set, ReLU' fused
        fast.update(clip_norm)                  # Adam and AdamW fused; others' own step

    the same bits as the reference lines

        loss = loss_fn(net.forward(x), y)
        net.zero_grad(); net.backward(loss_fn.backward(), need_input_grad=False)
        clip_grad_norm(net.parameters(), clip_norm); optimizer.step()

    Each weight gradient is written straight into its array where the reference zeroes it
    and adds (that differs at most in the sign of a zero, which the update gives back the
    same), and the first layer's input gradient is skipped.
    """

    def __init__(self, net: nn.Sequential, optimizer: nn.Optimizer, k: ModuleType) -> None:
        from fcnet import nn

        self.net, self.optimizer, self.k = net, optimizer, k
        self._nn = nn
        self._first = next((i for i, m in enumerate(net.layers) if m.parameters()), None)
        self._adam = isinstance(optimizer, nn.Adam) and not optimizer.amsgrad

    def update(self, clip_norm: float | None = None) -> None:
        """Clip the gradients' joint norm at `clip_norm` (None: no clipping), then step."""
        if clip_norm is not None:
            self._nn.clip_grad_norm(self.net.parameters(), clip_norm)
        if not (self._adam and self._adam_step()):
            self.optimizer.step()

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The network's output for x (checked already: a finite (N, in) array)."""
        nn, k = self._nn, self.k
        for layer in self.net.layers:
            if isinstance(layer, nn.Dropout) and layer.training and layer.p > 0:
                x = np.ascontiguousarray(x)
                r, threshold, scale = layer.draw(x)
                mask, out = np.empty_like(x), np.empty_like(x)  # Dropout.forward's lines fused
                k.dropout_forward(x.ravel(), r.ravel(), threshold, scale, mask.ravel(), out.ravel())
                layer.mask, x = mask, out
            else:
                x = layer.forward(x)
        return x

    def backward(self, delta: np.ndarray) -> np.ndarray | None:
        """Every parameter's gradient set from delta = dL/d(output); returns dL/dx, or None
        once the first layer with parameters is reached (its input gradient is skipped)."""
        nn, k = self._nn, self.k
        for i in range(len(self.net.layers) - 1, -1, -1):
            layer = self.net.layers[i]
            if isinstance(layer, nn.Linear):
                a_prev = layer.a_prev
                assert a_prev is not None
                np.matmul(delta.T, a_prev, out=layer.weight.grad)  # dW = delta^T a^{l-1}
                if layer.bias is not None:
                    np.sum(delta, axis=0, out=layer.bias.grad)  # db = sum of delta's rows
                if i == self._first:
                    return None  # the first layer's input gradient serves nothing
                delta = delta @ layer.weight.data
            elif isinstance(layer, nn.ReLU) and layer.a is not None and _same(delta, layer.a):
                out = np.empty_like(layer.a)  # delta * 1[a > 0] in one pass, no mask array
                k.relu_backward(delta.ravel(), layer.a.ravel(), layer.a.dtype.type(1), out.ravel())
                delta = out
            else:
                for p in layer.parameters():  # (a layer with parameters the step does not know)
                    p.zero_grad()
                delta = layer.backward(delta)
        return delta

    def _adam_step(self) -> bool:
        """`nn.Adam.step`, each parameter's update one compiled loop (`adam_chunk`); False,
        with nothing done, when an array cannot be viewed flat (then `step` runs)."""
        opt = self.optimizer
        assert isinstance(opt, self._nn.Adam)
        arrays = list(zip(opt.params, opt.exp_avg, opt.exp_avg_sq, strict=True))
        for p, m, v in arrays:
            if not (_contiguous(p.data, p.grad, m, v)):
                return False  # (the kernel walks them flat)
        opt.t += 1
        lr, wd, (beta1, beta2), t = opt.lr, opt.weight_decay, opt.betas, opt.t
        step_size = lr / (1 - beta1**t)
        c = math.sqrt(1 - beta2**t)
        dtype = opt.params[0].data.dtype  # (one dtype for all: Optimizer checks it)
        dt = dtype.type
        consts = (
            dt(1 - beta1), dt(beta2), dt(1 - beta2), dt(step_size * c), dt(opt.eps * c),
            dt(0 if opt._decoupled else wd), dt(1 - lr * wd) if (wd and opt._decoupled) else dt(1),
            t % opt.FLUSH_EVERY == 0, _TINY[dtype],
        )  # fmt: skip
        for p, m, v in arrays:
            self.k.adam_chunk(p.data, p.grad, m, v, *consts)
        return True


_TINY = {np.dtype(t): np.finfo(t).tiny for t in (np.float32, np.float64)}
"""The smallest normal number of each model dtype, in that dtype (Adam's flush)."""


def _contiguous(*arrays: np.ndarray) -> bool:
    return all(a.flags.c_contiguous for a in arrays)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and _contiguous(a, b)


def fast_step(net: nn.Sequential, optimizer: nn.Optimizer) -> FastStep | None:
    """The compiled step for this network and optimiser, or None where the reference
    should run: FCNET_JIT=0, no numba, fewer than MIN_SIZE parameters, or a layer or
    parameter used twice (its gradients are added, not set)."""
    params = net.parameters()
    if sum(p.data.size for p in params) < MIN_SIZE or not enabled():
        return None
    layers = net.layers
    if len({id(m) for m in layers}) != len(layers) or len({id(p) for p in params}) != len(params):
        return None
    k = kernels()
    return FastStep(net, optimizer, k) if k is not None else None


# ----- threads ------------------------------------------------------------------------------


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
    at full speed and others four times slower, and only the mean says what an epoch costs.
    Going to more threads takes two winning probes in a row (a spurious win there costs
    the most). It starts with one thread when the load average already exceeds the CPUs.
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

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) under the chosen BLAS thread count, timed to inform the choice."""
        if len(self.choices) == 1:
            return fn(*args)
        probing = self._countdown <= 0
        other = self.choices[0] if self.current != self.choices[0] else self.choices[1]
        n = other if probing else self.current
        before = self._set(n)
        t0 = self._clock()
        try:
            return fn(*args)
        finally:
            dt = self._clock() - t0
            self._restore(before)
            self._record(probing, n, dt)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
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


@contextlib.contextmanager
def limit_threads(threads: int | None, *, frameworks: bool = True) -> Iterator[None]:
    """Cap numpy's BLAS at `threads` inside the block, and with `frameworks` torch (where
    it can be imported) and TensorFlow (where it is loaded and not yet started) too;
    torch's setting is restored afterwards. None changes nothing."""
    if threads is None:
        yield
        return
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads: expected an int >= 1, got {threads!r}")
    from threadpoolctl import threadpool_limits

    torch_before = None
    if frameworks and "torch" in sys.modules:
        torch_before = sys.modules["torch"].get_num_threads()
    with threadpool_limits(limits=threads, user_api=None if frameworks else "blas"):
        try:
            if frameworks:
                _set_framework_threads(threads)
            yield
        finally:
            if torch_before is not None:
                sys.modules["torch"].set_num_threads(torch_before)


def _set_framework_threads(threads: int) -> None:
    with contextlib.suppress(ImportError):
        import torch

        torch.set_num_threads(threads)
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        with contextlib.suppress(RuntimeError):  # only possible before TF's first op
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)


@contextlib.contextmanager
def one_numba_thread() -> Iterator[None]:
    """numba's parallel loops on the calling thread alone inside the block: more threads
    would only fight OpenBLAS's, which spin for a while after every product."""
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)
