"""The Digits page's canvas: a PNG or JPEG data URL decoded, bounded, into MNIST's input.

The pixels go through the data module's digit preprocessing (`fcnet.data.digits`), the
same as `fcnet predict` gives a file, so the network sees what it was trained on.
"""

from __future__ import annotations

import base64
import binascii
import io

import numpy as np
from PIL import Image

from fcnet.data.digits import digit_field, grey_levels
from fcnet.i18n import gettext as _

_PREFIXES = ("data:image/png;base64,", "data:image/jpeg;base64,")
_MAX_SIDE = 2048


def decode_image(data_url: str) -> np.ndarray:
    """A PNG or JPEG data URL as grey levels in [0, 1], ink bright on dark, shape (H, W)."""
    prefix = next((p for p in _PREFIXES if data_url.startswith(p)), None)
    if prefix is None:
        head = data_url[:30]
        raise ValueError(
            _("image: expected a data URL starting 'data:image/png;base64,', got {head!r}").format(
                head=head
            )
        )
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(_("image: the data URL's base64 payload does not decode")) from None
    try:
        with Image.open(io.BytesIO(raw)) as img:
            if img.format not in ("PNG", "JPEG"):
                raise ValueError(
                    _("image: expected PNG or JPEG, got {format}").format(format=img.format)
                )
            w, h = img.size
            if not (1 <= w <= _MAX_SIDE and 1 <= h <= _MAX_SIDE):
                raise ValueError(
                    _("image: expected at most {max_side}x{max_side} pixels, got {w}x{h}").format(
                        max_side=_MAX_SIDE, w=w, h=h
                    )
                )
            return grey_levels(img)
    except (OSError, Image.DecompressionBombError, SyntaxError):
        raise ValueError(_("image: not a readable PNG or JPEG")) from None


def mnist_input(grey: np.ndarray) -> np.ndarray | None:
    """The 28x28 float32 image (values 0..1) MNIST would have made of `grey`; None if blank."""
    return digit_field(grey)
