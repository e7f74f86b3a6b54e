"""Wrong: only the magic number's last byte (the number of dimensions) is checked."""

import numpy as np


def _read(path, magic, ndim):
    with open(path, "rb") as fh:
        data = fh.read()
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: {len(data)} bytes, too short for an IDX header ({header})")
    found = data[3]
    if found != magic & 0xFF:
        raise ValueError(f"{path}: magic number 0x{found:08x}, expected 0x{magic:08x}")
    dims = np.frombuffer(data, ">u4", ndim, offset=4).astype(int)
    size = int(np.prod(dims))
    if len(data) != header + size:
        raise ValueError(f"{path}: {len(data) - header} data bytes, the header says {size}")
    return np.frombuffer(data, np.uint8, size, offset=header), dims


def load_images(path):
    pixels, (n, rows, cols) = _read(path, 0x00000803, 3)
    return pixels.reshape(n, rows * cols)


def load_labels(path):
    labels, _ = _read(path, 0x00000801, 1)
    return labels
