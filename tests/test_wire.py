"""Framing a response for the wire (kali._wire): the head the server writes, the
pieces it sends, and the status and fields a WSGI server is given."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kali import Response
from kali._wire import HeaderBlock, Prepared, frame, frame_plain, wsgi_start
from kali.live import Stream
from kali.pipeline import SECURITY_HEADERS

DEFAULTS = HeaderBlock(SECURITY_HEADERS)


def fields_of(prepared: Prepared) -> list[tuple[str, str]]:
    """The head's fields as (lower-case name, value), in order; checks the status line."""
    text = prepared.head.decode("latin-1")
    assert text.endswith("\r\n\r\n")
    status_line, *lines = text[:-4].split("\r\n")
    assert status_line.startswith(f"HTTP/1.1 {prepared.status} ")
    pairs = [line.partition(": ") for line in lines]
    return [(name.lower(), value) for name, _, value in pairs]


def framed(response: Response, **options: object) -> Prepared:
    settings = {"method": "GET", "http_version": "1.1", "keep_alive": True, "defaults": DEFAULTS}
    settings.update(options)
    return frame(response, **settings)  # type: ignore[arg-type]


def test_the_length_is_computed_and_the_handlers_framing_fields_dropped() -> None:
    response = Response(
        b"hello",
        headers=[("Content-Length", "99"), ("Transfer-Encoding", "chunked"), ("X-A", "1")],
    )
    prepared = framed(response)
    fields = dict(fields_of(prepared))
    assert fields["content-length"] == "5"
    assert "transfer-encoding" not in fields
    assert fields["x-a"] == "1"
    assert fields["content-type"] == "text/html; charset=utf-8"
    assert prepared.body == [b"hello"]


def test_a_default_the_response_sets_is_sent_once_as_the_response_has_it() -> None:
    response = Response(b"x", headers={"X-Frame-Options": "SAMEORIGIN"})
    names = Counter(name for name, _ in fields_of(framed(response)))
    assert names["x-frame-options"] == 1
    assert dict(fields_of(framed(response)))["x-frame-options"] == "SAMEORIGIN"
    assert names["referrer-policy"] == 1  # the other defaults are kept


def test_head_gets_the_fields_without_the_body() -> None:
    prepared = framed(Response(b"hello"), method="HEAD")
    assert dict(fields_of(prepared))["content-length"] == "5"
    assert prepared.body == []


def test_no_body_and_no_length_for_204_and_304() -> None:
    for status in (204, 304):
        prepared = framed(Response(b"leaked", status))
        names = [name for name, _ in fields_of(prepared)]
        assert "content-length" not in names and "content-type" not in names
        assert prepared.body == []


def test_the_connection_field_says_what_the_client_cannot_assume() -> None:
    assert dict(fields_of(framed(Response(b"x"), keep_alive=False)))["connection"] == "close"
    assert "connection" not in dict(fields_of(framed(Response(b"x"))))
    http10 = dict(fields_of(framed(Response(b"x"), http_version="1.0")))
    assert http10["connection"] == "keep-alive"
    # The handler may ask to close.
    closing = framed(Response(b"x", headers={"Connection": "close"}))
    assert not closing.keep_alive
    assert dict(fields_of(closing))["connection"] == "close"


def test_a_stream_is_chunked_or_ends_with_the_connection() -> None:
    chunked = framed(Response(Stream(iter([b"a"]))))
    assert chunked.chunked and chunked.stream is not None
    assert dict(fields_of(chunked))["transfer-encoding"] == "chunked"
    http10 = framed(Response(Stream(iter([b"a"]))), http_version="1.0")
    assert not http10.keep_alive and not http10.chunked
    assert "content-length" not in dict(fields_of(http10))


def test_an_iolist_and_a_str_are_sent_encoded() -> None:
    prepared = framed(Response(["<p>", ["é", b"!"], "</p>"]))
    assert b"".join(prepared.body) == "<p>é!</p>".encode()
    assert dict(fields_of(prepared))["content-length"] == str(len("<p>é!</p>".encode()))
    assert b"".join(framed(Response("é")).body) == "é".encode()


_names = st.sampled_from(
    [
        "X-Test",
        "Content-Type",
        "content-type",
        "Content-Length",
        "Connection",
        "Transfer-Encoding",
        "X-Frame-Options",
        "referrer-policy",
        "Set-Cookie",
    ]
)
_headers = st.lists(st.tuples(_names, st.sampled_from(["a", "text/plain", "keep-alive"])))
_bodies = st.binary(max_size=20)


