"""Images from users (PNG, JPEG), opened within bounds: a regular file of bounded size,
at most `fcnet.limits.MAX_IMAGE_PIXELS` pixels (checked from the header, before any pixel
is decoded), and every pillow failure (truncated, damaged, a decompression bomb) as one
ValueError naming the file."""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fcnet._fileio import MiB, read_bytes
from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.limits import MAX_IMAGE_PIXELS, LimitError, check_image, configure_pillow

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

MAX_IMAGE_FILE = 256 * MiB  # bytes of one image file


@contextlib.contextmanager
def open_image(path: str | os.PathLike[str]) -> Iterator[Image]:
    """The decoded image at `path` (loaded; closed when the block ends)."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    configure_pillow()
    name = os.fspath(path)
    data = read_bytes(path, MAX_IMAGE_FILE, N_("image file"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            im = PILImage.open(io.BytesIO(data))
            check_image(name, im.size)
            im.load()
    except UnidentifiedImageError:
        raise ValueError(
            _("{name}: not an image pillow can read (expected PNG or JPEG)").format(name=name)
        ) from None
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise LimitError(
            _(
                "{name}: more than the {limit} pixels fcnet reads from an image "
                "(a digit needs far fewer: scale the image down)"
            ).format(name=name, limit=f"{MAX_IMAGE_PIXELS:,}")
        ) from None
    except (OSError, SyntaxError, EOFError) as exc:  # pillow's "image file is truncated" & co.
        detail = " ".join(str(exc).split())[:200]
        raise ValueError(
            _("{name}: a damaged image ({detail})").format(name=name, detail=detail)
        ) from None
    with im:
        yield im
