"""The confinement of student code: a child process tree that Linux fences in without root.

Nothing here knows about exercises; `fcnet.learn.runner` decides what runs inside.

Process shape (see docs/architecture.md, "Sandbox")::

    parent (checker)                 outside, holds the pipes, watches /proc
      C1  setsid, subreaper          unshare(user, pid, net, mount); waits for C2
        C2  PID 1 of the new pid ns  rlimits, no_new_privs, Landlock, scratch cwd;
                                     returns from `enter` and runs the caller's code

Killing C1 kills C2 (PR_SET_PDEATHSIG) and the kernel then kills every process of the pid
namespace, a detached (setsid) grandchild included. Each step falls back where the kernel
lacks it; `protections()` says which are on. The system calls are made with ctypes (Landlock
444/445/446 are the same on x86_64 and aarch64); PyPI's `landlock` is a dev release and
`pyseccomp` brings libseccomp for one filter we do not need, so neither is used.

This module imports nothing from fcnet: a fresh sandboxed interpreter loads it by its file
path and calls `enter` before anything (numpy and its threads) is imported, because
unshare(CLONE_NEWUSER) needs a single-threaded process.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import json
import os
import platform
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "PROTECTIONS",
    "WATCHED",
    "Limits",
    "Policy",
    "Sandboxed",
    "Zygote",
    "enter",
    "missing_protections",
    "protections",
    "spawn",
]

MiB = 1 << 20
KiB = 1 << 10
PROTECTIONS = (
    "landlock_fs",
    "landlock_net",
    "landlock_signal",
    "user_namespace",
    "pid_namespace",
    "net_namespace",
    "rlimits",
    "no_new_privs",
    "seccomp",
    "cgroup",
)
# protections whose limits the parent's /proc watch enforces where they are missing: a
# cgroup (memory, processes) can only be created as root here (cgroup v1)
WATCHED = frozenset({"cgroup"})
WATCH_SECONDS = 0.05  # how often the parent samples every tree's memory and CPU time
OFF_ENV = "FCNET_SANDBOX_OFF"  # e.g. "namespaces,landlock": act as a kernel without them
_SANDBOX_FILE = Path(__file__).resolve()
_FCNET_DIR = _SANDBOX_FILE.parents[1]  # the fcnet package
_FCNET_ROOT = _SANDBOX_FILE.parents[2]  # the sys.path entry that holds it
if _FCNET_DIR.name != "fcnet" or not (_FCNET_DIR / "__init__.py").is_file():
    _FCNET_DIR = _FCNET_ROOT = _SANDBOX_FILE.parent  # loaded from elsewhere: allow no more


@dataclass(frozen=True)
class Limits:
    """What the whole process tree may use. `cpu_seconds`: CPU time of all its processes;
    `memory_bytes`: their resident memory together; `file_bytes`: the largest file one may
    write; `processes`: processes and threads; `output_bytes`: stdout+stderr kept;
    `scratch_bytes`: all files in scratch together (a tmpfs, where namespaces exist)."""

    cpu_seconds: float
    memory_bytes: int
    file_bytes: int = 16 * MiB
    processes: int = 32
    open_files: int = 256
    output_bytes: int = 256 * KiB
    scratch_bytes: int = 64 * MiB

    def __post_init__(self) -> None:
        positive = ("cpu_seconds", "memory_bytes", "file_bytes", "processes", "open_files")
        for name in (*positive, "scratch_bytes"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be > 0, got {getattr(self, name)!r}")
        if self.output_bytes < 0:
            raise ValueError(f"Limits.output_bytes must be >= 0, got {self.output_bytes!r}")


@dataclass(frozen=True)
class Policy:
    """`readable`: files and folders the code may read besides Python, its packages and
    fcnet (the submission, the exercise's data); everything else is out of reach but the
    scratch folder. `hidden`: files or folders inside those that stay unreadable; their
    names can still be listed. `fcnet`: where given, the only files of the fcnet package
    the code may read, relative to it (a folder: all of it; a `.py` file: with its
    compiled copies in `__pycache__`); a file not named, or made later, stays unreadable.
    None: all of fcnet."""

    readable: tuple[Path, ...]
    limits: Limits
    hidden: tuple[Path, ...] = ()
    fcnet: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "readable": [str(p) for p in self.readable],
            "limits": vars(self.limits),
            "hidden": [str(p) for p in self.hidden],
            "fcnet": None if self.fcnet is None else list(self.fcnet),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Policy:
        fcnet = data.get("fcnet")
        return cls(
            tuple(Path(p) for p in data["readable"]),
            Limits(**data["limits"]),
            tuple(Path(p) for p in data.get("hidden", ())),
            None if fcnet is None else tuple(fcnet),
        )


# ---------------------------------------------------------------- system calls (ctypes)

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1
_PR_GET_PDEATHSIG = 2
_PR_CAPBSET_DROP = 24
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 2, 4, 8, 1 << 14, 1 << 18
_SYS_CAPSET = {"x86_64": 126, "aarch64": 91}
_SYS_LANDLOCK = (444, 445, 446)  # create_ruleset, add_rule, restrict_self (x86_64, aarch64)

# Landlock access rights (linux/landlock.h) and the ABI that brought them.
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 14, 1 << 15
_FS_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1, 2
_RULE_PATH_BENEATH = 1


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: execute .. make_sym
    if abi >= 2:
        rights |= 1 << 13  # refer
    if abi >= 3:
        rights |= _FS_TRUNCATE
    if abi >= 5:
        rights |= _FS_IOCTL_DEV
    return rights


@functools.lru_cache(maxsize=1)
def _libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _check(result: int, what: str) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")
    return result


def _prctl(option: int, *args: Any) -> None:
    """prctl(2) with numbers or pointers; OSError where it fails or does not exist (not Linux)."""
    prctl = getattr(_libc(), "prctl", None)
    if prctl is None:
        raise OSError(errno.ENOSYS, "prctl: not on this system")
    values = [ctypes.c_ulong(a) if isinstance(a, int) else a for a in args]
    values += [ctypes.c_ulong(0)] * (4 - len(values))
    _check(prctl(option, *values), f"prctl({option})")


def _landlock_abi() -> int:
    """Landlock's ABI version (0: none), via LANDLOCK_CREATE_RULESET_VERSION."""
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "aarch64"):
        return 0
    abi = _libc().syscall(ctypes.c_long(_SYS_LANDLOCK[0]), None, ctypes.c_size_t(0), 1)
    return max(int(abi), 0)