@given(_bodies, _headers, st.sampled_from([200, 201, 204, 304, 404]), st.booleans())
def test_wsgi_gets_the_fields_the_server_writes_but_connection_and_date(
    body: bytes, headers: list[tuple[str, str]], status: int, keep_alive: bool
) -> None:
    response = Response(body, status, headers)
    prepared = framed(response, keep_alive=keep_alive)
    written = [pair for pair in fields_of(prepared) if pair[0] not in ("connection", "date")]
    line, given_fields = wsgi_start(response, len(body), DEFAULTS)
    # What wsgi_start keeps for a status and a set of fields gives what a first call gives.
    assert (line, given_fields) == wsgi_start(response, len(body), HeaderBlock(SECURITY_HEADERS))
    assert line == f"{status} " + prepared.head.decode().split("\r\n")[0].split(" ", 2)[2]
    assert Counter((name.lower(), value) for name, value in given_fields) == Counter(written)
    names = Counter(name for name, _ in written)
    own = Counter(name.lower() for name, _ in headers)
    # The framing fields are the server's; a default is sent unless the response has it.
    assert names["transfer-encoding"] == 0
    for name in (n.lower() for n in SECURITY_HEADERS):
        assert names[name] == (own[name] or 1)
    if status in (204, 304):
        assert names["content-length"] == 0
    else:
        assert dict(written)["content-length"] == str(len(body))


@given(_bodies, st.booleans(), st.sampled_from(["1.1", "1.0"]))
def test_a_plain_answer_is_framed_as_a_response_of_the_same_bytes(
    body: bytes, keep_alive: bool, http_version: str
) -> None:
    plain = frame_plain(body, http_version=http_version, keep_alive=keep_alive, defaults=DEFAULTS)
    full = framed(Response(body), keep_alive=keep_alive, http_version=http_version)
    assert Counter(fields_of(plain)) == Counter(fields_of(full))
    assert (plain.body, plain.length, plain.keep_alive) == (full.body, full.length, full.keep_alive)


def test_the_date_follows_the_clock_from_one_second_to_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    def date_of(prepared: Prepared) -> bytes:
        return next(line for line in prepared.head.split(b"\r\n") if line.startswith(b"Date:"))

    now = 1_800_000_000.25
    monkeypatch.setattr(time, "time", lambda: now)
    first = date_of(frame_plain(b"x", http_version="1.1", keep_alive=True))
    assert first == b"Date: Fri, 15 Jan 2027 08:00:00 GMT"
    now += 0.5  # the same second: the same head
    assert date_of(frame_plain(b"x", http_version="1.1", keep_alive=True)) == first
    now += 0.5  # the next second
    second = b"Date: Fri, 15 Jan 2027 08:00:01 GMT"
    assert date_of(frame_plain(b"x", http_version="1.1", keep_alive=True)) == second
    framed = frame(
        Response(b"x", headers={"X-A": "1"}), method="GET", http_version="1.1", keep_alive=True
    )
    assert date_of(framed) == second
    now -= 60.0  # the clock stepped back
    assert date_of(frame_plain(b"x", http_version="1.1", keep_alive=True)) == (
        b"Date: Fri, 15 Jan 2027 07:59:01 GMT"
    )


@given(
    fields=st.lists(
        st.sampled_from(
            [
                ("X-A", "1"),
                ("Content-Type", "text/plain"),
                ("Connection", "close"),
                ("Content-Length", "99"),
                ("X-Frame-Options", "SAMEORIGIN"),
                ("x-a", "2"),
            ]
        ),
        max_size=4,
    ),
    status=st.sampled_from([200, 204, 404]),
    method=st.sampled_from(["GET", "HEAD"]),
    version=st.sampled_from(["1.0", "1.1"]),
    keep_alive=st.booleans(),
)
def test_a_head_read_once_for_its_fields_frames_as_the_first_time(
    fields: list[tuple[str, str]], status: int, method: str, version: str, keep_alive: bool
) -> None:
    # Framing keeps what it worked out for a status and a set of fields: the same
    # fields framed again, in another kind of request, give what a first framing gives.
    shared = HeaderBlock(SECURITY_HEADERS)
    for options in ({}, {"method": method, "http_version": version, "keep_alive": keep_alive}):
        response = Response(b"body", status, fields)
        first = framed(response, **options, defaults=HeaderBlock(SECURITY_HEADERS))
        again = framed(response, **options, defaults=shared)
        # (the Date, last, may differ if a second ends between the two)
        assert fields_of(again)[:-1] == fields_of(first)[:-1]
        assert (again.keep_alive, again.body) == (first.keep_alive, first.body)


def test_framing_keeps_no_large_or_one_off_fields() -> None:
    block = HeaderBlock(SECURITY_HEADERS)
    for n in range(300):
        framed(Response(b"x", headers={"X-Id": str(n)}), defaults=block)
    assert len(block.starts) <= 256  # starts over when full
    block = HeaderBlock(SECURITY_HEADERS)
    response = Response(b"x", headers={"Set-Cookie": "s=" + "a" * 2000})
    assert "s=" + "a" * 2000 in fields_of(framed(response, defaults=block))[0][1]
    assert not block.starts  # a large value is framed, not kept
    assert ("Set-Cookie", "s=" + "a" * 2000) in wsgi_start(response, 1, block)[1]
    assert not block.wsgi_starts
    for n in range(300):
        wsgi_start(Response(b"x", headers={"X-Id": str(n)}), 1, block)
    assert len(block.wsgi_starts) <= 256
