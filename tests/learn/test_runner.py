"""`Checker` over many files (grading's use): reused from several threads, each file in a
fresh child; what one submission does never reaches the next; seeds recorded."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from learnkit import SOLUTIONS

from fcnet.learn.runner import Checker

REF = (SOLUTIONS / "backprop_ref.py").read_text()
POISON = REF + (
    "\nimport numpy\nnumpy.allclose = lambda *a, **k: True\n"
    "try:\n    import fcnet.learn.core as c\n    c.run_one = None\n"
    "except ImportError:\n    pass  # out of the child's reach\n"
    "def relu_forward(z):\n    return z\n"
)


def test_a_checker_checks_many_files_from_threads_each_on_its_own(tmp_path):
    paths = []
    for i, src in enumerate([REF, POISON, REF, POISON, REF]):
        path = tmp_path / f"s{i}.py"
        path.write_text(src)
        paths.append(path)
    with Checker("backprop", seed=7) as checker:
        with ThreadPoolExecutor(2) as pool:
            reports = list(pool.map(lambda p: checker.check(p, only=("relu_forward",)), paths))
    assert [r.passed for r in reports] == [True, False, True, False, True]
    assert all(r.seed == 7 and r.version == "2" for r in reports)
    assert "a is wrong at" in reports[1].checks[0].message


def test_the_seed_is_drawn_afresh_and_recorded(tmp_path):
    path = tmp_path / "s.py"
    path.write_text(REF)
    with Checker("backprop") as checker:
        seeds = {checker.check(path, only=("linear_forward",)).seed for _ in range(3)}
    assert len(seeds) == 3 and all(isinstance(s, int) for s in seeds)


def test_every_mistake_tag_is_described_once():
    from fcnet.learn.core import COMMON_MISTAKES
    from fcnet.learn.exercises import CATALOG, get

    for name in CATALOG:
        mistakes = get(name).mistakes
        assert mistakes, name
        assert not set(mistakes) & set(COMMON_MISTAKES) - {"not_a_network"}, name
        assert all(isinstance(v, str) and v for v in mistakes.values())


def test_a_sandbox_that_cannot_start_fails_the_checks_with_a_message(tmp_path, monkeypatch):
    from fcnet.learn import runner

    def refuse(*args, **kwargs):
        raise RuntimeError("the sandbox's zygote did not answer")

    monkeypatch.setattr(runner, "_spawn", refuse)
    path = tmp_path / "s.py"
    path.write_text(REF)
    report = runner.check_file("backprop", path, only=("relu_forward",))
    assert report.status == "crashed" and not report.passed
    assert report.checks[0].message == (
        "could not start the checking process: the sandbox's zygote did not answer"
    )


def test_a_plain_child_imports_what_the_parent_imports_from_pythonpath(tmp_path, monkeypatch):
    """--unsafe-no-sandbox (or no sandbox on this system): the child keeps the parent's
    PYTHONPATH after fcnet's own folder, so packages installed there still import."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "course_helpers.py").write_text("OFFSET = 0.0\n")
    monkeypatch.setenv("PYTHONPATH", str(lib))
    path = tmp_path / "backprop.py"
    path.write_text("import course_helpers\n" + REF)
    with Checker("backprop", unsafe_no_sandbox=True) as checker:
        report = checker.check(path, only=("linear_forward",))
    assert report.checks[0].passed, report.checks[0].message


def test_the_submissions_copy_is_private_while_it_is_checked(tmp_path, monkeypatch):
    """Other local users cannot read a student's code from the checker's copy."""
    import stat

    from fcnet.learn import runner

    modes = []
    real = runner._Child.__init__

    def spy(self, checker, path, total):
        modes.append((stat.S_IMODE(path.parent.stat().st_mode), stat.S_IMODE(path.stat().st_mode)))
        real(self, checker, path, total)

    monkeypatch.setattr(runner._Child, "__init__", spy)
    path = tmp_path / "backprop.py"
    path.write_text(REF)
    with Checker("backprop") as checker:
        report = checker.check(path, only=("linear_forward",))
    assert report.checks[0].passed, report.checks[0].message
    assert modes == [(0o700, 0o400)]


def test_a_plain_childs_home_is_its_scratch_folder(tmp_path):
    """Without a sandbox the learner's libraries still write their caches (matplotlib's,
    keras's) only in the child's scratch folder, its working folder, removed after: never
    under a HOME of the checker's choosing (a /nonexistent made at the root by root)."""
    path = tmp_path / "backprop.py"
    path.write_text(
        REF
        + "\nimport os\nhere = os.getcwd()\n"
        + "for where in (os.path.expanduser('~'), os.environ['TMPDIR'],\n"
        + "              os.path.dirname(os.environ['MPLCONFIGDIR'])):\n"
        + "    assert where == here, (where, here)\n"
    )
    with Checker("backprop", unsafe_no_sandbox=True) as checker:
        report = checker.check(path, only=("linear_forward",))
    assert report.passed, report.checks[0].message
