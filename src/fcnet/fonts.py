"""Chinese in matplotlib figures: find a CJK font and let matplotlib fall back to it.

matplotlib draws each glyph from the first font of ``font.family`` that has it, so
`use_chinese()` keeps DejaVu Sans first (Latin letters, digits and the minus sign
U+2212 look as in every other figure) and puts a CJK font second for the Chinese.
`make` installs Debian's fonts-noto-cjk where no CJK font is present; any of
`CJK_FAMILIES` works. Nothing changes until `use_chinese` is called.
"""

from __future__ import annotations

import functools
from pathlib import Path

from fcnet.i18n import gettext as _

__all__ = ["CJK_FAMILIES", "cjk_font", "use_chinese"]

# Fonts with the Simplified Chinese glyphs, preferred first.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",  # the first face of Debian's NotoSansCJK-Regular.ttc: same Han glyphs
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
)
# Where Debian's fonts-noto-cjk puts them (found even when matplotlib's font cache predates
# the installation).
_KNOWN_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


@functools.cache
def cjk_font() -> str | None:
    """The family name of an installed CJK font matplotlib can use, or None."""
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in names), None)

    if found := known():
        return found
    candidates = [Path(p) for p in _KNOWN_FILES]
    candidates += [
        Path(p)
        for p in font_manager.findSystemFonts()
        if any(key in Path(p).name.lower() for key in ("cjk", "wqy", "sourcehan", "yahei"))
    ]
    for path in candidates:
        if path.is_file():
            try:
                font_manager.fontManager.addfont(str(path))
            except (OSError, RuntimeError, ValueError):
                continue
    return known()


def use_chinese(strict: bool = True) -> str | None:
    """Configure matplotlib (rcParams) for figures with Chinese text; return the CJK font.

    Latin text and the minus sign keep DejaVu Sans; Chinese glyphs come from the CJK
    font. With `strict`, no CJK font raises OSError saying how to install one; else
    None is returned and matplotlib is left as it was.
    """
    import matplotlib

    family = cjk_font()
    if family is None:
        if strict:
            raise OSError(
                _(
                    "no Chinese font found for the figures: install one, e.g. "
                    "'apt-get install fonts-noto-cjk' (make does this)"
                )
            )
        return None
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", family]
    matplotlib.rcParams["axes.unicode_minus"] = True
    return family
