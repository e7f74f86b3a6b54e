"""Every example of the course text's progression runs, briefly, and its loss falls."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PROGRESSION = [
    "torch_1_tensors",
    "torch_2_autograd",
    "torch_3_sequential",
    "torch_4_module_adam",
    "torch_5_binary_auc",
    "tf_1_tensors",
    "tf_2_gradient_tape",
    "tf_3_sequential",
    "tf_4_model_adam",
    "tf_5_binary_auc",
]


@pytest.mark.parametrize("name", PROGRESSION)
def test_example_loss_falls(name):
    module = runpy.run_path(str(EXAMPLES / f"{name}.py"))  # not as __main__: main() not run
    iterations = 60 if name.endswith("auc") else 30
    losses = module["train"](iterations=iterations, seed=0, verbose=False)
    assert len(losses) == iterations
    assert all(loss == loss for loss in losses)  # no NaN
    assert losses[-1] < 0.9 * losses[0], (losses[0], losses[-1])
    assert min(losses[-5:]) < min(losses[:5])


@pytest.mark.parametrize("name", ["torch_1_tensors", "torch_5_binary_auc"])
def test_example_runs_from_the_command_line(name):
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), "--iterations", "20"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    lines = [ln.split() for ln in out.stdout.splitlines() if ln and ln[0].isdigit()]
    assert [int(ln[0]) for ln in lines][-1] == 19  # the last iteration is always printed
    assert float(lines[-1][1]) < float(lines[0][1])
    if name.endswith("auc"):
        assert "auc train" in out.stdout and "test" in out.stdout


def test_every_example_in_the_folder_is_tested():
    mine = {p.stem for p in EXAMPLES.glob("*.py") if p.stem.startswith(("torch_", "tf_"))}
    assert mine == set(PROGRESSION)


def test_hand_written_gradients_match_autograd():
    import torch  # the autograd reference is a test dependency: required, never skipped

    module = runpy.run_path(str(EXAMPLES / "torch_1_tensors.py"))
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(6, 7, generator=g, dtype=torch.float64), torch.randn(6, 3, generator=g)
    w1 = torch.randn(7, 5, generator=g, dtype=torch.float64, requires_grad=True)
    w2 = torch.randn(5, 3, generator=g, dtype=torch.float64, requires_grad=True)
    y = y.double()
    loss, grad_w1, grad_w2 = module["loss_and_gradients"](x, y, w1.detach(), w2.detach())
    auto = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
    auto.backward()
    assert loss == pytest.approx(auto.item())
    torch.testing.assert_close(grad_w2, w2.grad)
    torch.testing.assert_close(grad_w1, w1.grad)  # the text's grad_h_relu version fails here
    h = x.mm(w1.detach())
    assert (h < 0).any()  # so some ReLUs are off and the mask matters
