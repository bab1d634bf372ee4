"""The HTTP/1.x request parser, fed bytes alone: tables of byte cases and the
events or status they must give (in the manner of h11's test_io.py)."""

from __future__ import annotations

import time

import pytest

from kali.protocol import (
    DEFAULT_LIMITS,
    NEED_DATA,
    Data,
    EndOfMessage,
    HeadCache,
    HeaderFields,
    Limits,
    ProtocolError,
    RequestHead,
    RequestParser,
    decode_path,
)

from .corpus import VALID_REQUESTS, parse, pipeline, requests_of, status_of

H = "Host: h"


def req(*lines: str, body: bytes = b"") -> bytes:
    """A request head from its lines (CRLF-joined, CRLFCRLF-terminated), plus a body."""
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def head_of(data: bytes, limits: Limits = DEFAULT_LIMITS) -> RequestHead:
    outcome = parse(data, limits=limits)
    assert outcome.status is None, outcome
    assert outcome.events, "no event"
    head = outcome.events[0]
    assert isinstance(head, RequestHead)
    return head


CHUNKED = "Transfer-Encoding: chunked"


# -- valid requests: exact events ----------------------------------------------

EVENT_CASES: list[tuple[str, bytes, list[object]]] = [
    (
        "get",
        req("GET /a/b?x=1&y=%20 HTTP/1.1", "Host: example.com", "Accept: */*"),
        [
            RequestHead(
                method="GET",
                target="/a/b?x=1&y=%20",
                path="/a/b",
                raw_path="/a/b",
                query_string="x=1&y=%20",
                http_version="1.1",
                headers=[("host", "example.com"), ("accept", "*/*")],
                keep_alive=True,
                expect_continue=False,
                content_length=0,
                host="example.com",
            ),
            EndOfMessage(),
        ],
    ),
    (
        "content-length",
        req("POST /f HTTP/1.1", H, "Content-Length: 5", body=b"hello"),
        [
            RequestHead(
                "POST",
                "/f",
                "/f",
                "/f",
                "",
                "1.1",
                [("host", "h"), ("content-length", "5")],
                True,
                False,
                5,
                "h",
            ),
            Data(b"hello"),
            EndOfMessage(),
        ],
    ),
    (
        "chunked-ext-trailers",
        req("PUT /c HTTP/1.1", H, CHUNKED)
        + b'5;name=value;flag\r\nhello\r\n6 ;x="q ;"\r\n world\r\n'
        + b"0;last\r\nX-Trailer: 1\r\nY: two words\r\n\r\n",
        [
            RequestHead(
                "PUT",
                "/c",
                "/c",
                "/c",
                "",
                "1.1",
                [("host", "h"), ("transfer-encoding", "chunked")],
                True,
                False,
                None,
                "h",
            ),
            Data(b"hello world"),
            EndOfMessage(),
        ],
    ),
    (
        "header-case-and-ows",
        req("GET / HTTP/1.1", "HOST:h", "X-Mixed-Case:  a b\t ", "x-mixed-case:\tc"),
        [
            RequestHead(
                "GET",
                "/",
                "/",
                "/",
                "",
                "1.1",
                [("host", "h"), ("x-mixed-case", "a b"), ("x-mixed-case", "c")],
                True,
                False,
                0,
                "h",
            ),
            EndOfMessage(),
        ],
    ),
    (
        "absolute-form",
        req("GET http://example.com:80/p/q?r=s HTTP/1.1", "Host: example.com:80"),
        [
            RequestHead(
                "GET",
                "http://example.com:80/p/q?r=s",
                "/p/q",
                "/p/q",
                "r=s",
                "1.1",
                [("host", "example.com:80")],
                True,
                False,
                0,
                "example.com:80",
            ),
            EndOfMessage(),
        ],
    ),
    (
        "asterisk-form",
        req("OPTIONS * HTTP/1.1", H),
        [
            RequestHead("OPTIONS", "*", "*", "*", "", "1.1", [("host", "h")], True, False, 0, "h"),
            EndOfMessage(),
        ],
    ),
    (
        "http10",
        req("GET /x HTTP/1.0"),
        [
            RequestHead("GET", "/x", "/x", "/x", "", "1.0", [], False, False, 0, None),
            EndOfMessage(),
        ],
    ),
    (
        "percent-decoded-path",
        req("GET /caf%C3%A9/%2F%20?q=%ff HTTP/1.1", H),
        [
            RequestHead(
                "GET",
                "/caf%C3%A9/%2F%20?q=%ff",
                "/café// ",
                "/caf%C3%A9/%2F%20",
                "q=%ff",
                "1.1",
                [("host", "h")],
                True,
                False,
                0,
                "h",
            ),
            EndOfMessage(),
        ],
    ),
]


