"""HTTP/1.x request parsing, with no sockets: bytes in, events out.

Theory of operation
-------------------
A [`RequestParser`][kali.protocol.RequestParser] belongs to one connection. The server (or the test
client) calls [`feed`][kali.protocol.RequestParser.feed] with whatever bytes arrived and then
[`next_event`][kali.protocol.RequestParser.next_event] until it returns
[`NEED_DATA`][kali.protocol.NEED_DATA]. The events
of one request are, in order:

    RequestHead  Data*  EndOfMessage

after which the parser starts on the next request of a persistent connection
(pipelined bytes may already be buffered), or, when the request ends the
connection, returns [`NEED_DATA`][kali.protocol.NEED_DATA] forever and discards what follows.

The parser has five states:

    HEAD ──(head with a body)──▶ BODY ──▶ HEAD        Content-Length framing
      │                                                        ▲
      ├──(Transfer-Encoding: chunked)──▶ CHUNK_SIZE ⇄ CHUNK_DATA
      │                                      └──▶ TRAILERS ──┘
      └──(head without a body)──▶ HEAD (or CLOSED when not keep-alive)

Anything the client got wrong raises [`ProtocolError`][kali.errors.ProtocolError] with the status
to answer (400, 413, 414, 417, 431, 501 or 505); after that the parser is
in an error state and the connection must be closed, since the framing of
whatever follows is unknown. Framing is never guessed: Content-Length together
with Transfer-Encoding, differing Content-Lengths, obs-fold, a bare CR or LF,
and malformed chunk sizes are all rejected, as are a malformed Host and an
absolute-form target with userinfo.

However the bytes are split into feeds, the events and the error (status
included) are the same: limits and bare CR/LF are checked while a head is
still arriving, and the error reported is the one that became certain first
in the byte stream (see `_first_violation`).

The hot path (a whole head in one feed) validates the whole head, request line
and field lines, with one regex call, and finds the few fields that matter to
framing in the lower-cased head with another; the field list itself is split out
only if something asks for it (see [`HeaderFields`][kali.protocol.HeaderFields]).
Only when validation fails does `_head_error` work out which rule was broken.

A server's parsers may share a [`HeadCache`][kali.protocol.HeadCache]: a body-less
request whose bytes were parsed before (the same client asking for the same page
again, as browsers and polling pages do) is answered from it. Parsing is a pure
function of the bytes and the limits, so the head is the one parsing would give;
only a head that parsed without error is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, NamedTuple, NoReturn, overload
from urllib.parse import unquote_to_bytes

from .errors import ProtocolError

if TYPE_CHECKING:
    from .multidict import FieldHeaders


class _NeedData:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA: Final = _NeedData()
"""Returned by `RequestParser.next_event` when more bytes are needed."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits applied while parsing; each has its own status code."""

    max_request_line: int = 8 * 1024
    """Longest request line (method, target and version): 414 beyond it."""
    max_head_size: int = 64 * 1024
    """Largest request head (request line plus header fields), and largest trailer section of a
    chunked body: 431 beyond it.
    """
    max_header_count: int = 100
    """Most header fields in one request (and most trailer fields): 431 beyond it."""
    max_body_size: int = 100 * 1024 * 1024
    """Largest request body: 413 beyond it (checked before reading it when declared)."""


DEFAULT_LIMITS: Final = Limits()


