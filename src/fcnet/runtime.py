"""The seam where a task starts its run and builds its model.

The tasks consult this module; a runtime that changes how runs start and models are
built (the data-parallel session of `fcnet.distributed`) installs itself here. Neither
side imports the other: the way Keras 3's layers consult its distribution state.

    runtime.start_run(make, silent, *args)   # make(*args), or the session's choice
    runtime.build_model(spec, backend, device)

Importing this module imports nothing of fcnet but the names it types with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from fcnet.backends import Model
    from fcnet.spec import NetSpec

R = TypeVar("R")


class Runtime(Protocol):
    """What an installed runtime offers the tasks."""

    def start_run(self, make: Callable[..., R], silent: Callable[..., R], *args: Any) -> R:
        """The task's Run: `make(*args)` where this process keeps the run folder, else
        `silent(task, folder, options, sources, resuming)`, a Run that writes nothing."""
        ...

    def build(self, spec: NetSpec, backend: str, device: str) -> Model:
        """The model the task trains."""
        ...


_ACTIVE: Runtime | None = None


def active() -> Runtime | None:
    """The installed runtime, or None (the plain one-process run)."""
    return _ACTIVE


def install(runtime: Runtime) -> None:
    """Make `runtime` the one the tasks consult (one at a time)."""
    global _ACTIVE
    if _ACTIVE is not None and _ACTIVE is not runtime:
        raise RuntimeError("a runtime is already installed in this process")
    _ACTIVE = runtime


def uninstall(runtime: Runtime) -> None:
    global _ACTIVE
    if _ACTIVE is runtime:
        _ACTIVE = None


def start_run(make: Callable[..., R], silent: Callable[..., R], *args: Any) -> R:
    """The task's Run, made by the installed runtime or by `make(*args)`."""
    if _ACTIVE is not None:
        return _ACTIVE.start_run(make, silent, *args)
    return make(*args)


def build_model(spec: NetSpec, backend: str, device: str = "cpu") -> Model:
    """The model for `spec`: the installed runtime's, or `fcnet.backends.build`'s."""
    if _ACTIVE is not None:
        return _ACTIVE.build(spec, backend, device)
    from fcnet.backends import build

    return build(spec, backend=backend, device=device)


__all__ = ["Runtime", "active", "build_model", "install", "start_run", "uninstall"]
