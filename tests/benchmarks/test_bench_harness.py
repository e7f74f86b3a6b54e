"""The benchmark harness (`python -m benchmarks`): it runs, and results.json keeps its shape.

The end-to-end test runs the quick harness on tiny data (--tiny: a few hundred samples,
1 epoch), so that `make bench` never rots; it checks keys and types, never speed.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `benchmarks` lives at the repository root, beside src/
    sys.path.insert(0, str(REPO))

from benchmarks import SECTIONS  # noqa: E402
from benchmarks.__main__ import _section_names, jsonable  # noqa: E402
from benchmarks.bench_mnist import CONTESTANTS, _summarise, flops_per_epoch  # noqa: E402
from benchmarks.report import render, section_targets  # noqa: E402

KEYS = [
    "idx_read", "gemm", "mnist_mlp", "mnist_mlp_big", "busy", "fit", "auc", "agreement", "ddp",
    "gpu", "sklearn_api", "grade",
]  # fmt: skip


def _harness(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _number(v, lo=0.0, hi=math.inf) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi


def test_sections_are_the_top_level_keys_in_order():
    assert list(SECTIONS) == KEYS


def test_only_accepts_aliases_and_commas_and_keeps_run_order():
    assert _section_names(None) == KEYS
    assert _section_names(["auc,gemm", "mnist"]) == ["gemm", "mnist_mlp", "auc"]
    assert _section_names(["gpu,busy"]) == ["busy", "gpu"]
    with pytest.raises(ValueError, match=r"--only: expected one of .* got 'tpu'"):
        _section_names(["gemm,tpu"])


def test_jsonable_turns_numpy_and_non_finite_values_into_json():
    obj = {"a": np.float32(1.5), "b": np.arange(3), "c": float("nan"), "d": (np.int64(2), math.inf)}
    out = jsonable(obj)
    assert out == {"a": 1.5, "b": [0, 1, 2], "c": None, "d": [2, None]}
    json.dumps(out, allow_nan=False)


def test_summarise_times_the_target_from_training_seconds_only():
    runs = [
        {"epoch_s": [3.0, 1.0, 1.0], "accuracy": [0.95, 0.976, 0.98], "peak_rss_mb": 10.0},
        {"epoch_s": [3.0, 2.0, 2.0], "accuracy": [0.95, 0.97, 0.975], "peak_rss_mb": 12.0},
        {"epoch_s": [3.0, 1.0, 3.0], "accuracy": [0.95, 0.96, 0.97], "peak_rss_mb": 11.0},
    ]
    for r in runs:
        r["dtype"] = "float32"
    e = _summarise(runs, n_train=60000)
    assert e["s_per_epoch"] == 1.5  # median of epochs 2.. of all runs: 1, 1, 2, 2, 1, 3
    assert e["s_to_target_per_run"] == [4.0, 7.0, None]
    assert e["s_to_target"] == 5.5  # two of three runs reached it: their median
    assert e["test_accuracy"] == 0.975
    assert e["peak_rss_mb"] == 12.0
    assert e["gflops"] == pytest.approx(flops_per_epoch(60000) / 1.5 / 1e9)
    never = _summarise(runs[2:], n_train=60000)
    assert never["s_to_target"] is None


def test_flops_count_three_gemms_per_layer_but_not_the_first_dx():
    # 784-256-10: layer 1 forward + dW, layer 2 forward + dW + dX, 2*m*n*k each.
    assert flops_per_epoch(128) == 2 * 128 * 784 * 256 * 2 + 2 * 128 * 256 * 10 * 3
    big = 2 * 128 * (784 * 1024 * 2 + 1024 * 1024 * 3 + 1024 * 10 * 3)
    assert flops_per_epoch(128, (1024, 1024)) == big


def test_gemm_floor_shapes_are_forward_dw_and_dx_but_not_the_first_dx():
    from benchmarks.bench_gemm import MLP_SHAPES, _flops, mlp_shapes

    shapes = mlp_shapes([784, 256, 10])
    assert [s[1:] for s in shapes] == [s[1:] for s in MLP_SHAPES]
    big = mlp_shapes([784, 1024, 1024, 10])
    assert len(big) == 8
    assert sum(_flops(*s[1:]) for s in big) == flops_per_epoch(128, (1024, 1024))


def test_roofline_floor_adds_adams_gather_and_activation_traffic_at_the_bandwidth():
    from benchmarks.bench_gemm import roofline_floor, traffic_per_step

    # 784-256-10: 203,530 parameters, Adam streams 7 float32 arrays of them per step
    t = traffic_per_step([784, 256, 10], batch=128)
    assert t["optimizer"] == 7 * (784 * 256 + 256 + 256 * 10 + 10) * 4
    assert t["batch_gather"] == 2 * 128 * 784 * 4  # the batch's rows read and written
    assert t["activations"] == (8 * 256 + 6 * 10) * 128 * 4
    with_dropout = traffic_per_step([784, 256, 10], batch=128, dropout=0.2)
    assert with_dropout["activations"] - t["activations"] == 6 * 256 * 128 * 4
    # 1000 samples at batch 128: 8 steps; 1 GB/s makes every byte a nanosecond
    r = roofline_floor([784, 256, 10], 1000, gemm_floor_s=0.5, bandwidth_gb_s=1.0)
    parts = r["parts"]
    assert parts["gemm_s"] == 0.5 and parts["copy_gbps"] == 1.0
    assert parts["optimizer_s"] == pytest.approx(8 * t["optimizer"] / 1e9)
    want = 0.5 + 8 * sum(t.values()) / 1e9
    assert r["roofline_floor_s"] == pytest.approx(want)


def test_each_section_owns_its_targets_and_the_report_lists_them_by_issue():
    import importlib

    from benchmarks._common import Target
    from benchmarks.report import render

    owners = [k for k, m in SECTIONS.items() if hasattr(importlib.import_module(m), "targets")]
    assert owners == [
        "idx_read", "mnist_mlp", "mnist_mlp_big", "busy", "fit", "auc", "agreement",
        "sklearn_api", "grade",
    ]  # fmt: skip
    empty = section_targets({})  # nothing measured: every verdict n/a
    assert all(isinstance(t, Target) and t.met is None for t in empty)
    big = {"fcnet-numpy": {"s_per_epoch": 1.2}, "gemm_floor_s": 1.0, "roofline_floor_s": 0.9}
    got = {t.issue: t for t in section_targets({"mnist_mlp_big": big}) if "floor" in t.text}
    assert got[16].met is True and "1.20x" in got[16].measured
    assert got[24].met is False and "1.33x" in got[24].measured
    text = render({"mnist_mlp_big": big}, "")
    assert text.index("## Targets (issue 6)") < text.index("## Targets (issue 16)")
    assert "## Targets (issue 24)" in text and "## Targets (issue 17)" in text


def test_unknown_section_is_a_usage_error():
    proc = _harness("--only", "nope", timeout=60)
    assert proc.returncode == 2
    assert "--only: expected one of" in proc.stderr


def test_only_one_section_marks_the_others_skipped(tmp_path):
    out = tmp_path / "r.json"
    args = ("--quick", "--tiny", "--only", "gemm", "--threads", "1", "--out", str(out))
    proc = _harness(*args, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(out.read_text())
    assert list(data) == KEYS
    assert _number(data["gemm"]["peak_gflops"], lo=1e-3)
    assert data["gemm"]["threads"] == 1 and data["gemm"]["environment"]["threads"] == 1
    for key in KEYS[:1] + KEYS[2:]:
        assert "skipped" in data[key]


def test_quick_harness_on_tiny_data_writes_every_figure(tmp_path):
    out = tmp_path / "results.json"
    proc = _harness("--quick", "--tiny", "--out", str(out), timeout=1200)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(out.read_text())
    assert list(data) == KEYS
    for key in KEYS:
        assert isinstance(data[key], dict), key
        assert "error" not in data[key], f"{key}: {data[key].get('error')}"

    gemm = data["gemm"]
    assert _number(gemm["peak_gflops"], lo=1e-3)
    assert gemm["peak_gflops"] == max(gemm[lib]["square_gflops"] for lib in ("numpy", "torch"))
    assert all(_number(v, lo=1e-3) for v in gemm["numpy"]["mlp_shapes_gflops"].values())
    env = gemm["environment"]
    assert env["threads"] == 2
    assert isinstance(env["cpu_model"], str) and env["cpu_model"]
    assert env["date"][:2] == "20"
    for lib in ("numpy", "torch", "tensorflow", "scikit-learn"):
        assert isinstance(env["versions"][lib], str), lib
    assert any(b.get("internal_api") for b in env["blas"])
    assert env["omp_wait_policy"].startswith("OMP_WAIT_POLICY")
    assert len(env["load_average_at_start"]) == 3

    mlp = data["mnist_mlp"]
    assert mlp["settings"]["threads"] == 2 and mlp["settings"]["epochs"] == 1
    for c in CONTESTANTS:
        e = mlp[c]
        assert "error" not in e, f"{c}: {e.get('error')}"
        assert _number(e["s_per_epoch"], lo=1e-9), c
        assert e["s_to_target"] is None or _number(e["s_to_target"], lo=1e-9), c
        assert _number(e["test_accuracy"], 0.0, 1.0), c
        assert e["test_accuracy"] > 0.2, c  # 512 samples, one epoch: well above chance
        assert _number(e["gflops"], lo=1e-9) and _number(e["fraction_of_peak"], lo=1e-9), c
        assert _number(e["peak_rss_mb"], lo=10.0), c
    want = mlp["fcnet-numpy"]["s_per_epoch"] / mlp["pytorch"]["s_per_epoch"]
    assert mlp["ratio_numpy_vs_pytorch"] == pytest.approx(want)

    assert _number(mlp["gemm_floor_s"], lo=1e-9)
    assert mlp["gemm_floor_s"] == mlp["settings"]["gemm_floor_s_per_epoch"]
    assert _number(data["gemm"]["copy_gbps"], lo=1e-3)
    for section in (mlp, data["mnist_mlp_big"]):  # the roofline: the GEMM floor + memory
        parts = section["roofline_parts"]
        seconds = [v for k, v in parts.items() if k != "copy_gbps"]
        assert section["roofline_floor_s"] == pytest.approx(sum(seconds))
        assert parts["gemm_s"] == section["gemm_floor_s"]
        assert len(seconds) == 4 and all(_number(v, lo=1e-12) for v in seconds)

    big = data["mnist_mlp_big"]
    assert big["settings"]["network"].startswith("784-1024-1024-10 ReLU, dropout 0.2")
    four = ["fcnet-numpy", "fcnet-torch", "pytorch", "keras"]
    assert [c for c in CONTESTANTS if c in big] == four
    for c in four:
        assert "error" not in big[c], f"{c}: {big[c].get('error')}"
        assert _number(big[c]["s_per_epoch"], lo=1e-9), c
        assert _number(big[c]["test_accuracy"], 0.0, 1.0), c
    assert _number(big["gemm_floor_s"], lo=1e-9)
    # the floor is a measured time (noisy on a shared machine): compare the FLOPs it covers
    n_big, n_small = big["settings"]["n_train"], mlp["settings"]["n_train"]
    assert flops_per_epoch(n_big, (1024, 1024)) / n_big > (flops_per_epoch(n_small) / n_small)
    want = big["fcnet-numpy"]["s_per_epoch"] / big["pytorch"]["s_per_epoch"]
    assert big["ratio_numpy_vs_pytorch"] == pytest.approx(want)

    busy = data["busy"]
    for key in ("quiet_s_per_epoch", "busy_s_per_epoch"):
        assert _number(busy[key], lo=1e-9), key
        assert _number(busy["pytorch"][key], lo=1e-9), key
    assert busy["slowdown"] == pytest.approx(busy["busy_s_per_epoch"] / busy["quiet_s_per_epoch"])
    assert _number(busy["pytorch_slowdown"], lo=1e-9)

    gpu = data["gpu"]
    import torch

    if torch.cuda.is_available():
        assert _number(gpu["mnist_mlp"]["fcnet-torch"]["s_per_epoch"], lo=1e-9)
    else:
        assert "error" not in gpu and "mnist_mlp" not in gpu
        assert gpu["skipped"].startswith("skipped: no GPU")

    fit = data["fit"]
    for c in ("fcnet-numpy", "pytorch", "sklearn"):
        assert _number(fit[c]["test_mse"]) and _number(fit[c]["seconds"], lo=1e-9), c
    assert fit["settings"]["steps"] == fit["settings"]["epochs"] * 4  # 256 points, batch 64

    agreement = data["agreement"]
    assert _number(agreement["max_loss_rel_diff"])
    assert agreement["within_tolerance"] is True

    ddp = data["ddp"]
    assert ddp["agree"] is True
    assert ddp["max_abs_weight_diff_f64"] < 1e-9
    for run in ("plain_1proc", "ddp_2proc"):
        assert _number(ddp[run]["epoch_s"], lo=1e-9), run

    # RESULTS.md renders from this JSON, with a verdict for each section's targets.
    checks = section_targets(data)
    assert all(t.met in (True, False, None) for t in checks)
    per_issue = {i: sum(t.issue == i for t in checks) for i in (6, 16, 17, 24)}
    assert per_issue == {6: 8, 16: 4, 17: 1, 24: 2}
    text = render(data, "hand-written notes")
    assert "## Targets (issue 6)" in text and "hand-written notes" in text
    assert "## Targets (issue 16)" in text and "## A busy neighbour" in text
    assert "## Targets (issue 24)" in text and "Roofline floor" in text
    assert all(f"`{c}`" in text for c in CONTESTANTS if "error" not in mlp[c])


def test_a_time_below_its_floor_is_not_a_target_met():
    """A floor the code beats is a floor that overestimates: not met, not failed."""
    from benchmarks.bench_mnist import floor_targets

    def verdicts(seconds: float) -> list:
        m = {"fcnet-numpy": {"s_per_epoch": seconds}, "gemm_floor_s": 1.0, "roofline_floor_s": 1.0}
        return [(t.met, "overestimates" in t.measured) for t in floor_targets("k", "n", m)]

    assert verdicts(0.86) == [(None, True)] * 2
    assert verdicts(1.10) == [(True, False)] * 2
    assert verdicts(1.50) == [(False, False)] * 2
