"""The studio app's state, shared by its routers through `Depends(studio_state)`.

`Studio` holds where the runs are, the training sessions, the models loaded for the
Digits page and the Exercises page's check lock; `create_app` makes one per app and
keeps it as `app.state.studio`.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request

from fcnet._fileio import FileError
from fcnet.i18n import gettext as _
from fcnet.runs import MODEL, reader
from fcnet.studio import runs as runs_mod
from fcnet.studio.sessions import SessionRegistry, TrainingSession
from fcnet.studio.training import ModelStore

STATIC_DIR = Path(__file__).resolve().parent / "static"
_SESSION_ID = re.compile(r"[0-9a-f]{16}")
# Models of runs kept loaded for the Digits page.
_MAX_RUN_MODELS = 4


class NotFound(Exception):
    """A session, model or run that is not there: 404."""


class Studio:
    """The app's state: where the runs are, the training sessions, the loaded models."""

    def __init__(self, runs_dir: Path) -> None:
        self.runs_dir = runs_dir
        self.sessions = SessionRegistry()
        self.store = ModelStore()
        self._run_models: dict[str, tuple[float, Any, threading.Lock]] = {}
        self._session_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self.save_lock = threading.Lock()
        self.check_lock = threading.Lock()  # the Exercises page: one check at a time

    def session(self, session_id: str) -> TrainingSession:
        """The session named `session_id`; NotFound when there is none."""
        session = self.sessions.get(session_id) if _SESSION_ID.fullmatch(session_id) else None
        if session is None:
            raise NotFound(
                _("session: no training session {session_id!r}").format(session_id=session_id[:40])
            )
        return session

    def model(self, model_id: str) -> tuple[Any, threading.Lock]:
        """The Digits model named `model_id`: "run:<name>" or "session:<id>"."""
        if model_id.startswith("session:"):
            model = self.store.get(model_id)
            if model is None:
                raise NotFound(
                    _("model: no model {model_id!r} (train one, or pick a run)").format(
                        model_id=model_id
                    )
                )
            return model, self._lock_for(model_id)
        if not model_id.startswith("run:"):
            raise ValueError(
                _("model: expected 'run:<name>' or 'session:<id>', got {model_id!r}").format(
                    model_id=model_id
                )
            )
        name = model_id[4:]
        run = runs_mod.run_path(self.runs_dir, name)
        if not os.path.lexists(run / MODEL):
            raise NotFound(
                _("model: run {name!r} has no {model_file}").format(name=name, model_file=MODEL)
            )
        try:  # bounded, every size checked; says what is wrong
            spec = reader.read_model_spec(run, limit=runs_mod.MAX_MODEL_BYTES, inside=run)
            runs_mod.check_mnist_spec(name, spec)
            resolved = reader.model_path(run, inside=run)
        except FileError as exc:
            raise ValueError(_("model: run {name!r}: {exc}").format(name=name, exc=exc)) from None
        mtime = resolved.stat().st_mtime
        with self._lock:
            cached = self._run_models.get(name)
        if cached is None or cached[0] != mtime:
            from fcnet.backends import load

            cached = (mtime, load(resolved, backend="numpy"), threading.Lock())
            with self._lock:
                self._run_models[name] = cached
                while len(self._run_models) > _MAX_RUN_MODELS:
                    self._run_models.pop(next(iter(self._run_models)))
        return cached[1], cached[2]

    def _lock_for(self, model_id: str) -> threading.Lock:
        with self._lock:
            return self._session_locks.setdefault(model_id, threading.Lock())


def studio_state(request: Request) -> Studio:
    """The app's `Studio` (a FastAPI dependency)."""
    return request.app.state.studio


# A route's parameter `studio: StudioDep` receives the app's Studio.
StudioDep = Annotated[Studio, Depends(studio_state)]
