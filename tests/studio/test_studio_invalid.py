"""Invalid requests: a 422 whose one line names the field and what is wrong in fcnet's own
words, in the request's language (never pydantic's English); an internal error stays a 500."""

from __future__ import annotations

import re

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from studio_support import LOCAL_BASE_URL, local_client

from fcnet.i18n import use_language
from fcnet.studio import create_app
from fcnet.studio.app import _WHY, _describe
from fcnet.studio.training import StrictRequest

ZH = {"Cookie": "fcnet_lang=zh"}
JSON = {"Content-Type": "application/json"}
# pydantic's words and ours: none may be left in a Chinese message
ENGLISH = ("Field required", "Input should", "Extra inputs", "should", "expected", "got")
ENGLISH += ("required", "unknown", "valid", "request body", "number", "item")


@pytest.fixture
def client(tmp_path):
    with local_client(create_app(tmp_path / "runs")) as c:
        yield c


def assert_chinese(error: str) -> None:
    assert not any(word in error for word in ENGLISH), error
    assert "\n" not in error


@pytest.mark.parametrize(
    ("path", "body", "english", "chinese"),
    [
        ("/api/fit", {"width": 8}, "expr: required", "expr：必填"),
        (
            "/api/fit",
            {"expr": "x", "width": "wide"},
            "width: expected a whole number, got 'wide'",
            "width：应为整数，实际为 'wide'",
        ),
        (
            "/api/fit",
            {"expr": "x", "lr": 0},
            "lr: expected a number greater than 0, got 0",
            "lr：应为大于 0 的数，实际为 0",
        ),
        (
            "/api/fit",
            {"expr": "x", "activation": "swish"},
            "activation: expected one of relu, leaky_relu, sigmoid, tanh, identity, got 'swish'",
            "activation：应为 relu, leaky_relu, sigmoid, tanh, identity 之一，实际为 'swish'",
        ),
        (
            "/api/fit",
            {"expr": "x", "surprise": 1},
            "surprise: unknown field, got 1",
            "surprise：未知字段，实际为 1",
        ),
        (
            "/api/fit",
            ["sin(x)"],
            "request body: expected a JSON object, got ['sin(x)']",
            "请求体：应为 JSON 对象，实际为 ['sin(x)']",
        ),
        (
            "/api/digits/train",
            {"epochs": 50},
            "epochs: expected a number of at most 5, got 50",
            "epochs：应为不大于 5 的数，实际为 50",
        ),
        (
            "/api/digits/train",
            {"batch_size": 1.5},
            "batch_size: expected a whole number, got 1.5",
            "batch_size：应为整数，实际为 1.5",
        ),
        (
            "/api/digits/train",
            {"backend": "jax"},
            "backend: expected one of numpy, torch, tensorflow, got 'jax'",
            "backend：应为 numpy, torch, tensorflow 之一，实际为 'jax'",
        ),
        ("/api/backprop/step", {"x": [0.5], "y": 0}, "sizes: required", "sizes：必填"),
        (
            "/api/backprop/step",
            {"sizes": [2], "x": [0.5], "y": 0},
            "sizes: expected at least 2 item(s), got [2]",
            "sizes：至少应有 2 项，实际为 [2]",
        ),
        (  # a union's alternatives, one part, without pydantic's member names (y.int)
            "/api/backprop/step",
            {"sizes": [2, 2], "x": [0.5, 1], "y": "one"},
            "y: expected a whole number or expected a number or expected a list, got 'one'",
            "y：应为整数 或 应为数值 或 应为列表，实际为 'one'",
        ),
        (
            "/api/backprop/step",
            {"sizes": [2, 2], "x": [0.5, 1], "y": 0, "weights": [{"W": [[1]], "b": [0], "c": 1}]},
            "weights[0].c: unknown field, got 1",
            "weights[0].c：未知字段，实际为 1",
        ),
        (
            "/api/backprop/train",
            {"sizes": [2, 3, 2], "steps": 0},
            "steps: expected a number of at least 1, got 0",
            "steps：应为不小于 1 的数，实际为 0",
        ),
        ("/api/exercises/check", {"name": "backprop"}, "file: required", "file：必填"),
        (
            "/api/exercises/check",
            {"name": "b" * 41, "file": "backprop.py"},
            f"name: expected at most 40 characters, got '{'b' * 41}'",
            f"name：最多只能有 40 个字符，实际为 '{'b' * 41}'",
        ),
        (
            "/api/sessions/nope/pause",
            {"paused": "maybe"},
            "paused: expected true or false, got 'maybe'",
            "paused：应为 true 或 false，实际为 'maybe'",
        ),
        (
            "/api/fit/nope/save",
            {"name": ""},
            "name: expected at least 1 character(s), got ''",
            "name：至少应有 1 个字符，实际为 ''",
        ),
    ],
)
def test_an_invalid_request_names_its_field_in_english_and_in_chinese(
    client, path, body, english, chinese
):
    r = client.post(path, json=body)
    assert (r.status_code, r.json()["error"]) == (422, english)
    r = client.post(path, json=body, headers=ZH)
    assert (r.status_code, r.json()["error"]) == (422, chinese)
    assert_chinese(r.json()["error"])


