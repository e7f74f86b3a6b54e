"""The studio's Backprop page and its API: a small network's forward pass, δ recursion,
gradients and SGD step, one sample at a time or trained on a 2-D data set; and a learner's
backprop exercise file explained (`/backprop?explain=FILE`, `fcnet.learn.explain`).

Every number comes from `fcnet.explain` (fcnet's numpy engine, float64), the same code
as `fcnet backprop`; the page only draws. Requests are stateless (the page sends the
weights), so no request can leave anything behind, and each is validated here again.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from pydantic import Field

from fcnet.explain import checks, text, toy, trace
from fcnet.i18n import gettext as _
from fcnet.studio.exercise_files import MAX_NAME, exercise_file
from fcnet.studio.training import StrictRequest

router = APIRouter()
PAGE = Path(__file__).resolve().parent / "static" / "backprop.html"
# The page draws every unit: about 4 hidden layers of 8 units.
MAX_LAYERS = 5  # Linear layers
MAX_UNITS = 8
GRID = 40  # decision boundary: GRID x GRID points
MAX_EXPLAINING = 2  # learners' files explained at once (each in its own sandboxed child)
_explaining = threading.BoundedSemaphore(MAX_EXPLAINING)


class LayerWeights(StrictRequest):
    W: list[list[float]] = Field(min_length=1, max_length=MAX_UNITS)
    b: list[float] = Field(min_length=1, max_length=MAX_UNITS)


class NetRequest(StrictRequest):
    """The network: sizes, activation, loss, and its weights (None: drawn from seed)."""

    sizes: list[int] = Field(min_length=2, max_length=MAX_LAYERS + 1)
    activation: str = "relu"
    output_activation: str = "linear"
    loss: str = "cross_entropy"
    weights: list[LayerWeights] | None = Field(default=None, max_length=MAX_LAYERS)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    lr: float = 0.1

    def net(self) -> trace.Net:
        trace.check_choice("activation", self.activation, trace.ACTIVATIONS)
        trace.check_choice("loss", self.loss, trace.LOSSES)
        trace.check_output_activation(self.output_activation, self.loss)
        sizes = trace.check_sizes(self.sizes, self.loss, max_layers=MAX_LAYERS, max_units=MAX_UNITS)
        trace.check_lr(self.lr)
        if self.weights is None:
            weights = trace.init_weights(sizes, self.activation, self.seed)
        else:
            layers = [w.model_dump() for w in self.weights]
            _sizes, weights = trace.check_weights(layers, sizes, source="weights")
        return trace.Net(sizes, self.activation, self.loss, weights, self.output_activation)


class StepRequest(NetRequest):
    """One sample: x (n_0 numbers) and y (a class index, or n_L numbers)."""

    x: list[float] = Field(min_length=1, max_length=MAX_UNITS)
    y: int | float | list[float]


class TrainRequest(NetRequest):
    """`steps` full-batch SGD steps on `points` points of a 2-D data set."""

    dataset: str = "moons"
    points: int = Field(default=200, ge=10, le=1000)
    steps: int = Field(default=10, ge=1, le=500)


class ExplainRequest(StrictRequest):
    """A learner's backprop file, relative to the exercise root, and the network's seed."""

    file: str = Field(min_length=1, max_length=MAX_NAME)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class DataRequest(StrictRequest):
    dataset: str = "moons"
    points: int = Field(default=200, ge=10, le=1000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


def _weights_json(net: trace.Net) -> list[dict[str, Any]]:
    return [{"W": trace.json_floats(W), "b": trace.json_floats(b)} for W, b in net.weights]


def _data(dataset: str, points: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return toy.make(dataset, points, seed)


def _train_targets(net: trace.Net, y: np.ndarray) -> np.ndarray:
    """Labels for cross_entropy (2 outputs), else y as one float output."""
    want = 2 if net.loss == "cross_entropy" else 1
    if net.sizes[0] != 2 or net.sizes[-1] != want:
        raise ValueError(
            _(
                "sizes: a 2-D data set with {loss} needs 2 inputs and {want} output(s), got {got}"
            ).format(loss=net.loss, want=want, got="-".join(map(str, net.sizes)))
        )
    return y if net.loss == "cross_entropy" else y[:, None].astype(np.float64)


@router.get("/backprop", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(PAGE, media_type="text/html")


@router.post("/api/backprop/step")
def step(req: StepRequest) -> dict[str, Any]:
    """Forward, backward and one SGD step on one sample: every number and its formula."""
    net = req.net()
    x = trace.check_input(req.x, net.sizes)
    y = trace.check_target([req.y] if net.loss == "cross_entropy" else req.y, net.sizes, net.loss)
    with np.errstate(all="ignore"):  # an overflow shows as null and fails the check
        result = trace.step(net, x, y, req.lr)
        found = {"finite_difference": checks.finite_difference(result)}
    doc = result.to_json()
    doc["checks"] = checks.to_json(found, result)
    doc["updated"] = _weights_json(trace.updated(result))
    ex = text.explain(result, _("from the page"))
    doc["text"] = {
        "lines": ex.lines(),
        "inputs": ex.inputs,
        "output": ex.output,
        "tex_inputs": ex.tex_inputs,
        "tex_output": ex.tex_output,
        "layers": [
            {
                "forward": lt.forward,
                "backward": lt.backward,
                "grads": lt.grads,
                "update": lt.update,
                "units": lt.units,
                "edges": lt.edges,
                "tex": lt.tex,
            }
            for lt in ex.layers
        ],
    }
    return doc


@router.post("/api/backprop/data")
def data(req: DataRequest) -> dict[str, Any]:
    x, y = _data(req.dataset, req.points, req.seed)
    return {"x": x.tolist(), "y": y.tolist()}


@router.post("/api/backprop/train")
def train(req: TrainRequest) -> dict[str, Any]:
    """`steps` full-batch steps (the batch mean of the one-sample formulas); the new
    weights, each step's loss, the last step's mean gradients, the decision boundary, and
    the dead units (relu's z <= 0 for every point of the data set)."""
    net = req.net()
    x, labels = _data(req.dataset, req.points, req.seed)
    y = _train_targets(net, labels)
    losses = []
    result = None
    for _step in range(req.steps):
        result = trace.step(net, x, y, req.lr)
        if not np.isfinite(result.loss):
            raise ValueError(
                _("lr: training diverged (loss {loss}); try a smaller lr").format(loss=result.loss)
            )
        losses.append(result.loss)
        net = trace.updated(result)
    assert result is not None
    for W, b in net.weights:
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise ValueError(_("lr: the weights overflowed; try a smaller lr"))
    lo, hi = x.min(axis=0) - 0.5, x.max(axis=0) + 0.5
    gx, gy = np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID)
    grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)  # (GRID^2, 2), row-major in y
    p_grid = trace.predict(net, grid)
    p_data = trace.predict(net, x)
    p1 = p_grid[:, 1] if net.loss == "cross_entropy" else p_grid[:, 0]
    hit = (p_data[:, 1] if net.loss == "cross_entropy" else p_data[:, 0]) > 0.5
    return {
        "weights": _weights_json(net),
        "losses": losses,
        "loss": trace.forward_loss(net, x, y),
        "accuracy": float(np.mean(hit == (labels == 1))),
        "gradients": [{"dW": t.dW.tolist(), "db": t.db.tolist()} for t in result.layers],
        "dead": trace.dead_units(net, x),
        "boundary": {
            "x": [float(lo[0]), float(hi[0])],
            "y": [float(lo[1]), float(hi[1])],
            "n": GRID,
            "p": np.round(p1, 4).tolist(),
        },
    }


@router.post("/api/backprop/explain")
def explain(req: ExplainRequest, request: Request) -> dict[str, Any]:
    """The learner's five functions run along a small network, in the checks' sandboxed
    child, beside fcnet's numbers (`fcnet.learn.explain.explain_backprop`)."""
    from fcnet.learn.explain import explain_backprop

    path = exercise_file(request, req.file)
    if not _explaining.acquire(blocking=False):
        raise HTTPException(
            429,
            _("busy: {count} files are being explained; try again in a moment").format(
                count=MAX_EXPLAINING
            ),
        )
    try:
        doc = explain_backprop(path, seed=req.seed)
    finally:
        _explaining.release()
    return {"file": req.file, **doc}
