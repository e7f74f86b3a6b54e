"""The shared training loop: resume bit for bit, NaN guard, early stopping, Ctrl-C."""

from __future__ import annotations

import json
import zipfile
from typing import ClassVar

import numpy as np
import pytest

from fcnet.backends import build
from fcnet.spec import LayerSpec, NetSpec, OptimizerSpec, ScheduleSpec
from fcnet.train import Callback, Interrupted, TrainingDiverged, train


def _spec(**kw) -> NetSpec:
    base = dict(
        input_size=6,
        hidden=[LayerSpec(width=16, dropout=0.1)],
        output_size=3,
        loss="cross_entropy",
        optimizer=OptimizerSpec(
            name="adam", lr=1e-2, schedule=ScheduleSpec(name="cosine", total_steps=40)
        ),
        seed=3,
    )
    base.update(kw)
    return NetSpec(**base)


def _data(n=100, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 1).astype(np.int64)
    return x, y


class _StopAt(Callback):
    """Raise KeyboardInterrupt (a simulated Ctrl-C) after a given step of an epoch."""

    def __init__(self, epoch: int, step: int) -> None:
        self.epoch, self.step = epoch, step

    def on_step_end(self, epoch, step, loss):
        if (epoch, step) == (self.epoch, self.step):
            raise KeyboardInterrupt


def _same_state(a, b) -> None:
    sa, sb = a.get_state(), b.get_state()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert np.array_equal(sa[k], sb[k]), k
    assert a.steps == b.steps


def _records(h):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in h.records]


def test_interrupted_mid_epoch_then_resumed_is_bit_identical(tmp_path):
    x, y = _data()
    val = _data(40, seed=1)
    kw = dict(epochs=4, batch_size=10, seed=5, evals={"val": val}, progress=False)
    straight = build(_spec())
    h_straight = train(straight, x, y, **kw)

    model = build(_spec())
    ckpt = tmp_path / "ckpt.npz"
    log = tmp_path / "metrics.jsonl"
    with pytest.raises(Interrupted) as info:
        train(model, x, y, checkpoint=ckpt, metrics_log=log, callbacks=[_StopAt(3, 4)], **kw)
    assert info.value.checkpoint == ckpt and ckpt.is_file()
    assert "epoch 3, step 4" in str(info.value)
    assert len(log.read_text().splitlines()) == 2

    resumed = build(_spec())  # fresh weights: everything must come from the checkpoint
    h = train(resumed, x, y, checkpoint=ckpt, metrics_log=log, resume=True, **kw)
    _same_state(resumed, straight)
    assert _records(h) == _records(h_straight)
    assert len(log.read_text().splitlines()) == 4


def test_two_epochs_plus_two_resumed_equal_four(tmp_path):
    spec = _spec(optimizer=OptimizerSpec(name="adam", lr=1e-2))  # constant lr
    x, y = _data()
    straight = build(spec)
    train(straight, x, y, epochs=4, batch_size=16, seed=2, progress=False)
    model = build(spec)
    ckpt = tmp_path / "c.npz"
    train(model, x, y, epochs=2, batch_size=16, seed=2, checkpoint=ckpt, progress=False)
    assert not np.array_equal(model.get_weights()["0.weight"], straight.get_weights()["0.weight"])
    again = build(spec)
    train(
        again, x, y, epochs=4, batch_size=16, seed=2, checkpoint=ckpt, resume=True, progress=False
    )
    _same_state(again, straight)


def test_checkpoint_is_plain_npz_without_pickle(tmp_path):
    x, y = _data()
    ckpt = tmp_path / "c.npz"
    train(build(_spec()), x, y, epochs=1, batch_size=32, checkpoint=ckpt, progress=False)
    with np.load(ckpt, allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)
        meta = json.loads(str(z["__meta__"]))
    assert meta["epoch"] == 1 and meta["backend"] == "numpy"
    assert zipfile.is_zipfile(ckpt)
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temporary file


def test_nan_loss_stops_with_epoch_step_and_advice():
    spec = NetSpec(
        input_size=6,
        hidden=[LayerSpec(width=16)],
        output_size=1,
        loss="mse",
        reduction="sum",
        optimizer=OptimizerSpec(name="sgd", lr=1e3),
    )
    x, y = _data()
    y = (10 * y).astype(np.float32)
    with pytest.raises(
        TrainingDiverged,
        match=r"epoch 1, step \d+ of 10.*lower learning rate.*"
        r"reduction \"mean\" instead of \"sum\"",
    ):
        train(build(spec), x, y, epochs=3, batch_size=10, progress=False)


