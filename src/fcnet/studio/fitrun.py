"""A fit trained on the Fit page, saved as a run folder like `fcnet fit` writes.

`RecordingFitSession` is the Fit page's session that keeps its model and loss curve;
`save_fit` writes them under the runs folder: run.json (task "fit", the options),
config.json (the NetSpec), metrics.jsonl (one line per update: step, train_loss),
result.json (test_mse and max_abs_error on the page's grid), model.npz (the scaling folded
in, so it maps the raw x to the raw f(x), as `fcnet fit` saves it) and fit.png. Such a
folder is listed on the Runs page and read by `fcnet evaluate` and `fcnet predict`.
A folder that exists is never written into.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

import fcnet
from fcnet import __version__
from fcnet.i18n import gettext as _
from fcnet.runs import METRICS_LOG, RESULT, RUN_JSON, Run
from fcnet.studio.training import FitRequest, FitSession
from fcnet.tasks.fit import FitOptions

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.=+-]{0,127}")


class RecordingFitSession(FitSession):
    """A FitSession that keeps its latest model and its loss at each update."""

    def __init__(self, req: FitRequest) -> None:
        super().__init__(req)
        self.model: Any = None
        self.losses: list[tuple[int, float]] = []
        self.saved: str | None = None

    def _progress(self, model, step: int, loss: float | None) -> dict[str, Any]:
        self.model = model
        if loss is not None and math.isfinite(loss):
            self.losses.append((step, loss))
        return super()._progress(model, step, loss)


def _folder(runs_dir: Path, name: str | None) -> tuple[str, Path]:
    """A new folder for the run: `name`, or fit-studio-<time>[-k]; never an existing one."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    if name is not None:
        if not _NAME.fullmatch(name) or ".." in name:
            raise ValueError(
                _("name: expected a folder name (letters, digits, _ . = + -), got {name!r}").format(
                    name=name[:80]
                )
            )
        path = runs_dir / name
        try:
            path.mkdir()
        except FileExistsError:
            raise ValueError(
                _(
                    "name: {name!r} exists under {runs_dir}; choose another (nothing is "
                    "overwritten)"
                ).format(name=name, runs_dir=runs_dir)
            ) from None
        return name, path
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for k in range(1, 1000):
        candidate = f"fit-studio-{stamp}" + (f"-{k}" if k > 1 else "")
        try:
            (runs_dir / candidate).mkdir()
        except FileExistsError:
            continue
        return candidate, runs_dir / candidate
    raise ValueError(
        _("name: too many runs named fit-studio-{stamp} under {runs_dir}").format(
            stamp=stamp, runs_dir=runs_dir
        )
    )


def save_fit(session: RecordingFitSession, runs_dir: Path, name: str | None = None) -> str:
    """Write the session's fit as a new run folder under `runs_dir`; returns its name."""
    stopping = getattr(session, "_stop", None)
    if session.active and stopping is not None and stopping.is_set():
        session.join(timeout=5)  # asked to stop: it ends after the current step
    if session.active:
        raise ValueError(_("save: the fit is still training; stop it or let it finish, then save"))
    if session.model is None or not session.losses:
        raise ValueError(_("save: this fit has not trained a step yet; nothing to save"))
    req = session.req
    model = fcnet.build(session.spec, "numpy")
    model.set_weights({k: np.asarray(v) for k, v in session.model.get_weights().items()})
    session.scale.fold(model)  # raw x in, raw f(x) out, as `fcnet fit` saves it
    grid = session.grid.reshape(-1, 1).astype(np.float64)  # (G, 1)
    curve = np.asarray(model.predict(grid.astype(np.float32)), np.float64).reshape(-1)  # (G,)
    err = curve - session.target
    metrics = {
        "test_mse": float(np.mean(err * err)),
        "max_abs_error": float(np.max(np.abs(err))),
        "train_mse": session.losses[-1][1],
    }
    run_name, path = _folder(runs_dir, name)
    widths = [req.width] * req.depth
    # fcnet fit's own options (their defaults), then what this fit used
    options = {f.name: f.default for f in dataclasses.fields(FitOptions)}
    options |= {
        "backend": req.backend,
        "config": None,
        "hidden": ",".join(str(w) for w in widths),
        "activation": req.activation,
        "optimizer": req.optimizer,
        "lr": req.lr,
        "batch_size": req.samples,  # the studio trains on all samples each step
        "epochs": None,
        "steps": session.losses[-1][0],
        "weight_decay": None,
        "dropout": None,
        "seed": req.seed,
        "out": str(path),
        "early_stopping": False,
        "quiet": True,
        "range": [req.x_min, req.x_max],
        "yrange": [-math.pi, math.pi],
        "samples": req.samples,
        "noise": req.noise,
        "sweep": False,
        "expr": req.expr,
        "source": "fcnet studio",
    }
    meta = {
        "task": "fit",
        "fcnet_version": __version__,
        "started": datetime.now().isoformat(timespec="seconds"),
        "options": options,
    }
    result = {
        "task": "fit",
        "backend": req.backend,
        "metrics": metrics,
        "steps_run": session.losses[-1][0],
        "stopped_early": session.status == "stopped",
        "expr": req.expr,
        "variables": ["x"],
        "ranges": [[req.x_min, req.x_max]],
        "grid_points": len(session.grid),
        "source": "fcnet studio",
    }
    lines = "".join(
        json.dumps({"step": step, "train_loss": loss}) + "\n" for step, loss in session.losses
    )
    run = Run("fit", path, options, resuming=False, meta=meta)  # the run folder's writer
    run.path(RUN_JSON)  # run.json first, as a task writes it
    run.save_spec(model.spec)
    run.write_text(METRICS_LOG, lines)
    run.save_model(model)
    # a figure is a nicety: the run is complete without it (Run.plot reports, never raises)
    run.plot(
        "fit_curve", "fit.png", session.grid, session.target, curve, title=f"f(x) = {req.expr}"
    )
    run.write_json(RESULT, result)
    session.saved = run_name
    return run_name
