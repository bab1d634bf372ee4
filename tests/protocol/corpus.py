"""Shared helpers and data for the protocol tests: a driver that feeds bytes in
any split, and a corpus of valid requests (also checked against h11)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple
from urllib.parse import quote

from hypothesis import strategies as st

from kali.protocol import (
    DEFAULT_LIMITS,
    NEED_DATA,
    Data,
    EndOfMessage,
    Event,
    Limits,
    ProtocolError,
    RequestHead,
    RequestParser,
)


class Outcome(NamedTuple):
    """What a parser made of some bytes: its events (adjacent ``Data`` merged,
    since how a body is cut depends on the feeds), then the status of the
    ProtocolError that stopped it (None if it only ran out of data)."""

    events: list[Event]
    status: int | None
    closed: bool


def pieces(data: bytes, cuts: Iterable[int]) -> Iterator[bytes]:
    """``data`` cut at the given positions (out-of-range ones are ignored)."""
    start = 0
    for cut in sorted(set(cuts)):
        if start < cut < len(data):
            yield data[start:cut]
            start = cut
    yield data[start:]


def merge_data(events: Iterable[Event]) -> list[Event]:
    merged: list[Event] = []
    for event in events:
        if isinstance(event, Data) and merged and isinstance(merged[-1], Data):
            merged[-1] = Data(merged[-1].data + event.data)
        else:
            merged.append(event)
    return merged


def parse(data: bytes, cuts: Iterable[int] = (), limits: Limits = DEFAULT_LIMITS) -> Outcome:
    """Feed ``data`` cut at ``cuts``, taking every event after each feed."""
    parser = RequestParser(limits)
    events: list[Event] = []
    status = None
    try:
        for piece in pieces(data, cuts):
            parser.feed(piece)
            while (event := parser.next_event()) is not NEED_DATA:
                assert isinstance(event, RequestHead | Data | EndOfMessage)
                events.append(event)
    except ProtocolError as exc:
        status = exc.status
    return Outcome(merge_data(events), status, parser.closed)


def status_of(data: bytes, limits: Limits = DEFAULT_LIMITS) -> int | None:
    return parse(data, limits=limits).status


def requests_of(outcome: Outcome) -> list[tuple[RequestHead, bytes]]:
    """Complete requests (head and body) in an outcome's events."""
    done: list[tuple[RequestHead, bytes]] = []
    head: RequestHead | None = None
    body = b""
    for event in outcome.events:
        if isinstance(event, RequestHead):
            head, body = event, b""
        elif isinstance(event, Data):
            body += event.data
        else:
            assert head is not None
            done.append((head, body))
            head = None
    return done


