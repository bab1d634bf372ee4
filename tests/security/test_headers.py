"""Issue 15, point 2: the default headers against framing and sniffing are on every
response — kali's server, waitress through the WSGI adapter, and the test client — and
`security_headers` switches them off or replaces them; cookies are `HttpOnly;
SameSite=Lax`."""

from __future__ import annotations

import json

import pytest

from kali.testing import TestClient

from .conftest import Target, TargetFactory, xfail_under
from .net import Reply, exchange, request_bytes
from .target_app import build_app

DEFAULTS = {
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
FORM = [("Content-Type", "application/x-www-form-urlencoded")]

#: name -> (method, target, headers, body, host): one of each kind of answer.
ANSWERS: dict[str, tuple[str, str, list[tuple[str, str]], bytes, str]] = {
    "page-200": ("GET", "/", [], b"", "127.0.0.1"),
    "str-200": ("GET", "/count", [], b"", "127.0.0.1"),
    "json-200": ("GET", "/search?q=a", [], b"", "127.0.0.1"),
    "static-200": ("GET", "/static/hello.txt", [], b"", "127.0.0.1"),
    "static-206": ("GET", "/static/hello.txt", [("Range", "bytes=0-3")], b"", "127.0.0.1"),
    "static-416": ("GET", "/static/hello.txt", [("Range", "bytes=900-")], b"", "127.0.0.1"),
    "not-found-404": ("GET", "/nope/x", [], b"", "127.0.0.1"),
    "method-405": ("POST", "/count", [], b"", "127.0.0.1"),
    "redirect-301": ("GET", "/dir", [], b"", "127.0.0.1"),
    "see-other-303": ("POST", "/bump", [], b"", "127.0.0.1"),
    "bad-query-400": ("GET", "/search?page=x", [], b"", "127.0.0.1"),
    "fields-413": ("POST", "/form", FORM, b"&" * 2000, "127.0.0.1"),
    "formlet-422": ("POST", "/contact", FORM, b"name=", "127.0.0.1"),
    "error-500": ("GET", "/boom", [], b"", "127.0.0.1"),
    "template-500": ("GET", "/template-escape", [], b"", "127.0.0.1"),
    "head": ("HEAD", "/", [], b"", "127.0.0.1"),
    "options-204": ("OPTIONS", "/count", [], b"", "127.0.0.1"),
    "cookie": ("GET", "/cookie", [], b"", "127.0.0.1"),
    "refused-host-403": ("GET", "/", [], b"", "evil.test"),
    "refused-cross-site-403": ("POST", "/bump", [("Origin", "http://evil.test")], b"", "127.0.0.1"),
}

#: Requests kali's parser refuses before any handler (under waitress, waitress answers them).
PROTOCOL_ERRORS = {
    "malformed-400": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n",
    "too-large-413": (
        b"POST /form HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 999999999999\r\n\r\n"
    ),
    "uri-414": b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "fields-431": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-A: 1\r\n" * 200 + b"\r\n",
    "version-505": b"GET / HTTP/3.0\r\nHost: 127.0.0.1\r\n\r\n",
}
WAITRESS_ANSWERS_ITSELF = (
    "waitress answers this one itself (400 for a malformed field, 413 for a declared body "
    "over its limit) without calling the WSGI app, so kali cannot add its headers: the "
    "answer carries none of the four"
)
#: The others waitress lets through to the app (it accepts a long target, 200 fields and
#: HTTP/3.0), so under WSGI they get the app's answer, with the headers.
WAITRESS_REFUSES = {"malformed-400", "too-large-413"}


def send(target: Target, name: str) -> Reply:
    method, path, headers, body, host = ANSWERS[name]
    raw = request_bytes(method, path, host=host, headers=headers, body=body)
    return exchange(target.port, raw, method=method)


def security_headers(reply: Reply) -> dict[str, list[str]]:
    return {name: reply.header_all(name) for name in DEFAULTS}


@pytest.mark.parametrize("answer", list(ANSWERS))
def test_every_answer_carries_the_default_headers(target: Target, answer: str) -> None:
    reply = send(target, answer)
    assert reply.status < 500 or answer.endswith("500"), reply
    assert security_headers(reply) == {name: [value] for name, value in DEFAULTS.items()}


@pytest.mark.parametrize("answer", list(PROTOCOL_ERRORS))
def test_protocol_errors_carry_the_default_headers(
    target: Target, answer: str, request: pytest.FixtureRequest
) -> None:
    if answer in WAITRESS_REFUSES:
        xfail_under(request, target.kind, {"wsgi": WAITRESS_ANSWERS_ITSELF})
    reply = exchange(target.port, PROTOCOL_ERRORS[answer])
    if target.kind == "native":
        assert reply.status == int(answer[-3:]), reply
    assert security_headers(reply) == {name: [value] for name, value in DEFAULTS.items()}


def test_a_response_that_sets_its_own_frame_policy_keeps_it(target: Target) -> None:
    reply = exchange(target.port, request_bytes("GET", "/own-frame-policy"))
    assert reply.header_all("x-frame-options") == ["SAMEORIGIN"]
    assert reply.header_all("content-security-policy") == ["frame-ancestors 'none'"]


def test_cookies_are_httponly_and_samesite_lax(target: Target) -> None:
    reply = send(target, "cookie")
    (cookie,) = reply.header_all("set-cookie")
    attributes = [part.strip() for part in cookie.split(";")]
    assert "HttpOnly" in attributes and "SameSite=Lax" in attributes, cookie
    pair = attributes[0]
    echoed = exchange(
        target.port, request_bytes("GET", "/echo-cookies", headers=[("Cookie", pair)])
    )
    assert json.loads(echoed.body) == {"session": "s e;c=ret"}


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ({}, {}),
        ({"X-Frame-Options": "SAMEORIGIN"}, {"x-frame-options": "SAMEORIGIN"}),
    ],
    ids=["off", "replaced"],
)
def test_security_headers_switch(
    start_target: TargetFactory, kind: str, setting: dict[str, str], expected: dict[str, str]
) -> None:
    target = start_target(kind, "--security-headers", json.dumps(setting))
    for answer in ANSWERS:
        reply = send(target, answer)
        sent = {name: values for name, values in security_headers(reply).items() if values}
        assert sent == {name: [value] for name, value in expected.items()}, (answer, reply)


