"""Properties of the request parser, with hypothesis: however the bytes are cut
into feeds, the parser says the same thing, and it only ever says it with
events, NEED_DATA or a ProtocolError carrying an error status."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kali.protocol import (
    DEFAULT_LIMITS,
    Data,
    EndOfMessage,
    HeadCache,
    HeaderFields,
    Limits,
    RequestHead,
)

from .corpus import (
    Generated,
    Outcome,
    observed,
    parse,
    pipeline,
    requests_of,
    valid_requests,
)

FRAGMENTS = [
    *(b"GET", b"POST", b"OPTIONS", b" ", b"  ", b"/", b"/a", b"%", b"%ff", b"%00", b"%41"),
    *(b"?", b"#", b"*", b"http://h", b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1."),
    *(b"\r\n", b"\r\n", b"\r\n\r\n", b"\r", b"\n", b"\t", b"\x00", b"\x7f", b"\xff", b"\x0b"),
    *(b"Host: h", b"Host:", b"host: [::1]", b":", b",", b"a", b"Z", b"hello"),
    *(b"Content-Length: ", b"Content-Length: 5", b"content-length:0", b"Transfer-Encoding: "),
    *(b"chunked", b"gzip, chunked", b"chunked, chunked", b"Connection: close"),
    *(b"Connection: keep-alive", b"Expect: 100-continue", b"Expect: x"),
    *(b"0", b"5", b"a", b"-1", b"0x5", b"ffffffffffffffffff", b";ext", b";a=b", b" ;"),
]

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid request (or two) with a few bytes inserted, deleted or replaced."""
    data = bytearray(draw(valid_requests()).data)
    if draw(st.booleans()):
        data += draw(valid_requests()).data
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        what = draw(st.sampled_from(FRAGMENTS))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        if op == "insert":
            data[at:at] = what
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 4))]
        else:
            data[at : at + len(what)] = what
    return bytes(data)


hostile_bytes = st.one_of(
    st.binary(max_size=200),
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(b"".join),
    mutated(),
)

limits = st.one_of(
    st.just(DEFAULT_LIMITS),
    st.builds(
        Limits,
        max_request_line=st.integers(1, 64),
        max_head_size=st.integers(1, 200),
        max_header_count=st.integers(0, 6),
        max_body_size=st.integers(0, 100),
    ),
)

cuts = st.lists(st.integers(1, 400), max_size=12)


def assert_well_formed(outcome: Outcome) -> None:
    if outcome.status is not None:
        assert 400 <= outcome.status < 600
        assert outcome.closed
    # The events follow the grammar RequestHead Data* EndOfMessage, repeated.
    expecting_head = True
    for event in outcome.events:
        if expecting_head:
            assert isinstance(event, RequestHead)
            expecting_head = False
        else:
            assert isinstance(event, Data | EndOfMessage)
            expecting_head = isinstance(event, EndOfMessage)


@SETTINGS
@given(hostile_bytes, cuts, limits)
def test_any_bytes_any_split_same_outcome(data: bytes, cut_at: list[int], lim: Limits) -> None:
    whole = parse(data, limits=lim)
    assert_well_formed(whole)
    # The status too, not only the events: the answer must not depend on TCP segmentation.
    assert parse(data, cut_at, lim) == whole


@settings(max_examples=60, deadline=None)
@given(hostile_bytes, limits)
def test_any_bytes_byte_by_byte_same_outcome(data: bytes, lim: Limits) -> None:
    assert parse(data, range(len(data)), lim) == parse(data, limits=lim)


@SETTINGS
@given(valid_requests(), cuts)
def test_valid_request_events(request: Generated, cut_at: list[int]) -> None:
    whole = parse(request.data)
    assert whole.status is None
    head, *rest = whole.events
    assert isinstance(head, RequestHead)
    body = request.expected.body
    assert rest == ([Data(body)] if body else []) + [EndOfMessage()]
    assert observed(head, body) == request.expected
    assert whole.closed is not request.expected.keep_alive
    # Cut anywhere, the same events, and the body reassembles exactly.
    split = parse(request.data, cut_at)
    assert split == whole
    assert requests_of(split) == [(head, body)]


@settings(max_examples=40, deadline=None)
@given(valid_requests())
def test_valid_request_byte_by_byte(request: Generated) -> None:
    assert parse(request.data, range(len(request.data))) == parse(request.data)


