"""Start `python -m fcnet ... --distributed` as W processes, the way torchrun would.

Each rank gets torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1,
a free MASTER_PORT), one thread, its own working directory and TMPDIR (so a test can see
what each rank wrote), and its output in files. Every process is killed when the test is
done with it, whatever happens: no process outlives its test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from testports import free_port

DEADLINE = 120.0  # seconds a launch may take before the test kills it and fails


def base_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR"):
        env.pop(key, None)
    env.pop("MASTER_PORT", None)
    env.update(OMP_NUM_THREADS="1", COLUMNS="200", FCNET_DIST_TIMEOUT="20")
    env.update(extra)
    return env


@dataclass
class Rank:
    rank: int
    proc: subprocess.Popen
    cwd: Path
    tmp: Path
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Launch:
    """W ranks of one run; use as a context manager so they are always reaped."""

    def __init__(self, root: Path, args: list[str], world_size: int = 2, **env: str) -> None:
        port = str(free_port())
        self.ranks: list[Rank] = []
        root.mkdir(parents=True, exist_ok=True)
        for r in range(world_size):
            cwd, tmp = root / f"rank{r}", root / f"tmp{r}"
            cwd.mkdir(exist_ok=True)
            tmp.mkdir(exist_ok=True)
            log = root / f"rank{r}.log"
            rank_env = base_env(
                RANK=str(r),
                WORLD_SIZE=str(world_size),
                LOCAL_RANK=str(r),
                LOCAL_WORLD_SIZE=str(world_size),
                MASTER_ADDR="127.0.0.1",
                MASTER_PORT=port,
                TMPDIR=str(tmp),
                **env,
            )
            with open(log, "wb") as fh:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "fcnet", *args, "--distributed"],
                    cwd=cwd,
                    env=rank_env,
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            self.ranks.append(Rank(r, proc, cwd, tmp, log))

    def __enter__(self) -> Launch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()

    def kill(self) -> None:
        for r in self.ranks:
            if r.proc.poll() is None:
                r.proc.kill()
        for r in self.ranks:
            r.proc.wait(timeout=30)

    def wait(self, timeout: float = DEADLINE) -> list[int]:
        """Every rank's exit code; kills them all and fails if they take longer."""
        end = time.monotonic() + timeout
        codes = []
        for r in self.ranks:
            try:
                codes.append(r.proc.wait(timeout=max(0.1, end - time.monotonic())))
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(
                    f"rank {r.rank} still running after {timeout:g} s; logs:\n{self.logs()}"
                ) from None
        return codes

    def signal(self, rank: int, sig: int = signal.SIGKILL) -> None:
        self.ranks[rank].proc.send_signal(sig)

    def logs(self) -> str:
        return "\n".join(f"--- rank {r.rank}:\n{r.output()}" for r in self.ranks)


def run_plain(cwd: Path, args: list[str], timeout: float = DEADLINE) -> subprocess.CompletedProcess:
    """One ordinary process (no --distributed), for the reference result."""
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "fcnet", *args],
        cwd=cwd,
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
