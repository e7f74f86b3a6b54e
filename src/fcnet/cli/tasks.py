"""`fcnet fit`, `fcnet mnist`, `fcnet binary`, `fcnet predict`, `fcnet evaluate`.

A thin layer over `fcnet.tasks`: every flag is a keyword argument of the task function,
None when not given (so a --config file's values stand unless a flag overrides them).
A bad flag value is one line on stderr and exit code 2; Ctrl-C leaves a checkpoint and
exits with 130 after saying how to resume.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from fcnet.spec import ACTIVATIONS, OPTIMIZERS
from fcnet.train import MONITORS, Interrupted

BACKENDS = ("numpy", "torch", "tensorflow")


class UserError(click.ClickException):
    """A usage error shown as one line, `fcnet: error: ...`, exit code 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"fcnet: error: {' '.join(self.format_message().split())}", err=True)


def _common_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The options every task takes (click applies them bottom-up, so list them reversed)."""
    options = [
        click.option(
            "--backend",
            type=click.Choice(BACKENDS),
            help="The engine: numpy (fcnet's own), torch or tensorflow. [default: numpy]",
        ),
        click.option(
            "--config",
            type=click.Path(dir_okay=False),
            help="A NetSpec file (.json or .toml); flags given explicitly override it.",
        ),
        click.option("--hidden", help="Hidden layer widths, comma-separated: 64 or 512,256."),
        click.option("--activation", type=click.Choice(ACTIVATIONS), help="Hidden activation."),
        click.option("--optimizer", type=click.Choice(OPTIMIZERS), help="[default: adam]"),
        click.option("--lr", type=float, help="Learning rate (the schedule's peak)."),
        click.option("--batch-size", type=int, help="Samples per optimiser step."),
        click.option("--epochs", type=int, help="Passes over the training data."),
        click.option("--weight-decay", type=float, help="L2 weight decay (AdamW: decoupled)."),
        click.option("--dropout", type=float, help="Dropout after every hidden layer, 0 <= p < 1."),
        click.option("--seed", type=int, help="Fixes everything: weights, data, shuffling. [0]"),
        click.option(
            "--out",
            type=click.Path(file_okay=False),
            help="The run folder (new or empty). [default: runs/<task>-<timestamp>]",
        ),
        click.option(
            "--resume",
            type=click.Path(file_okay=False),
            help="Continue the run in this folder from its checkpoint (--epochs may grow).",
        ),
        click.option(
            "--early-stopping",
            is_flag=True,
            default=None,
            help="Stop when the validation --monitor has not improved for --patience epochs; "
            "keep the best weights.",
        ),
        click.option("--patience", type=int, help="Epochs without improvement. [5]"),
        click.option("--monitor", type=click.Choice(MONITORS), help="Validation metric to watch."),
        click.option(
            "--quiet", "-q", is_flag=True, default=None, help="No progress bar or epoch lines."
        ),
        click.option(
            "--distributed",
            is_flag=True,
            default=None,
            help="Data-parallel (PyTorch DDP) under torchrun: torchrun --nproc_per_node=N "
            "-m fcnet TASK --backend torch --distributed. --batch-size is the global batch.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _run(
    task: Callable[..., Any] | str, *args: Any, distributed: bool | None = None, **kwargs: Any
) -> Any:
    """Call a task (a function, or its name in fcnet.tasks: imported here, so a Ctrl-C
    during the import is reported like any other); Ctrl-C ends with its one-line message
    and exit code 130."""
    name = task if isinstance(task, str) else task.__name__
    try:
        if isinstance(task, str):
            import fcnet.tasks

            task = getattr(fcnet.tasks, task)
        if distributed:  # one rank of a torchrun launch (docs/distributed.md)
            from fcnet.distributed import run_task

            return run_task(task, *args, **kwargs)
        return task(*args, **kwargs)
    except Interrupted as exc:
        click.echo(f"fcnet: {exc.message}", err=True)
        raise click.exceptions.Exit(130) from None
    except KeyboardInterrupt:
        from fcnet.tasks._common import interrupted_message

        click.echo(f"fcnet: {interrupted_message(name)}", err=True)
        raise click.exceptions.Exit(130) from None


@click.command()
@click.argument("expr", required=False)
@click.option("--range", "range_", nargs=2, type=float, help="Interval of x: A B. [-pi pi]")
@click.option("--yrange", nargs=2, type=float, help="Interval of y for f(x, y): A B. [-pi pi]")
@click.option("--samples", type=int, help="Training points (a fifth more for validation). [2000]")
@click.option("--noise", type=float, help="Std of Gaussian noise on the training targets. [0]")
@click.option(
    "--sweep", is_flag=True, default=None, help="Fit one network per --hidden width; plot error."
)
@_common_options
def fit(expr: str | None, range_: Any, **options: Any) -> None:
    """Fit EXPR, a function of x (or of x and y), with a ReLU network.

    \b
    Examples:
      fcnet fit "sin(x)" --range -3.1416 3.1416
      fcnet fit "x**2 * sign(x)" --range -2 2 --noise 0.05
      fcnet fit "sin(x) * cos(y)" --hidden 128
      fcnet fit "abs(x)" --sweep --hidden 2,4,8,16,64,256
    """
    _run("fit", expr, range=range_, **options)


@click.command()
@click.option(
    "--preset",
    type=click.Choice(["default", "best"]),
    help="default: 784-512-256-10, 12 epochs (98.4%); best: 784-1024-1024-10, dropout 0.2, "
    "--augment, 20 epochs (99.1%).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="A folder with the four MNIST IDX files. [default: the shipped copy]",
)
@click.option("--limit", type=int, help="Train on the first N training images only.")
@click.option(
    "--augment/--no-augment",
    default=None,
    help="Shift training images at random by up to 2 pixels. [on in --preset best]",
)
@_common_options
def mnist(**options: Any) -> None:
    """Classify MNIST digits: train on 60,000 images, test on 10,000."""
    _run("mnist", **options)


def _pos_weight(value: str | None) -> float | str | None:
    if value is None or value == "balanced":
        return value
    try:
        return float(value)
    except ValueError:
        raise UserError(
            f"--pos-weight: expected a number > 0 or 'balanced', got {value!r}"
        ) from None


@click.command()
@click.option(
    "--dataset",
    type=click.Choice(["mnist-pair", "csv", "random"]),
    help="mnist-pair (--pos vs --neg), csv (--path, --label) or random. [mnist-pair]",
)
@click.option("--pos", type=int, help="mnist-pair: the positive digit. [4]")
@click.option("--neg", type=int, help="mnist-pair: the negative digit. [9]")
@click.option("--path", type=click.Path(dir_okay=False), help="csv: the CSV file (with a header).")
@click.option("--label", help="csv: the column holding the two classes.")
@click.option("--positive", help="csv: the label value of the positive class.")
@click.option(
    "--pos-weight",
    help="Weight of the positive class: a number, or 'balanced' (negatives / positives).",
)
@click.option("--samples", type=int, help="random: training samples. [64]")
@click.option("--features", type=int, help="random: features per sample. [1000]")
@click.option(
    "--logits", is_flag=True, default=None, help="Logit output with BCE-with-logits (not sigmoid)."
)
@click.option(
    "--data-dir", type=click.Path(file_okay=False), help="mnist-pair: a folder of MNIST IDX files."
)
@_common_options
def binary(pos_weight: str | None, **options: Any) -> None:
    """Binary classification with ROC AUC on train and validation data every epoch.

    \b
    Examples:
      fcnet binary --dataset mnist-pair --pos 4 --neg 9
      fcnet binary --dataset csv --path table.csv --label sick --pos-weight balanced
      fcnet binary --dataset random      # the course text's over-fitting experiment
    """
    _run("binary", pos_weight=_pos_weight(pos_weight), **options)


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.argument("images", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--idx", "idx_file", type=click.Path(dir_okay=False), help="An IDX image file.")
@click.option("--index", type=int, multiple=True, help="Image number in --idx (repeatable).")
@click.option("--top", type=int, default=3, show_default=True, help="Classes to show.")
def predict(
    run_dir: str, images: tuple[str, ...], idx_file: str | None, index: tuple[int, ...], top: int
) -> None:
    """Classify digit IMAGES (PNG or JPEG, any size) with the model of an mnist RUN_DIR."""
    from fcnet.tasks.mnist import idx_image, preprocess_image
    from fcnet.tasks.mnist import predict as classify

    if not images and idx_file is None:
        raise UserError("predict: give IMAGE files, or --idx FILE --index I")
    if idx_file is not None and not index:
        raise UserError("--idx: needs --index I (the image number in the file)")
    if index and idx_file is None:
        raise UserError("--index: needs --idx FILE")
    if top < 1:
        raise UserError(f"--top: expected an int >= 1, got {top}")
    from fcnet.tasks._common import read_run

    read_run(run_dir, "mnist")  # a bad RUN_DIR is the first thing to hear about
    names = list(images) + [f"{idx_file}[{i}]" for i in index]
    pixels = [preprocess_image(p) for p in images]
    pixels += [idx_image(idx_file, i) for i in index] if idx_file is not None else []
    import numpy as np

    for name, ranked in zip(names, classify(run_dir, np.stack(pixels), top=top), strict=True):
        shown = "  ".join(f"{c} ({p:.1%})" for c, p in ranked)
        click.echo(f"{name}: {shown}")


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Evaluate on the MNIST IDX files in this folder instead of the run's data.",
)
def evaluate(run_dir: str, data_dir: str | None) -> None:
    """Evaluate the saved model of RUN_DIR again on its test data."""
    from fcnet.tasks import evaluate as task

    for key, value in task(run_dir, data_dir=data_dir).items():
        click.echo(f"{key}: {value:.6g}")


COMMANDS = [fit, mnist, binary, predict, evaluate]
