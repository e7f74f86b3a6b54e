"""fcnet.learn.sandbox: hostile student code against the confinement.

Each case is a small Python file run as the submission, in a fresh sandboxed interpreter
(`spawn`) and/or a child forked by a `Zygote`; the parent checks what it could reach.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from fcnet.learn import sandbox as sb

MiB = 1 << 20
LIMITS = sb.Limits(cpu_seconds=20, memory_bytes=1024 * MiB)
CASES = Path(__file__).parent / "sandbox_cases"


@pytest.fixture(scope="module")
def zygote():
    with sb.Zygote() as z:
        yield z


def _submission(folder: Path, code: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "submission.py"
    path.write_text(textwrap.dedent(code))
    return path


def _start(how, zygote, path: Path, limits: sb.Limits = LIMITS, readable=()) -> sb.Sandboxed:
    """ "fresh": a new interpreter; "zygote": forked by the zygote; "fallback": a new
    interpreter as on a kernel without namespaces, Landlock and seccomp, and no cgroup
    (only rlimits and the parent's watch hold the tree)."""
    policy = sb.Policy((path, *readable), limits)
    if how == "zygote":
        return zygote.spawn("runpy:run_path", policy, args=[str(path)])
    if how == "fallback":
        os.environ[sb.OFF_ENV] = "namespaces,landlock,seccomp,cgroup"
    try:
        return sb.spawn([str(path)], policy)
    finally:
        os.environ.pop(sb.OFF_ENV, None)


def _run(how, zygote, path, limits=LIMITS, readable=(), timeout=60.0):
    """Run the submission to its end; (exit code, output, killed_for)."""
    with _start(how, zygote, path, limits, readable) as box:
        code = box.wait(timeout)
        assert code is not None, f"still running after {timeout} s: {box.output()}"
        return code, box.output(), box.killed_for


def _verdict(output: str) -> dict:
    """The last line of the submission's output: its JSON verdict."""
    lines = [line for line in output.splitlines() if line.startswith("{")]
    assert lines, f"no verdict in output: {output!r}"
    return json.loads(lines[-1])


def _pids_with(marker: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                found.append(int(name))
    return found


def _gone(marker: str, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while _pids_with(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


HOW = pytest.mark.parametrize("how", ["fresh", "zygote"])
HOW_ALL = pytest.mark.parametrize("how", ["fresh", "zygote", "fallback"])  # tree limits


# ---------------------------------------------------------------- what this kernel gives


def test_protections_all_on_this_machine():
    """Kernel 6.18 (Landlock ABI 7, user namespaces): every protection; a cgroup as root."""
    found = sb.protections()
    assert set(found) == set(sb.PROTECTIONS)
    expected = {name: True for name in sb.PROTECTIONS}
    expected["cgroup"] = os.geteuid() == 0
    assert found == expected, sb.missing_protections()
    # no cgroup for an ordinary user: the /proc watch holds its limits, so nothing is missing
    # (grading as a teacher, not root, needs no --unsafe-no-sandbox)
    assert sb.missing_protections() == []


def test_no_cgroup_is_not_a_missing_protection(monkeypatch):
    """An ordinary user gets no cgroup here: the /proc watch holds its limits, so neither
    `fcnet check`'s note nor `fcnet grade`'s refusal counts it."""
    monkeypatch.setenv(sb.OFF_ENV, "cgroup")
    # probe afresh, without the process's cached answers
    monkeypatch.setattr(sb, "protections", sb.protections.__wrapped__)
    monkeypatch.setattr(sb, "_cgroup_available", sb._cgroup_available.__wrapped__)
    found = sb.protections()
    assert found["cgroup"] is False and all(v for k, v in found.items() if k != "cgroup")
    assert sb.missing_protections() == []


def test_limits_refuse_nonsense():
    with pytest.raises(ValueError, match="cpu_seconds"):
        sb.Limits(cpu_seconds=0, memory_bytes=1)
    with pytest.raises(ValueError, match="memory_bytes"):
        sb.Limits(cpu_seconds=1, memory_bytes=-5)


# ---------------------------------------------------------------- files


@HOW
def test_reads_only_the_submission_python_and_the_data(how, zygote, tmp_path):
    home_secret = Path.home() / f".fcnet-sandbox-test-{uuid.uuid4().hex}"
    home_secret.write_text("home secret")
    try:
        (tmp_path / "secret_above.txt").write_text("above")
        (tmp_path / "sub" / "secret_beside.txt").parent.mkdir()
        (tmp_path / "sub" / "secret_beside.txt").write_text("beside")
        data = tmp_path / "data"
        data.mkdir()
        (data / "x.txt").write_text("data")
        path = _submission(
            tmp_path / "sub",
            f"""
            import json, os, sys
            def attempt(f):
                try:
                    f()
                    return "ok"
                except OSError as exc:
                    return type(exc).__name__
            here = {str(tmp_path / "sub")!r}
            print(json.dumps({{
                "self": attempt(lambda: open(here + "/submission.py").read()),
                "data": attempt(lambda: open({str(data / "x.txt")!r}).read()),
                "numpy": attempt(lambda: __import__("numpy")),
                "beside": attempt(lambda: open(here + "/secret_beside.txt").read()),
                "list_beside": attempt(lambda: os.listdir(here)),
                "above": attempt(lambda: open({str(tmp_path / "secret_above.txt")!r}).read()),
                "home": attempt(lambda: open({str(home_secret)!r}).read()),
                "passwd": attempt(lambda: open("/etc/passwd").read()),
                "cwd_is_scratch": os.getcwd() != here,
                "processes_seen": len([p for p in os.listdir("/proc") if p.isdigit()]),
            }}))
            """,
        )
        code, output, _ = _run(how, zygote, path, readable=(data,))
    finally:
        home_secret.unlink()
    assert code == 0, output
    assert _verdict(output) == {
        "self": "ok",
        "data": "ok",
        "numpy": "ok",
        "beside": "PermissionError",
        "list_beside": "PermissionError",
        "above": "PermissionError",
        "home": "PermissionError",
        "passwd": "PermissionError",
        "cwd_is_scratch": True,
        "processes_seen": 2,  # its own /proc: its init and itself
    }


@HOW
def test_hidden_paths_inside_readable_folders(how, zygote, tmp_path):
    """An exercise's checks inside fcnet, answers inside the data folder: unreadable, while
    everything around them (fcnet's other modules, the other data) still is."""
    import fcnet.learn.exercises as exercises

    data = tmp_path / "data"
    (data / "deeper").mkdir(parents=True)
    (data / "x.txt").write_text("data")
    (data / "deeper" / "answers.txt").write_text("42")
    (data / "deeper" / "y.txt").write_text("more data")
    (data / "link.txt").symlink_to(data / "deeper" / "answers.txt")  # a way round: closed too
    checks = Path(exercises.__file__).parent / "fit" / "__init__.py"
    path = _submission(
        tmp_path / "sub",
        f"""
        import json, os
        def attempt(f):
            try:
                f()
                return "ok"
            except OSError as exc:
                return type(exc).__name__
        print(json.dumps({{
            "data": attempt(lambda: open({str(data / "x.txt")!r}).read()),
            "deeper": attempt(lambda: open({str(data / "deeper" / "y.txt")!r}).read()),
            "listing": sorted(os.listdir({str(data / "deeper")!r})),
            "answers": attempt(lambda: open({str(data / "deeper" / "answers.txt")!r}).read()),
            "link": attempt(lambda: open({str(data / "link.txt")!r}).read()),
            "checks": attempt(lambda: open({str(checks)!r}).read()),
            "fcnet": attempt(lambda: __import__("fcnet.learn.channel")),
        }}))
        """,
    )
    policy = sb.Policy((path, data), LIMITS, hidden=(data / "deeper" / "answers.txt", checks))
    box = (
        sb.spawn([str(path)], policy)
        if how == "fresh"
        else zygote.spawn("runpy:run_path", policy, args=[str(path)])
    )
    with box:
        assert box.wait(60) == 0, box.output()
        verdict = _verdict(box.output())
    assert verdict == {
        "data": "ok",
        "deeper": "ok",
        "listing": ["answers.txt", "y.txt"],
        "answers": "PermissionError",
        "link": "PermissionError",
        "checks": "PermissionError",
        "fcnet": "ok",
    }


@HOW
def test_fcnet_allow_list(how, zygote, tmp_path):
    """`Policy.fcnet`: of fcnet's package only the files named (with their compiled copies)
    and the folders named can be read; a file written there after the rules, even with an
    allowed module's name pattern, cannot; every folder on the way can be listed."""
    import fcnet

    root = Path(fcnet.__file__).resolve().parent
    late = root / "learn" / "__pycache__" / f"core-{uuid.uuid4().hex}.cpython-311.pyc"
    named = ("__init__.py", "_startup.py", "learn/__init__.py", "learn/channel.py", "locale")
    path = _submission(
        tmp_path / "sub",
        f"""
        import json, os, time
        root, late = {str(root)!r}, {str(late)!r}
        while not os.path.exists(late):  # the parent writes it once this child runs
            time.sleep(0.01)
        readable = []
        for folder, dirs, files in os.walk(root):
            for name in files:
                full = os.path.join(folder, name)
                try:
                    open(full, "rb").close()
                    readable.append(os.path.relpath(full, root))
                except OSError:
                    pass
        print(json.dumps({{"readable": sorted(readable), "listed": sorted(os.listdir(root))}}))
        """,
    )
    policy = sb.Policy((path,), LIMITS, fcnet=named)
    box = (
        sb.spawn([str(path)], policy)
        if how == "fresh"
        else zygote.spawn("runpy:run_path", policy, args=[str(path)])
    )
    try:
        with box:
            time.sleep(0.3)  # let it confine itself first
            late.parent.mkdir(exist_ok=True)
            late.write_bytes(b"reference")
            assert box.wait(60) == 0, box.output()
            verdict = _verdict(box.output())
    finally:
        late.unlink(missing_ok=True)
    readable = set(verdict["readable"])
    expected = {"__init__.py", "_startup.py", "learn/__init__.py", "learn/channel.py"}
    assert expected <= readable
    assert any(r.startswith("locale/zh/") for r in readable)
    rest = readable - expected
    for r in rest:  # the compiled copies of the files named, and the translations
        folder, _, name = r.rpartition("/")
        compiled = folder.endswith("__pycache__") and name.endswith(".pyc")
        source = f"{folder.removesuffix('__pycache__')}{name.split('.')[0]}.py".lstrip("/")
        assert r.startswith("locale/") or (compiled and source in expected), r
    assert "nn" in verdict["listed"] and "numdiff.py" in verdict["listed"]


def test_nested_roots_are_covered_once(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "c").symlink_to(tmp_path / "a" / "b")
    roots = [str(tmp_path / p) for p in ("a", "a/b", "c", "absent")]
    assert sb._outermost(roots) == [str(tmp_path.resolve() / "a")]


def test_fcnet_allow_list_survives_json():
    policy = sb.Policy((Path("/x"),), LIMITS, fcnet=("learn/child.py",))
    assert sb.Policy.from_json(json.loads(json.dumps(policy.to_json()))) == policy
    assert sb.Policy.from_json(sb.Policy((), LIMITS).to_json()).fcnet is None


@HOW
def test_writes_only_in_scratch_and_scratch_is_removed(how, zygote, tmp_path):
    keep = tmp_path / "keep.txt"
    keep.write_text("mine")
    path = _submission(
        tmp_path / "sub",
        f"""
        import json, os
        def attempt(f):
            try:
                f()
                return "ok"
            except OSError as exc:
                return type(exc).__name__
        os.makedirs("deep/er")
        open("deep/er/f.txt", "w").write("scratch")
        os.chmod("deep/er", 0)   # the student locks a folder: still removed afterwards
        os.chmod("deep", 0o500)
        print(json.dumps({{
            "scratch": os.getcwd(),
            "in_scratch": sorted(os.listdir(".")),
            "write_beside": attempt(lambda: open({str(tmp_path / "sub" / "new.txt")!r}, "w")),
            "overwrite": attempt(lambda: open({str(keep)!r}, "w")),
            "delete": attempt(lambda: os.unlink({str(keep)!r})),
            "rename": attempt(lambda: os.rename({str(keep)!r}, {str(tmp_path / "moved")!r})),
            "mkdir": attempt(lambda: os.mkdir({str(tmp_path / "made")!r})),
            "tmp": attempt(lambda: open("/tmp/fcnet-sandbox-escape.txt", "w")),
            "self": attempt(lambda: open(__file__, "a")),
        }}))
        """,
    )
    with _start(how, zygote, path) as box:
        assert box.wait(60) == 0, box.output()
        verdict = _verdict(box.output())
        scratch = Path(verdict.pop("scratch"))
        assert scratch == box.scratch and verdict.pop("in_scratch") == ["deep"]
    assert set(verdict.values()) == {"PermissionError"}, verdict
    assert not scratch.exists()
    assert keep.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt", "sub"]
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["submission.py"]
    assert not Path("/tmp/fcnet-sandbox-escape.txt").exists()


# ---------------------------------------------------------------- network


@HOW
def test_no_connection_even_to_loopback(how, zygote, tmp_path):
    tcp = socket.create_server(("127.0.0.1", 0))
    tcp.settimeout(0.2)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.2)
    unix_path = tmp_path / "listener.sock"  # a database's or docker's socket, say
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(unix_path))
    unix.listen()
    unix.settimeout(0.2)
    path = _submission(
        tmp_path,
        f"""
        import json, socket
        def attempt(f):
            try:
                f()
                return "ok"
            except OSError as exc:
                return type(exc).__name__
        def tcp():
            socket.create_connection(("127.0.0.1", {tcp.getsockname()[1]}), timeout=2).send(b"hi")
        def udp():
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
                b"hi", ("127.0.0.1", {udp.getsockname()[1]}))
        def listen():
            socket.create_server(("127.0.0.1", 0))
        def unix():
            socket.socket(socket.AF_UNIX).connect({str(unix_path)!r})
        def pair():
            a, b = socket.socketpair()
            a.send(b"x")
            assert b.recv(1) == b"x"
            import multiprocessing  # pipes, socketpairs and semaphores in our own /dev/shm
            with multiprocessing.Pool(2) as pool:
                assert pool.map(abs, [-1, -2]) == [1, 2]
        def io_uring():
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            params = ctypes.create_string_buffer(120)
            if libc.syscall(425, 1, params) < 0:
                raise OSError(ctypes.get_errno(), "io_uring_setup")
        print(json.dumps({{"tcp": attempt(tcp), "udp": attempt(udp), "listen": attempt(listen),
                          "unix": attempt(unix), "socketpair": attempt(pair),
                          "io_uring": attempt(io_uring)}}))
        """,
    )
    try:
        code, output, _ = _run(how, zygote, path)
        with pytest.raises(TimeoutError):
            tcp.accept()
        with pytest.raises(TimeoutError):
            udp.recvfrom(16)
        with pytest.raises(TimeoutError):
            unix.accept()
    finally:
        tcp.close()
        udp.close()
        unix.close()
    assert code == 0, output
    verdict = _verdict(output)
    assert verdict["tcp"] != "ok" and verdict["listen"] != "ok", verdict
    assert verdict["unix"] == "PermissionError" and verdict["io_uring"] == "PermissionError"
    assert verdict["socketpair"] == "ok"  # multiprocessing and friends still work


def test_no_udp_even_without_a_network_namespace(tmp_path, monkeypatch):
    """seccomp alone (a kernel without user namespaces): no socket() of any family, so a
    datagram to a loopback listener never arrives; socketpair still works."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.3)
    path = _submission(
        tmp_path,
        f"""
        import json, socket
        def attempt(fn):
            try:
                fn()
                return "ok"
            except OSError as exc:
                return type(exc).__name__
        def send():
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
                b"hi", ("127.0.0.1", {udp.getsockname()[1]}))
        print(json.dumps({{"udp": attempt(send), "socketpair": attempt(socket.socketpair)}}))
        """,
    )
    monkeypatch.setenv(sb.OFF_ENV, "namespaces")
    try:
        with sb.spawn([str(path)], sb.Policy((path,), LIMITS)) as box:
            code = box.wait(60)
            output = box.output()
        with pytest.raises(TimeoutError):
            udp.recvfrom(16)
    finally:
        udp.close()
    assert code == 0, output
    assert _verdict(output) == {"udp": "PermissionError", "socketpair": "ok"}


# ---------------------------------------------------------------- signals


@HOW
def test_cannot_signal_the_checker_or_anyone_outside(how, zygote, tmp_path):
    on = sb.protections()
    assert on["pid_namespace"] and on["landlock_signal"]  # kill(-1) is only tried when held
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        path = _submission(
            tmp_path,
            f"""
            import json, os, signal
            def attempt(f):
                try:
                    f()
                    return "ok"
                except OSError as exc:
                    return type(exc).__name__
            verdict = {{
                "bystander": attempt(lambda: os.kill({bystander.pid}, signal.SIGKILL)),
                "checker": attempt(lambda: os.kill({os.getpid()}, signal.SIGKILL)),
            }}
            print(json.dumps(verdict), flush=True)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            for f in (lambda: os.kill(-1, 9), lambda: os.killpg(0, 15),
                      lambda: os.kill(os.getppid(), 9)):
                try:
                    f()
                except OSError:
                    pass
            """,
        )
        code, output, _ = _run(how, zygote, path)
        assert bystander.poll() is None
        assert set(_verdict(output).values()) <= {"ProcessLookupError", "PermissionError"}
        assert code == 0  # its parent is the namespace's init: immune from inside
    finally:
        bystander.kill()
        bystander.wait()
    if how == "zygote":  # the zygote survived its child's kill(-1)
        with zygote.spawn("os:getpid", sb.Policy((), LIMITS)) as box:
            assert box.wait(30) == 2  # PID 2 of its own namespace (its init is 1)


# ---------------------------------------------------------------- processes


@HOW_ALL
def test_fork_bomb_bounded_and_cleaned_up(how, zygote, tmp_path):
    marker = f"{1000 + uuid.uuid4().int % 10**6 / 10**7:.7f}"
    limits = sb.Limits(cpu_seconds=20, memory_bytes=1024 * MiB, processes=16)
    path = _submission(
        tmp_path,
        f"""
        import os
        n = 0
        for _ in range(200):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                os.execv("/bin/sleep", ["sleep", "{marker}"])
            n += 1
        print(n, flush=True)
        """,
    )
    with _start(how, zygote, path, limits) as box:
        box.wait(30)
        started = box.output().strip()
        assert box.killed_for == "processes" or (started and int(started) <= 16), started
    assert _gone(marker)


@HOW_ALL
def test_detached_grandchild_dies_with_the_tree(how, zygote, tmp_path):
    marker = f"{1000 + uuid.uuid4().int % 10**6 / 10**7:.7f}"
    path = _submission(
        tmp_path,
        f"""
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.closerange(0, 1024)
                os.execv("/bin/sleep", ["sleep", "{marker}"])
            os._exit(0)
        time.sleep(0.3)
        print("started", flush=True)
        if sys.argv[-1] != "exit":
            time.sleep(100)
        """,
    )
    # killed while running
    with _start(how, zygote, path) as box:
        for _ in range(300):
            if _pids_with(marker):
                break
            time.sleep(0.01)
        assert _pids_with(marker)
        box.kill()
        box.kill()  # idempotent
        assert box.wait(5) == -signal.SIGKILL
        assert _gone(marker)
    # the submission ends by itself: its detached grandchild goes too
    path.write_text(path.read_text().replace('sys.argv[-1] != "exit"', "False"))
    code, output, _ = _run(how, zygote, path)
    assert code == 0 and "started" in output
    assert _gone(marker)


def test_parent_death_kills_the_tree(tmp_path):
    marker = f"{1000 + uuid.uuid4().int % 10**6 / 10**7:.7f}"
    script = tmp_path / "parent.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys, time
            from fcnet.learn import sandbox as sb
            policy = sb.Policy((), sb.Limits(cpu_seconds=20, memory_bytes=1 << 30))
            code = "import os; os.execv('/bin/sleep', ['sleep', '{marker}'])"
            if sys.argv[1] == "fresh":
                box = sb.spawn(["-c", code], policy)
            else:
                z = sb.Zygote()
                box = z.spawn("builtins:exec", policy, args=[code])
            print(box.scratch, flush=True)
            time.sleep(100)
            """
        )
    )
    for how in ("fresh", "zygote"):
        parent = subprocess.Popen(
            [sys.executable, str(script), how], stdout=subprocess.PIPE, text=True
        )
        try:
            assert parent.stdout is not None
            scratch = Path(parent.stdout.readline().strip())
            assert scratch.name.startswith(f"fcnet-sandbox-{parent.pid}-")
            for _ in range(500):
                if _pids_with(marker):
                    break
                time.sleep(0.01)
            assert _pids_with(marker), how
        finally:
            parent.kill()
            parent.wait()
        assert _gone(marker), how
        # what the killed parent left, the next parent removes
        assert scratch.is_dir()
        sb._remove_stale_scratch.cache_clear()
        sb._remove_stale_scratch()
        assert not scratch.exists()


