"""Backpropagation made visible: one step of a small network, every number kept.

`trace` computes (with fcnet's numpy engine, float64), `text` writes the course's
formulas with the numbers substituted, `checks` compares the gradients with central
differences and PyTorch autograd, `toy` draws the studio's 2-D data sets.
`fcnet backprop` and the studio's Backprop page both use these: one source of truth.
"""

from fcnet.explain.trace import ACTIVATIONS, LOSSES, Layer, Net, Trace, step

__all__ = ["ACTIVATIONS", "LOSSES", "Layer", "Net", "Trace", "step"]
