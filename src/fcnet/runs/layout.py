"""The run folder's file names: declared once, used by the tasks, the studio, the
distributed launcher and `evaluate`.

    run.json        the task, its options and where each came from (`fcnet.runs.records`)
    config.json     the network's NetSpec
    metrics.jsonl   one record per epoch (the studio's fits: per step)
    checkpoint.npz  the training loop's checkpoint (`fcnet.checkpoint`)
    model.npz       the portable model (plus the backend's native file where it has one)
    result.json     the metrics and what else the task reports
"""

from __future__ import annotations

RUN_JSON = "run.json"
CONFIG = "config.json"
METRICS_LOG = "metrics.jsonl"
CHECKPOINT = "checkpoint.npz"
MODEL = "model.npz"
RESULT = "result.json"

# what makes a folder an fcnet run folder (any one of them)
RUN_FILES = (RUN_JSON, CONFIG, METRICS_LOG, RESULT, MODEL)
# what a resumed run reads back besides run.json
RESUME_FILES = (CONFIG, CHECKPOINT)

__all__ = [
    "CHECKPOINT",
    "CONFIG",
    "METRICS_LOG",
    "MODEL",
    "RESULT",
    "RESUME_FILES",
    "RUN_FILES",
    "RUN_JSON",
]