# -- the test client -------------------------------------------------------------------


def client_send(client: TestClient, name: str) -> tuple[int, dict[str, list[str]], list[str]]:
    method, path, headers, body, host = ANSWERS[name]
    response = client.send_raw(request_bytes(method, path, host=host, headers=headers, body=body))
    found = {name: response.headers.get_all(name) for name in DEFAULTS}
    return response.status, found, response.headers.get_all("set-cookie")


@pytest.mark.parametrize("answer", list(ANSWERS))
def test_test_client_answers_carry_the_default_headers(answer: str) -> None:
    client = TestClient(build_app(), raise_server_exceptions=False)
    status, found, _ = client_send(client, answer)
    assert status < 500 or answer.endswith("500")
    assert found == {name: [value] for name, value in DEFAULTS.items()}


@pytest.mark.parametrize("answer", list(PROTOCOL_ERRORS))
def test_test_client_protocol_errors_carry_the_default_headers(answer: str) -> None:
    response = TestClient(build_app()).send_raw(PROTOCOL_ERRORS[answer])
    assert response.status == int(answer[-3:])
    assert {name: response.headers.get_all(name) for name in DEFAULTS} == {
        name: [value] for name, value in DEFAULTS.items()
    }


def test_test_client_switch_and_cookies() -> None:
    quiet = TestClient(build_app(), raise_server_exceptions=False, security_headers={})
    for answer in ANSWERS:
        _, found, _ = client_send(quiet, answer)
        assert not any(found.values()), answer
    _, _, cookies = client_send(TestClient(build_app()), "cookie")
    (cookie,) = cookies
    assert {"HttpOnly", "SameSite=Lax"} <= {part.strip() for part in cookie.split(";")}
