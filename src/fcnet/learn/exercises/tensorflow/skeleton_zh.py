# %% [markdown]
# # 练习 `tensorflow`：用 TensorFlow 写同一个两层网络
#
# 练习 `torch` 的孪生练习：一个 Keras 模型，加上用 `tf.GradientTape`
# 写的训练循环；GradientTape 记录前向传播，再给出梯度：
#
#     h = x W1,  h_relu = max(h, 0),  y_pred = h_relu W2,  L = sum (y_pred - y)^2
#
# Keras 的 `Dense` 把核（kernel）存成 (in, out)，是 PyTorch 权重的转置：
# W1 为 (D_in, H)，W2 为 (H, D_out)。没有偏置（`use_bias=False`）。检查会
# 构建你的模型，放入与 numpy 参考实现相同的权重，把 tape 给出的梯度
# 与手推的梯度比较，然后用 Adam 训练两者并比较损失。最后，检查会把
# `tf.keras.optimizers.Adam` 换成普通 SGD，运行你的 `train` 一步（所以请用
# `tf.keras.optimizers.Adam(...)` 创建优化器）：权重必须正好移动 -lr * dL/dW，
# 这样能发现被 Adam 的归一化掩盖的重复梯度。

# %%
import tensorflow as tf


# %%
class TwoLayerNet(tf.keras.Model):
    """x (N, D_in) -> linear1 -> ReLU -> linear2 -> y_pred (N, D_out)；没有偏置。

    正好两个可训练变量：核 (D_in, H) 和 (H, D_out)。
    """

    def __init__(self, D_in, H, D_out):
        super().__init__()
        # TODO: self.linear1 = tf.keras.layers.Dense(H, use_bias=False); self.linear2 = ...
        raise NotImplementedError("TwoLayerNet.__init__")

    def call(self, x):
        # TODO
        raise NotImplementedError("TwoLayerNet.call")


def train(model, x, y, steps, lr):
    """在整批数据上训练 `model`（x (N, D_in)、y (N, D_out)，float32 张量）。

    用 tf.keras.optimizers.Adam(learning_rate=lr) 在
    tf.reduce_sum(tf.square(model(x) - y)) 上训练 `steps` 步，梯度来自
    tf.GradientTape。返回 `steps` 个损失（float）组成的列表，每个都取自该步更新之前。
    """
    # TODO: with tf.GradientTape() as tape: ...; optimizer.apply_gradients(...)
    raise NotImplementedError("train")


# %% [markdown]
# ## 运行检查

# %% [check]
