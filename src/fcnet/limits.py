"""Upper bounds for every size a user can type, and memory estimates checked before allocating.

A width of 10^12, a billion samples or a 20000x20000 PNG would otherwise end in a
MemoryError traceback, or in gigabytes of swap and a hang. Each size has either a fixed
bound below (documented in its option's help and here) or an estimate of the memory it
needs, compared with the memory available *before* anything is allocated; a refusal is a
`LimitError` (a ValueError: one line and exit code 2 on the CLI) naming the size, the
estimate and what is available.

Fixed bounds:
    MAX_WIDTH          units in one layer (input, hidden or output)
    MAX_HIDDEN_LAYERS  hidden layers in one network
    MAX_STEPS          `fcnet compare --steps`
    MAX_IMAGE_PIXELS   pixels of an image read by pillow (PIL's decompression-bomb limit,
                       set here on purpose); a photo of a digit needs far fewer
    MAX_SCALE          `fcnet data show --scale`; and the PNG it writes has at most
    MAX_PNG_PIXELS     pixels
    MAX_IDX_BYTES      the data of one IDX file (uncompressed); MNIST's largest is 47 MB
    MAX_CSV_BYTES      one CSV file
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Protocol

from fcnet.i18n import gettext as _

MAX_WIDTH = 1 << 24  # 16,777,216
MAX_HIDDEN_LAYERS = 1000
MAX_STEPS = 100_000
MAX_IMAGE_PIXELS = 40_000_000  # about 6300 x 6300
MAX_SCALE = 64
MAX_PNG_PIXELS = 64_000_000
MAX_IDX_BYTES = 4 << 30
MAX_CSV_BYTES = 256 << 20  # parsed into Python strings first: ~20x in memory
# An estimate may use at most this share of the memory available (the rest: Python,
# numpy's temporaries, the framework's own).
SHARE = 0.8


class LimitError(ValueError):
    """A size beyond its bound, or needing more memory than is available."""


def size_text(n: float) -> str:
    """Bytes as "3.1 GiB" (binary units)."""
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} bytes"


def available_memory() -> int:
    """Bytes this process can still allocate: MemAvailable, lowered by a cgroup's limit
    and by an address-space limit (`ulimit -v`)."""
    avail = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = 1 << 62  # unknown: only the fixed bounds apply
    avail = min(avail, _address_space_left())
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            with open(limit_file, encoding="ascii") as fh:
                text = fh.read().strip()
            if text == "max":
                continue
            with open(usage_file, encoding="ascii") as fh:
                used = int(fh.read().strip())
            avail = min(avail, max(0, int(text) - used))
        except (OSError, ValueError):
            continue
    return avail


def _address_space_left() -> int:
    """Bytes left under the process's address-space limit (`ulimit -v`), or 2^62 if none."""
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        return 1 << 62
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return 1 << 62
    used = 0
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    used = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError):
        pass
    return max(0, soft - used)


def check_memory(what: str, nbytes: float) -> None:
    """Refuse `what` if its estimate `nbytes` exceeds the share of memory available."""
    if nbytes <= 64 << 20:  # small: not worth reading /proc
        return
    avail = available_memory()
    if nbytes > SHARE * avail:
        raise LimitError(
            _("{what}: needs about {size} of memory, more than the {available} available").format(
                what=what, size=size_text(nbytes), available=size_text(avail)
            )
        )


def check_count(what: str, value: int, bound: int) -> None:
    """Refuse an integer size above its fixed `bound`."""
    if value > bound:
        raise LimitError(
            _("{what}: at most {bound} allowed, got {value}").format(
                what=what, bound=f"{bound:,}", value=f"{value:,}"
            )
        )


# ----- networks -------------------------------------------------------------------------


class _Layer(Protocol):
    @property
    def width(self) -> int: ...


