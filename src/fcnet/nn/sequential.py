"""`Sequential`: layers in a row, forward through them and backward in reverse."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from typing import Any, Literal, overload

import numpy as np

from fcnet._fileio import FileError, atomic_write, load_npz, parse_json
from fcnet.i18n import N_
from fcnet.nn.activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from fcnet.nn.layers import Dropout, Linear
from fcnet.nn.module import Module
from fcnet.nn.parameter import Parameter, as_dtype

_FORMAT = "fcnet.nn.Sequential"
_ARCH_KEY = "__architecture__"
_LAYER_TYPES: dict[str, type[Module]] = {
    cls.__name__: cls for cls in (Linear, Dropout, ReLU, LeakyReLU, Sigmoid, Tanh, Identity)
}


class Sequential(Module):
    """A network as a list of layers: `model(x)` runs them in order, `model.backward(grad)`
    in reverse, each layer turning dL/d(its output) into dL/d(its input).

    Parameter names and layouts are torch.nn.Sequential's ("0.weight" (out, in), "0.bias"),
    so `state_dict()` loads into a torch model of the same shape after `torch.from_numpy`.
    Every Linear must have the same dtype (one model, one dtype).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> model = Sequential(Linear(784, 256, rng=rng), ReLU(), Linear(256, 10, rng=rng))
        >>> loss_fn = CrossEntropyLoss()
        >>> loss = loss_fn(model(x), y); model.zero_grad(); model.backward(loss_fn.backward())
    """

    def __init__(self, *layers: Module) -> None:
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise ValueError(f"Sequential layer {i}: expected a Module, got {layer!r}")
        self.layers: list[Module] = list(layers)
        linears = [(i, m) for i, m in enumerate(self.layers) if isinstance(m, Linear)]
        for (i, a), (j, b) in itertools.pairwise(linears):
            if a.out_features != b.in_features:
                raise ValueError(
                    f"Sequential layer {j}: expected in_features {a.out_features} "
                    f"(layer {i}'s out_features), got {b.in_features}"
                )
            if a.dtype != b.dtype:
                raise ValueError(
                    f"Sequential layer {j}: expected dtype {a.dtype.name} like layer {i} "
                    f"(one model, one dtype), got {b.dtype.name}"
                )
        self._first = linears[0][1] if linears else None
        self.training = True

    # --- the two passes ---------------------------------------------------------------

    @property
    def dtype(self) -> np.dtype:
        return self._first.dtype if self._first is not None else np.dtype(np.float32)

    @property
    def in_features(self) -> int | None:
        return self._first.in_features if self._first is not None else None

    def forward(self, x: np.ndarray, check: bool = True) -> np.ndarray:
        """The output for a batch x of shape (N, in_features); checks x first (`check=False`
        skips the check, for a caller that has made x a finite (N, in) array of the
        model's dtype already: a pass over the batch fewer per step)."""
        if check:
            x = self._check_input(x)
        for layer in self.layers:
            x = layer.forward(x)
        return x

    @overload
    def backward(self, grad: np.ndarray, need_input_grad: Literal[True] = ...) -> np.ndarray: ...
    @overload
    def backward(self, grad: np.ndarray, need_input_grad: bool) -> np.ndarray | None: ...
    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate dL/d(output) (N, out); add every parameter's gradient into `.grad`
        and return dL/dx (N, in). `need_input_grad=False` skips the first layer's input
        gradient (a third of that layer's work; a training step has no use for it) and
        returns None."""
        layers = self.layers
        first = next((i for i, m in enumerate(layers) if m.parameters()), None)
        for i in range(len(layers) - 1, -1, -1):
            layer = layers[i]
            if i == first and not need_input_grad and isinstance(layer, Linear):
                layer.backward(grad, need_input_grad=False)
                return None
            grad = layer.backward(grad)
        return grad

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        if not isinstance(x, np.ndarray):
            x = np.asarray(x)
        if x.dtype.kind not in "fiub":
            raise ValueError(f"Sequential input: expected a numeric array, got dtype {x.dtype}")
        n_in = self.in_features
        if x.ndim != 2 or (n_in is not None and x.shape[1] != n_in):
            raise ValueError(f"Sequential input: expected shape (N, {n_in}), got {x.shape}")
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        if not np.isfinite(x).all():
            raise ValueError("Sequential input: expected finite values, got NaN or inf")
        return x

    # --- parameters and modes ------------------------------------------------------------

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        for i, layer in enumerate(self.layers):
            for name, p in layer.named_parameters():
                yield f"{i}.{name}", p

    def train(self, mode: bool = True) -> Sequential:
        self.training = bool(mode)
        for layer in self.layers:
            layer.train(mode)
        return self

    def astype(self, dtype: Any) -> Sequential:
        """Convert every parameter to `dtype` ("float32" or "float64") in place; returns self.
        (An optimiser made before keeps buffers of the old dtype: make it after.)"""
        dt = as_dtype(dtype)
        for p in self.parameters():
            p.astype(dt)
        return self

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"

    # --- state, save and load ------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """{"0.weight": (out, in) array, "0.bias": (out,), ...}: copies, torch's names."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Copy arrays (numpy, or anything np.asarray takes) into the parameters, cast to
        the model's dtype. Keys and shapes must match exactly."""
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state]
        extra = [k for k in state if k not in params]
        if missing or extra:
            raise ValueError(
                f"load_state_dict: expected keys {sorted(params)}, got {sorted(state)} "
                f"(missing {missing}, unexpected {extra})"
            )
        arrays = {}
        for name, p in params.items():
            arr = np.asarray(state[name])
            if arr.shape != p.data.shape:
                raise ValueError(
                    f"load_state_dict {name}: expected shape {p.data.shape}, got {arr.shape}"
                )
            if arr.dtype.kind not in "fiu" or not np.isfinite(arr).all():
                raise ValueError(f"load_state_dict {name}: expected finite numbers")
            arrays[name] = arr
        for name, p in params.items():
            p.data[...] = arrays[name]

    def architecture(self) -> dict[str, Any]:
        """The layers and dtype as JSON-able data (what `save` writes beside the weights)."""
        return {
            "format": _FORMAT,
            "version": 1,
            "dtype": self.dtype.name,
            "layers": [layer.config() for layer in self.layers],
        }

    @classmethod
    def from_architecture(
        cls, arch: dict[str, Any], rng: np.random.Generator | int | None = None
    ) -> Sequential:
        """Build the (freshly initialised) network `architecture()` describes."""
        from fcnet.nn.init import as_rng

        rng = as_rng(rng)
        if not isinstance(arch, dict) or arch.get("format") != _FORMAT:
            got = arch.get("format") if isinstance(arch, dict) else type(arch).__name__
            raise ValueError(f"architecture: expected format {_FORMAT!r}, got {got!r}")
        dtype = as_dtype(arch.get("dtype", "float32"))
        layers: list[Module] = []
        for i, conf in enumerate(arch.get("layers", [])):
            conf = dict(conf)
            kind = conf.pop("type", None)
            if kind not in _LAYER_TYPES:
                raise ValueError(
                    f"architecture layer {i}: expected a type in {sorted(_LAYER_TYPES)}, "
                    f"got {kind!r}"
                )
            try:
                if kind == "Linear":
                    layers.append(Linear(**conf, rng=rng, dtype=dtype))
                elif kind == "Dropout":
                    layers.append(Dropout(**conf, rng=rng))
                else:
                    layers.append(_LAYER_TYPES[kind](**conf))
            except TypeError as exc:
                raise ValueError(f"architecture layer {i} ({kind}): {exc}") from exc
        return cls(*layers)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the weights and the architecture (JSON, key "__architecture__") to an .npz
        file, atomically. Read it back with `Sequential.load(path)`."""
        arrays = {name: p.data for name, p in self.named_parameters()}
        arrays[_ARCH_KEY] = np.array(json.dumps(self.architecture()))
        with atomic_write(path, "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]  # (numpy's stub: allow_pickle)

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], rng: np.random.Generator | int | None = None
    ) -> Sequential:
        """Read a network written by `save` (no pickle). `rng` seeds the Dropout layers."""
        try:  # bounded: a regular file, each array's size checked before it is read
            data = load_npz(path, N_("model file"), small={_ARCH_KEY: 1 << 20})
        except FileError as exc:
            raise ValueError(f"{path}: expected an .npz file written by fcnet, got {exc}") from None
        if _ARCH_KEY not in data:
            raise ValueError(
                f"{path}: expected an fcnet.nn model (.npz with key {_ARCH_KEY!r}), "
                f"got keys {sorted(data)}"
            )
        try:
            arch = parse_json(str(data.pop(_ARCH_KEY)), f"{path}: {_ARCH_KEY}")
        except FileError as exc:
            raise ValueError(f"{exc} (expected the architecture as JSON)") from None
        try:
            model = cls.from_architecture(arch, rng=rng)
            model.load_state_dict(data)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from exc
        return model
