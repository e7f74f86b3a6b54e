"""The studio reads run folders through `fcnet.runs.reader`, the reader the CLI and the
tasks use (tests/runs/test_reader.py): each test makes that reader refuse or answer, and
the Runs and Digits pages must show it, so a page reading a file its own way fails here."""

from __future__ import annotations

import pytest
from studio_support import RUN_FIT, RUN_MNIST, digit_one_png, local_client

from fcnet import runs
from fcnet._fileio import FileError
from fcnet.runs import reader
from fcnet.studio import create_app

SENTINEL = "refused by the test's reader"


@pytest.fixture
def asked(monkeypatch) -> list[tuple[str, str, bool]]:
    """The reader's JSON and metrics reads, recorded as (run, file, inside the run); any
    result.json is refused."""
    seen: list[tuple[str, str, bool]] = []
    real_json, real_metrics = reader.read_json, reader.read_metrics

    def read_json(run_dir, name, *, inside=None):
        seen.append((run_dir.name, name, inside == run_dir))
        if name == runs.RESULT:
            raise FileError(f"{name}: {SENTINEL}")
        return real_json(run_dir, name, inside=inside)

    def read_metrics(run_dir, name=runs.METRICS_LOG, *, inside=None):
        seen.append((run_dir.name, name, inside == run_dir))
        return [{"epoch": 7, "train_loss": 0.5}, *real_metrics(run_dir, name, inside=inside)]

    monkeypatch.setattr(reader, "read_json", read_json)
    monkeypatch.setattr(reader, "read_metrics", read_metrics)
    return seen


def test_the_runs_list_and_a_runs_page_read_through_the_reader(runs_dir, asked):
    with local_client(create_app(runs_dir)) as c:
        listing = c.get("/api/runs").json()
        detail = c.get(f"/api/runs/{RUN_FIT}").json()
    skipped = {s["name"]: s["problem"] for s in listing["skipped"]}
    assert skipped[RUN_FIT] == f"result.json: {SENTINEL}"
    assert detail["problems"] == [f"result.json: {SENTINEL}"] and detail["result"] is None
    assert detail["metrics"][0] == {"epoch": 7, "train_loss": 0.5}
    assert detail["run"]["task"] == "fit" and detail["config"]["input_size"] == 1
    files = {file for run, file, _inside in asked if run == RUN_FIT}
    assert files == {runs.RUN_JSON, runs.CONFIG, runs.RESULT, runs.METRICS_LOG}
    assert all(inside for _run, _file, inside in asked)  # every read confined to its run


def test_digits_reads_a_models_spec_and_path_through_the_reader(runs_dir, monkeypatch):
    def read_model_spec(run_dir, **kwargs):
        assert kwargs["inside"] == run_dir and kwargs["limit"] == 256 << 20
        raise FileError(f"model.npz: {SENTINEL}")

    monkeypatch.setattr(reader, "read_model_spec", read_model_spec)
    with local_client(create_app(runs_dir)) as c:
        models = c.get("/api/digits/models").json()
        r = c.post(
            "/api/digits/predict", json={"model": f"run:{RUN_MNIST}", "image": digit_one_png()}
        )
    assert models["models"] == []
    assert {"name": RUN_MNIST, "problem": f"model.npz: {SENTINEL}"} in models["skipped"]
    assert r.status_code == 400 and SENTINEL in r.json()["error"]


def test_digits_loads_the_model_the_reader_names(runs_dir, monkeypatch):
    def model_path(run_dir, *, inside=None):
        assert inside == run_dir
        raise FileError(f"model.npz: {SENTINEL}")

    monkeypatch.setattr(reader, "model_path", model_path)
    with local_client(create_app(runs_dir)) as c:
        r = c.post(
            "/api/digits/predict", json={"model": f"run:{RUN_MNIST}", "image": digit_one_png()}
        )
    assert r.status_code == 400 and SENTINEL in r.json()["error"]