class NetworkShape(Protocol):
    """What the network checks read of a network description (a `NetSpec` has it): the
    sizes and the dtype. A protocol, so this module never imports the data model."""

    @property
    def input_size(self) -> int: ...
    @property
    def output_size(self) -> int: ...
    @property
    def hidden(self) -> Sequence[_Layer]: ...
    @property
    def dtype(self) -> str: ...


def network_bytes(spec: NetworkShape, batch_size: int = 1) -> int:
    """Memory a network needs to train: weights, gradients, up to two optimiser moments
    and a copy (early stopping's best weights), plus a batch's activations kept for
    backprop (pre- and post-activation, dropout masks, deltas)."""
    itemsize = 8 if spec.dtype == "float64" else 4
    params = 0
    units = spec.input_size
    width = spec.input_size
    for layer in spec.hidden:
        params += width * layer.width + layer.width
        units += layer.width
        width = layer.width
    params += width * spec.output_size + spec.output_size
    units += spec.output_size
    return itemsize * (5 * params + 4 * batch_size * units)


def check_widths(spec: NetworkShape, what: str = "network") -> None:
    """Refuse a network whose widths or depth pass their fixed bounds (no machine check:
    `NetSpec` calls this while validating; the memory is checked where a model is built)."""
    for name, n in (("input_size", spec.input_size), ("output_size", spec.output_size)):
        check_count(f"{what}: {name}", n, MAX_WIDTH)
    check_count(f"{what}: hidden layers", len(spec.hidden), MAX_HIDDEN_LAYERS)
    for i, layer in enumerate(spec.hidden):
        check_count(f"{what}: hidden[{i}].width", layer.width, MAX_WIDTH)


def check_network(spec: NetworkShape, batch_size: int = 1, what: str = "network") -> None:
    """Refuse a network whose widths pass their bound or whose training needs more memory
    than is available: weights, gradients and optimiser state, and with `batch_size` a
    batch's activations. Called where a model is built, with the batch it will train on."""
    check_widths(spec, what)
    widths = [layer.width for layer in spec.hidden]
    shown = f"{what} {spec.input_size}-{'-'.join(map(str, widths))}-{spec.output_size}".replace(
        "--", "-"
    )
    batch = _(", batch of {batch_size}").format(batch_size=batch_size) if batch_size > 1 else ""
    check_memory(f"{shown} ({spec.dtype}{batch})", network_bytes(spec, batch_size))


# ----- data -------------------------------------------------------------------------------


def check_array(what: str, shape: tuple[int, ...], itemsize: int = 4, copies: int = 1) -> None:
    """Refuse an array (`copies` of it) of `shape` that would not fit in memory."""
    check_memory(what, copies * itemsize * math.prod(shape))


def configure_pillow() -> None:
    """Set pillow's decompression-bomb limit to MAX_IMAGE_PIXELS (pillow raises past twice
    the limit and only warns between; fcnet checks the size itself, see `check_image`)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


def check_image(path: object, size: tuple[int, int]) -> None:
    """Refuse an image of more than MAX_IMAGE_PIXELS pixels, from its header's size."""
    w, h = size
    if w * h > MAX_IMAGE_PIXELS:
        raise LimitError(
            _(
                "{path}: {width} x {height} pixels, more than the {limit} fcnet reads "
                "(a digit needs far fewer: scale the image down)"
            ).format(path=path, width=w, height=h, limit=f"{MAX_IMAGE_PIXELS:,}")
        )


__all__ = [
    "MAX_CSV_BYTES",
    "MAX_HIDDEN_LAYERS",
    "MAX_IDX_BYTES",
    "MAX_IMAGE_PIXELS",
    "MAX_PNG_PIXELS",
    "MAX_SCALE",
    "MAX_STEPS",
    "MAX_WIDTH",
    "LimitError",
    "NetworkShape",
    "available_memory",
    "check_array",
    "check_count",
    "check_image",
    "check_memory",
    "check_network",
    "check_widths",
    "configure_pillow",
    "network_bytes",
]