@pytest.mark.parametrize("raw", [b"{", b'{"expr": "x",}', b"\xff\xfe", b"expr=x"])
def test_a_body_that_is_not_json_says_so(client, raw):
    r = client.post("/api/fit", content=raw, headers=JSON)
    assert (r.status_code, r.json()["error"]) == (422, "request body: not valid JSON")
    r = client.post("/api/fit", content=raw, headers={**JSON, **ZH})
    assert (r.status_code, r.json()["error"]) == (422, "请求体：不是有效的 JSON")


def test_a_missing_body_and_a_missing_query_argument_are_named(client):
    r = client.post("/api/fit", content=b"", headers={**JSON, **ZH})
    assert (r.status_code, r.json()["error"]) == (422, "请求体：必填")
    assert client.get("/api/class").json()["error"] == "query.dir: required"
    assert client.get("/api/class", headers=ZH).json()["error"] == "query.dir：必填"


def test_at_most_three_errors_on_one_line(client):
    body = {"expr": 5, "width": 0, "depth": 9, "lr": 0}
    r = client.post("/api/fit", json=body)
    assert r.json()["error"] == (
        "expr: expected text, got 5; width: expected a number of at least 1, got 0; "
        "depth: expected a number of at most 4, got 9"
    )
    r = client.post("/api/fit", json=body, headers=ZH)
    assert r.json()["error"] == (
        "expr：应为文本，实际为 5; width：应为不小于 1 的数，实际为 0; "
        "depth：应为不大于 4 的数，实际为 9"
    )


def test_nan_is_not_a_finite_number_and_a_long_value_is_cut(client):
    r = client.post("/api/fit", content=b'{"expr": "x", "lr": NaN}', headers={**JSON, **ZH})
    assert r.json()["error"] == "lr：应为有限的数值，实际为 nan"
    r = client.post("/api/fit", json={"expr": "x" * 300})
    error = r.json()["error"]
    assert error == "expr: expected at most 200 characters, got '" + "x" * 59 + "..."


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({}, {"expr": "x", "x_min": 2, "x_max": 1}, "expected x_min < x_max, got 2.0 and 1.0"),
        (ZH, {"expr": "x", "x_min": 2, "x_max": 1}, "应当满足 x_min < x_max，实际为 2.0 和 1.0"),
        (
            {},
            {"expr": "x", "seed": 10**30},
            "seed: expected a number of at most 19 digits, got one",
        ),
        (ZH, {"expr": "x", "seed": 10**30}, "seed：数字最多 19 位，实际约有 31 位"),
    ],
)
def test_our_validators_messages_are_kept_as_they_are(client, headers, body, expected):
    r = client.post("/api/fit", json=body, headers=headers)
    assert r.status_code == 422
    assert r.json()["error"].startswith(expected)


