"""The PyTorch backend, written as PyTorch users write it.

An `nn.Sequential` in the canonical layer order (so `state_dict()` keys are the canonical
weight names as they are), a `torch.optim` optimiser, a `torch.optim.lr_scheduler`
stepped once per optimiser step, autograd, `clip_grad_norm_`. Native file: `.pt`
written with `torch.save(state_dict)` and read with `torch.load(..., weights_only=True)`.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fcnet._fileio import atomic_write
from fcnet.backends._base import ModelBase
from fcnet.backends._common import (
    check_device,
    check_weights,
    check_xy,
    describe_file,
    initial_weights,
    sniff,
)
from fcnet.spec import NetSpec

_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "identity": nn.Identity,
}
# optimiser slots kept per parameter, as torch names them ("step" is restored from steps)
_SLOTS = {
    "sgd": ("momentum_buffer",),
    "rmsprop": ("square_avg", "momentum_buffer"),
    "adam": ("exp_avg", "exp_avg_sq"),
    "adamw": ("exp_avg", "exp_avg_sq"),
}


def resolve_device(device: str) -> torch.device:
    """torch.device for "cpu" / "cuda" / "cuda:N" / "auto" (the GPU when torch sees one,
    else the CPU); ValueError when no such GPU is visible."""
    check_device(device)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device: {device!r} asked for, but torch sees no CUDA GPU "
                f"(torch {torch.__version__}, built for CUDA: {torch.version.cuda or 'no'}); "
                "use device='cpu'"
            )
        index = int(device.split(":")[1]) if ":" in device else 0
        if index >= torch.cuda.device_count():
            raise ValueError(
                f"device: {device!r} asked for, but only {torch.cuda.device_count()} GPU(s) seen"
            )
        return torch.device("cuda", index)
    return torch.device(device)


def build_module(spec: NetSpec) -> nn.Sequential:
    """The spec's network as an `nn.Sequential`, indices in the canonical order."""
    layers: list[nn.Module] = []
    for kind, arg in spec.layers():
        if kind == "linear":
            n_in, n_out, bias = arg
            layers.append(nn.Linear(n_in, n_out, bias=bias))
        elif kind == "dropout":
            layers.append(nn.Dropout(arg))
        elif kind in _ACTIVATIONS:
            layers.append(_ACTIVATIONS[kind]())
        else:  # pragma: no cover - the spec allows only the names above
            raise ValueError(f"torch backend: no layer for {kind!r}")
    return nn.Sequential(*layers)


def build_loss(spec: NetSpec, reduction: str | None = None) -> nn.Module:
    """The spec's loss; `reduction` ("sum") replaces the spec's (data-parallel shards sum)."""
    if spec.loss == "mse":
        return nn.MSELoss(reduction=reduction or spec.reduction)
    if spec.loss == "cross_entropy":
        return nn.CrossEntropyLoss(reduction=reduction or "mean")
    if spec.loss == "bce_with_logits":
        return nn.BCEWithLogitsLoss(reduction=reduction or "mean")
    return nn.BCELoss(reduction=reduction or spec.reduction)


def build_optimizer(spec: NetSpec, params) -> torch.optim.Optimizer:
    o = spec.optimizer
    if o.name == "sgd":
        return torch.optim.SGD(
            params, lr=o.lr, momentum=o.momentum, nesterov=o.nesterov, weight_decay=o.weight_decay
        )
    if o.name == "rmsprop":
        return torch.optim.RMSprop(
            params, lr=o.lr, alpha=o.alpha, eps=o.eps, momentum=o.momentum,
            weight_decay=o.weight_decay,
        )  # fmt: skip
    cls = torch.optim.Adam if o.name == "adam" else torch.optim.AdamW
    betas = (o.betas[0], o.betas[1])
    return cls(params, lr=o.lr, betas=betas, eps=o.eps, weight_decay=o.weight_decay)


class SpecLR(torch.optim.lr_scheduler.LRScheduler):
    """The spec's schedule as a torch scheduler: lr = `ScheduleSpec.lr_at(lr, t)` at step t,
    from the one formula (`fcnet.schedules`), not torch's chained multiplications."""

    def __init__(self, opt: torch.optim.Optimizer, spec: NetSpec) -> None:
        self.lr = spec.optimizer.lr
        self.schedule = spec.optimizer.schedule
        super().__init__(opt)

    def get_lr(self) -> list[float | torch.Tensor]:
        return [self.schedule.lr_at(self.lr, self.last_epoch) for _ in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float | torch.Tensor]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def go_to(self, t: int) -> None:
        """Continue from step t (a resumed run): the optimiser's lr becomes step t's."""
        self.last_epoch = t
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr


def build_scheduler(spec: NetSpec, opt: torch.optim.Optimizer) -> SpecLR | None:
    """A scheduler stepped after every optimiser step (so it counts steps, not epochs)."""
    if spec.optimizer.schedule.name == "none":
        return None
    return SpecLR(opt, spec)


