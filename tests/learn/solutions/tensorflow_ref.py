"""Reference solution of `tensorflow`: the two-layer net as a Keras model, GradientTape + Adam."""

import tensorflow as tf


class TwoLayerNet(tf.keras.Model):
    def __init__(self, D_in, H, D_out):
        super().__init__()
        self.linear1 = tf.keras.layers.Dense(H, use_bias=False)
        self.linear2 = tf.keras.layers.Dense(D_out, use_bias=False)

    def call(self, x):
        return self.linear2(tf.nn.relu(self.linear1(x)))


def train(model, x, y, steps, lr):
    optimizer = tf.keras.optimizers.Adam(learning_rate=lr)
    losses = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(model(x) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        losses.append(float(loss))
    return losses
