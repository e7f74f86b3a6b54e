"""Dropout's effect in every backend, not only that training with it runs.

A d-d-d network whose two linear layers are the identity and whose hidden activation is
the identity passes its input straight through, except for dropout: in training mode the
output of an input of ones *is* the mask. So: about p of the values are zeroed, the rest
are 1/(1-p); in eval mode (predict) the output is the input. And given the same masks,
one step of numpy and of torch lands on the same weights.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fcnet.backends import build
from fcnet.spec import NetSpec

BACKENDS = ["numpy", "torch", "tensorflow"]
D, N = 50, 2000  # 100,000 values: the zeroed share is p within 0.01 (7 standard deviations)


def _spec(p: float, dtype: str = "float32") -> NetSpec:
    return NetSpec.from_dict(
        {
            "input_size": D,
            "hidden": [{"width": D, "activation": "identity", "dropout": p}],
            "output_size": D,
            "loss": "mse",
            "dtype": dtype,
            "seed": 3,
        }
    )


def _identity_model(p: float, backend: str):
    model = build(_spec(p), backend)
    eye = np.eye(D, dtype=np.float32)
    weights = {k: (eye if k.endswith("weight") else np.zeros(D, np.float32)) for k in
               model.get_weights()}  # fmt: skip
    model.set_weights(weights)
    return model


def _train_mode_output(model, x: np.ndarray) -> np.ndarray:
    """One forward pass in training mode, through the framework's own module."""
    if model.backend == "numpy":
        model.net.train()
        return np.asarray(model.net(x))
    if model.backend == "torch":
        model.module.train()
        with torch.no_grad():
            return model.module(torch.from_numpy(x)).numpy()
    return np.asarray(model.keras_model(x, training=True))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_training_mode_zeroes_p_and_rescales_the_rest(backend, p):
    model = _identity_model(p, backend)
    out = _train_mode_output(model, np.ones((N, D), np.float32))
    zeroed = out == 0
    assert abs(zeroed.mean() - p) < 0.01, zeroed.mean()
    # 1/keep, keep within 2^-17 of 1-p (fcnet.nn draws 16-bit integers)
    np.testing.assert_allclose(out[~zeroed], 1 / (1 - p), rtol=2e-5)
    # a fresh mask for every pass, and not the same mask for every row
    again = _train_mode_output(model, np.ones((N, D), np.float32)) == 0
    assert (again != zeroed).mean() > p * (1 - p)  # two independent masks differ at 2p(1-p)
    assert len({row.tobytes() for row in zeroed[:50]}) == 50


@pytest.mark.parametrize("backend", BACKENDS)
def test_eval_mode_is_the_identity(backend):
    model = _identity_model(0.5, backend)
    x = np.random.default_rng(0).standard_normal((64, D)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x), x)
    assert model.evaluate(x, x)["loss"] == 0.0


def test_same_masks_give_the_same_step_in_numpy_and_torch():
    """torch draws its masks from its own generator: record them (tanh is never exactly 0,
    so a zero out of Dropout is a dropped unit), and hand numpy's Dropout
    uniforms that keep exactly the same units; one Adam step must then agree."""
    spec = NetSpec.from_dict(
        {
            "input_size": 6,
            "hidden": [
                {"width": 16, "activation": "tanh", "dropout": 0.4},
                {"width": 8, "activation": "tanh", "dropout": 0.4},
            ],
            "output_size": 3,
            "loss": "mse",
            "dtype": "float64",
            "seed": 5,
        }
    )
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((32, 6)), rng.standard_normal((32, 3))
    t_model = build(spec, "torch")
    w0 = t_model.get_weights()

    masks: list[np.ndarray] = []
    drops = [m for m in t_model.module if isinstance(m, torch.nn.Dropout)]
    hooks = [
        d.register_forward_hook(lambda mod, inp, out: masks.append((out != 0).numpy().copy()))
        for d in drops
    ]
    t_model.train_step(x, y)
    for h in hooks:
        h.remove()
    assert len(masks) == 2 and 0.3 < np.mean([np.mean(~m) for m in masks]) < 0.5
    tw = t_model.get_weights()

    def numpy_step(replayed: list[np.ndarray]) -> dict[str, np.ndarray]:
        model = build(spec, "numpy")
        model.set_weights(w0)
        n_drops = [layer for layer in model.net.layers if type(layer).__name__ == "Dropout"]
        for layer, mask in zip(n_drops, replayed, strict=True):
            layer.rng = _Replay(mask)
        model.train_step(x, y)
        return model.get_weights()

    nw = numpy_step(masks)
    for k in tw:
        # fcnet keeps a value with probability round((1-p) 2^16) / 2^16, torch with 1-p: the
        # rescaled values differ by 1e-5 relative, the step by far less than other masks move it
        np.testing.assert_allclose(nw[k], tw[k], rtol=1e-6, atol=1e-7, err_msg=k)
    # the masks matter: other masks (torch's, shifted by a row) land elsewhere
    other = numpy_step([np.roll(m, 1, axis=0) for m in masks])
    assert max(np.abs(other[k] - tw[k]).max() for k in tw) > 1e-4


class _Replay:
    """Stands in for numpy's generator: uniforms below 1-p exactly where torch kept."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask

        self.bit_generator = self  # fcnet.nn.Dropout draws raw 16-bit integers from it

    def random(self, shape, dtype=np.float64):
        assert tuple(shape) == self.mask.shape
        return np.where(self.mask, 0.0, 0.99).astype(dtype)

    def random_raw(self, n: int) -> np.ndarray:
        """Raw 64-bit draws whose 16-bit quarters are 0 where torch kept, 65535 elsewhere."""
        r = np.where(self.mask.ravel(), 0, 65535).astype(np.uint16)
        out = np.full(4 * n, 65535, np.uint16)
        out[: r.size] = r
        return out.view(np.uint64)
