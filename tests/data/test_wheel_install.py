"""A non-editable install (the wheel, in a fresh virtualenv) fetches MNIST with
`fcnet data download` from a mirror on 127.0.0.1, then trains; its CLI speaks Chinese.

The new environment reuses the test environment's third-party packages through a .pth
line (no network needed); fcnet itself comes only from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """bin/ of a fresh virtualenv with fcnet installed from a freshly built wheel."""
    top = tmp_path_factory.mktemp("wheel")
    src = top / "src-copy"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    built = _run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(top), str(src)])
    assert built.returncode == 0, built.stderr
    (wheel,) = top.glob("fcnet-*.whl")
    venv = top / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    site = Path(purelib.stdout.strip())
    (site / "shared-test-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = ["install", "--no-deps", "--no-index", "--ignore-installed", str(wheel)]
    done = _run([*pip, "--python", str(python), *install])
    assert done.returncode == 0, done.stderr
    return venv / "bin"


def test_installed_wheel_downloads_mnist_from_a_mirror_and_trains(installed, mirrors, tmp_path):
    good, bad = mirrors
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FCNET_MNIST_DIR")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), FCNET_LANG="en")
    work = tmp_path / "anywhere"
    work.mkdir()

    def fcnet(*argv: str) -> subprocess.CompletedProcess[str]:
        return _run([str(installed / "fcnet"), *argv], cwd=work, env=env)

    where = _run([str(installed / "python"), "-c", "import fcnet; print(fcnet.__file__)"], env=env)
    assert where.stdout.startswith(str(installed.parent)), where  # the wheel's, not the repo's

    before = fcnet("mnist", "--epochs", "1", "--out", "run")
    assert before.returncode == 2
    assert "run 'fcnet data download'" in before.stderr
    assert len(before.stderr.strip().splitlines()) == 1

    got = fcnet("data", "download", "--mirror", bad, "--mirror", good)
    assert got.returncode == 0, got.stderr
    cache = tmp_path / "cache" / "fcnet" / "mnist"
    assert len(list(cache.glob("*-ubyte.gz"))) == 4

    args = ["--limit", "500", "--epochs", "1", "--hidden", "16", "--out", "run", "-q"]
    trained = fcnet("mnist", *args)
    assert trained.returncode == 0, trained.stderr
    assert (work / "run" / "run.json").is_file()

    # the catalog travels in the wheel and is compiled at first use
    zh = fcnet("--lang", "zh", "mnist", "--help")
    assert zh.returncode == 0 and "识别 MNIST 手写数字" in zh.stdout

    # the skeletons travel too: the code once, the Chinese text from the catalog beside it
    started = fcnet("--lang", "zh", "exercise", "start", "auc", "--dir", "ex")
    assert started.returncode == 0, started.stderr
    text = (work / "ex" / "auc.py").read_text(encoding="utf-8")
    assert "ROC 曲线下面积" in text and "def roc_auc(y_true, scores):" in text
