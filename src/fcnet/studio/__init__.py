"""fcnet studio: a local web app to watch fully-connected networks learn.

Four pages: Fit (a function of x, the fit and the ReLU kinks live), Digits (draw a digit,
see the probabilities), Runs (the run folders, side by side), Backprop (one step of a
small network, every number and its formula). Start it with `fcnet serve`;
build the app yourself with `create_app(runs_dir)`. Needs the `studio` extra (FastAPI,
uvicorn).
"""

from __future__ import annotations

from fcnet.studio.app import create_app

__all__ = ["create_app"]
