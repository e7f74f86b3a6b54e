"""The run folder: its layout, its records, one writer and one bounded reader.

    layout   the file names (run.json, config.json, metrics.jsonl, checkpoint.npz,
             model.npz, result.json), declared once
    reader   the one reader of each file: bounded, and with `inside=` confined to the
             run (no link leading out): read_json, read_spec, read_metrics,
             read_model_spec, model_path, read_file, check_file, is_run
    records  run.json's record: options checked against each task's options dataclass
             (`register_task`), read and checked by `read_run`
    folder   `Run`, through which every file of a run is written; `load_model`

The tasks (`fcnet.tasks.run_folder` starts and finishes a run; a resumed run reads its
config.json), the studio (its Runs and Digits pages, its saved fits), the distributed
launcher and `evaluate` all use it. The checkpoint's contents are `fcnet.checkpoint`'s
to read; the model's weights `fcnet.backends.load`'s (from `model_path`).
"""

from fcnet.runs import layout
from fcnet.runs.folder import Run, interrupted_message, jsonable, load_model, silent_run
from fcnet.runs.layout import *  # noqa: F403 (the file names, as layout declares them)
from fcnet.runs.reader import (
    check_file,
    is_run,
    model_path,
    read_file,
    read_json,
    read_metrics,
    read_model_spec,
    read_spec,
)
from fcnet.runs.records import read_run, register_task

__all__ = [
    "Run",
    "check_file",
    "interrupted_message",
    "is_run",
    "jsonable",
    "load_model",
    "model_path",
    "read_file",
    "read_json",
    "read_metrics",
    "read_model_spec",
    "read_run",
    "read_spec",
    "register_task",
    "silent_run",
]
__all__ += layout.__all__
