"""The test client: real request bytes through the real parser and pipeline."""

from __future__ import annotations

from typing import Any

import kali
from kali.testing import TestClient


def test_test_client_keeps_cookies() -> None:
    def handler(request: kali.Request) -> kali.Response:
        response = kali.Response.text(request.cookies.get("session", "none"))
        if request.path == "/login":
            response.set_cookie("session", "abc 123")
        return response

    client = TestClient(handler)
    assert client.get("/").text == "none"
    client.get("/login")
    assert client.get("/").text == "abc 123"  # encoded by set_cookie, decoded by cookies


def test_test_client_sends_forms_json_and_files() -> None:
    def handler(request: kali.Request) -> kali.Response:
        if request.content_type.startswith("application/json"):
            return kali.Response.json(request.json())
        form = request.form
        upload = form.file("f")
        return kali.Response.json(
            {"fields": dict(form), "file": upload.read().decode() if upload else None}
        )

    client = TestClient(handler)
    assert client.post("/", json={"x": [1, 2]}).json() == {"x": [1, 2]}
    assert client.post("/", data={"a": "1 2"}).json() == {"fields": {"a": "1 2"}, "file": None}
    result = client.post("/", data={"a": "b"}, files={"f": ("f.txt", b"hi")}).json()
    assert result == {"fields": {"a": "b"}, "file": "hi"}


def test_test_client_uses_the_real_parser() -> None:
    client = TestClient(lambda request: "ok")
    assert client.send_raw(b"GET / HTTP/1.1\r\n\r\n").status == 400  # no Host
    assert client.get("/%ff").status == 400


def test_test_client_answers_like_the_server() -> None:
    client = TestClient(lambda request: ["<p>", request.path, "</p>"])
    http10 = client.send_raw(b"GET / HTTP/1.0\r\n\r\n")
    assert http10.headers["connection"] == "close"
    closing = client.get("/", headers={"Connection": "close"})
    assert closing.headers["connection"] == "close"
    assert client.get("/café au lait").text == "<p>/café au lait</p>"  # encoded as a browser does
    bad = client.send_raw(b"GET /%zz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert (bad.status, bad.reason, bad.headers["connection"]) == (400, "Bad Request", "close")
    assert bad.text.startswith("400 Bad Request: ")
    foreign_leaf: Any = lambda request: ["a", 1]  # noqa: E731
    assert TestClient(foreign_leaf, raise_server_exceptions=False).get("/").status == 500


def test_test_client_applies_the_hostile_page_checks() -> None:
    client = TestClient(lambda request: "ok")
    assert client.post("/", headers={"Origin": "https://evil.example"}).status == 403
    assert client.post("/", headers={"Origin": "http://localhost"}).status == 200
    assert client.get("/", headers={"Host": "evil.example"}).status == 403  # DNS rebinding
    assert TestClient(lambda request: "ok", host="evil.example").get("/").status == 403


def test_a_host_in_the_headers_replaces_the_clients_for_that_request() -> None:
    client = TestClient(lambda request: request.host or "")
    assert client.get("/", headers={"host": "127.0.0.1:8080"}).text == "127.0.0.1:8080"
    assert client.get("/").text == "localhost"
    raw = client.get("/", headers=[("Host", "[::1]:9000")])
    assert raw.status == 200 and raw.text == "[::1]:9000"
