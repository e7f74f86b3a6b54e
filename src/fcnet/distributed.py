"""Data-parallel training with PyTorch's DistributedDataParallel, launched by torchrun.

    torchrun --nproc_per_node=2 -m fcnet mnist --backend torch --distributed

Every process runs the whole task. The process group comes from torchrun's environment
(RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT): gloo on CPUs, nccl on GPUs
(GPU LOCAL_RANK for each process), with a timeout (FCNET_DIST_TIMEOUT seconds, default
300) so that a lost process ends the run with an error instead of a hang.

- Data: every process holds the whole training set and walks the training loop's
  per-epoch permutation (drawn from the one --seed, so the same on every rank). The batch
  size is the *global* batch: rank r takes rows r, r + W, r + 2W, ... of each global
  batch, which is the shard `DistributedSampler(shuffle=True)` gives each rank (there is
  no padding: a short last batch is split as it comes, and the loss is weighted so the
  result is exactly the one-process step).
- Model: the torch backend's `nn.Sequential` wrapped in `DistributedDataParallel`, which
  averages the gradients across ranks; each rank's loss is its part of the global batch's
  loss times W, so the averaged gradient is the global batch's gradient and W processes
  with global batch B take the same steps as one process with batch B.
- Metrics: the training loss of each step, `evaluate` and `predict` are reduced (or
  gathered) across the ranks, so every rank sees the same numbers and takes the same
  early-stopping decisions. They are collective: every rank must call them together,
  which it does by running the same task code.
- Output: only rank 0 prints and writes the run folder and checkpoints; the other ranks
  get a `Run` in a private scratch folder that writes nothing and prints nothing. A
  resumed run's config.json and checkpoint.npz are sent from rank 0 to the others, so
  several machines need no shared file system.

`run_task` is what `fcnet <task> --distributed` calls. The open session installs itself
in `fcnet.runtime`, the seam where the tasks start their run and build their model; the
tasks never import this module. `current()` is the open session (None outside one).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import gc
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fcnet import runtime

if TYPE_CHECKING:  # pragma: no cover
    from fcnet.backends.torch_ddp import DistributedModel
    from fcnet.spec import NetSpec
    from fcnet.train import Interrupted

ENV = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
"""What torchrun sets for each process and `--distributed` needs (LOCAL_RANK too, if any)."""
TIMEOUT_ENV = "FCNET_DIST_TIMEOUT"
BACKEND_ENV = "FCNET_DIST_BACKEND"
DEFAULT_TIMEOUT = 300.0
_CURRENT: Session | None = None


class DistributedError(ConnectionError):
    """A process of a distributed run failed, timed out or was stopped; one line, with the fix."""


def current() -> Session | None:
    """The distributed session of this process, or None outside `fcnet ... --distributed`."""
    return _CURRENT


# ----- launching ------------------------------------------------------------------------------


def launch_command(task: str, nproc: int | str = "N", extra: str = "") -> str:
    """The torchrun command line that runs `task` data-parallel (for messages)."""
    tail = f" {extra}" if extra else ""
    return f"torchrun --nproc_per_node={nproc} -m fcnet {task} --backend torch --distributed{tail}"


def check_launch(task: str, backend: str | None, env: dict[str, str] | None = None) -> None:
    """ValueError (one line, saying how to launch) unless `--distributed` can run here."""
    env = dict(os.environ if env is None else env)
    if backend != "torch":
        raise ValueError(
            f"--distributed: trains with PyTorch's DistributedDataParallel, so it needs "
            f"--backend torch, got {backend!r}; launch it as: {launch_command(task)}"
        )
    missing = [k for k in ENV if not env.get(k)]
    if missing:
        raise ValueError(
            f"--distributed: expected to be started by torchrun ({', '.join(missing)} not "
            f"set); launch it as: {launch_command(task)}"
        )
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_PORT"):
        if key in env and not env[key].isdigit():
            raise ValueError(f"--distributed: expected {key} to be an int >= 0, got {env[key]!r}")
    if int(env["RANK"]) >= int(env["WORLD_SIZE"]):
        raise ValueError(
            f"--distributed: expected RANK < WORLD_SIZE, got {env['RANK']} and {env['WORLD_SIZE']}"
        )


def _timeout_seconds(env: dict[str, str]) -> float:
    text = env.get(TIMEOUT_ENV, "")
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{TIMEOUT_ENV}: expected a number of seconds > 0, got {text!r}")
    return value


def run_task(task: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a task (fcnet.tasks.fit, mnist, binary) as one rank of a data-parallel run.

    What `fcnet <task> --distributed` calls: checks the launch (ValueError when the
    backend is not torch or torchrun's environment is missing), opens the process group,
    runs the task and tears the group down. When another process fails, it prints
    `fcnet: error: ...` (which rank, what torch said, how to resume) and exits with 2.
    """
    name = task.__name__
    backend = kwargs.get("backend")
    if backend is None and kwargs.get("resume") is not None:
        from fcnet.runs import read_run

        backend = read_run(kwargs["resume"], name)["options"].get("backend")
    check_launch(name, backend or "numpy")
    from fcnet.train import Interrupted

    try:
        with session(name) as s:
            try:
                return task(*args, **kwargs)
            except Interrupted as exc:  # Ctrl-C: the terminal signals every rank
                raise s.interrupted(exc) from None
    except DistributedError as exc:
        # after a failed collective gloo cannot be torn down cleanly (it may abort the
        # process, or wait on the dead peer): say what happened and leave at once
        sys.stdout.flush()
        sys.stderr.write(f"fcnet: error: {_first_line(exc)}\n")
        sys.stderr.flush()
        os._exit(2)


