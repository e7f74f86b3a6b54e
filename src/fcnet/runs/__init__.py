"""The run folder: its layout, its records, one writer and one bounded reader.

    layout   the file names (run.json, config.json, metrics.jsonl, checkpoint.npz,
             model.npz, result.json), declared once
    records  run.json's record: options checked against each task's options dataclass
             (`register_task`), read bounded by `read_run`
    folder   `Run`, through which every file of a run is written; `load_model`

The tasks (`fcnet.tasks.run_folder` starts and finishes a run), the studio's saved fits,
the distributed launcher and `evaluate` all use it.
"""

from fcnet.runs import layout
from fcnet.runs.folder import Run, interrupted_message, jsonable, load_model, silent_run
from fcnet.runs.layout import *  # noqa: F403 (the file names, as layout declares them)
from fcnet.runs.records import read_run, register_task

__all__ = [
    "Run",
    "interrupted_message",
    "jsonable",
    "load_model",
    "read_run",
    "register_task",
    "silent_run",
]
__all__ += layout.__all__
