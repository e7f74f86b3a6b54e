# %% [markdown]
# # IDX 文件头，一个字节一个字节地看
#
# 做练习 `idx` 之前，先看看 `train-images-idx3-ubyte` 里装的是什么。
# 讲义用十六进制查看器展示了文件开头的几个字节；这里我们用 Python
# 把它们逐个读出来。

# %%
import gzip
import struct

import numpy as np

from fcnet.data.mnist import shipped_root

with gzip.open(shipped_root() / "train-images-idx3-ubyte.gz") as fh:
    head = fh.read(16 + 784)  # 文件头和第一张图像
print(head[:16].hex(" "))

# %% [markdown]
# ## 第 0-3 字节：魔数 0x00000803
#
# `00 00 08 03`：先是两个零字节，然后是数据类型（0x08：无符号字节），
# 最后是维数（3：图像数、行数、列数）。作为一个大端整数读出来就是
# 0x00000803 = 2051。标签文件的魔数是 0x00000801（一维）。

# %%
print(list(head[0:4]), hex(int.from_bytes(head[0:4], "big")), int.from_bytes(head[0:4], "big"))

# %% [markdown]
# ## 第 4-15 字节：三个大端 32 位整数
#
# “MSB first”（高位字节在前）就是大端序：`00 00 ea 60` 是
# 0x0000ea60 = 60000 张图像，接着 `00 00 00 1c` = 28 行、
# `00 00 00 1c` = 28 列。如果按小端序（大多数 PC 的字节序）读，同样的字节
# `00 00 ea 60` 会被当成 0x60ea0000 = 1,625,948,160 张图像：所以讲义里写的是 `'>IIII'`。

# %%
magic, n, rows, cols = struct.unpack(">IIII", head[:16])
print(magic, n, rows, cols)
print("按小端序读：", struct.unpack("<IIII", head[:16]))
print("用 numpy 读也一样：", np.frombuffer(head, dtype=">u4", count=4))

# %% [markdown]
# ## 第 16 字节起：像素
#
# 数据从偏移量 4 * 4 = 16 开始：每张图像 rows * cols = 784 个字节，
# 每个像素一个字节（0-255），逐行排列。文件的长度必须正好是
# 16 + n * 784 个字节：检查了这一点的读取函数，遇到损坏的文件时
# 绝不会返回一堆乱码。

# %%
first = np.frombuffer(head, dtype=np.uint8, offset=16).reshape(rows, cols)
for row in first[4:24:2]:
    print("".join("#" if v > 128 else "." for v in row[4:24]))

# %% [markdown]
# 现在自己动手写 `load_images` 和 `load_labels`：见笔记本 `03_idx`
# （`fcnet exercise start idx`）。