@contextlib.contextmanager
def session(task: str = "fit", env: dict[str, str] | None = None) -> Iterator[Session]:
    """Open the process group from torchrun's environment; always tear it down.

    env: the variables to check and read the rank from (default os.environ); the group
    itself is joined through os.environ (init_method "env://"), as torchrun expects.
    """
    global _CURRENT
    if _CURRENT is not None:
        raise RuntimeError("a distributed session is already open in this process")
    env = dict(os.environ if env is None else env)
    check_launch(task, "torch", env)
    s = Session(task, env)
    _CURRENT = s
    runtime.install(s)
    failed = False
    try:
        with s._sigterm_raises():
            s._open()
            yield s
    except DistributedError:
        failed = True  # the group is broken: destroying it could hang or abort
        raise
    finally:
        _CURRENT = None
        runtime.uninstall(s)
        s._close(destroy=not failed)


# ----- the session ----------------------------------------------------------------------------


class Session:
    """One process of a data-parallel run: its rank, the process group, the scratch folder."""

    def __init__(self, task: str, env: dict[str, str]) -> None:
        self.task = task
        self.rank = int(env["RANK"])
        self.world_size = int(env["WORLD_SIZE"])
        self.local_rank = int(env.get("LOCAL_RANK", "0") or 0)
        self.local_world_size = int(env.get("LOCAL_WORLD_SIZE", "0") or 0) or self.world_size
        self.timeout = _timeout_seconds(env)
        self.master = f"{env.get('MASTER_ADDR')}:{env.get('MASTER_PORT')}"
        self.run_dir: Path | None = None
        self._scratch: Path | None = None
        self._opened = False
        self._models: list[weakref.ref[DistributedModel]] = []
        wanted = env.get(BACKEND_ENV, "").lower()
        if wanted not in ("", "gloo", "nccl"):
            raise ValueError(f"{BACKEND_ENV}: expected gloo or nccl, got {wanted!r}")
        import torch

        gpu = torch.cuda.is_available()
        if wanted == "nccl" and not gpu:
            raise ValueError(f"{BACKEND_ENV}=nccl: needs a CUDA GPU, and torch sees none")
        self.backend = wanted or ("nccl" if gpu else "gloo")
        if self.backend == "nccl":
            if self.local_rank >= torch.cuda.device_count():
                raise ValueError(
                    f"LOCAL_RANK {self.local_rank}: this machine has only "
                    f"{torch.cuda.device_count()} GPU(s); start at most that many processes "
                    f"per machine (--nproc_per_node)"
                )
            self.device = f"cuda:{self.local_rank}"
        else:
            self.device = "cpu"

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that prints and writes the run folder."""
        return self.rank == 0

    # ----- the process group ------------------------------------------------------------

    def _open(self) -> None:
        import torch
        import torch.distributed as dist

        if self.device.startswith("cuda"):
            torch.cuda.set_device(self.device)
        try:
            dist.init_process_group(
                backend=self.backend,
                init_method="env://",
                timeout=datetime.timedelta(seconds=self.timeout),
            )
        except (RuntimeError, ValueError) as exc:
            raise DistributedError(
                f"rank {self.rank} of {self.world_size}: could not join the process group at "
                f"{self.master} within {self.timeout:g} s ({_first_line(exc)})"
            ) from None
        self._opened = True

    def _close(self, destroy: bool = True) -> None:
        if self._opened and destroy:
            import torch.distributed as dist

            # DDP's reducer holds the group: free it first, or the group's C++ threads are
            # destroyed at interpreter exit instead, where gloo may abort the process
            for ref in self._models:
                model = ref()
                if model is not None:
                    model.ddp = None
            gc.collect()
            with contextlib.suppress(Exception):
                dist.destroy_process_group()
            self._opened = False
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    @contextlib.contextmanager
    def _sigterm_raises(self) -> Iterator[None]:
        """torchrun stops every process with SIGTERM when one fails: say so, then exit."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum, frame):
            raise DistributedError(
                f"rank {self.rank} of {self.world_size}: stopped by SIGTERM (torchrun stops "
                f"every process when one of them fails, or the job was cancelled)"
                f"{self._resume_hint()}"
            )

        previous = signal.signal(signal.SIGTERM, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGTERM, previous)

    def lost(self, exc: BaseException, where: str = "") -> DistributedError:
        """The error for a failed collective: which rank, what torch said, how to resume."""
        at = f" {where}" if where else ""
        return DistributedError(
            f"rank {self.rank} of {self.world_size}: lost the other processes{at} "
            f"({_first_line(exc)}; timeout {self.timeout:g} s){self._resume_hint()}"
        )

    def interrupted(self, exc: Interrupted) -> Interrupted:
        """Rank 0's Ctrl-C message with the torchrun command; the others point to rank 0."""
        from fcnet.train import Interrupted

        if not self.is_main:
            msg = f"rank {self.rank}: interrupted (epoch {exc.epoch}, step {exc.step}); rank 0 "
            return Interrupted(msg + "keeps the checkpoint", None, exc.epoch, exc.step)
        if exc.checkpoint is None or self.world_size > self.local_world_size:
            return exc
        cmd = launch_command(self.task, self.local_world_size, "--resume")
        message = exc.message.replace(f"fcnet {self.task} --resume", cmd)
        return Interrupted(message, exc.checkpoint, exc.epoch, exc.step)

    def _resume_hint(self) -> str:
        if not self.is_main:
            return "; rank 0 reports the run folder"
        from fcnet.runs.layout import CHECKPOINT

        if self.run_dir is None or not (self.run_dir / CHECKPOINT).is_file():
            return ""
        intact = f"; the last checkpoint in {self.run_dir} is intact"
        if self.world_size > self.local_world_size:  # several machines: their own options
            return f"{intact}: continue with the same torchrun command and --resume {self.run_dir}"
        cmd = launch_command(self.task, self.local_world_size, f"--resume {self.run_dir}")
        return f"{intact}: continue with {cmd}"

    # ----- collectives --------------------------------------------------------------------

    def broadcast_bytes(self, data: bytes | None) -> bytes:
        """Rank 0's `data` on every rank (the others pass None)."""
        import torch
        import torch.distributed as dist

        if self.is_main and data is None:
            raise ValueError("broadcast_bytes: rank 0 must pass the bytes to send")
        size = torch.tensor([len(data) if data is not None else 0], dtype=torch.int64)
        size = size.to(self.device)
        dist.broadcast(size, src=0)
        buf = torch.empty(int(size.item()), dtype=torch.uint8, device=self.device)
        if data is not None and self.is_main:
            buf.copy_(torch.frombuffer(bytearray(data), dtype=torch.uint8))
        dist.broadcast(buf, src=0)
        return buf.cpu().numpy().tobytes()

    def _share(self, obj: Any) -> Any:
        try:
            return self.broadcast_json(obj)
        except RuntimeError as exc:
            raise self.lost(exc, "while starting the run") from None

    def broadcast_json(self, obj: Any) -> Any:
        """Rank 0's JSON-able `obj` on every rank."""
        text = json.dumps(obj).encode() if self.is_main else None
        return json.loads(self.broadcast_bytes(text).decode())

    # ----- what fcnet.runtime asks of it ---------------------------------------------------

    def build(self, spec: NetSpec, backend: str, device: str = "cpu") -> DistributedModel:
        """The spec's torch model on this rank's device (the session's, whatever `device`
        says), trained under DistributedDataParallel."""
        if backend != "torch":
            raise ValueError(f"--distributed: needs --backend torch, got {backend!r}")
        from fcnet.backends.torch_ddp import DistributedModel

        model = DistributedModel(spec, self)
        self._models.append(weakref.ref(model))
        return model

    def start_run(self, make: Callable[..., Any], silent: Callable[..., Any], *args: Any) -> Any:
        """Rank 0 makes (or reopens) the run folder; the others get a silent scratch Run.

        Rank 0 sends the resolved options and their sources, and for a resumed run its
        config.json and checkpoint.npz, so that every rank trains from the same state.
        """
        from fcnet.runs import reader
        from fcnet.runs.layout import RESUME_FILES

        if self.is_main:
            try:
                run = make(*args)
            except Exception as exc:
                with contextlib.suppress(RuntimeError):
                    self.broadcast_json({"error": _first_line(exc)})
                raise
            self.run_dir = run.out_dir
            files = {}
            if run.resuming:
                for name in RESUME_FILES:  # what a resumed run reads, sent to the other ranks
                    if (run.out_dir / name).is_file():
                        data = reader.read_file(run.out_dir, name)
                        files[name] = base64.b64encode(data).decode("ascii")
            shared = {
                "options": run.options,
                "sources": run.sources,
                "resuming": run.resuming,
                "files": files,
            }
            if run.config is not None:  # the --config file as rank 0 read it (its own keys)
                shared["config"] = run.config.model_dump(mode="json", exclude_unset=True)
            self._share(shared)
            return run
        got = self._share(None)
        if "error" in got:
            raise ValueError(f"rank {self.rank}: rank 0 could not start the run: {got['error']}")
        self._scratch = Path(tempfile.mkdtemp(prefix=f"fcnet-rank{self.rank}-"))
        for name, data in got["files"].items():
            (self._scratch / name).write_bytes(base64.b64decode(data))
        options = {**got["options"], "quiet": True, "out": str(self._scratch)}
        run = silent(args[0], self._scratch, options, got["sources"], bool(got["resuming"]))
        if "config" in got:
            from fcnet.spec import NetSpec

            run.config = NetSpec.from_dict(got["config"])
        return run


# ----- the model ------------------------------------------------------------------------------


def __getattr__(name: str) -> Any:
    """`DistributedModel` lives with the torch backend, imported on first use (torch)."""
    if name == "DistributedModel":
        from fcnet.backends.torch_ddp import DistributedModel

        return DistributedModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _first_line(exc: BaseException) -> str:
    """The first line of an error, without gloo's source location and boilerplate advice."""
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    line = re.sub(r"^\[[^\]]*\.(cc|cpp|h):\d+\]\s*", "", text.splitlines()[0])
    line = line.split(" This is typically caused by")[0]
    return " ".join(line.split())


__all__ = [
    "DistributedError",
    "DistributedModel",
    "Session",
    "check_launch",
    "current",
    "launch_command",
    "run_task",
    "session",
]