def _landlock(rules: Iterable[tuple[Path, int]], abi: int) -> dict[str, bool]:
    """Restrict this process (and all it starts) to `rules` (path, rights); no TCP bind or
    connect; no signals or abstract sockets out of the domain. Returns what was enforced."""
    libc = _libc()
    fs = _fs_rights(abi)
    attr = (ctypes.c_uint64 * 3)(
        fs,
        _NET_BIND_TCP | _NET_CONNECT_TCP if abi >= 4 else 0,
        _SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL if abi >= 6 else 0,
    )
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    fd = _check(
        libc.syscall(ctypes.c_long(_SYS_LANDLOCK[0]), ctypes.byref(attr), ctypes.c_size_t(size), 0),
        "landlock_create_ruleset",
    )
    try:
        for path, rights in rules:
            try:
                target = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # absent here: nothing to allow
            try:
                if not stat.S_ISDIR(os.fstat(target).st_mode):
                    rights &= _FS_FILE_RIGHTS
                rule = _PathBeneath(rights & fs, target)
                _check(
                    libc.syscall(
                        ctypes.c_long(_SYS_LANDLOCK[1]),
                        fd,
                        _RULE_PATH_BENEATH,
                        ctypes.byref(rule),
                        0,
                    ),
                    f"landlock_add_rule({path})",
                )
            finally:
                os.close(target)
        _check(libc.syscall(ctypes.c_long(_SYS_LANDLOCK[2]), fd, 0), "landlock_restrict_self")
    finally:
        os.close(fd)
    return {"landlock_fs": True, "landlock_net": abi >= 4, "landlock_signal": abi >= 6}


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _drop_capabilities() -> None:
    """Drop every capability the new user namespace gave (bounding, ambient, effective)."""
    libc = _libc()
    for cap in range(64):
        if libc.prctl(_PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0) < 0:
            break  # past the last capability this kernel knows
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    number = _SYS_CAPSET.get(platform.machine())
    if number is not None:
        header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this pid
        data = (ctypes.c_uint32 * 6)()
        _check(
            libc.syscall(ctypes.c_long(number), ctypes.byref(header), ctypes.byref(data)), "capset"
        )


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


# arch id (AUDIT_ARCH_*), socket, io_uring_setup
_SECCOMP_ARCH = {"x86_64": (0xC000003E, 41, 425), "aarch64": (0xC00000B7, 198, 425)}


def _seccomp_no_unix_sockets() -> bool:
    """A seccomp filter: socket() of every family fails with EACCES (the child needs none:
    its channel is a socketpair made before it starts; Landlock covers only TCP, and not
    connecting to a named socket before ABI 8, so UDP and AF_UNIX would pass where there is
    no network namespace), io_uring is refused (its requests would bypass the filter), and
    so is every syscall of another ABI (x32, i386). Needs no_new_privs."""
    numbers = _SECCOMP_ARCH.get(platform.machine())
    if sys.platform != "linux" or numbers is None:
        return False
    arch, sys_socket, sys_io_uring_setup = numbers
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | errno.EACCES
    program = [
        (ld, 0, 0, 4),  # 0: the arch
        (jeq, 0, 5, arch),  # 1: another ABI -> deny
        (ld, 0, 0, 0),  # 2: the syscall number
        (jge, 3, 0, 0x40000000),  # 3: x32 -> deny
        (jeq, 2, 0, sys_io_uring_setup),  # 4: io_uring -> deny
        (jeq, 1, 0, sys_socket),  # 5: socket() -> deny
        (ret, 0, 0, allow),  # 6
        (ret, 0, 0, deny),  # 7
    ]
    filters = (_SockFilter * len(program))(*[_SockFilter(*op) for op in program])
    fprog = _SockFprog(len(program), filters)
    try:
        _prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog))
    except OSError:
        return False
    return True


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _off() -> set[str]:
    """The protections turned off by FCNET_SANDBOX_OFF (namespaces, landlock, seccomp,
    cgroup): to test the fallbacks on a kernel that has everything."""
    return {w.strip() for w in os.environ.get(OFF_ENV, "").split(",") if w.strip()}


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


# ---------------------------------------------------------------- inside: enter()

_APPLIED: dict[str, bool] = {}  # what enter() put in place, in the process it returned in


def _system_rules(policy: Policy, scratch: Path, shm: bool) -> list[tuple[Path, int]]:
    """Landlock's allow-list: Python, its packages and fcnet read-only (and executable),
    the shared libraries, a few devices and /proc; `policy.readable` read-only; scratch all."""
    ro_exec = _FS_READ_FILE | _FS_READ_DIR | _FS_EXECUTE
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots.update(p for p in sys.path if p and os.path.isabs(p))
    roots.update((str(_FCNET_DIR), "/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"))
    hidden = [os.path.realpath(p) for p in policy.hidden]
    if policy.fcnet is not None:  # fcnet itself: only the files named
        hidden.append(str(_FCNET_DIR))
    rules = [part for p in _outermost(roots) for part in _readable_parts(p, hidden, ro_exec)]
    if policy.fcnet is not None:
        rules += _fcnet_parts(policy.fcnet, ro_exec)
    rules += [(Path(p), _FS_READ_FILE) for p in ("/etc/ld.so.cache", "/etc/localtime")]
    rules += [(Path("/etc/fonts"), _FS_READ_FILE | _FS_READ_DIR)]  # fontconfig (matplotlib)
    rules += [(Path(p), _FS_READ_FILE | _FS_READ_DIR) for p in ("/proc", "/sys/devices/system/cpu")]
    rules += [(Path(p), _FS_READ_FILE) for p in ("/dev/urandom", "/dev/random", "/dev/zero")]
    rules += [(Path("/dev/null"), _FS_READ_FILE | _FS_WRITE_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV)]
    for p in policy.readable:
        rules += _readable_parts(str(p), hidden, _FS_READ_FILE | _FS_READ_DIR)
    rules.append((scratch, (1 << 16) - 1))  # every right, masked to the ABI's
    if shm:  # our own /dev/shm (multiprocessing's semaphores, torch's shared tensors)
        rules.append((Path("/dev/shm"), (1 << 16) - 1))
    return rules


