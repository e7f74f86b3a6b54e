"""`ModelBase`: the checks and file handling every backend's Model shares.

A backend subclass supplies the framework parts (`_predict`, `_train_step`, `_evaluate`,
`_get_weights`, `_set_weights`, `_get_state`, `_set_state`, `_save_native`,
`_load_native`); the public methods here check their arguments first, so every backend
refuses bad input with the same message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from fcnet.backends._common import (
    NATIVE_SUFFIXES,
    accuracy,
    check_weights,
    check_x,
    check_xy,
    native_backend_of,
    read_npz,
    save_npz,
)
from fcnet.spec import NetSpec

_FRAMEWORK = {"numpy": "numpy", "torch": "PyTorch", "tensorflow": "TensorFlow"}


class ModelBase:
    """The shared half of every backend's Model (see `fcnet.backends.Model`)."""

    backend: str = ""
    spec: NetSpec
    steps: int

    def __init__(self, spec: NetSpec) -> None:
        if not isinstance(spec, NetSpec):
            raise ValueError(f"spec: expected a fcnet.spec.NetSpec, got {type(spec).__name__}")
        self.spec = spec
        self.steps = 0

    # ----- compute ----------------------------------------------------------------------

    def predict(self, x: Any) -> np.ndarray:
        """The network's output in eval mode, as a numpy array in spec.dtype."""
        return self._predict(check_x(self.spec, x))

    def train_step(self, x: Any, y: Any, sample_weight: Any = None) -> float:
        """One optimiser step on the batch (x, y); returns the batch loss before the step.

        sample_weight: (N,) weights of the batch's samples in the loss (see
        `fcnet.nn.losses`); the numpy backend only (None: every sample alike)."""
        xa, ya = check_xy(self.spec, x, y)
        return self._train_checked(xa, ya, sample_weight)

    def _train_checked(self, x: np.ndarray, y: np.ndarray, sample_weight: Any = None) -> float:
        """`train_step` on a batch already as `check_xy` gives it: `fcnet.train` checks its
        whole training set once per fit, not every batch again."""
        if sample_weight is None:
            loss = float(self._train_step(x, y))
        else:
            loss = float(self._train_step_weighted(x, y, sample_weight))
        self.steps += 1
        return loss

    def evaluate(self, x: Any, y: Any) -> dict[str, float]:
        """{"loss": ...} in eval mode, plus "accuracy" for the classification losses."""
        xa, ya = check_xy(self.spec, x, y)
        loss, out = self._evaluate(xa, ya)
        result = {"loss": float(loss)}
        acc = accuracy(self.spec, out, ya)
        if acc is not None:
            result["accuracy"] = acc
        return result

    # ----- weights and state ------------------------------------------------------------

    def get_weights(self) -> dict[str, np.ndarray]:
        """Canonical weights (PyTorch names and shapes), as numpy copies in spec.dtype."""
        return {k: np.array(v, dtype=self.spec.dtype) for k, v in self._get_weights().items()}

    def set_weights(self, d: dict[str, Any]) -> None:
        """Set every weight from canonical names and shapes (checked against the spec)."""
        self._set_weights(check_weights(self.spec, d))

    def get_state(self) -> dict[str, np.ndarray]:
        """Weights, optimiser state and step count: what an exact resume needs."""
        state = self.get_weights()
        state.update(self._get_state())
        state["steps"] = np.array(self.steps, dtype=np.int64)
        return state

    def set_state(self, d: dict[str, Any]) -> None:
        """Restore what `get_state` gave (from the same backend and spec)."""
        if "steps" not in d:
            raise ValueError("state: missing 'steps' (expected a dict from get_state())")
        weights = {k: v for k, v in d.items() if k in self.spec.weight_shapes()}
        self.set_weights(check_weights(self.spec, weights, source="state"))
        self.steps = int(np.asarray(d["steps"]))
        self._set_state({k: np.asarray(v) for k, v in d.items()})

    # ----- files ------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """`.npz`: portable (spec + canonical weights); else this backend's native file."""
        path = Path(path)
        native = native_backend_of(path)
        if path.suffix.lower() == ".npz":
            save_npz(path, self.spec, self.get_weights(), self.backend)
        elif native == self.backend:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._save_native(path)
        else:
            raise ValueError(f"{path}: {self._allowed_files()}, got {path.name!r}")

    def load_weights(self, path: str | os.PathLike[str]) -> None:
        """Read weights from a portable `.npz` or from this backend's native file."""
        path = Path(path)
        native = native_backend_of(path)
        if path.suffix.lower() == ".npz":
            _, weights, _ = read_npz(path)
            self._set_weights(check_weights(self.spec, weights, source=str(path)))
        elif native == self.backend:
            if not path.is_file():
                raise FileNotFoundError(2, "no such weights file", str(path))
            self._load_native(path)
        elif native is not None:
            raise ValueError(
                f"{path}: this is {_FRAMEWORK[native]}'s native format; the {self.backend} "
                f"backend cannot read it (save it as .npz, which every backend reads)"
            )
        else:
            raise ValueError(f"{path}: {self._allowed_files()}, got {path.name!r}")

    def _allowed_files(self) -> str:
        own = NATIVE_SUFFIXES.get(self.backend, ())
        names = " or ".join([".npz", *own])
        return f"the {self.backend} backend reads and writes {names}"

    def __repr__(self) -> str:
        sizes = [self.spec.input_size, *(h.width for h in self.spec.hidden), self.spec.output_size]
        return (
            f"<{type(self).__name__} {'-'.join(map(str, sizes))} loss={self.spec.loss} "
            f"optimizer={self.spec.optimizer.name} steps={self.steps}>"
        )

    # ----- what a backend supplies ------------------------------------------------------

    def _predict(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        raise NotImplementedError

    def _train_step_weighted(self, x: np.ndarray, y: np.ndarray, sample_weight: Any) -> float:
        """A step on the loss with per-sample weights (only the numpy backend has one)."""
        raise ValueError(
            f"sample_weight: only backend 'numpy' weighs samples, got backend {self.backend!r}"
        )

    def _evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        raise NotImplementedError

    def _get_weights(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _set_weights(self, d: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def _get_state(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _set_state(self, d: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def _save_native(self, path: Path) -> None:
        raise ValueError(f"{path}: the {self.backend} backend has no native format; use .npz")

    def _load_native(self, path: Path) -> None:
        raise ValueError(f"{path}: the {self.backend} backend has no native format; use .npz")