# ----- the table covers what the models give ---------------------------------------------------


def _request_models() -> list[type[StrictRequest]]:
    found, todo = [], list(StrictRequest.__subclasses__())
    while todo:
        model = todo.pop()
        found.append(model)
        todo.extend(model.__subclasses__())
    return found


WRONG = [None, True, "x", "", "x" * 5000, 1.5, -1, 0, 10**6, float("nan"), float("inf")]
WRONG += [[], [None], ["x"], [[None]], [1] * 100, [{}], [{"W": "x", "b": [1], "c": 1}], {}]


def test_every_error_the_studios_models_give_is_in_the_table():
    """Each request model (create_app imports them all), each field given each wrong value:
    every error type that comes back is worded by fcnet (value_error: our validators')."""
    seen = set()
    models = _request_models()
    assert len(models) >= 12
    for model in models:
        for body in ([1], "x", {"surprise": 1}):
            with pytest.raises(ValidationError) as caught:
                model.model_validate(body)
            seen |= {e["type"] for e in caught.value.errors()}
        for name in model.model_fields:
            for value in WRONG:
                try:
                    model.model_validate({name: value})
                except ValidationError as exc:
                    seen |= {e["type"] for e in exc.errors()}
    assert seen - set(_WHY) - {"value_error"} == set()
    assert {
        "missing",
        "extra_forbidden",
        "int_from_float",
        "float_parsing",
        "less_than_equal",
    } < seen
    assert {"literal_error", "string_too_long", "too_long", "bool_parsing", "model_type"} < seen


def _error(kind: str, value, **ctx) -> RequestValidationError:
    err = {"type": kind, "loc": ("body", "f"), "msg": "English words", "input": value, "ctx": ctx}
    return RequestValidationError([err], body={"f": value})


def test_every_type_in_the_table_reads_in_chinese_with_its_numbers():
    ctx = {"min_length": 2, "max_length": 8, "gt": 0.0, "ge": 1, "lt": 10, "le": 10.0}
    with use_language("zh"):
        for kind in _WHY:
            text = _describe(_error(kind, 3, expected="'a' or 'b'", **ctx))
            words = re.sub("JSON|true|false", "", text)  # what a JSON body is written in
            assert "{" not in text and not re.search("[A-Za-z]{3}", words), text
        assert (
            _describe(_error("less_than_equal", 11, le=10.0)) == "f：应为不大于 10 的数，实际为 11"
        )
        assert _describe(_error("literal_error", "c", expected="'a' or 'b'")) == (
            "f：应为 a, b 之一，实际为 'c'"
        )


def test_an_unknown_type_still_names_the_field_and_a_validators_text_is_kept():
    assert _describe(_error("url_parsing", "x")) == "f: invalid value, got 'x'"
    with use_language("zh"):
        assert _describe(_error("url_parsing", "x")) == "f：值无效，实际为 'x'"
        assert _describe(_error("greater_than", 0)) == "f：值无效，实际为 0"  # ctx without gt
    ours = _error("value_error", "x", error=ValueError("expected a name, got 'x'"))
    assert _describe(ours) == "f: expected a name, got 'x'"


# ----- a bug is no user error ------------------------------------------------------------------


def test_an_overflow_inside_the_studio_is_a_500_whose_traceback_reaches_the_server(tmp_path):
    app = create_app(tmp_path / "runs")

    @app.get("/api/overflow")
    def overflow() -> None:
        int(float("inf"))

    with local_client(app) as c, pytest.raises(OverflowError):
        c.get("/api/overflow")  # raised on past the answer: uvicorn logs it
    from fastapi.testclient import TestClient

    with TestClient(app, base_url=LOCAL_BASE_URL, raise_server_exceptions=False) as c:
        r = c.get("/api/overflow")
    assert r.status_code == 500
    assert r.json()["error"].startswith("internal error: OverflowError: cannot convert")