@settings(max_examples=150, deadline=None)
@given(st.lists(valid_requests(), min_size=1, max_size=4), cuts)
def test_pipelined_valid_requests(requests: list[Generated], cut_at: list[int]) -> None:
    data = pipeline(*(r.data for r in requests))
    expected = []
    for request in requests:
        expected.append(request.expected)
        if not request.expected.keep_alive:
            break  # the connection ends there: the rest is never parsed
    outcome = parse(data, cut_at)
    assert outcome.status is None
    assert [observed(head, body) for head, body in requests_of(outcome)] == expected
    assert outcome.closed is not expected[-1].keep_alive


@settings(max_examples=100, deadline=None)
@given(valid_requests(), st.data())
def test_truncated_valid_request_only_needs_data(request: Generated, data: st.DataObject) -> None:
    """A valid request cut short is never an error: the parser waits."""
    end = data.draw(st.integers(0, len(request.data) - 1))
    outcome = parse(request.data[:end])
    assert outcome.status is None
    assert not any(isinstance(e, EndOfMessage) for e in outcome.events)


def _one_call(data: bytes, limits: Limits, heads: HeadCache | None = None) -> tuple[str, object]:
    """What feed_request makes of `data`, continued event by event as the server does."""
    from kali.errors import ProtocolError
    from kali.protocol import NEED_DATA, RequestParser

    parser = RequestParser(limits, heads)
    try:
        head = parser.feed_request(data)
        if head is None:
            return "declined", None
        events: list[object] = [head, EndOfMessage()]
        while (event := parser.next_event()) is not NEED_DATA:
            events.append(event)
    except ProtocolError as exc:
        return "error", exc.status
    return "events", events


@given(data=hostile_bytes, lim=st.sampled_from([DEFAULT_LIMITS, Limits(max_head_size=64)]))
@SETTINGS
def test_one_call_for_a_whole_request_agrees_with_the_event_by_event_way(
    data: bytes, lim: Limits
) -> None:
    kind, found = _one_call(data, lim)
    if kind == "declined":
        return  # the server then feeds the bytes as usual
    outcome = parse(data, (), lim)
    if kind == "error":
        assert outcome.status == found, (data, outcome)
    else:
        assert outcome.status is None and outcome.events == found, (data, outcome)


@given(
    data=hostile_bytes | valid_requests().map(lambda r: r.data),
    lim=st.sampled_from([DEFAULT_LIMITS, Limits(max_head_size=64)]),
)
@SETTINGS
def test_a_head_from_the_cache_is_the_head_parsing_gives(data: bytes, lim: Limits) -> None:
    heads = HeadCache(lim)
    first = _one_call(data, lim, heads)
    assert (data in heads) == (first[0] == "events" and len(data) <= heads.max_bytes)
    assert _one_call(data, lim, heads) == first  # the second time, from the cache
    assert _one_call(data, lim) == first


@given(request=valid_requests())
@SETTINGS
def test_one_call_takes_every_whole_get(request: Generated) -> None:
    data = request.data
    if data.startswith(b"\r\n") or data.count(b"\r\n\r\n") != 1 or not data.endswith(b"\r\n\r\n"):
        return
    kind, found = _one_call(data, DEFAULT_LIMITS)
    head = parse(data).events[0]
    if isinstance(head, RequestHead) and head.content_length != 0:
        assert kind == "declined"  # a body follows: fed event by event
    else:
        assert kind == "events" and found == parse(data).events


@SETTINGS
@given(valid_requests(), st.data())
def test_field_lookup_agrees_with_the_field_list(request: Generated, data: st.DataObject) -> None:
    # HeaderFields.get searches the head's text; the list splits it. Same answers.
    head = parse(request.data).events[0]
    assert isinstance(head, RequestHead)
    fields = head.headers
    assert isinstance(fields, HeaderFields)
    pairs = list(fields)
    names = [name for name, _ in pairs]
    asked = data.draw(
        st.one_of(
            st.sampled_from(names) if names else st.just("host"),
            st.sampled_from(["Host", "CONTENT-LENGTH", "x-missing", "a:b", "", " host", "h\r\n"]),
        )
    )
    expected = next((value for name, value in pairs if name == asked.lower()), None)
    assert fields.get(asked) == expected
    assert fields.get(asked.upper()) == expected