def test_early_stopping_restores_the_best_weights():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 6)).astype(np.float32)
    y = rng.integers(0, 3, 40)  # random labels: validation loss soon rises
    val = (rng.standard_normal((200, 6)).astype(np.float32), rng.integers(0, 3, 200))
    spec = _spec(hidden=[LayerSpec(width=64)], optimizer=OptimizerSpec(name="adam", lr=3e-2))
    model = build(spec)

    class Keep(Callback):
        weights: ClassVar[dict] = {}

        def on_epoch_end(self, record):
            self.weights[record["epoch"]] = model.get_weights()

    keep = Keep()
    h = train(
        model,
        x,
        y,
        epochs=100,
        batch_size=8,
        evals={"val": val},
        early_stopping=True,
        patience=3,
        callbacks=[keep],
        progress=False,
    )
    losses = h.column("val_loss")
    assert h.stopped_early and len(h.records) < 100
    assert h.best_epoch == int(np.argmin(losses)) + 1
    assert len(h.records) == h.best_epoch + 3
    best = keep.weights[h.best_epoch]
    last = keep.weights[len(h.records)]
    now = model.get_weights()
    assert all(np.array_equal(now[k], best[k]) for k in now)
    assert not all(np.array_equal(now[k], last[k]) for k in now)


def test_early_stopping_on_accuracy_maximises():
    x, y = _data()
    model = build(_spec(optimizer=OptimizerSpec(name="adam", lr=1e-2)))
    h = train(
        model,
        x,
        y,
        epochs=6,
        batch_size=10,
        evals={"val": _data(40, 1)},
        early_stopping=True,
        monitor="accuracy",
        patience=10,
        progress=False,
    )
    acc = h.column("val_accuracy")
    assert h.best_value == max(acc) and h.best_epoch == acc.index(max(acc)) + 1


def test_evaluation_records_every_set_and_train_metric_names():
    x, y = _data()
    h = train(
        build(_spec()),
        x,
        y,
        epochs=2,
        batch_size=25,
        evals={"train": (x, y), "val": _data(30, 1), "test": _data(30, 2)},
        progress=False,
    )
    r = h.records[-1]
    assert set(r) == {
        "epoch",
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
        "test_loss",
        "test_accuracy",
        "seconds",
    }
    assert r["epoch"] == 2 and all(np.isfinite(v) for v in r.values())


def test_weighted_sampling_draws_only_weighted_samples():
    x, y = _data()
    seen = []

    class Spy:
        backend, steps, spec = "spy", 0, None

        def train_step(self, xb, yb):
            seen.append(xb[:, 5].copy())
            return 0.0

    w = np.zeros(len(x))
    w[:10] = 1.0
    train(Spy(), x, y, epochs=3, batch_size=7, sample_weights=w, progress=False)
    drawn = np.concatenate(seen)
    assert len(drawn) == 3 * len(x)
    assert set(drawn.tolist()) <= set(x[:10, 5].tolist())


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (dict(epochs=0), "epochs: expected an int >= 1"),
        (dict(batch_size=0), "batch_size: expected an int >= 1"),
        (dict(monitor="f1"), "monitor: expected one of loss, accuracy, auc"),
        (dict(early_stopping=True), r"early_stopping: needs a validation set"),
    ],
)
def test_bad_arguments_are_one_line_value_errors(kw, match):
    x, y = _data()
    args = dict(epochs=1, batch_size=10, progress=False) | kw
    with pytest.raises(ValueError, match=match):
        train(build(_spec()), x, y, **args)


def test_resume_refuses_another_backends_checkpoint(tmp_path):
    x, y = _data()
    ckpt = tmp_path / "c.npz"
    train(build(_spec()), x, y, epochs=1, batch_size=50, checkpoint=ckpt, progress=False)
    meta_fixed = dict(np.load(ckpt, allow_pickle=False))
    meta = json.loads(str(meta_fixed["__meta__"]))
    meta["backend"] = "torch"
    meta_fixed["__meta__"] = np.array(json.dumps(meta))
    np.savez(ckpt, **meta_fixed)
    with pytest.raises(ValueError, match="written by backend 'torch'"):
        train(
            build(_spec()),
            x,
            y,
            epochs=2,
            batch_size=50,
            checkpoint=ckpt,
            resume=True,
            progress=False,
        )


def _jitter(xb, rng):
    return xb + rng.normal(0.0, 0.1, size=xb.shape).astype(xb.dtype)


