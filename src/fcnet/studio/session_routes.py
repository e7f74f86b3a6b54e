"""The training sessions' routes, shared by the Fit and Digits pages: the event stream,
pause and stop (`/api/sessions/<id>/...`)."""

from __future__ import annotations

import asyncio
import json
import queue
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from fcnet.i18n import gettext as _
from fcnet.studio.state import StudioDep
from fcnet.studio.training import StrictRequest

# Seconds between keep-alive comments on an idle event stream.
_HEARTBEAT_S = 2.0

router = APIRouter()


class PauseRequest(StrictRequest):
    paused: bool


@router.get("/api/sessions/{session_id}/events")
async def events(session_id: str, studio: StudioDep) -> StreamingResponse:
    session = studio.session(session_id)
    if session.started or not session.active:
        raise ValueError(
            _("session: {session_id} is already streaming or finished").format(
                session_id=session_id
            )
        )
    studio.sessions.start(session)  # 429 when too many train already
    return StreamingResponse(
        _stream(session),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post("/api/sessions/{session_id}/pause")
async def pause(session_id: str, req: PauseRequest, studio: StudioDep) -> dict[str, Any]:
    session = studio.session(session_id)
    session.pause(req.paused)
    return {"status": session.status}


@router.post("/api/sessions/{session_id}/stop")
async def stop(session_id: str, studio: StudioDep) -> dict[str, Any]:
    session = studio.session(session_id)
    session.stop()
    return {"status": "stopping" if session.active else session.status}


async def _stream(session):
    """A session's events as Server-Sent Events; when the reader goes, the training stops."""
    idle = 0.0
    try:
        yield "retry: 60000\n\n"
        while True:
            try:
                event = session.events.get_nowait()
            except queue.Empty:
                if not session.active and session.events.empty() and session.finished:
                    break
                await asyncio.sleep(0.02)
                idle += 0.02
                if idle >= _HEARTBEAT_S:
                    idle = 0.0
                    yield ": keep-alive\n\n"
                continue
            idle = 0.0
            yield f"event: {event['type']}\ndata: {json.dumps(event, allow_nan=False)}\n\n"
            if event["type"] in ("done", "failed"):
                break
    finally:
        session.stop()  # the tab closed (or the training ended): stop its thread
