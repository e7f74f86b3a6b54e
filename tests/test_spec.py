"""NetSpec: validation with one-line errors, the canonical layout, JSON/TOML round trips."""

from __future__ import annotations

import json
import math
import re

import pytest

from fcnet.i18n import use_language
from fcnet.spec import LayerSpec, NetSpec, OptimizerSpec, ScheduleSpec, SpecError


def _spec(**kw) -> NetSpec:
    base = dict(input_size=5, hidden=[LayerSpec(width=8)], output_size=3, loss="cross_entropy")
    base.update(kw)
    return NetSpec(**base)


def test_defaults_follow_the_contract():
    s = _spec()
    assert s.optimizer.name == "adam" and s.optimizer.lr == 1e-3
    assert s.optimizer.betas == (0.9, 0.999) and s.optimizer.eps == 1e-8
    assert s.init == "he_normal" and s.dtype == "float32" and s.seed == 0
    assert s.optimizer.schedule.name == "none"


def test_canonical_layout_with_dropout_and_sigmoid():
    s = NetSpec(
        input_size=4,
        hidden=[LayerSpec(width=6, dropout=0.2), LayerSpec(width=5, activation="identity")],
        output_size=1,
        loss="bce",
        output_activation="sigmoid",
    )
    kinds = [k for k, _ in s.layers()]
    assert kinds == ["linear", "relu", "dropout", "linear", "identity", "linear", "sigmoid"]
    assert s.weight_shapes() == {
        "0.weight": (6, 4),
        "0.bias": (6,),
        "3.weight": (5, 6),
        "3.bias": (5,),
        "5.weight": (1, 5),
        "5.bias": (1,),
    }


def test_no_bias_layers_have_no_bias_weight():
    s = NetSpec(
        input_size=3, hidden=[LayerSpec(width=2, bias=False)], output_size=2, output_bias=False
    )
    assert s.weight_shapes() == {"0.weight": (2, 3), "2.weight": (2, 2)}


def test_hidden_accepts_bare_widths():
    s = NetSpec.from_dict({"input_size": 3, "hidden": [4, 5], "output_size": 2})
    assert [h.width for h in s.hidden] == [4, 5]
    assert all(h.activation == "relu" for h in s.hidden)


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        ({"foo": 1}, r"unknown key 'foo' \(allowed: input_size, hidden"),
        ({"loss": "hinge"}, r"loss: expected one of 'mse', 'cross_entropy'.*got 'hinge'"),
        ({"dtype": "float16"}, r"dtype: expected one of 'float32', 'float64', got 'float16'"),
        ({"init": "zeros"}, r"init: expected one of 'normal'.*got 'zeros'"),
        ({"hidden": [{"width": 4, "activation": "gelu"}]}, r"hidden\[0\]\.activation: .*'relu'"),
        ({"hidden": [{"width": 4, "act": "relu"}]}, r"hidden\[0\]: unknown key 'act'"),
        ({"hidden": [{"width": 0}]}, r"hidden\[0\]\.width: expected a number of at least 1"),
        ({"hidden": [{"width": 4, "dropout": 1.0}]}, r"hidden\[0\]\.dropout: .*less than 1"),
        ({"input_size": 0}, r"input_size: expected a number of at least 1, got 0"),
        ({"optimizer": {"name": "lbfgs"}}, r"optimizer\.name: expected one of 'sgd'"),
        ({"optimizer": {"lr": 0}}, r"optimizer\.lr: .*greater than 0"),
        ({"optimizer": {"name": "adam", "momentum": 0.9}}, r"optimizer\.momentum: only 'sgd'"),
        ({"optimizer": {"name": "sgd", "nesterov": True}}, r"optimizer\.nesterov: needs .*> 0"),
        ({"optimizer": {"betas": [0.9, 1.0]}}, r"optimizer\.betas\[1\]: expected 0 <= beta < 1"),
        ({"optimizer": {"schedule": {"name": "cosine"}}}, r"schedule\.total_steps: .*cosine"),
        ({"optimizer": {"schedule": {"name": "step", "warmup_steps": 3}}}, r"warmup_steps: only"),
        ({"optimizer": {"schedule": {"nam": "step"}}}, r"optimizer\.schedule: unknown key 'nam'"),
        ({"loss": "bce", "output_size": 1}, r"output_activation: loss 'bce' .*'sigmoid'"),
        ({"output_activation": "sigmoid"}, r"output_activation: 'sigmoid' goes only with .*'bce'"),
        (
            {"loss": "bce_with_logits"},
            r"output_size: loss 'bce_with_logits' .* output_size 1, got 3",
        ),
        ({"output_size": 1}, r"output_size: loss 'cross_entropy' needs output_size >= 2 .*got 1"),
        ({"reduction": "sum"}, r"reduction: 'sum' .*got loss 'cross_entropy'"),
    ],
)
def test_bad_values_name_the_key_and_the_allowed_values(data, pattern):
    d = {"input_size": 5, "hidden": [8], "output_size": 3, "loss": "cross_entropy"}
    d.update(data)
    with pytest.raises(SpecError, match=pattern) as info:
        NetSpec.from_dict(d)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("data", "english", "chinese"),
    [
        (
            {"dtype": "float16"},
            "dtype: expected one of 'float32', 'float64', got 'float16'",
            "dtype: 应为 'float32', 'float64' 之一，实际为 'float16'",
        ),
        (
            {"input_size": "x"},
            "input_size: expected a whole number, got 'x'",
            "input_size: 应为整数，实际为 'x'",
        ),
        (
            {"optimizer": {"lr": 0}},
            "optimizer.lr: expected a number greater than 0, got 0",
            "optimizer.lr: 应为大于 0 的数，实际为 0",
        ),
        (
            {"hidden": [{"width": 4, "dropout": 1.0}]},
            "hidden[0].dropout: expected a number less than 1, got 1.0",
            "hidden[0].dropout: 应为小于 1 的数，实际为 1.0",
        ),
        (
            {"hidden": [{"width": 4, "bias": []}]},
            "hidden[0].bias: expected true or false, got []",
            "hidden[0].bias: 应为 true 或 false，实际为 []",
        ),
    ],
)
def test_pydantics_errors_are_said_in_fcnets_words_in_each_language(data, english, chinese):
    """The studio's wording (fcnet._pydantic_errors), never pydantic's English msg; the
    key's ": " stays ASCII so a nested spec's path joins."""
    d = {"input_size": 5, "hidden": [8], "output_size": 3, "loss": "cross_entropy"}
    d.update(data)
    with pytest.raises(SpecError) as info:
        NetSpec.from_dict(d)
    assert str(info.value) == english
    with use_language("zh"), pytest.raises(SpecError) as info:
        NetSpec.from_dict(d)
    assert str(info.value) == chinese
    assert not re.search(r"Input|should|valid| or |expected|got", str(info.value))


