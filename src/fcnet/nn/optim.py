"""Optimisers over `Parameter`s, with torch.optim's update rules and defaults, and the
learning-rate schedules, which count optimiser *steps* (t = 0 for the first step).

Each `step()` is the update rule written out per parameter with numpy ufuncs and `out=`
buffers, as in the docstrings. The compiled twin of Adam's update lives in the speed layer
(`fcnet._speed`), which the numpy backend calls when it is on; it gives the same bits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from fcnet.nn.parameter import Parameter
from fcnet.schedules import NAMES, lr_at

_ALIGN = 16  # elements: each parameter's view starts on a 64-byte boundary (float32)


def _check(name: str, value: Any, low: float, high: float | None = None, *, strict=False) -> float:
    ok = isinstance(value, int | float | np.floating) and not isinstance(value, bool)
    if ok:
        value = float(value)
        ok = math.isfinite(value) and (value > low if strict else value >= low)
        ok = ok and (high is None or value < high)
    if not ok:
        rng = f"{'>' if strict else '>='} {low}" + (f" and < {high}" if high is not None else "")
        raise ValueError(f"{name}: expected a number {rng}, got {value!r}")
    return value


class Optimizer:
    """Base: holds the parameters, the learning rate `lr` and the step count `t`."""

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        self.params: list[Parameter] = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: expected parameters, got an empty list")
        for p in self.params:
            if not isinstance(p, Parameter):
                raise ValueError(f"{type(self).__name__}: expected Parameters, got {p!r}")
        self.lr = _check(f"{type(self).__name__} lr", lr, 0.0)
        self.t = 0  # optimiser steps taken
        dtypes = {p.data.dtype for p in self.params}
        if len(dtypes) != 1:
            raise ValueError(
                f"{type(self).__name__}: expected parameters of one dtype, "
                f"got {sorted(d.name for d in dtypes)}"
            )

    def zero_grad(self) -> None:
        for p in self.params:
            p.zero_grad()

    FLUSH_EVERY = 16
    """Steps between flushes of subnormal moments (Adam): every few steps, moments below
    the dtype's smallest normal number are set to 0. A moment whose gradient is always 0
    (an MNIST border pixel's weights) decays geometrically into float32's subnormal range,
    where each arithmetic operation costs the CPU many times more: Adam's step grew by
    half over a few epochs. The values are below 1.2e-38, so the update changes by less
    than any weight can show."""

    def step(self) -> None:
        raise NotImplementedError

    # State, for exact resume: the step count and every buffer, as a flat dict of arrays.
    _buffers: tuple[str, ...] = ()

    def state_dict(self) -> dict[str, np.ndarray]:
        """{"t": step count, "lr": lr, "<buffer>.<i>": array for parameter i}."""
        out = {"t": np.array(self.t), "lr": np.array(self.lr)}
        for name in self._buffers:
            for i, buf in enumerate(getattr(self, name)):
                if buf is not None:
                    out[f"{name}.{i}"] = buf.copy()
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore what `state_dict` gave (shapes checked)."""
        for key in ("t", "lr"):
            if key not in state:
                raise ValueError(f"{type(self).__name__} state: expected key {key!r}, missing")
        self.t = int(state["t"])
        self.lr = float(state["lr"])
        for name in self._buffers:
            bufs = getattr(self, name)
            if not bufs:  # a buffer this configuration does not keep (Adam without amsgrad)
                continue
            for i, p in enumerate(self.params):
                key = f"{name}.{i}"
                if key not in state:
                    if name == "momentum_buffer":
                        bufs[i] = None
                    elif bufs[i] is not None:
                        bufs[i][...] = 0
                    else:
                        bufs[i] = np.zeros_like(p.data)
                    continue
                arr = np.asarray(state[key])
                if arr.shape != p.data.shape:
                    raise ValueError(
                        f"{type(self).__name__} state {key}: expected shape {p.data.shape}, "
                        f"got {arr.shape}"
                    )
                if bufs[i] is not None:
                    bufs[i][...] = arr  # into the flat buffer's view (Adam's moments)
                else:
                    bufs[i] = arr.astype(p.data.dtype, copy=True)


class SGD(Optimizer):
    """Stochastic gradient descent, torch.optim.SGD's rule.

    g = grad + weight_decay * p;  with momentum: b = g on the first step, then
    b = momentum * b + (1 - dampening) * g, and g = g + momentum * b (nesterov) or g = b;
    finally p = p - lr * g.  (Nesterov: Sutskever et al., 2013.)
    """

    _buffers = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _check("SGD momentum", momentum, 0.0)
        self.dampening = _check("SGD dampening", dampening, 0.0)
        self.weight_decay = _check("SGD weight_decay", weight_decay, 0.0)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                f"SGD nesterov: expected momentum > 0 and dampening = 0, "
                f"got momentum={momentum!r}, dampening={dampening!r}"
            )
        self.momentum_buffer: list[np.ndarray | None] = [None] * len(self.params)
        self._tmp = [np.empty_like(p.data) for p in self.params]  # scratch, one per parameter

    def step(self) -> None:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g, tmp = p.grad, self._tmp[i]
            if wd:
                g = np.add(g, wd * p.data, out=tmp)  # g = grad + wd p  (L2 penalty)
            if mu:
                b = self.momentum_buffer[i]
                if b is None:
                    b = self.momentum_buffer[i] = g.copy()  # b_1 = g
                else:
                    b *= mu  # b = mu b + (1 - dampening) g
                    b += g if self.dampening == 0 else (1 - self.dampening) * g
                g = np.add(g, mu * b, out=tmp) if self.nesterov else b
            p.data -= np.multiply(g, lr, out=tmp)  # p = p - lr g
        self.t += 1


