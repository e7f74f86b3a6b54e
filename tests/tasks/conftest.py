"""Every task test runs in its own empty folder, so anything written outside --out shows."""

from __future__ import annotations

import pytest


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def only_run_folder(workdir):
    """Assert the task wrote nothing beside its run folder(s)."""

    def check(*names: str) -> None:
        assert sorted(p.name for p in workdir.iterdir()) == sorted(names or ("run",))

    return check