def test_constructor_and_assignment_raise_spec_error_and_leave_the_spec_unchanged():
    with pytest.raises(SpecError, match="unknown key 'widht'"):
        LayerSpec(widht=3)
    s = _spec()
    with pytest.raises(SpecError, match="output_size"):
        s.output_size = 1
    assert s.output_size == 3
    s.optimizer.lr = 0.5
    assert s.optimizer.lr == 0.5
    t = s.replace(seed=7)
    assert (t.seed, s.seed) == (7, 0)


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_round_trip_through_files(tmp_path, suffix):
    s = _spec(
        hidden=[LayerSpec(width=8, activation="tanh", dropout=0.1), LayerSpec(width=4, bias=False)],
        optimizer=OptimizerSpec(
            name="sgd",
            lr=0.1,
            momentum=0.9,
            nesterov=True,
            clip_norm=1.0,
            schedule=ScheduleSpec(name="cosine", warmup_steps=10, total_steps=100, min_lr=0.01),
        ),
        dtype="float64",
        seed=11,
    )
    path = tmp_path / f"net{suffix}"
    s.save(path)
    assert NetSpec.load(path) == s
    # an unset optional (clip_norm None) survives TOML, which has no null
    u = _spec()
    u.save(path)
    assert NetSpec.load(path).optimizer.clip_norm is None


def test_toml_may_hold_the_spec_under_net(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[net]\ninput_size = 2\noutput_size = 1\nhidden = [3]\n")
    assert NetSpec.load(path).hidden[0].width == 3


def test_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('input_size = 2\noutput_size = 1\nlos = "mse"\n')
    with pytest.raises(SpecError, match=r"bad\.toml: unknown key 'los'"):
        NetSpec.load(bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(SpecError, match=r"broken\.json: not valid JSON"):
        NetSpec.load(broken)
    with pytest.raises(SpecError, match=r"expected a \.json or \.toml"):
        NetSpec.load(tmp_path / "net.yaml")
    with pytest.raises(OSError):
        NetSpec.load(tmp_path / "missing.json")
    assert json.loads(_spec().to_json())["loss"] == "cross_entropy"


def test_schedule_formula_matches_the_contract():
    step = ScheduleSpec(name="step", step_size=3, gamma=0.5)
    assert [step.lr_at(1.0, t) for t in range(7)] == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    expo = ScheduleSpec(name="exponential", gamma=0.9)
    assert expo.lr_at(2.0, 3) == pytest.approx(2.0 * 0.9**3)
    cos = ScheduleSpec(name="cosine", warmup_steps=4, total_steps=14, min_lr=0.1)
    assert cos.lr_at(1.0, 0) == pytest.approx(0.25)
    assert cos.lr_at(1.0, 3) == pytest.approx(1.0)
    assert cos.lr_at(1.0, 4) == pytest.approx(1.0)
    assert cos.lr_at(1.0, 9) == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi * 0.5)) / 2)
    assert cos.lr_at(1.0, 14) == pytest.approx(0.1)
    assert ScheduleSpec().lr_at(0.3, 1000) == 0.3
