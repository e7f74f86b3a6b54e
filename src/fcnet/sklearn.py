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

scikit-learn's estimator checks all pass with the defaults, with no expected failure:
as scikit-learn's own estimators do, the network computes in the floating dtype of the
data it is first fitted on (float32 stays float32, anything else becomes float64) and
answers in it; dtype="float32" or "float64" fixes it.

Parameters keep MLP's names and defaults where the concept is the same; what fcnet adds
is `solver="adamw"` / `"rmsprop"`, `dropout`, `backend`, `device` and `dtype`. Early
stopping keeps the weights of the best validation epoch (`best_epoch_`).

Sample weights: fcnet's losses take them (`fcnet.nn.losses`: L = sum_i w_i l_i / sum_i
w_i over each mini-batch, its gradient dL/dz = w_i / sum(w) * dl_i/dz), and the estimator
steps the numpy backend's model through its own `train_step(x, y, sample_weight)`, with
MLP's L2 penalty added by the `_NumpyModel._penalty` hook.

Memory: the network is checked against the memory available with the batch it trains
on (`fcnet.limits.check_network`) before anything is allocated; a refusal is a ValueError.

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
from typing import Any, ClassVar, Literal, cast

import numpy as np

try:
    import sklearn as _sklearn  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - scikit-learn is a dev extra
    raise ModuleNotFoundError(
        "fcnet.sklearn needs scikit-learn: pip install scikit-learn==1.9.1 "
        "(or pip install 'fcnet[dev]')",
        name=exc.name,
    ) from None
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
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

from fcnet._fileio import FileError, atomic_write, parse_json
from fcnet._pydantic_errors import reason, shown
from fcnet.backends import BACKENDS, build
from fcnet.backends._common import FORMAT, read_model_npz
from fcnet.backends.numpy_backend import Model as _NumpyBackendModel
from fcnet.i18n import gettext as _
from fcnet.limits import MAX_WIDTH, check_network
from fcnet.nn.activations import sigmoid
from fcnet.nn.losses import loss as _loss_fn
from fcnet.nn.losses import softmax
from fcnet.spec import OPTIMIZERS, LayerSpec, NetSpec, OptimizerSpec
from fcnet.train import Callback, TrainingDiverged, train

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
    """(L, dL/dz) of a batch whose samples weigh `w` (None: all 1), on the network output z:
    fcnet's loss `loss` ("cross_entropy", "bce_with_logits" or "mse") with `sample_weight`.

    L = sum_i w_i l_i / sum_i w_i, with l_i the sample's loss as fcnet's losses define it
    (w = None gives exactly `fcnet.nn.loss(loss)`'s mean); dL/dz_i = w_i / sum(w) * dl_i/dz_i,
    in z's dtype; L as a Python float.
    """
    if loss not in ("cross_entropy", "bce_with_logits", "mse"):
        raise ValueError(f"loss: expected cross_entropy, bce_with_logits or mse, got {loss!r}")
    fn = _loss_fn(loss)
    value = fn(z, y, w)
    return value, fn.backward()


class _NumpyModel(_NumpyBackendModel):
    """The numpy backend's Model plus MLP's L2 penalty (the step itself is the backend's)."""

    alpha: float = 0.0

    def _penalty(self, x: np.ndarray, sample_weight: Any) -> float:
        """alpha / (2 sum(w)) * sum ||W||^2 over the weight matrices (not the biases, as
        MLP), its gradient c W added to theirs; sum(w) is the batch size without weights."""
        if not self.alpha:
            return 0.0
        total = float(len(x)) if sample_weight is None else float(np.sum(sample_weight))
        c = self.alpha / total
        value = 0.0
        for p in self._penalised():
            value += 0.5 * c * float(np.vdot(p.data, p.data))
            p.grad += np.multiply(p.data, p.data.dtype.type(c), out=self._scratch(p.data))
        return value

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
        state = super().__getstate__()  # (the backend's thread and speed choices dropped)
        state.pop("_l2", None)  # rebuilt on the next step
        state.pop("_buffers", None)
        return state