class RMSprop(Optimizer):
    """RMSprop (Hinton, Lecture 6e), torch.optim.RMSprop's rule and defaults.

    g = grad + weight_decay * p;  s = alpha s + (1 - alpha) g^2;
    centered: c = alpha c + (1 - alpha) g and d = sqrt(s - c^2) + eps, else d = sqrt(s) + eps;
    with momentum: b = momentum b + g / d, p = p - lr b; else p = p - lr g / d.
    """

    _buffers = ("square_avg", "grad_avg", "momentum_buffer")

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.alpha = _check("RMSprop alpha", alpha, 0.0)
        self.eps = _check("RMSprop eps", eps, 0.0)
        self.weight_decay = _check("RMSprop weight_decay", weight_decay, 0.0)
        self.momentum = _check("RMSprop momentum", momentum, 0.0)
        self.centered = bool(centered)
        zeros = [np.zeros_like(p.data) for p in self.params]
        self.square_avg = zeros
        self.grad_avg = [np.zeros_like(p.data) for p in self.params] if centered else []
        self.momentum_buffer = [np.zeros_like(p.data) for p in self.params] if momentum else []
        self._tmp = [np.empty_like(p.data) for p in self.params]  # scratch, one per parameter

    def step(self) -> None:
        lr, alpha, eps, wd = self.lr, self.alpha, self.eps, self.weight_decay
        for i, p in enumerate(self.params):
            g, d = p.grad, self._tmp[i]
            if wd:
                g = g + wd * p.data  # g = grad + wd p  (L2 penalty)
            s = self.square_avg[i]
            s *= alpha  # s = alpha s + (1 - alpha) g^2
            s += np.multiply(g, g, out=d) * (1 - alpha)
            if self.centered:
                c = self.grad_avg[i]
                c *= alpha  # c = alpha c + (1 - alpha) g
                c += (1 - alpha) * g
                np.subtract(s, c * c, out=d)  # d = sqrt(s - c^2) + eps
                np.sqrt(d, out=d)
            else:
                np.sqrt(s, out=d)  # d = sqrt(s) + eps
            d += eps
            if self.momentum:
                b = self.momentum_buffer[i]
                b *= self.momentum  # b = momentum b + g / d
                b += np.divide(g, d, out=d)
                p.data -= np.multiply(b, lr, out=d)  # p = p - lr b
            else:
                np.divide(g, d, out=d)  # p = p - lr g / d
                p.data -= np.multiply(d, lr, out=d)
        self.t += 1


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), torch.optim.Adam's rule and defaults.

    g = grad + weight_decay * p (L2, coupled);  m = beta1 m + (1 - beta1) g;
    v = beta2 v + (1 - beta2) g^2;  (amsgrad: v_max = max(v_max, v), used for v below)
    p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
    """

    _buffers = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _decoupled = False

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr)
        name = type(self).__name__
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"{name} betas: expected a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            _check(f"{name} betas[0]", betas[0], 0.0, 1.0),
            _check(f"{name} betas[1]", betas[1], 0.0, 1.0),
        )
        self.eps = _check(f"{name} eps", eps, 0.0)
        self.weight_decay = _check(f"{name} weight_decay", weight_decay, 0.0)
        self.amsgrad = bool(amsgrad)
        self.exp_avg = [np.zeros_like(p.data) for p in self.params]  # m, one per parameter
        self.exp_avg_sq = [np.zeros_like(p.data) for p in self.params]  # v
        self.max_exp_avg_sq = [np.zeros_like(p.data) for p in self.params] if amsgrad else []
        self._tmp = [np.empty_like(p.data) for p in self.params]  # scratch, one per parameter

    def step(self) -> None:
        self.t += 1
        lr, eps, wd, (beta1, beta2), t = self.lr, self.eps, self.weight_decay, self.betas, self.t
        step_size = lr / (1 - beta1**t)  # lr / (1 - beta1^t)
        c = math.sqrt(1 - beta2**t)  # sqrt(1 - beta2^t)
        flush = t % self.FLUSH_EVERY == 0
        for i, p in enumerate(self.params):
            g, m, v, tmp = p.grad, self.exp_avg[i], self.exp_avg_sq[i], self._tmp[i]
            if wd:
                if self._decoupled:
                    p.data *= 1 - lr * wd  # AdamW: p = p (1 - lr wd)
                else:
                    g = g + wd * p.data  # Adam: g = grad + wd p  (L2 penalty)
            # m = beta1 m + (1 - beta1) g, as torch's lerp: m + (1 - beta1) (g - m)
            m += np.multiply(np.subtract(g, m, out=tmp), 1 - beta1, out=tmp)
            # v = beta2 v + (1 - beta2) g^2
            v *= beta2
            v += np.multiply(np.multiply(g, g, out=tmp), 1 - beta2, out=tmp)
            if self.amsgrad:
                v = np.maximum(self.max_exp_avg_sq[i], v, out=self.max_exp_avg_sq[i])
            # p = p - step_size m / (sqrt(v) / c + eps), computed as
            # p - (step_size c) m / (sqrt(v) + eps c): one pass over memory fewer
            denom = np.sqrt(v, out=tmp)
            denom += eps * c
            update = np.divide(m, denom, out=tmp)
            update *= step_size * c
            p.data -= update
            if flush:  # see Optimizer.FLUSH_EVERY: moments below the smallest normal -> 0
                np.abs(m, out=tmp)
                m[tmp < np.finfo(tmp.dtype).tiny] = 0


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019), torch.optim.AdamW's rule and defaults: Adam with
    the weight decay decoupled from the gradient, p = p (1 - lr weight_decay) before the
    Adam update. Default weight_decay 1e-2."""

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
}


