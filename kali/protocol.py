"""HTTP/1.x request parsing, with no sockets: bytes in, events out.

Theory of operation
-------------------
A :class:`RequestParser` belongs to one connection. The server (or the test
client) calls :meth:`~RequestParser.feed` with whatever bytes arrived and then
:meth:`~RequestParser.next_event` until it returns :data:`NEED_DATA`. The events
of one request are, in order::

    RequestHead  Data*  EndOfMessage

after which the parser starts on the next request of a persistent connection
(pipelined bytes may already be buffered), or, when the request ends the
connection, returns :data:`NEED_DATA` forever and discards what follows.

The parser has five states::

    HEAD ──(head with a body)──▶ BODY ──▶ HEAD        Content-Length framing
      │                                                        ▲
      ├──(Transfer-Encoding: chunked)──▶ CHUNK_SIZE ⇄ CHUNK_DATA
      │                                      └──▶ TRAILERS ──┘
      └──(head without a body)──▶ HEAD (or CLOSED when not keep-alive)

Anything the client got wrong raises :class:`ProtocolError` with the status
to answer (400, 413, 414, 417, 431, 501 or 505); after that the parser is
in an error state and the connection must be closed, since the framing of
whatever follows is unknown. Framing is never guessed: Content-Length together
with Transfer-Encoding, differing Content-Lengths, obs-fold, a bare CR or LF,
and malformed chunk sizes are all rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, NamedTuple
from urllib.parse import unquote_to_bytes


class _NeedData:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NEED_DATA"


#: Returned by :meth:`RequestParser.next_event` when more bytes are needed.
NEED_DATA: Final = _NeedData()


class ProtocolError(Exception):
    """The client sent something we will not serve. ``status`` is the answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __repr__(self) -> str:
        return f"ProtocolError({self.status}, {self.message!r})"


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits applied while parsing; each has its own status code."""

    #: Longest request line (method, target and version): 414 beyond it.
    max_request_line: int = 8 * 1024
    #: Largest request head (request line plus header fields): 431 beyond it.
    max_head_size: int = 64 * 1024
    #: Most header fields in one request: 431 beyond it.
    max_header_count: int = 100
    #: Largest request body: 413 beyond it (checked before reading it when declared).
    max_body_size: int = 100 * 1024 * 1024


DEFAULT_LIMITS: Final = Limits()


class RequestHead(NamedTuple):
    """The request line and header fields of one request."""

    method: str
    #: The request target exactly as sent (ASCII).
    target: str
    #: The path, percent-decoded as UTF-8.
    path: str
    #: The path as sent, still percent-encoded.
    raw_path: str
    #: The part of the target after ``?`` (empty if none).
    query_string: str
    #: ``"1.1"`` or ``"1.0"``.
    http_version: str
    #: Header fields with lower-cased names, values decoded as Latin-1.
    headers: list[tuple[str, str]]
    #: Whether the connection stays open after this request.
    keep_alive: bool
    #: The client waits for ``100 Continue`` before sending its body.
    expect_continue: bool
    #: The declared body length; ``None`` for a chunked body.
    content_length: int | None


class Data(NamedTuple):
    """A piece of the request body."""

    data: bytes


class EndOfMessage(NamedTuple):
    """The request body is complete."""


Event = RequestHead | Data | EndOfMessage

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_REQUEST_LINE = re.compile(rf"({_TOKEN}) ([\x21-\x7e]+) HTTP/([0-9])\.([0-9])")
_FIELD = re.compile(rf"({_TOKEN}):[ \t]*([^\x00-\x08\x0a-\x1f\x7f]*?)[ \t]*")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\x00-\x08\x0a-\x1f\x7f]*)?")
_DIGITS = re.compile(r"[0-9]{1,19}")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_MAX_CHUNK_LINE = 4096

_HEAD, _BODY, _CHUNK_SIZE_LINE, _CHUNK_DATA, _TRAILERS, _CLOSED, _ERROR = range(7)
_EOM: Final = EndOfMessage()


def decode_path(raw_path: str) -> str:
    """Percent-decode ``raw_path`` as UTF-8, strictly.

    Raises :class:`ProtocolError` (400) for a malformed ``%`` escape, bytes that
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


