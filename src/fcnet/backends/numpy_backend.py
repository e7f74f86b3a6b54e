"""The numpy backend: the spec's network on fcnet.nn, the hand-derived engine.

`fcnet.nn.Sequential` in the canonical layer order, an `fcnet.nn` loss and optimiser
(torch.optim's formulas), an `fcnet.nn` schedule stepped after each step, `clip_grad_norm`.
Its state (weights, optimiser buffers, step count, dropout generator) resumes bit-exactly.
Each step runs through the speed layer (`fcnet._speed`: the compiled step, the same bits
as the reference lines in `_step`, which FCNET_JIT=0 runs) with 1 BLAS thread or all of
them, whichever has been faster lately (`fcnet._speed.BlasThreads`); the input is checked
once, by `ModelBase`, not again by the network.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from fcnet import _speed, nn
from fcnet._fileio import parse_json
from fcnet.backends._base import ModelBase
from fcnet.backends._common import check_device, initial_weights
from fcnet.nn.optim import make_schedule
from fcnet.spec import NetSpec


def build_sequential(spec: NetSpec, rng: np.random.Generator) -> nn.Sequential:
    """The spec's network as an `fcnet.nn.Sequential` (indices in the canonical order)."""
    layers: list[nn.Module] = []
    for kind, arg in spec.layers():
        if kind == "linear":
            n_in, n_out, bias = arg
            layers.append(nn.Linear(n_in, n_out, bias, spec.init, rng=rng, dtype=spec.dtype))
        elif kind == "dropout":
            layers.append(nn.Dropout(arg, rng=rng))
        else:
            layers.append(nn.activation(kind))
    return nn.Sequential(*layers)


def build_optimizer(spec: NetSpec, params: list[nn.Parameter]) -> nn.Optimizer:
    o = spec.optimizer
    kw: dict[str, Any]
    if o.name == "sgd":
        kw = dict(momentum=o.momentum, nesterov=o.nesterov)
    elif o.name == "rmsprop":
        kw = dict(alpha=o.alpha, eps=o.eps, momentum=o.momentum)
    else:
        kw = dict(betas=tuple(o.betas), eps=o.eps)
    return nn.optimizer(o.name, params, lr=o.lr, weight_decay=o.weight_decay, **kw)


class Model(ModelBase):
    """The numpy backend's model: `self.net` is the `fcnet.nn.Sequential`."""

    backend = "numpy"

    def __init__(self, spec: NetSpec, device: str = "cpu") -> None:
        super().__init__(spec)
        if check_device(device) not in ("cpu", "auto"):
            raise ValueError(
                f"device: the numpy backend runs on the CPU only, got {device!r} "
                "(use the torch backend for a GPU)"
            )
        self.device = "cpu"
        # one generator for the layers; dropout masks draw from it after initialisation
        self.rng = np.random.default_rng(spec.seed)
        self.net = build_sequential(spec, self.rng)
        self.net.load_state_dict(initial_weights(spec))
        self.loss_fn = nn.loss(spec.loss, reduction=spec.reduction)
        self.optimizer = build_optimizer(spec, self.net.parameters())
        s = spec.optimizer.schedule
        self.scheduler = make_schedule(
            s.name,
            self.optimizer,
            step_size=s.step_size,
            gamma=s.gamma,
            warmup_steps=s.warmup_steps,
            total_steps=s.total_steps,
            min_lr=s.min_lr,
        )  # None for "none"; stepped once per optimiser step, as in torch

    _blas: _speed.BlasThreads | None = None
    _fast: _speed.FastStep | bool | None = False  # False: not looked up yet

    @property
    def blas(self) -> _speed.BlasThreads:
        """The BLAS thread count per step: 1 or all, whichever steps faster lately."""
        if self._blas is None:
            self._blas = _speed.BlasThreads()
        return self._blas

    def __getstate__(self) -> dict[str, Any]:
        """Without the speed layer's choices (the thread chooser holds ctypes handles, the
        compiled step modules): a copy makes its own on its first step."""
        state = dict(self.__dict__)
        state.pop("_blas", None)
        state.pop("_fast", None)
        return state

    def _predict(self, x: np.ndarray) -> np.ndarray:
        self.net.eval()
        out = self.blas.call(self.net.forward, x, False)  # x checked by ModelBase
        return np.array(out, dtype=self.spec.dtype, copy=True)

    def _train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        return self.blas.run(self._step, x, y)

    def _train_step_weighted(self, x: np.ndarray, y: np.ndarray, sample_weight: Any) -> float:
        return self.blas.run(self._step, x, y, sample_weight)

    def _step(self, x: np.ndarray, y: np.ndarray, sample_weight: Any = None) -> float:
        clip_norm = self.spec.optimizer.clip_norm
        self.net.train()
        if self._fast is False:
            self._fast = _speed.fast_step(self.net, self.optimizer)
        fast = self._fast if isinstance(self._fast, _speed.FastStep) else None
        if fast is not None:  # the lines below, compiled: the same bits
            loss = self.loss_fn(fast.forward(x), y, sample_weight)
            fast.backward(self.loss_fn.backward())
            loss += self._penalty(x, sample_weight)
            fast.update(clip_norm)
        else:
            loss = self.loss_fn(self.net.forward(x, check=False), y, sample_weight)  # x checked
            self.net.zero_grad()
            self.net.backward(self.loss_fn.backward(), need_input_grad=False)
            loss += self._penalty(x, sample_weight)
            if clip_norm is not None:
                nn.clip_grad_norm(self.net.parameters(), clip_norm)
            self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        return loss

    def _penalty(self, x: np.ndarray, sample_weight: Any) -> float:
        """A term added to the loss after backward, its gradient added to the parameters'
        (none here; `fcnet.sklearn` adds MLP's L2 penalty by overriding this)."""
        return 0.0

    def _evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        self.net.eval()
        out = self.blas.call(self.net.forward, x, False)  # x checked by ModelBase
        return self.loss_fn(out, y), out

    def _get_weights(self) -> dict[str, np.ndarray]:
        return self.net.state_dict()

    def _set_weights(self, d: dict[str, np.ndarray]) -> None:
        self.net.load_state_dict(d)

    def _get_state(self) -> dict[str, np.ndarray]:
        out = {f"optim.{k}": v for k, v in self.optimizer.state_dict().items()}
        out["rng"] = np.array(json.dumps(self.rng.bit_generator.state))
        return out

    def _set_state(self, d: dict[str, np.ndarray]) -> None:
        opt = {k[len("optim.") :]: v for k, v in d.items() if k.startswith("optim.")}
        if opt:
            self.optimizer.load_state_dict(opt)
        if self.scheduler is not None:
            self.scheduler.load_state_dict(
                {"t": np.array(self.steps), "base_lr": np.array(self.spec.optimizer.lr)}
            )
        if "rng" in d:
            try:
                self.rng.bit_generator.state = parse_json(str(d["rng"]), "state: 'rng'")
            except (ValueError, TypeError, KeyError, OverflowError) as exc:
                raise ValueError(f"state: 'rng' is not a numpy generator state ({exc})") from None