def _get(target: str, *headers: str, version: str = "1.1") -> bytes:
    lines = [f"GET {target} HTTP/{version}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _with_body(method: str, target: str, body: bytes, *headers: str) -> bytes:
    head = [f"{method} {target} HTTP/1.1", "Host: example.com", *headers]
    head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _chunked(method: str, target: str, chunks: list[bytes], *headers: str, ext: str = "") -> bytes:
    head = [f"{method} {target} HTTP/1.1", "Host: example.com", *headers]
    head.append("Transfer-Encoding: chunked")
    out = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
    for chunk in chunks:
        out += f"{len(chunk):x}{ext}\r\n".encode() + chunk + b"\r\n"
    return out + b"0\r\n\r\n"


_BROWSER_HEADERS = (
    "Host: localhost:8000",
    "Connection: keep-alive",
    'sec-ch-ua: "Chromium";v="124", "Not-A.Brand";v="99"',
    "sec-ch-ua-mobile: ?0",
    'sec-ch-ua-platform: "Linux"',
    "Upgrade-Insecure-Requests: 1",
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Sec-Fetch-Site: none",
    "Sec-Fetch-Mode: navigate",
    "Accept-Encoding: gzip, deflate, br",
    "Accept-Language: en-GB,en;q=0.9",
    "Cookie: session=abc123; theme=dark; _ga=GA1.1.2.3",
)

#: Valid requests, each on its own: (id, bytes). kali and h11 must agree on all.
VALID_REQUESTS: list[tuple[str, bytes]] = [
    ("minimal", _get("/", "Host: a")),
    ("http10-no-host", _get("/", version="1.0")),
    ("http10-host", _get("/index.html", "Host: example.com", version="1.0")),
    ("http10-keep-alive", _get("/", "Connection: keep-alive", version="1.0")),
    ("browser", _get("/app/page?tab=2", *_BROWSER_HEADERS)),
    ("query", _get("/search?q=a+b&lang=en&empty=&flag", "Host: h")),
    ("query-percent", _get("/s?q=%E2%9C%93&x=%ff", "Host: h")),
    ("percent-path", _get("/caf%C3%A9/na%C3%AFve", "Host: h")),
    ("percent-slash", _get("/a%2Fb/c%20d", "Host: h")),
    ("odd-path-chars", _get("/a;b=c/d:e@f!$&'()*+,~-._", "Host: h")),
    ("double-slash", _get("//x//y/", "Host: h")),
    ("absolute-form", _get("http://example.com/a/b?c=d", "Host: example.com")),
    ("absolute-form-no-path", _get("http://example.com", "Host: example.com")),
    ("absolute-form-https-port", _get("https://example.com:8443/x", "Host: example.com:8443")),
    ("asterisk", b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"),
    ("ipv6-host", _get("/", "Host: [::1]:8000")),
    ("ipv4-host", _get("/", "Host: 127.0.0.1:65535")),
    ("empty-host", _get("/", "Host:")),
    ("odd-method", b"M-SEARCH /upnp HTTP/1.1\r\nHost: h\r\n\r\n"),
    ("token-method", _get("/", "Host: h").replace(b"GET", b"X!#$%&'*+-.^_`|~9", 1)),
    ("lower-method", _get("/", "Host: h").replace(b"GET", b"get", 1)),
    ("repeated-headers", _get("/", "Host: h", "Accept: a", "X-Y: 1", "accept: b", "X-y: 2")),
    ("header-ows", _get("/", "Host:h", "A:  spaced  ", "B:\ttabbed\t", "C: \t mixed \t ")),
    ("empty-values", _get("/", "Host: h", "X-Empty:", "Y-Empty:   ")),
    ("inner-whitespace", _get("/", "Host: h", "X: a  b\tc")),
    ("obs-text", _get("/", "Host: h", "X-Latin: caf\xe9 \xff")),
    ("odd-token-names", _get("/", "Host: h", "!#$%&'*+-.^_`|~: v", "X_Under_Score: 1")),
    ("quotes-and-commas", _get("/", "Host: h", 'X: "a, b", c; d=e')),
    ("many-headers", _get("/", "Host: h", *(f"X-H{i}: value {i}" for i in range(60)))),
    ("long-value", _get("/", "Host: h", "X-Long: " + "v" * 4000)),
    ("connection-close", _get("/", "Host: h", "Connection: close")),
    ("connection-tokens", _get("/", "Host: h", "Connection: Upgrade, Keep-Alive")),
    ("expect-continue", _with_body("POST", "/upload", b"data", "Expect: 100-continue")),
    ("post-form", _with_body("POST", "/form", b"a=1&b=2", "Content-Type: x-www-form-urlencoded")),
    ("post-json", _with_body("POST", "/api", b'{"a": [1, 2]}', "Content-Type: application/json")),
    ("post-empty", _with_body("POST", "/", b"")),
    ("put-binary", _with_body("PUT", "/file", bytes(range(256)) * 4)),
    ("patch", _with_body("PATCH", "/item/1", b"\r\n\r\nnot a head\r\n")),
    ("delete-body", _with_body("DELETE", "/item/1", b"x")),
    (
        "cl-leading-zeros",
        _get("/", "Host: h", "Content-Length: 0003").replace(b"GET", b"PUT") + b"abc",
    ),
    ("chunked-one", _chunked("POST", "/c", [b"hello"])),
    ("chunked-many", _chunked("POST", "/c", [b"a", b"bc" * 9, b"\r\n", b"x" * 300])),
    ("chunked-binary", _chunked("PUT", "/c", [bytes(range(256))])),
    ("chunked-ext", _chunked("POST", "/c", [b"abc", b"de"], ext=";name=value;flag")),
    ("chunked-quoted-ext", _chunked("POST", "/c", [b"abc"], ext=';q="a b"')),
    ("chunked-empty", _chunked("POST", "/c", [])),
    (
        "chunked-upper-hex",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"A\r\n0123456789\r\n00\r\n\r\n",
    ),
    (
        "chunked-trailers",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\nX-Checksum: 1\r\nX-Other: two\r\n\r\n",
    ),
    (
        "chunked-te-case",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n",
    ),
    ("leading-crlf", b"\r\n\r\n" + _get("/", "Host: h")),
]


def pipeline(*requests: bytes) -> bytes:
    return b"".join(requests)


# -- generated valid requests (hypothesis) ---------------------------------------------------

_TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_FRAMING_NAMES = {"host", "content-length", "transfer-encoding", "connection", "expect"}
_VCHARS = "".join(map(chr, range(0x21, 0x7F))) + "".join(map(chr, range(0x80, 0x100)))


class Expected(NamedTuple):
    """What the parser must report for a generated request."""

    method: str
    target: str
    path: str
    query_string: str
    http_version: str
    headers: list[tuple[str, str]]
    keep_alive: bool
    body: bytes


class Generated(NamedTuple):
    data: bytes
    expected: Expected


def _case_variants(draw: st.DrawFn, name: str) -> str:
    return "".join(c.upper() if draw(st.booleans()) else c for c in name)


@st.composite
def valid_requests(draw: st.DrawFn, for_h11: bool = False) -> Generated:
    """A valid request with random method, target, headers and body framing.

    With ``for_h11``, only what h11 also accepts and reports the same way
    (no whitespace before a chunk extension, lower-case ``chunked``).
    """
    tokens = st.text(_TCHARS, min_size=1, max_size=10)
    method = draw(
        st.one_of(
            st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
            tokens.filter(lambda m: m != "CONNECT"),
        )
    )
    segments = draw(
        st.lists(
            st.text(
                st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=6
            ),
            max_size=4,
        )
    )
    path = "/" + "/".join(segments)
    raw_path = "/" + "/".join(quote(s, safe="!$&'()*+,;=:@-._~") for s in segments)
    query = draw(st.one_of(st.none(), st.text("abcXYZ019=&+%/?:@-._~!$'()*,;", max_size=20)))
    target = raw_path if query is None else f"{raw_path}?{query}"
    http11 = draw(st.booleans())

    fields: list[tuple[str, str]] = []  # (name as sent, value as sent)
    for name in draw(st.lists(tokens, max_size=8)):
        if name.lower() in _FRAMING_NAMES:
            continue
        value = draw(st.text(_VCHARS + " \t", max_size=30)).strip(" \t")
        left = draw(st.sampled_from(["", " ", "  ", "\t", " \t"]))
        right = draw(st.sampled_from(["", "", " ", "\t "]))
        fields.append((name, left + value + right))
    if http11 or draw(st.booleans()):
        host = draw(
            st.sampled_from(["h", "localhost:8000", "127.0.0.1", "[::1]:8080", "example.com", ""])
        )
        fields.append((_case_variants(draw, "host"), " " + host))
    connection = draw(
        st.lists(st.sampled_from(["close", "keep-alive", "Keep-Alive", "upgrade", "x"]), max_size=2)
    )
    if connection:
        fields.append(("Connection", " " + ", ".join(connection)))
    lowered = {t.lower() for t in connection}
    if http11:
        keep_alive = "close" not in lowered
    else:
        keep_alive = "keep-alive" in lowered and "close" not in lowered

    body = draw(st.binary(max_size=200))
    framing = draw(st.sampled_from(["cl", "chunked", "none"] if http11 else ["cl", "none"]))
    if framing == "none":
        body = b""
    payload = b""
    if framing == "cl":
        fields.append((_case_variants(draw, "content-length"), f" {len(body)}"))
        payload = body
    elif framing == "chunked":
        coding = "chunked" if for_h11 else _case_variants(draw, "chunked")
        fields.append(("Transfer-Encoding", " " + coding))
        cuts = sorted(set(draw(st.lists(st.integers(1, max(1, len(body) - 1)), max_size=5))))
        start = 0
        for cut in [*cuts, len(body)]:
            chunk = body[start:cut]
            start = cut
            if not chunk:
                continue
            size = draw(st.sampled_from(["{:x}", "{:X}", "00{:x}"])).format(len(chunk))
            ext = draw(st.sampled_from(["", ";a", ";a=b;c", ';n="v v"']))
            if ext and not for_h11 and draw(st.booleans()):
                ext = " " + ext
            payload += f"{size}{ext}\r\n".encode() + chunk + b"\r\n"
        payload += b"0\r\n"
        for name in draw(st.lists(tokens, max_size=2)):
            payload += f"{name}: t\r\n".encode()
        payload += b"\r\n"

    order = draw(st.permutations(fields))
    version = "1.1" if http11 else "1.0"
    lines = [f"{method} {target} HTTP/{version}", *(f"{n}:{v}" for n, v in order)]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload
    headers = [(n.lower(), v.strip(" \t")) for n, v in order]
    expected = Expected(method, target, path, query or "", version, headers, keep_alive, body)
    return Generated(data, expected)


def observed(head: RequestHead, body: bytes) -> Expected:
    return Expected(
        head.method,
        head.target,
        head.path,
        head.query_string,
        head.http_version,
        head.headers,
        head.keep_alive,
        body,
    )
