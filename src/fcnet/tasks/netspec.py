"""Options -> NetSpec: the network a run trains, from its resolved options and --config.

`read_config` reads a --config file and `config_options` says which options it sets
(the file's layer of the precedence rule, `fcnet.tasks.options`); `resolve_spec` builds
the run's NetSpec from the task's base spec, the resolved options and the file: what the
file sets stands unless a flag overrides it, what it leaves out comes from the preset or
the defaults (the task's lr schedule too, unless the file gives `optimizer.schedule`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from fcnet.spec import LayerSpec, NetSpec, ScheduleSpec, SpecError

DECAY_TO = 0.1  # the tasks' schedule: the lr falls to a tenth over the default epochs
# NetSpec keys the options set (the others come from the task's base spec or the file)
_OPTION_KEYS = ("hidden", "optimizer", "seed")


def read_config(path: str | os.PathLike[str]) -> NetSpec:
    """The --config file's NetSpec (SpecError or OSError, naming the file, when it is bad)."""
    return NetSpec.load(path)


def config_options(spec: NetSpec) -> dict[str, Any]:
    """The options a --config file sets: only the keys the file itself gives."""
    out: dict[str, Any] = {}
    given = spec.model_fields_set
    if "hidden" in given:
        out["hidden"] = [layer.width for layer in spec.hidden]
        for key in ("activation", "dropout"):
            values = [getattr(h, key) for h in spec.hidden if key in h.model_fields_set]
            if values:
                out[key] = values[0]
    if "optimizer" in given:
        opt = spec.optimizer
        for key, name in (("name", "optimizer"), ("lr", "lr"), ("weight_decay", "weight_decay")):
            if key in opt.model_fields_set:
                out[name] = getattr(opt, key)
    if "seed" in given:
        out["seed"] = spec.seed
    return out


def check_config(
    spec: NetSpec,
    where: str,
    *,
    input_size: int,
    output_size: int,
    losses: Sequence[str],
) -> None:
    """The file's network must fit the task's data and loss."""
    if spec.input_size != input_size:
        raise SpecError(
            f"{where}: input_size {spec.input_size} does not match the data's {input_size} features"
        )
    if spec.output_size != output_size:
        raise SpecError(
            f"{where}: output_size {spec.output_size} does not match this task's "
            f"{output_size} outputs"
        )
    if spec.loss not in losses:
        raise SpecError(
            f"{where}: loss {spec.loss!r} does not suit this task (allowed: {', '.join(losses)})"
        )


def resolve_spec(
    options: Mapping[str, Any],
    sources: Mapping[str, str],
    config: NetSpec | None,
    *,
    base: NetSpec,
    losses: Sequence[str],
    schedule: ScheduleSpec | None = None,
    widths: list[int] | None = None,
) -> NetSpec:
    """The NetSpec of a run: `base` (the task's input, output and loss), the file's keys
    over it, the resolved options over those.

    options, sources: the run's resolved options and where each came from; widths: hidden
    widths that replace the option (a sweep's one width); schedule: the task's lr schedule
    (the file's `optimizer.schedule` wins over it).
    """
    if config is not None:
        check_config(
            config,
            f"--config {options['config']}",
            input_size=base.input_size,
            output_size=base.output_size,
            losses=losses,
        )
    widths = list(widths or options["hidden"] or [])
    file_layers = (
        config.hidden if config is not None and "hidden" in config.model_fields_set else []
    )
    layers = []
    for i, width in enumerate(widths):
        layer: dict[str, Any] = {
            "width": width,
            "activation": options["activation"],
            "dropout": options["dropout"],
        }
        if file_layers:  # the file's layer i (or its first, when the count changed)
            template = file_layers[i] if len(file_layers) == len(widths) else file_layers[0]
            for key in template.model_fields_set - {"width"}:
                if sources.get(key) != "flag":
                    layer[key] = getattr(template, key)
        layers.append(LayerSpec(**layer))

    data = base.to_dict()
    file_opt: dict[str, Any] = {}
    file_schedule = False
    if config is not None:
        # the file describes the whole network: its loss, output, init and dtype stand
        data.update({k: v for k, v in config.to_dict().items() if k not in _OPTION_KEYS})
        if "optimizer" in config.model_fields_set:
            file_opt = config.optimizer.model_dump()
            file_schedule = "schedule" in config.optimizer.model_fields_set
    opt = {**data["optimizer"], **file_opt}
    opt.update(name=options["optimizer"], lr=options["lr"], weight_decay=options["weight_decay"])
    if schedule is not None and not file_schedule:
        opt["schedule"] = schedule.model_dump()
    data.update(hidden=[h.model_dump() for h in layers], optimizer=opt, seed=options["seed"])
    return NetSpec.from_dict(data)


def decay(epochs: int, steps_per_epoch: int, to: float = DECAY_TO) -> ScheduleSpec:
    """The tasks' schedule: lr * gamma**t, falling to `to` x lr over the task's default
    `epochs` (not the run's --epochs).

    The rate at step t depends on t alone, never on how long the run is planned to be,
    so 2 epochs resumed for 2 more give the same weights as 4 epochs, bit for bit (a cosine
    schedule sized to --epochs could not); a run longer than the default goes on at a
    rate below `to` x lr.
    """
    return ScheduleSpec(name="exponential", gamma=to ** (1.0 / (epochs * steps_per_epoch)))


__all__ = ["DECAY_TO", "config_options", "decay", "read_config", "resolve_spec"]
