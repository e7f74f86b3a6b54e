"""`fcnet backprop`: one sample, one training step of a small network, every number shown."""

from __future__ import annotations

import json
import sys

import click
import numpy as np

from fcnet.explain.trace import ACTIVATIONS, LOSSES, OUTPUT_ACTIVATIONS
from fcnet.i18n import gettext as _


@click.command("backprop")
@click.option("--sizes", default=None, help="Layer widths, input to output.  [default: 2,3,2]")
@click.option(
    "--activation",
    type=click.Choice(ACTIVATIONS),
    default="relu",
    show_default=True,
    help="Hidden layers' activation.",
)
@click.option(
    "--output-activation",
    type=click.Choice(OUTPUT_ACTIVATIONS),
    default="linear",
    show_default=True,
    help="Output layer's activation: sigmoid with mse or quadratic (Mazur's and Nielsen's nets).",
)
@click.option(
    "--loss",
    "loss_name",
    type=click.Choice(LOSSES),
    default="cross_entropy",
    show_default=True,
    help="Softmax inside cross_entropy, sigmoid inside bce_with_logits (both on z^(L)); "
    "mse = Σ (ŷ - y)^2, quadratic = ½ Σ (ŷ - y)^2.",
)
@click.option("--x", "x_text", default="0.5,-1.0", show_default=True, help="The input sample.")
@click.option(
    "--y",
    "y_text",
    default="1",
    show_default=True,
    help="Class index for cross_entropy, else the target value(s), comma-separated.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the weights.")
@click.option(
    "--weights",
    "weights_path",
    type=click.Path(dir_okay=False),
    default=None,
    help='JSON {"layers": [{"W": [[...]], "b": [...]}, ...]} (W as (out, in)); '
    "the output of --json works.",
)
@click.option("--lr", default=0.1, show_default=True, type=float, help="SGD learning rate.")
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
def backprop(
    sizes: str | None,
    activation: str,
    output_activation: str,
    loss_name: str,
    x_text: str,
    y_text: str,
    seed: int,
    weights_path: str | None,
    lr: float,
    as_json: bool,
) -> None:
    """Show backpropagation on one sample, in the course's notation with the numbers.

    Forward pass z^(l) = W^(l) a^(l-1) + b^(l), a^(l) = f(z^(l)); the loss; δ^(L) and the
    recursion δ^(l) = f'(z^(l)) ⊙ (W^(l+1))^T δ^(l+1); the gradients ∂L/∂W^(l) =
    δ^(l) (a^(l-1))^T and ∂L/∂b^(l) = δ^(l); the weights after one SGD step; and a check
    of every gradient against central differences and PyTorch autograd (exit status 1 if
    it fails, a NaN or an infinity included). float64.

    \b
    Examples:
      fcnet backprop --sizes 2,3,2 --activation sigmoid --loss mse --y 0.2,0.8
      fcnet backprop --activation sigmoid --output-activation sigmoid --loss quadratic
      fcnet backprop --json > step.json      (edit W and b, then:)
      fcnet backprop --weights step.json
    """
    from fcnet.explain import checks, text, trace

    try:
        trace.check_output_activation(output_activation, loss_name)
    except ValueError as exc:  # "output_activation: ..." names the option
        raise ValueError(
            "--output-activation" + str(exc).removeprefix("output_activation")
        ) from None
    sizes_list = trace.parse_sizes(sizes) if sizes is not None else None
    if weights_path is not None:
        found, weights = trace.load_weights(weights_path, sizes_list)
        sizes_list = trace.check_sizes(found, loss_name)
        source = weights_path
    else:
        sizes_list = trace.check_sizes(sizes_list or [2, 3, 2], loss_name)
        weights = trace.init_weights(sizes_list, activation, seed)
        init = "He normal" if activation in ("relu", "leaky_relu") else "Xavier normal"
        source = _("drawn with seed {seed} ({init}, biases 0)").format(seed=seed, init=init)
    x = trace.check_input(trace.parse_numbers("--x", x_text), sizes_list)
    y = _target(y_text, sizes_list, loss_name)
    lr = _lr(lr)
    net = trace.Net(sizes_list, activation, loss_name, weights, output_activation)
    with np.errstate(all="ignore"):  # an overflow shows as inf and fails the check
        result = trace.step(net, x, y, lr)
        found_checks = checks.run(result)
    doc_checks = checks.to_json(found_checks, result)
    if as_json:
        doc = result.to_json()
        doc["checks"] = doc_checks
        click.echo(json.dumps(doc, allow_nan=False))
    else:
        for line in text.explain(result, source).lines():
            click.echo(line)
        click.echo("")
        click.echo(_check_line(result, found_checks))
    if not doc_checks["passed"]:
        sys.exit(1)


def _target(y_text: str, sizes: list[int], loss_name: str):
    from fcnet.explain import trace

    if loss_name == "cross_entropy":
        try:
            label = int(y_text.strip())
        except ValueError:
            raise ValueError(
                _(
                    "--y: expected a class index from 0 to {last_class} for cross_entropy, got "
                    "{y_text!r}"
                ).format(last_class=sizes[-1] - 1, y_text=y_text)
            ) from None
        try:
            return trace.check_target([label], sizes, loss_name)
        except ValueError as exc:
            raise ValueError(f"--{exc}") from None
    values = trace.parse_numbers("--y", y_text)
    try:
        return trace.check_target([values], sizes, loss_name)
    except ValueError as exc:
        raise ValueError(f"--{exc}") from None


def _lr(lr: float) -> float:
    from fcnet.explain import trace

    try:
        return trace.check_lr(lr)
    except ValueError as exc:
        raise ValueError(f"--{exc}") from None


def _check_line(result, found: dict[str, float | None]) -> str:
    from fcnet.explain import checks

    if not checks.finite(result):
        return _(
            "Check: ✗ the step met a NaN or an infinity (the loss or a gradient is not a "
            "finite number): the weights or the input are too large for float64"
        )
    parts = []
    for name, label in (
        ("finite_difference", _("central differences")),
        ("torch", _("PyTorch autograd")),
    ):
        value = found[name]
        if value is None:
            parts.append(
                _("{label} not run (no PyTorch: pip install 'fcnet[backends]')").format(label=label)
            )
            continue
        mark = "✓" if checks.passed(name, value, result) else "✗"
        parts.append(f"{label} {value:.1e} {mark}")
    return _("Check (largest |difference| over every ∂L/∂W, ∂L/∂b): {results}").format(
        results=", ".join(parts)
    )


COMMANDS = [backprop]
