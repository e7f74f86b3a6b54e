# %% [markdown]
# # 练习 `idx`：自己读取 MNIST 的文件
#
# MNIST 由四个 IDX 文件组成。图像文件以 16 字节的文件头开始，
# 其中是四个大端序（“MSB first”）的 32 位整数：
#
# | 偏移量 | 值 | 含义 |
# | --- | --- | --- |
# | 0 | 0x00000803 = 2051 | 魔数：00 00，类型 08（无符号字节），03 维 |
# | 4 | 0x0000ea60 = 60000 | 图像数 |
# | 8 | 0x0000001c = 28 | 行数 |
# | 12 | 0x0000001c = 28 | 列数 |
#
# 之后每张图像 rows * cols 个字节，MNIST 是 784 个。标签文件的文件头
# 是 8 个字节（魔数 0x00000801、个数），之后每个标签一个字节。
#
# 讲义用 `struct.unpack_from('>47040000B', ...)` 来读：每个像素一个
# Python 整数（很慢），而且什么都不检查。你要做得更好：按大端序读
# 文件头，**检查**它（魔数、文件头完整、数据字节数与文件头声明的
# 完全一致），不符合就抛出带说明的 `ValueError`，然后用
# `np.frombuffer` 读取数据。检查会在真实的 MNIST 文件和其他大小的
# 文件上与 fcnet 自己的读取函数比较，给你一些格式错误的文件，
# 并与讲义的读取方法比速度（至少快 10 倍）。
#
# 想先拿一个原始文件试试：在 fcnet 的目录里运行
# `gunzip -k data/mnist/t10k-images-idx3-ubyte.gz`（检查会自己解压副本）。

# %%
import numpy as np


# %%
def load_images(path):
    """读取一个原始（未压缩）的 IDX 图像文件。

    path：文件名。返回形状为 (N, rows*cols) 的 uint8 数组，每行一张图像，
    例如 MNIST 训练图像是 (60000, 784)。
    文件格式不对时抛出（带说明的）ValueError：魔数不对（应为 0x00000803）、
    文件头不完整，或数据长度不等于 N*rows*cols。
    """
    # TODO: 读出字节，检查文件头，np.frombuffer(..., dtype=np.uint8, offset=16)
    raise NotImplementedError("load_images")


def load_labels(path):
    """读取一个原始的 IDX 标签文件：返回形状为 (N,) 的 uint8 数组。

    文件格式不对时抛出 ValueError（魔数应为 0x00000801；8 字节文件头之后
    正好是 N 个字节的标签）。
    """
    # TODO
    raise NotImplementedError("load_labels")


# %% [markdown]
# ## 运行检查

# %% [check]
