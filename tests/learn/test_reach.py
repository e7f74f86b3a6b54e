"""fcnet.learn.reach: what of fcnet the sandboxed child may read. Reference solutions never
exist in the child: each exercise's answer in fcnet (the engine for backprop, the IDX reader
for idx, roc_auc for auc, the backends for torch and tensorflow, every check) is left out,
and the list is complete (what the child really imports is in it)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fcnet.learn import reach
from fcnet.learn.exercises import CATALOG, get

# modules no child may read: the checks, the runner, the evaluators, the step-through
NEVER = (
    "fcnet.learn.core",
    "fcnet.learn.runner",
    "fcnet.learn.exercises",
    "fcnet.learn.explain",
    "fcnet.learn.hints",
    "fcnet.learn.sandbox",
    "fcnet.explain",
    "fcnet.backends",
    "fcnet.metrics",
    "fcnet.tasks",
    "fcnet.sklearn",
    "fcnet.grade",
    "fcnet.studio",
)
# each exercise's answer, as fcnet holds it
ANSWERS = {
    "backprop": ("fcnet.nn", "fcnet.explain"),
    "idx": ("fcnet.data",),
    "auc": ("fcnet.metrics",),
    "torch": ("fcnet.backends", "fcnet.nn"),
    "tensorflow": ("fcnet.backends", "fcnet.nn"),
}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize("name", list(CATALOG))
def test_no_reference_and_no_check_is_readable(name):
    ex = get(name)
    modules = reach.child_modules(ex.uses, reach.driver_module(name))
    for module in modules:
        for package in (*NEVER, *ANSWERS.get(name, ())):
            assert not _within(module, package), f"{name}: the child may read {module}"
    files = reach.child_files(name, ex.uses)
    assert not [f for f in files if f.startswith("learn/exercises")]
    assert "learn/child.py" in files and "learn/student_file.py" in files and "locale" in files


def test_the_drivers_and_the_packages_to_train_with():
    assert reach.driver_module("torch") == "fcnet.learn.drivers.torch"
    assert reach.driver_module("backprop") is None
    torch_files = reach.child_files("torch")
    assert "learn/drivers/torch.py" in torch_files
    assert "learn/drivers/tensorflow.py" not in torch_files
    fit = get("fit")
    files = reach.child_files("fit", fit.uses)
    assert {"nn/layers.py", "nn/optim.py", "data/mnist.py", "schedules.py"} <= set(files)


# the code each kind of child runs: the server, a skeleton's check_grad, a notebook's check
# cell, the drivers; with `uses`, a network trained with fcnet.nn on fcnet.data's samples
CHILD_CODE = """
import fcnet.learn.child
from fcnet.learn import check_grad, import_library, run_checks
import numpy as np
w = np.ones(3)
assert check_grad(lambda: float((w ** 2).sum()), {"w": w}, {"w": 2 * w}).passed
assert run_checks("backprop", "x.py").passed  # inside the child: a stand-in
"""
TRAIN_CODE = """
import numpy as np
from fcnet import nn
from fcnet.data import synthetic
model = nn.Sequential(nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 1))
loss, opt = nn.MSELoss(), nn.Adam(model.parameters(), lr=1e-2)
x = np.linspace(-1, 1, 32, dtype=np.float32)[:, None]
for _ in range(3):
    model.zero_grad()
    loss_value = loss.forward(model.forward(x), x ** 2)
    model.backward(loss.backward())
    opt.step()
"""


def _imported(code: str, *modules: str) -> set[str]:
    code = textwrap.dedent(code) + "".join(f"\nimport {m}" for m in modules)
    code += "\nimport json, sys\nprint(json.dumps([m for m in sys.modules if m[:5] == 'fcnet']))"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={"FCNET_LEARN_CHILD": "1", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.splitlines()[-1]))


@pytest.mark.parametrize("name", list(CATALOG))
def test_what_the_child_imports_is_readable(name):
    """The closure read from the import statements holds every module the child really
    imports (were one missing, the learner's code would meet a PermissionError)."""
    ex = get(name)
    driver = reach.driver_module(name)
    code = CHILD_CODE + (TRAIN_CODE if ex.uses else "")
    imported = _imported(code, *([driver] if driver else []))
    assert imported <= reach.child_modules(ex.uses, driver), imported - reach.child_modules(
        ex.uses, driver
    )


def test_forbidden_libraries_are_found_where_they_are_installed():
    import numpy
    import sklearn

    (sk,) = reach.library_paths(("sklearn",))
    assert sk == Path(sklearn.__file__).resolve().parent
    assert reach.library_paths(("no_such_library_here",)) == ()
    assert Path(numpy.__file__).resolve().parent not in reach.library_paths(
        get("auc").forbidden
    )  # auc's checks call the learner's code on numpy arrays
    assert "sklearn" in get("auc").forbidden and "torch" in get("backprop").forbidden
    for name in ("fit", "mnist", "torch", "tensorflow"):
        assert get(name).forbidden == ()  # any network, any framework they ask for


def test_every_copy_of_a_forbidden_library_is_found(tmp_path, monkeypatch):
    """A library installed twice on the path: both copies, so a learner cannot put the
    second first on sys.path and import it."""
    for folder in ("one", "two"):
        (tmp_path / folder / "fcnet_fake_lib").mkdir(parents=True)
        (tmp_path / folder / "fcnet_fake_lib" / "__init__.py").write_text("")
    (tmp_path / "three").mkdir()
    (tmp_path / "three" / "fcnet_fake_mod.py").write_text("")
    for folder in ("one", "two", "three"):
        monkeypatch.syspath_prepend(str(tmp_path / folder))
    found = reach.library_paths.__wrapped__(("fcnet_fake_lib", "fcnet_fake_mod"))
    assert set(found) == {
        (tmp_path / "one" / "fcnet_fake_lib").resolve(),
        (tmp_path / "two" / "fcnet_fake_lib").resolve(),
        (tmp_path / "three" / "fcnet_fake_mod.py").resolve(),
    }
