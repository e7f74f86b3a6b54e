"""A drawn digit turned into the 28x28 input an MNIST network expects.

MNIST's digits were size-normalised to fit a 20x20 box (keeping their aspect ratio,
anti-aliased) and then centred by their centre of mass in a 28x28 field, white on black.
`mnist_input` does the same to the page's canvas with the MNIST task's own code, so the
network sees what it was trained on.
"""

from __future__ import annotations

import base64
import binascii
import io

import numpy as np
from PIL import Image

from fcnet.i18n import gettext as _

_PREFIXES = ("data:image/png;base64,", "data:image/jpeg;base64,")
_MAX_SIDE = 2048


def decode_image(data_url: str) -> np.ndarray:
    """A PNG or JPEG data URL as grey levels in [0, 1], ink bright on dark, shape (H, W).

    A light background (a dark pen on white paper) is inverted, as MNIST's digits are white.
    """
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
                    _("image: expected at most {_MAX_SIDE}x{_MAX_SIDE} pixels, got {w}x{h}").format(
                        _MAX_SIDE=_MAX_SIDE, w=w, h=h
                    )
                )
            if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
                # Transparent pixels are paper: lay the drawing on white.
                rgba = img.convert("RGBA")
                paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                flat = Image.alpha_composite(paper, rgba)
            else:
                flat = img
            grey = np.asarray(flat.convert("L"), dtype=np.float32) / 255.0  # (H, W)
    except (OSError, Image.DecompressionBombError, SyntaxError):
        raise ValueError(_("image: not a readable PNG or JPEG")) from None
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 0.5:  # dark ink on light paper: make it MNIST's bright on black
        grey = 1.0 - grey
    return grey


def mnist_input(grey: np.ndarray) -> np.ndarray | None:
    """The 28x28 float32 image (values 0..1) MNIST would have made of `grey`; None if blank:
    the MNIST task's own preprocessing (`fcnet.tasks.mnist.digit_field`)."""
    from fcnet.tasks.mnist import digit_field

    return digit_field(grey)