def _outermost(roots: Iterable[str]) -> list[str]:
    """The existing `roots`, resolved, less those inside another (its rules cover them)."""
    found = sorted({os.path.realpath(r) for r in roots if os.path.exists(r)})
    return [r for r in found if not any(_within(r, o) and r != o for o in found)]


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _readable_parts(root: str, hidden: Sequence[str], rights: int) -> list[tuple[Path, int]]:
    """Rules giving `rights` on `root` but none on the `hidden` paths inside it (Landlock
    only adds rights: each folder on the way to a hidden path may be listed, and each of
    its other entries is allowed whole). Paths as strings: a root such as site-packages has
    hundreds of entries, and this runs for every sandbox."""
    root = os.path.realpath(root)
    inside = [h for h in hidden if _within(h, root)]
    if not inside:
        return [(Path(root), rights)]
    if root in inside:
        return []
    parts = [(Path(root), rights & _FS_READ_DIR)]
    with contextlib.suppress(OSError), os.scandir(root) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.is_symlink():  # where it leads decides
                parts += _readable_parts(entry.path, inside, rights)
            elif any(_within(h, entry.path) for h in inside):
                parts += _readable_parts(entry.path, inside, rights)
            else:
                parts.append((Path(entry.path), rights))
    return parts


def _fcnet_parts(names: Iterable[str], rights: int) -> list[tuple[Path, int]]:
    """Rules giving `rights` on the fcnet files `names` (relative to the package) and their
    compiled copies, and the listing of each folder on the way (Python's import lists them):
    an allow-list, so a file not named, or written later, stays unreadable."""
    root = _FCNET_DIR
    folders = {root}
    parts = []
    for name in names:
        path = (root / name).resolve()
        if root not in path.parents or not path.exists():
            continue
        folders.update(p for p in path.parents if root in p.parents)
        parts.append((path, rights))
        cache = path.parent / "__pycache__"
        if path.suffix == ".py" and cache.is_dir():
            folders.add(cache)
            with contextlib.suppress(OSError):
                compiled = [n for n in os.listdir(cache) if n.startswith(path.stem + ".")]
                parts += [(cache / n, rights) for n in compiled if n.endswith(".pyc")]
    return [(folder, _FS_READ_DIR) for folder in sorted(folders)] + parts


def _set_rlimits(limits: Limits, *, count_processes: bool) -> None:
    import resource

    def cap(which: int, value: int) -> None:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    cpu = max(1, int(limits.cpu_seconds + 0.999))
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(
        resource.RLIMIT_CPU,
        (cpu, cpu + 1 if hard == resource.RLIM_INFINITY else min(cpu + 1, hard)),
    )
    cap(resource.RLIMIT_CORE, 0)
    cap(resource.RLIMIT_FSIZE, limits.file_bytes)
    cap(resource.RLIMIT_NOFILE, limits.open_files)
    # RLIMIT_DATA counts writable private memory (malloc, numpy), not the large PROT_NONE
    # reservations of TensorFlow and torch that RLIMIT_AS would refuse.
    cap(resource.RLIMIT_DATA, limits.memory_bytes)
    for name in ("RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE"):  # Linux only
        if hasattr(resource, name):
            cap(getattr(resource, name), 0)
    if count_processes:  # counted per user namespace: only ours; never a whole user's count
        cap(resource.RLIMIT_NPROC, limits.processes)


def enter(policy: Policy, scratch: Path, *, lifeline: int | None = None) -> None:
    """Confine this process before any student code runs. Returns in C3, a grandchild in
    a new user, pid, net and mount namespace; this process (C1) stays outside, waits and
    exits with C3's status; C2 between them is the namespace's PID 1 (reaps orphans; when
    it ends the kernel kills every process of the namespace).

    Call it in a freshly started or forked, single-threaded process. `lifeline`: the read
    end of a pipe whose writer is the parent; C1 kills the tree when it closes. Steps the
    kernel lacks are skipped and recorded (`_APPLIED`)."""
    scratch = Path(scratch).resolve()
    applied = dict.fromkeys(PROTECTIONS, False)
    with contextlib.suppress(OSError):
        os.setsid()
    with contextlib.suppress(OSError):
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)  # orphans of the tree come back to C1
    uid, gid = os.getuid(), os.getgid()
    pdeathsig = ctypes.c_int(0)
    with contextlib.suppress(OSError):
        _prctl(_PR_GET_PDEATHSIG, ctypes.byref(pdeathsig))
    in_userns = False
    off = _off()
    if sys.platform == "linux" and _threads() == 1 and "namespaces" not in off:
        flags = _CLONE_NEWUSER | _CLONE_NEWPID | _CLONE_NEWNET | _CLONE_NEWNS
        if _libc().unshare(flags) == 0:
            in_userns = True
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{uid} {uid} 1")
            _write("/proc/self/gid_map", f"{gid} {gid} 1")
            applied.update(user_namespace=True, pid_namespace=True, net_namespace=True)
            if pdeathsig.value:  # a credentials change may clear it: keep C1 tied to its parent
                _prctl(_PR_SET_PDEATHSIG, pdeathsig.value)
    alive_r, alive_w = os.pipe()  # C1 holds the write end: EOF = C1 is gone
    status_r, status_w = os.pipe()  # C2 tells C1 how C3 ended
    c2 = os.fork()
    if c2:
        os.close(alive_r)
        os.close(status_w)
        _c1_wait(c2, lifeline, (alive_w, status_r))  # never returns
    os.close(alive_w)
    os.close(status_r)
    _tie_to_parent(alive_r)
    if lifeline is not None:
        os.close(lifeline)
    shm = in_userns and _mount_private(scratch, policy.limits.scratch_bytes)
    try:
        _set_rlimits(policy.limits, count_processes=in_userns)
        applied["rlimits"] = True
    except (ImportError, OSError, ValueError):
        pass
    try:
        _prctl(_PR_SET_NO_NEW_PRIVS, 1)
        applied["no_new_privs"] = True
    except (OSError, AttributeError):
        pass
    abi = 0 if "landlock" in off else _landlock_abi()
    if abi and applied["no_new_privs"]:
        applied.update(_landlock(_system_rules(policy, scratch, shm), abi))
    if applied["no_new_privs"] and "seccomp" not in off:
        applied["seccomp"] = _seccomp_no_unix_sockets()
    if in_userns:
        _drop_capabilities()
    alive_r, alive_w = os.pipe()
    c3 = os.fork()
    if c3:
        os.close(alive_r)
        _c2_init(c3, status_w, alive_w)  # never returns
    os.close(alive_w)
    os.close(status_w)
    _tie_to_parent(alive_r)
    os.chdir(scratch)
    scrubbed = child_environment(scratch)
    applied["cgroup"] = scrubbed.pop("_FCNET_SANDBOX_CGROUP", "0") == "1"
    os.environ.clear()
    os.environ.update(scrubbed)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    _APPLIED.clear()
    _APPLIED.update(applied)