@pytest.mark.parametrize(
    ("data", "expected"), [c[1:] for c in EVENT_CASES], ids=[c[0] for c in EVENT_CASES]
)
def test_events(data: bytes, expected: list[object]) -> None:
    head = expected[0]
    assert isinstance(head, RequestHead)
    assert parse(data) == (expected, None, not head.keep_alive)


@pytest.mark.parametrize(
    ("data", "expected"), [c[1:] for c in EVENT_CASES], ids=[c[0] for c in EVENT_CASES]
)
def test_events_split_at_every_byte(data: bytes, expected: list[object]) -> None:
    whole = parse(data)
    assert whole.events == expected
    for cut in range(1, len(data)):
        assert parse(data, [cut]) == whole, cut
    assert parse(data, range(len(data))) == whole


@pytest.mark.parametrize(("name", "data"), VALID_REQUESTS, ids=[n for n, _ in VALID_REQUESTS])
def test_corpus_parses_whole_and_byte_by_byte(name: str, data: bytes) -> None:
    whole = parse(data)
    assert whole.status is None
    assert len(requests_of(whole)) == 1
    assert isinstance(whole.events[-1], EndOfMessage)
    assert parse(data, range(len(data))) == whole


# -- limits ----------------------------------------------------------------------

SMALL = Limits(max_request_line=32, max_head_size=128, max_header_count=4, max_body_size=10)


def test_default_limits_are_documented_values() -> None:
    assert Limits(8192, 65536, 100, 100 * 1024 * 1024) == DEFAULT_LIMITS


def test_request_line_limit_414_boundary() -> None:
    line = "GET /" + "a" * (32 - len("GET / HTTP/1.1")) + " HTTP/1.1"
    assert len(line) == 32
    assert head_of(req(line, H), SMALL).method == "GET"
    longer = line.replace("/", "/a", 1)
    assert status_of(req(longer, H), SMALL) == 414
    # Detected before the head ends, and without a CRLF ever coming.
    assert parse(longer.encode(), limits=SMALL).status == 414
    assert status_of(req("GET /" + "x" * 9000 + " HTTP/1.1", H)) == 414


def test_request_line_limit_with_cr_at_the_boundary() -> None:
    line = "GET /" + "a" * (32 - len("GET / HTTP/1.1")) + " HTTP/1.1"
    # The CR right after 32 bytes may be the line's end: no 414 yet.
    assert parse(line.encode() + b"\r", limits=SMALL) == ([], None, False)


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        (128 - len("GET / HTTP/1.1\r\nHost: h\r\nX: "), None),
        (128 - len("GET / HTTP/1.1\r\nHost: h\r\nX: ") + 1, 431),
    ],
)
def test_head_size_limit_431_boundary(extra: int, status: int | None) -> None:
    data = req("GET / HTTP/1.1", H, "X: " + "v" * extra)
    assert status_of(data, SMALL) == status
    # The same, whatever the split (the partial-head check must not be off by one).
    for cut in range(len(data) - 6, len(data)):
        assert parse(data, [cut], SMALL).status == status


def test_head_size_limit_431_without_an_end() -> None:
    assert status_of(b"GET / HTTP/1.1\r\nX: " + b"v" * 200, SMALL) == 431
    assert status_of(b"GET / HTTP/1.1\r\nX: " + b"v" * 70000) == 431


def test_header_count_limit_431() -> None:
    four = [f"X-{i}: {i}" for i in range(3)]
    assert head_of(req("GET / HTTP/1.1", H, *four), SMALL).headers[-1] == ("x-2", "2")
    assert status_of(req("GET / HTTP/1.1", H, *four, "X-3: 3"), SMALL) == 431
    many = [f"X-{i}: {i}" for i in range(100)]
    assert status_of(req("GET / HTTP/1.1", H, *many)) == 431


def test_body_limit_413_declared() -> None:
    assert head_of(req("POST / HTTP/1.1", H, "Content-Length: 10"), SMALL).content_length == 10
    assert status_of(req("POST / HTTP/1.1", H, "Content-Length: 11"), SMALL) == 413
    assert status_of(req("POST / HTTP/1.1", H, "Content-Length: 9999999999999999999")) == 413


def test_body_limit_413_chunked_accumulated() -> None:
    ok = req("POST / HTTP/1.1", H, CHUNKED) + b"5\r\n12345\r\n5\r\n67890\r\n0\r\n\r\n"
    assert parse(ok, limits=SMALL).status is None
    over = req("POST / HTTP/1.1", H, CHUNKED) + b"5\r\n12345\r\n6\r\n"
    outcome = parse(over, limits=SMALL)
    assert outcome.status == 413
    assert outcome.events[1:] == [Data(b"12345")]
    huge = req("POST / HTTP/1.1", H, CHUNKED) + b"FFFFFFFFFFFFFFFF\r\n"
    assert status_of(huge) == 413


