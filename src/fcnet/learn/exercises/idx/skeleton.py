# %% [markdown]
# # Exercise `idx`: read MNIST's files yourself
#
# MNIST comes as four IDX files. An images file starts with a 16-byte header of four
# big-endian ("MSB first") 32-bit integers:
#
# | offset | value | meaning |
# | --- | --- | --- |
# | 0 | 0x00000803 = 2051 | magic number: 00 00, type 08 (unsigned byte), 03 dimensions |
# | 4 | 0x0000ea60 = 60000 | number of images |
# | 8 | 0x0000001c = 28 | rows |
# | 12 | 0x0000001c = 28 | columns |
#
# then rows * cols bytes per image, 784 for MNIST. A labels file has an 8-byte header
# (magic 0x00000801, count), then one byte per label.
#
# The course text reads them with `struct.unpack_from('>47040000B', ...)`: one Python
# int per pixel (slow), and it checks nothing. Do better: read the header big-endian,
# **check** it (magic number, a complete header, exactly the bytes it announces), raise
# `ValueError` with a message otherwise, and view the data with `np.frombuffer`.
# The checks compare with fcnet's reader on the real MNIST files and on files of other
# sizes, give you malformed files, and time you against the course's loader (>= 10x).
#
# Get a raw file to try: `gunzip -k data/mnist/t10k-images-idx3-ubyte.gz` in fcnet's
# folder (the checks decompress their own copies).

# %%
import numpy as np


# %%
def load_images(path):
    """Read a raw (uncompressed) IDX images file.

    path: the file's name. Returns a uint8 array of shape (N, rows*cols), one image per
    row, e.g. (60000, 784) for MNIST's training images.
    Raises ValueError (with a message) for a malformed file: wrong magic number
    (0x00000803 expected), header cut short, or a data length that is not N*rows*cols.
    """
    # TODO: read the bytes, check the header, np.frombuffer(..., dtype=np.uint8, offset=16)
    raise NotImplementedError("load_images")


def load_labels(path):
    """Read a raw IDX labels file: returns a uint8 array of shape (N,).

    Raises ValueError for a malformed file (magic 0x00000801 expected; exactly N bytes
    of labels after the 8-byte header).
    """
    # TODO
    raise NotImplementedError("load_labels")


# %% [markdown]
# ## Run the checks

# %% [check]