def _tie_to_parent(alive_r: int) -> None:
    """Die with the parent (PR_SET_PDEATHSIG); stop now if it is already gone."""
    with contextlib.suppress(OSError):
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if select.select([alive_r], [], [], 0)[0]:  # the parent's write end closed
        os._exit(1)
    os.close(alive_r)


def _close_all_but(keep: Iterable[int]) -> None:
    start = 3
    for fd in sorted(set(keep)):
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, 1 << 16)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _c2_init(c3: int, status_w: int, keep: int) -> None:
    """C2, PID 1 of the namespace: reap every orphan until C3 ends, send C3's exit code
    to C1, exit (the kernel then kills what is left of the namespace)."""
    code = 70
    try:
        _close_all_but((status_w, keep))
        while True:
            pid, status = os.waitpid(-1, 0)
            if pid == c3:
                code = os.waitstatus_to_exitcode(status)
                break
        os.write(status_w, str(code).encode())
    except BaseException:
        pass
    os._exit(0)


def _mount_private(scratch: Path, scratch_bytes: int) -> bool:
    """In the new mount namespace (nothing propagates out): a /proc of our own pid
    namespace (only the tree's processes in it); scratch and /dev/shm tmpfs of
    `scratch_bytes` each (the disk cannot be filled; they vanish with the namespace).
    True if /dev/shm is ours."""
    libc = _libc()
    if libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        return False
    libc.mount(b"proc", b"/proc", b"proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None)
    options = f"size={scratch_bytes},mode=0700".encode()
    flags = _MS_NOSUID | _MS_NODEV
    libc.mount(b"tmpfs", os.fsencode(scratch), b"tmpfs", flags, options)
    return libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs", flags | _MS_NOEXEC, options) == 0


def _c1_wait(c2: int, lifeline: int | None, keep: tuple[int, int]) -> None:
    """C1: wait for C2; if the parent's lifeline closes first, kill it. Exit as C3 did."""
    code = 70
    try:
        _close_all_but((*keep, lifeline if lifeline is not None else keep[0]))
        try:
            watched = [os.pidfd_open(c2)]  # readable when C2 ends
        except (OSError, AttributeError):
            watched = []
        if lifeline is not None:
            watched.append(lifeline)
        while True:
            ready = select.select(watched, [], [], 0.5 if len(watched) < 2 else None)[0]
            gone = lifeline is not None and lifeline in ready  # the parent ended
            if gone:
                os.kill(c2, signal.SIGKILL)
            pid, status = os.waitpid(c2, 0 if gone else os.WNOHANG)
            if pid == c2:
                break
        _kill_descendants(os.getpid())  # without a pid namespace, orphans come to C1
        told = os.read(keep[1], 32)
        code = int(told) if told else os.waitstatus_to_exitcode(status)
        if code < 0:  # die of the same signal, so the parent sees what C3 saw
            if -code not in (signal.SIGKILL, signal.SIGSTOP):
                signal.signal(-code, signal.SIG_DFL)
            os.kill(os.getpid(), -code)
            code = 128 - code
    except BaseException:
        pass
    os._exit(code)


# ---------------------------------------------------------------- the environment


def child_environment(scratch: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The scrubbed environment: nothing of the parent's but FCNET_* settings (and `extra`'s
    FCNET_* ones); caches and temporary files in scratch; one BLAS thread."""
    scratch_s = str(scratch)
    cache = os.path.join(scratch_s, ".cache")
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": scratch_s,
        "TMPDIR": scratch_s,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "XDG_CACHE_HOME": cache,
        "MPLCONFIGDIR": os.path.join(cache, "matplotlib"),
        "NUMBA_CACHE_DIR": os.path.join(cache, "numba"),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    for source in (os.environ, extra or {}):
        env.update({k: v for k, v in source.items() if k.startswith(("FCNET_", "_FCNET_"))})
    return env


# ---------------------------------------------------------------- outside: /proc


def _proc_table() -> dict[int, tuple[int, int, float]]:
    """pid -> (ppid, resident bytes, CPU seconds including reaped children) for every live
    process (zombies left out); empty where there is no /proc (macOS: no tree watch)."""
    page = os.sysconf("SC_PAGE_SIZE")
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return {}
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        fields = data[data.rfind(b")") + 2 :].split()
        if fields[0] == b"Z":
            continue  # a zombie: dead, waiting to be reaped; its children went elsewhere
        cpu = sum(int(x) for x in fields[11:15]) / tick  # utime stime cutime cstime
        table[int(name)] = (int(fields[1]), int(fields[21]) * page, cpu)
    return table


def _descendants(root: int, table: Mapping[int, tuple[int, int, float]]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root]
    while todo:
        for pid in children.get(todo.pop(), ()):
            found.append(pid)
            todo.append(pid)
    return found


def _kill_descendants(root: int) -> None:
    """SIGKILL every process below `root` until none is left (root is their subreaper)."""
    for _ in range(100):
        pids = _descendants(root, _proc_table())
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        time.sleep(0.005)


class _Watch:
    """One thread for all running sandboxes: every WATCH_SECONDS it reads /proc once and
    kills a tree over its memory, CPU time or process count."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._boxes: set[Sandboxed] = set()
        self._thread: threading.Thread | None = None

    def add(self, box: Sandboxed) -> None:
        with self._lock:
            self._boxes.add(box)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="fcnet-sandbox-watch", daemon=True
                )
                self._thread.start()

    def remove(self, box: Sandboxed) -> None:
        with self._lock:
            self._boxes.discard(box)

    def _run(self) -> None:
        while True:
            with self._lock:
                boxes = list(self._boxes)
                if not boxes:
                    self._thread = None
                    return
            started = time.thread_time()
            table = _proc_table()
            for box in boxes:
                box._sample(table)
            # at most ~5% of a core: on a machine with thousands of processes, look less often
            time.sleep(max(WATCH_SECONDS, 20 * (time.thread_time() - started)))


