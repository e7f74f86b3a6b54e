"""Training sessions: one background thread per training, its events read by one stream.

A page asks for a training (`POST /api/fit`, `POST /api/digits/train`); the server checks
the request, creates a session and answers with its id. The page then opens the session's
event stream; the first reader starts the thread, and when the stream closes (the tab was
closed, or the page stopped listening) the training stops. So several tabs train
independently and none trains for nobody.
"""

from __future__ import annotations

import math
import queue
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any

from fcnet.i18n import gettext as _

# Sessions that were created but never streamed are dropped after this many seconds.
_UNCLAIMED_TTL_S = 60.0
# Finished sessions are forgotten after this many seconds.
_FINISHED_TTL_S = 600.0
# Events kept waiting for a slow reader; older progress events are dropped first.
_QUEUE_SIZE = 256


class TrainingStopped(Exception):
    """Raised inside a training thread when its session was stopped."""


class TooManySessions(RuntimeError):
    """More trainings are running than the server allows at once."""


def _finite(value: Any) -> Any:
    """JSON has no NaN or inf: send them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class TrainingSession:
    """A training in a background thread: pause, resume, stop, and a queue of events.

    Subclasses implement `run()`, calling `self.emit(...)` for updates and
    `self.checkpoint()` between steps (it waits while paused and raises
    `TrainingStopped` once stopped).
    """

    kind = "training"

    def __init__(self) -> None:
        self.id = secrets.token_hex(8)
        self.status = "created"  # created, running, paused, done, stopped, failed
        self.created = time.monotonic()
        self.finished: float | None = None
        self.events: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=_QUEUE_SIZE)
        self._pause = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # ----- control, from the server -------------------------------------------------------

    def start(self) -> None:
        """Start the training thread (only the first call does anything)."""
        with self._lock:
            if self._thread is not None:
                return
            self.status = "running"
            self._thread = threading.Thread(
                target=self._main, name=f"fcnet-studio-{self.kind}-{self.id}", daemon=True
            )
            self._thread.start()

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def active(self) -> bool:
        """True while the session holds (or may soon hold) a training thread."""
        return self.status in ("created", "running", "paused")

    def pause(self, paused: bool) -> None:
        if not self.active:
            return
        if paused:
            self._pause.set()
            self.status = "paused"
        else:
            self._pause.clear()
            if self.status == "paused":
                self.status = "running"
        self.emit({"type": "status", "status": self.status})

    def stop(self) -> None:
        """Ask the thread to stop after its current step (it may not have started)."""
        self._stop.set()
        self._pause.clear()
        if self._thread is None and self.active:
            self.status = "stopped"
            self.finished = time.monotonic()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    # ----- inside the thread --------------------------------------------------------------

    def run(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def checkpoint(self) -> None:
        """Between two steps: wait while paused; raise TrainingStopped once stopped."""
        while self._pause.is_set() and not self._stop.is_set():
            self._stop.wait(0.05)
        if self._stop.is_set():
            raise TrainingStopped

    def sleep(self, seconds: float) -> None:
        """Wait up to `seconds`, waking at once when the session is stopped."""
        self._stop.wait(seconds)

    def emit(self, event: dict[str, Any]) -> None:
        """Queue an event for the stream; when the reader lags, drop the oldest progress."""
        event = {k: _finite(v) for k, v in event.items()}
        while True:
            try:
                self.events.put_nowait(event)
                return
            except queue.Full:
                try:
                    self.events.get_nowait()
                except queue.Empty:
                    pass

    def _main(self) -> None:
        try:
            self.run()
        except TrainingStopped:
            self.status = "stopped"
            self.emit({"type": "done", "status": "stopped"})
        except ValueError as exc:
            self.status = "failed"
            self.emit({"type": "failed", "error": " ".join(str(exc).split())})
        except Exception as exc:  # a bug must end this session, never the server
            self.status = "failed"
            self.emit({"type": "failed", "error": f"training failed: {type(exc).__name__}: {exc}"})
        else:
            self.status = "done"
        finally:
            self.finished = time.monotonic()


class SessionRegistry:
    """The server's sessions by id, with bounds on how many train and how many wait.

    At most `max_active` sessions train at once (streamed, running or paused): one more
    is refused with TooManySessions, when it is created and again when its stream opens.
    A session created but not yet streamed holds no thread and does not count; at most
    `max_waiting` of them are kept, the oldest dropped first, so requests that never open
    their stream cannot lock training out.
    """

    def __init__(self, max_active: int = 8, max_waiting: int = 16) -> None:
        self.max_active = max_active
        self.max_waiting = max_waiting
        self._sessions: OrderedDict[str, TrainingSession] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, session: TrainingSession) -> TrainingSession:
        with self._lock:
            self._purge()
            self._check_room()
            waiting = [s for s in self._sessions.values() if s.active and not s.started]
            for old in waiting[: max(0, len(waiting) - self.max_waiting + 1)]:
                old.stop()  # never streamed: dropped to make room
                del self._sessions[old.id]
            self._sessions[session.id] = session
        return session

    def start(self, session: TrainingSession) -> None:
        """Start a waiting session's thread, if fewer than `max_active` train."""
        with self._lock:
            if not session.started:
                self._check_room()
            session.start()

    def _check_room(self) -> None:
        training = sum(1 for s in self._sessions.values() if s.active and s.started)
        if training >= self.max_active:
            raise TooManySessions(
                _(
                    "{training} trainings are running already (at most {max_active}); stop "
                    "one or close its tab"
                ).format(training=training, max_active=self.max_active)
            )

    def get(self, session_id: str) -> TrainingSession | None:
        with self._lock:
            return self._sessions.get(session_id)

    def stop_all(self) -> None:
        with self._lock:
            sessions = list(self._sessions.values())
        for s in sessions:
            s.stop()
        for s in sessions:
            s.join(timeout=5)

    def _purge(self) -> None:
        now = time.monotonic()
        for sid, s in list(self._sessions.items()):
            if not s.started and s.active and now - s.created > _UNCLAIMED_TTL_S:
                s.stop()
            if s.finished is not None and now - s.finished > _FINISHED_TTL_S:
                del self._sessions[sid]
