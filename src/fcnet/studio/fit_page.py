"""The Fit page's routes: the page, `POST /api/fit` (a training session) and
`POST /api/fit/<id>/save` (the finished fit as a run folder)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import Field

from fcnet.i18n import gettext as _
from fcnet.studio.fitrun import RecordingFitSession, save_fit
from fcnet.studio.state import STATIC_DIR, StudioDep
from fcnet.studio.training import FitRequest, StrictRequest, check_backend

router = APIRouter()


class SaveRequest(StrictRequest):
    """Fit page: save the finished fit as a run folder (named, or fit-studio-<time>)."""

    name: str | None = Field(default=None, min_length=1, max_length=128)


@router.get("/fit", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "fit.html", media_type="text/html")


@router.post("/api/fit")
def fit(req: FitRequest, studio: StudioDep) -> dict[str, Any]:
    check_backend(req.backend)
    session = RecordingFitSession(req)  # parses and checks the expression
    studio.sessions.add(session)
    return session.start_payload()


@router.post("/api/fit/{session_id}/save")
def fit_save(session_id: str, req: SaveRequest, studio: StudioDep) -> dict[str, Any]:
    session = studio.session(session_id)
    if not isinstance(session, RecordingFitSession):
        raise ValueError(_("save: only a fit from the Fit page can be saved as a run"))
    with studio.save_lock:
        if session.saved is not None:
            return {"run": session.saved, "runs_dir": str(studio.runs_dir)}
        name = save_fit(session, studio.runs_dir, req.name)
    return {"run": name, "runs_dir": str(studio.runs_dir)}