def test_trailer_limits_431() -> None:
    start = req("POST / HTTP/1.1", H, CHUNKED) + b"0\r\n"
    assert status_of(start + b"X: " + b"v" * 200 + b"\r\n\r\n", SMALL) == 431
    assert status_of(start + b"X: " + b"v" * 200, SMALL) == 431
    five = b"".join(b"T%d: x\r\n" % i for i in range(5))
    assert status_of(start + five + b"\r\n", SMALL) == 431


# -- 400, 501, 505, 417: bad or unsupported input --------------------------------------

ERROR_CASES: list[tuple[str, bytes, int]] = [
    # Request line
    ("double-space", req("GET  / HTTP/1.1", H), 400),
    ("trailing-space", req("GET / HTTP/1.1 ", H), 400),
    ("tab-separator", req("GET\t/ HTTP/1.1", H), 400),
    ("no-version", req("GET /", H), 400),
    ("lowercase-http", req("GET / http/1.1", H), 400),
    ("two-digit-minor", req("GET / HTTP/1.10", H), 400),
    ("space-in-target", req("GET /a b HTTP/1.1", H), 400),
    ("non-ascii-target", req("GET /caf\xe9 HTTP/1.1", H), 400),
    ("bad-method-char", req("G(T / HTTP/1.1", H), 400),
    ("empty-method", req(" / HTTP/1.1", H), 400),
    ("leading-space-line", req(" GET / HTTP/1.1", H), 400),
    # Versions
    ("http2", req("GET / HTTP/2.0", H), 505),
    ("http09", req("GET / HTTP/0.9", H), 505),
    ("http3", req("GET / HTTP/3.1", H), 505),
    # Header syntax
    ("space-before-colon", req("GET / HTTP/1.1", "Host : h"), 400),
    ("tab-before-colon", req("GET / HTTP/1.1", H, "X\t: y"), 400),
    ("no-colon", req("GET / HTTP/1.1", H, "X y"), 400),
    ("empty-name", req("GET / HTTP/1.1", H, ": y"), 400),
    ("bad-name-char", req("GET / HTTP/1.1", H, "X(y): z"), 400),
    ("non-ascii-name", req("GET / HTTP/1.1", H, "X\xe9: z"), 400),
    ("nul-in-value", req("GET / HTTP/1.1", H, "X: a\x00b"), 400),
    ("nul-in-name", req("GET / HTTP/1.1", H, "X\x00: b"), 400),
    ("ctl-in-value", req("GET / HTTP/1.1", H, "X: a\x1bb"), 400),
    ("del-in-value", req("GET / HTTP/1.1", H, "X: a\x7fb"), 400),
    ("vt-in-value", req("GET / HTTP/1.1", H, "X: a\x0bb"), 400),
    ("obs-fold", req("GET / HTTP/1.1", H, "X: a", " b"), 400),
    ("obs-fold-tab", req("GET / HTTP/1.1", H, "X: a", "\tb"), 400),
    ("first-line-folded", req("GET / HTTP/1.1", " Host: h"), 400),
    # Bare CR and LF
    ("bare-lf-after-line", b"GET / HTTP/1.1\nHost: h\r\n\r\n", 400),
    ("bare-lf-everywhere", b"GET / HTTP/1.1\nHost: h\n\n", 400),
    ("bare-lf-end", b"GET / HTTP/1.1\r\nHost: h\n\r\n", 400),
    ("bare-lf-in-value", b"GET / HTTP/1.1\r\nHost: h\r\nX: a\nb\r\n\r\n", 400),
    ("bare-cr-after-line", b"GET / HTTP/1.1\rHost: h\r\n\r\n", 400),
    ("bare-cr-in-value", b"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400),
    ("cr-cr-lf", b"GET / HTTP/1.1\r\r\nHost: h\r\n\r\n", 400),
    ("leading-bare-lf", b"\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    # Host
    ("http11-no-host", req("GET / HTTP/1.1"), 400),
    ("two-hosts", req("GET / HTTP/1.1", H, H), 400),
    ("two-hosts-http10", req("GET / HTTP/1.0", "Host: a", "Host: b"), 400),
    ("host-space", req("GET / HTTP/1.1", "Host: a b"), 400),
    ("host-userinfo", req("GET / HTTP/1.1", "Host: user@h"), 400),
    ("host-path", req("GET / HTTP/1.1", "Host: h/x"), 400),
    ("host-bad-port", req("GET / HTTP/1.1", "Host: h:8x"), 400),
    ("host-open-bracket", req("GET / HTTP/1.1", "Host: [::1"), 400),
    ("host-comma", req("GET / HTTP/1.1", "Host: a, b"), 400),
    # Targets
    ("fragment", req("GET /a#b HTTP/1.1", H), 400),
    ("asterisk-not-options", req("GET * HTTP/1.1", H), 400),
    ("relative-target", req("GET a/b HTTP/1.1", H), 400),
    ("ftp-scheme", req("GET ftp://h/x HTTP/1.1", H), 400),
    ("one-slash-scheme", req("GET http:/x HTTP/1.1", H), 400),
    ("absolute-userinfo", req("GET http://u:p@h/x HTTP/1.1", H), 400),
    ("connect", req("CONNECT h:443 HTTP/1.1", "Host: h:443"), 501),
    ("connect-origin-form", req("CONNECT / HTTP/1.1", H), 501),
    # Percent-encoding and UTF-8 in the path
    ("percent-not-hex", req("GET /%zz HTTP/1.1", H), 400),
    ("percent-one-digit", req("GET /a%2 HTTP/1.1", H), 400),
    ("percent-at-end", req("GET /a% HTTP/1.1", H), 400),
    ("percent-non-utf8", req("GET /%ff HTTP/1.1", H), 400),
    ("percent-latin1", req("GET /caf%E9 HTTP/1.1", H), 400),
    ("percent-overlong", req("GET /%C0%AF HTTP/1.1", H), 400),
    ("percent-surrogate", req("GET /%ED%A0%80 HTTP/1.1", H), 400),
    ("percent-truncated-utf8", req("GET /%E2%9C HTTP/1.1", H), 400),
    ("percent-nul", req("GET /%00 HTTP/1.1", H), 400),
    ("percent-nul-inside", req("GET /a%00b HTTP/1.1", H), 400),
    ("percent-absolute-form", req("GET http://h/%ff HTTP/1.1", H), 400),
    # Content-Length
    ("cl-plus", req("POST / HTTP/1.1", H, "Content-Length: +5"), 400),
    ("cl-minus", req("POST / HTTP/1.1", H, "Content-Length: -5"), 400),
    ("cl-inner-space", req("POST / HTTP/1.1", H, "Content-Length: 1 0"), 400),
    ("cl-hex", req("POST / HTTP/1.1", H, "Content-Length: 0x5"), 400),
    ("cl-exponent", req("POST / HTTP/1.1", H, "Content-Length: 1e3"), 400),
    ("cl-empty", req("POST / HTTP/1.1", H, "Content-Length:"), 400),
    ("cl-trailing-comma", req("POST / HTTP/1.1", H, "Content-Length: 5,"), 400),
    ("cl-list-differs", req("POST / HTTP/1.1", H, "Content-Length: 5, 6"), 400),
    (
        "cl-repeated-differs",
        req("POST / HTTP/1.1", H, "Content-Length: 5", "Content-Length: 6"),
        400,
    ),
    ("cl-nbsp", req("POST / HTTP/1.1", H, "Content-Length: 5\xa0"), 400),
    ("cl-nel", req("POST / HTTP/1.1", H, "Content-Length: \x855"), 400),
    ("cl-too-many-digits", req("POST / HTTP/1.1", H, "Content-Length: " + "0" * 25 + "1"), 400),
    ("cl-unicode-digit", req("POST / HTTP/1.1", H, "Content-Length: \xb2"), 400),
    # Transfer-Encoding
    ("cl-and-te", req("POST / HTTP/1.1", H, "Content-Length: 5", CHUNKED), 400),
    ("te-and-cl", req("POST / HTTP/1.1", H, CHUNKED, "Content-Length: 0"), 400),
    ("te-http10", req("POST / HTTP/1.0", CHUNKED), 400),
    ("te-chunked-not-last", req("POST / HTTP/1.1", H, "Transfer-Encoding: chunked, gzip"), 400),
    ("te-chunked-twice", req("POST / HTTP/1.1", H, "Transfer-Encoding: chunked, chunked"), 400),
    ("te-repeated-header", req("POST / HTTP/1.1", H, CHUNKED, CHUNKED), 400),
    ("te-identity", req("POST / HTTP/1.1", H, "Transfer-Encoding: identity"), 400),
    ("te-empty", req("POST / HTTP/1.1", H, "Transfer-Encoding:"), 400),
    ("te-empty-element", req("POST / HTTP/1.1", H, "Transfer-Encoding: , chunked"), 400),
    ("te-xchunked", req("POST / HTTP/1.1", H, "Transfer-Encoding: xchunked"), 400),
    ("te-nbsp", req("POST / HTTP/1.1", H, "Transfer-Encoding: chunked\xa0"), 400),
    ("te-param", req("POST / HTTP/1.1", H, "Transfer-Encoding: chunked;q=1"), 400),
    ("te-gzip-chunked", req("POST / HTTP/1.1", H, "Transfer-Encoding: gzip, chunked"), 501),
    ("te-split-gzip", req("POST / HTTP/1.1", H, "Transfer-Encoding: gzip", CHUNKED), 501),
    # Expect
    ("expect-other", req("POST / HTTP/1.1", H, "Expect: 200-ok"), 417),
    ("expect-empty", req("POST / HTTP/1.1", H, "Expect:"), 417),
    (
        "expect-repeated",
        req("POST / HTTP/1.1", H, "Expect: 100-continue", "Expect: 100-continue"),
        400,
    ),
]

CHUNK_ERROR_CASES: list[tuple[str, bytes, int]] = [
    ("hex-prefix", b"0x5\r\nhello\r\n0\r\n\r\n", 400),
    ("negative", b"-1\r\n", 400),
    ("plus", b"+5\r\nhello\r\n", 400),
    ("leading-space", b" 5\r\nhello\r\n", 400),
    ("empty-size", b"\r\nhello\r\n", 400),
    ("not-hex", b"g\r\n", 400),
    ("seventeen-digits", b"0" * 16 + b"5\r\nhello\r\n", 400),
    ("huge-hex", b"1" + b"0" * 20 + b"\r\n", 400),
    ("bare-lf-after-size", b"5\nhello\r\n0\r\n\r\n", 400),
    ("bare-cr-after-size", b"5\rhello\r\n0\r\n\r\n", 400),
    ("bare-lf-in-ext", b"5;a\nb\r\nhello\r\n0\r\n\r\n", 400),
    ("nul-in-ext", b"5;a\x00\r\nhello\r\n0\r\n\r\n", 400),
    ("size-line-too-long", b"5;" + b"x" * 5000 + b"\r\nhello\r\n0\r\n\r\n", 400),
    ("size-line-too-long-no-end", b"5;" + b"x" * 5000, 400),
    ("data-too-long", b"5\r\nhello!\r\n0\r\n\r\n", 400),
    ("data-then-lf", b"5\r\nhello\n0\r\n\r\n", 400),
    ("data-then-cr-x", b"5\r\nhello\rx", 400),
    ("last-chunk-bare-lf", b"5\r\nhello\r\n0\n\n", 400),
    ("trailer-malformed", b"0\r\nbad trailer\r\n\r\n", 400),
    ("trailer-obs-fold", b"0\r\nX: a\r\n b\r\n\r\n", 400),
    ("trailer-bare-lf", b"0\r\nX: a\n\r\n", 400),
    ("trailer-nul", b"0\r\nX: a\x00\r\n\r\n", 400),
    ("trailer-bare-cr", b"0\r\nX: a\rb\r\n\r\n", 400),
]

_CHUNKED_HEAD = req("POST / HTTP/1.1", H, CHUNKED)
ALL_ERROR_CASES = ERROR_CASES + [
    ("chunk-" + name, _CHUNKED_HEAD + body, status) for name, body, status in CHUNK_ERROR_CASES
]


@pytest.mark.parametrize(
    ("data", "status"), [c[1:] for c in ALL_ERROR_CASES], ids=[c[0] for c in ALL_ERROR_CASES]
)
def test_error_status(data: bytes, status: int) -> None:
    outcome = parse(data)
    assert outcome.status == status
    assert outcome.closed


@pytest.mark.parametrize(
    ("data", "status"), [c[1:] for c in ALL_ERROR_CASES], ids=[c[0] for c in ALL_ERROR_CASES]
)
def test_error_status_split_at_every_byte(data: bytes, status: int) -> None:
    whole = parse(data)
    for cut in range(1, len(data), max(1, len(data) // 300)):
        assert parse(data, [cut]) == whole, cut
    assert parse(data, range(len(data))) == whole


def test_error_message_names_the_problem() -> None:
    parser = RequestParser()
    parser.feed(req("POST / HTTP/1.1", H, "Content-Length: 5", CHUNKED))
    with pytest.raises(ProtocolError) as info:
        parser.next_event()
    assert info.value.status == 400
    assert "Content-Length" in info.value.message and "Transfer-Encoding" in info.value.message
    assert repr(info.value).startswith("ProtocolError(400, ")


def test_obs_fold_message() -> None:
    parser = RequestParser()
    parser.feed(req("GET / HTTP/1.1", H, "X: a", " b"))
    with pytest.raises(ProtocolError, match="folding"):
        parser.next_event()


def test_parser_stays_closed_after_an_error() -> None:
    parser = RequestParser()
    parser.feed(b"GET / HTTP/1.1\r\nHost: a\x00\r\n\r\n")
    with pytest.raises(ProtocolError):
        parser.next_event()
    assert parser.closed
    assert not parser.between_requests
    assert parser.buffered == 0
    parser.feed(req("GET / HTTP/1.1", H))
    assert parser.buffered == 0
    assert parser.next_event() is NEED_DATA
    assert parser.next_event() is NEED_DATA


def test_error_in_a_later_pipelined_request_keeps_earlier_events() -> None:
    data = (
        req("GET /1 HTTP/1.1", H) + req("GET /2 HTTP/1.1", "Host : h") + req("GET /3 HTTP/1.1", H)
    )
    outcome = parse(data)
    assert outcome.status == 400
    assert [type(e) for e in outcome.events] == [RequestHead, EndOfMessage]


# -- smuggling: nothing after an ambiguous request is ever parsed as a request -------------


@pytest.mark.parametrize(
    "smuggle",
    [
        req("POST / HTTP/1.1", H, "Content-Length: 4", CHUNKED, body=b"0\r\n\r\n"),
        req("POST / HTTP/1.1", H, "Transfer-Encoding: chunked ", "Content-Length: 4")
        + b"0\r\n\r\n",
        req("POST / HTTP/1.1", H, "Content-Length: 0", "Content-Length: 44"),
        req("POST / HTTP/1.1", H, "Content-Length : 44"),
        req("POST / HTTP/1.1", H, "Transfer-Encoding: xchunked", "Content-Length: 4"),
        req("POST / HTTP/1.1", H, "X: x", " Transfer-Encoding: chunked"),
        b"POST / HTTP/1.1\r\nHost: h\r\nX: x\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\n\r\n\r\n",
    ],
)
def test_smuggling_vector_never_yields_a_second_request(smuggle: bytes) -> None:
    data = smuggle + req("GET /admin HTTP/1.1", H)
    outcome = parse(data)
    assert outcome.status == 400
    assert outcome.events == []


# -- keep-alive ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "connection", "keep_alive"),
    [
        ("1.1", [], True),
        ("1.1", ["close"], False),
        ("1.1", ["Close"], False),
        ("1.1", ["keep-alive, close"], False),
        ("1.1", ["foo", "close"], False),
        ("1.1", ["upgrade"], True),
        ("1.1", [" keep-alive "], True),
        ("1.1", ["closed"], True),
        ("1.0", [], False),
        ("1.0", ["keep-alive"], True),
        ("1.0", ["Keep-Alive"], True),
        ("1.0", ["foo,keep-alive"], True),
        ("1.0", ["foo", "Keep-Alive"], True),
        ("1.0", ["keep-alive, close"], False),
        ("1.0", ["foo"], False),
        ("1.0", ["keep-alives"], False),
    ],
)
def test_keep_alive_rules(version: str, connection: list[str], keep_alive: bool) -> None:
    head = req(f"GET / HTTP/{version}", H, *(f"Connection: {c}" for c in connection))
    outcome = parse(head + req("GET /next HTTP/1.1", H))
    first = outcome.events[0]
    assert isinstance(first, RequestHead)
    assert first.keep_alive is keep_alive
    assert first.http_version == version
    if keep_alive:
        assert len(requests_of(outcome)) == 2
        assert not outcome.closed
    else:
        # The connection ends with this request: what follows is never parsed.
        assert len(requests_of(outcome)) == 1
        assert outcome.closed


def test_keep_alive_false_discards_later_bytes() -> None:
    parser = RequestParser()
    parser.feed(req("POST / HTTP/1.1", H, "Connection: close", "Content-Length: 2", body=b"ab"))
    parser.feed(b"GET / HTTP/1.1\r\n")
    assert isinstance(parser.next_event(), RequestHead)
    assert parser.next_event() == Data(b"ab")
    assert parser.next_event() == EndOfMessage()
    assert parser.closed
    assert parser.buffered == 0
    parser.feed(b"Host: h\r\n\r\n")
    assert parser.next_event() is NEED_DATA


# -- Host, Expect, targets -------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "h",
        "",
        "localhost:8000",
        "127.0.0.1",
        "[::1]",
        "[::1]:80",
        "[v1.x]",
        "a-b.c_d~e",
        "%41b",
        "h:",
    ],
)
def test_valid_hosts(host: str) -> None:
    assert ("host", host) in head_of(req("GET / HTTP/1.1", f"Host: {host}")).headers


def test_http10_needs_no_host() -> None:
    assert head_of(req("GET / HTTP/1.0")).headers == []


def test_expect_100_continue() -> None:
    head = head_of(req("POST / HTTP/1.1", H, "Expect: 100-Continue", "Content-Length: 3"))
    assert head.expect_continue
    assert not head_of(req("POST / HTTP/1.1", H, "Content-Length: 3")).expect_continue
    # HTTP/1.0 clients cannot wait for 100 Continue (RFC 9110 10.1.1): ignored.
    assert not head_of(req("POST / HTTP/1.0", "Expect: 100-continue")).expect_continue


@pytest.mark.parametrize(
    ("target", "path", "query"),
    [
        ("http://example.com", "/", ""),
        ("http://example.com?x=1", "/", "x=1"),
        ("http://example.com?x=/y", "/", "x=/y"),
        ("HTTPS://EXAMPLE.com:8443/a%20b?c", "/a b", "c"),
        ("http://[::1]:8000/v6", "/v6", ""),
        ("http:///empty-authority", "/empty-authority", ""),
        ("/plain?a=b?c", "/plain", "a=b?c"),
        ("/", "/", ""),
        ("/?", "/", ""),
    ],
)
def test_targets(target: str, path: str, query: str) -> None:
    head = head_of(req(f"GET {target} HTTP/1.1", H))
    assert (head.target, head.path, head.query_string) == (target, path, query)


def test_decode_path() -> None:
    assert decode_path("/plain") == "/plain"
    assert decode_path("/%E2%9C%93%2f") == "/\u2713/"
    for bad in ("/%", "/%g0", "/%ff", "/%00", "/%c3"):
        with pytest.raises(ProtocolError) as info:
            decode_path(bad)
        assert info.value.status == 400


# -- pipelining, leading CRLFs, splits ---------------------------------------------------------

PIPELINE = pipeline(
    req("GET /1 HTTP/1.1", H),
    req("POST /2 HTTP/1.1", H, "Content-Length: 5", body=b"hello"),
    b"\r\n",  # an empty line between requests is allowed (RFC 9112 2.2)
    req("PUT /3 HTTP/1.1", H, CHUNKED) + b"3;e=1\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n",
    req("GET /4?q HTTP/1.0", "Connection: keep-alive"),
    req("DELETE /5 HTTP/1.1", H, "Connection: close"),
    req("GET /never HTTP/1.1", H),
)


def test_pipelined_requests_in_one_feed() -> None:
    outcome = parse(PIPELINE)
    assert outcome.status is None
    done = requests_of(outcome)
    assert [(h.method, h.path, body) for h, body in done] == [
        ("GET", "/1", b""),
        ("POST", "/2", b"hello"),
        ("PUT", "/3", b"abcde"),
        ("GET", "/4", b""),
        ("DELETE", "/5", b""),
    ]
    assert outcome.closed


def test_pipeline_split_at_every_byte_position() -> None:
    whole = parse(PIPELINE)
    for cut in range(1, len(PIPELINE)):
        assert parse(PIPELINE, [cut]) == whole, cut
    for a in range(0, len(PIPELINE), 7):
        assert parse(PIPELINE, [a, a + 3, a + 11]) == whole, a
    assert parse(PIPELINE, range(len(PIPELINE))) == whole


def test_pipeline_next_event_one_at_a_time() -> None:
    parser = RequestParser()
    parser.feed(req("GET /1 HTTP/1.1", H) + req("GET /2 HTTP/1.1", H))
    first = parser.next_event()
    assert isinstance(first, RequestHead) and first.path == "/1"
    assert parser.buffered > 0
    assert parser.next_event() == EndOfMessage()
    assert parser.buffered > 0
    second = parser.next_event()
    assert isinstance(second, RequestHead) and second.path == "/2"
    assert parser.next_event() == EndOfMessage()
    assert parser.between_requests
    assert parser.next_event() is NEED_DATA


def test_between_requests() -> None:
    parser = RequestParser()
    assert parser.between_requests
    parser.feed(b"G")
    assert parser.next_event() is NEED_DATA
    assert not parser.between_requests


def test_leading_crlfs_are_ignored() -> None:
    outcome = parse(b"\r\n" * 50 + req("GET / HTTP/1.1", H))
    assert len(requests_of(outcome)) == 1
    assert parse(b"\r\n" * 3) == ([], None, False)
    assert parse(b"\r\n\r") == ([], None, False)


def test_body_bytes_are_not_parsed_as_a_head() -> None:
    body = req("GET /inner HTTP/1.1", H)
    outcome = parse(req("POST / HTTP/1.1", H, f"Content-Length: {len(body)}", body=body))
    assert requests_of(outcome) == [(outcome.events[0], body)]


def test_need_data_until_the_head_ends() -> None:
    parser = RequestParser()
    assert parser.between_requests
    for byte in req("GET / HTTP/1.1", H)[:-1]:
        parser.feed(bytes([byte]))
        assert parser.next_event() is NEED_DATA
    parser.feed(b"\n")
    assert isinstance(parser.next_event(), RequestHead)


def test_data_comes_as_it_arrives() -> None:
    parser = RequestParser()
    parser.feed(req("POST / HTTP/1.1", H, "Content-Length: 6"))
    assert isinstance(parser.next_event(), RequestHead)
    assert parser.next_event() is NEED_DATA
    parser.feed(b"abc")
    assert parser.next_event() == Data(b"abc")
    assert parser.next_event() is NEED_DATA
    parser.feed(b"defGET")
    assert parser.next_event() == Data(b"def")
    assert parser.next_event() == EndOfMessage()
    assert parser.next_event() is NEED_DATA
    assert parser.buffered == 3


# -- no quadratic blow-ups on hostile input --------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nHost: h\r\nX: a" + b" " * 60000 + b"b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\nX: a" + b" " * 60000 + b"\x00\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\nX:" + b" \t" * 30000 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\n" + b"a:\r\n" * 15000 + b"\r\n",
    ],
)
def test_hostile_heads_parse_in_linear_time(data: bytes) -> None:
    started = time.perf_counter()
    parse(data)
    parse(data, range(0, len(data), 1000))
    assert time.perf_counter() - started < 0.5