_WATCH = _Watch()


# ---------------------------------------------------------------- outside: Sandboxed


class Sandboxed:
    """A running sandboxed tree seen from the parent: C1's `pid`, its `scratch`, its output.

    Use it as a context manager: leaving kills the tree and removes the scratch folder.
    `killed_for` says why the parent killed it ("memory", "cpu", "processes", "killed")."""

    def __init__(
        self, pid: int, scratch: Path, policy: Policy, output_fd: int, cgroup: _Cgroup | None = None
    ) -> None:
        self.pid = pid
        self.scratch = scratch
        self.policy = policy
        self.killed_for: str | None = None
        self.output_dropped = 0
        self.peak_memory = 0
        self._output = bytearray()
        self._lock = threading.Lock()
        self._returncode: int | None = None
        self._exited = threading.Event()
        self._cgroup = cgroup
        self._kill_lock = threading.RLock()
        self._drain = threading.Thread(
            target=self._drain_output,
            args=(output_fd,),
            name=f"fcnet-sandbox-out-{pid}",
            daemon=True,
        )
        self._drain.start()
        _WATCH.add(self)

    # -- the child's state
    def alive(self) -> bool:
        return self.wait(0) is None

    def wait(self, timeout: float | None = None) -> int | None:
        """C1's exit code (negative: killed by that signal), or None if still running after
        `timeout` seconds; never blocks longer, whatever the child does with its files."""
        if self._exited.wait(timeout):
            return self._returncode
        self._poll()
        return self._returncode if self._exited.is_set() else None

    def kill(self, why: str = "killed") -> None:
        """SIGKILL the whole tree, detached grandchildren included; idempotent. The
        descendants go first, while C1 (their subreaper) still collects any orphan."""
        with self._kill_lock:
            if self.killed_for is None and not self._exited.is_set():
                self.killed_for = why
            for _ in range(200):
                if self._poll():
                    break
                pids = _descendants(self.pid, _proc_table())
                for pid in pids:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                if not pids:
                    break
                time.sleep(0.002)
            self._signal_root()
            self.wait(2.0)
            self._finish()

    def tree_memory(self) -> int:
        """Resident bytes of all the tree's processes now (shared pages counted in each)."""
        table = _proc_table()
        if self._exited.is_set():
            return 0
        return sum(table[p][1] for p in [self.pid, *_descendants(self.pid, table)] if p in table)

    def output(self) -> str:
        """The student's stdout+stderr, the first `output_bytes` (the rest counted in
        `output_dropped`), decoded as UTF-8 with bad bytes replaced."""
        if self._exited.is_set():
            self._drain.join(1.0)
        with self._lock:
            return self._output.decode("utf-8", "replace")

    # -- context manager
    def __enter__(self) -> Sandboxed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill the tree, wait for its output pipe to close, remove the scratch folder."""
        self.kill()
        self._drain.join(2.0)
        _remove_tree(self.scratch)
        if self._cgroup is not None:
            self._cgroup.remove()

    # -- internals
    def _drain_output(self, fd: int) -> None:
        bound = self.policy.limits.output_bytes
        try:
            while True:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return
                with self._lock:
                    room = bound - len(self._output)
                    if room > 0:
                        self._output += chunk[:room]
                    self.output_dropped += max(0, len(chunk) - max(room, 0))
        except OSError:
            return
        finally:
            os.close(fd)

    def _sample(self, table: Mapping[int, tuple[int, int, float]]) -> None:
        if self._poll():
            return
        if self._cgroup is not None and self._cgroup.oom_killed():  # the kernel's limit hit
            self.kill("memory")
            return
        if self.pid not in table:
            return
        pids = [self.pid, *_descendants(self.pid, table)]
        rss = sum(table[p][1] for p in pids)
        cpu = sum(table[p][2] for p in pids)
        self.peak_memory = max(self.peak_memory, rss)
        limits = self.policy.limits
        if rss > limits.memory_bytes:
            self.kill("memory")
        elif cpu > limits.cpu_seconds + 0.5:
            self.kill("cpu")
        elif len(pids) > limits.processes + 3:  # C1, C2 and C3
            self.kill("processes")

    def _poll(self) -> bool:
        """Reap C1 if it ended (subclasses); True once it has."""
        return self._exited.is_set()

    def _signal_root(self) -> None:
        raise NotImplementedError

    def _set_exit(self, code: int) -> None:
        if self._cgroup is not None and self.killed_for is None and self._cgroup.oom_killed():
            self.killed_for = "memory"
        self._returncode = code
        self._exited.set()
        _WATCH.remove(self)

    def _finish(self) -> None:
        _WATCH.remove(self)


class _Spawned(Sandboxed):
    """A tree started as a fresh interpreter (`spawn`)."""

    def __init__(
        self,
        proc: subprocess.Popen,
        scratch: Path,
        policy: Policy,
        output_fd: int,
        life_w: int,
        cgroup: _Cgroup | None,
    ) -> None:
        self._proc = proc
        self._life_w = life_w
        super().__init__(proc.pid, scratch, policy, output_fd, cgroup)

    def _poll(self) -> bool:
        if not self._exited.is_set():
            code = self._proc.poll()
            if code is not None:
                self._set_exit(code)
        return self._exited.is_set()

    def wait(self, timeout: float | None = None) -> int | None:
        if not self._exited.is_set():
            try:
                self._set_exit(self._proc.wait(timeout))
            except subprocess.TimeoutExpired:
                return None
        return self._returncode

    def _signal_root(self) -> None:
        if not self._exited.is_set():
            with contextlib.suppress(OSError):
                self._proc.kill()

    def _finish(self) -> None:
        super()._finish()
        if self._life_w >= 0:
            with contextlib.suppress(OSError):
                os.close(self._life_w)
            self._life_w = -1


def _new_scratch() -> Path:
    """A fresh private folder named after this process, so that once it is dead the next
    parent removes what it left (a killed checker cannot clean up after itself)."""
    _remove_stale_scratch()
    return Path(tempfile.mkdtemp(prefix=f"fcnet-sandbox-{os.getpid()}-")).resolve()


@functools.lru_cache(maxsize=1)
def _remove_stale_scratch() -> None:
    """Remove the scratch folders of parents that are gone (once per process)."""
    root = Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for folder in root.glob("fcnet-sandbox-*-*"):
            owner = folder.name.split("-")[2]
            if (
                not owner.isdigit()
                or os.path.exists(f"/proc/{owner}")
                or not Path("/proc").is_dir()
            ):
                continue
            with contextlib.suppress(OSError):
                if folder.is_dir() and folder.stat().st_uid == os.getuid():
                    _remove_tree(folder)


def _remove_tree(path: Path) -> None:
    """rmtree that first gives back the owner's rights the student may have taken away."""

    def fix(func: Callable[..., Any], name: str, _exc: object) -> None:
        parent = os.path.dirname(name)
        with contextlib.suppress(OSError):
            os.chmod(parent, 0o700)
        with contextlib.suppress(OSError):
            if os.path.isdir(name) and not os.path.islink(name):
                os.chmod(name, 0o700)
        with contextlib.suppress(FileNotFoundError):
            func(name)

    if not os.path.lexists(path):
        return
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    for root, dirs, _ in os.walk(path):
        for d in dirs:
            p = os.path.join(root, d)
            if not os.path.islink(p):
                with contextlib.suppress(OSError):
                    os.chmod(p, 0o700)
    shutil.rmtree(path, onerror=fix)


