"""Sequential.save / load: .npz with the architecture as JSON, no pickle, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fcnet import nn


def _model(dtype="float32"):
    rng = np.random.default_rng(0)
    return nn.Sequential(
        nn.Linear(4, 6, rng=rng, dtype=dtype),
        nn.LeakyReLU(0.2),
        nn.Dropout(0.25, rng=rng),
        nn.Linear(6, 5, bias=False, init="xavier_uniform", rng=rng, dtype=dtype),
        nn.Tanh(),
        nn.Linear(5, 2, rng=rng, dtype=dtype),
        nn.Sigmoid(),
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_save_load_round_trip(tmp_path, dtype):
    model = _model(dtype)
    path = tmp_path / "model.npz"
    model.save(path)
    back = nn.Sequential.load(path)
    assert back.architecture() == model.architecture()
    assert back.dtype == np.dtype(dtype)
    assert [type(m) for m in back.layers] == [type(m) for m in model.layers]
    assert back.layers[1].negative_slope == 0.2
    assert back.layers[2].p == 0.25
    x = np.random.default_rng(1).standard_normal((3, 4))
    np.testing.assert_array_equal(back.eval()(x), model.eval()(x))


def test_saved_file_is_plain_npz_with_json_architecture(tmp_path):
    path = tmp_path / "model.npz"
    _model().save(path)
    with np.load(path, allow_pickle=False) as npz:
        assert set(npz.files) == {
            "__architecture__",
            "0.weight",
            "0.bias",
            "3.weight",
            "5.weight",
            "5.bias",
        }
        arch = json.loads(str(npz["__architecture__"]))
    assert arch["format"] == "fcnet.nn.Sequential"
    assert arch["layers"][0] == {
        "type": "Linear",
        "in_features": 4,
        "out_features": 6,
        "bias": True,
        "init": "he_normal",
    }


def test_foreign_npz_is_refused(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.ones(3))
    with pytest.raises(ValueError, match=r"expected an fcnet.nn model .*got keys \['weights'\]"):
        nn.Sequential.load(path)


def test_not_an_npz_is_refused(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"not a zip file at all")
    with pytest.raises(ValueError, match=r"junk\.npz: expected an .npz file"):
        nn.Sequential.load(path)


def test_missing_file_is_an_oserror(tmp_path):
    with pytest.raises(OSError):
        nn.Sequential.load(tmp_path / "nope.npz")


def _rewrite(path, **changes):
    with np.load(path, allow_pickle=False) as npz:
        data = {k: npz[k] for k in npz.files}
    data.update(changes)
    np.savez(path, **data)


def test_shape_mismatch_names_expected_and_got(tmp_path):
    path = tmp_path / "model.npz"
    _model().save(path)
    _rewrite(path, **{"3.weight": np.ones((5, 7), np.float32)})
    with pytest.raises(ValueError, match=r"3.weight: expected shape \(5, 6\), got \(5, 7\)"):
        nn.Sequential.load(path)


def test_missing_weight_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    _model().save(path)
    with np.load(path, allow_pickle=False) as npz:
        data = {k: npz[k] for k in npz.files if k != "0.bias"}
    np.savez(path, **data)
    with pytest.raises(ValueError, match=r"missing \['0.bias'\]"):
        nn.Sequential.load(path)


@pytest.mark.parametrize(
    ("arch", "match"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"format": "keras"}), "expected format 'fcnet.nn.Sequential', got 'keras'"),
        (
            json.dumps({"format": "fcnet.nn.Sequential", "layers": [{"type": "Conv2d"}]}),
            "layer 0: expected a type in .*got 'Conv2d'",
        ),
        (
            json.dumps({"format": "fcnet.nn.Sequential", "dtype": "float16", "layers": []}),
            "dtype: expected 'float32' or 'float64', got 'float16'",
        ),
    ],
)
def test_bad_architecture_is_refused(tmp_path, arch, match):
    path = tmp_path / "model.npz"
    np.savez(path, __architecture__=np.array(arch))
    with pytest.raises(ValueError, match=match):
        nn.Sequential.load(path)


def test_pickled_object_array_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, __architecture__=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickle"):
        nn.Sequential.load(path)


def test_load_state_dict_errors():
    model = _model()
    state = model.state_dict()
    state["0.weight"] = np.ones((2, 2))
    with pytest.raises(ValueError, match=r"0.weight: expected shape \(6, 4\), got \(2, 2\)"):
        model.load_state_dict(state)
    with pytest.raises(ValueError, match=r"unexpected \['9.weight'\]"):
        model.load_state_dict({**model.state_dict(), "9.weight": np.ones(1)})
