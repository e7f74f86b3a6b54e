"""The Digits page's routes: the page, training a quick MNIST model, the models to pick
from, and predicting the digit drawn on the canvas.

A prediction decodes a picture of up to 2048x2048 pixels (16 MiB of grey levels, more
while pillow converts it): at most `MAX_DECODING` are decoded at once, on their own small
pool of threads, so many concurrent requests queue instead of each holding its own
copies, and the memory they leave in the allocator stays that of a couple of threads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import Field

from fcnet.studio import runs as runs_mod
from fcnet.studio.canvas import decode_image, mnist_input
from fcnet.studio.middleware import MAX_BODY_BYTES
from fcnet.studio.state import STATIC_DIR, StudioDep
from fcnet.studio.training import (
    DigitsSession,
    DigitsTrainRequest,
    StrictRequest,
    check_backend,
    predict_digit,
)

MAX_DECODING = 2
_decoders = ThreadPoolExecutor(MAX_DECODING, thread_name_prefix="fcnet-studio-canvas")

router = APIRouter()


class PredictRequest(StrictRequest):
    """Digits page: the canvas as a PNG data URL, and which model to ask."""

    model: str = Field(min_length=1, max_length=200)
    image: str = Field(min_length=1, max_length=MAX_BODY_BYTES)


def _canvas_input(data_url: str) -> np.ndarray | None:
    return mnist_input(decode_image(data_url))


@router.get("/digits", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "digits.html", media_type="text/html")


@router.post("/api/digits/train")
def digits_train(req: DigitsTrainRequest, studio: StudioDep) -> dict[str, Any]:
    check_backend(req.backend)
    session = studio.sessions.add(DigitsSession(req, studio.store))
    return {"session": session.id}


@router.get("/api/digits/models")
def digits_models(studio: StudioDep) -> dict[str, Any]:
    found = runs_mod.mnist_models(studio.runs_dir)
    return {"models": studio.store.listing() + found["models"], "skipped": found["skipped"]}


@router.post("/api/digits/predict")
def digits_predict(req: PredictRequest, studio: StudioDep) -> dict[str, Any]:
    model, lock = studio.model(req.model)
    image = _decoders.submit(_canvas_input, req.image).result()
    if image is None:
        return {"probs": None, "prediction": None, "input": [0.0] * 784}
    probs = predict_digit(model, image, lock)
    return {
        "probs": probs,
        "prediction": int(np.argmax(probs)),
        "input": [round(float(v), 3) for v in image.reshape(-1)],
    }
