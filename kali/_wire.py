"""Framing a response for HTTP/1.1: the head as bytes, the body as `bytes` pieces
(never joined), a lazy source of pieces for a large iolist, or a file to
`sendfile`. The WSGI adapter uses the same code for its status and header list.

Every header was checked when it was added to the response
([`ResponseHeaders`][kali.response.ResponseHeaders]), so framing only writes: the
handler's headers minus the framing ones, Content-Type (`text/html; charset=utf-8`
by default), Content-Length, the default security headers the response did not
set itself, and Date.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from email.utils import formatdate
from typing import Final

from .errors import reason_phrase
from .iolist import EAGER_LIMIT, BodyTooLarge, encoded_length, to_chunks, windows
from .live import Stream
from .response import FileBody, Response

_status_lines: dict[int, str] = {}
_date: list[str | float] = ["", -1.0]
NO_BODY_STATUS: Final = frozenset({204, 304})
"""The statuses from 200 up whose responses carry no body."""
_FRAMING: Final = frozenset({"content-length", "transfer-encoding", "connection"})
_HTML: Final = "text/html; charset=utf-8"


class HeaderBlock:
    """Header fields sent with every response unless the response sets its own
    (the security headers): their lines, written once."""

    __slots__ = ("ends", "kinds", "lines", "names", "pairs", "special", "starts", "wsgi_starts")

    def __init__(self, headers: Mapping[str, str]) -> None:
        self.pairs = tuple(headers.items())
        self.names = frozenset(name.lower() for name in headers)
        self.lines = "".join(f"{name}: {value}\r\n" for name, value in self.pairs)
        self.special = self.names | _FRAMING | {"content-type"}
        """Every lower-case name framing looks at."""
        self.ends: list[tuple[float, float, bytes] | None] = [None] * 4
        """The end of a head (these lines, Connection, Date) for each kind of
        connection, HTTP/1.1 or 1.0 and keep-alive or not, with the second it is
        good for."""
        self.starts: dict[tuple[int, tuple[tuple[str, str], ...]], _Start] = {}
        """The start of a head for a status and a response's fields, as
        [`frame`][kali._wire.frame] worked it out: at most 256 of at most 1 KiB
        each, then it starts over."""
        self.wsgi_starts: dict[tuple[int, tuple[tuple[str, str], ...]], _WSGIStart] = {}
        """The same for [`wsgi_start`][kali._wire.wsgi_start]: the status line,
        the fields before Content-Type and Content-Length, whether Content-Type is
        among them; at most 256 of at most 1 KiB each, then it starts over."""
        self.kinds: dict[str, str] = {}
        """[`kind`][kali._wire.HeaderBlock.kind]'s answers by spelling: framing reads
        this first (one lookup, no `lower()`), and calls `kind` for a new name."""

    def kind(self, name: str) -> str:
        """`name` in lower case if framing looks at it (a framing field,
        Content-Type, one of these defaults), else `""`."""
        lower = name.lower()
        kind = lower if lower in self.special else ""
        if len(self.kinds) < 256:  # the spellings a program uses are few
            self.kinds[name] = kind
        return kind

    def without(self, names: frozenset[str]) -> str:
        """The lines of the fields not in `names` (lower-case)."""
        return "".join(f"{n}: {v}\r\n" for n, v in self.pairs if n.lower() not in names)


NO_HEADERS: Final = HeaderBlock({})


def status_text(status: int) -> str:
    """`"200 OK"`: the status and its reason phrase, cached."""
    line = _status_lines.get(status)
    if line is None:
        line = _status_lines[status] = f"{status} {reason_phrase(status)}"
    return line


def http_date() -> str:
    """The current time as an HTTP date, recomputed at most once a second."""
    now = time.time()
    # A new second, or the clock stepped back.
    if not 0.0 <= now - _date[1] < 1.0:  # type: ignore[operator]
        _date[0] = formatdate(now, usegmt=True)
        _date[1] = float(int(now))
    return _date[0]  # type: ignore[return-value]


class Prepared:
    """A response ready for the wire.

    `body` holds the pieces to send after `head`; a large iolist's pieces come
    from `source`, window by window, and a file body is in `file`. A streamed
    body is in `stream`, sent step by step (in chunks when `chunked`).
    """

    __slots__ = (
        "body",
        "chunked",
        "file",
        "head",
        "keep_alive",
        "length",
        "source",
        "status",
        "stream",
    )

    status: int
    head: bytes
    body: list[bytes]
    length: int
    keep_alive: bool
    file: FileBody | None
    source: Iterator[list[bytes]] | None
    stream: Stream | None
    chunked: bool


_new = object.__new__


def prepared(
    status: int,
    head: bytes,
    body: list[bytes],
    length: int,
    keep_alive: bool,
    file: FileBody | None = None,
    source: Iterator[list[bytes]] | None = None,
) -> Prepared:
    """A `Prepared` answer (without a stream: `frame` adds one).

    PERF: made here rather than by a `Prepared.__init__`: a call through the
    class costs more than the nine stores (about 0.2 µs more on a 2-core VM).
    """
    answer: Prepared = _new(Prepared)
    answer.status = status
    answer.head = head
    answer.body = body
    answer.length = length
    answer.keep_alive = keep_alive
    answer.file = file
    answer.source = source
    answer.stream = None
    answer.chunked = False
    return answer


def chunk(pieces: list[bytes]) -> list[bytes]:
    """One chunk of a chunked body holding `pieces` (none if they are empty)."""
    size = sum(map(len, pieces))
    if not size:
        return []
    return [f"{size:x}\r\n".encode(), *pieces, b"\r\n"]


LAST_CHUNK: Final = b"0\r\n\r\n"
"""The end of a chunked body (no trailers)."""


def body_parts(
    body: object,
) -> tuple[list[bytes], FileBody | None, Iterator[list[bytes]] | None, int]:
    """A body as `bytes` pieces (or a file, or a lazy source of pieces) and its length."""
    kind = type(body)
    if kind is bytes:
        return ([body] if body else []), None, None, len(body)  # type: ignore[arg-type, list-item]
    if kind is str:
        data = body.encode()  # type: ignore[attr-defined]
        return ([data] if data else []), None, None, len(data)
    if isinstance(body, FileBody):
        return [], body, None, body.length
    try:
        chunks = to_chunks(body, EAGER_LIMIT)  # type: ignore[arg-type]
    except BodyTooLarge:
        # Encode it as the socket takes it: the memory is what is unsent.
        return [], None, windows(body), encoded_length(body)  # type: ignore[arg-type]
    return chunks, None, None, sum(map(len, chunks))


_Start = tuple[str, bool, frozenset[str] | None, bool, bytes | None]


def _start(status: int, fields: Iterable[tuple[str, str]], defaults: HeaderBlock) -> _Start:
    """The start of a head: the status line and the response's own fields, less
    the framing ones; whether Content-Type is among them, which of the defaults
    they replace, and whether they ask to close the connection. Last, for a body
    that ends as a plain one does (see `frame`), the start to its Content-Length
    value as bytes (with the default Content-Type if the fields have none)."""
    parts = ["HTTP/1.1 ", status_text(status), "\r\n"]
    has_type = closes = False
    overridden: set[str] = set()
    for name, value in fields:
        lower = defaults.kinds.get(name)
        if lower is None:
            lower = defaults.kind(name)
        if lower in _FRAMING:
            if lower == "connection" and "close" in value.lower():
                closes = True
            continue
        if lower == "content-type":
            has_type = True
        elif lower:  # one of the defaults
            overridden.add(lower)
        parts += (name, ": ", value, "\r\n")
    start = "".join(parts)
    prefix = None
    if not overridden and not closes and status not in NO_BODY_STATUS:
        typed = start if has_type else f"{start}Content-Type: {_HTML}\r\n"
        prefix = f"{typed}Content-Length: ".encode()
    return start, has_type, frozenset(overridden) if overridden else None, closes, prefix


def frame(
    response: Response,
    *,
    method: str,
    http_version: str,
    keep_alive: bool,
    defaults: HeaderBlock = NO_HEADERS,
) -> Prepared:
    """Frame `response` as the answer to a `method` request.

    Content-Length is always computed here (the handler's framing headers are
    dropped), HEAD gets the headers without the body, and HTTP/1.0 clients are
    told whether the connection stays open. `defaults` are added unless the
    response has fields of the same names.
    """
    status = response.status
    body = response.body
    # PERF: a program answers with few sets of fields: each is read once. (The
    # response's fields are kept as a tuple of checked pairs until asked for.)
    fields = response._headers
    key = (status, response._pairs if fields is None else tuple(fields))
    known = defaults.starts.get(key)
    if known is None:
        known = _start(status, key[1], defaults)
        if len(known[0]) <= 1024:  # not a large or one-off value (a cookie, a Location)
            if len(defaults.starts) >= 256:
                defaults.starts.clear()
            defaults.starts[key] = known
    start, has_type, overridden, closes, prefix = known
    if type(body) is bytes:  # PERF: the usual body: nothing to encode, flatten or stream
        if prefix is not None and body and method != "HEAD":
            # PERF: the usual head: a start kept as bytes, the length, and an end
            # that changes once a second (the defaults, Connection and Date).
            length = len(body)
            end = defaults.ends[2 * (http_version == "1.0") + keep_alive]
            if end is None or not end[0] <= time.time() < end[1]:  # (see _head_end)
                end = _new_end(keep_alive, http_version, defaults)
            return prepared(
                status, b"%b%d%b" % (prefix, length, end[2]), [body], length, keep_alive
            )
        stream = None
        chunks, file, source, length = ([body] if body else []), None, None, len(body)
    else:
        stream = body if isinstance(body, Stream) else None
        if stream is None:
            chunks, file, source, length = body_parts(body)
        else:
            chunks, file, source, length = [], None, None, -1
    if closes:
        keep_alive = False
    parts = [start]
    sends_body = status not in NO_BODY_STATUS  # a Response's status is 200 or more
    if sends_body and not has_type and length:
        parts.append("Content-Type: text/html; charset=utf-8\r\n")
    if prefix is not None and stream is None:
        # The usual head ends as a plain one does: the length, then the defaults,
        # Connection and Date, kept as bytes.
        parts += ("Content-Length: ", str(length))
        head = "".join(parts).encode() + _head_end(keep_alive, http_version, defaults)
        if method == "HEAD":
            if file is not None:
                file.file.close()
            return prepared(status, head, [], length, keep_alive)
        return prepared(status, head, chunks, length, keep_alive, file, source)
    parts.append(defaults.lines if overridden is None else defaults.without(overridden))
    chunked = False
    if sends_body:
        if stream is None:
            parts += ("Content-Length: ", str(length), "\r\n")
        elif http_version == "1.0":
            keep_alive = False  # the body ends when the connection closes
        else:
            parts.append("Transfer-Encoding: chunked\r\n")
            chunked = True
    if not keep_alive:
        parts.append("Connection: close\r\n")
    elif http_version == "1.0":
        parts.append("Connection: keep-alive\r\n")
    parts += ("Date: ", http_date(), "\r\n\r\n")
    if method == "HEAD" or not sends_body:
        if file is not None:
            file.file.close()
        if stream is not None:
            stream.close()
        return prepared(status, "".join(parts).encode(), [], length, keep_alive)
    answer = prepared(status, "".join(parts).encode(), chunks, length, keep_alive, file, source)
    if stream is not None:
        answer.stream = stream
        answer.chunked = chunked
    return answer


def frame_plain(
    body: bytes, *, http_version: str, keep_alive: bool, defaults: HeaderBlock = NO_HEADERS
) -> Prepared:
    """Frame the commonest answer: a 200 `text/html` page from a handler that returned
    `bytes` (or a `str`, encoded by the caller), with no headers of its own."""
    # PERF: the head is a constant start, the length, and an end that changes once a
    # second (the Date), kept as bytes per kind of connection.
    end = defaults.ends[2 * (http_version == "1.0") + keep_alive]
    if end is None or not end[0] <= time.time() < end[1]:  # (see _head_end)
        end = _new_end(keep_alive, http_version, defaults)
    if not body:  # no Content-Type for no content, as frame() does
        return prepared(200, _EMPTY_START + b"0" + end[2], [], 0, keep_alive)
    head = b"%b%d%b" % (_PLAIN_START, len(body), end[2])
    return prepared(200, head, [body], len(body), keep_alive)


def _head_end(keep_alive: bool, http_version: str, defaults: HeaderBlock) -> bytes:
    # What follows the Content-Length value in a head: the defaults, Connection
    # for a connection that closes or an HTTP/1.0 keep-alive, the Date, the blank
    # line; kept as bytes per kind of connection, made again when the Date changes.
    # PERF: no http_date() call while the second lasts (or until the clock steps
    # back). frame() and frame_plain() make this check inline.
    end = defaults.ends[2 * (http_version == "1.0") + keep_alive]
    if end is None or not end[0] <= time.time() < end[1]:
        end = _new_end(keep_alive, http_version, defaults)
    return end[2]


def _new_end(
    keep_alive: bool, http_version: str, defaults: HeaderBlock
) -> tuple[float, float, bytes]:
    # The end of a head for this second (`_head_end`'s), kept in `defaults.ends`.
    date = http_date()
    second: float = _date[1]  # type: ignore[assignment]  # the Date's
    if not keep_alive:
        connection = "Connection: close\r\n"
    elif http_version == "1.0":
        connection = "Connection: keep-alive\r\n"
    else:
        connection = ""
    end = defaults.ends[2 * (http_version == "1.0") + keep_alive] = (
        second,
        second + 1.0,
        f"\r\n{defaults.lines}{connection}Date: {date}\r\n\r\n".encode(),
    )
    return end


_PLAIN_START: Final = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: "
)
_EMPTY_START: Final = b"HTTP/1.1 200 OK\r\nContent-Length: "


def error_bytes(status: int, message: str, defaults: HeaderBlock = NO_HEADERS) -> list[bytes]:
    """A plain-text error answered outside any handler (a bad request, a timeout),
    head and body; the connection closes after it."""
    body = f"{status_text(status)}: {message}\n".encode()
    head = (
        f"HTTP/1.1 {status_text(status)}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n{defaults.lines}Connection: close\r\n"
        f"Date: {http_date()}\r\n\r\n"
    )
    return [head.encode(), body]


def wsgi_start(
    response: Response, length: int, defaults: HeaderBlock = NO_HEADERS
) -> tuple[str, list[tuple[str, str]]]:
    """The status line and header list for a WSGI `start_response`: the same fields
    as [`frame`][kali._wire.frame] writes, minus Connection and Date (the server's).
    `length` is the body's, or -1 for a streamed body (the WSGI server frames it)."""
    status = response.status
    own = response._headers
    key = (status, response._pairs if own is None else tuple(own))
    # PERF: worked out once per status and set of fields, as frame() does.
    known = defaults.wsgi_starts.get(key)
    if known is None:
        known = _wsgi_fields(status, key[1], defaults)
        if sum(len(n) + len(v) for n, v in key[1]) <= 1024:  # not a one-off cookie, say
            if len(defaults.wsgi_starts) >= 256:
                defaults.wsgi_starts.clear()
            defaults.wsgi_starts[key] = known
    line, fields, has_type = known
    headers = list(fields)
    if status not in NO_BODY_STATUS:  # a Response's status is 200 or more
        if not has_type and length:
            headers.append(("Content-Type", _HTML))
        if length >= 0:
            headers.append(("Content-Length", str(length)))
    return line, headers


_WSGIStart = tuple[str, tuple[tuple[str, str], ...], bool]


def _wsgi_fields(
    status: int, fields: tuple[tuple[str, str], ...], defaults: HeaderBlock
) -> _WSGIStart:
    # The status line, the fields to send before Content-Type and Content-Length,
    # and whether a Content-Type is among them.
    kinds = defaults.kinds
    has_type = False
    for name, _ in fields:
        lower = kinds.get(name)
        if lower is None:
            lower = defaults.kind(name)
        if lower:
            if lower != "content-type":
                headers, has_type = _merged_fields(fields, defaults)
                break
            has_type = True
    else:
        headers = [*fields, *defaults.pairs]  # nothing to drop or to replace
    return status_text(status), tuple(headers), has_type


def _merged_fields(
    fields: Iterable[tuple[str, str]], defaults: HeaderBlock
) -> tuple[list[tuple[str, str]], bool]:
    # The careful way, for a response that sets a framing field (dropped: the
    # server frames) or one of the defaults (sent once, as the response has it).
    headers: list[tuple[str, str]] = []
    has_type = False
    seen: set[str] = set()
    for pair in fields:
        lower = pair[0].lower()
        if lower in _FRAMING:
            continue
        if lower == "content-type":
            has_type = True
        elif lower in defaults.names:
            seen.add(lower)
        headers.append(pair)
    headers += [(n, v) for n, v in defaults.pairs if n.lower() not in seen]
    return headers, has_type