class Model(ModelBase):
    """The torch backend's model: `self.module` is the `nn.Sequential`."""

    backend = "torch"

    def __init__(self, spec: NetSpec, device: str = "cpu") -> None:
        super().__init__(spec)
        self.device = resolve_device(device)
        self.dtype = _DTYPES[spec.dtype]
        torch.manual_seed(spec.seed)  # dropout masks
        self.module = build_module(spec).to(device=self.device, dtype=self.dtype)
        self.loss_fn = build_loss(spec)
        self._set_weights(initial_weights(spec))
        self.optimizer = build_optimizer(spec, self.module.parameters())
        self.scheduler = build_scheduler(spec, self.optimizer)

    def _tensor(self, a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(a).to(self.device)

    def _predict(self, x: np.ndarray) -> np.ndarray:
        self.module.eval()
        with torch.no_grad():
            return self.module(self._tensor(x)).cpu().numpy()

    def _train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        return self._step_tensors(self._tensor(x), self._tensor(y))

    def _step_tensors(self, x: torch.Tensor, y: torch.Tensor) -> float:
        self.module.train()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.module(x), y)
        self._apply_gradients(loss)
        return loss.item()

    def _apply_gradients(self, loss: torch.Tensor) -> None:
        """Backward from `loss`, clip, one optimiser step, one scheduler step."""
        loss.backward()
        if self.spec.optimizer.clip_norm is not None:
            nn.utils.clip_grad_norm_(self.module.parameters(), self.spec.optimizer.clip_norm)
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()

    def resident_steps(self, x, y) -> Callable[[np.ndarray, int, int], float] | None:
        """Keep the whole training set on the GPU and train on batches drawn there.

        Returns step(order, lo, hi): one optimiser step on rows order[lo:hi] (as
        `train_step` on x[order[lo:hi]], y[order[lo:hi]], with the batch gathered on the
        device: no host-to-device copy per batch; `order` is copied once per new array).
        None on the CPU (nothing to save) or when the set would take more than half the
        GPU's free memory. `fcnet.train` uses it when the model offers it.
        """
        if self.device.type != "cuda":
            return None
        xa, ya = check_xy(self.spec, x, y)
        free, _ = torch.cuda.mem_get_info(self.device)
        if xa.nbytes + ya.nbytes > free // 2:
            return None
        xd, yd = self._tensor(xa), self._tensor(ya)
        cache: dict[str, object] = {"order": None}

        def step(order: np.ndarray, lo: int, hi: int) -> float:
            if cache["order"] is not order:
                cache["order"] = order
                cache["on_device"] = self._tensor(np.asarray(order, dtype=np.int64))
            idx = cache["on_device"][lo:hi]  # type: ignore[index]
            loss = self._step_tensors(xd[idx], yd[idx])
            self.steps += 1
            return loss

        return step

    def _evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        self.module.eval()
        with torch.no_grad():
            out = self.module(self._tensor(x))
            loss = self.loss_fn(out, self._tensor(y)).item()
        return loss, out.cpu().numpy()

    # ----- weights and state ------------------------------------------------------------

    def _get_weights(self) -> dict[str, np.ndarray]:
        return {k: v.detach().cpu().numpy() for k, v in self.module.state_dict().items()}

    def _set_weights(self, d: dict[str, np.ndarray]) -> None:
        self.module.load_state_dict({k: torch.from_numpy(v) for k, v in d.items()})

    def _get_state(self) -> dict[str, np.ndarray]:
        out = {"lr": np.array(self.optimizer.param_groups[0]["lr"], dtype=np.float64)}
        out["rng"] = torch.get_rng_state().numpy().copy()  # dropout masks (CPU generator)
        for name, p in self.module.named_parameters():
            for slot, value in self.optimizer.state.get(p, {}).items():
                if slot != "step" and isinstance(value, torch.Tensor):
                    out[f"optim.{name}.{slot}"] = value.detach().cpu().numpy().copy()
        return out

    def _set_state(self, d: dict[str, np.ndarray]) -> None:
        self.optimizer.state.clear()
        for name, p in self.module.named_parameters():
            slots = {
                slot: torch.from_numpy(np.array(d[key])).to(self.device)
                for slot in _SLOTS[self.spec.optimizer.name]
                if (key := f"optim.{name}.{slot}") in d
            }
            for slot, value in slots.items():
                if value.shape != p.shape:
                    raise ValueError(
                        f"state: 'optim.{name}.{slot}' expected shape {tuple(p.shape)}, "
                        f"got {tuple(value.shape)}"
                    )
            if slots or self.steps:
                if self.spec.optimizer.name != "sgd":
                    slots["step"] = torch.tensor(float(self.steps))
                self.optimizer.state[p] = slots
        if "rng" in d:
            torch.set_rng_state(torch.from_numpy(np.array(d["rng"], dtype=np.uint8)))
        if "lr" in d:
            for group in self.optimizer.param_groups:
                group["lr"] = float(d["lr"])
        if self.scheduler is not None:
            self.scheduler.go_to(self.steps)

    # ----- native file ------------------------------------------------------------------

    def _save_native(self, path: Path) -> None:
        state = {k: v.detach().cpu() for k, v in self.module.state_dict().items()}
        with atomic_write(path, "wb") as fh:
            torch.save(state, fh)

    def _load_native(self, path: Path) -> None:
        kind = sniff(path)
        if kind not in ("torch", "pickle"):
            raise ValueError(
                f"{path}: expected a PyTorch .pt checkpoint, got {describe_file(path)}"
            )
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except (RuntimeError, pickle.UnpicklingError, EOFError, OSError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(
                f"{path}: not a loadable weights-only PyTorch file ({first})"
            ) from None
        if not isinstance(state, dict) or not all(
            isinstance(v, torch.Tensor) for v in state.values()
        ):
            raise ValueError(f"{path}: expected a state_dict (names -> tensors)")
        arrays = {k: v.numpy() for k, v in state.items()}
        self._set_weights(check_weights(self.spec, arrays, source=str(path)))
