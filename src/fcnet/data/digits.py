"""A picture of a digit made into the 28x28 input an MNIST network expects, as MNIST was made.

MNIST's digits were size-normalised to fit a 20x20 box (aspect kept, anti-aliased) and
centred by their centre of mass in a 28x28 field, white on black. `grey_levels` turns a
decoded picture into grey levels with the ink bright (transparent parts are paper; dark
ink on light paper is inverted) and `digit_field` crops, scales and centres it. `fcnet
predict` (a file) and the studio's Digits page (the canvas) both come through here, so a
drawing is what the network was trained on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image


def grey_levels(image: Image) -> np.ndarray:
    """The picture as float32 grey levels in [0, 1] (H, W), ink bright on a dark background.

    Transparent pixels are laid on white paper; when the border is mostly light (a dark
    pen on paper) the levels are inverted, as MNIST's digits are white on black.
    """
    from PIL import Image as PILImage

    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = PILImage.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = PILImage.alpha_composite(paper, rgba)
    levels = np.asarray(image.convert("L"))  # (H, W) uint8
    border = np.concatenate([levels[0], levels[-1], levels[:, 0], levels[:, -1]])
    if np.median(border) > 127.5:  # dark ink on light paper
        levels = 255 - levels
    return levels.astype(np.float32) / 255.0


def digit_field(grey: np.ndarray) -> np.ndarray | None:
    """The (28, 28) float32 image in [0, 1] MNIST would have made of `grey` (H, W), ink
    bright on a dark background; None when there is no ink.

    Ink stretched to [0, 1] above the background (the border's median), cropped to its
    bounding box, scaled so the longer side is 20 pixels (aspect kept, anti-aliased), and
    pasted in a 28x28 field with its centre of mass at the centre.
    """
    from PIL import Image

    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    top = float(grey.max())
    if top - background < 0.1:
        return None
    ink = np.clip((grey - background) / (top - background), 0.0, 1.0)  # (h, w)
    rows = np.flatnonzero(ink.max(axis=1) > 0.2)
    cols = np.flatnonzero(ink.max(axis=0) > 0.2)
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = ink.shape
    scale = 20.0 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = Image.fromarray((ink * 255).astype(np.uint8)).resize(size, Image.Resampling.LANCZOS)
    digit = np.asarray(small, dtype=np.float32) / 255  # (<=20, <=20)
    total = digit.sum()
    if total <= 0:
        return None
    field = np.zeros((28, 28), dtype=np.float32)
    ys, xs = np.indices(digit.shape)
    cy, cx = (ys * digit).sum() / total, (xs * digit).sum() / total
    top_y = int(np.clip(round(14 - cy), 0, 28 - digit.shape[0]))
    left_x = int(np.clip(round(14 - cx), 0, 28 - digit.shape[1]))
    field[top_y : top_y + digit.shape[0], left_x : left_x + digit.shape[1]] = digit
    return field
