"""save(path)/load(path) through fcnet's portable .npz (no pickle), and pickling."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

import fcnet.sklearn
from fcnet.backends import load as load_model
from fcnet.backends._common import sniff
from fcnet.sklearn import FCNetClassifier, FCNetRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
SMALL = dict(hidden_layer_sizes=(8, 4), max_iter=5, random_state=0)


def test_classifier_npz_round_trip(tmp_path, blobs3):
    X, y = blobs3
    labels = np.array(["a", "b", "c"])[y]
    frame = pd.DataFrame(X, columns=list("uvwxyz"))
    clf = FCNetClassifier(**SMALL, early_stopping=True, dropout=0.1).fit(frame, labels)
    path = tmp_path / "clf.npz"
    clf.save(path)
    assert sniff(path) == "npz"  # a plain npz: no pickled object inside
    back = FCNetClassifier.load(path)
    assert back.get_params() == clf.get_params()
    np.testing.assert_array_equal(back.predict_proba(frame), clf.predict_proba(frame))
    assert back.classes_.tolist() == ["a", "b", "c"] and back.classes_.dtype == clf.classes_.dtype
    assert list(back.feature_names_in_) == list("uvwxyz")
    assert back.loss_curve_ == clf.loss_curve_
    assert back.validation_scores_ == clf.validation_scores_
    assert back.best_epoch_ == clf.best_epoch_ and back.n_iter_ == clf.n_iter_
    # the module-level load picks the class; fcnet's own loader reads the network alone
    assert isinstance(fcnet.sklearn.load(path), FCNetClassifier)
    model = load_model(path)
    np.testing.assert_array_equal(model.predict(X), clf.decision_function(frame))


def test_regressor_npz_round_trip_and_partial_fit_after(tmp_path, regression2):
    X, y = regression2
    reg = FCNetRegressor(**SMALL).fit(X, y)
    reg.save(tmp_path / "reg.npz")
    back = fcnet.sklearn.load(tmp_path / "reg.npz")
    assert isinstance(back, FCNetRegressor) and back.n_outputs_ == 2
    np.testing.assert_array_equal(back.predict(X), reg.predict(X))
    back.partial_fit(X, y)  # trains on (a fresh optimiser)
    assert back.n_iter_ == reg.n_iter_ + 1


def test_integer_and_bool_labels_keep_their_dtype(tmp_path, blobs3):
    X, y = blobs3
    for labels in (y.astype(np.int32) * 10, y == 1):
        clf = FCNetClassifier(**SMALL).fit(X, labels)
        clf.save(tmp_path / "m.npz")
        back = FCNetClassifier.load(tmp_path / "m.npz")
        assert back.classes_.dtype == clf.classes_.dtype
        np.testing.assert_array_equal(back.predict(X), clf.predict(X))


def test_load_errors_name_the_file(tmp_path, blobs3, regression2):
    X, y = blobs3
    clf = FCNetClassifier(**SMALL).fit(X, y)
    with pytest.raises(ValueError, match=r"expected a \.npz file name"):
        clf.save(tmp_path / "clf.pkl")
    clf.save(tmp_path / "clf.npz")
    with pytest.raises(
        ValueError, match=r"clf\.npz: holds a 'FCNetClassifier', not a FCNetRegressor"
    ):
        FCNetRegressor.load(tmp_path / "clf.npz")
    # a plain fcnet model file has no estimator data
    clf.model_.save(tmp_path / "plain.npz")
    with pytest.raises(ValueError, match="without estimator data"):
        FCNetClassifier.load(tmp_path / "plain.npz")
    with pytest.raises(ValueError, match="not a saved fcnet estimator"):
        fcnet.sklearn.load(tmp_path / "plain.npz")
    with pytest.raises(FileNotFoundError):
        FCNetClassifier.load(tmp_path / "missing.npz")
    (tmp_path / "pickle.npz").write_bytes(pickle.dumps(clf))
    with pytest.raises(ValueError, match="pickle"):
        FCNetClassifier.load(tmp_path / "pickle.npz")


def test_pickling_still_works(blobs3):
    X, y = blobs3
    clf = FCNetClassifier(**SMALL).fit(X, y)
    back = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    back.partial_fit(X, y)


def test_pickling_a_network_large_enough_for_the_compiled_step():
    """At 2**15 parameters and more the numpy backend trains through `fcnet._speed`'s
    compiled step and thread chooser (module and ctypes handles): a pickle leaves them out
    and the copy makes its own, predicting and training on as the original."""
    rng = np.random.default_rng(0)
    X, y = rng.random((64, 300)), np.arange(64) % 2
    clf = FCNetClassifier(hidden_layer_sizes=(128,), max_iter=2, random_state=0).fit(X, y)
    back = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    back.partial_fit(X, y)
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))


def test_the_module_load_reads_the_file_once(tmp_path, monkeypatch):
    """fcnet.sklearn.load picks the class and builds it from one read of the file."""
    fs = fcnet.sklearn
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    path = tmp_path / "reg.npz"
    FCNetRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y).save(path)
    reads = []
    real = fs.read_model_npz
    monkeypatch.setattr(fs, "read_model_npz", lambda *a, **k: reads.append(a) or real(*a, **k))
    est = fs.load(path)
    assert isinstance(est, FCNetRegressor) and est.predict(X).shape == (40,)
    assert len(reads) == 1


def _with_meta(saved, out, **changes):
    """A copy of the saved estimator `saved` whose __sklearn__ entry has `changes`
    (None: the key taken out)."""
    import json

    with np.load(saved) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["__sklearn__"]))
    for key, value in changes.items():
        if value is None:
            del meta[key]
        else:
            meta[key] = value
    arrays["__sklearn__"] = np.array(json.dumps(meta))
    np.savez_compressed(out, **arrays)
    return out


@pytest.mark.parametrize(
    ("changes", "english", "chinese"),
    [
        (
            {"n_iter": True},
            "__sklearn__ field 'n_iter': expected a whole number, got True",
            "__sklearn__ 的字段 'n_iter'：应为整数，实际为 True",
        ),
        (
            {"loss_curve": "x" * 100},
            "__sklearn__ field 'loss_curve': expected a list, got '" + "x" * 39 + "...",
            "__sklearn__ 的字段 'loss_curve'：应为列表，实际为 '" + "x" * 39 + "...",
        ),
        (
            {"estimator": "MLP"},
            "__sklearn__ field 'estimator': expected one of 'FCNetClassifier', "
            "'FCNetRegressor', got 'MLP'",
            "__sklearn__ 的字段 'estimator'：应为 'FCNetClassifier', 'FCNetRegressor' 之一，"
            "实际为 'MLP'",
        ),
        ({"t": None}, "__sklearn__ field 't': required", "__sklearn__ 的字段 't'：必填"),
    ],
)
def test_a_bad_estimator_entry_is_named_in_fcnets_words(
    tmp_path, blobs3, changes, english, chinese
):
    """Never pydantic's English msg ("Input should be ..."), in English and in Chinese."""
    from fcnet.i18n import use_language

    X, y = blobs3
    saved = tmp_path / "clf.npz"
    FCNetClassifier(**SMALL).fit(X, y).save(saved)
    path = _with_meta(saved, tmp_path / "bad.npz", **changes)
    with pytest.raises(ValueError) as info:
        FCNetClassifier.load(path)
    assert str(info.value) == f"{path}: {english}"
    with use_language("zh"), pytest.raises(ValueError) as info:
        FCNetClassifier.load(path)
    assert str(info.value) == f"{path}：{chinese}"
    assert not any(word in str(info.value) for word in ("Input", "should", "field", "got"))
