# %% [markdown]
# # 练习 `torch`：用 PyTorch 的自动求导写两层网络
#
# 讲义中 PyTorch 部分的最后一步把 `TwoLayerNet` 定义成一个 `nn.Module`，
# 用 `torch.optim.Adam` 训练。那段代码有三处笔误：`__init__(self, D_in, D_out)`
# 漏了 H；`forward` 调用的是 `self.linear`，而且把 ReLU 用在了输入上
# （`x.clamp(min=0)`）；`loss.backforward()` 不是一个方法。把它写对：
#
#     h = x W1^T,  h_relu = max(h, 0),  y_pred = h_relu W2^T,  L = sum (y_pred - y)^2
#
# 其中 `Linear(D_in, H, bias=False)`（W1 的形状为 (H, D_in)）和
# `Linear(H, D_out, bias=False)`。检查会构建你的网络，放入与 numpy 参考实现
# 相同的权重，把自动求导得到的梯度与手推的梯度（练习 `backprop`）比较，
# 然后用 Adam 训练两者，逐步比较损失。最后，检查会把 `torch.optim.Adam` 换成普通
# SGD，运行你的 `train` 一步（所以请用 `torch.optim.Adam(...)` 创建优化器）：
# 权重必须正好移动 -lr * dL/dW，这样能发现被 Adam 的归一化掩盖的重复累加梯度。

# %%
import torch


# %%
class TwoLayerNet(torch.nn.Module):
    """x (N, D_in) -> linear1 -> ReLU -> linear2 -> y_pred (N, D_out)；没有偏置。

    只保留两个参数：linear1.weight (H, D_in) 和 linear2.weight (D_out, H)。
    """

    def __init__(self, D_in, H, D_out):
        super().__init__()
        # TODO: self.linear1 = torch.nn.Linear(D_in, H, bias=False); self.linear2 = ...
        raise NotImplementedError("TwoLayerNet.__init__")

    def forward(self, x):
        # TODO
        raise NotImplementedError("TwoLayerNet.forward")


def train(model, x, y, steps, lr):
    """在整批数据上训练 `model`（x (N, D_in)、y (N, D_out)，float32 张量）。

    用 torch.optim.Adam(model.parameters(), lr=lr) 在
    torch.nn.MSELoss(reduction="sum") 上训练 `steps` 步。返回 `steps` 个损失
    （float）组成的列表，每个都取自该步更新之前。
    """
    # TODO: 前向传播、损失、optimizer.zero_grad()、loss.backward()、optimizer.step()
    raise NotImplementedError("train")


# %% [markdown]
# ## 运行检查

# %% [check]
