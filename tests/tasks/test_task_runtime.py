"""The tasks start their run and build their model through `fcnet.runtime`, the seam a
distributed session installs itself into (the tasks never import fcnet.distributed)."""

from __future__ import annotations

import pytest

from fcnet import runtime
from fcnet.backends import build
from fcnet.tasks import fit


class Recorder:
    """A runtime that makes a silent Run (as a distributed rank other than 0 gets)."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.calls: list[str] = []

    def start_run(self, make, silent, *args):
        self.calls.append("start_run")
        run = make(*args)  # resolves and checks the options as rank 0 does
        scratch = self.tmp_path / "scratch"
        return silent(args[0], scratch, run.options, run.sources, run.resuming)

    def build(self, spec, backend, device):
        self.calls.append(f"build {backend} {device}")
        return build(spec, backend, device=device)


def test_an_installed_runtime_starts_the_run_and_builds_the_model(workdir, tmp_path):
    rec = Recorder(tmp_path)
    runtime.install(rec)
    try:
        r = fit("x", samples=100, epochs=1, quiet=True, out="run")
    finally:
        runtime.uninstall(rec)
    assert rec.calls == ["start_run", "build numpy cpu"]
    assert not (workdir / "run").exists()  # the silent Run wrote nothing of the run
    # only the loop's checkpoint and log, in the scratch folder
    assert {p.name for p in r.files} == {"checkpoint.npz", "metrics.jsonl"}
    assert all(p.parent == tmp_path / "scratch" for p in r.files)
    assert r.metrics["test_mse"] >= 0
    assert runtime.active() is None


def test_one_runtime_at_a_time(tmp_path):
    a, b = Recorder(tmp_path), Recorder(tmp_path)
    runtime.install(a)
    try:
        with pytest.raises(RuntimeError, match="already installed"):
            runtime.install(b)
    finally:
        runtime.uninstall(a)
