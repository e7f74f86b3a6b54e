"""The TensorFlow backend, written as Keras users write it.

A `keras.Sequential` in the canonical layer order (Dense, activation, Dropout; so Keras
layer i is canonical index i), Keras optimisers, a train step that runs
`tf.GradientTape` inside one `tf.function`. Native file: `.weights.h5`.

Keras's update rules differ from torch.optim's in places; the subclasses below change
only what must change for the two to agree step for step (docs/backends.md has the
table): Adam's epsilon, RMSprop's epsilon placement, SGD momentum under a schedule,
and torch-style (L2) weight decay, which is added to the gradient here.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

import numpy as np

from fcnet._fileio import atomic_path
from fcnet.backends._base import ModelBase
from fcnet.backends._common import (
    check_device,
    check_weights,
    describe_file,
    initial_weights,
    sniff,
)
from fcnet.schedules import lr_at
from fcnet.spec import NetSpec, OptimizerSpec

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def _quiet_stderr():
    """TensorFlow's C++ start-up notices (oneDNN, absl) ignore TF_CPP_MIN_LOG_LEVEL in recent
    releases: send file descriptor 2 to /dev/null while it is imported."""
    try:
        fd = os.dup(2)
    except OSError:  # pragma: no cover - no stderr at all
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(fd, 2)
        os.close(fd)
        os.close(null)


with _quiet_stderr():
    import keras
    import tensorflow as tf
    from keras import ops

logging.getLogger("tensorflow").setLevel(logging.ERROR)
with contextlib.suppress(ImportError):
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)

_ACTIVATIONS = {
    "relu": lambda dt: keras.layers.ReLU(dtype=dt),
    # Keras's LeakyReLU defaults to slope 0.3 (and keras.activations.leaky_relu to 0.2)
    "leaky_relu": lambda dt: keras.layers.LeakyReLU(negative_slope=0.01, dtype=dt),
    "sigmoid": lambda dt: keras.layers.Activation("sigmoid", dtype=dt),
    "tanh": lambda dt: keras.layers.Activation("tanh", dtype=dt),
    "identity": lambda dt: keras.layers.Identity(dtype=dt),
}


def check_gpu(device: str) -> str:
    """The tf device string for "cpu" / "cuda[:N]" / "auto" (the first GPU when TensorFlow
    sees one, else the CPU); ValueError when TF sees no such GPU."""
    check_device(device)
    gpus = tf.config.list_physical_devices("GPU")
    if device == "auto":
        return "/GPU:0" if gpus else "/CPU:0"
    if not device.startswith("cuda"):
        return "/CPU:0"
    index = int(device.split(":")[1]) if ":" in device else 0
    if index >= len(gpus):
        raise ValueError(
            f"device: {device!r} asked for, but TensorFlow sees {len(gpus)} GPU(s) "
            "(tensorflow-cpu has none); use device='cpu'"
        )
    return f"/GPU:{index}"


def build_keras_model(spec: NetSpec) -> keras.Sequential:
    """The spec's network as a `keras.Sequential`, layer i = canonical index i."""
    dt = spec.dtype
    layers: list[keras.layers.Layer] = []
    for kind, arg in spec.layers():
        if kind == "linear":
            _, n_out, bias = arg
            layers.append(keras.layers.Dense(n_out, use_bias=bias, dtype=dt))
        elif kind == "dropout":
            layers.append(keras.layers.Dropout(arg, seed=spec.seed, dtype=dt))
        else:
            layers.append(_ACTIVATIONS[kind](dt))
    model = keras.Sequential([keras.Input((spec.input_size,), dtype=dt), *layers])
    return model


# ----- the learning-rate schedule and the optimisers ------------------------------------


class _KerasOps:
    """`fcnet.schedules.lr_at`'s arithmetic on float64 tensors (keras.ops)."""

    floor, power, cos, minimum, where = ops.floor, ops.power, ops.cos, ops.minimum, ops.where

    @staticmethod
    def constant(x: float, like):
        return ops.cast(np.float64(x) + 0 * like, "float64")


class StepSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """The spec's schedule (fcnet.spec.ScheduleSpec.lr_at) in float64, so that the rate is
    not rounded to float32 as a plain float learning rate is in Keras."""

    def __init__(self, opt: OptimizerSpec) -> None:
        self.lr = float(opt.lr)
        self.s = opt.schedule

    def __call__(self, step):
        t = ops.cast(step, "float64")
        return lr_at(self.s.name, self.lr, t, **self.s.params(), ops=_KerasOps)

    def get_config(self) -> dict:
        return {"lr": self.lr, "schedule": self.s.model_dump()}


class TorchSGD(keras.optimizers.SGD):
    """keras SGD keeps its velocity in weight units, m = mu m - lr g (w += m); torch keeps
    b = mu b + g in gradient units (w -= lr b). m = -lr b while lr is constant; under a
    schedule m is rescaled by lr_t / lr_{t-1} before each update so that it stays so."""

    def update_step(self, gradient, variable, learning_rate):
        if self.momentum != 0 and isinstance(self._learning_rate, StepSchedule):
            if self._learning_rate.s.name != "none":
                m = self.momentums[self._get_variable_index(variable)]
                prev = self._learning_rate(self.iterations - 1)
                lr = ops.cast(learning_rate, "float64")
                ratio = ops.where(prev > 0, lr / ops.where(prev > 0, prev, 1.0), 1.0)
                self.assign(m, ops.multiply(m, ops.cast(ratio, variable.dtype)))
        super().update_step(gradient, variable, learning_rate)


class TorchRMSprop(keras.optimizers.RMSprop):
    """torch's RMSprop: w -= lr g / (sqrt(v) + eps), eps *outside* the square root (keras:
    lr g / sqrt(v + eps)); the momentum buffer in gradient units, b = mu b + g / d,
    w -= lr b (keras: b = mu b + lr g / d, w -= b). keras's slot variables are reused."""

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        i = self._get_variable_index(variable)
        v = self._velocities[i]
        rho = ops.cast(self.rho, variable.dtype)
        self.assign(v, ops.add(ops.multiply(rho, v), ops.multiply(1 - rho, ops.square(g))))
        d = ops.add(ops.sqrt(v), ops.cast(self.epsilon, variable.dtype))
        if self.momentum > 0:
            b = self._momentums[i]
            mu = ops.cast(self.momentum, variable.dtype)
            self.assign(b, ops.add(ops.multiply(mu, b), ops.divide(g, d)))
            self.assign_sub(variable, ops.multiply(lr, b))
        else:
            self.assign_sub(variable, ops.divide(ops.multiply(lr, g), d))


class _TorchEpsilon:
    """keras Adam divides by sqrt(v) + eps after folding the bias corrections into the
    step size; torch divides by sqrt(v) / sqrt(1 - beta2^t) + eps. They agree when keras's
    epsilon is eps * sqrt(1 - beta2^t): this property gives keras that epsilon, per step."""

    _compute_dtype = "float32"

    @property
    def epsilon(self):
        t = ops.cast(self.iterations + 1, "float64")
        scale = ops.sqrt(1 - ops.power(ops.cast(self.beta_2, "float64"), t))
        return ops.cast(self._torch_eps * scale, self._compute_dtype)

    @epsilon.setter
    def epsilon(self, value):
        self._torch_eps = float(value)


class TorchAdam(_TorchEpsilon, keras.optimizers.Adam):
    """keras Adam with torch's epsilon placement (see `_TorchEpsilon`)."""


class TorchAdamW(_TorchEpsilon, keras.optimizers.AdamW):
    """keras AdamW with torch's epsilon placement; its decoupled decay w -= lr wd w before
    the update is torch.optim.AdamW's already."""


