"""`fcnet.backprop`, the step-through's old public name, still imports: the very modules of
`fcnet.explain` (one copy), in a fresh interpreter as a user's script would import them."""

from __future__ import annotations

import subprocess
import sys


def test_fcnet_backprop_is_fcnet_explain() -> None:
    script = (
        "import fcnet.backprop.trace, fcnet.backprop.text, fcnet.backprop.checks\n"
        "from fcnet.backprop.toy import DATASETS\n"
        "from fcnet.backprop import ACTIVATIONS, LOSSES, Layer, Net, Trace, step\n"
        "import fcnet.explain as e, fcnet.backprop as b\n"
        "assert b.trace is e.trace and fcnet.backprop.trace.step is step is e.step\n"
        "assert fcnet.backprop.checks is e.checks and b.text is e.text\n"
        "assert 'quadratic' in LOSSES and DATASETS\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
