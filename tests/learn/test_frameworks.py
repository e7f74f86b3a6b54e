"""Exercises torch and tensorflow: the references pass; the course text's slips fail, named."""

import pytest
from learnkit import namespace, report, results

COURSE_INIT = """
class TwoLayerNet(torch.nn.Module):
    def __init__(self, D_in, D_out):  # the course text's: H forgotten
        super(TwoLayerNet, self).__init__()
        self.linear1 = torch.nn.Linear(D_in, H, bias=False)
        self.linear2 = torch.nn.Linear(H, D_out, bias=False)

    def forward(self, x):
        y_pred = self.linear2(self.linear(x.clamp(min=0)))
        return y_pred
"""

RELU_ON_INPUT = """
class TwoLayerNet(TwoLayerNet):
    def forward(self, x):
        return self.linear2(self.linear1(x.clamp(min=0)))
"""

WITH_BIAS = """
class TwoLayerNet(torch.nn.Module):
    def __init__(self, D_in, H, D_out):
        super().__init__()
        self.linear1 = torch.nn.Linear(D_in, H)
        self.linear2 = torch.nn.Linear(H, D_out)

    def forward(self, x):
        return self.linear2(self.linear1(x).clamp(min=0))
"""

BACKFORWARD = """
def train(model, x, y, steps, lr):
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for it in range(steps):
        loss = loss_fn(model(x), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backforward()  # the course text's
        optimizer.step()
    return losses
"""

SGD = """
def train(model, x, y, steps, lr):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = ((model(x) - y) ** 2).sum()
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses
"""

NO_ZERO_GRAD = SGD.replace("optimizer.zero_grad()", "pass").replace(
    "torch.optim.SGD(model.parameters(), lr=lr)", "torch.optim.Adam(model.parameters(), lr=lr)"
)


def test_torch_reference_passes():
    got = results("torch", namespace("torch_ref"))
    assert list(got) == ["builds", "gradients", "Adam training", "one SGD step of train"]
    assert all(ok for ok, _ in got.values()), got


BACKWARD_TWICE = """
def train(model, x, y, steps, lr):
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward(retain_graph=True)
        loss.backward()
        optimizer.step()
    return losses
"""

MEAN_LOSS = BACKWARD_TWICE.replace('reduction="sum"', 'reduction="mean"').replace(
    "        loss.backward(retain_graph=True)\n", ""
)


@pytest.mark.parametrize(
    ("override", "tag", "message"),
    [
        (BACKWARD_TWICE, "grad_doubled", "twice lr * dL/dW"),
        (MEAN_LOSS, "grad_mean", "the loss is the mean"),
    ],
    ids=["backward twice", "mean loss"],
)
def test_torch_one_sgd_step_catches_what_adam_hides(override, tag, message):
    rep = report("torch", namespace("torch_ref", override), "one SGD step of train")
    (check,) = rep.checks
    assert not check.passed and check.tag == tag and message in check.message, check


@pytest.mark.parametrize(
    ("override", "check", "message"),
    [
        (COURSE_INIT, "builds", "TwoLayerNet raised TypeError"),
        (RELU_ON_INPUT, "gradients", "the ReLU is applied to the input x, not the hidden layer"),
        (WITH_BIAS, "builds", "bias=False"),
        (BACKFORWARD, "Adam training", "train raised AttributeError"),
        (SGD, "Adam training", "the reference Adam's"),
        (NO_ZERO_GRAD, "Adam training", "optimizer.zero_grad() before loss.backward()"),
    ],
    ids=["course __init__", "relu on the input", "biases", "backforward", "sgd", "no zero_grad"],
)
def test_torch_mistakes(override, check, message):
    ok, text = results("torch", namespace("torch_ref", override), check)[check]
    assert not ok and message in text, text


TF_RELU_ON_INPUT = """
class TwoLayerNet(TwoLayerNet):
    def call(self, x):
        return self.linear2(self.linear1(tf.nn.relu(x)))
"""

TF_SGD = """
def train(model, x, y, steps, lr):
    optimizer = tf.keras.optimizers.SGD(learning_rate=lr)
    losses = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(model(x) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss))
    return losses
"""


def test_tensorflow_reference_passes_and_mistakes_fail():
    got = results("tensorflow", namespace("tensorflow_ref"))
    assert list(got) == ["builds", "gradients", "Adam training", "one SGD step of train"]
    assert all(ok for ok, _ in got.values()), got
    ok, text = results("tensorflow", namespace("tensorflow_ref", TF_RELU_ON_INPUT), "gradients")[
        "gradients"
    ]
    assert not ok and "the ReLU is applied to the input x" in text
    ok, text = results("tensorflow", namespace("tensorflow_ref", TF_SGD), "Adam training")[
        "Adam training"
    ]
    assert not ok and "tf.keras.optimizers.Adam(learning_rate=lr)" in text


LOSS_NUMPY = """
def train(model, x, y, steps, lr):
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        losses.append(float(loss.numpy()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses
"""


def test_torch_numpy_on_a_tensor_that_requires_grad_is_told_to_use_item():
    rep = report("torch", namespace("torch_ref", LOSS_NUMPY), "Adam training")
    (check,) = rep.checks
    assert not check.passed and check.tag == "numpy_requires_grad", check
    assert check.message.startswith("`.numpy()` on a tensor that requires grad: use `loss.item()`")


TF_OUTSIDE_TAPE = """
def train(model, x, y, steps, lr):
    optimizer = tf.keras.optimizers.Adam(learning_rate=lr)
    losses = []
    for _ in range(steps):
        loss = tf.reduce_sum(tf.square(model(x) - y))
        with tf.GradientTape() as tape:
            pass
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss))
    return losses
"""

TF_MEAN_LOSS = TF_SGD.replace("tf.keras.optimizers.SGD", "tf.keras.optimizers.Adam").replace(
    "tf.reduce_sum(", "tf.reduce_mean("
)


def test_tensorflow_forward_outside_the_tape_and_a_mean_loss_in_tensorflows_words():
    rep = report("tensorflow", namespace("tensorflow_ref", TF_OUTSIDE_TAPE), "Adam training")
    (check,) = rep.checks
    assert not check.passed and check.tag == "outside_tape", check
    assert "with tf.GradientTape() as tape:" in check.message
    rep = report("tensorflow", namespace("tensorflow_ref", TF_MEAN_LOSS), "Adam training")
    (check,) = rep.checks
    assert not check.passed and "tf.reduce_sum(tf.square(y_pred - y))" in check.message
    assert "MSELoss" not in check.message
