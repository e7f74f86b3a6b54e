"""DistributedModel on two gloo ranks against a plain torch model, every loss, in float64;
and the one-line errors of a `--distributed` that cannot run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _ddp_launch import base_env, free_port
from click.testing import CliRunner

from fcnet.cli import cli
from fcnet.distributed import check_launch, current, launch_command, session

WORKER = Path(__file__).with_name("_ddp_worker.py")
TORCHRUN_ENV = {"RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "1"}


def test_two_ranks_step_evaluate_and_predict_as_one_model(tmp_path):
    port, procs = str(free_port()), []
    try:
        for r in range(2):
            env = base_env(
                RANK=str(r), WORLD_SIZE="2", LOCAL_RANK=str(r), MASTER_ADDR="127.0.0.1",
                MASTER_PORT=port,
            )  # fmt: skip
            out = tmp_path / f"rank{r}.json"
            procs.append(
                subprocess.Popen(
                    [sys.executable, str(WORKER), str(out)],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
        logs = [p.communicate(timeout=120)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=30)
    assert [p.returncode for p in procs] == [0, 0], "\n".join(logs)
    for r in range(2):
        report = json.loads((tmp_path / f"rank{r}.json").read_text())
        assert report["rank"] == r
        assert set(report["diffs"]) == {
            "cross_entropy", "bce_sigmoid_mean", "bce_sigmoid_sum", "bce_with_logits",
            "mse_mean", "mse_sum",
        }  # fmt: skip
        for case, d in report["diffs"].items():
            assert d.pop("steps") == 1.0, case
            for what, value in d.items():
                assert value < 1e-10, f"rank {r}, {case}: {what} differs by {value:g}"


def _clean_env(monkeypatch) -> None:
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(key, raising=False)


@pytest.mark.parametrize(
    "args",
    [
        ["fit", "sin(x)", "--backend", "torch"],
        ["mnist", "--backend", "torch", "--limit", "10"],
        ["binary", "--dataset", "random", "--backend", "torch"],
    ],
)
def test_distributed_without_torchrun_is_one_line_exit_2(args, monkeypatch, tmp_path):
    _clean_env(monkeypatch)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [*args, "--distributed"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("fcnet: error: --distributed: expected to be started by torchrun")
    assert f"torchrun --nproc_per_node=N -m fcnet {args[0]} --backend torch" in lines[0]
    assert list(tmp_path.iterdir()) == []  # no run folder was started


@pytest.mark.parametrize("backend", ["numpy", "tensorflow", None])
def test_distributed_with_another_backend_is_one_line_exit_2(backend, monkeypatch, tmp_path):
    for k, v in TORCHRUN_ENV.items():  # even under torchrun
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(tmp_path)
    flags = ["--backend", backend] if backend else []  # the default backend is numpy
    result = CliRunner().invoke(cli, ["fit", "sin(x)", *flags, "--distributed"])
    assert result.exit_code == 2
    line = result.output.strip()
    assert "\n" not in line
    assert line.startswith("fcnet: error: --distributed: trains with PyTorch's")
    assert f"needs --backend torch, got {backend or 'numpy'!r}" in line
    assert list(tmp_path.iterdir()) == []


def test_resumed_run_is_checked_against_its_saved_backend(monkeypatch, tmp_path):
    for k, v in TORCHRUN_ENV.items():
        monkeypatch.setenv(k, v)
    run = tmp_path / "run"
    run.mkdir()
    options = {"backend": "numpy", "seed": 0, "early_stopping": False, "patience": 5}
    options |= {"quiet": False, "expr": "x", "range": [-1, 1], "samples": 100}
    (run / "run.json").write_text(json.dumps({"task": "fit", "options": options}))
    result = CliRunner().invoke(cli, ["fit", "--resume", str(run), "--distributed"])
    assert result.exit_code == 2
    assert "needs --backend torch, got 'numpy'" in result.output


@pytest.mark.parametrize(
    "env, message",
    [
        ({**TORCHRUN_ENV, "RANK": "two"}, "expected RANK to be an int >= 0, got 'two'"),
        ({**TORCHRUN_ENV, "RANK": "2"}, "expected RANK < WORLD_SIZE, got 2 and 2"),
        ({"RANK": "0", "WORLD_SIZE": "2"}, r"\(MASTER_ADDR, MASTER_PORT not set\)"),
    ],
)
def test_check_launch_names_what_is_wrong(env, message):
    with pytest.raises(ValueError, match=message):
        check_launch("fit", "torch", env)


@pytest.mark.parametrize("value", ["soon", "0", "-3", "inf"])
def test_bad_timeout_is_refused_before_joining(value):
    env = {**TORCHRUN_ENV, "FCNET_DIST_TIMEOUT": value}
    with pytest.raises(ValueError, match=f"FCNET_DIST_TIMEOUT: expected .* got '{value}'"):
        with session("fit", env=env):
            pass
    assert current() is None


def test_launch_command_is_what_the_messages_show():
    assert launch_command("mnist", 4, "--resume runs/x") == (
        "torchrun --nproc_per_node=4 -m fcnet mnist --backend torch --distributed --resume runs/x"
    )


def test_a_rank_that_never_comes_ends_the_run_after_the_timeout(tmp_path):
    env = base_env(
        RANK="0", WORLD_SIZE="2", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(free_port()), FCNET_DIST_TIMEOUT="2",
    )  # fmt: skip
    args = ["fit", "sin(x)", "--backend", "torch", "--samples", "50", "--distributed"]
    done = subprocess.run(
        [sys.executable, "-m", "fcnet", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip()
    assert "\n" not in line, line
    assert line.startswith("fcnet: error: rank 0 of 2: could not join the process group at ")
    assert "within 2 s" in line
    assert list(tmp_path.iterdir()) == []  # no run folder before every rank is there