def _check_partial_line_endings(buf: bytearray, start: int) -> None:
    # Like _check_line_endings on buf[start:], for a block still being received:
    # a CR at the very end may yet be followed by its LF.
    if start and buf[start - 1 : start + 1] == b"\r\n":
        start += 1
    stop = len(buf) - 1 if buf.endswith(b"\r") else len(buf)
    if start < stop and (buf.find(b"\n", start, stop) >= 0 or buf.find(b"\r", start, stop) >= 0):
        _check_line_endings(buf[start:stop])


def _check_line_endings(block: bytes | bytearray) -> None:
    # Every CR must start a CRLF and every LF must end one.
    crlf = block.count(b"\r\n")
    if block.count(b"\n") != crlf:
        raise ProtocolError(400, "Bare LF in the request head")
    if block.count(b"\r") != crlf:
        raise ProtocolError(400, "Bare CR in the request head")


class RequestParser:
    """Parses the requests of one connection. See the module docstring."""

    __slots__ = (
        "_buf",
        "_keep_alive",
        "_limits",
        "_received",
        "_remaining",
        "_scan_from",
        "_state",
    )

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self._limits = limits
        self._buf = bytearray()
        self._state = _HEAD
        self._scan_from = 0
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
        return self._state == _HEAD and not self._buf

    @property
    def closed(self) -> bool:
        """True once a request that ends the connection (or an error) was parsed."""
        return self._state in (_CLOSED, _ERROR)

    def feed(self, data: bytes) -> None:
        """Add bytes received from the client."""
        if self._state < _CLOSED:
            self._buf += data

    def next_event(self) -> Event | _NeedData:
        """Return the next event, or :data:`NEED_DATA`.

        Raises :class:`ProtocolError` when the input is invalid; the parser
        then stays in an error state.
        """
        try:
            state = self._state
            if state == _HEAD:
                return self._read_head()
            if state == _BODY:
                return self._read_body()
            if state in (_CHUNK_SIZE_LINE, _CHUNK_DATA):
                return self._read_chunk()
            if state == _TRAILERS:
                return self._read_trailers()
            return NEED_DATA
        except ProtocolError:
            self._state = _ERROR
            self._buf.clear()
            raise

    # -- the head -----------------------------------------------------------

    def _read_head(self) -> RequestHead | EndOfMessage | _NeedData:
        buf = self._buf
        # RFC 9112 2.2: ignore empty lines before the request line.
        while buf[:2] == b"\r\n":
            del buf[:2]
        end = buf.find(b"\r\n\r\n", self._scan_from)
        if end < 0:
            self._check_partial_head()
            return NEED_DATA
        self._scan_from = 0
        head = buf[:end]
        del buf[: end + 4]
        return self._parse_head(head)

    def _check_partial_head(self) -> None:
        buf = self._buf
        limits = self._limits
        if len(buf) > limits.max_head_size:
            raise ProtocolError(431, "Request header fields too large")
        line_end = buf.find(b"\r\n")
        if (line_end < 0 and len(buf) > limits.max_request_line) or (
            line_end > limits.max_request_line
        ):
            raise ProtocolError(414, "Request line too long")
        # Fail early on a bare CR or LF rather than wait for a CRLFCRLF that
        # never comes. Only the bytes not checked before are looked at.
        _check_partial_line_endings(buf, self._scan_from)
        self._scan_from = max(0, len(buf) - 3)

    def _parse_head(self, head: bytearray) -> RequestHead | EndOfMessage:
        limits = self._limits
        if len(head) > limits.max_head_size:
            raise ProtocolError(431, "Request header fields too large")
        _check_line_endings(head)
        lines = head.decode("latin-1").split("\r\n")
        request_line = lines[0]
        if len(request_line) > limits.max_request_line:
            raise ProtocolError(414, "Request line too long")
        match = _REQUEST_LINE.fullmatch(request_line)
        if match is None:
            raise ProtocolError(400, "Malformed request line")
        method, target, major, minor = match.groups()
        if major != "1":
            raise ProtocolError(505, "HTTP version not supported")
        http11 = minor != "0"
        if len(lines) - 1 > limits.max_header_count:
            raise ProtocolError(431, "Too many header fields")

        headers: list[tuple[str, str]] = []
        content_length: int | None = None
        transfer_encoding: list[str] = []
        connection = ""
        expect: str | None = None
        hosts = 0
        field = _FIELD.fullmatch
        for line in lines[1:]:
            m = field(line)
            if m is None:
                if line[:1] in (" ", "\t"):
                    raise ProtocolError(400, "Obsolete line folding is not allowed")
                raise ProtocolError(400, "Malformed header field")
            name = m[1].lower()
            value = m[2]
            headers.append((name, value))
            if name == "content-length":
                content_length = self._content_length(value, content_length)
            elif name == "transfer-encoding":
                transfer_encoding.extend(v.strip().lower() for v in value.split(","))
            elif name == "connection":
                connection += "," + value.lower()
            elif name == "host":
                hosts += 1
            elif name == "expect":
                if expect is not None:
                    raise ProtocolError(400, "Repeated Expect header")
                expect = value.lower()

        if hosts > 1 or (http11 and hosts == 0):
            raise ProtocolError(400, "HTTP/1.1 requires exactly one Host header")
        if connection:
            tokens = {t.strip() for t in connection.split(",")}
            keep_alive = "close" not in tokens and (http11 or "keep-alive" in tokens)
        else:
            keep_alive = http11

        chunked = False
        if transfer_encoding:
            if not http11:
                raise ProtocolError(400, "Transfer-Encoding is not allowed in HTTP/1.0")
            if content_length is not None:
                raise ProtocolError(400, "Both Content-Length and Transfer-Encoding")
            if transfer_encoding[-1] != "chunked":
                raise ProtocolError(400, "chunked must be the final transfer coding")
            if len(transfer_encoding) > 1:
                if "chunked" in transfer_encoding[:-1]:
                    raise ProtocolError(400, "chunked applied more than once")
                raise ProtocolError(501, "Unsupported transfer coding")
            chunked = True

        expect_continue = False
        if expect is not None:
            if expect != "100-continue":
                raise ProtocolError(417, "Unsupported expectation")
            expect_continue = http11

        raw_path, query_string = self._split_target(method, target)
        path = decode_path(raw_path)

        self._keep_alive = keep_alive
        self._received = 0
        if chunked:
            self._state = _CHUNK_SIZE_LINE
        else:
            # With no body, the next event is EndOfMessage (remaining == 0).
            self._state = _BODY
            self._remaining = content_length = content_length or 0
        return RequestHead(
            method,
            target,
            path,
            raw_path,
            query_string,
            "1.1" if http11 else "1.0",
            headers,
            keep_alive,
            expect_continue,
            content_length,
        )

    def _content_length(self, value: str, previous: int | None) -> int:
        lengths = {v.strip() for v in value.split(",")}
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

    @staticmethod
    def _split_target(method: str, target: str) -> tuple[str, str]:
        if "#" in target:
            raise ProtocolError(400, "A fragment is not allowed in the request target")
        if target[0] != "/":
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
                target = "/" + rest[query:] if query >= 0 else "/"
            else:
                target = rest[slash:]
        raw_path, _, query_string = target.partition("?")
        return raw_path, query_string

    # -- the body ------------------------------------------------------------

    def _end_message(self) -> EndOfMessage:
        self._state = _HEAD if self._keep_alive else _CLOSED
        if self._state == _CLOSED:
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
        if self._state == _CHUNK_DATA:
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

        end = buf.find(b"\r\n")
        if end < 0:
            if len(buf) > _MAX_CHUNK_LINE:
                raise ProtocolError(400, "Chunk size line too long")
            _check_partial_line_endings(buf, 0)
            return NEED_DATA
        line = buf[:end]
        _check_line_endings(line)
        match = _CHUNK_SIZE.fullmatch(line)
        if match is None:
            raise ProtocolError(400, "Malformed chunk size")
        size = int(match[1], 16)
        del buf[: end + 2]
        self._received += size
        if self._received > self._limits.max_body_size:
            raise ProtocolError(413, "Request body too large")
        if size == 0:
            self._state = _TRAILERS
            return self._read_trailers()
        self._state = _CHUNK_DATA
        self._remaining = size
        return self._read_chunk()

    def _read_trailers(self) -> EndOfMessage | _NeedData:
        buf = self._buf
        if buf[:2] == b"\r\n":
            del buf[:2]
            return self._end_message()
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > self._limits.max_head_size:
                raise ProtocolError(431, "Trailer fields too large")
            _check_partial_line_endings(buf, 0)
            return NEED_DATA
        block = buf[:end]
        _check_line_endings(block)
        for line in block.decode("latin-1").split("\r\n"):
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
    "Limits",
    "ProtocolError",
    "RequestHead",
    "RequestParser",
    "decode_path",
]