# ---------------------------------------------------------------- spawn (fresh interpreter)

_BOOTSTRAP = (
    "import sys,json\n"
    "c=json.loads(sys.argv[1])\n"
    "sys.path[:]=c['path']\n"
    "import importlib.util as u\n"
    "s=u.spec_from_file_location('_fcnet_sandbox',c['module'])\n"
    "m=u.module_from_spec(s);sys.modules['_fcnet_sandbox']=m;s.loader.exec_module(m)\n"
    "m._child_main(c)\n"
)


def _child_path() -> list[str]:
    """The parent's import path less what is not Python's or a package folder (the
    current folder, a test folder): the child imports the same fcnet and packages."""
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    keep = []
    for entry in sys.path:
        if not entry or not os.path.isabs(entry) or not os.path.exists(entry):
            continue
        path = Path(entry).resolve()
        if (
            path == _FCNET_ROOT
            or any(path == p or p in path.parents for p in prefixes)
            or {"site-packages", "dist-packages"} & set(path.parts)
        ):
            keep.append(str(path))
    if str(_FCNET_ROOT) not in keep:
        keep.insert(0, str(_FCNET_ROOT))
    return list(dict.fromkeys(keep))


def _target(target: Sequence[str] | Callable[..., Any], args: Sequence[str]) -> list[str]:
    if callable(target):
        name = f"{target.__module__}:{target.__qualname__}"
        if "<" in name:
            raise ValueError(f"spawn: {name} is not a module-level function")
        return ["-call", name, *args]
    return [*target, *args]


def spawn(
    target: Sequence[str] | Callable[..., Any],
    policy: Policy,
    *,
    pass_fds: Sequence[int] = (),
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Sandboxed:
    """Start a fresh sandboxed interpreter running `target`: Python's arguments (["-m",
    module, ...], ["-c", code, ...], [script, ...]) or a module-level function, called with
    `args`. `pass_fds` keep their numbers in the child; `env`'s FCNET_* variables pass."""
    scratch = _new_scratch()
    out_r, out_w = os.pipe()
    life_r, life_w = os.pipe()
    cgroup = _Cgroup.create(policy.limits)
    config = {
        "path": _child_path(),
        "module": str(_SANDBOX_FILE),
        "policy": policy.to_json(),
        "scratch": str(scratch),
        "lifeline": life_r,
        "target": _target(target, args),
        "cgroup": cgroup.procs_files() if cgroup else [],
    }
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _BOOTSTRAP, json.dumps(config)],
            stdin=subprocess.DEVNULL,
            stdout=out_w,
            stderr=out_w,
            pass_fds=(life_r, *pass_fds),
            env=child_environment(scratch, env),
            cwd=scratch,
            start_new_session=True,
        )
    except BaseException:
        for fd in (out_r, life_w):
            os.close(fd)
        _remove_tree(scratch)
        if cgroup:
            cgroup.remove()
        raise
    finally:
        os.close(out_w)
        os.close(life_r)
    return _Spawned(proc, scratch, policy, out_r, life_w, cgroup)


def _child_main(config: dict[str, Any]) -> None:
    """The fresh interpreter's start (see _BOOTSTRAP): join the cgroup, enter, run target."""
    if "zygote" in config:
        _zygote_main(config)
    _join_cgroup(config.get("cgroup", []))
    enter(Policy.from_json(config["policy"]), Path(config["scratch"]), lifeline=config["lifeline"])
    if config.get("probe"):
        print(json.dumps(_APPLIED))
        sys.exit(0)
    _run_target(config["target"])


def _join_cgroup(procs_files: Sequence[str]) -> None:
    joined = bool(procs_files)
    for name in procs_files:
        try:
            _write(name, str(os.getpid()))
        except OSError:
            joined = False
    os.environ["_FCNET_SANDBOX_CGROUP"] = "1" if joined else "0"


def _run_target(target: list[str]) -> None:
    import runpy

    head, rest = target[0], target[1:]
    if head == "-m":
        sys.argv = [rest[0], *rest[1:]]
        runpy.run_module(rest[0], run_name="__main__", alter_sys=True)
    elif head == "-c":
        sys.argv = ["-c", *rest[1:]]
        exec(compile(rest[0], "<string>", "exec"), {"__name__": "__main__"})
    elif head == "-call":
        sys.exit(_call(rest[0], rest[1:]))
    else:
        sys.argv = [head, *rest]
        runpy.run_path(head, run_name="__main__")