def test_trickled_trailers_are_not_quadratic() -> None:
    data = _CHUNKED_HEAD + b"0\r\nX: " + b"v" * 60000 + b"\r\n\r\n"
    started = time.perf_counter()
    outcome = parse(data, range(0, len(data), 16))
    assert outcome.status is None
    assert time.perf_counter() - started < 2


def test_a_cached_head_leaves_the_parser_as_parsing_does() -> None:
    heads = HeadCache()
    data = req("GET /a?x=1 HTTP/1.1", H, "X-Seen: 1")
    first = RequestParser(heads=heads).feed_request(data)
    parser = RequestParser(heads=heads)
    again = parser.feed_request(data)  # from the cache
    assert again is not None and first is not None
    assert again == first
    # The head is shared, and nothing a request can do to it reaches another.
    fields = again.headers
    assert isinstance(fields, HeaderFields)
    listed = fields.pairs()
    listed.append(("x-added", "1"))
    assert fields.pairs() == [("host", "h"), ("x-seen", "1")] == list(first.headers)
    assert fields[:1] == [("host", "h")] and fields == fields.pairs()
    assert parser.between_requests and parser.next_event() is NEED_DATA
    # The next request on the connection is parsed as usual.
    assert parser.feed_request(req("GET /b HTTP/1.1", H)).path == "/b"  # type: ignore[union-attr]
    closing = req("GET / HTTP/1.1", H, "Connection: close")
    RequestParser(heads=heads).feed_request(closing)
    parser = RequestParser(heads=heads)
    assert parser.feed_request(closing).keep_alive is False  # type: ignore[union-attr]
    assert parser.closed


