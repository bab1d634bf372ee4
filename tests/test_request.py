"""The Request a handler receives: its parts, query, cookies, JSON body."""

from __future__ import annotations

import pytest

import kali


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


def test_query_with_bad_percent_encoding_is_a_400() -> None:
    with pytest.raises(kali.HTTPError) as info:
        _ = kali.Request("GET", "/?a=%zz").query
    assert info.value.status == 400


def test_deeply_nested_json_is_a_400_not_a_500() -> None:
    with pytest.raises(kali.HTTPError) as info:
        kali.Request("POST", "/", body=b"[" * 100_000).json()
    assert info.value.status == 400


class _Annotated(kali.Request):
    """A subclass as an app might write one: state of its own, some of it unset."""

    __slots__ = ("__cache", "__weakref__", "note")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.note = "kept"


class _Unslotted(kali.Request):
    pass


@pytest.mark.parametrize("kind", [kali.Request, _Annotated, _Unslotted])
def test_a_mounted_copy_keeps_the_requests_type_and_state(kind: type[kali.Request]) -> None:
    request = kind("GET", "/admin/users?page=2", client=("10.0.0.1", 4000))
    if kind is _Unslotted:
        request.note = "kept"  # type: ignore[attr-defined]
    request.client = ("10.0.0.9", 0)  # a middleware may set it
    copy = request.mounted("/admin")
    assert type(copy) is kind
    assert (copy.path, copy.root_path, copy.query["page"]) == ("/users", "/admin", "2")
    assert copy.client == ("10.0.0.9", 0)
    if kind is not kali.Request:
        assert copy.note == "kept"  # type: ignore[attr-defined]


def test_a_request_whose_headers_are_read_leaves_nothing_for_the_collector() -> None:
    # A head's fields and what they keep are freed by reference counting alone, as
    # soon as the request goes (no cycle: a server may run with the collector off).
    import gc

    from kali.protocol import RequestParser

    data = b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: t\r\n\r\n"
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            head = RequestParser().feed_request(data)
            assert head is not None
            request = kali.Request.from_head(head)
            assert request.headers.get("user-agent") == "t"
            assert request.headers.get("user-agent") == "t"  # kept, the second time
            assert list(request.headers.items()) == [("host", "localhost"), ("user-agent", "t")]
            del head, request
        assert gc.collect() == 0
    finally:
        gc.enable()