def _call(name: str, args: Sequence[str]) -> int:
    import importlib

    module, _, qualname = name.partition(":")
    func: Any = importlib.import_module(module)
    for part in qualname.split("."):
        func = getattr(func, part)
    code = func(*args)
    return code if isinstance(code, int) else 0


# ---------------------------------------------------------------- cgroups (where writable)


class _Cgroup:
    """A memory+pids cgroup for one tree, where this user may create one (cgroup v1 as
    root); the kernel then bounds the tree whatever it does. Elsewhere the parent's /proc
    watch holds the same limits (`WATCHED`)."""

    def __init__(self, dirs: list[Path]) -> None:
        self.dirs = dirs

    @staticmethod
    def _bases() -> list[Path] | None:
        if "cgroup" in _off():
            return None
        v1 = [Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup/pids")]
        if all(os.access(p, os.W_OK) for p in v1) and all(
            (p / "cgroup.procs").exists() for p in v1
        ):
            return [p / "fcnet-sandbox" for p in v1]
        return None

    @classmethod
    def create(cls, limits: Limits) -> _Cgroup | None:
        bases = cls._bases()
        if bases is None:
            return None
        name = f"{os.getpid()}-{time.monotonic_ns()}-{threading.get_ident()}"
        dirs: list[Path] = []
        try:
            for base in bases:
                base.mkdir(exist_ok=True)
                (base / name).mkdir()
                dirs.append(base / name)
            memory, pids = dirs
            _write(str(memory / "memory.limit_in_bytes"), str(limits.memory_bytes))
            with contextlib.suppress(OSError):  # no swap accounting on every kernel
                _write(str(memory / "memory.memsw.limit_in_bytes"), str(limits.memory_bytes))
            _write(str(pids / "pids.max"), str(limits.processes + 3))
        except OSError:
            cls(dirs).remove()
            return None
        return cls(dirs)

    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def oom_killed(self) -> bool:
        try:
            text = (self.dirs[0] / "memory.oom_control").read_text()
        except (OSError, IndexError):
            return False
        return any(
            line.startswith("oom_kill ") and line.split()[1] != "0" for line in text.splitlines()
        )

    def remove(self) -> None:
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


@functools.lru_cache(maxsize=1)
def _cgroup_available() -> bool:
    """Whether a cgroup can be made here; removes those left by dead parents."""
    for base in _Cgroup._bases() or []:
        with contextlib.suppress(OSError):
            for left in base.iterdir():
                owner = left.name.split("-")[0]
                if left.is_dir() and owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
                    with contextlib.suppress(OSError):
                        left.rmdir()
    cgroup = _Cgroup.create(Limits(cpu_seconds=1, memory_bytes=64 * MiB))
    if cgroup is None:
        return False
    cgroup.remove()
    return True


# ---------------------------------------------------------------- protections()


@functools.lru_cache(maxsize=1)
def protections() -> dict[str, bool]:
    """Which protections this machine gives a sandbox, probed once per process by starting
    one (keys: PROTECTIONS)."""
    result = dict.fromkeys(PROTECTIONS, False)
    policy = Policy((), Limits(cpu_seconds=10, memory_bytes=512 * MiB))
    scratch = Path(tempfile.mkdtemp(prefix="fcnet-sandbox-probe-"))
    life_r, life_w = os.pipe()
    config = {
        "path": _child_path(),
        "module": str(_SANDBOX_FILE),
        "policy": policy.to_json(),
        "scratch": str(scratch),
        "lifeline": life_r,
        "probe": True,
    }
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _BOOTSTRAP, json.dumps(config)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            pass_fds=(life_r,),
            env=child_environment(scratch),
            cwd=scratch,
            timeout=30,
            check=False,
        )
        found = json.loads(done.stdout.decode().strip().splitlines()[-1])
        result.update({k: bool(found.get(k)) for k in PROTECTIONS})
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        pass
    finally:
        os.close(life_r)
        os.close(life_w)
        _remove_tree(scratch)
    result["cgroup"] = _cgroup_available()
    return result


def missing_protections() -> list[str]:
    """The names of the protections this machine lacks (empty: all on), those with a
    fallback that holds the same limits left out (`WATCHED`)."""
    return [name for name, on in protections().items() if not on and name not in WATCHED]


# ---------------------------------------------------------------- Zygote (fork server)


class _Forked(Sandboxed):
    """A tree forked by a `Zygote`; the zygote reports C1's exit status."""

    def __init__(
        self,
        zygote: Zygote,
        pid: int,
        scratch: Path,
        policy: Policy,
        output_fd: int,
        cgroup: _Cgroup | None,
    ) -> None:
        self._zygote = zygote
        try:
            self._pidfd = os.pidfd_open(pid)  # signals reach C1, never a reused pid
        except (OSError, AttributeError):  # not Linux 5.3+
            self._pidfd = -1
        super().__init__(pid, scratch, policy, output_fd, cgroup)

    def _signal_root(self) -> None:
        if self._exited.is_set():
            return
        with contextlib.suppress(OSError):
            if self._pidfd >= 0:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            else:
                os.kill(self.pid, signal.SIGKILL)

    def _finish(self) -> None:
        super()._finish()
        if self._exited.is_set() and self._pidfd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._pidfd)
            self._pidfd = -1


