"""Wrong: the header read little-endian (the machine's order, not the file's)."""

import numpy as np


def load_images(path):
    data = open(path, "rb").read()
    n, rows, cols = np.frombuffer(data, "<u4", 3, offset=4)
    return np.frombuffer(data, np.uint8, int(n) * int(rows) * int(cols), offset=16).reshape(
        int(n), int(rows) * int(cols)
    )


def load_labels(path):
    data = open(path, "rb").read()
    (n,) = np.frombuffer(data, "<u4", 1, offset=4)
    return np.frombuffer(data, np.uint8, int(n), offset=8)
