"""Invalid requests: a 422 whose one line names the field and what is wrong in fcnet's own
words, in the request's language (never pydantic's English); an internal error stays a 500."""

from __future__ import annotations

import re

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from studio_support import LOCAL_BASE_URL, local_client

from fcnet._pydantic_errors import WHY as _WHY
from fcnet.i18n import use_language
from fcnet.studio import create_app
from fcnet.studio.app import _describe
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


# ----- a boolean is no number -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "english", "chinese"),
    [
        (
            "/api/fit",
            {"expr": "x", "width": True},
            "width: expected a whole number",
            "width：应为整数",
        ),
        ("/api/fit", {"expr": "x", "lr": False}, "lr: expected a number", "lr：应为数值"),
        (
            "/api/digits/train",
            {"epochs": True},
            "epochs: expected a whole number",
            "epochs：应为整数",
        ),
        (
            "/api/backprop/step",
            {"sizes": [2, 1], "x": [1, True], "y": 0.5},
            "x[1]: expected a number",
            "x[1]：应为数值",
        ),
        (
            "/api/backprop/step",
            {"sizes": [2, True], "x": [1, 2], "y": 0.5},
            "sizes[1]: expected a whole number",
            "sizes[1]：应为整数",
        ),
    ],
)
def test_a_boolean_where_a_number_is_expected_is_refused(client, path, body, english, chinese):
    got = ", got " + repr(body_value(body))
    r = client.post(path, json=body)
    assert (r.status_code, r.json()["error"]) == (422, english + got)
    r = client.post(path, json=body, headers=ZH)
    assert (r.status_code, r.json()["error"]) == (422, chinese + "，实际为 " + got[6:])
    assert_chinese(r.json()["error"])


def body_value(body: dict):
    """The one boolean in `body` (at the top or in a list)."""
    for value in body.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bool):
                return item
    raise AssertionError(body)


def test_json_integers_still_fill_number_fields_and_strings_their_choices():
    from fcnet.studio.backprop import StepRequest
    from fcnet.studio.training import FitRequest

    fit = FitRequest.model_validate({"expr": "x", "lr": 1, "x_min": -2, "activation": "tanh"})
    assert (fit.lr, fit.x_min, fit.activation) == (1.0, -2.0, "tanh")
    step = StepRequest.model_validate({"sizes": [2, 1], "x": [1, 2], "y": 1})
    assert (step.x, step.y) == ([1.0, 2.0], 1)


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
        "int_type",
        "float_type",
        "less_than_equal",
    } < seen
    assert {"literal_error", "string_too_long", "too_long", "bool_type", "model_type"} < seen


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
        # the handler runs outside the middlewares: it picks the request's language itself
        r = c.get("/api/overflow", headers=ZH)
    assert r.status_code == 500
    assert r.json()["error"].startswith("内部错误：OverflowError: cannot convert")


# ----- the server's own refusals ---------------------------------------------------------------

HUGE = b'{"expr": "x", "seed": ' + b"9" * 5000 + b"}"  # json.loads: over 4300 digits
DEEP = b"[" * 200_000 + b"]" * 200_000  # json.loads: RecursionError


@pytest.mark.parametrize(
    ("raw", "english", "chinese"),
    [
        (
            HUGE,
            "request body: expected numbers of at most 4300 digits",
            "请求体：数字最多只能有 4300 位",
        ),
        (DEEP, "request body: nested too deeply", "请求体：嵌套太深"),
    ],
)
def test_a_body_fastapi_cannot_parse_is_said_in_fcnets_words(client, raw, english, chinese):
    r = client.post("/api/fit", content=raw, headers=JSON)
    assert (r.status_code, r.json()["error"]) == (400, english)
    r = client.post("/api/fit", content=raw, headers={**JSON, **ZH})
    assert (r.status_code, r.json()["error"]) == (400, chinese)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "english", "chinese"),
    [
        (
            "post",
            "/api/fit",
            {"content": b"x" * (2 << 20), "headers": JSON},
            413,
            "request body: expected at most 1048576 bytes",
            "请求体：最多只允许 1048576 字节",
        ),
        (
            "post",
            "/api/fit",
            {"content": b"{}", "headers": {"Content-Type": "text/plain"}},
            415,
            "Content-Type: expected application/json, got 'text/plain'",
            "Content-Type：应为 application/json，实际为 'text/plain'",
        ),
        (
            "post",
            "/api/fit",
            {"json": {}, "headers": {"Origin": "http://evil.example"}},
            403,
            "Origin: expected this studio's own page, got 'http://evil.example'",
            "Origin：应为本 studio 自己的页面，实际为 'http://evil.example'",
        ),
        (
            "get",
            "/api/runs",
            {"headers": {"Sec-Fetch-Site": "cross-site"}},
            403,
            "Sec-Fetch-Site: expected same-origin, got 'cross-site' (cross-site)",
            "Sec-Fetch-Site：应为 same-origin，实际为 'cross-site'（跨站请求）",
        ),
        (
            "get",
            "/api/options",
            {"headers": {"Host": "evil.example"}},
            400,
            "Host: expected one of ['127.0.0.1', '::1', 'localhost'], got 'evil.example'",
            "Host：应为 ['127.0.0.1', '::1', 'localhost'] 之一，实际为 'evil.example'",
        ),
        (
            "get",
            "/api/nothing",
            {},
            404,
            "/api/nothing: no such page",
            "/api/nothing：没有这个页面",
        ),
        (
            "get",
            "/api/fit",
            {},
            405,
            "/api/fit: method GET not allowed",
            "/api/fit：不允许使用 GET 方法",
        ),
    ],
)
def test_the_middlewares_and_starlettes_refusals_speak_the_requests_language(
    client, method, path, kwargs, status, english, chinese
):
    r = getattr(client, method)(path, **kwargs)
    assert (r.status_code, r.json()["error"]) == (status, english)
    headers = {**kwargs.get("headers", {}), **ZH}
    r = getattr(client, method)(path, **{**kwargs, "headers": headers})
    assert (r.status_code, r.json()["error"]) == (status, chinese)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "Content-Length: expected an integer"), ("zh", "Content-Length：应为整数")],
)
def test_a_content_length_that_is_no_integer_is_refused_in_the_language(lang, expected):
    import asyncio
    import json
    import threading

    from fcnet.studio.middleware import BodyLimit

    async def never(scope, receive, send):
        raise AssertionError("passed on")

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "POST", "headers": [(b"content-length", b"12x")]}

    def run() -> None:  # in a thread: a browser test may hold a running loop in this one
        with use_language(lang):
            asyncio.run(BodyLimit(never)(scope, receive, send))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"]) == {"error": expected}