def test_augmented_training_resumes_bit_identically(tmp_path):
    x, y = _data()
    kw = dict(epochs=3, batch_size=20, seed=1, augment=_jitter, progress=False)
    straight = build(_spec())
    train(straight, x, y, **kw)
    model = build(_spec())
    ckpt = tmp_path / "c.npz"
    with pytest.raises(Interrupted):
        train(model, x, y, checkpoint=ckpt, callbacks=[_StopAt(2, 3)], **kw)
    resumed = build(_spec())
    train(resumed, x, y, checkpoint=ckpt, resume=True, **kw)
    _same_state(resumed, straight)
    plain = build(_spec())
    train(plain, x, y, **{**kw, "augment": None})
    assert not np.array_equal(plain.get_weights()["0.weight"], straight.get_weights()["0.weight"])


# ----- the loop's callbacks, loss weights and order -------------------------------------------


def test_a_callback_stops_training_and_sees_every_hook():
    x, y = _data()
    seen = []

    class StopAfterTwo(Callback):
        def on_train_begin(self, state):
            self.state = state
            seen.append("begin")

        def on_epoch_record(self, record):
            seen.append(("record", record["epoch"]))

        def on_epoch_end(self, record):
            seen.append(("end", record["epoch"]))
            if record["epoch"] == 2:
                self.state.history.stopped_early = True

        def on_train_end(self):
            seen.append("train_end")

    h = train(build(_spec()), x, y, epochs=9, batch_size=20, progress=False,
              callbacks=[StopAfterTwo()])  # fmt: skip
    assert len(h.records) == 2 and h.stopped_early
    assert seen == ["begin", ("record", 1), ("end", 1), ("record", 2), ("end", 2), "train_end"]


def test_loss_weights_reach_the_step_and_weightless_batches_are_skipped():
    x, y = _data(n=30)
    calls = []

    class Spy:
        backend, steps, spec = "spy", 0, None

        def train_step(self, xb, yb, sample_weight=None):
            calls.append((xb[:, 0].copy(), None if sample_weight is None else sample_weight.copy()))
            return 2.0

    w = np.ones(30)
    w[10:20] = 0.0  # the second batch (in order) weighs nothing
    h = train(Spy(), x, y, epochs=1, batch_size=10, loss_weights=w, shuffle=False,
              progress=False)  # fmt: skip
    assert len(calls) == 2  # three batches, one skipped
    np.testing.assert_array_equal(calls[0][0], x[:10, 0])  # shuffle=False: in order
    np.testing.assert_array_equal(calls[1][0], x[20:, 0])
    assert all(np.array_equal(c[1], np.ones(10)) for c in calls)
    assert h.records[0]["train_loss"] == pytest.approx(2.0)  # the weighted mean


# ----- the training set checked once per fit -------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
def test_a_set_checked_once_trains_the_same_bits_as_batches_checked_each_step(weighted):
    from fcnet.train import _checked_set

    x, y = _data(n=90)
    x_f = np.asfortranarray(x)  # the same values in another layout: each batch checked
    model_a, model_b = build(_spec()), build(_spec())
    assert _checked_set(model_a, x, y) is not None
    assert _checked_set(model_b, x_f, y) is None
    w = np.linspace(0.0, 2.0, 90) if weighted else None
    kw = dict(epochs=2, batch_size=16, seed=4, loss_weights=w, progress=False)
    h_a = train(model_a, x, y, **kw)
    h_b = train(model_b, x_f, y, **kw)
    _same_state(model_a, model_b)  # every weight and optimiser buffer, bit for bit
    assert _records(h_a) == _records(h_b)
    assert model_a.steps == 2 * 6  # 90 samples in batches of 16: 6 a epoch, the last of 10


def test_a_nan_anywhere_in_the_training_set_is_refused_before_the_first_step():
    x, y = _data(n=90)
    x[-1, 2] = np.nan  # in the last batch: each batch checked, 5 steps would run first
    model = build(_spec())
    with pytest.raises(ValueError, match=r"^x: expected finite values, got NaN or inf$"):
        train(model, x, y, epochs=1, batch_size=16, shuffle=False, progress=False)
    assert model.steps == 0
    y_bad = y.copy()
    y_bad[-1] = 3  # out of range for 3 classes
    with pytest.raises(ValueError, match=r"y: expected labels in 0\.\.2, got values in 0\.\.3"):
        train(model, np.nan_to_num(x), y_bad, epochs=1, batch_size=16, progress=False)
    assert model.steps == 0
