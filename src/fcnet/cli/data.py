"""`fcnet data info` and `fcnet data show`: look inside IDX files (MNIST and its kin);
`fcnet data download`: fetch MNIST into the per-user cache, verified."""

from __future__ import annotations

import hashlib
import io
import math
from pathlib import Path

import click
import numpy as np

from fcnet._fileio import atomic_write_bytes, open_regular
from fcnet.cli.localize import Group
from fcnet.data.idx import idx_header, idx_sha256, read_idx
from fcnet.data.mnist import DEADLINE
from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.limits import MAX_PNG_PIXELS, MAX_SCALE, check_count

# Grey levels, light to dark ink, each pixel drawn two characters wide (cells are tall).
_SHADES = " ░▒▓█"
TERMINAL_SIDE = 100  # pixels drawn per side at most in the terminal


@click.group(cls=Group)
def data() -> None:
    """Fetch MNIST; inspect IDX data files (raw or .gz)."""


@data.command(short_help="Type code, dtype, shape, bytes, SHA-256, min, max, header.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def info(path: Path) -> None:
    """Type code, dtype, shape, size, SHA-256, min and max of the IDX file PATH, and its
    header explained byte by byte (magic number, dimensions, where the data starts)."""
    array = read_idx(path)
    file_bytes = path.stat().st_size
    code = idx_header(array)[2]
    empty = _("- (empty)")
    rows = [
        (_("file"), str(path)),
        (_("type code"), f"0x{code:02X}"),
        ("dtype", array.dtype.name),
        (_("shape"), str(array.shape)),
        (
            _("bytes"),
            _("{file} on disk, {data} of data").format(file=file_bytes, data=array.nbytes),
        ),
        ("sha256", _("{sha} (file)").format(sha=_file_sha256(path))),
        ("sha256 idx", _("{sha} (uncompressed IDX bytes)").format(sha=idx_sha256(array))),
        (_("min"), _fmt(array.min()) if array.size else empty),
        (_("max"), _fmt(array.max()) if array.size else empty),
    ]
    width = max(_width(k) for k, _value in rows)
    for key, value in rows:
        click.echo(f"{key}{' ' * (width - _width(key))}  {value}")
    for line in header_lines(path, array):
        click.echo(line)


def _width(text: str) -> int:
    """Columns `text` takes in a terminal (a Chinese character takes two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def header_lines(path: Path, array: np.ndarray) -> list[str]:
    """The IDX header explained as the course text does: each 4-byte big-endian integer
    at its offset (the magic number and its parts, then each dimension), then where the
    data starts and how long it is."""
    raw, gz = _head_bytes(path, 4 + 4 * array.ndim)
    magic = int.from_bytes(raw[:4], "big")
    code, ndim = raw[2], raw[3]
    names = {1: [_("number of items")], 3: [_("number of images"), _("rows"), _("columns")]}.get(
        ndim, [_("size of dimension {k}").format(k=k) for k in range(ndim)]
    )
    where = _(" (offsets in the gunzipped bytes)") if gz else ""
    lines = [
        _("IDX header: 4-byte integers, big-endian (MSB first: most significant byte first)")
        + where,
        f"offset 0   {raw[:4].hex(' ')}  "
        + _(
            "magic number 0x{magic:08X}: two zero bytes, type code 0x{code:02X} ({dtype}), "
            "{ndim} dimension(s)"
        ).format(magic=magic, code=code, dtype=array.dtype.name, ndim=ndim),
    ]
    for k in range(ndim):
        field = raw[4 + 4 * k : 8 + 4 * k]
        lines.append(
            f"offset {4 + 4 * k:<3} {field.hex(' ')}  0x{field.hex()} = "
            f"{int.from_bytes(field, 'big')}: {names[k]}"
        )
    sizes = " x ".join(str(n) for n in array.shape) or "1"
    lines.append(
        f"offset {4 + 4 * ndim:<3} "
        + _("data starts: {nbytes} bytes = {sizes} values of {itemsize} byte(s) each").format(
            nbytes=array.nbytes, sizes=sizes, itemsize=array.dtype.itemsize
        )
        + (_(", big-endian") if array.dtype.itemsize > 1 else "")
        + _(", in C order (the last index fastest)")
    )
    return lines


def _head_bytes(path: Path, n: int) -> tuple[bytes, bool]:
    """The first n bytes of the IDX stream (after gunzip when the file is gzip), and
    whether it was."""
    import gzip

    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    with gzip.open(path, "rb") if gz else open(path, "rb") as fh:
        return fh.read(n), gz


@data.command(short_help="Draw one image in the terminal (optionally as PNG).")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--index", "-i", "index", type=int, required=True, help="Which image (0-based).")
@click.option(
    "--labels",
    type=click.Path(dir_okay=False, path_type=Path),
    help="IDX file of labels, one per image, to print the image's label.",
)
@click.option(
    "--png", type=click.Path(dir_okay=False, path_type=Path), help="Also save the image as PNG."
)
@click.option(
    "--scale",
    type=click.IntRange(1, MAX_SCALE),
    default=8,
    show_default=True,
    help=f"PNG pixels per image pixel (the PNG has at most {MAX_PNG_PIXELS:,} pixels).",
)
@click.option("--force", is_flag=True, help="Overwrite the --png file if it exists.")
def show(
    path: Path, index: int, labels: Path | None, png: Path | None, scale: int, force: bool
) -> None:
    """Draw image INDEX of the IDX file PATH in the terminal (and its label)."""
    if png is not None and png.exists() and not force:
        raise ValueError(f"--png {png}: exists; add --force to overwrite it")
    images = _as_images(path, read_idx(path))
    n = len(images)
    if n == 0:
        raise ValueError(f"{path}: holds no images (its first dimension is 0)")
    if not 0 <= index < n:
        raise ValueError(
            _("--index {index} is out of range: {path} holds {n} images (0 to {last})").format(
                index=index, path=path, n=n, last=n - 1
            )
        )
    image = images[index]
    if image.dtype.kind == "f" and not np.isfinite(image).all():
        bad = int(np.size(image) - np.isfinite(image).sum())
        raise ValueError(f"{path}: image {index} holds {bad} NaN or infinite values")
    if png is not None:
        check_count(
            f"--scale {scale}: a PNG of {image.shape[1] * scale} x {image.shape[0] * scale} pixels",
            image.size * scale * scale,
            MAX_PNG_PIXELS,
        )
    label = None
    if labels is not None:
        label_array = read_idx(labels)
        if label_array.ndim != 1 or len(label_array) != n:
            raise ValueError(
                _("{labels}: expected {n} labels of shape ({n},) for {path}, got {shape}").format(
                    labels=labels, n=n, path=path, shape=label_array.shape
                )
            )
        label = label_array[index].item()
    grey = _to_unit(image)
    click.echo(render(grey))
    shown = _("  label: {label}").format(label=label) if label is not None else ""
    click.echo(f"{path.name}[{index}]" + shown)
    if png is not None:
        _save_png(png, grey, scale)
        click.echo(_("saved {path}").format(path=png))


def render(grey: np.ndarray) -> str:
    """Draw a 2-D image of values in [0, 1] (0 blank, 1 full ink) with block characters.

    An image wider or taller than TERMINAL_SIDE pixels is drawn from every k-th pixel."""
    k = max(1, -(-max(grey.shape) // TERMINAL_SIDE))
    grey = grey[::k, ::k]
    levels = np.minimum((grey * len(_SHADES)).astype(np.int64), len(_SHADES) - 1)
    return "\n".join("".join(_SHADES[v] * 2 for v in row) for row in levels.tolist())


def _as_images(path: Path, array: np.ndarray) -> np.ndarray:
    """(N, H, W) images from an IDX array: (N, H, W) as is, (N, H*W) when H*W is a square."""
    if array.ndim == 3:
        return array
    if array.ndim == 2 and math.isqrt(array.shape[1]) ** 2 == array.shape[1] > 0:
        side = math.isqrt(array.shape[1])
        return array.reshape(len(array), side, side)
    raise ValueError(
        _("{path}: expected images of shape (N, H, W) or (N, H*W), got {shape}").format(
            path=path, shape=array.shape
        )
    )


def _to_unit(image: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]: uint8 by 255, anything else by its own min and max."""
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255
    x = np.nan_to_num(image.astype(np.float64))
    lo, hi = x.min(), x.max()
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def _save_png(path: Path, grey: np.ndarray, scale: int) -> None:
    from PIL import Image

    pixels = np.round(grey * 255).astype(np.uint8)
    pixels = np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open_regular(path, 1 << 62, N_("data file")) as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _fmt(value: np.generic) -> str:
    return str(value.item())


@data.command(short_help="Fetch MNIST's four files (SHA-256 verified) into a cache.")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to put the files. [default: $XDG_CACHE_HOME/fcnet/mnist, ~/.cache/fcnet/mnist]",
)
@click.option(
    "--mirror",
    "mirrors",
    multiple=True,
    metavar="URL",
    help="A base URL serving the four .gz files, tried before the next --mirror "
    "(repeatable). [default: $FCNET_MNIST_MIRROR, else the public mirrors]",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds to wait for a mirror.",
)
@click.option(
    "--deadline",
    type=click.FloatRange(min=0, min_open=True),
    default=DEADLINE,
    show_default=True,
    help="Seconds the whole download may take (a mirror still sending then is given up).",
)
def download(
    folder: Path | None, mirrors: tuple[str, ...], timeout: float, deadline: float
) -> None:
    """Fetch MNIST's four .gz files from a mirror, check each one's SHA-256, and keep them
    where the tasks look (the per-user cache unless --dir)."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TaskID,
        TextColumn,
        TransferSpeedColumn,
    )

    from fcnet.data.mnist import cache_root, download_mnist

    root = folder if folder is not None else cache_root()
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        transient=False,
    ) as bar:

        def progress(name: str, done: int, total: int | None) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            if done < 0:
                bar.update(tasks[name], description=_("{name} (already there)").format(name=name))
                bar.update(tasks[name], total=1, completed=1)
            else:
                bar.update(tasks[name], completed=done, total=total)

        download_mnist(root, mirrors or None, timeout=timeout, deadline=deadline, progress=progress)
    click.echo(_("MNIST is in {folder} (SHA-256 verified)").format(folder=root))


COMMANDS = [data]
