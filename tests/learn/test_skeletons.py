"""Every untouched skeleton fails each check with "not implemented yet", naming the function."""

import pytest

from fcnet.learn.core import run_in_process
from fcnet.learn.exercises import CATALOG, get
from fcnet.learn.skeleton import render


@pytest.mark.parametrize("name", list(CATALOG))
def test_untouched_skeleton_is_not_implemented_yet(name):
    namespace = {"__name__": "skeleton"}
    exec(compile(render(name, "py"), f"{name}.py", "exec"), namespace)
    exercise = get(name)
    for function in exercise.functions:
        assert function in namespace, f"the skeleton defines {function}"
    report = run_in_process(exercise, namespace)
    assert len(report.checks) == len(exercise.checks)
    for check in report.checks:
        assert not check.passed
        assert check.message.startswith("not implemented yet: "), check
        named = check.message.split()[3]
        assert named.split(".")[0] in exercise.functions, check


@pytest.mark.parametrize("name", list(CATALOG))
def test_limits_nest(name):
    """A check outlives the calls it makes; the import and every check fit in the total."""
    from fcnet.learn.core import CALL_LIMIT

    exercise = get(name)
    assert exercise.import_seconds <= 60
    for check in exercise.checks:
        calls = [check.call_limit or exercise.call_limits.get(f, CALL_LIMIT) for f in check.uses]
        assert check.seconds > max(calls), check.name
        assert check.seconds <= exercise.total_seconds
