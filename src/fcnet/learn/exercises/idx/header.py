# %% [markdown]
# # The IDX header, byte by byte
#
# Before exercise `idx`: what is inside `train-images-idx3-ubyte`? The course text shows
# the first bytes in a hex viewer. Here we read them with Python, one by one.

# %%
import gzip
import struct

import numpy as np

from fcnet.data.mnist import shipped_root

with gzip.open(shipped_root() / "train-images-idx3-ubyte.gz") as fh:
    head = fh.read(16 + 784)  # the header and the first image
print(head[:16].hex(" "))

# %% [markdown]
# ## Bytes 0-3: the magic number 0x00000803
#
# `00 00 08 03`: two zero bytes, then the type of the data (0x08: unsigned byte), then
# the number of dimensions (3: images, rows, columns). As one big-endian integer:
# 0x00000803 = 2051. A labels file has 0x00000801 (one dimension).

# %%
print(list(head[0:4]), hex(int.from_bytes(head[0:4], "big")), int.from_bytes(head[0:4], "big"))

# %% [markdown]
# ## Bytes 4-15: three big-endian 32-bit integers
#
# "MSB first" (most significant byte first) is big-endian: `00 00 ea 60` is
# 0x0000ea60 = 60000 images, then `00 00 00 1c` = 28 rows and `00 00 00 1c` = 28
# columns. Read little-endian (the byte order of most PCs), the same bytes `00 00 ea 60`
# would mean 0x60ea0000 = 1,625,948,160 images: that is why the course text writes
# `'>IIII'`.

# %%
magic, n, rows, cols = struct.unpack(">IIII", head[:16])
print(magic, n, rows, cols)
print("read little-endian:", struct.unpack("<IIII", head[:16]))
print("the same with numpy:", np.frombuffer(head, dtype=">u4", count=4))

# %% [markdown]
# ## Byte 16 on: the pixels
#
# The data start at offset 4 * 4 = 16: rows * cols = 784 bytes per image, one byte
# (0-255) per pixel, row after row. The file must hold exactly 16 + n * 784 bytes: a
# reader that checks this never returns garbage from a damaged file.

# %%
first = np.frombuffer(head, dtype=np.uint8, offset=16).reshape(rows, cols)
for row in first[4:24:2]:
    print("".join("#" if v > 128 else "." for v in row[4:24]))

# %% [markdown]
# Now write `load_images` and `load_labels` yourself: notebook `03_idx`
# (`fcnet exercise start idx`).
