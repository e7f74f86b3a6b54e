"""`fcnet gradcheck`: the grid table, exit status 1 over tolerance, 2 on bad options."""

from __future__ import annotations

from click.testing import CliRunner

from fcnet import nn
from fcnet.cli import cli


def test_gradcheck_passes_and_prints_every_pair():
    result = CliRunner().invoke(cli, ["gradcheck"])
    assert result.exit_code == 0, result.output
    for name in [*nn.ACTIVATIONS, *nn.LOSSES]:
        assert name in result.output
    assert "all 20 activation/loss pairs within 1e-06" in result.output


def test_gradcheck_exits_1_when_a_gradient_is_wrong(monkeypatch):
    monkeypatch.setattr(nn.Sigmoid, "backward", lambda self, g: g * self.a)  # f' forgotten
    result = CliRunner().invoke(cli, ["gradcheck"])
    assert result.exit_code == 1
    assert "FAILED" in result.output
    assert "sigmoid/mse" in result.output
    assert "tanh/mse" not in result.output


def test_gradcheck_bad_option_is_a_usage_error():
    result = CliRunner().invoke(cli, ["gradcheck", "--tolerance", "0"])
    assert result.exit_code == 2
    assert "--tolerance: expected a number > 0, got 0.0" in result.output
