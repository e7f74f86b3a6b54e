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