def build_optimizer(spec: NetSpec) -> keras.optimizers.Optimizer:
    o = spec.optimizer
    lr = StepSchedule(o)
    # keras casts hyper-parameters with ops.cast(value, variable.dtype), which turns a Python
    # float into a float32 tensor first: 0.9 becomes 0.899999976. np.float64 (a float
    # subclass, so keras's checks pass) keeps them exact in a float64 model.
    f = np.float64 if spec.dtype == "float64" else float
    if o.name == "sgd":
        opt = TorchSGD(learning_rate=lr, momentum=f(o.momentum), nesterov=o.nesterov)
    elif o.name == "rmsprop":
        opt = TorchRMSprop(
            learning_rate=lr, rho=f(o.alpha), epsilon=f(o.eps), momentum=f(o.momentum)
        )
    elif o.name == "adam":
        opt = TorchAdam(learning_rate=lr, beta_1=f(o.betas[0]), beta_2=f(o.betas[1]), epsilon=o.eps)
    else:
        opt = TorchAdamW(
            learning_rate=lr,
            beta_1=f(o.betas[0]),
            beta_2=f(o.betas[1]),
            epsilon=o.eps,
            weight_decay=f(o.weight_decay),
        )
    opt._compute_dtype = spec.dtype
    return opt


# ----- losses -----------------------------------------------------------------------------


def build_loss(spec: NetSpec):
    """loss(y, out) as torch computes it, in the spec's dtype."""
    dt = spec.dtype
    if spec.loss == "cross_entropy":
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype=dt)
    if spec.loss == "bce_with_logits":
        return keras.losses.BinaryCrossentropy(from_logits=True, dtype=dt)
    reduce = ops.mean if spec.reduction == "mean" else ops.sum
    if spec.loss == "mse":
        return lambda y, out: reduce(ops.square(out - y))

    def bce(y, p):  # torch's BCELoss: each log clamped at -100 (keras clips p at 1e-7)
        log_p = ops.maximum(ops.log(p), -100.0)
        log_1mp = ops.maximum(ops.log(1 - p), -100.0)
        return -reduce(y * log_p + (1 - y) * log_1mp)

    return bce


# ----- the model --------------------------------------------------------------------------