# ---------------------------------------------------------------- memory, CPU, output


@pytest.mark.parametrize("how", ["zygote", "fallback"])
def test_memory_of_the_whole_tree_is_caught(how, zygote, tmp_path):
    """3 processes of 600 MiB each under a 1 GiB limit: each alone is allowed."""
    path = _submission(
        tmp_path,
        """
        import os, time
        for _ in range(2):
            if os.fork() == 0:
                break
        block = b"x" * (600 << 20)   # touched: resident
        print("allocated", flush=True)
        time.sleep(30)
        """,
    )
    started = time.monotonic()
    with _start(how, zygote, path, sb.Limits(cpu_seconds=20, memory_bytes=1024 * MiB)) as box:
        code = box.wait(15)
        seconds = time.monotonic() - started
        assert code is not None and box.killed_for == "memory", (code, box.killed_for)
    assert seconds < 10


@HOW_ALL
def test_huge_allocation_fails(how, zygote, tmp_path):
    path = _submission(
        tmp_path,
        """
        try:
            block = bytearray(20 * 10**9)
            print("allocated")
        except MemoryError:
            print("MemoryError")
        """,
    )
    code, output, killed_for = _run(how, zygote, path)
    assert output.strip() == "MemoryError" or killed_for == "memory", (code, output)


