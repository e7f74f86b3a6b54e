"""Ctrl-C at random moments of a real `fcnet fit` process: every one leaves a finished run,
a checkpoint that --resume takes to the end, or (before training) nothing, and says which."""

from __future__ import annotations

import random

import pytest
from _sigint import full_run_seconds, one_try

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture(scope="module")
def window(tmp_path_factory) -> float:
    return full_run_seconds(tmp_path_factory.mktemp("full") / "run")


def test_single_ctrl_c_at_random_moments(tmp_path, window):
    rng = random.Random()
    seed = rng.randrange(10**6)
    rng.seed(seed)
    # one draw in each third of the run: start-up, training, the end (plots, summary)
    delays = [rng.uniform(window * k / 3, window * (k + 1) / 3) + 0.1 for k in range(3)]
    for i, delay in enumerate(delays):
        r = one_try(tmp_path / f"run{i}", delay)
        assert not r["outcome"].startswith("LOST"), (seed, r)


def test_two_quick_ctrl_c_keep_the_checkpoint(tmp_path, window):
    rng = random.Random()
    delay = rng.uniform(window * 0.3, window * 0.8)
    r = one_try(tmp_path / "run", delay, second=0.02)
    assert not r["outcome"].startswith("LOST"), r


# ----- the same, in-process and deterministic: real SIGINTs at chosen points ----------------


def _setup():
    import numpy as np

    from fcnet.backends import build
    from fcnet.spec import NetSpec

    spec = NetSpec(input_size=4, hidden=[8], output_size=2, loss="cross_entropy", seed=2)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    return spec, build, x, y


class _SigintInStep:
    """Wraps a model: during optimiser step `at` (1-based, counted over the run) it sends
    `count` real SIGINTs to this process, then does the step."""

    def __init__(self, model, at: int, count: int = 1) -> None:
        self.model, self.at, self.count, self.n = model, at, count, 0

    def __getattr__(self, name):
        return getattr(self.model, name)

    def train_step(self, xb, yb):
        import os
        import signal

        self.n += 1
        if self.n == self.at:
            for _ in range(self.count):
                os.kill(os.getpid(), signal.SIGINT)
        return self.model.train_step(xb, yb)


def test_a_ctrl_c_inside_a_step_waits_for_the_step_then_saves(tmp_path):
    import numpy as np

    from fcnet.train import Interrupted, train

    spec, build, x, y = _setup()
    kw = dict(epochs=3, batch_size=16, progress=False)
    straight = build(spec)
    train(straight, x, y, **kw)
    model = _SigintInStep(build(spec), at=6)
    with pytest.raises(Interrupted) as info:
        train(model, x, y, checkpoint=tmp_path / "c.npz", **kw)
    assert info.value.checkpoint == tmp_path / "c.npz"
    assert "epoch 2, step 2" in str(info.value)  # step 6 (4 a epoch) finished, then saved
    resumed = build(spec)
    train(resumed, x, y, checkpoint=tmp_path / "c.npz", resume=True, **kw)
    for k, v in straight.get_weights().items():
        np.testing.assert_array_equal(resumed.get_weights()[k], v)


@pytest.mark.parametrize("extra", [1, 2])
def test_more_ctrl_c_during_the_save_wait_for_it(tmp_path, monkeypatch, extra):
    import os
    import signal

    import fcnet.checkpoint as checkpoint_module
    from fcnet.train import Interrupted, train

    spec, build, x, y = _setup()
    real_save = checkpoint_module.save

    def save_under_fire(path, model, state):
        for _ in range(extra):  # the second (and third) Ctrl-C arrive while saving
            os.kill(os.getpid(), signal.SIGINT)
        real_save(path, model, state)

    monkeypatch.setattr(checkpoint_module, "save", save_under_fire)
    model = _SigintInStep(build(spec), at=3)
    try:
        train(model, x, y, epochs=3, batch_size=16, progress=False, checkpoint=tmp_path / "c.npz")
    except Interrupted as exc:
        assert exc.checkpoint == tmp_path / "c.npz" and (tmp_path / "c.npz").is_file()
    except KeyboardInterrupt:
        pytest.fail("a Ctrl-C during the checkpoint's save cut the save short")
    else:
        pytest.fail("the Ctrl-C was not reported")


def test_three_ctrl_c_inside_a_step_abort_it_and_say_so(tmp_path):
    from fcnet.train import Interrupted, train

    spec, build, x, y = _setup()
    model = _SigintInStep(build(spec), at=3, count=3)
    with pytest.raises(Interrupted, match="aborted inside an optimiser step") as info:
        train(model, x, y, epochs=3, batch_size=16, progress=False, checkpoint=tmp_path / "c.npz")
    assert info.value.checkpoint is None and not (tmp_path / "c.npz").exists()
