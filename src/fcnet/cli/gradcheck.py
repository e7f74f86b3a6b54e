"""`fcnet gradcheck`: backpropagation against finite differences over a grid of networks."""

from __future__ import annotations

import itertools
import sys

import click

from fcnet.i18n import gettext as _


@click.command("gradcheck")
@click.option(
    "--tolerance",
    default=1e-6,
    show_default=True,
    type=float,
    help="Largest relative error allowed.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the random networks.")
@click.option("--eps", default=1e-5, show_default=True, type=float, help="Finite-difference step.")
def gradcheck(tolerance: float, seed: int, eps: float) -> None:
    """Check every gradient of the numpy engine against central differences (float64).

    For every activation and loss, over bias on and off, batch sizes 1 and 7 and 0 to 3
    hidden layers, prints the largest relative error (over all parameters and the input);
    exits with status 1 if any exceeds the tolerance.
    """
    from rich.console import Console
    from rich.table import Table

    from fcnet import nn
    from fcnet._speed import limit_threads
    from fcnet.nn.gradcheck import grid_case

    if not tolerance > 0:
        raise ValueError(
            _("--tolerance: expected a number > 0, got {value}").format(value=tolerance)
        )
    if not 0 < eps < 1:
        raise ValueError(_("--eps: expected a number in (0, 1), got {value}").format(value=eps))
    acts, losses = list(nn.ACTIVATIONS), list(nn.LOSSES)
    worst: dict[tuple[str, str], float] = {}
    with limit_threads(1, frameworks=False):  # tiny matrices: a second BLAS thread only waits
        for act, loss in itertools.product(acts, losses):
            errors: list[float] = []
            for bias, batch, depth in itertools.product((True, False), (1, 7), (0, 1, 2, 3)):
                model, loss_fn, x, y = grid_case(act, loss, bias, batch, depth, seed)
                errors.extend(nn.gradcheck(model, loss_fn, x, y, eps=eps).values())
            worst[act, loss] = max(errors)

    title = _(
        "gradcheck: largest relative error (tolerance {tolerance}; "
        "bias on/off x batch 1, 7 x 0-3 hidden layers)"
    )
    table = Table(title=title.format(tolerance=f"{tolerance:g}"))
    table.add_column(_("activation"))
    for loss in losses:
        table.add_column(loss, justify="right")
    for act in acts:
        cells = []
        for loss in losses:
            err = worst[act, loss]
            style = "green" if err <= tolerance else "bold red"
            cells.append(f"[{style}]{err:.1e}[/{style}]")
        table.add_row(act, *cells)
    console = Console()
    console.print(table)
    failed = [k for k, v in worst.items() if not v <= tolerance]
    if failed:
        names = ", ".join(f"{a}/{l}" for a, l in failed)
        line = _("[bold red]FAILED[/bold red]: {n} over tolerance: {names}")
        console.print(line.format(n=len(failed), names=names))
        sys.exit(1)
    line = _("all {n} activation/loss pairs within {tolerance}")
    console.print(line.format(n=len(worst), tolerance=f"{tolerance:g}"))


COMMANDS = [gradcheck]
