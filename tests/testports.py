"""A loopback port for a test's server, drawn outside the kernel's ephemeral range.

`bind(("127.0.0.1", 0))` hands out a port from the ephemeral range, which is also where
every client connection of the suite takes its local port: a server started on it a moment
later can find it taken ("is in use"). Ports below the range are never handed to clients.
"""

from __future__ import annotations

import random
import socket

LOW, HIGH = 20000, 32000  # below Linux's default ephemeral range (32768-60999)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing is bound to right now, outside the ephemeral range."""
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randint(LOW, HIGH)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {LOW}-{HIGH}")