def optimizer(name: str, params: Iterable[Parameter], **kwargs: Any) -> Optimizer:
    """An optimiser from its spec name ("sgd", "rmsprop", "adam", "adamw")."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {name!r}")
    return OPTIMIZERS[name](params, **kwargs)


def clip_grad_norm(params: Iterable[Parameter], max_norm: float) -> float:
    """Scale all gradients together so that their joint 2-norm is at most `max_norm`, as
    torch.nn.utils.clip_grad_norm_: g = g * min(1, max_norm / (norm + 1e-6)).
    Returns the norm before clipping."""
    params = list(params)
    max_norm = _check("clip_grad_norm max_norm", max_norm, 0.0)
    if not params:
        return 0.0
    norms = np.array([np.linalg.norm(p.grad.ravel()) for p in params], params[0].grad.dtype)
    total = np.linalg.norm(norms)  # sqrt(sum_p ||g_p||^2), in the grads' dtype
    coef = min(float(max_norm / (total + 1e-6)), 1.0)
    for p in params:
        p.grad *= coef
    return float(total)


class LRScheduler:
    """Base of the schedules: they count optimiser steps. Making one sets the optimiser's
    lr to the value for step t = 0; call `step()` after each `optimizer.step()` to move
    to the next (torch's convention, with one scheduler step per optimiser step)."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise ValueError(
                f"{type(self).__name__}: expected an fcnet.nn Optimizer, got {optimizer!r}"
            )
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.t = 0
        optimizer.lr = self.lr_at(0)

    def lr_at(self, t: int) -> float:
        """The learning rate for optimiser step t (t = 0 for the first step)."""
        raise NotImplementedError

    def step(self) -> None:
        self.t += 1
        self.optimizer.lr = self.lr_at(self.t)

    def get_last_lr(self) -> list[float]:
        return [self.optimizer.lr]

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"t": np.array(self.t), "base_lr": np.array(self.base_lr)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.t, self.base_lr = int(state["t"]), float(state["base_lr"])
        self.optimizer.lr = self.lr_at(self.t)