def _build_model(spec: NetSpec, backend: str, device: str, alpha: float):
    if backend == "numpy":
        model = _NumpyModel(spec, device=device)
        model.alpha = float(alpha)
        return model
    return build(spec, backend, device=device)


# ----- MLP's stopping rule, as a callback of the training loop -------------------------------


class _MLPStopping(Callback):
    """MLP's bookkeeping and stopping rule after each epoch of `fcnet.train.train`.

    Records the epoch's loss (n_iter_, loss_, loss_curve_); without validation data,
    an epoch improves when the loss falls by tol below the best so far; with it
    (early_stopping), when the validation score rises by tol above the best, whose
    weights are kept and put back at the end (best_epoch_). Training stops when more
    than n_iter_no_change epochs in a row did not improve."""

    def __init__(self, est: _FCNetBase, val: tuple[Any, Any, Any] | None) -> None:
        self.est: Any = est  # its fitted attributes, set by fit
        self.val = val
        self.converged = False
        self.best_weights: dict[str, np.ndarray] | None = None
        self.state: Any = None

    def on_train_begin(self, state: Any) -> None:
        self.state = state

    def on_epoch_end(self, record: dict[str, Any]) -> None:
        est, loss = self.est, float(record["train_loss"])
        est.n_iter_ += 1
        est.loss_ = loss
        est.loss_curve_.append(loss)
        if self.val is not None:
            score = est._validation_score(*self.val)
            est.validation_scores_.append(score)
            improved = score >= est.best_validation_score_ + est.tol
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                est.best_epoch_ = est.n_iter_
                self.best_weights = est.model_.get_weights()
        else:
            improved = loss <= est.best_loss_ - est.tol
            est.best_loss_ = min(est.best_loss_, loss)
            est.best_epoch_ = est.n_iter_
        est._no_improvement_count = 0 if improved else est._no_improvement_count + 1
        if est.verbose:
            extra = f", validation score = {score:.8f}" if self.val is not None else ""
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}{extra}", file=sys.stdout)
        if est._no_improvement_count > est.n_iter_no_change:
            self.converged = True
            self.state.history.stopped_early = True
            if est.verbose:
                what = "Validation score" if self.val is not None else "Training loss"
                print(
                    f"{what} did not improve more than tol={est.tol} for "
                    f"{est.n_iter_no_change} consecutive epochs. Stopping."
                )

    def on_train_end(self) -> None:
        if self.best_weights is not None:
            self.est.model_.set_weights(self.best_weights)


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
        "dtype": [StrOptions({"float32", "float64"}), None],
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
        dtype=None,
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

    def _make_spec(self, n_features: int, batch_size: int, seed: int, dtype: str) -> NetSpec:
        """The NetSpec these parameters describe. alpha is added by the numpy step itself;
        the torch and tensorflow backends approximate it by weight decay alpha / batch_size
        (the gradient of MLP's penalty alpha / (2 batch) * ||W||^2, biases decayed too)."""
        act: Any = ACTIVATIONS[self.activation]  # a spec Activation
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
            loss=cast(Any, self._loss_name()),
            optimizer=OptimizerSpec(**opt),
            dtype=cast(Any, dtype),
            seed=seed,
        )

    def _loss_name(self) -> str:
        return self._loss

    # ----- fitting ------------------------------------------------------------------------

    def _dtypes(self, first: bool) -> Any:
        """What validate_data converts X to: the fitted network's dtype once there is one,
        else `dtype`, or with dtype=None float32 or float64 as the data comes (others to
        float64), as scikit-learn's estimators do."""
        if not first and hasattr(self, "model_"):
            return np.dtype(self.model_.spec.dtype)
        if self.dtype is not None:
            return np.dtype(self.dtype)
        return [np.float64, np.float32]

    def _validate_x(self, X: Any, reset: bool) -> np.ndarray:
        return validate_data(self, X, reset=reset, dtype=self._dtypes(False))

    def _fit(self, X, y, sample_weight=None, incremental=False):
        first = not hasattr(self, "model_") or not (incremental or self.warm_start)
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        X, y = self._validate_xy(X, y, reset=first, dtype=self._dtypes(first))
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        if first or not hasattr(self, "_rng"):
            self._rng = check_random_state(self.random_state)
        y = self._targets(y, first, incremental)
        if y.dtype.kind == "f":
            y = y.astype(X.dtype, copy=False)  # float targets in the network's dtype
        w = sample_weight
        if w is not None and np.all(w == w[0]) and self.backend != "numpy":
            w = None  # equal weights are no weights
        if w is not None and self.backend != "numpy":
            raise ValueError(
                f"sample_weight: only backend 'numpy' weights samples, got backend "
                f"{self.backend!r} (use backend='numpy', or resample the data)"
            )

        X_val = y_val = w_val = None
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
            spec = self._make_spec(X.shape[1], batch_size, seed, X.dtype.name)
            # with the real batch, before anything is allocated (the spec counts weights only)
            check_network(spec, batch_size, what=type(self).__name__)
            self.model_ = _build_model(spec, self.backend, self.device, self.alpha)
            self.n_iter_ = 0
            self.t_ = 0
            self.loss_curve_ = []
            self.best_loss_ = np.inf
            self._no_improvement_count = 0
            self.validation_scores_: list[float] | None = [] if self.early_stopping else None
            self.best_validation_score_ = -np.inf if self.early_stopping else None
            self.best_epoch_ = None
        else:
            check_network(self.model_.spec, batch_size, what=type(self).__name__)
        early = self.early_stopping and not incremental
        if early and self.validation_scores_ is None:  # warm start after a fit without it
            self.validation_scores_, self.best_validation_score_ = [], -np.inf
        stopping = _MLPStopping(self, (X_val, y_val, w_val) if early else None)
        steps = self.model_.steps
        try:
            train(
                self.model_,
                X,
                y,
                epochs=1 if incremental else self.max_iter,
                batch_size=batch_size,
                seed=int(self._rng.randint(np.iinfo(np.int32).max)),
                loss_weights=w,
                shuffle=self.shuffle,
                callbacks=[stopping],
                progress=False,
            )
        except TrainingDiverged as exc:
            loss = exc.loss
            raise ValueError(
                f"{type(self).__name__}: the training loss became {loss} in epoch "
                f"{self.n_iter_ + 1}; try a lower learning_rate_init "
                f"(it is {self.learning_rate_init:g}) or scale the inputs (StandardScaler)"
            ) from None
        finally:
            self.t_ += self.model_.steps - steps
        if not incremental and not stopping.converged:
            warnings.warn(
                f"{type(self).__name__}: max_iter={self.max_iter} epochs ended and the "
                f"optimization hasn't converged yet (it improved by more than tol={self.tol} "
                f"within the last n_iter_no_change={self.n_iter_no_change} epochs); raise "
                f"max_iter or set early_stopping=True",
                ConvergenceWarning,
                stacklevel=4,
            )
        return self

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
        arrays: dict[str, Any] = {
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
        """A fitted estimator from a `.npz` written by `save` (no pickle).

        The file is read once, each entry bounded before it is inflated; the estimator
        data is validated (`_SavedEstimator`) and must describe the saved network. Any
        fault is one ValueError naming the file."""
        path = Path(path)
        spec, weights, meta = _read_saved(path)
        if meta.estimator != cls.__name__:
            raise ValueError(
                f"{path}: holds a {meta.estimator!r}, not a {cls.__name__} "
                f"(load it with {meta.estimator}.load)"
            )
        return cls._from_saved(path, spec, weights, meta)

    @classmethod
    def _from_saved(
        cls, path: Path, spec: NetSpec, weights: dict[str, np.ndarray], meta: _SavedEstimator
    ):
        """The estimator a saved file describes, from what `_read_saved` read of it."""
        est = cls()
        try:
            params = dict(meta.params)
            params["hidden_layer_sizes"] = tuple(params.get("hidden_layer_sizes", ()))
            est.set_params(**params)
            est._validate_params()
            est._set_targets_meta(meta.targets)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            detail = " ".join(str(exc).split())[:300]
            raise ValueError(
                f"{path}: {_META_KEY} does not describe a {cls.__name__} ({detail})"
            ) from None
        est._loaded_feature_names = meta.feature_names_in
        est._check_fits(path, spec, meta.n_features_in)
        del est._loaded_feature_names
        est.model_ = _build_model(spec, est.backend, est.device, est.alpha)
        est.model_.set_weights(weights)
        est.n_features_in_ = meta.n_features_in
        if meta.feature_names_in is not None:
            est.feature_names_in_ = np.asarray(meta.feature_names_in, dtype=object)
        est.n_iter_ = meta.n_iter
        est.t_ = meta.t
        est.loss_curve_ = list(meta.loss_curve)
        est.loss_ = est.loss_curve_[-1] if est.loss_curve_ else None
        est.best_loss_ = meta.best_loss
        est.validation_scores_ = meta.validation_scores
        est.best_validation_score_ = meta.best_validation_score
        est.best_epoch_ = meta.best_epoch
        est._no_improvement_count = 0
        return est

    def _check_fits(self, path: Path, spec: NetSpec, n_features: int) -> None:
        """Refuse estimator data that contradicts the saved network (a tampered file)."""
        wrong = []
        widths = [layer.width for layer in spec.hidden]
        if widths != self._hidden_sizes():
            wrong.append(f"hidden_layer_sizes {self._hidden_sizes()} but the network has {widths}")
        act = ACTIVATIONS[self.activation]
        if any(layer.activation != act for layer in spec.hidden):
            wrong.append(f"activation {self.activation!r} is not the network's")
        if self.dtype is not None and self.dtype != spec.dtype:
            wrong.append(f"dtype {self.dtype!r} but the network computes in {spec.dtype}")
        if spec.input_size != n_features:
            wrong.append(f"n_features_in {n_features} but the network takes {spec.input_size}")
        names = getattr(self, "_loaded_feature_names", None)
        if names is not None and len(names) != n_features:
            wrong.append(f"{len(names)} feature names for {n_features} features")
        if spec.output_size != self._n_outputs() or spec.loss != self._loss_name():
            wrong.append(
                f"targets need {self._n_outputs()} output(s) and loss {self._loss_name()!r}, "
                f"the network has {spec.output_size} and {spec.loss!r}"
            )
        if wrong:
            raise ValueError(
                f"{path}: {_META_KEY} does not fit the saved network: {'; '.join(wrong)}"
            )

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
            (torch); dtype: None (default: the floating dtype of the data first fitted on,
            float32 kept, anything else float64, as scikit-learn's estimators), "float32"
            or "float64".

    Attributes: classes_, n_features_in_, feature_names_in_ (pandas input), model_ (the
    fcnet backend Model), loss_curve_ (mean training loss per epoch), loss_, best_loss_,
    validation_scores_ / best_validation_score_ (None without early stopping), best_epoch_
    (the epoch whose weights are kept, 1-based), n_iter_ (epochs), t_ (optimiser steps),
    n_outputs_.

    Deliberate differences from MLPClassifier: no "lbfgs" solver and no learning_rate
    schedule option; no multilabel targets; no sparse input (the numpy engine is dense);
    sample_weight needs backend="numpy".

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

    def _validate_xy(self, X, y, reset, dtype):
        X, y = validate_data(self, X, y, reset=reset, dtype=dtype)
        check_classification_targets(y)
        return X, y

    classes_: np.ndarray

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
            return codes.astype(np.float64).reshape(-1, 1)  # (N, 1) 0/1 targets
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
        return softmax(z)  # (N, C)

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

    Deliberate differences from MLPRegressor: no "lbfgs";
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

    def _validate_xy(self, X, y, reset, dtype):
        X, y = validate_data(
            self, X, y, reset=reset, dtype=dtype, multi_output=True, y_numeric=True
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
        return np.ascontiguousarray(y2, dtype=np.float64)  # the loss casts to the net's dtype

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
    spec, weights, meta = _read_saved(path, any_estimator=True)  # the file, read once
    classes = {"FCNetClassifier": FCNetClassifier, "FCNetRegressor": FCNetRegressor}
    return classes[meta.estimator]._from_saved(path, spec, weights, meta)


# ----- the saved estimator data ---------------------------------------------------------------

_MAX_COUNT = 2**53  # epochs and steps: exact in a float, as JSON numbers are read
_MAX_CLASS_CHARS = 4096  # one class label of a "<U..." dtype, in characters


class _SavedEstimator(BaseModel):
    """The `__sklearn__` entry of a saved estimator: every field typed and bounded, unknown
    keys refused (pydantic, like NetSpec); finite numbers only where a count is meant."""

    model_config = ConfigDict(extra="forbid", strict=True)

    version: Literal[1]
    estimator: Literal["FCNetClassifier", "FCNetRegressor"]
    params: dict[str, Any]
    n_features_in: int = Field(ge=1, le=MAX_WIDTH)
    feature_names_in: list[str] | None
    n_iter: int = Field(ge=0, lt=_MAX_COUNT)
    t: int = Field(ge=0, lt=_MAX_COUNT)
    loss_curve: list[float]
    best_loss: float
    validation_scores: list[float] | None
    best_validation_score: float | None
    best_epoch: int | None = Field(ge=0, lt=_MAX_COUNT)
    targets: dict[str, Any]

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: dict[str, Any]) -> dict[str, Any]:
        dtype = value.get("dtype")
        if dtype is not None:
            if not isinstance(dtype, str) or len(dtype) > 16:
                raise ValueError(f"targets.dtype: expected a dtype name, got {dtype!r}"[:120])
            if dtype != "object":
                try:
                    kind, size = np.dtype(dtype).kind, np.dtype(dtype).itemsize
                except TypeError:
                    raise ValueError(f"targets.dtype: not a dtype: {dtype!r}") from None
                if kind not in "biufU" or (kind == "U" and size > 4 * _MAX_CLASS_CHARS):
                    raise ValueError(
                        f"targets.dtype: expected booleans, numbers or strings of at most "
                        f"{_MAX_CLASS_CHARS} characters, got {dtype!r}"
                    )
        return value


def _read_saved(
    path: Path, any_estimator: bool = False
) -> tuple[NetSpec, dict[str, np.ndarray], _SavedEstimator]:
    """(spec, weights, estimator data) of a saved estimator: the file read once, each entry
    bounded before it is read; a ValueError naming the file otherwise."""
    spec, weights, _backend, texts = read_model_npz(path, (_META_KEY,))
    if _META_KEY not in texts:
        if any_estimator:
            raise ValueError(
                f"{path}: not a saved fcnet estimator (expected {_META_KEY} naming "
                f"FCNetClassifier or FCNetRegressor)"
            )
        raise ValueError(
            f"{path}: an fcnet model without estimator data (no {_META_KEY} key); "
            "load it with fcnet.backends.load"
        )
    raw = parse_json(texts[_META_KEY], f"{path}: {_META_KEY}")  # nesting bounded
    if not isinstance(raw, dict) or raw.get("version") != _META_VERSION:
        version = raw.get("version") if isinstance(raw, dict) else None
        raise ValueError(f"{path}: {_META_KEY} version is {version!r}, expected {_META_VERSION}")
    try:
        meta = _SavedEstimator.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or _META_KEY
        why = _("{path}: {entry} field {field!r}: {why}").format(
            path=path, entry=_META_KEY, field=where, why=reason(err, quoted=True)
        )
        got = _(", got {value}").format(value=shown(err.get("input"), 40))
        raise FileError(why + ("" if err["type"] == "missing" else got)) from None
    return spec, weights, meta


__all__ = ["ACTIVATIONS", "FCNetClassifier", "FCNetRegressor", "load", "weighted_loss"]
