"""Every message fcnet can show has a Chinese translation with the original's placeholders."""

from __future__ import annotations

import gettext
import io
import re
import string

from babel.messages.catalog import Catalog

from fcnet import i18n
from fcnet.i18n_catalog import collect, po_path, problems


def _catalog():
    from babel.messages.pofile import read_po

    with open(po_path("zh"), "rb") as fh:
        return read_po(fh, locale="zh")


def test_every_message_is_translated_with_the_same_placeholders():
    msgids = collect()
    found = problems(_catalog(), msgids)
    assert not found, (
        f"{len(found)} problem(s); run `python -m fcnet.i18n_catalog` and translate:\n"
        + "\n".join(found[:40])
    )


def test_the_messages_include_marked_strings_cli_help_and_clicks_own():
    msgids = collect()
    where = {m: w[0] for m, w in msgids.items()}
    assert where["syntax error: {msg}"] == "fcnet/expr.py"  # marked with _()
    # a help text of cli/tasks.py, plain English in the code
    assert where["Hidden layer widths, comma-separated: 64 or 512,256."] == "fcnet/cli/tasks.py"
    assert where["Type a function of x and press Train."] == "fcnet/studio/static/fit.html"
    assert where["No such option {name!r}."].startswith("click/")


def test_problems_catches_a_missing_an_empty_and_a_wrong_placeholder():
    catalog = Catalog(locale="zh")
    catalog.add("a {x}", "甲 {x}")
    catalog.add("b {x}", "乙 {y}")
    catalog.add("c", "")
    catalog.add("e %(n)s", "戊 %(m)s", flags=["python-format"])
    msgids = {m: ["here:1"] for m in ("a {x}", "b {x}", "c", "d", "e %(n)s")}
    found = problems(catalog, msgids)
    assert len(found) == 4, found
    assert "'b {x}': placeholders ['y'] in the translation, ['x'] in the original" in found[0]
    assert found[1].endswith("'c': no translation")
    assert found[2].endswith("'d': not in the catalog")
    assert "'e %(n)s'" in found[3]


def test_the_catalog_compiles_and_a_newer_mo_is_used(tmp_path, monkeypatch):
    mo = i18n.compile_po(po_path("zh"))
    compiled = gettext.GNUTranslations(io.BytesIO(mo))
    assert compiled.gettext("Options") == "选项"
    # a prebuilt .mo beside the .po, newer than it, is read instead of compiling
    folder = tmp_path / "zh" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "fcnet.po").write_bytes(po_path("zh").read_bytes())
    catalog = Catalog(locale="zh")
    catalog.add("Options", "选项（预编译）")
    from babel.messages.mofile import write_mo

    with open(folder / "fcnet.mo", "wb") as fh:
        write_mo(fh, catalog)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert i18n.translations("zh").gettext("Options") == "选项（预编译）"
    finally:
        i18n.translations.cache_clear()


_GENERATED = re.compile(
    r"_\d|^_|_st_|^(join|len|int|tuple|none_if|np|str|abs|o)_|^[A-Z][A-Z0-9]*_[A-Z0-9_]+$|.{25}"
)


def test_placeholders_are_names_a_translator_can_read():
    """Not the expression they were generated from ({none_if_b_is_none_else_b_shape},
    {tuple_int_i_for_i_in_bad}, {name_80}, {_SUPPORTED}): a word for what is shown."""
    found = []
    for msgid, where in collect().items():
        if all(w.startswith("click/") for w in where):
            continue  # click's own messages, as click writes them
        for text in msgid if isinstance(msgid, tuple) else (msgid,):
            for _lit, name, _spec, _conv in string.Formatter().parse(text):
                field = re.match(r"\w*", name or "")[0]
                if _GENERATED.search(field):
                    found.append(f"{where[0]}: {{{field}}} in {text!r}")
    assert not found, "\n".join(found)


def test_the_generated_placeholder_pattern_catches_the_old_names():
    old = ["none_if_b_is_none_else_b_shape", "tuple_int_i_for_i_in_bad", "kind_st_st_mode"]
    old += ["name_80", "_SUPPORTED", "MAX_WEIGHTS_BYTES", "join_presets", "n4_4_ndim", "l_1"]
    assert all(_GENERATED.search(n) for n in old)
    assert not any(_GENERATED.search(n) for n in ["b_shape", "index", "D_in", "SIZES", "byte0"])
