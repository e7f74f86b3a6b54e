"""Losses: `loss = loss_fn(pred, target)` (a float), then `loss_fn.backward()` = dL/dpred.

Two of them fuse the output non-linearity into the loss, because the pair's gradient is
simple and numerically safe only together:

* `CrossEntropyLoss` takes logits z: softmax + cross-entropy, dL/dz = (softmax(z) - onehot(y)) / N.
* `BCEWithLogitsLoss` takes logits z: sigmoid + binary cross-entropy, dL/dz = (sigmoid(z) - y) / N.

`BCELoss` takes probabilities (after a `Sigmoid` layer), as in the course text, and is
the unfused, less stable pair: torch's clamps (log at -100, p(1 - p) at 1e-12) included.

Sample weights, as scikit-learn's MLP takes them: `loss_fn(pred, target, sample_weight=w)`
weighs sample i's loss l_i by w_i, L = sum_i w_i l_i / sum_i w_i for "mean" (sum_i w_i l_i
for "sum"), and its gradient is the unweighted one times w_i / sum(w) (w_i): one multiply.

`softmax` is the one softmax of fcnet; `CrossEntropyLoss` uses the same shifted
exponentials (`_shifted_exp`) for its loss and its gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fcnet.nn.activations import sigmoid

REDUCTIONS = ("mean", "sum")


class Loss:
    """Base: `__call__(pred, target) -> float` keeps what `backward()` needs."""

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__} reduction: expected 'mean' or 'sum', got {reduction!r}"
            )
        self.reduction = reduction
        self._grad: np.ndarray | None = None

    def __call__(
        self, pred: np.ndarray, target: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> float:
        return self.forward(pred, target, sample_weight)

    def forward(
        self, pred: np.ndarray, target: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        """dL/dpred, of pred's shape and dtype."""
        if self._grad is None:
            raise RuntimeError(f"{type(self).__name__}: backward called before the loss")
        return self._grad

    def config(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "reduction": self.reduction}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"

    def _scale(self, count: int) -> float:
        """1/count for "mean", 1 for "sum"."""
        return 1.0 / count if self.reduction == "mean" else 1.0

    def _weighted(
        self, per_sample: np.ndarray, grad: np.ndarray, sample_weight: Any, outputs: int
    ) -> float:
        """The weighted loss from each sample's loss summed over its `outputs` values
        (N,), and the unweighted gradient (N, k) multiplied in place by each sample's share:
        w_i / (sum(w) * outputs) for "mean", w_i for "sum"."""
        n = per_sample.shape[0]
        w = _sample_weight(type(self).__name__, sample_weight, n, self.reduction == "mean")
        share = w / (w.sum() * outputs) if self.reduction == "mean" else w  # (N,) float64
        grad *= share.astype(grad.dtype)[:, None]  # dL/dz_i = share_i * dl_i/dz_i
        return float(per_sample.astype(np.float64) @ share)


def _sample_weight(name: str, sample_weight: Any, n: int, need_total: bool) -> np.ndarray:
    """`sample_weight` as n finite non-negative float64 numbers (summing above 0 for "mean")."""
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "fiub" or w.shape != (n,):
        raise ValueError(
            f"{name}: expected sample_weight of {n} numbers, got {w.dtype} of shape {w.shape}"
        )
    w = w.astype(np.float64, copy=False)
    if not (np.isfinite(w).all() and (w >= 0).all()):
        raise ValueError(f"{name}: sample_weight must be finite and >= 0")
    if need_total and not w.sum() > 0:
        raise ValueError(f"{name}: the batch's sample weights sum to zero")
    return w


def _shifted_exp(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z - rowmax, exp(z - rowmax), its row sums) of logits z (N, C): each row's largest
    exponential is 1, so no logit overflows; softmax = e / s, log softmax = shifted - log s."""
    shifted = z - z.max(axis=1, keepdims=True)  # (N, C), each row's max is 0
    e = np.exp(shifted)  # (N, C)
    return shifted, e, e.sum(axis=1)  # s: (N,)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities softmax(z)_j = exp(z_j) / sum_k exp(z_k) of logits (N, C), row
    by row, computed stably (after subtracting each row's max), in the logits' float dtype
    (float64 for integers)."""
    z = np.asarray(logits)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    _, e, s = _shifted_exp(z)
    return np.divide(e, s[:, None], out=e)  # (N, C)


