"""Differential tests: kali's parser against h11 (the server side of an
``h11.Connection``). On valid requests both must report the same method,
target, version, header fields and body; on hostile bytes, any head kali
accepts h11 must accept too, and read the same way (kali is the stricter)."""

from __future__ import annotations

from typing import NamedTuple

import h11
import pytest
from hypothesis import HealthCheck, given, settings

from kali.protocol import RequestHead

from .corpus import VALID_REQUESTS, Generated, parse, requests_of, valid_requests
from .test_properties import hostile_bytes


class Seen(NamedTuple):
    """A request as both parsers can describe it."""

    method: str
    target: str
    http_version: str
    headers: list[tuple[str, str]]
    body: bytes | None  # None when the body did not end


def _normal_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # h11 lower-cases the value of Transfer-Encoding; kali keeps it as sent.
    return [(n, v.lower() if n == "transfer-encoding" else v) for n, v in headers]


def kali_first_request(data: bytes) -> Seen | None:
    outcome = parse(data)
    if not outcome.events:
        return None
    head = outcome.events[0]
    assert isinstance(head, RequestHead)
    done = requests_of(outcome)
    return Seen(
        head.method,
        head.target,
        head.http_version,
        _normal_headers(head.headers),
        done[0][1] if done else None,
    )


def h11_first_request(data: bytes) -> Seen | None:
    """The first request h11 reads from ``data`` (its body None if h11 did not
    read all of it, or rejected it); raises h11.RemoteProtocolError if h11
    rejects the head."""
    # RFC 9112 2.2: a server SHOULD ignore empty lines before a request line, as
    # kali does; h11 only does so between requests, so it is given the rest.
    while data.startswith(b"\r\n"):
        data = data[2:]
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    seen: Seen | None = None
    body = b""
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError:
            if seen is None:
                raise
            return seen
        if event is h11.NEED_DATA or event is h11.PAUSED:
            return seen
        if isinstance(event, h11.Request):
            seen = Seen(
                event.method.decode("latin-1"),
                event.target.decode("latin-1"),
                event.http_version.decode("latin-1"),
                [(n.decode("latin-1"), v.decode("latin-1")) for n, v in event.headers],
                None,
            )
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert seen is not None
            return seen._replace(body=body)


def test_corpus_is_large_and_varied() -> None:
    assert len(VALID_REQUESTS) >= 40
    methods = {data.split(b" ", 1)[0] for _, data in VALID_REQUESTS}
    assert {b"GET", b"POST", b"PUT", b"OPTIONS"} <= methods
    assert sum(b"Transfer-Encoding: chunked" in data for _, data in VALID_REQUESTS) >= 5
    assert sum(b"HTTP/1.0" in data for _, data in VALID_REQUESTS) >= 3


@pytest.mark.parametrize(("name", "data"), VALID_REQUESTS, ids=[n for n, _ in VALID_REQUESTS])
def test_corpus_same_as_h11(name: str, data: bytes) -> None:
    ours = kali_first_request(data)
    assert ours is not None and ours.body is not None
    assert ours == h11_first_request(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_requests(for_h11=True))
def test_generated_same_as_h11(request: Generated) -> None:
    ours = kali_first_request(request.data)
    assert ours is not None
    assert ours.body == request.expected.body
    assert ours == h11_first_request(request.data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_bytes)
def test_kali_is_stricter_than_h11(data: bytes) -> None:
    ours = kali_first_request(data)
    if ours is None:
        return  # kali rejected the head, or is waiting for more of it
    theirs = h11_first_request(data)  # kali accepted this head: h11 must not raise
    assert theirs is not None
    assert ours._replace(body=None) == theirs._replace(body=None)
    if ours.body is not None:
        if theirs.body is None:
            # h11 refused a body kali read. The one known reason: RFC 9112 7.1.1
            # allows whitespace before a chunk extension's ";", which h11 refuses.
            assert b" ;" in data or b"\t;" in data
        else:
            assert ours.body == theirs.body