class HeaderFields(Sequence[tuple[str, str]]):
    """The header fields of a parsed head: `(name, value)` pairs, names lower-cased,
    values decoded as Latin-1 without surrounding whitespace.

    A view over the head's validated text. [`get`][kali.protocol.HeaderFields.get]
    finds one field with a string search; the pairs are split out only when the
    fields are iterated or indexed (most requests read few of their fields).
    It compares equal to a list of the same pairs.
    """

    __slots__ = ("_headers", "_lower", "_pairs", "_start", "_text")

    def __init__(self, text: str, lower: str, start: int) -> None:
        # `text[start:]` is zero or more field lines, each preceded by CRLF and
        # already validated; `lower` is `text.lower()` (the same length: Latin-1).
        self._text = text
        self._lower = lower
        self._start = start
        self._pairs: tuple[tuple[str, str], ...] | None = None
        self._headers: FieldHeaders | None = None

    def get(self, name: str) -> str | None:
        """The first value of the field `name` (any case), or `None`."""
        return find_field(self._text, self._lower, self._start, name)

    def as_headers(self) -> FieldHeaders:
        """These fields as a [`Headers`][kali.multidict.Headers] mapping (what
        `request.headers` is), made on first use and the same one after: like the
        fields, it never changes, and a head may be shared (see `HeadCache`).
        It holds the head's text, not these fields: no cycle to collect."""
        headers = self._headers
        if headers is None:
            from .multidict import FieldHeaders  # (it reads this module)

            headers = self._headers = FieldHeaders(self._text, self._lower, self._start)
        return headers

    def pairs(self) -> list[tuple[str, str]]:
        """Every field as a `(name, value)` pair, in order (a new list each time)."""
        return list(self._split())

    def _split(self) -> tuple[tuple[str, str], ...]:
        # The pairs, split out once and kept (a tuple: a head may be shared, see HeadCache).
        pairs = self._pairs
        if pairs is None:
            block = self._text[self._start + 2 :]
            pairs = self._pairs = (
                tuple(
                    (name.lower(), value.strip(" \t"))
                    for name, _, value in (line.partition(":") for line in block.split("\r\n"))
                )
                if block
                else ()
            )
        return pairs

    @overload
    def __getitem__(self, index: int) -> tuple[str, str]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[str, str]]: ...
    def __getitem__(self, index: int | slice) -> tuple[str, str] | list[tuple[str, str]]:
        if isinstance(index, slice):
            return list(self._split()[index])
        return self._split()[index]

    def __len__(self) -> int:
        return len(self._split())

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._split())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HeaderFields):
            return self._split() == other._split()
        if isinstance(other, list):
            return list(self._split()) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"HeaderFields({self.pairs()!r})"


# "User-Agent" -> "\r\nuser-agent:", the search key of each field name asked for so far.
_search_keys: dict[str, str] = {}


def find_field(text: str, lower: str, start: int, name: str) -> str | None:
    """The first value of the field `name` (any case) in a head's validated text
    (`text[start:]`, field lines each preceded by CRLF; `lower` is `text.lower()`),
    or `None`: one string search, no list of fields."""
    key = _search_keys.get(name)
    if key is None:
        if _TOKEN_NAME.fullmatch(name) is None:
            return None  # no field has that name: it is not a token
        key = "\r\n" + name.lower() + ":"
        if len(_search_keys) < 512:
            _search_keys[name] = key
    at = lower.find(key, start)
    if at < 0:
        return None
    begin = at + len(key)
    end = text.find("\r\n", begin)
    return text[begin : end if end >= 0 else None].strip(" \t")


class RequestHead(NamedTuple):
    """The request line and header fields of one request."""

    method: str
    target: str
    """The request target exactly as sent (ASCII)."""
    path: str
    """The path, percent-decoded as UTF-8."""
    raw_path: str
    """The path as sent, still percent-encoded."""
    query_string: str
    """The part of the target after `?` (empty if none)."""
    http_version: str
    """`"1.1"` or `"1.0"`."""
    headers: Sequence[tuple[str, str]]
    """Header fields with lower-cased names, values decoded as Latin-1
    (a [`HeaderFields`][kali.protocol.HeaderFields] when parsed)."""
    keep_alive: bool
    """Whether the connection stays open after this request."""
    expect_continue: bool
    """The client waits for `100 Continue` before sending its body."""
    content_length: int | None
    """The declared body length; `None` for a chunked body (or, in a request made
    around a body still to be read, one whose length is not known yet)."""
    host: str | None
    """The Host header (validated, lower-cased), or `None` for an HTTP/1.0 request without one."""


class Data(NamedTuple):
    """A piece of the request body."""

    data: bytes


class EndOfMessage(NamedTuple):
    """The request body is complete."""


Event = RequestHead | Data | EndOfMessage

