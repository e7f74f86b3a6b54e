"""Two gloo processes on 127.0.0.1 against one process: same weights, one writer, no hang.

The runs are tiny (a 1-16-1 tanh network fitting sin(x) from 203 samples, float64), so
each launch costs mostly the interpreter's start-up.
"""

from __future__ import annotations

import json
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from _ddp_launch import Launch

SPEC = {
    "input_size": 1,
    "hidden": [{"width": 16, "activation": "tanh"}],
    "output_size": 1,
    "loss": "mse",
    "optimizer": {"name": "adam", "lr": 0.01},
    "dtype": "float64",
}
EPOCHS = 3
# 203 samples in global batches of 32: six full batches and a short one of 11 (6 + 5 rows)
ARGS = ["fit", "sin(x)", "--backend", "torch", "--samples", "203", "--batch-size", "32"]
TOL = 1e-5


def _weights(run_dir: Path) -> dict[str, np.ndarray]:
    with np.load(run_dir / "model.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files if not k.startswith("__")}


def _assert_same_weights(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == np.float64
        np.testing.assert_allclose(b[k], a[k], rtol=0, atol=TOL, err_msg=k)


def _records(run_dir: Path) -> list[dict]:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "f64.json"
    path.write_text(json.dumps(SPEC))
    return path


def _plain(root: Path, config: Path, epochs: int) -> Path:
    """One ordinary process (this one), batch 32, the same seed: what DDP must reproduce."""
    from fcnet.tasks import fit

    out = root / f"plain{epochs}"
    fit("sin(x)", backend="torch", samples=203, batch_size=32, epochs=epochs, config=config,
        out=out, quiet=True)  # fmt: skip
    return out


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory, config):
    """Two ranks, each in its own working directory, --out relative: EPOCHS - 1 epochs."""
    root = tmp_path_factory.mktemp("ddp")
    args = [*ARGS, "--epochs", str(EPOCHS - 1), "--config", str(config), "--out", "run"]
    with Launch(root, args) as launch:
        codes = launch.wait()
        assert codes == [0, 0], launch.logs()
    return launch


def test_two_processes_give_one_process_weights_and_only_rank0_writes(tmp_path, config, ddp_run):
    rank0, rank1 = ddp_run.ranks
    run = rank0.cwd / "run"
    reference = _plain(tmp_path, config, EPOCHS - 1)

    _assert_same_weights(_weights(reference), _weights(run))
    ref, got = _records(reference), _records(run)
    assert [r["epoch"] for r in got] == list(range(1, EPOCHS))
    for a, b in zip(ref, got, strict=True):  # the logged loss is the global batch's
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-9)
        assert b["val_loss"] == pytest.approx(a["val_loss"], rel=1e-9)

    expected = {"run.json", "config.json", "metrics.jsonl", "checkpoint.npz", "result.json"}
    assert expected | {"model.npz", "model.pt", "fit.png"} <= {p.name for p in run.iterdir()}
    assert list(rank1.cwd.iterdir()) == []  # rank 1 made no run folder of its own
    assert not list(rank1.tmp.glob("fcnet-rank*"))  # and its scratch folder is gone
    assert f"epoch {EPOCHS - 1}/{EPOCHS - 1}" in rank0.output()  # rank 0 prints ...
    assert "epoch" not in rank1.output() and "run folder" not in rank1.output()  # rank 1 not