class Model(ModelBase):
    """The TensorFlow backend's model: `self.keras_model` is the `keras.Sequential`."""

    backend = "tensorflow"

    def __init__(self, spec: NetSpec, device: str = "cpu") -> None:
        super().__init__(spec)
        self._tf_device = check_gpu(device)
        gpu = self._tf_device.startswith("/GPU")
        self.device = f"cuda:{self._tf_device.split(':')[1]}" if gpu else "cpu"
        with tf.device(self._tf_device):
            self.keras_model = build_keras_model(spec)
            self.dense = {
                i: layer
                for i, layer in enumerate(self.keras_model.layers)
                if isinstance(layer, keras.layers.Dense)
            }
            self._set_weights(initial_weights(spec))
            self.loss_fn = build_loss(spec)
            self.optimizer = build_optimizer(spec)
            self.optimizer.build(self.keras_model.trainable_variables)
        self._train = self._make_train_step()

    def _make_train_step(self):
        spec, model, opt, loss_fn = self.spec, self.keras_model, self.optimizer, self.loss_fn
        dt = tf.as_dtype(spec.dtype)
        y_spec = (
            tf.TensorSpec([None], tf.int64)
            if spec.loss == "cross_entropy"
            else tf.TensorSpec([None, spec.output_size], dt)
        )
        clip = spec.optimizer.clip_norm
        # torch's weight_decay for sgd/rmsprop/adam is an L2 term added to the gradient
        l2 = spec.optimizer.weight_decay if spec.optimizer.name != "adamw" else 0.0

        @tf.function(
            input_signature=[tf.TensorSpec([None, spec.input_size], dt), y_spec],
            jit_compile=False,
        )
        def train_step(x, y):
            variables = model.trainable_variables
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            grads = tape.gradient(loss, variables)
            if clip is not None:  # torch's clip_grad_norm_: g * min(1, c / (norm + 1e-6))
                norm = tf.linalg.global_norm(grads)
                coef = tf.minimum(tf.constant(clip, dt) / (norm + tf.constant(1e-6, dt)), 1.0)
                grads = [g * coef for g in grads]
            if l2:
                grads = [g + tf.constant(l2, dt) * v for g, v in zip(grads, variables, strict=True)]
            opt.apply_gradients(zip(grads, variables, strict=True))
            return loss

        return train_step

    def _predict(self, x: np.ndarray) -> np.ndarray:
        with tf.device(self._tf_device):
            return np.asarray(self.keras_model(x, training=False), dtype=self.spec.dtype)

    def _train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        with tf.device(self._tf_device):
            return float(self._train(tf.constant(x), tf.constant(y)))

    def _evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        with tf.device(self._tf_device):
            out = self.keras_model(x, training=False)
            loss = float(self.loss_fn(tf.constant(y), out))
        return loss, np.asarray(out, dtype=self.spec.dtype)

    # ----- weights and state ------------------------------------------------------------

    def _get_weights(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i, layer in self.dense.items():
            out[f"{i}.weight"] = layer.kernel.numpy().T  # keras kernel (in, out) -> (out, in)
            if layer.use_bias:
                out[f"{i}.bias"] = layer.bias.numpy()
        return out

    def _set_weights(self, d: dict[str, np.ndarray]) -> None:
        for i, layer in self.dense.items():
            layer.kernel.assign(np.ascontiguousarray(d[f"{i}.weight"].T))
            if layer.use_bias:
                layer.bias.assign(d[f"{i}.bias"])

    def _dropout_seeds(self) -> dict[str, keras.Variable]:
        """Each Dropout layer's seed-generator state (its masks' position in the stream)."""
        return {
            f"dropout.{i}": layer.seed_generator.state
            for i, layer in enumerate(self.keras_model.layers)
            if isinstance(layer, keras.layers.Dropout)
        }

    def _get_state(self) -> dict[str, np.ndarray]:
        out = {f"optim.{i}": v.numpy().copy() for i, v in enumerate(self.optimizer.variables)}
        out.update({k: v.numpy().copy() for k, v in self._dropout_seeds().items()})
        return out

    def _set_state(self, d: dict[str, np.ndarray]) -> None:
        variables = self.optimizer.variables
        for i, v in enumerate(variables):
            key = f"optim.{i}"
            if key not in d:
                raise ValueError(f"state: missing {key!r} (expected a tensorflow get_state())")
            a = np.asarray(d[key])
            if tuple(a.shape) != tuple(v.shape):
                raise ValueError(f"state: {key!r} expected shape {tuple(v.shape)}, got {a.shape}")
            v.assign(a.astype(v.dtype))
        for key, v in self._dropout_seeds().items():
            if key in d:
                v.assign(np.asarray(d[key]).astype(np.int64))

    # ----- native file ------------------------------------------------------------------

    def _save_native(self, path: Path) -> None:
        with atomic_path(path, suffix=".weights.h5") as tmp:  # Keras wants that ending
            self.keras_model.save_weights(str(tmp), overwrite=True)

    def _load_native(self, path: Path) -> None:
        if sniff(path) != "hdf5":
            raise ValueError(
                f"{path}: expected a Keras .weights.h5 file, got {describe_file(path)}"
            )
        probe = build_keras_model(self.spec)
        try:
            probe.load_weights(path)
        except (ValueError, OSError, KeyError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"{path}: weights do not fit the spec ({first})") from None
        dense = [layer for layer in probe.layers if isinstance(layer, keras.layers.Dense)]
        weights: dict[str, np.ndarray] = {}
        for i, layer in zip(self.dense, dense, strict=True):
            weights[f"{i}.weight"] = layer.kernel.numpy().T
            if layer.use_bias:
                weights[f"{i}.bias"] = layer.bias.numpy()
        self._set_weights(check_weights(self.spec, weights, source=str(path)))
