"""The Runs page's routes: the page, the list of run folders, one run, a run's plot."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from fcnet.studio import runs as runs_mod
from fcnet.studio.state import STATIC_DIR, StudioDep

router = APIRouter()


@router.get("/runs", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "runs.html", media_type="text/html")


@router.get("/api/runs")
def runs(studio: StudioDep) -> dict[str, Any]:
    return {"runs_dir": str(studio.runs_dir), **runs_mod.scan_runs(studio.runs_dir)}


# A run's name may hold "/" (runs/demo-<time>/mnist): the plot route comes first.
@router.get("/api/runs/{name:path}/plots/{plot}")
def run_plot(name: str, plot: str, studio: StudioDep) -> FileResponse:
    return FileResponse(runs_mod.plot_path(studio.runs_dir, name, plot), media_type="image/png")


@router.get("/api/runs/{name:path}")
def run(name: str, studio: StudioDep) -> dict[str, Any]:
    return runs_mod.run_detail(studio.runs_dir, name)