class Zygote:
    """A fork server: a fresh interpreter that imports numpy and `preload` once, then forks
    one confined child per `spawn` (the same `enter` as a fresh process, from the same
    pristine state: nothing one submission does reaches the next). Thread-safe; close it
    (or use it as a context manager) to end it and every tree it started. Each child holds
    a copy of the zygote's memory: preload libraries and the child server, never a check
    or an expected value."""

    def __init__(self, preload: Sequence[str] = (), *, start_timeout: float = 120.0) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = {
            "path": _child_path(),
            "module": str(_SANDBOX_FILE),
            "zygote": ["numpy", *preload],
            "sock": theirs.fileno(),
        }
        home = Path(tempfile.gettempdir())
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _BOOTSTRAP, json.dumps(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            pass_fds=(theirs.fileno(),),
            env=child_environment(home),
            cwd=home,
            start_new_session=True,
        )
        theirs.close()
        self._sock = ours
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._next = 0
        self._replies: dict[int, tuple[threading.Event, list[dict[str, Any]]]] = {}
        self._boxes: dict[int, _Forked] = {}
        self._exits: dict[int, int] = {}
        self._ready = threading.Event()
        self._dead = False
        self._reader = threading.Thread(target=self._read, name="fcnet-zygote", daemon=True)
        self._reader.start()
        if not self._ready.wait(start_timeout) or self._dead:
            self.close()
            raise RuntimeError("the sandbox's zygote did not start (see its error above)")

    @property
    def pid(self) -> int:
        return self._proc.pid

    def spawn(
        self,
        func_name: str,
        policy: Policy,
        pass_fds: Sequence[int] = (),
        *,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> Sandboxed:
        """Fork a confined child that calls `func_name` ("module:function") with `args`;
        `pass_fds` keep their numbers (3 and up), its stdout+stderr go to `.output()`."""
        if any(fd < 3 for fd in pass_fds):
            raise ValueError(f"Zygote.spawn: pass_fds must be 3 or more, got {list(pass_fds)}")
        scratch = _new_scratch()
        out_r, out_w = os.pipe()
        cgroup = _Cgroup.create(policy.limits)
        event: threading.Event = threading.Event()
        reply: list[dict[str, Any]] = []
        with self._lock:
            self._next += 1
            ident = self._next
            self._replies[ident] = (event, reply)
        request = {
            "id": ident,
            "call": func_name,
            "args": list(args),
            "policy": policy.to_json(),
            "scratch": str(scratch),
            "fds": list(pass_fds),
            "env": {k: v for k, v in (env or {}).items() if k.startswith("FCNET_")},
            "cgroup": cgroup.procs_files() if cgroup else [],
        }
        try:
            with self._send_lock:
                socket.send_fds(self._sock, [json.dumps(request).encode()], [out_w, *pass_fds])
            if not event.wait(30) or not reply or "pid" not in reply[0]:
                raise RuntimeError("the sandbox's zygote did not answer")
        except BaseException:
            os.close(out_r)
            _remove_tree(scratch)
            if cgroup:
                cgroup.remove()
            raise
        finally:
            os.close(out_w)
            with self._lock:
                self._replies.pop(ident, None)
        pid = int(reply[0]["pid"])
        box = _Forked(self, pid, scratch, policy, out_r, cgroup)
        with self._lock:
            if pid in self._exits:
                box._set_exit(self._exits.pop(pid))
            else:
                self._boxes[pid] = box
        return box

    def _read(self) -> None:
        while True:
            try:
                message = self._sock.recv(1 << 16)
            except OSError:
                message = b""
            if not message:
                break
            data = json.loads(message)
            if "ready" in data:
                self._ready.set()
            elif "exit" in data:
                pid, code = int(data["exit"]), int(data["status"])
                with self._lock:
                    box = self._boxes.pop(pid, None)
                    if box is None:
                        self._exits[pid] = code
                if box is not None:
                    box._set_exit(code)
            elif "id" in data:
                with self._lock:
                    waiting = self._replies.get(int(data["id"]))
                if waiting:
                    waiting[1].append(data)
                    waiting[0].set()
        self._dead = True  # the zygote is gone, and its trees with it (PR_SET_PDEATHSIG)
        self._ready.set()
        with self._lock:
            boxes, self._boxes = list(self._boxes.values()), {}
            waiting_all = list(self._replies.values())
        for event, _ in waiting_all:
            event.set()
        for box in boxes:
            box._set_exit(-signal.SIGKILL)

    def close(self) -> None:
        """End the zygote: it kills every tree it started, then exits."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._reader.join(5)
        self._sock.close()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _zygote_main(config: dict[str, Any]) -> None:
    """The fork server's loop (in its own fresh interpreter): fork per request, report
    pids and exit statuses; on EOF from the parent kill every child and exit."""
    import importlib

    sock = socket.socket(fileno=config["sock"])
    for name in config["zygote"]:
        importlib.import_module(name)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    children: set[int] = set()
    sock.send(json.dumps({"ready": True}).encode())
    while True:
        ready = select.select([sock.fileno(), wake_r], [], [])[0]
        if wake_r in ready:
            with contextlib.suppress(BlockingIOError):
                while os.read(wake_r, 512):
                    pass
            while children:
                pid, status = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
                children.discard(pid)
                code = os.waitstatus_to_exitcode(status)
                sock.send(json.dumps({"exit": pid, "status": code}).encode())
        if sock.fileno() in ready:
            try:
                message, fds, _, _ = socket.recv_fds(sock, 1 << 16, 64)
            except OSError:
                message, fds = b"", []
            if not message:
                for pid in children:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                os._exit(0)
            request = json.loads(message)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _zygote_child(request, fds, os.getppid(), (sock.fileno(), wake_r, wake_w))
            for fd in fds:
                os.close(fd)
            children.add(pid)
            sock.send(json.dumps({"id": request["id"], "pid": pid}).encode())


def _zygote_child(
    request: dict[str, Any], fds: list[int], zygote: int, drop: Sequence[int]
) -> None:
    """A forked child of the zygote: its descriptors in place, tied to the zygote's life,
    then `enter` and the call. Never returns."""
    import fcntl

    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in drop:
            os.close(fd)
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 1000) for fd in fds]
        start = 3
        for fd in sorted(high):
            os.closerange(start, fd)
            start = fd + 1
        os.closerange(start, 1 << 16)
        out, passed = high[0], high[1:]
        os.dup2(out, 1)
        os.dup2(out, 2)
        for fd, number in zip(passed, request["fds"], strict=True):
            os.dup2(fd, number)
        for fd in high:
            os.close(fd)
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != zygote:
            os._exit(1)
        os.environ.update(request["env"])
        _join_cgroup(request["cgroup"])
        enter(Policy.from_json(request["policy"]), Path(request["scratch"]))
        code = _call(request["call"], request["args"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
