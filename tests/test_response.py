"""The Response: helpers, headers checked once, cookies."""

from __future__ import annotations

import json

import pytest

import kali
from kali.testing import TestClient


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


@pytest.mark.parametrize(
    "bad",
    [
        {"Bad Name": "v"},
        [("X-A", "a\nb")],
        (("X-A", 1),),
        [["X-A", "a\rb"]],  # an unhashable pair
    ],
)
def test_fields_are_checked_each_time_a_response_is_given_them(bad: object) -> None:
    # The fields a handler gives are checked once per distinct set: a bad set is
    # never taken for a checked one, however often it comes.
    for _ in range(3):
        with pytest.raises((ValueError, TypeError)):
            kali.Response("x", headers=bad)  # type: ignore[arg-type]


def test_the_same_fields_given_in_any_form_read_the_same() -> None:
    forms = [
        {"X-A": "1", "Content-Type": "text/csv"},
        [("X-A", "1"), ("Content-Type", "text/csv")],
        (("X-A", "1"), ("Content-Type", "text/csv")),
        [["X-A", "1"], ["Content-Type", "text/csv"]],
    ]
    for _ in range(2):  # the second time from what was kept
        for headers in forms:
            response = kali.Response("x", headers=headers)  # type: ignore[arg-type]
            assert response.headers == [("X-A", "1"), ("Content-Type", "text/csv")]
            typed = kali.Response("x", headers=headers, content_type="text/plain")  # type: ignore[arg-type]
            assert typed.headers == [("X-A", "1"), ("Content-Type", "text/plain")]
    assert kali.Response("x").headers == []
    assert kali.Response("x", content_type="text/plain").headers == [("Content-Type", "text/plain")]


def test_fields_changed_after_they_are_read_are_the_ones_sent() -> None:
    given = {"X-A": "1"}
    client = TestClient(lambda request: kali.Response("x", headers=given))
    assert client.get("/").headers["x-a"] == "1"

    def changed(request: kali.Request) -> kali.Response:
        response = kali.Response("x", headers=given)
        response.headers.add("X-B", "2")
        response.headers.discard("X-A")
        return response

    answer = TestClient(changed).get("/")
    assert "x-a" not in answer.headers and answer.headers["x-b"] == "2"
    # A change to one response is not kept for the next with the same fields.
    again = client.get("/")
    assert again.headers["x-a"] == "1" and "x-b" not in again.headers


def test_a_dict_given_again_is_read_as_it_is_now() -> None:
    from kali import response as module

    fields = {"X-A": "1"}  # a module's constant, given to every response
    for _ in range(3):
        assert kali.Response("x", headers=fields).headers == [("X-A", "1")]
    assert kali.Response("x", headers=fields, content_type="text/plain").headers == [
        ("X-A", "1"),
        ("Content-Type", "text/plain"),
    ]
    fields["X-A"] = "2"
    assert kali.Response("x", headers=fields).headers == [("X-A", "2")]
    fields["X-C"] = "3"
    for _ in range(3):
        kali.Response("x", headers=fields)
    fields["X-A"] = fields.pop("X-A")  # the same fields, in another order
    assert kali.Response("x", headers=fields).headers == [("X-C", "3"), ("X-A", "2")]
    del fields["X-C"]
    fields["X-B"] = "a\r\nb"
    for _ in range(2):
        with pytest.raises(ValueError, match="control character"):
            kali.Response("x", headers=fields)
    for n in range(600):  # dicts made for one response each: few are kept
        kali.Response("x", headers={"X-Id": str(n % 3)})
    assert len(module._known_dicts) <= 256


def test_fields_can_be_replaced_and_the_new_ones_are_checked() -> None:
    response = kali.Response("x", headers={"X-A": "1"})
    response.headers = [("X-B", "2")]
    assert response.headers == [("X-B", "2")]
    assert isinstance(response.headers, kali.response.ResponseHeaders)
    with pytest.raises(ValueError, match="control character"):
        response.headers = {"X-C": "a\r\nb"}
    answer = TestClient(lambda request: response).get("/")
    assert answer.headers["x-b"] == "2" and "x-a" not in answer.headers


def test_few_sets_of_fields_are_kept_and_none_large() -> None:
    from kali import response as module

    for n in range(600):
        kali.Response("x", headers={"X-Id": str(n)})
    assert len(module._known_pairs) <= 256
    module._known_pairs.clear()
    cookie = "s=" + "a" * 2000
    assert kali.Response("x", headers={"Set-Cookie": cookie}).headers == [("Set-Cookie", cookie)]
    assert not module._known_pairs


def test_fields_given_lazily_or_replaced_are_sent_and_not_kept() -> None:
    from kali import response as module

    module._known_pairs.clear()
    pairs = (pair for pair in [("X-A", "1")])  # an iterator: checked, never kept
    assert kali.Response("x", headers=pairs).headers == [("X-A", "1")]
    big = "text/" + "a" * 2000
    typed = kali.Response("x", headers={"Content-Type": big}, content_type="text/plain")
    assert typed.headers == [("Content-Type", "text/plain")]
    assert not module._known_pairs  # the replaced value is not held


def test_a_subclass_cannot_hide_the_fields_from_framing() -> None:
    with pytest.raises(TypeError, match=r"overrides Response\.headers"):

        class Sub(kali.Response):
            headers = property(lambda self: kali.response.ResponseHeaders())  # type: ignore[assignment]

    class Plain(kali.Response):
        pass

    assert (
        TestClient(lambda request: Plain("x", headers={"X-A": "1"})).get("/").headers["x-a"] == "1"
    )
