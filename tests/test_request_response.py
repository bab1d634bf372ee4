"""Request and Response objects, forms, and the test client's round trip."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

import kali
from kali.forms import parse_multipart
from kali.iolist import to_bytes, to_chunks
from kali.testing import TestClient, encode_multipart


def test_request_parts() -> None:
    request = kali.Request(
        "GET",
        "/caf%C3%A9/x?tag=a&tag=b&empty=&q=%E2%9C%93",
        headers=[("Cookie", 'a=1; b="two"'), ("X-Many", "1"), ("x-many", "2")],
    )
    assert request.path == "/café/x"
    assert request.raw_path == "/caf%C3%A9/x"
    assert request.query.get_all("tag") == ["a", "b"]
    assert request.query["empty"] == ""
    assert request.query["q"] == "✓"
    assert request.cookies == {"a": "1", "b": "two"}
    assert request.headers["X-MANY"] == "1"
    assert request.headers.get_all("x-many") == ["1", "2"]
    assert request.headers.get("absent") is None


def test_request_rejects_bad_targets() -> None:
    with pytest.raises(ValueError, match="percent"):
        kali.Request("GET", "/%zz")
    with pytest.raises(ValueError, match="UTF-8"):
        kali.Request("GET", "/%ff")


def test_bad_query_utf8_is_a_400() -> None:
    request = kali.Request("GET", "/?q=%ff")
    with pytest.raises(kali.HTTPError) as info:
        _ = request.query
    assert info.value.status == 400


def test_json_body() -> None:
    assert kali.Request("POST", "/", body=b'{"a": [1]}').json() == {"a": [1]}
    with pytest.raises(kali.HTTPError) as info:
        kali.Request("POST", "/", body=b"{nope").json()
    assert info.value.status == 400


def test_urlencoded_form() -> None:
    request = kali.Request(
        "POST",
        "/",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"name=J%C3%BCrgen+X&tag=1&tag=2",
    )
    assert request.form["name"] == "Jürgen X"
    assert request.form.get_all("tag") == ["1", "2"]


def test_multipart_form_with_files() -> None:
    body, content_type = encode_multipart(
        {"title": "Été"}, {"doc": ("notes.txt", b"line1\r\n--not-a-boundary\r\n", "text/plain")}
    )
    request = kali.Request("POST", "/", headers={"content-type": content_type}, body=body)
    form = request.form
    assert form["title"] == "Été"
    upload = form.file("doc")
    assert upload is not None
    assert (upload.filename, upload.content_type) == ("notes.txt", "text/plain")
    assert upload.read() == b"line1\r\n--not-a-boundary\r\n"
    request.close()
    assert upload.file.closed


def test_multipart_streams_in_small_reads() -> None:
    # Boundaries split across reads are still found.
    content = bytes(range(256)) * 1000
    body, content_type = encode_multipart({"a": "1"}, {"f": ("f.bin", content)})
    boundary = content_type.split("boundary=")[1].encode()

    class Trickle(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            return super().read(7)

    form = parse_multipart(Trickle(body), boundary)
    upload = form.file("f")
    assert upload is not None and upload.read() == content and form["a"] == "1"
    upload.close()


@pytest.mark.parametrize(
    "body",
    [
        b"--B\r\nContent-Disposition: form-data; name=a\r\n\r\nno end",
        b"--B\r\nNo-Colon\r\n\r\nx\r\n--B--",
        b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--",
        b"garbage without a boundary",
    ],
)
def test_malformed_multipart_is_a_400(body: bytes) -> None:
    with pytest.raises(kali.HTTPError) as info:
        parse_multipart(io.BytesIO(body), b"B")
    assert info.value.status == 400


def test_response_refuses_header_injection() -> None:
    with pytest.raises(ValueError, match="control character"):
        kali.Response("x", headers={"X-A": "a\r\nSet-Cookie: evil=1"})
    with pytest.raises(ValueError, match="invalid header name"):
        kali.Response("x", headers=[("Bad Name", "v")])
    response = kali.Response("x")
    with pytest.raises(ValueError):
        response.set_header("Location", "/a\nb")
    with pytest.raises(ValueError):
        kali.Response.redirect("/a\r\nX: y")


def test_response_helpers() -> None:
    client = TestClient(
        lambda request: {
            "/text": kali.Response.text("plain"),
            "/json": kali.Response.json({"ok": True, "é": 1}),
            "/redirect": kali.Response.redirect("/there"),
            "/page": kali.Response.status_page(418, "<short>"),
            "/bytes": b"\x00\x01",
            "/iolist": ["a", [b"b", ("c",)]],
        }[request.path]
    )
    text = client.get("/text")
    assert text.headers["content-type"] == "text/plain; charset=utf-8" and text.text == "plain"
    data = client.get("/json")
    assert data.headers["content-type"] == "application/json" and data.json() == {
        "ok": True,
        "é": 1,
    }
    moved = client.get("/redirect")
    assert moved.status == 303 and moved.headers["location"] == "/there"
    page = client.get("/page")
    assert page.status == 418 and "418 I&#x27;m a Teapot" not in page.text
    assert "&lt;short&gt;" in page.text
    assert client.get("/bytes").body == b"\x00\x01"
    iolist = client.get("/iolist")
    assert iolist.body == b"abc"
    assert iolist.headers["content-type"] == "text/html; charset=utf-8"
    assert iolist.headers["content-length"] == "3"


def test_handler_returning_the_wrong_type_is_a_500_naming_it() -> None:
    client = TestClient(lambda request: 42)  # type: ignore[arg-type, return-value]
    with pytest.raises(TypeError, match="not int"):
        client.get("/")
    returns_none = lambda request: None  # noqa: E731
    quiet = TestClient(returns_none, raise_server_exceptions=False)  # type: ignore[arg-type]
    assert quiet.get("/").status == 500


def test_http_error_status_and_headers() -> None:
    def handler(request: kali.Request) -> str:
        raise kali.HTTPError(405, "use POST", headers=[("Allow", "POST")])

    response = TestClient(handler).get("/")
    assert response.status == 405
    assert response.headers["allow"] == "POST"
    assert "use POST" in response.text


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


def test_iolists_are_flattened_without_joining() -> None:
    body = ["<p>", ["a", b"b", ("c", [])], "", "é"]
    assert to_chunks(body) == [b"<p>", b"a", b"b", b"c", "é".encode()]
    assert to_bytes(body) == "<p>abcé".encode()
    with pytest.raises(TypeError, match="not int"):
        to_chunks(["a", 1])  # type: ignore[list-item]


def test_json_helper_is_compact_utf8() -> None:
    response = kali.Response.json({"k": "é"})
    assert response.body == json.dumps({"k": "é"}, ensure_ascii=False, separators=(",", ":"))


def test_headers_appended_directly_are_checked_before_the_wire() -> None:
    def handler(request: kali.Request) -> kali.Response:
        response = kali.Response("x")
        response.headers.append(("X-Next", request.query["n"]))  # bypasses add_header
        return response

    client = TestClient(handler, raise_server_exceptions=False)
    assert client.get("/", query={"n": "fine"}).headers["x-next"] == "fine"
    injected = client.get("/", query={"n": "a\r\nSet-Cookie: session=attacker"})
    assert injected.status == 500 and "set-cookie" not in injected.headers


def test_response_status_must_be_final() -> None:
    for status in (100, 199, 600, 999):
        with pytest.raises(ValueError, match="200 to 599"):
            kali.Response("x", status)


def test_cookies_round_trip_and_attributes_are_checked() -> None:
    response = kali.Response("x")
    response.set_cookie("name", "Ada Lovelace; x=1")
    cookie = response.get_header("Set-Cookie")
    assert cookie is not None
    request = kali.Request("GET", "/", headers={"Cookie": cookie.split(";")[0]})
    assert request.cookies == {"name": "Ada Lovelace; x=1"}
    with pytest.raises(ValueError, match="cookie path"):
        response.set_cookie("a", "b", path="/; Domain=example.com")
    with pytest.raises(ValueError, match="same_site"):
        response.set_cookie("a", "b", same_site="Lax; Secure")


def test_query_with_bad_percent_encoding_is_a_400() -> None:
    with pytest.raises(kali.HTTPError) as info:
        _ = kali.Request("GET", "/?a=%zz").query
    assert info.value.status == 400


def test_deeply_nested_json_is_a_400_not_a_500() -> None:
    with pytest.raises(kali.HTTPError) as info:
        kali.Request("POST", "/", body=b"[" * 100_000).json()
    assert info.value.status == 400


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
    assert client.get("/", headers={"Host": "evil.example"}).status == 400  # two Host headers
    assert TestClient(lambda request: "ok", host="evil.example").get("/").status == 403
