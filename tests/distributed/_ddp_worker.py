"""One rank of the DistributedModel check (run by test_ddp_model.py, two of them at once).

Each rank trains a DistributedModel and, beside it, a plain torch model on the same
global batches, in float64, for every loss; batches of 7, 1, 4 and 3 rows (so with two
ranks one of them sometimes has no row). It writes the largest differences it saw to
the JSON file named by argv[1] (loss, evaluate, predict, weights, optimiser state).
"""

from __future__ import annotations

import json
import sys

import numpy as np

from fcnet.backends import build
from fcnet.distributed import session
from fcnet.spec import NetSpec

CASES = {
    "cross_entropy": dict(output_size=3, loss="cross_entropy"),
    "bce_sigmoid_mean": dict(output_size=1, loss="bce", output_activation="sigmoid"),
    "bce_sigmoid_sum": dict(
        output_size=1, loss="bce", output_activation="sigmoid", reduction="sum"
    ),
    "bce_with_logits": dict(output_size=1, loss="bce_with_logits"),
    "mse_mean": dict(output_size=2, loss="mse"),
    "mse_sum": dict(output_size=2, loss="mse", reduction="sum"),
}
OPTIMIZER = dict(name="sgd", lr=0.05, momentum=0.9, clip_norm=0.5)
BATCHES = (7, 1, 4, 3)


def targets(spec: NetSpec, rng: np.random.Generator, n: int) -> np.ndarray:
    if spec.loss == "cross_entropy":
        return rng.integers(0, spec.output_size, n)
    if spec.loss == "mse":
        return rng.normal(size=(n, spec.output_size))
    return (rng.random((n, spec.output_size)) < 0.5).astype(np.float64)


def main(path: str) -> None:
    diffs: dict[str, dict[str, float]] = {}
    with session("fit") as s:
        for name, kw in CASES.items():
            spec = NetSpec(input_size=4, hidden=[5, 3], optimizer=OPTIMIZER, dtype="float64", **kw)
            ddp, plain = s.build(spec, "torch"), build(spec, "torch")
            rng = np.random.default_rng(11)  # the same data on every rank
            d = {"loss": 0.0, "evaluate": 0.0, "predict": 0.0, "weights": 0.0, "state": 0.0}
            for _ in range(3):
                for n in BATCHES:
                    x, y = rng.normal(size=(n, 4)), targets(spec, rng, n)
                    d["loss"] = max(d["loss"], abs(ddp.train_step(x, y) - plain.train_step(x, y)))
            x, y = rng.normal(size=(9, 4)), targets(spec, rng, 9)
            a, b = ddp.evaluate(x, y), plain.evaluate(x, y)
            assert a.keys() == b.keys(), (a, b)
            d["evaluate"] = max(abs(a[k] - b[k]) for k in a)
            d["predict"] = float(np.abs(ddp.predict(x) - plain.predict(x)).max())
            wa, wb = ddp.get_weights(), plain.get_weights()
            d["weights"] = max(float(np.abs(wa[k] - wb[k]).max()) for k in wa)
            sa, sb = ddp.get_state(), plain.get_state()
            assert sa.keys() == sb.keys()
            d["state"] = max(
                float(np.abs(np.asarray(sa[k], float) - np.asarray(sb[k], float)).max())
                for k in sa
                if k != "rng"
            )
            d["steps"] = float(ddp.steps == plain.steps == 3 * len(BATCHES))
            diffs[name] = d
    with open(path, "w") as fh:
        json.dump({"rank": s.rank, "diffs": diffs}, fh)


if __name__ == "__main__":
    main(sys.argv[1])
