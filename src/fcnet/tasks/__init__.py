"""The three exercises end to end: `fit`, `mnist`, `binary`. Each trains, evaluates, writes
a run folder (config.json, metrics.jsonl, result.json, the model, PNG plots) and returns a
`TaskResult` with `.metrics` and `.out_dir`."""

from fcnet.tasks._common import TaskResult
from fcnet.tasks.fit import fit
from fcnet.tasks.mnist import mnist

__all__ = ["TaskResult", "fit", "mnist"]