def _check_pred(name: str, pred: np.ndarray) -> np.ndarray:
    if not isinstance(pred, np.ndarray) or pred.dtype.kind != "f" or pred.ndim != 2:
        got = f"{pred.dtype} array of shape {pred.shape}" if isinstance(pred, np.ndarray) else pred
        raise ValueError(f"{name}: expected predictions as a float array (N, out), got {got}")
    if pred.shape[0] == 0:
        raise ValueError(
            f"{name}: expected at least one sample, got predictions of shape {pred.shape}"
        )
    return pred


def _float_target(name: str, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """target as pred's dtype and shape ((N,) accepted for pred (N, 1)); finite."""
    target = np.asarray(target)
    if target.dtype.kind not in "fiub":
        raise ValueError(f"{name}: expected numeric targets, got dtype {target.dtype}")
    if target.ndim == 1 and pred.shape[1] == 1:
        target = target[:, None]
    if target.shape[0] != pred.shape[0]:
        raise ValueError(
            f"{name}: batch sizes disagree: predictions have {pred.shape[0]} rows, "
            f"targets {target.shape[0]}"
        )
    if target.shape != pred.shape:
        raise ValueError(f"{name}: expected targets of shape {pred.shape}, got {target.shape}")
    target = target.astype(pred.dtype, copy=False)
    if not np.isfinite(target).all():
        raise ValueError(f"{name}: targets contain NaN or inf")
    return target


class MSELoss(Loss):
    """Squared error: L = sum_ij (pred_ij - y_ij)^2, divided by N * out for "mean".

    dL/dpred = 2 (pred - y) (/ (N * out)). The course text uses reduction="sum".
    """

    def forward(
        self, pred: np.ndarray, target: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> float:
        pred = _check_pred("MSELoss", pred)
        y = _float_target("MSELoss", pred, target)
        diff = pred - y  # (N, out)
        if sample_weight is not None:
            per = np.einsum("ij,ij->i", diff, diff)  # (N,) sum_j (pred_ij - y_ij)^2
            diff *= 2  # dl_i/dpred_i = 2 (pred_i - y_i)
            loss = self._weighted(per, diff, sample_weight, diff.shape[1])
            self._grad = diff
            return loss
        scale = self._scale(diff.size)
        loss = float(np.vdot(diff, diff)) * scale
        diff *= 2 * scale  # dL/dpred = 2 (pred - y) * scale, in diff's buffer
        self._grad = diff  # (N, out)
        return loss


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy on logits z (N, C) and integer labels y (N,) in [0, C).

    L = -1/N sum_i log softmax(z_i)[y_i]  (for "mean"), computed as logsumexp(z_i) - z_i[y_i]
    after subtracting each row's max, so large logits neither overflow nor lose the answer.
    The softmax and the loss are fused (this class *is* the pair):
    dL/dz = (softmax(z) - onehot(y)) / N.
    """

    def forward(
        self, pred: np.ndarray, target: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> float:
        z = _check_pred("CrossEntropyLoss", pred)  # (N, C)
        y = np.asarray(target)
        N, C = z.shape
        if y.dtype.kind not in "iu":
            raise ValueError(
                f"CrossEntropyLoss: expected integer class labels, got dtype {y.dtype}"
            )
        if y.ndim != 1 or y.shape[0] != N:
            raise ValueError(
                f"CrossEntropyLoss: expected labels of shape ({N},) to match the logits "
                f"{z.shape}, got {y.shape}"
            )
        if N and (y.min() < 0 or y.max() >= C):
            bad = y[(y < 0) | (y >= C)][0]
            raise ValueError(f"CrossEntropyLoss: expected labels in [0, {C - 1}], got {bad}")
        rows = np.arange(N)
        shifted, e, s = _shifted_exp(z)  # (N, C), (N, C), (N,)
        p = np.divide(e, s[:, None], out=e)  # (N, C) softmax(z)
        p[rows, y] -= 1  # (N, C) softmax(z) - onehot(y): the fused gradient of the pair
        if sample_weight is not None:
            per = np.log(s) - shifted[rows, y]  # (N,) -log softmax(z_i)[y_i]
            loss = self._weighted(per, p, sample_weight, 1)
            self._grad = p
            return loss
        # -log softmax(z)[y] = log sum_j exp(z_j - m) - (z_y - m)
        loss = float(np.log(s).sum() - shifted[rows, y].sum()) * self._scale(N)
        p *= self._scale(N)  # (softmax(z) - onehot(y)) / N
        self._grad = p
        return loss


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits z with targets y in [0, 1] (same shape as z).

    L = mean(max(z, 0) - z y + log(1 + exp(-|z|))): stable for any z. The sigmoid and the
    loss are fused (this class *is* the pair): dL/dz = (sigmoid(z) - y) / (N * out).
    """

    def forward(
        self, pred: np.ndarray, target: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> float:
        z = _check_pred("BCEWithLogitsLoss", pred)  # (N, out)
        y = _float_target("BCEWithLogitsLoss", z, target)  # (N, out)
        scale = self._scale(z.size)
        losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))  # (N, out)
        if sample_weight is not None:
            grad = sigmoid(z) - y  # (N, out) dl_i/dz_i before the weights
            loss = self._weighted(losses.sum(axis=1), grad, sample_weight, z.shape[1])
            self._grad = grad
            return loss
        loss = float(losses.sum()) * scale
        # the fused gradient of the pair sigmoid + binary cross-entropy
        grad = sigmoid(z) - y  # (N, out)
        grad *= scale
        self._grad = grad
        return loss


class BCELoss(Loss):
    """Binary cross-entropy on probabilities p in [0, 1] (after a `Sigmoid` layer).

    L = -mean(y log p + (1 - y) log(1 - p)), each log clamped at -100 as torch does, so
    p = 0 or 1 gives a large finite loss, not inf. dL/dp = (p - y) / max(p (1 - p), 1e-12),
    divided by N * out for "mean".
    """

    _EPS = float(np.float32(1e-12))  # torch's floor on p (1 - p): 1e-12 as a C float

    def forward(
        self, pred: np.ndarray, target: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> float:
        p = _check_pred("BCELoss", pred)  # (N, out)
        y = _float_target("BCELoss", p, target)  # (N, out)
        if p.size and not (p.min() >= 0 and p.max() <= 1):
            raise ValueError(
                f"BCELoss: expected probabilities in [0, 1] (add a Sigmoid layer or use "
                f"BCEWithLogitsLoss), got values in [{p.min()}, {p.max()}]"
            )
        scale = self._scale(p.size)
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100)  # (N, out)
            log_1mp = np.maximum(np.log1p(-p), -100)  # (N, out)
        losses = -(y * log_p + (1 - y) * log_1mp)  # (N, out)
        # dL/dp = (p - y) / (p (1 - p)), the denominator floored as in torch
        grad = (p - y) / np.maximum(p * (1 - p), p.dtype.type(self._EPS))  # (N, out)
        if sample_weight is not None:
            loss = self._weighted(losses.sum(axis=1), grad, sample_weight, p.shape[1])
            self._grad = grad
            return loss
        loss = float(losses.sum()) * scale
        grad *= scale
        self._grad = grad
        return loss


LOSSES: dict[str, type[Loss]] = {
    "mse": MSELoss,
    "cross_entropy": CrossEntropyLoss,
    "bce_with_logits": BCEWithLogitsLoss,
    "bce": BCELoss,
}


def loss(name: str, reduction: str = "mean") -> Loss:
    """A loss from its spec name: "mse", "cross_entropy", "bce_with_logits" or "bce"."""
    if name not in LOSSES:
        raise ValueError(f"loss: expected one of {', '.join(LOSSES)}, got {name!r}")
    return LOSSES[name](reduction=reduction)


__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Loss",
    "MSELoss",
    "loss",
    "softmax",
]
