"""Hypothesis over the fields of a checkpoint's metadata and of run.json: whatever a field
holds (or lacks), resuming or evaluating either works or stops with one ValueError/OSError
naming the file, and nothing is written before the fields are checked."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fcnet.backends import build
from fcnet.expr import ExprError
from fcnet.spec import NetSpec
from fcnet.tasks import options, run_folder
from fcnet.tasks.evaluate import evaluate
from fcnet.tasks.fit import PRESET as FIT_PRESET
from fcnet.tasks.fit import FitOptions
from fcnet.train import train

_MISSING = object()  # the field is deleted

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
replacements = st.one_of(st.just(_MISSING), json_values)

_FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _set(d: dict, path: tuple[str, ...], value: object) -> None:
    for key in path[:-1]:
        d = d[key]
    if value is _MISSING:
        d.pop(path[-1], None)
    else:
        d[path[-1]] = value


# ----- checkpoint metadata ------------------------------------------------------------------


def _spec() -> NetSpec:
    return NetSpec(input_size=3, hidden=[5], output_size=2, loss="cross_entropy", seed=1)


@pytest.fixture(scope="module")
def checkpoint_dir():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    folder = Path(tempfile.mkdtemp())
    kw = dict(epochs=2, batch_size=8, progress=False, evals={"val": (x, y)})
    train(build(_spec()), x, y, checkpoint=folder / "ckpt.npz", **kw)
    yield folder, x, y, kw
    shutil.rmtree(folder)


META_FIELDS = [
    ("version",),
    ("backend",),
    ("epoch",),
    ("step",),
    ("loss_sum",),
    ("seconds",),
    ("wait",),
    ("rng",),
    ("rng", "bit_generator"),
    ("rng", "state"),
    ("history",),
    ("history", "records"),
    ("history", "best_epoch"),
    ("history", "best_value"),
    ("history", "stopped_early"),
    ("history", "seconds"),
]


@_FUZZ
@given(field=st.sampled_from(META_FIELDS), value=replacements)
def test_checkpoint_metadata_fuzz(checkpoint_dir, field, value):
    folder, x, y, kw = checkpoint_dir
    with np.load(folder / "ckpt.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["__meta__"]))
    _set(meta, field, value)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt, log = Path(tmp) / "ckpt.npz", Path(tmp) / "metrics.jsonl"
        with open(ckpt, "wb") as fh:
            np.savez(fh, **{**arrays, "__meta__": np.array(json.dumps(meta))})
        log.write_text("the old log\n")
        try:
            train(build(_spec()), x, y, checkpoint=ckpt, metrics_log=log, resume=True, **kw)
        except (ValueError, OSError) as exc:
            assert str(ckpt) in str(exc), exc
            assert "\n" not in str(exc)
            assert log.read_text() == "the old log\n"  # nothing written before the check


# ----- run.json -----------------------------------------------------------------------------


RUN_FIELDS = [
    ("task",),
    ("options",),
    *[("options", key) for key in ("expr", "range", "backend", "seed", "epochs", "hidden")],
    *[("options", key) for key in ("samples", "noise", "sweep", "lr", "dropout", "quiet")],
]


@_FUZZ
@given(field=st.sampled_from(RUN_FIELDS), value=replacements)
def test_run_json_fuzz(_fit_run_template, field, value):
    saved = json.loads((_fit_run_template / "run.json").read_text())
    _set(saved, field, value)
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(shutil.copytree(_fit_run_template, Path(tmp) / "fit"))
        (run / "run.json").write_text(json.dumps(saved))
        before = sorted(p.name for p in run.iterdir())
        for attempt in (
            lambda: evaluate(run),
            lambda: options.check(
                FitOptions,
                run_folder.start_run("fit", FitOptions, {}, resume=run, preset=FIT_PRESET).options,
            ),
        ):
            try:
                attempt()
            except ExprError:
                pass  # a bad saved expression: the parser's message (with its caret line)
            except (ValueError, OSError) as exc:
                assert "\n" not in str(exc).strip()
        assert sorted(p.name for p in run.iterdir()) == before
