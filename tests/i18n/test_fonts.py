"""A figure with Chinese title, labels and legend (and negative ticks) renders every glyph."""

from __future__ import annotations

import io
import warnings

import matplotlib
import numpy as np
import pytest

from fcnet.fonts import use_chinese


def _render() -> list[str]:
    """Draw and save a Chinese figure; the 'missing from font' warnings it raised."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    x = np.linspace(-3, 3, 50)
    ax.plot(x, np.sin(x), label="训练集损失")
    ax.plot(x, -np.cos(x), label="验证集损失 −1")
    ax.set_title("交叉熵损失随轮次的变化")
    ax.set_xlabel("轮次（epoch）")
    ax.set_ylabel("误差项 δ")
    ax.legend()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    assert min(ax.get_yticks()) < 0  # the ticks include the minus sign
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_chinese_figure_renders_without_missing_glyphs():
    with matplotlib.rc_context():
        family = use_chinese()
        assert family is not None and "DejaVu Sans" in matplotlib.rcParams["font.family"]
        assert matplotlib.rcParams["axes.unicode_minus"]
        missing = _render()
    assert not missing, missing


def test_without_the_cjk_font_the_glyphs_are_missing():
    """The check above can fail: DejaVu Sans alone has no Chinese glyphs."""
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        missing = _render()
    assert any("missing from font" in m for m in missing)


def test_no_font_is_an_error_naming_the_package(monkeypatch):
    import fcnet.fonts

    monkeypatch.setattr(fcnet.fonts, "cjk_font", lambda: None)
    with pytest.raises(OSError, match="apt-get install fonts-noto-cjk"):
        fcnet.fonts.use_chinese()
    assert fcnet.fonts.use_chinese(strict=False) is None


def test_an_english_figure_draws_the_users_chinese_text(tmp_path):
    """Figures carry text the user wrote (a class's mistake descriptions, run names):
    in English too every Chinese glyph comes from the CJK font, none is missing."""
    import warnings

    from fcnet import i18n, plots

    with matplotlib.rc_context():
        before = list(matplotlib.rcParams["font.family"])
        with i18n.use_language("en"), warnings.catch_warnings():
            warnings.simplefilter("error")  # "Glyph ... missing from font(s)" is a UserWarning
            plots.mistakes(["db 取了平均而不是求和"], [3], tmp_path / "m.png", checked=5)
        assert matplotlib.rcParams["font.family"] == before  # restored after drawing
