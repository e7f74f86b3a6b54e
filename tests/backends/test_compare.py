"""`fcnet compare` and `fcnet.backends.compare.run`: the side-by-side run users see."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from fcnet.backends import compare
from fcnet.cli import cli


def test_run_reports_each_backend_against_numpy():
    result = compare.run(steps=30, batch_size=8, threads=1)
    assert result["backends"] == ["numpy", "torch", "tensorflow"]
    assert result["numpy"]["max_loss_rel_diff"] == 0.0
    for name in ("torch", "tensorflow"):
        r = result[name]
        assert 0 <= r["max_loss_rel_diff"] < 1e-10  # float64: rounding only
        assert r["s_per_step"] > 0
    assert result["ok"] is True and result["tolerance"] == 1e-6
    assert result["tensorflow"]["final_loss"] == pytest.approx(result["numpy"]["final_loss"])


def test_cli_json_and_exit_code(tmp_path, monkeypatch):
    config = tmp_path / "run.toml"
    config.write_text(
        "[net]\ninput_size = 4\noutput_size = 1\nloss = 'bce_with_logits'\n"
        "hidden = [{ width = 6, dropout = 0.3 }]\n[train]\nepochs = 3\n"
    )
    runner = CliRunner()
    args = ["compare", "--config", str(config), "--steps", "12", "--json", "--threads", "1"]
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert set(data["backends"]) == {"numpy", "torch", "tensorflow"}
    assert all("max_loss_rel_diff" in data[b] and "s_per_step" in data[b] for b in data["backends"])
    assert data["notes"] == ["dropout set to 0: each framework draws its own masks"]

    res = runner.invoke(cli, ["compare", "--steps", "5", "--backends", "numpy,torch"])
    assert res.exit_code == 0
    assert "torch" in res.output and "tensorflow" not in res.output and "ok" in res.output

    real_run = compare.run

    def failing(*a, **kw):
        out = real_run(*a, **kw)
        out["torch"]["ok"] = out["ok"] = False
        return out

    monkeypatch.setattr(compare, "run", failing)
    res = runner.invoke(cli, ["compare", "--steps", "3", "--backends", "torch"])
    assert res.exit_code == 1 and "DIFFERS" in res.output


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path):
    runner = CliRunner()
    res = runner.invoke(cli, ["compare", "--backends", "numpy,jax", "--steps", "3"])
    assert res.exit_code == 2
    assert (
        "fcnet: error: backend: expected one of numpy, torch, tensorflow, got 'jax'" in res.output
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("input_size = 3\noutput_size = 2\nloss = 'hinge'\n")
    res = runner.invoke(cli, ["compare", "--config", str(bad)])
    assert res.exit_code == 2 and "bad.toml: loss: expected one of" in res.output
