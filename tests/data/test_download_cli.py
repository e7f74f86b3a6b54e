"""`fcnet data download` (mirrors, cache, one-line errors) and where load_mnist looks."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from fcnet.cli import cli
from fcnet.data import mnist
from fcnet.data.mnist import MNIST_SHA256, load_mnist

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "mnist"
NAMES = sorted(f"{stem}.gz" for stem in MNIST_SHA256)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A user with an empty cache and no FCNET_* data variables."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for var in (mnist.ENV_VAR, mnist.MIRROR_ENV_VAR):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_download_into_the_cache_from_a_mirror(mirrors, home):
    good, bad = mirrors
    result = CliRunner().invoke(cli, ["data", "download", "--mirror", bad, "--mirror", good])
    assert result.exit_code == 0, result.output
    cache = home / "cache" / "fcnet" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == NAMES
    assert f"MNIST is in {cache} (SHA-256 verified)" in result.output
    for name in NAMES:  # the progress bar names every file
        assert name in result.output
    again = CliRunner().invoke(cli, ["data", "download", "--mirror", bad])  # nothing to fetch
    assert again.exit_code == 0 and "(already there)" in again.output


def test_mirror_from_the_environment_and_dir(mirrors, home, monkeypatch):
    good, _ = mirrors
    monkeypatch.setenv(mnist.MIRROR_ENV_VAR, good)
    result = CliRunner().invoke(cli, ["data", "download", "--dir", str(home / "d")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (home / "d").iterdir()) == NAMES
    assert mnist.mirrors_from_env() == (good,)
    monkeypatch.setenv(mnist.MIRROR_ENV_VAR, f"{good}, http://b/")
    assert mnist.mirrors_from_env() == (good, "http://b/")
    monkeypatch.delenv(mnist.MIRROR_ENV_VAR)
    assert mnist.mirrors_from_env() == mnist.MNIST_MIRRORS


def test_every_mirror_failing_is_one_line_saying_where_to_put_the_files(mirrors, home):
    _, bad = mirrors
    result = CliRunner().invoke(
        cli, ["data", "download", "--dir", str(home / "d"), "--mirror", bad]
    )
    assert result.exit_code == 2
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("fcnet: error: download_mnist: no verified copy of t10k-labels")
    assert f"in {home / 'd'} by hand" in line and "ships them in data/mnist/" in line
    assert "--mirror URL or FCNET_MNIST_MIRROR" in line


def test_the_error_in_chinese(mirrors, home):
    _, bad = mirrors
    result = CliRunner().invoke(cli, ["--lang", "zh", "data", "download", "--mirror", bad])
    assert result.exit_code == 2
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("fcnet: 错误：download_mnist: 没有取得校验通过的 t10k-labels")
    assert "手动" in line and "data/mnist/" in line


def test_load_mnist_looks_in_the_env_folder_the_repository_then_the_cache(home, monkeypatch):
    cache = home / "cache" / "fcnet" / "mnist"
    cache.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(SHIPPED / name, cache / name)
    monkeypatch.setenv(mnist.ENV_VAR, str(home / "nowhere"))
    assert mnist.search_roots() == [home / "nowhere", SHIPPED, cache]
    # as in an installed wheel: no repository copy
    monkeypatch.setattr(mnist, "_repository_copy", lambda: home / "site" / "data" / "mnist")
    x, y = load_mnist("test")  # from the cache, verified
    assert x.shape == (10000, 784) and np.bincount(y)[1] == 1135
    with pytest.raises(FileNotFoundError) as info:
        load_mnist("train")
    message = str(info.value)
    assert message.startswith(f"no MNIST train data in {home / 'nowhere'}, ")
    assert "run 'fcnet data download'" in message and str(cache) in message


def test_a_damaged_cached_file_is_refused(home, monkeypatch):
    cache = home / "cache" / "fcnet" / "mnist"
    cache.mkdir(parents=True)
    shutil.copy(SHIPPED / "t10k-images-idx3-ubyte.gz", cache)
    labels = mnist.read_idx(SHIPPED / "t10k-labels-idx1-ubyte.gz")
    labels[0] = (labels[0] + 1) % 10
    from fcnet.data.idx import write_idx

    write_idx(cache / "t10k-labels-idx1-ubyte", labels)
    monkeypatch.setattr(mnist, "_repository_copy", lambda: home / "absent")
    with pytest.raises(mnist.ChecksumError, match="fcnet data download"):
        load_mnist("test")