# The grammar (RFC 9110 5.6.2, 5.5; RFC 9112 3, 5). Possessive quantifiers
# (``*+``, ``++``) keep every pattern linear: none of them can backtrack, so a
# hostile head cannot make them slow.
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]++"
_REQUEST_LINE = re.compile(rf"({_TOKEN}) ([\x21-\x7e]++) HTTP/([0-9])\.([0-9])")
# A field line; the value may end with whitespace, which the caller strips.
# No control character but tab, and so no CR or LF, anywhere.
_FIELD_LINE = rf"({_TOKEN}):[ \t]*+([\t\x20-\x7e\x80-\xff]*+)"
_FIELD = re.compile(_FIELD_LINE)
# A whole HTTP/1.x head: the request line, then every field line at once, each
# preceded by CRLF. (Another major version fails here; _head_error says 505.)
_WHOLE_HEAD = re.compile(
    rf"({_TOKEN}) ([\x21-\x7e]++) HTTP/1\.([0-9])"
    rf"((?:\r\n{_TOKEN}:[\t\x20-\x7e\x80-\xff]*+)*+)"
)
_TOKEN_NAME = re.compile(_TOKEN)
# The fields that affect framing or the connection, found in a validated,
# lower-cased head (where CRLF only ever starts a field line).
_FRAMING_FIELD = re.compile(
    r"\r\n(host|connection|content-length|transfer-encoding|expect):([^\r]*+)"
)
# A browser's Connection field, as _FRAMING_FIELD finds it: the usual one.
_KEEP_ALIVE: Final = frozenset({("connection", " keep-alive"), ("connection", "keep-alive")})
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*+(?:;[\t\x20-\x7e\x80-\xff]*+)?")
_DIGITS = re.compile(r"[0-9]{1,19}")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# RFC 3986 host [ ":" port ], without userinfo (RFC 9110 4.2.4 forbids it).
_SUB_DELIMS_ETC = r"A-Za-z0-9\-._~!$&'()*+,;="
_HOST = re.compile(
    rf"(?:[{_SUB_DELIMS_ETC}]*+(?:%[0-9A-Fa-f]{{2}}[{_SUB_DELIMS_ETC}]*+)*+"
    rf"|\[[0-9A-Fa-f:.]++\]|\[v[0-9A-Fa-f]++\.[{_SUB_DELIMS_ETC}:]++\])"
    r"(?::[0-9]*+)?"
)
_BARE_LF = re.compile(rb"(?<!\r)\n")
_BARE_CR = re.compile(rb"\r[^\n]")
_MAX_CHUNK_LINE = 4096