def test_dead_process_ends_run_with_error_checkpoint_intact_and_resume(tmp_path, config, ddp_run):
    run = tmp_path / "run"
    shutil.copytree(ddp_run.ranks[0].cwd / "run", run)
    checkpoint = (run / "checkpoint.npz").read_bytes()

    # resume for many epochs; kill rank 1 once rank 0 has logged a new epoch
    resumed = ["fit", "--resume", str(run), "--epochs", "5000"]
    with Launch(tmp_path / "second", resumed) as launch:
        end = time.monotonic() + 60
        while len(_records(run)) < EPOCHS:
            assert launch.ranks[0].proc.poll() is None, launch.logs()
            assert time.monotonic() < end, launch.logs()
            time.sleep(0.05)
        launch.signal(1, signal.SIGKILL)
        t_kill = time.monotonic()
        code0 = launch.ranks[0].proc.wait(timeout=60)
        waited = time.monotonic() - t_kill
        out0 = launch.ranks[0].output()
    assert code0 == 2, out0
    assert waited < 30, f"rank 0 took {waited:.1f} s to notice"  # the group's timeout is 20 s
    last = out0.strip().splitlines()[-1]
    assert last.startswith("fcnet: error: rank 0 of 2: lost the other processes"), out0
    assert f"--resume {run}" in last and "Traceback" not in out0

    # rank 0 checkpoints every 60 s and at the end, so the file is the first run's, whole
    assert (run / "checkpoint.npz").read_bytes() == checkpoint
    with Launch(tmp_path / "third", ["fit", "--resume", str(run), "--epochs", str(EPOCHS)]) as la:
        assert la.wait() == [0, 0], la.logs()
    _assert_same_weights(_weights(_plain(tmp_path, config, EPOCHS)), _weights(run))
    assert [r["epoch"] for r in _records(run)] == list(range(1, EPOCHS + 1))


def test_stopped_process_ends_run_after_the_group_timeout(tmp_path, config):
    """A rank that hangs (SIGSTOP) rather than dies: the timeout ends the run on rank 0."""
    run = tmp_path / "run"
    args = [*ARGS, "--epochs", "5000", "--config", str(config), "--out", str(run)]
    with Launch(tmp_path, args, FCNET_DIST_TIMEOUT="3") as launch:
        end = time.monotonic() + 60
        while not (run / "metrics.jsonl").is_file() or not _records(run):
            assert launch.ranks[0].proc.poll() is None, launch.logs()
            assert time.monotonic() < end, launch.logs()
            time.sleep(0.05)
        launch.signal(1, signal.SIGSTOP)
        t_stop = time.monotonic()
        code0 = launch.ranks[0].proc.wait(timeout=60)
        waited = time.monotonic() - t_stop
        out0 = launch.ranks[0].output()
        launch.signal(1, signal.SIGKILL)
    assert code0 == 2, out0
    assert 2.5 < waited < 20, f"rank 0 ended {waited:.1f} s after rank 1 stopped (timeout 3 s)"
    assert "fcnet: error: rank 0 of 2: lost the other processes" in out0
    assert "timeout 3 s" in out0


def test_binary_two_processes_with_weighted_sampling_match_one_process(tmp_path):
    """binary: batches drawn with replacement (--pos-weight), AUC every epoch, bce."""
    from fcnet.tasks import binary

    spec = tmp_path / "bce64.json"
    spec.write_text(
        json.dumps(
            {
                "input_size": 20,
                "hidden": [{"width": 8}],
                "output_size": 1,
                "output_activation": "sigmoid",
                "loss": "bce",
                "dtype": "float64",
            }
        )
    )
    opts = dict(dataset="random", samples=90, features=20, pos_weight="balanced", epochs=2,
                batch_size=16, config=str(spec))  # fmt: skip
    args = ["binary", "--backend", "torch", "--out", str(tmp_path / "ddp")]
    for k, v in opts.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    with Launch(tmp_path / "launch", args) as launch:
        assert launch.wait() == [0, 0], launch.logs()
    binary(backend="torch", out=tmp_path / "plain", quiet=True, **opts)
    _assert_same_weights(_weights(tmp_path / "plain"), _weights(tmp_path / "ddp"))
    for a, b in zip(_records(tmp_path / "plain"), _records(tmp_path / "ddp"), strict=True):
        assert b["val_auc"] == a["val_auc"] and b["train_auc"] == a["train_auc"]
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-9)