def test_the_cache_keeps_only_whole_body_less_heads_and_stays_small() -> None:
    heads = HeadCache(DEFAULT_LIMITS, size=2, max_bytes=100)
    with pytest.raises(ProtocolError):
        RequestParser(heads=heads).feed_request(b"GET / HTTP/1.1\r\nHost: a\x00\r\n\r\n")
    posted = req("POST / HTTP/1.1", H, "Content-Length: 2")
    assert RequestParser(heads=heads).feed_request(posted) is None
    long = req("GET /" + "a" * 100 + " HTTP/1.1", H)
    assert RequestParser(heads=heads).feed_request(long) is not None
    assert not heads  # an error, a head with a body, a head over max_bytes: none kept
    for path in ("/1", "/2", "/3"):
        RequestParser(heads=heads).feed_request(req(f"GET {path} HTTP/1.1", H))
        assert len(heads) <= 2
    assert req("GET /3 HTTP/1.1", H) in heads


def test_a_cache_serves_only_parsers_of_its_own_limits() -> None:
    strict = Limits(max_header_count=1)
    with pytest.raises(ValueError, match="HeadCache of its own"):
        RequestParser(strict, HeadCache())
    heads = HeadCache(strict)
    data = req("GET / HTTP/1.1", H, "A: 1")
    for _ in range(2):  # parsed, then from the cache: refused both times
        with pytest.raises(ProtocolError) as info:
            RequestParser(strict, heads).feed_request(data)
        assert info.value.status == 431
    assert (
        RequestParser(strict, heads).feed_request(bytearray(req("GET / HTTP/1.1", H))) is not None
    )
