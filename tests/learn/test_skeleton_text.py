"""A skeleton's code is written once; its text is translated by a catalog beside it."""

from __future__ import annotations

import ast

import pytest

from fcnet.learn.skeleton import LANGUAGES, SOURCES
from fcnet.learn.skeleton_text import catalog, catalog_path, translate, units, update_catalog

SOURCE = '''# %% [markdown]
# # Title
#
# A paragraph.

# %%
import numpy as np

DOMAIN = (-3.0, 3.0)  # the interval


def f(x):
    """One line."""
    # TODO: one line
    # of numpy
    return x  # 0.5


def g(x):
    """First line.

    More text.
    """
    print("label:", x, 'it\\'s', f"{x}")
    return x
'''
ZH = {
    "# Title\n\nA paragraph.": "# 标题\n\n一段话。",
    "the interval": "区间",
    "One line.": "一行。",
    "TODO: one line\nof numpy": "TODO：一行\nnumpy",
    "First line.\n\nMore text.": "第一行。\n\n更多\n文字。",
    "label:": '标签 "x"：',
    "it's": "它的",
}


def test_units_are_the_text_a_translator_sees():
    found = {u.text: u.kind for u in units(SOURCE)}
    assert found == {
        "# Title\n\nA paragraph.": "markdown",
        "the interval": "comment",
        "One line.": "docstring",
        "TODO: one line\nof numpy": "comment",
        "First line.\n\nMore text.": "docstring",
        "label:": "string",
        "it's": "string",
    }  # "# 0.5" has no word to translate, an f-string is code


def test_translate_replaces_the_text_and_keeps_the_code():
    out = translate(SOURCE, ZH)
    assert "# # 标题\n#\n# 一段话。" in out
    assert "DOMAIN = (-3.0, 3.0)  # 区间" in out
    assert '    """一行。"""\n    # TODO：一行\n    # numpy\n    return x  # 0.5' in out
    assert '    """第一行。\n\n    更多\n    文字。\n    """' in out
    code = out.split("# %%\n", 1)[1]
    namespace: dict = {}
    exec(compile(code, "zh", "exec"), namespace)
    assert ast.get_docstring(ast.parse(code).body[3]) == "第一行。\n\n更多\n文字。"
    assert """print("标签 \\"x\\"：", x, '它的', f"{x}")""" in out


def test_a_missing_translation_is_named():
    with pytest.raises(KeyError, match="One line"):
        translate(SOURCE, {k: v for k, v in ZH.items() if k != "One line."})
    with pytest.raises(KeyError, match="interval"):
        translate(SOURCE, ZH | {"the interval": ""})


def test_update_catalog_adds_new_text_and_drops_vanished_text(tmp_path):
    po = tmp_path / "skeleton.zh.po"
    assert update_catalog(SOURCE, po, "zh") == (7, 0)
    assert set(catalog(po).values()) == {""}
    changed = SOURCE.replace('"""One line."""', '"""Something else entirely."""')
    assert update_catalog(changed, po, "zh") == (1, 1)
    assert "Something else entirely." in catalog(po) and "One line." not in catalog(po)


def test_an_edited_text_keeps_its_old_translation_as_fuzzy_until_checked(tmp_path):
    po = tmp_path / "skeleton.zh.po"
    update_catalog(SOURCE, po, "zh")
    from babel.messages.pofile import read_po, write_po

    with open(po, "rb") as fh:
        filled = read_po(fh, locale="zh")
    for message in filled:  # a translator fills the catalog
        if message.id:
            message.string = ZH[message.id]
    with open(po, "wb") as fh:
        write_po(fh, filled, omit_header=True)
    assert catalog(po)["the interval"] == "区间"
    edited = SOURCE.replace("the interval", "the interval (a, b)")
    update_catalog(edited, po, "zh")
    assert "#, fuzzy" in po.read_text(encoding="utf-8")  # the old translation, to check
    assert "the interval (a, b)" not in catalog(po)  # not used until the flag goes
    with pytest.raises(KeyError, match="interval"):
        translate(edited, catalog(po))


@pytest.mark.parametrize("lang", LANGUAGES[1:])
@pytest.mark.parametrize(("folder", "stem"), SOURCES)
def test_every_shipped_catalog_translates_every_unit_and_nothing_else(folder, stem, lang):
    from importlib import resources

    source = resources.files("fcnet.learn.exercises").joinpath(folder, f"{stem}.py")
    wanted = {u.text for u in units(source.read_text("utf-8"))}
    translations = catalog(catalog_path(folder, stem, lang))
    assert set(translations) == wanted  # in step: run python -m fcnet.learn.skeleton_text
    untranslated = [k for k, v in translations.items() if not v]
    assert not untranslated
    for msgid, text in translations.items():
        if lang == "zh" and msgid != text:  # "TODO" may stay as it is
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text), msgid