class _State:
    """A parser state: a named sentinel (it prints its name)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_HEAD = _State("HEAD")
_BODY = _State("BODY")
_CHUNK_SIZE_LINE = _State("CHUNK_SIZE_LINE")
_CHUNK_DATA = _State("CHUNK_DATA")
_TRAILERS = _State("TRAILERS")
_CLOSED = _State("CLOSED")
_ERROR = _State("ERROR")
_EOM: Final = EndOfMessage()


def decode_path(raw_path: str) -> str:
    """Percent-decode `raw_path` as UTF-8, strictly.

    Raises [`ProtocolError`][kali.errors.ProtocolError] (400) for a malformed `%` escape, bytes that
    are not UTF-8, or an encoded NUL.
    """
    if "%" not in raw_path:
        return raw_path
    if _BAD_PERCENT.search(raw_path):
        raise ProtocolError(400, "Malformed percent-encoding in the path")
    try:
        path = unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(400, "The path is not valid UTF-8") from None
    if "\x00" in path:
        raise ProtocolError(400, "The path contains a NUL byte")
    return path


def split_target(method: str, target: str) -> tuple[str, str]:
    """Split a request target into its raw (still percent-encoded) path and query string.

    Accepts the origin form (`/a?b`), the absolute form (`http://host/a?b`, whose
    authority is checked and dropped) and `*` for `OPTIONS`. Raises
    [`ProtocolError`][kali.errors.ProtocolError] (400, or 501 for `CONNECT`) for anything else, or a
    fragment.
    """
    if "#" in target:
        raise ProtocolError(400, "A fragment is not allowed in the request target")
    if target[:1] != "/":
        if target == "*" and method == "OPTIONS":
            return "*", ""
        if method == "CONNECT":
            raise ProtocolError(501, "CONNECT is not supported")
        scheme, sep, rest = target.partition("://")
        if not sep or scheme.lower() not in ("http", "https"):
            raise ProtocolError(400, "Malformed request target")
        slash = rest.find("/")
        query = rest.find("?")
        if slash < 0 or (0 <= query < slash):
            authority_end = query if query >= 0 else len(rest)
            target = "/" + rest[query:] if query >= 0 else "/"
        else:
            authority_end = slash
            target = rest[slash:]
        if not _HOST.fullmatch(rest, 0, authority_end):
            raise ProtocolError(400, "Malformed authority in the request target")
    raw_path, _, query_string = target.partition("?")
    return raw_path, query_string


# -- errors that show before a block (head or trailers) is complete -----------
#
# A bare CR or LF, a request line that is too long, and a block that is too
# large are detected as soon as enough bytes have arrived, without waiting for
# the CRLFCRLF that ends the block. So that the status does not depend on how
# the bytes were split into feeds, the error raised is always the one that
# became certain first in the byte stream, exactly as if the bytes had arrived
# one at a time (ties: bare LF, bare CR, 414, 431).


def _check_host(host: str) -> None:
    """Refuse a malformed Host value; remember a good one (a server sees the same few)."""
    if not _HOST.fullmatch(host):
        raise ProtocolError(400, "Malformed Host header")
    if len(_good_hosts) < 64:
        _good_hosts.add(host)


_good_hosts: set[str] = set()


def _check_transfer_coding(codings: list[str], http11: bool, content_length: int | None) -> None:
    """Refuse a Transfer-Encoding other than `chunked` alone, on HTTP/1.1, without a
    Content-Length (RFC 9112 6.1: anything else is a smuggling risk or unsupported)."""
    if not http11:
        raise ProtocolError(400, "Transfer-Encoding is not allowed in HTTP/1.0")
    if content_length is not None:
        raise ProtocolError(400, "Both Content-Length and Transfer-Encoding")
    if codings[-1] != "chunked":
        raise ProtocolError(400, "chunked must be the final transfer coding")
    if len(codings) > 1:
        if "chunked" in codings[:-1]:
            raise ProtocolError(400, "chunked applied more than once")
        if "" in codings:
            raise ProtocolError(400, "Empty transfer coding")
        raise ProtocolError(501, "Unsupported transfer coding")


def _first_violation(
    data: bytes, complete: bool, line_limit: int | None, size_limit: int, what: str
) -> ProtocolError | None:
    """The earliest of those errors in `data`, a block being received (or,
    if `complete`, a whole block followed by its CRLFCRLF), or None."""
    found: list[tuple[int, int, ProtocolError]] = []
    # Each candidate: (the number of bytes after which it is certain, tie rank, error).
    m = _BARE_LF.search(data)
    if m is not None:
        found.append((m.start() + 1, 0, ProtocolError(400, f"Bare LF in the {what}")))
    m = _BARE_CR.search(data)
    if m is not None:
        found.append((m.start() + 2, 1, ProtocolError(400, f"Bare CR in the {what}")))
    if line_limit is not None and data.find(b"\r\n", 0, line_limit + 2) < 0:
        # No CRLF starts within the first line_limit + 1 bytes: the line is too
        # long once byte line_limit is seen, unless that byte is a CR (which may
        # be the line's end; the next byte tells).
        at = line_limit + (2 if data[line_limit : line_limit + 1] == b"\r" else 1)
        if at <= len(data):
            found.append((at, 2, ProtocolError(414, "Request line too long")))
    # Only prefixes that do not yet hold the whole CRLFCRLF count here.
    usable = len(data) - 1 if complete else len(data)
    for at in range(size_limit + 1, min(size_limit + 4, usable) + 1):
        # The block is at least `at` bytes minus any trailing part of a CRLFCRLF.
        pending = next(k for k in (3, 2, 1, 0) if data.endswith(b"\r\n\r"[:k], 0, at))
        if at - pending > size_limit:
            found.append((at, 3, ProtocolError(431, f"The {what} is too large")))
            break
    return min(found, key=lambda c: c[:2])[2] if found else None


def _suspicious(buf: bytearray, start: int) -> bool:
    """Whether `buf[start:]` may hold a bare CR or LF (a cheap, incremental check)."""
    if start and buf[start - 1 : start + 1] == b"\r\n":
        start += 1
    # A CR at the very end may yet be followed by its LF.
    stop = len(buf) - 1 if buf.endswith(b"\r") else len(buf)
    if start >= stop:
        return False
    crlf = buf.count(b"\r\n", start, stop)
    return buf.count(b"\n", start, stop) != crlf or buf.count(b"\r", start, stop) != crlf


class HeadCache(dict[bytes, "RequestHead"]):
    """Heads of body-less requests already parsed under `limits`, by their exact
    bytes, shared by the parsers of one server. A head changes no more than a
    tuple of strings does, so each request with those bytes is given the same one.

    At most `size` heads of at most `max_bytes` bytes each are kept; when full it
    starts over, so the heads in use are soon back and memory stays bounded.
    """

    __slots__ = ("limits", "max_bytes", "size")

    def __init__(
        self, limits: Limits = DEFAULT_LIMITS, *, size: int = 256, max_bytes: int = 4096
    ) -> None:
        super().__init__()
        self.limits = limits
        self.size = size
        self.max_bytes = max_bytes

    def remember(self, data: bytes, head: RequestHead) -> None:
        """Keep `head`, parsed from `data`, if it is small enough (and `bytes`)."""
        if len(data) <= self.max_bytes and type(data) is bytes:
            if len(self) >= self.size:
                self.clear()
            self[data] = head


class RequestParser:
    """Parses the requests of one connection. See the module docstring.

    `heads` is a cache shared with the other parsers made with the same `limits`
    (see [`HeadCache`][kali.protocol.HeadCache]); without it every head is parsed.
    A `ValueError` if it holds heads parsed under other limits.
    """

    __slots__ = (
        "_buf",
        "_heads",
        "_keep_alive",
        "_limits",
        "_received",
        "_remaining",
        "_scan_from",
        "_state",
    )

    def __init__(self, limits: Limits = DEFAULT_LIMITS, heads: HeadCache | None = None) -> None:
        if heads is not None and heads.limits != limits:
            raise ValueError(
                f"this HeadCache holds heads parsed under {heads.limits}, not {limits}: "
                "give each set of limits a HeadCache of its own"
            )
        self._limits = limits
        self._heads = heads
        self._buf = bytearray()
        self._state = _HEAD
        self._scan_from = 0  # where the next search for a block's end starts
        self._remaining = 0  # bytes left of the body or of the current chunk
        self._received = 0  # body bytes so far (for max_body_size)
        self._keep_alive = True

    @property
    def buffered(self) -> int:
        """Bytes received but not yet parsed."""
        return len(self._buf)

    @property
    def between_requests(self) -> bool:
        """True when no part of a request has been received yet."""
        return self._state is _HEAD and not self._buf

    @property
    def closed(self) -> bool:
        """True once a request that ends the connection (or an error) was parsed."""
        return self._state is _CLOSED or self._state is _ERROR

    def feed(self, data: bytes) -> None:
        """Add bytes received from the client."""
        if not self.closed:
            self._buf += data

    def next_event(self) -> Event | _NeedData:
        """Return the next event, or [`NEED_DATA`][kali.protocol.NEED_DATA].

        Raises [`ProtocolError`][kali.errors.ProtocolError] when the input is invalid; the parser
        then stays in an error state.
        """
        try:
            state = self._state
            if state is _HEAD:
                return self._read_head()
            if state is _BODY:
                return self._read_body()
            if state is _CHUNK_SIZE_LINE or state is _CHUNK_DATA:
                return self._read_chunk()
            if state is _TRAILERS:
                return self._read_trailers()
            return NEED_DATA
        except ProtocolError:
            self._state = _ERROR
            self._buf.clear()
            raise

    # -- the head -----------------------------------------------------------

    def feed_request(self, data: bytes) -> RequestHead | None:
        """Parse `data` at once when it is exactly one whole request without a body
        and nothing is buffered: the commonest case, in one call.

        Returns the head, with the request complete (its `EndOfMessage` is taken: the
        next event is the next request's). Returns `None`, having consumed nothing,
        for anything else: then [`feed`][kali.protocol.RequestParser.feed] the bytes
        as usual. Raises [`ProtocolError`][kali.errors.ProtocolError] as
        `next_event` would.
        """
        if self._state is not _HEAD or self._buf:
            return None
        if not data.endswith(b"\r\n\r\n") or data.startswith(b"\r\n"):
            return None
        heads = self._heads
        if heads is not None and len(data) <= heads.max_bytes and type(data) is bytes:
            known = heads.get(data)
            if known is not None:
                # What parsing `data` gives, the parser's state included.
                keep_alive = known.keep_alive
                self._keep_alive = keep_alive
                self._received = self._remaining = 0
                self._state = _HEAD if keep_alive else _CLOSED  # its EndOfMessage, taken
                return known
        end = data.find(b"\r\n\r\n")
        if end != len(data) - 4 or end > self._limits.max_head_size or not end:
            return None
        try:
            head = self._parse_head(data[:end].decode("latin-1"))
        except ProtocolError:
            self._state = _ERROR
            raise
        if head.content_length != 0:  # a body follows after all: the caller feeds it
            self._state = _HEAD
            return None
        self._state = _HEAD if head.keep_alive else _CLOSED  # its EndOfMessage, taken
        if heads is not None:
            heads.remember(data, head)
        return head

    def _read_head(self) -> RequestHead | _NeedData:
        buf = self._buf
        if not buf:  # between requests, the usual case after a response
            return NEED_DATA
        # RFC 9112 2.2: ignore empty lines before the request line.
        while buf.startswith(b"\r\n"):
            del buf[:2]
        end = buf.find(b"\r\n\r\n", self._scan_from)
        if end < 0:
            self._check_partial(buf, self._limits.max_request_line, "request head")
            return NEED_DATA
        self._scan_from = 0
        text = buf[:end].decode("latin-1")
        del buf[: end + 4]
        return self._parse_head(text)

    def _check_partial(self, buf: bytearray, line_limit: int | None, what: str) -> None:
        """Raise early for a block (head or trailers) still being received."""
        limits = self._limits
        size = len(buf)
        if (
            size > limits.max_head_size
            or _suspicious(buf, self._scan_from)
            or (
                line_limit is not None
                and size > line_limit
                and buf.find(b"\r\n", 0, line_limit + 2) < 0
            )
        ):
            error = _first_violation(bytes(buf), False, line_limit, limits.max_head_size, what)
            if error is not None:
                raise error
        self._scan_from = max(0, size - 3)

    def _parse_head(self, text: str) -> RequestHead:
        limits = self._limits
        head = _WHOLE_HEAD.fullmatch(text) if len(text) <= limits.max_head_size else None
        if head is None or head.start(4) > limits.max_request_line:
            # Something is malformed or too large: find out what, slowly.
            self._head_error(text)
        method, target, minor = head.group(1, 2, 3)
        http11 = minor != "0"
        line_end = head.start(4)
        # A field line is at least 4 characters ("\r\nX:"): count only if there may be too many.
        max_count = limits.max_header_count
        if len(text) - line_end > 4 * max_count and text.count("\r\n", line_end) > max_count:
            raise ProtocolError(431, "Too many header fields")

        lower = text.lower()
        framing = _FRAMING_FIELD.findall(lower, line_end)
        count = len(framing)
        if (
            0 < count <= 2 and framing[0][0] == "host" and (count == 1 or framing[1] in _KEEP_ALIVE)
        ):  # PERF: the usual heads: Host alone, or with a browser's Connection: keep-alive
            host: str | None = framing[0][1].strip(" \t")
            if host not in _good_hosts:
                _check_host(host)  # type: ignore[arg-type]
            keep_alive = http11 if count == 1 else True
            expect_continue = False
            content_length: int | None = 0
        else:
            host, keep_alive, expect_continue, content_length = self._framing(framing, http11)

        if method == "CONNECT":
            raise ProtocolError(501, "CONNECT is not supported")
        if target[0] == "/" and "#" not in target:  # PERF: the usual origin-form target
            raw_path, _, query_string = target.partition("?")
        else:
            raw_path, query_string = split_target(method, target)
        path = decode_path(raw_path) if "%" in raw_path else raw_path

        self._keep_alive = keep_alive
        self._received = 0
        if content_length is None:
            self._state = _CHUNK_SIZE_LINE
        else:
            # With no body, the next event is EndOfMessage (remaining == 0).
            self._state = _BODY
            self._remaining = content_length
        # tuple.__new__ skips the Python-level RequestHead.__new__ (hot path).
        return tuple.__new__(
            RequestHead,
            (
                method,
                target,
                path,
                raw_path,
                query_string,
                "1.1" if http11 else "1.0",
                HeaderFields(text, lower, line_end),
                keep_alive,
                expect_continue,
                content_length,
                host,
            ),
        )

    def _framing(
        self, fields: list[tuple[str, str]], http11: bool
    ) -> tuple[str | None, bool, bool, int | None]:
        """Host, keep-alive, expect-continue and the body's length (`None`: chunked)
        from the framing fields of a head, `(lower-cased name, value)` pairs, checked
        in the order the errors are reported."""
        content_length: int | None = None
        transfer_encoding: list[str] | None = None
        connection: list[str] | None = None
        expect: str | None = None
        host: str | None = None
        for name, value in fields:
            value = value.strip(" \t")
            if name == "host":
                if host is not None:
                    raise ProtocolError(400, "More than one Host header")
                host = value
            elif name == "connection":
                tokens = [t.strip(" \t") for t in value.split(",")] if "," in value else [value]
                connection = tokens if connection is None else connection + tokens
            elif name == "content-length":
                content_length = self._content_length(value, content_length)
            elif name == "transfer-encoding":
                codings = [t.strip(" \t") for t in value.split(",")]
                if transfer_encoding is None:
                    transfer_encoding = codings
                else:
                    transfer_encoding += codings
            else:  # expect
                if expect is not None:
                    raise ProtocolError(400, "Repeated Expect header")
                expect = value
        if host is None:
            if http11:
                raise ProtocolError(400, "HTTP/1.1 requires a Host header")
        elif host not in _good_hosts:
            _check_host(host)
        if connection is None:
            keep_alive = http11
        else:
            keep_alive = "close" not in connection and (http11 or "keep-alive" in connection)
        if transfer_encoding is not None:
            _check_transfer_coding(transfer_encoding, http11, content_length)
        elif content_length is None:
            content_length = 0
        expect_continue = False
        if expect is not None:
            if expect != "100-continue":
                raise ProtocolError(417, "Unsupported expectation")
            expect_continue = http11
        return host, keep_alive, expect_continue, content_length

    def _head_error(self, text: str) -> NoReturn:
        """Raise the error of a complete head that failed the fast path."""
        limits = self._limits
        error = _first_violation(
            text.encode("latin-1") + b"\r\n\r\n",
            True,
            limits.max_request_line,
            limits.max_head_size,
            "request head",
        )
        if error is not None:
            raise error
        lines = text.split("\r\n")
        match = _REQUEST_LINE.fullmatch(lines[0])
        if match is None:
            raise ProtocolError(400, "Malformed request line")
        if match[3] != "1":
            raise ProtocolError(505, "HTTP version not supported")
        if len(lines) - 1 > limits.max_header_count:
            raise ProtocolError(431, "Too many header fields")
        for line in lines[1:]:
            if _FIELD.fullmatch(line) is None:
                if line[:1] in (" ", "\t"):
                    raise ProtocolError(400, "Obsolete line folding is not allowed")
                raise ProtocolError(400, "Malformed header field")
        raise ProtocolError(400, "Malformed request head")  # pragma: no cover

    def _content_length(self, value: str, previous: int | None) -> int:
        lengths = {v.strip(" \t") for v in value.split(",")}
        if len(lengths) != 1:
            raise ProtocolError(400, "Differing Content-Length values")
        text = lengths.pop()
        if not _DIGITS.fullmatch(text):
            raise ProtocolError(400, "Malformed Content-Length")
        length = int(text)
        if previous is not None and previous != length:
            raise ProtocolError(400, "Differing Content-Length values")
        if length > self._limits.max_body_size:
            raise ProtocolError(413, "Request body too large")
        return length

    # -- the body ------------------------------------------------------------

    def _end_message(self) -> EndOfMessage:
        if self._keep_alive:
            self._state = _HEAD
        else:
            self._state = _CLOSED
            self._buf.clear()
        return _EOM

    def _read_body(self) -> Data | EndOfMessage | _NeedData:
        remaining = self._remaining
        if remaining == 0:
            return self._end_message()
        buf = self._buf
        if not buf:
            return NEED_DATA
        if len(buf) <= remaining:
            data = bytes(buf)
            buf.clear()
        else:
            data = bytes(buf[:remaining])
            del buf[:remaining]
        self._remaining = remaining - len(data)
        return Data(data)

    def _read_chunk(self) -> Data | EndOfMessage | _NeedData:
        buf = self._buf
        if self._state is _CHUNK_DATA:
            remaining = self._remaining
            if remaining == 0:
                # The CRLF that closes a chunk's data.
                if len(buf) < 2:
                    if buf and buf[:1] != b"\r":
                        raise ProtocolError(400, "Chunk data not followed by CRLF")
                    return NEED_DATA
                if buf[:2] != b"\r\n":
                    raise ProtocolError(400, "Chunk data not followed by CRLF")
                del buf[:2]
                self._state = _CHUNK_SIZE_LINE
                return self._read_chunk()
            if not buf:
                return NEED_DATA
            data = bytes(buf[:remaining])
            del buf[: len(data)]
            self._remaining = remaining - len(data)
            return Data(data)

        # Every problem with a chunk-size line is a 400, however it is split.
        end = buf.find(b"\r\n", 0, _MAX_CHUNK_LINE + 2)
        if end < 0:
            if len(buf) - buf.endswith(b"\r") > _MAX_CHUNK_LINE:
                raise ProtocolError(400, "Chunk size line too long")
            if _suspicious(buf, 0):
                raise ProtocolError(400, "Bare CR or LF in a chunk size line")
            return NEED_DATA
        match = _CHUNK_SIZE.fullmatch(buf, 0, end)
        if match is None:
            raise ProtocolError(400, "Malformed chunk size")
        size = int(match[1], 16)
        del buf[: end + 2]
        self._received += size
        if self._received > self._limits.max_body_size:
            raise ProtocolError(413, "Request body too large")
        if size == 0:
            self._state = _TRAILERS
            self._scan_from = 0
            return self._read_trailers()
        self._state = _CHUNK_DATA
        self._remaining = size
        return self._read_chunk()

    def _read_trailers(self) -> EndOfMessage | _NeedData:
        buf = self._buf
        if buf.startswith(b"\r\n"):
            del buf[:2]
            return self._end_message()
        end = buf.find(b"\r\n\r\n", self._scan_from)
        if end < 0:
            self._check_partial(buf, None, "trailer section")
            return NEED_DATA
        self._scan_from = 0
        block = bytes(buf[:end])
        limits = self._limits
        error = _first_violation(
            block + b"\r\n\r\n", True, None, limits.max_head_size, "trailer section"
        )
        if error is not None:
            raise error
        lines = block.decode("latin-1").split("\r\n")
        if len(lines) > limits.max_header_count:
            raise ProtocolError(431, "Too many trailer fields")
        for line in lines:
            if _FIELD.fullmatch(line) is None:
                raise ProtocolError(400, "Malformed trailer field")
        del buf[: end + 4]
        return self._end_message()


__all__ = [
    "DEFAULT_LIMITS",
    "NEED_DATA",
    "Data",
    "EndOfMessage",
    "Event",
    "HeadCache",
    "HeaderFields",
    "Limits",
    "ProtocolError",
    "RequestHead",
    "RequestParser",
    "decode_path",
    "find_field",
    "split_target",
]
