"""The three exercises end to end: `fit`, `mnist`, `binary`.

Each trains with its progress shown, evaluates, writes a run folder (run.json,
config.json, metrics.jsonl, result.json, checkpoint.npz, the model, PNG plots) and
returns a `TaskResult` with `.metrics` and `.out_dir`. `evaluate(run_dir)` measures a
saved run again.
"""

from fcnet.tasks.binary import binary
from fcnet.tasks.evaluate import evaluate
from fcnet.tasks.fit import fit
from fcnet.tasks.mnist import mnist
from fcnet.tasks.run_folder import TaskResult

__all__ = ["TaskResult", "binary", "evaluate", "fit", "mnist"]
