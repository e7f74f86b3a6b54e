"""pydantic's validation errors in fcnet's words, never pydantic's English `msg`.

One wording for every place a pydantic model refuses a user's value: the studio's 422s
(`studio.app._describe`), spec files (`spec._describe`) and saved estimators
(`sklearn._read_saved`). Each caller keeps its own message shape (where the error is, what
came); `reason(err)` is what is wrong, translated when called (the request's or the
process's language).
"""

from __future__ import annotations

import math
import re
from typing import Any

from fcnet.i18n import N_
from fcnet.i18n import gettext as _

__all__ = ["BOUNDS", "INVALID", "WHY", "context", "reason", "shown"]

# What each pydantic error type means; the placeholders are the error's ctx. Any other
# type: INVALID.
WHY = {
    kind: why
    for kinds, why in (
        ("missing", N_("required")),
        ("extra_forbidden", N_("unknown field")),
        ("int_type int_parsing int_from_float", N_("expected a whole number")),
        ("float_type float_parsing", N_("expected a number")),
        ("finite_number", N_("expected a finite number")),
        ("bool_type bool_parsing", N_("expected true or false")),
        ("string_type", N_("expected text")),
        ("string_too_short", N_("expected at least {min_length} character(s)")),
        ("string_too_long", N_("expected at most {max_length} characters")),
        ("greater_than", N_("expected a number greater than {gt}")),
        ("greater_than_equal", N_("expected a number of at least {ge}")),
        ("less_than", N_("expected a number less than {lt}")),
        ("less_than_equal", N_("expected a number of at most {le}")),
        ("literal_error enum", N_("expected one of {expected}")),
        ("list_type", N_("expected a list")),
        ("too_short", N_("expected at least {min_length} item(s)")),
        ("too_long", N_("expected at most {max_length} items")),
        ("json_invalid", N_("not valid JSON")),
        ("dict_type model_type model_attributes_type", N_("expected a JSON object")),
    )
    for kind in kinds.split()
}
INVALID = N_("invalid value")
BOUNDS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def kind_of(err: Any) -> str:
    """The error's type; a bound's NaN is `finite_number` (NaN compares with nothing, so
    "expected a number of at most 10" would not say what is wrong)."""
    kind = str(err.get("type", ""))
    got = err.get("input")
    if kind in BOUNDS and isinstance(got, float) and math.isnan(got):
        return "finite_number"
    return kind


def context(err: Any, quoted: bool = False) -> dict[str, str]:
    """The error's ctx as a message shows it: 10, not 10.0; a choice's values listed
    without pydantic's English "or" (`relu, tanh`, or `'relu', 'tanh'` when `quoted`)."""
    out = {}
    for key, value in (err.get("ctx") or {}).items():
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out[key] = str(value)
    if "expected" in out:  # "'relu', 'tanh' or 'identity'"
        listed = re.findall(r"'([^']*)'", out["expected"])
        if listed:
            out["expected"] = ", ".join(f"'{x}'" if quoted else x for x in listed)
    return out


def reason(err: Any, quoted: bool = False) -> str:
    """What is wrong, in fcnet's words and the current language: our validators' own
    (translated) text for a value_error, else the WHY of its type."""
    kind = kind_of(err)
    if kind == "value_error":
        error = (err.get("ctx") or {}).get("error")
        return str(error) if error is not None else _(INVALID)
    try:
        return _(WHY.get(kind, INVALID)).format(**context(err, quoted))
    except (KeyError, IndexError):  # a ctx without the placeholder
        return _(INVALID)


def shown(value: Any, limit: int = 60) -> str:
    """`repr(value)`, cut to `limit` characters with "..." (a message stays one line)."""
    text = repr(value)
    return text[:limit] + "..." if len(text) > limit else text
