"""Run as an ordinary user (tests/learn/test_sandbox.py::test_as_an_ordinary_user):
`python -I ordinary_user.py SANDBOX_PY SITE_JSON`; prints one JSON verdict line.

Loads sandbox.py by its path (fcnet's own folders may be out of this user's reach) and
runs a few hostile submissions with no root, hence no cgroup: rlimits per user namespace
and the parent's watch must hold."""

import importlib.util
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

spec = importlib.util.spec_from_file_location("_fcnet_sandbox", sys.argv[1])
sb = importlib.util.module_from_spec(spec)
sys.modules["_fcnet_sandbox"] = sb
spec.loader.exec_module(sb)
sys.path.extend(json.loads(sys.argv[2]))  # numpy for the zygote

MiB = 1 << 20
work = Path(tempfile.mkdtemp(prefix="fcnet-sandbox-nobody-"))
verdict: dict = {"uid": os.getuid(), "protections": sb.protections()}
scratches = []


def run(code, limits=None, how="fresh", wait=60):
    sub = work / f"case{len(scratches)}"
    sub.mkdir()
    (sub / "beside.txt").write_text("secret")
    path = sub / "submission.py"
    path.write_text(code)
    policy = sb.Policy((path,), limits or sb.Limits(cpu_seconds=20, memory_bytes=1024 * MiB))
    if how == "fresh":
        box = sb.spawn([str(path)], policy)
    else:
        box = zygote.spawn("runpy:run_path", policy, args=[str(path)])
    with box:
        scratches.append(box.scratch)
        box.wait(wait)
        return box.output(), box.killed_for


def last(output):
    return json.loads([x for x in output.splitlines() if x.startswith("{")][-1])


out, _ = run(
    f"""
import json
def attempt(f):
    try:
        f()
        return "ok"
    except OSError as exc:
        return type(exc).__name__
print(json.dumps({{"read_beside": attempt(lambda: open({str(work)!r} + "/case0/beside.txt").read()),
                  "read_self": attempt(lambda: open(__file__).read()),
                  "write_outside": attempt(lambda: open({str(work)!r} + "/x", "w"))}}))
"""
)
verdict.update(last(out))

server = socket.create_server(("127.0.0.1", 0))
server.settimeout(0.3)
out, _ = run(
    "import socket\n"
    "try:\n"
    f"    socket.create_connection(('127.0.0.1', {server.getsockname()[1]}), timeout=2)\n"
    "    print('connected')\n"
    "except OSError:\n"
    "    print('failed')\n"
)
try:
    server.accept()
    verdict["connect"] = "reached"
except TimeoutError:
    verdict["connect"] = "refused" if out.strip() == "failed" else out
server.close()

run(
    f"import os\nfor f in (lambda: os.kill(-1, 9), lambda: os.kill({os.getpid()}, 9)):\n"
    "    try:\n        f()\n    except OSError:\n        pass\n"
)
verdict["signal_parent"] = "alive"

out, killed_for = run(
    "import os, time\nn = 0\nfor _ in range(200):\n    try:\n        pid = os.fork()\n"
    "    except OSError:\n        break\n    if pid == 0:\n        time.sleep(30)\n"
    "        os._exit(0)\n    n += 1\nprint(n, flush=True)\n",
    sb.Limits(cpu_seconds=20, memory_bytes=1024 * MiB, processes=16),
    wait=10,
)
bounded = killed_for == "processes" or (out.strip().isdigit() and int(out.strip()) <= 16)
verdict["fork_bomb"] = "bounded" if bounded else out

_, killed_for = run(
    "import os, time\nfor _ in range(2):\n    if os.fork() == 0:\n        break\n"
    "block = b'x' * (300 << 20)\ntime.sleep(30)\n",
    sb.Limits(cpu_seconds=20, memory_bytes=512 * MiB),
    wait=15,
)
verdict["memory_tree"] = killed_for

marker = f"{1000 + os.getpid() / 10**7:.7f}"
sub = work / "grand"
sub.mkdir()
(sub / "submission.py").write_text(
    "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
    f"        os.execv('/bin/sleep', ['sleep', '{marker}'])\n    os._exit(0)\ntime.sleep(100)\n"
)


def marked():
    found = []
    for name in os.listdir("/proc"):
        try:
            if name.isdigit() and marker.encode() in Path(f"/proc/{name}/cmdline").read_bytes():
                found.append(name)
        except OSError:
            pass
    return found


policy = sb.Policy((sub / "submission.py",), sb.Limits(cpu_seconds=20, memory_bytes=1024 * MiB))
with sb.spawn([str(sub / "submission.py")], policy) as box:
    scratches.append(box.scratch)
    for _ in range(300):
        if marked():
            break
        time.sleep(0.01)
    seen = bool(marked())
    box.kill()
time.sleep(0.2)
verdict["grandchild_gone"] = seen and not marked()

zygote = sb.Zygote()
out, _ = run("import numpy\nprint(float(numpy.ones(4).sum()))\n", how="zygote")
verdict["zygote_numpy"] = "ok" if out.strip() == "4.0" else out
zygote.close()

verdict["scratch_removed"] = not any(s.exists() for s in scratches)
sb._remove_tree(work)
print(json.dumps(verdict))
