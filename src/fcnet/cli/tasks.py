"""`fcnet fit`, `fcnet mnist`, `fcnet binary`, `fcnet predict`, `fcnet evaluate`.

A thin layer over `fcnet.tasks`: each task command's options are derived from the task's
options dataclass (`fcnet.tasks.options`), each flag a keyword argument of the task
function, None when not given (so a --config file's values stand unless a flag overrides
them).
A bad flag value is one line on stderr and exit code 2; Ctrl-C leaves a checkpoint and
exits with 130 after saying how to resume.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import click

from fcnet.tasks.binary import BinaryOptions
from fcnet.tasks.fit import FitOptions
from fcnet.tasks.mnist import MnistOptions
from fcnet.tasks.options import TaskOptions, check_device, flag, meta, option_fields
from fcnet.train import Interrupted


class UserError(click.ClickException):
    """A usage error shown as one line, `fcnet: error: ...`, exit code 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"fcnet: error: {' '.join(self.format_message().split())}", err=True)


_TYPES: dict[str, Any] = {
    "str": None,
    "int": int,
    "float": float,
    "path": click.Path(dir_okay=False),
    "dir": click.Path(file_okay=False),
    "out": click.Path(),
}


def click_param(f: dataclasses.Field[Any]) -> Callable[[Any], Any]:
    """The click option (or argument) of one options field; its default is None, "not given",
    so the task can tell a flag from its defaults."""
    m = meta(f)
    if m.argument:
        return click.argument(f.name, required=False)
    decls = [flag(f.name), f.name]
    if m.short:
        decls.insert(1, m.short)
    kw: dict[str, Any] = {"default": None, "help": m.help}
    if m.kind == "flag":
        kw["is_flag"] = True
    elif m.kind == "bool":
        decls[0] = f"{flag(f.name)}/--no-{f.name.replace('_', '-')}"
    elif m.choices is not None:
        kw["type"] = click.Choice(m.choices)
    elif _TYPES[m.kind] is not None:
        kw["type"] = _TYPES[m.kind]
    if m.nargs != 1:
        kw["nargs"] = m.nargs
    return click.option(*decls, **kw)


# Options of the command, not of the task: how it is started.
_RESUME = click.option(
    "--resume",
    type=click.Path(file_okay=False),
    help="Continue the run in this folder from its checkpoint (--epochs may grow).",
)
_DISTRIBUTED = click.option(
    "--distributed",
    is_flag=True,
    default=None,
    help="Data-parallel (PyTorch DDP) under torchrun: torchrun --nproc_per_node=N "
    "-m fcnet TASK --backend torch --distributed. --batch-size is the global batch.",
)


def task_command(name: str, options: type[TaskOptions], doc: str) -> click.Command:
    """The click command of the task function `fcnet.tasks.<name>`: one option per field
    of `options` (then --resume after --out, and --distributed)."""

    def command(**given: Any) -> None:
        _run(name, **given)

    params = []
    for f in option_fields(options):
        params.append(click_param(f))
        if f.name == "out":
            params.append(_RESUME)
    params.append(_DISTRIBUTED)
    for decorator in reversed(params):
        command = decorator(command)
    return click.command(name, help=doc)(command)


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

            function: Callable[..., Any] = getattr(fcnet.tasks, task)
        else:
            function = task
        if distributed:  # one rank of a torchrun launch (docs/distributed.md)
            from fcnet.distributed import run_task

            return run_task(function, *args, **kwargs)
        return function(*args, **kwargs)
    except Interrupted as exc:
        _ignore_more_ctrl_c()
        _stop_quietly_if_output_closed()
        click.echo(f"fcnet: {exc.message}", err=True)
        raise click.exceptions.Exit(130) from None
    except KeyboardInterrupt:
        _ignore_more_ctrl_c()
        from fcnet.tasks.run_folder import interrupted_message

        message = interrupted_message(name)  # (a run that never trained is removed)
        _stop_quietly_if_output_closed()
        click.echo(f"fcnet: {message}", err=True)
        raise click.exceptions.Exit(130) from None


def _stop_quietly_if_output_closed() -> None:
    """After a stop: when it came from the reader going away (`| head -1`), end as the
    `fcnet` command ends on a closed pipe, quietly with exit code 141."""
    from fcnet.interrupt import output_closed

    if output_closed():
        raise BrokenPipeError from None


def _ignore_more_ctrl_c() -> None:
    """The `fcnet` command is ending after a Ctrl-C: one more would only turn exit code 130
    into death by signal on the way out (a KeyboardInterrupt in place of the SystemExit)."""
    from fcnet import _startup

    if _startup.is_command():
        _startup.exiting()


FIT_DOC = """Fit EXPR, a function of x (or of x and y), with a ReLU network.

    \b
    Examples:
      fcnet fit "sin(x)" --range -3.1416 3.1416
      fcnet fit "x**2 * sign(x)" --range -2 2 --noise 0.05
      fcnet fit "sin(x) * cos(y)" --hidden 128
      fcnet fit "abs(x)" --sweep --hidden 2,4,8,16,64,256
    """
MNIST_DOC = """Classify MNIST digits: train on 55,000 images (5,000 more judge each epoch),
test on 10,000 once at the end."""
BINARY_DOC = """Binary classification with ROC AUC on train and validation data every epoch.

    \b
    Examples:
      fcnet binary --dataset mnist-pair --pos 4 --neg 9
      fcnet binary --dataset csv --path table.csv --label sick --pos-weight balanced
      fcnet binary --dataset random      # the course text's over-fitting experiment
    """
fit = task_command("fit", FitOptions, FIT_DOC)
mnist = task_command("mnist", MnistOptions, MNIST_DOC)
binary = task_command("binary", BinaryOptions, BINARY_DOC)

DEVICE = click.option(
    "--device",
    default="cpu",
    show_default=True,
    help="Where to run the model: cpu, cuda, cuda:N or auto.",
)


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.argument("images", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--idx", "idx_file", type=click.Path(dir_okay=False), help="An IDX image file.")
@click.option("--index", type=int, multiple=True, help="Image number in --idx (repeatable).")
@click.option("--top", type=int, default=3, show_default=True, help="Classes to show.")
@DEVICE
def predict(
    run_dir: str,
    images: tuple[str, ...],
    idx_file: str | None,
    index: tuple[int, ...],
    top: int,
    device: str,
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
    check_device("--device", device)
    from fcnet.tasks.run_folder import read_run

    read_run(run_dir, "mnist")  # a bad RUN_DIR is the first thing to hear about
    names = list(images) + [f"{idx_file}[{i}]" for i in index]
    pixels = [preprocess_image(p) for p in images]
    pixels += [idx_image(idx_file, i) for i in index] if idx_file is not None else []
    import numpy as np

    for name, ranked in zip(
        names, classify(run_dir, np.stack(pixels), top=top, device=device), strict=True
    ):
        shown = "  ".join(f"{c} ({p:.1%})" for c, p in ranked)
        click.echo(f"{name}: {shown}")


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Evaluate on the MNIST IDX files in this folder instead of the run's data.",
)
@DEVICE
def evaluate(run_dir: str, data_dir: str | None, device: str) -> None:
    """Evaluate the saved model of RUN_DIR again on its test data."""
    from fcnet.tasks import evaluate as task

    check_device("--device", device)
    for key, value in task(run_dir, data_dir=data_dir, device=device).items():
        click.echo(f"{key}: {value:.6g}")


COMMANDS = [fit, mnist, binary, predict, evaluate]
