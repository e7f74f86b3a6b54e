"""Data sets: the IDX reader and writer, and MNIST (shipped, verified) and its kin."""

from fcnet.data.idx import IdxFormatError, read_idx, write_idx
from fcnet.data.mnist import download_mnist, load_mnist

__all__ = ["IdxFormatError", "download_mnist", "load_mnist", "read_idx", "write_idx"]