def _positive_int(name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{name}: expected an int >= {low}, got {value!r}")
    return int(value)


class StepLR(LRScheduler):
    """lr_t = lr * gamma ** (t // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _positive_int("StepLR step_size", step_size)
        self.gamma = _check("StepLR gamma", gamma, 0.0)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return lr_at("step", self.base_lr, t, step_size=self.step_size, gamma=self.gamma)


class ExponentialLR(LRScheduler):
    """lr_t = lr * gamma ** t."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = _check("ExponentialLR gamma", gamma, 0.0)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return lr_at("exponential", self.base_lr, t, gamma=self.gamma)


class CosineWarmupLR(LRScheduler):
    """Linear warm-up, then cosine decay to min_lr at total_steps (and min_lr after):

    lr_t = lr * (t + 1) / warmup_steps                                  for t < warmup_steps
    lr_t = min_lr + (lr - min_lr) (1 + cos(pi (t - warmup) / (total - warmup))) / 2   after.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        total_steps: int,
        warmup_steps: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        self.warmup_steps = _positive_int("CosineWarmupLR warmup_steps", warmup_steps, 0)
        self.total_steps = _positive_int("CosineWarmupLR total_steps", total_steps)
        if self.total_steps <= self.warmup_steps:
            raise ValueError(
                f"CosineWarmupLR total_steps: expected more than warmup_steps "
                f"({self.warmup_steps}), got {total_steps}"
            )
        self.min_lr = _check("CosineWarmupLR min_lr", min_lr, 0.0)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return lr_at(
            "cosine",
            self.base_lr,
            t,
            warmup_steps=self.warmup_steps,
            total_steps=self.total_steps,
            min_lr=self.min_lr,
        )


SCHEDULES = NAMES


def make_schedule(
    name: str,
    optimizer: Optimizer,
    *,
    step_size: int = 1000,
    gamma: float = 0.1,
    warmup_steps: int = 0,
    total_steps: int | None = None,
    min_lr: float = 0.0,
) -> LRScheduler | None:
    """The schedule a `ScheduleSpec` names (None for "none"); cosine needs total_steps."""
    if name not in SCHEDULES:
        raise ValueError(f"schedule: expected one of {', '.join(SCHEDULES)}, got {name!r}")
    if name == "none":
        return None
    if name == "step":
        return StepLR(optimizer, step_size, gamma)
    if name == "exponential":
        return ExponentialLR(optimizer, gamma)
    if total_steps is None:
        raise ValueError("cosine schedule total_steps: expected an int >= 1, got None")
    return CosineWarmupLR(optimizer, total_steps, warmup_steps, min_lr)
