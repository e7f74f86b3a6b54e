"""DDP with nccl, one GPU per process: the same weights as one process on the GPU.

Needs CUDA GPUs that torch sees (two for two processes, else one process); elsewhere
it skips and says so. Not run where it was written (no GPU there).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from _ddp_launch import Launch

torch = pytest.importorskip("torch")
GPUS = torch.cuda.device_count() if torch.cuda.is_available() else 0
pytestmark = pytest.mark.skipif(GPUS == 0, reason="no CUDA GPU visible to torch here")

SPEC = {
    "input_size": 1,
    "hidden": [{"width": 16, "activation": "tanh"}],
    "output_size": 1,
    "loss": "mse",
    "optimizer": {"name": "adam", "lr": 0.01},
    "dtype": "float64",
}


def _weights(run_dir):
    with np.load(run_dir / "model.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files if not k.startswith("__")}


def test_nccl_ranks_one_gpu_each_match_one_process(tmp_path):
    from fcnet.tasks import fit

    config = tmp_path / "f64.json"
    config.write_text(json.dumps(SPEC))
    world = min(GPUS, 2)
    args = ["fit", "sin(x)", "--backend", "torch", "--samples", "203", "--batch-size", "32",
            "--epochs", "2", "--config", str(config), "--out", "run"]  # fmt: skip
    with Launch(tmp_path / "ddp", args, world_size=world, FCNET_DIST_BACKEND="nccl") as launch:
        assert launch.wait() == [0] * world, launch.logs()
    plain = tmp_path / "plain"
    fit("sin(x)", backend="torch", samples=203, batch_size=32, epochs=2, config=config,
        out=plain, quiet=True)  # fmt: skip
    a, b = _weights(plain), _weights(launch.ranks[0].cwd / "run")
    for k in a:
        np.testing.assert_allclose(b[k], a[k], rtol=0, atol=1e-5, err_msg=k)
