"""The old name of `fcnet.explain` (the step-through), kept because it is public:
`fcnet.backprop`, `fcnet.backprop.trace`, `.text`, `.checks` and `.toy` are the very
modules of `fcnet.explain` under a second name (one copy, so a patch on one is seen by both).
"""

import sys

from fcnet.explain import ACTIVATIONS, LOSSES, Layer, Net, Trace, checks, step, text, toy, trace

for _module in (checks, text, toy, trace):
    sys.modules[f"{__name__}.{_module.__name__.rpartition('.')[2]}"] = _module

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "Layer",
    "Net",
    "Trace",
    "checks",
    "step",
    "text",
    "toy",
    "trace",
]