@HOW
def test_scratch_is_bounded(how, zygote, tmp_path):
    """Files under 16 MiB each, 64 MiB together: the disk is not filled; nothing is left."""
    path = _submission(
        tmp_path,
        """
        import errno, os
        written = 0
        try:
            for i in range(20):
                with open(f"f{i}", "wb") as fh:
                    for _ in range(8):
                        fh.write(b"w" * (1 << 20))
                        fh.flush()
                        written += 1 << 20
        except OSError as exc:
            print(errno.errorcode[exc.errno], written >> 20)
        """,
    )
    limits = sb.Limits(cpu_seconds=20, memory_bytes=1024 * MiB, scratch_bytes=32 * MiB)
    code, output, _ = _run(how, zygote, path, limits)
    assert code == 0 and output.split()[0] == "ENOSPC", output
    assert 24 <= int(output.split()[1]) <= 32


def test_output_is_bounded(zygote, tmp_path):
    limits = sb.Limits(cpu_seconds=20, memory_bytes=1024 * MiB, output_bytes=4096)
    path = _submission(
        tmp_path,
        """
        import sys
        chunk = b"y" * (1 << 20)
        for _ in range(500):
            sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        """,
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with _start("zygote", zygote, path, limits) as box:
        assert box.wait(60) == 0
        output = box.output()
        assert output == "y" * 4096
        assert box.output_dropped == 500 * MiB - 4096
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 64 * 1024  # the parent never held the 500 MB


@HOW_ALL
def test_deadline_holds_when_the_child_closes_its_descriptors(how, zygote, tmp_path):
    path = _submission(
        tmp_path,
        """
        import os
        os.closerange(0, 4096)
        while True:
            pass
        """,
    )
    with _start(how, zygote, path) as box:
        started = time.monotonic()
        assert box.wait(1.0) is None
        assert 0.9 < time.monotonic() - started < 5.0  # the 1 s deadline held (not a timing)
        assert box.alive()
        box.kill()
        assert not box.alive()
        assert box.wait(0) == -signal.SIGKILL


def test_cpu_time_limit(zygote, tmp_path):
    path = _submission(tmp_path, "while True:\n    pass\n")
    limits = sb.Limits(cpu_seconds=1, memory_bytes=1024 * MiB)
    with _start("zygote", zygote, path, limits) as box:
        code = box.wait(20)
    assert code in (-signal.SIGXCPU, -signal.SIGKILL), code


@pytest.mark.parametrize("how", ["zygote", "fallback"])
def test_cpu_time_of_the_whole_tree(how, zygote, tmp_path):
    """4 spinning processes, each under its own 1 s RLIMIT_CPU: the sum is caught at ~1.5 s."""
    path = _submission(
        tmp_path,
        """
        import os
        for _ in range(2):
            os.fork()
        while True:
            pass
        """,
    )
    limits = sb.Limits(cpu_seconds=1, memory_bytes=1024 * MiB)
    with _start(how, zygote, path, limits) as box:
        code = box.wait(30)
        assert code is not None and box.killed_for == "cpu", (code, box.killed_for)


@HOW
def test_core_dumps_off_and_stdin_closed(how, zygote, tmp_path):
    path = _submission(
        tmp_path,
        """
        import json, os, resource, sys
        print(json.dumps({"core": resource.getrlimit(resource.RLIMIT_CORE),
                          "stdin": sys.stdin.read(), "env": sorted(os.environ)}), flush=True)
        os.abort()
        """,
    )
    with _start(how, zygote, path) as box:
        code = box.wait(30)
        verdict = _verdict(box.output())
    assert code == -signal.SIGABRT
    assert verdict["core"] == [0, 0] and verdict["stdin"] == ""
    assert not [k for k in verdict["env"] if "TOKEN" in k or k in ("USER", "PYTHONPATH")]
    assert "HOME" in verdict["env"]


# ---------------------------------------------------------------- libraries inside


@pytest.mark.parametrize(
    "code",
    [
        "import numpy as np; print(float(np.ones((50, 50)) @ np.ones(50) @ np.ones(50)))",
        "import torch; print(float(torch.ones(50, 50).sum()))",
        "import tensorflow as tf; print(float(tf.reduce_sum(tf.ones((50, 50)))))",
        "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as p; "
        "p.plot([1, 2]); p.savefig('f.png'); print(2500.0)",
    ],
    ids=["numpy", "torch", "tensorflow", "matplotlib"],
)
def test_libraries_work_inside(code, tmp_path):
    """Real imports under the limits (torch and tensorflow take a few seconds)."""
    limits = sb.Limits(cpu_seconds=60, memory_bytes=2048 * MiB)
    path = _submission(tmp_path, code + "\n")
    status, output, killed_for = _run("fresh", None, path, limits, timeout=120)
    assert status == 0 and killed_for is None, output
    assert output.strip().splitlines()[-1] == "2500.0"


# ---------------------------------------------------------------- the zygote


def test_zygote_children_are_isolated_from_each_other(zygote, tmp_path):
    """20 children in turn: none sees what the one before set in a module, wrote in its
    scratch or in /dev/shm, even while that one still runs."""
    path = _submission(
        tmp_path,
        """
        import json, os, sys, time
        import numpy
        verdict = {"scratch": os.getcwd(), "seen_module": hasattr(numpy, "LEFT_BEHIND"),
                   "seen_builtin": hasattr(json, "LEFT_BEHIND"),
                   "seen_files": os.listdir(".") + os.listdir("/dev/shm")}
        numpy.LEFT_BEHIND = json.LEFT_BEHIND = True
        open("left.txt", "w").write("mine")
        open("/dev/shm/left", "w").write("mine")
        print(json.dumps(verdict), flush=True)
        time.sleep(60)
        """,
    )
    scratches = []
    started = time.monotonic()
    for i in range(20):
        with _start("zygote", zygote, path) as box:
            for _ in range(3000):
                if "}" in box.output():
                    break
                time.sleep(0.01)
            verdict = _verdict(box.output())
            assert verdict == {
                "scratch": verdict["scratch"],
                "seen_module": False,
                "seen_builtin": False,
                "seen_files": [],
            }
            scratches.append(verdict["scratch"])
            # while it runs, a sibling reads neither its scratch nor its /dev/shm
            reader = _submission(
                tmp_path / f"reader{i}",
                f"""
                import json
                def attempt(name):
                    try:
                        open(name).read()
                        return "ok"
                    except OSError as exc:
                        return type(exc).__name__
                print(json.dumps([attempt({scratches[-1] + "/left.txt"!r}),
                                  attempt("/dev/shm/left")]))
                """,
            )
            with _start("zygote", zygote, reader) as other:
                assert other.wait(30) == 0, other.output()
                found = json.loads(other.output().strip().splitlines()[-1])
                assert "ok" not in found, found
            assert box.alive()
    per_child = (time.monotonic() - started) / 20
    assert len(set(scratches)) == 20 and not any(os.path.exists(s) for s in scratches)
    print(f"zygote: {per_child * 1000:.0f} ms per pair of children")


def test_tree_memory_counts_every_process(zygote, tmp_path):
    path = _submission(
        tmp_path,
        """
        import os, time
        os.fork()
        block = b"z" * (100 << 20)
        print("ready", flush=True)
        time.sleep(30)
        """,
    )
    with _start("zygote", zygote, path) as box:
        for _ in range(500):
            if box.output().count("ready") == 2:
                break
            time.sleep(0.01)
        assert box.tree_memory() > 200 * MiB
        assert box.alive()


# ---------------------------------------------------------------- an ordinary user


def _world_readable(path: Path) -> bool:
    """Whether a user who is no owner nor group member can read this folder."""
    mode = path.stat().st_mode
    ancestors = all(p.stat().st_mode & stat.S_IXOTH for p in path.parents)
    return ancestors and mode & stat.S_IROTH and mode & stat.S_IXOTH


def test_as_an_ordinary_user(tmp_path):
    """The same confinement without root: nobody (65534) through setpriv, the system Python
    (the project's may live under /root, unreadable to nobody), with a copy of sandbox.py in
    a folder nobody can read (loaded by path, as a fresh sandboxed interpreter does)."""
    setpriv, python = shutil.which("setpriv"), "/usr/bin/python3.11"
    if setpriv is None or not os.access(python, os.X_OK) or os.geteuid() != 0:
        pytest.skip("needs root, setpriv and /usr/bin/python3.11")
    site = [
        p
        for p in sys.path
        if p.endswith("site-packages") and (Path(p) / "numpy").is_dir() and _world_readable(Path(p))
    ]
    assert site, "numpy must be readable by an ordinary user for the zygote case"
    shared = Path(tempfile.mkdtemp(prefix="fcnet-sandbox-test-"))
    try:
        shared.chmod(0o755)
        (shared / "fcnet" / "learn").mkdir(parents=True)
        (shared / "fcnet" / "__init__.py").write_text("")
        shutil.copy(sb._SANDBOX_FILE, shared / "fcnet" / "learn" / "sandbox.py")
        shutil.copy(CASES / "ordinary_user.py", shared / "ordinary_user.py")
        for p in [shared, *shared.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        done = subprocess.run(
            [
                setpriv,
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                python,
                "-I",
                str(shared / "ordinary_user.py"),
                str(shared / "fcnet" / "learn" / "sandbox.py"),
                json.dumps(site),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd="/",
            check=False,
        )
    finally:
        shutil.rmtree(shared)
    assert done.returncode == 0, done.stderr[-3000:]
    verdict = json.loads(done.stdout.strip().splitlines()[-1])
    expected = {name: True for name in sb.PROTECTIONS}
    expected["cgroup"] = False
    assert verdict.pop("protections") == expected
    assert verdict == {
        "uid": 65534,
        "read_beside": "PermissionError",
        "read_self": "ok",
        "write_outside": "PermissionError",
        "connect": "refused",
        "signal_parent": "alive",
        "fork_bomb": "bounded",
        "memory_tree": "memory",
        "grandchild_gone": True,
        "zygote_numpy": "ok",
        "scratch_removed": True,
    }, done.stderr[-3000:]


def test_spawns_from_many_threads(zygote, tmp_path):
    """Grading calls from N threads (--jobs N): each tree gets its own output and status."""
    results: dict[tuple[str, int], tuple[int | None, str]] = {}

    def work(how: str, worker: int) -> None:
        for i in range(4 if how == "zygote" else 2):
            path = _submission(tmp_path / f"{how}{worker}-{i}", f"print('{how} {worker} {i}')\n")
            with _start(how, zygote, path) as box:
                results[(how, worker * 10 + i)] = (box.wait(60), box.output().strip())

    threads = [
        threading.Thread(target=work, args=(how, worker))
        for how in ("zygote", "fresh")
        for worker in range(4 if how == "zygote" else 2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(results) == 16 + 4
    for (how, n), (code, output) in results.items():
        assert (code, output) == (0, f"{how} {n // 10} {n % 10}")
