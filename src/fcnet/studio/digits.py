"""A drawn digit turned into the 28x28 input an MNIST network expects.

MNIST's digits were size-normalised to fit a 20x20 box (keeping their aspect ratio,
anti-aliased) and then centred by their centre of mass in a 28x28 field, white on black.
`mnist_input` does the same to the page's canvas, so the network sees what it was
trained on.
"""

from __future__ import annotations

import base64
import binascii
import io

import numpy as np
from PIL import Image

_PREFIXES = ("data:image/png;base64,", "data:image/jpeg;base64,")
_MAX_SIDE = 2048
# A pixel darker than this (0..1, ink white) counts as background for the bounding box.
_INK = 0.1


def decode_image(data_url: str) -> np.ndarray:
    """A PNG or JPEG data URL as grey levels in [0, 1], ink bright on dark, shape (H, W).

    A light background (a dark pen on white paper) is inverted, as MNIST's digits are white.
    """
    prefix = next((p for p in _PREFIXES if data_url.startswith(p)), None)
    if prefix is None:
        head = data_url[:30]
        raise ValueError(
            f"image: expected a data URL starting 'data:image/png;base64,', got {head!r}"
        )
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("image: the data URL's base64 payload does not decode") from None
    try:
        with Image.open(io.BytesIO(raw)) as img:
            if img.format not in ("PNG", "JPEG"):
                raise ValueError(f"image: expected PNG or JPEG, got {img.format}")
            w, h = img.size
            if not (1 <= w <= _MAX_SIDE and 1 <= h <= _MAX_SIDE):
                raise ValueError(
                    f"image: expected at most {_MAX_SIDE}x{_MAX_SIDE} pixels, got {w}x{h}"
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
        raise ValueError("image: not a readable PNG or JPEG") from None
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 0.5:  # dark ink on light paper: make it MNIST's bright on black
        grey = 1.0 - grey
    return grey


def mnist_input(grey: np.ndarray) -> np.ndarray | None:
    """The 28x28 float32 image (values 0..1) MNIST would have made of `grey`; None if blank.

    The steps of `fcnet.tasks.mnist.preprocess_image` (which reads files): ink stretched to
    [0, 1] above the background, cropped to its bounding box, scaled so the longer side is
    20 px (aspect kept), and pasted in 28x28 with its centre of mass at the centre.
    """
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    top = float(grey.max())
    if top - background < _INK:
        return None
    ink = np.clip((grey - background) / (top - background), 0.0, 1.0)  # (H, W)
    rows = np.flatnonzero(ink.max(axis=1) > 0.2)
    cols = np.flatnonzero(ink.max(axis=0) > 0.2)
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]  # (h, w)
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # PIL: (width, height)
    img = Image.fromarray((crop * 255.0).astype(np.uint8))
    small = np.asarray(img.resize(size, Image.Resampling.LANCZOS), dtype=np.float32) / 255.0
    mass = small.sum()
    if mass <= 0:
        return None
    ys, xs = np.indices(small.shape)
    cy, cx = (ys * small).sum() / mass, (xs * small).sum() / mass
    sh, sw = small.shape
    top_y = int(np.clip(round(14.0 - cy), 0, 28 - sh))
    left_x = int(np.clip(round(14.0 - cx), 0, 28 - sw))
    out = np.zeros((28, 28), dtype=np.float32)
    out[top_y : top_y + sh, left_x : left_x + sw] = small
    return out


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities from logits, row-wise, computed stably."""
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
