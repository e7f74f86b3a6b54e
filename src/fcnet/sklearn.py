"""fcnet as scikit-learn estimators: `FCNetClassifier` and `FCNetRegressor`.

Drop-ins for `MLPClassifier` / `MLPRegressor` on fcnet's own engine: the network is a
`fcnet.spec.NetSpec` built by `fcnet.backends.build` (numpy by default, torch or tensorflow
on request), so it works in `Pipeline`, `GridSearchCV`, `cross_val_score` and `clone`,
and passes scikit-learn's `check_estimator`.

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from fcnet.sklearn import FCNetClassifier
    >>> clf = make_pipeline(StandardScaler(), FCNetClassifier(hidden_layer_sizes=(64,)))
    >>> clf.fit(X, y).score(X_test, y_test)      # doctest: +SKIP

scikit-learn's estimator checks all pass with dtype="float64". In float32, the default
(a deliberate difference: fcnet's engine computes in float32 and answers in it), two
checks that assume float64 fail and are listed as expected failures in
tests/sklearn_api: check_sample_weight_equivalence_on_dense_data (weighted and repeated
fits agree to float32 rounding, the check asks for rtol 1e-7) and
check_regressor_multioutput (it asserts float64 predictions).

Parameters keep MLP's names and defaults where the concept is the same; what fcnet adds
is `solver="adamw"` / `"rmsprop"`, `dropout`, `backend`, `device` and `dtype`. Early
stopping keeps the weights of the best validation epoch (`best_epoch_`).

Sample weights: fcnet's losses average uniformly, so the estimator's numpy path takes its
own weighted loss (`weighted_loss`: L = sum_i w_i l_i / sum_i w_i over each mini-batch,
its gradient dL/dz = w_i / sum(w) * dl_i/dz) and steps fcnet's engine with it.

Saving: `est.save("model.npz")` / `FCNetClassifier.load("model.npz")` write and read
fcnet's portable `.npz` (the spec, the weights, and the estimator's fitted attributes as
JSON; no pickle), which `fcnet.backends.load` also reads. Pickling works too, as
scikit-learn users expect, but unpickling runs code from the file: load only pickles you
made yourself; the `.npz` is the safe format to share.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

try:
    import sklearn as _sklearn  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - scikit-learn is a dev extra
    raise ModuleNotFoundError(
        "fcnet.sklearn needs scikit-learn: pip install scikit-learn==1.9.1 "
        "(or pip install 'fcnet[dev]')",
        name=exc.name,
    ) from None
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    unique_labels,
)
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from fcnet._fileio import atomic_write
from fcnet.backends import BACKENDS, build
from fcnet.backends._common import FORMAT, read_npz
from fcnet.backends.numpy_backend import Model as _NumpyBackendModel
from fcnet.nn import clip_grad_norm
from fcnet.nn.activations import sigmoid
from fcnet.spec import OPTIMIZERS, LayerSpec, NetSpec, OptimizerSpec

# scikit-learn's activation names, and fcnet's, to the spec's names
ACTIVATIONS = {
    "relu": "relu",
    "leaky_relu": "leaky_relu",
    "logistic": "sigmoid",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "identity": "identity",
}
_META_KEY = "__sklearn__"
_META_VERSION = 1


# ----- the weighted loss ----------------------------------------------------------------------


def weighted_loss(
    loss: str, z: np.ndarray, y: np.ndarray, w: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """(L, dL/dz) of a batch whose samples weigh `w` (None: all 1), on the network output z.

    L = sum_i w_i l_i / sum_i w_i, with l_i the sample's loss as fcnet's losses define it
    (so w = None gives exactly `fcnet.nn.loss(loss)`'s mean):

    * "cross_entropy", z (N, C) logits, y (N,) int labels: l_i = logsumexp(z_i) - z_i[y_i],
      dl_i/dz_i = softmax(z_i) - onehot(y_i);
    * "bce_with_logits", z (N, k) logits, y (N, k) in [0, 1]:
      l_i = mean_j max(z, 0) - z y + log(1 + exp(-|z|)), dl_i/dz_i = (sigmoid(z_i) - y_i) / k;
    * "mse", z and y (N, k): l_i = sum_j (z_ij - y_ij)^2 / k, dl_i/dz_i = 2 (z_i - y_i) / k.

    dL/dz_i = w_i / sum(w) * dl_i/dz_i, in z's dtype; L as a Python float.
    """
    n, k = z.shape
    weights = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)  # (N,)
    total = weights.sum()
    if not total > 0:
        raise ValueError("sample_weight: a batch's weights sum to zero")
    r = weights / total  # (N,) each sample's share of the batch's loss
    if loss == "cross_entropy":
        rows = np.arange(n)
        shifted = z - z.max(axis=1, keepdims=True)  # (N, C), each row's max is 0
        e = np.exp(shifted)  # (N, C)
        s = e.sum(axis=1)  # (N,)
        per = np.log(s) - shifted[rows, y]  # (N,) logsumexp(z_i) - z_i[y_i]
        grad = np.divide(e, s[:, None], out=e)  # (N, C) softmax(z)
        grad[rows, y] -= 1  # softmax(z) - onehot(y)
    elif loss == "bce_with_logits":
        per = (np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))).sum(axis=1) / k  # (N,)
        grad = sigmoid(z) - y  # (N, k)
        if k > 1:
            grad /= k
    elif loss == "mse":
        diff = z - y  # (N, k)
        per = np.einsum("ij,ij->i", diff, diff) / k  # (N,)
        grad = diff * z.dtype.type(2.0 / k)  # (N, k)
    else:
        raise ValueError(f"loss: expected cross_entropy, bce_with_logits or mse, got {loss!r}")
    grad *= r.astype(z.dtype)[:, None]  # (N, k) w_i / sum(w) * dl_i/dz_i
    return float(per.astype(np.float64) @ r), grad


class _NumpyModel(_NumpyBackendModel):
    """The numpy backend's Model with a step on the weighted loss plus MLP's L2 penalty
    (the backend's own step averages every sample alike and has no such penalty)."""

    alpha: float = 0.0

    def weighted_step(self, x: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> float:
        """One optimiser step on `weighted_loss` + alpha / (2 sum(w)) * sum ||W||^2 (the
        weight matrices only, as MLP); x and y as `check_xy` gives them."""
        o = self.spec.optimizer
        self.net.train()
        z = self.net(x)  # (N, out)
        loss, grad = weighted_loss(self.spec.loss, z, y, w)
        self.net.zero_grad()
        self.net.backward(grad, need_input_grad=False)
        if self.alpha:
            total = float(len(x)) if w is None else float(np.sum(w))
            c = self.alpha / total
            for p in self._penalised():
                loss += 0.5 * c * float(np.vdot(p.data, p.data))
                g, scratch = p.grad, self._scratch(p.data)
                g += np.multiply(p.data, p.data.dtype.type(c), out=scratch)  # d/dW c/2 ||W||^2
        if o.clip_norm is not None:
            clip_grad_norm(self.net.parameters(), o.clip_norm)
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        self.steps += 1
        return loss

    def _penalised(self) -> list[Any]:
        """The weight matrices (not the biases)."""
        if getattr(self, "_l2", None) is None:
            self._l2 = [p for name, p in self.net.named_parameters() if name.endswith("weight")]
        return self._l2

    def _scratch(self, like: np.ndarray) -> np.ndarray:
        """A reused array of `like`'s shape and dtype (numpy's ufuncs, not scipy's BLAS axpy:
        scipy's own OpenBLAS starts a second pool of spinning threads, which took the cores
        from numpy's and made an MNIST epoch four times slower)."""
        buffers = self.__dict__.setdefault("_buffers", {})
        key = (like.shape, like.dtype.str)
        if key not in buffers:
            buffers[key] = np.empty_like(like)
        return buffers[key]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_l2", None)  # rebuilt on the next step
        state.pop("_buffers", None)
        return state


def _build_model(spec: NetSpec, backend: str, device: str, alpha: float):
    if backend == "numpy":
        model = _NumpyModel(spec, device=device)
        model.alpha = float(alpha)
        return model
    return build(spec, backend, device=device)


# ----- the shared estimator -------------------------------------------------------------------


class _FCNetBase(BaseEstimator):
    """What both estimators share: parameters, the spec, the epoch loop, save and load."""

    _loss: ClassVar[str]
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions(set(OPTIMIZERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "backend": [StrOptions(set(BACKENDS))],
        "device": [str],
        "dtype": [StrOptions({"float32", "float64"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        weight_decay=0.0,
        batch_size="auto",
        learning_rate_init=0.001,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        dropout=0.0,
        backend="numpy",
        device="cpu",
        dtype="float32",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout
        self.backend = backend
        self.device = device
        self.dtype = dtype

    # ----- what a subclass supplies -------------------------------------------------------

    def _targets(self, y: np.ndarray, first: bool, incremental: bool) -> np.ndarray:
        """y as the loss wants it (and the fitted target attributes set when `first`)."""
        raise NotImplementedError

    def _validation_score(self, x: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> float:
        raise NotImplementedError

    def _n_outputs(self) -> int:
        raise NotImplementedError

    def _stratify(self, y: np.ndarray) -> np.ndarray | None:
        return None

    # ----- the spec -----------------------------------------------------------------------

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        for i, s in enumerate(sizes):
            if not isinstance(s, Integral) or isinstance(s, bool) or s < 1:
                raise ValueError(
                    f"The 'hidden_layer_sizes' parameter of {type(self).__name__} must be "
                    f"ints >= 1; got {s!r} at position {i}."
                )
        return [int(s) for s in sizes]

    def _make_spec(self, n_features: int, batch_size: int, seed: int) -> NetSpec:
        """The NetSpec these parameters describe. alpha is added by the numpy step itself;
        the torch and tensorflow backends approximate it by weight decay alpha / batch_size
        (the gradient of MLP's penalty alpha / (2 batch) * ||W||^2, biases decayed too)."""
        act = ACTIVATIONS[self.activation]
        hidden = [
            LayerSpec(width=w, activation=act, dropout=float(self.dropout))
            for w in self._hidden_sizes()
        ]
        opt: dict[str, Any] = {
            "name": self.solver,
            "lr": float(self.learning_rate_init),
            "weight_decay": float(self.weight_decay)
            + (float(self.alpha) / batch_size if self.backend != "numpy" else 0.0),
        }
        if self.solver == "sgd":
            opt["momentum"] = float(self.momentum)
            opt["nesterov"] = bool(self.nesterovs_momentum) and self.momentum > 0
        elif self.solver in ("adam", "adamw"):
            opt["betas"] = (float(self.beta_1), float(self.beta_2))
            opt["eps"] = float(self.epsilon)
        else:
            opt["eps"] = float(self.epsilon)
        return NetSpec(
            input_size=n_features,
            hidden=hidden,
            output_size=self._n_outputs(),
            loss=self._loss_name(),
            optimizer=OptimizerSpec(**opt),
            dtype=self.dtype,
            seed=seed,
        )

    def _loss_name(self) -> str:
        return self._loss

    # ----- fitting ------------------------------------------------------------------------

    def _validate_x(self, X: Any, reset: bool) -> np.ndarray:
        return validate_data(self, X, reset=reset, dtype=np.dtype(self.dtype))

    def _fit(self, X, y, sample_weight=None, incremental=False):
        first = not hasattr(self, "model_") or not (incremental or self.warm_start)
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        X, y = self._validate_xy(X, y, reset=first)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        if first or not hasattr(self, "_rng"):
            self._rng = check_random_state(self.random_state)
        y = self._targets(y, first, incremental)
        w = sample_weight
        if w is not None and np.all(w == w[0]) and self.backend != "numpy":
            w = None  # equal weights are no weights
        if w is not None and self.backend != "numpy":
            raise ValueError(
                f"sample_weight: only backend 'numpy' weights samples, got backend "
                f"{self.backend!r} (use backend='numpy', or resample the data)"
            )

        if self.early_stopping and not incremental:
            parts = train_test_split(
                *((X, y) if w is None else (X, y, w)),
                random_state=self._rng,
                test_size=self.validation_fraction,
                stratify=self._stratify(y),
            )
            X, X_val, y, y_val = parts[:4]
            w, w_val = (parts[4], parts[5]) if w is not None else (None, None)
            if len(X_val) < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
        n = len(X)
        if self.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn(
                    f"batch_size={self.batch_size} is larger than the {n} training samples; "
                    f"it is clipped to {n}",
                    stacklevel=4,
                )
            batch_size = min(self.batch_size, n)

        if first:
            seed = int(self._rng.randint(np.iinfo(np.int32).max))
            spec = self._make_spec(X.shape[1], batch_size, seed)
            self.model_ = _build_model(spec, self.backend, self.device, self.alpha)
            self.n_iter_ = 0
            self.t_ = 0
            self.loss_curve_ = []
            self.best_loss_ = np.inf
            self._no_improvement_count = 0
            self.validation_scores_ = [] if self.early_stopping else None
            self.best_validation_score_ = -np.inf if self.early_stopping else None
            self.best_epoch_ = None

        early = self.early_stopping and not incremental
        if early and self.validation_scores_ is None:  # warm start after a fit without it
            self.validation_scores_, self.best_validation_score_ = [], -np.inf
        best_weights = None
        epochs = 1 if incremental else self.max_iter
        converged = False
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(epochs):
                loss = self._epoch(X, y, w, batch_size)
                self.n_iter_ += 1
                self.loss_ = loss
                self.loss_curve_.append(loss)
                if early:
                    score = self._validation_score(X_val, y_val, w_val)
                    self.validation_scores_.append(score)
                    improved = score >= self.best_validation_score_ + self.tol
                    if score > self.best_validation_score_:
                        self.best_validation_score_ = score
                        self.best_epoch_ = self.n_iter_
                        best_weights = self.model_.get_weights()
                else:
                    improved = loss <= self.best_loss_ - self.tol
                    self.best_loss_ = min(self.best_loss_, loss)
                    self.best_epoch_ = self.n_iter_
                self._no_improvement_count = 0 if improved else self._no_improvement_count + 1
                if self.verbose:
                    extra = f", validation score = {score:.8f}" if early else ""
                    print(f"Iteration {self.n_iter_}, loss = {loss:.8f}{extra}", file=sys.stdout)
                if self._no_improvement_count > self.n_iter_no_change:
                    converged = True
                    if self.verbose:
                        what = "Validation score" if early else "Training loss"
                        print(
                            f"{what} did not improve more than tol={self.tol} for "
                            f"{self.n_iter_no_change} consecutive epochs. Stopping."
                        )
                    break
        if early and best_weights is not None:
            self.model_.set_weights(best_weights)
        if not incremental and not converged:
            warnings.warn(
                f"{type(self).__name__}: max_iter={self.max_iter} epochs ended and the "
                f"optimization hasn't converged yet (it improved by more than tol={self.tol} "
                f"within the last n_iter_no_change={self.n_iter_no_change} epochs); raise "
                f"max_iter or set early_stopping=True",
                ConvergenceWarning,
                stacklevel=4,
            )
        return self

    def _epoch(self, X: np.ndarray, y: np.ndarray, w: np.ndarray | None, batch_size: int):
        """One pass over (X, y) in mini-batches; the epoch's (weighted) mean loss."""
        n = len(X)
        order = self._rng.permutation(n) if self.shuffle else None
        total, weight = 0.0, 0.0
        model = self.model_
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size] if order is not None else None
            xb = X[idx] if idx is not None else X[start : start + batch_size]
            yb = y[idx] if idx is not None else y[start : start + batch_size]
            if w is None:
                wb = None
                share = float(len(xb))
            else:
                wb = w[idx] if idx is not None else w[start : start + batch_size]
                share = float(wb.sum())
                if share == 0:
                    continue  # a batch of weightless samples teaches nothing
            if isinstance(model, _NumpyModel):
                loss = model.weighted_step(xb, yb, wb)
            else:
                loss = model.train_step(xb, yb)
            self.t_ += 1
            if not np.isfinite(loss):
                raise ValueError(
                    f"{type(self).__name__}: the training loss became {loss} in epoch "
                    f"{self.n_iter_ + 1}; try a lower learning_rate_init "
                    f"(it is {self.learning_rate_init:g}) or scale the inputs (StandardScaler)"
                )
            total += loss * share
            weight += share
        return total / weight if weight else 0.0

    # ----- prediction ---------------------------------------------------------------------

    def _forward(self, X: Any) -> np.ndarray:
        """The network's output for X (logits or values) in `dtype`, after the checks
        scikit-learn runs."""
        check_is_fitted(self, "model_")
        X = self._validate_x(X, reset=False)
        with np.errstate(over="ignore"):
            return self.model_.predict(X)

    # ----- files --------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted estimator to fcnet's portable `.npz` (no pickle; atomic).

        The file holds the spec and the weights as every fcnet model file does (so
        `fcnet.backends.load(path)` reads the network alone) and, under `__sklearn__`,
        the parameters and fitted attributes as JSON. Optimiser state is not kept: a
        loaded estimator's `partial_fit` starts a fresh optimiser."""
        check_is_fitted(self, "model_")
        path = Path(path)
        if path.suffix.lower() != ".npz":
            raise ValueError(f"{path}: expected a .npz file name, got {path.suffix!r}")
        params = self.get_params()
        if not isinstance(params["random_state"], Integral | None):
            params["random_state"] = None
        params["hidden_layer_sizes"] = self._hidden_sizes()
        meta = {
            "version": _META_VERSION,
            "estimator": type(self).__name__,
            "params": params,
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": (
                [str(c) for c in self.feature_names_in_]
                if hasattr(self, "feature_names_in_")
                else None
            ),
            "n_iter": self.n_iter_,
            "t": self.t_,
            "loss_curve": [float(v) for v in self.loss_curve_],
            "best_loss": float(self.best_loss_),
            "validation_scores": (
                None
                if self.validation_scores_ is None
                else [float(v) for v in self.validation_scores_]
            ),
            "best_validation_score": (
                None if self.best_validation_score_ is None else float(self.best_validation_score_)
            ),
            "best_epoch": self.best_epoch_,
            "targets": self._targets_meta(),
        }
        try:
            meta_json = json.dumps(meta, allow_nan=True)
        except TypeError as exc:
            raise ValueError(f"{path}: cannot save this estimator as .npz ({exc})") from None
        model = self.model_
        arrays: dict[str, np.ndarray] = {
            "__format__": np.array(FORMAT),
            "__spec__": np.array(model.spec.to_json()),
            "__backend__": np.array(model.backend),
            _META_KEY: np.array(meta_json),
        }
        arrays.update(model.get_weights())
        with atomic_write(path, "wb") as fh:
            np.savez(fh, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike[str]):
        """A fitted estimator from a `.npz` written by `save` (no pickle)."""
        path = Path(path)
        spec, weights, _ = read_npz(path)
        with np.load(path, allow_pickle=False) as z:
            if _META_KEY not in z.files:
                raise ValueError(
                    f"{path}: an fcnet model without estimator data (no {_META_KEY} key); "
                    "load it with fcnet.backends.load"
                )
            raw = str(z[_META_KEY])
        try:
            meta = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: {_META_KEY} is not valid JSON ({exc.msg})") from None
        if not isinstance(meta, dict) or meta.get("version") != _META_VERSION:
            raise ValueError(f"{path}: {_META_KEY} version is not {_META_VERSION}")
        if meta.get("estimator") != cls.__name__:
            raise ValueError(
                f"{path}: holds a {meta.get('estimator')!r}, not a {cls.__name__} "
                f"(load it with {meta.get('estimator')}.load)"
            )
        est = cls()
        try:
            params = dict(meta["params"])
            params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
            est.set_params(**params)
            est._validate_params()
            est.model_ = _build_model(spec, est.backend, est.device, est.alpha)
            est.model_.set_weights(weights)
            est.n_features_in_ = int(meta["n_features_in"])
            if meta["feature_names_in"] is not None:
                est.feature_names_in_ = np.asarray(meta["feature_names_in"], dtype=object)
            est.n_iter_ = int(meta["n_iter"])
            est.t_ = int(meta["t"])
            est.loss_curve_ = [float(v) for v in meta["loss_curve"]]
            est.loss_ = est.loss_curve_[-1] if est.loss_curve_ else None
            est.best_loss_ = float(meta["best_loss"])
            est.validation_scores_ = meta["validation_scores"]
            est.best_validation_score_ = meta["best_validation_score"]
            est.best_epoch_ = meta["best_epoch"]
            est._no_improvement_count = 0
            est._set_targets_meta(meta["targets"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"{path}: {_META_KEY} does not describe a {cls.__name__} ({exc})"
            ) from None
        if spec.input_size != est.n_features_in_ or spec.output_size != est._n_outputs():
            raise ValueError(f"{path}: {_META_KEY} does not fit the spec's input/output sizes")
        return est

    def _targets_meta(self) -> dict[str, Any]:
        raise NotImplementedError

    def _set_targets_meta(self, d: dict[str, Any]) -> None:
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags


# ----- the classifier -------------------------------------------------------------------------


class FCNetClassifier(ClassifierMixin, _FCNetBase):
    """A fully-connected network classifier on fcnet's engine, like `MLPClassifier`.

    Two classes: one logit z and the sigmoid + binary cross-entropy loss ("bce_with_logits");
    more: one logit per class and softmax + cross-entropy ("cross_entropy"). Labels may be
    of any type (ints, strings, ...); `classes_` holds them sorted.

    Parameters (MLPClassifier's names and defaults where the concept is the same):
        hidden_layer_sizes: widths of the hidden layers, (100,).
        activation: "relu" (default), "logistic" (= "sigmoid"), "tanh", "identity",
            "leaky_relu".
        solver: fcnet's optimiser: "adam" (default), "adamw", "sgd", "rmsprop"
            (torch.optim's formulas).
        alpha: MLP's L2 penalty, 0.0001: each batch's loss gets alpha / (2 sum of the
            batch's sample weights) * sum ||W||^2 over the weight matrices (not the
            biases). On backend "torch"/"tensorflow" it becomes weight decay
            alpha / batch_size (biases included).
        weight_decay: fcnet's (torch.optim's) weight_decay, 0.0: L2 in the gradient for
            "sgd", "adam", "rmsprop", decoupled for "adamw" (where 0.01 is torch's default).
        batch_size: "auto" = min(200, n_samples), or an int.
        learning_rate_init: the optimiser's lr, 0.001.
        max_iter: epochs, 200. shuffle: reshuffle every epoch, True.
        random_state: None, an int or a RandomState; seeds the initial weights, the
            shuffling, dropout and the validation split.
        tol, n_iter_no_change: training stops when the loss (or with early stopping the
            validation score) has not improved by tol for more than n_iter_no_change
            epochs; 1e-4 and 10. Otherwise max_iter ends it with a ConvergenceWarning.
        verbose: print each epoch's loss. warm_start: fit continues from the last weights.
        momentum, nesterovs_momentum: for "sgd", 0.9 and True.
        early_stopping: hold out validation_fraction (0.1, stratified) and keep the
            weights of the epoch with the best validation accuracy (best_epoch_). False.
        beta_1, beta_2, epsilon: Adam's, 0.9, 0.999, 1e-8.
        dropout: fcnet's: the dropout rate after every hidden layer, 0.0.
        backend: "numpy" (default), "torch" or "tensorflow"; device: "cpu" or "cuda"
            (torch); dtype: "float32" (default) or "float64".

    Attributes: classes_, n_features_in_, feature_names_in_ (pandas input), model_ (the
    fcnet backend Model), loss_curve_ (mean training loss per epoch), loss_, best_loss_,
    validation_scores_ / best_validation_score_ (None without early stopping), best_epoch_
    (the epoch whose weights are kept, 1-based), n_iter_ (epochs), t_ (optimiser steps),
    n_outputs_.

    Deliberate differences from MLPClassifier: computes in float32 unless dtype="float64"
    (outputs too); no "lbfgs" solver and no learning_rate schedule option; no multilabel
    targets; no sparse input (the numpy engine is dense); sample_weight needs
    backend="numpy".

    Example:
        >>> clf = FCNetClassifier(hidden_layer_sizes=(64,), max_iter=50, random_state=0)
        >>> clf.fit(X, y).predict_proba(X[:2])        # doctest: +SKIP
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on X (n_samples, n_features) and labels y (n_samples,); returns self."""
        return self._fit(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over (X, y) from the current weights; `classes` (every label that
        will ever come) is required on the first call."""
        if _check_partial_fit_first_call(self, classes) and hasattr(self, "model_"):
            del self.model_  # classes_ was just set: a new network for them
        return self._fit(X, y, sample_weight, incremental=True)

    def _validate_xy(self, X, y, reset):
        X, y = validate_data(self, X, y, reset=reset, dtype=np.dtype(self.dtype))
        check_classification_targets(y)
        return X, y

    def _targets(self, y, first, incremental):
        if first:  # partial_fit's first call has set classes_ from its `classes`
            classes = self.classes_ if incremental else unique_labels(y)
            if len(classes) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                    f"but the data contains only one class: {classes[0]!r}"
                )
            self.classes_ = np.asarray(classes)
            self.n_outputs_ = 1 if len(classes) == 2 else len(classes)
        elif not incremental and not np.array_equal(unique_labels(y), self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in the "
                f"previous call to fit. Previously got {self.classes_}, `y` has "
                f"{unique_labels(y)}"
            )
        unknown = np.setdiff1d(unique_labels(y), self.classes_)
        if unknown.size:
            raise ValueError(
                f"y: labels {unknown.tolist()} are not in classes_ {self.classes_.tolist()}"
            )
        codes = np.searchsorted(self.classes_, y)
        if len(self.classes_) == 2:
            return codes.astype(self.dtype).reshape(-1, 1)  # (N, 1) 0/1 targets
        return codes.astype(np.int64)

    def _loss_name(self) -> str:
        return "bce_with_logits" if len(self.classes_) == 2 else "cross_entropy"

    def _n_outputs(self) -> int:
        return self.n_outputs_

    def _stratify(self, y):
        return y.ravel()

    def _validation_score(self, x, y, w):
        z = self.model_.predict(x)
        if z.shape[1] == 1:
            right = (z[:, 0] > 0) == (y[:, 0] > 0.5)
        else:
            right = z.argmax(axis=1) == y
        return float(np.average(right, weights=w))

    def decision_function(self, X):
        """Logits: (n_samples,) for two classes (> 0 means classes_[1]), else
        (n_samples, n_classes)."""
        z = self._forward(X)
        return z[:, 0] if z.shape[1] == 1 else z

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes): sigmoid or softmax of the logits."""
        z = self._forward(X)
        if z.shape[1] == 1:
            p = sigmoid(z[:, 0])  # (N,)
            return np.column_stack([1 - p, p])
        e = np.exp(z - z.max(axis=1, keepdims=True))  # (N, C)
        return e / e.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """log(predict_proba(X)) (-inf where a probability underflows to 0, as MLP)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of each row, as labels from classes_."""
        z = self._forward(X)
        codes = (z[:, 0] > 0).astype(np.intp) if z.shape[1] == 1 else z.argmax(axis=1)
        return self.classes_[codes]

    def _targets_meta(self):
        c = self.classes_
        return {"classes": c.tolist(), "dtype": c.dtype.str if c.dtype != object else "object"}

    def _set_targets_meta(self, d):
        self.classes_ = np.asarray(d["classes"], dtype=np.dtype(d["dtype"]))
        self.n_outputs_ = 1 if len(self.classes_) == 2 else len(self.classes_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


# ----- the regressor --------------------------------------------------------------------------


class FCNetRegressor(RegressorMixin, _FCNetBase):
    """A fully-connected network regressor on fcnet's engine, like `MLPRegressor`.

    Identity output and the mean squared error ("mse"); y of shape (n_samples,) or
    (n_samples, n_targets) (multi-output). Parameters and attributes as `FCNetClassifier`
    (early stopping scores R^2 on the held-out part, not stratified), without classes_.
    Targets are not rescaled: standardise large-valued targets (TransformedTargetRegressor).

    Deliberate differences from MLPRegressor: float32 unless dtype="float64"; no "lbfgs";
    no sparse input; sample_weight needs backend="numpy".

    Example:
        >>> reg = FCNetRegressor(hidden_layer_sizes=(32,), max_iter=100, random_state=0)
        >>> reg.fit(X, y).predict(X[:2])              # doctest: +SKIP
    """

    _loss = "mse"

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on X (n_samples, n_features) and y (n_samples,) or (n_samples, n_targets)."""
        return self._fit(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y) from the current weights."""
        return self._fit(X, y, sample_weight, incremental=True)

    def _validate_xy(self, X, y, reset):
        X, y = validate_data(
            self, X, y, reset=reset, dtype=np.dtype(self.dtype), multi_output=True, y_numeric=True
        )
        return X, y

    def _targets(self, y, first, incremental):
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        if first:
            self.n_outputs_ = y2.shape[1]
        elif y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y: expected {self.n_outputs_} target column(s) as in the first fit, "
                f"got {y2.shape[1]}"
            )
        return np.ascontiguousarray(y2, dtype=self.dtype)

    def _n_outputs(self) -> int:
        return self.n_outputs_

    def _validation_score(self, x, y, w):
        return float(r2_score(y, self.model_.predict(x), sample_weight=w))

    def predict(self, X):
        """Predicted targets: (n_samples,) for one target, else (n_samples, n_targets)."""
        out = self._forward(X)
        return out[:, 0] if out.shape[1] == 1 else out

    def _targets_meta(self):
        return {"n_outputs": self.n_outputs_}

    def _set_targets_meta(self, d):
        self.n_outputs_ = int(d["n_outputs"])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


def load(path: str | os.PathLike[str]) -> FCNetClassifier | FCNetRegressor:
    """The fitted FCNetClassifier or FCNetRegressor saved in `path` (see `save`)."""
    path = Path(path)
    read_npz(path)
    with np.load(path, allow_pickle=False) as z:
        raw = str(z[_META_KEY]) if _META_KEY in z.files else "{}"
    try:
        name = json.loads(raw).get("estimator")
    except (json.JSONDecodeError, AttributeError):
        name = None
    classes = {"FCNetClassifier": FCNetClassifier, "FCNetRegressor": FCNetRegressor}
    if name not in classes:
        raise ValueError(
            f"{path}: not a saved fcnet estimator (expected {_META_KEY} naming "
            f"FCNetClassifier or FCNetRegressor)"
        )
    return classes[name].load(path)


__all__ = ["ACTIVATIONS", "FCNetClassifier", "FCNetRegressor", "load", "weighted_loss"]
