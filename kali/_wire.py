"""Framing a Response for HTTP/1.1: the head as bytes, the body as a list of
bytes pieces (never joined) or a file to ``sendfile``. The WSGI adapter uses
the same helpers for its status and header list."""

from __future__ import annotations

import time
from email.utils import formatdate

from .errors import reason_phrase
from .iolist import to_chunks
from .response import FileBody, Response, check_header

_status_lines: dict[int, str] = {}
_date: list[str | float] = ["", -1.0]
_NO_BODY_STATUS = frozenset({204, 304})
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})


_PLAIN_200 = (
    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n"
    "{}Date: {}\r\n\r\n"
)
_CONNECTION = {True: "Connection: keep-alive\r\n", False: "Connection: close\r\n"}


def status_text(status: int) -> str:
    """``"200 OK"``: the status and its reason phrase, cached."""
    line = _status_lines.get(status)
    if line is None:
        line = _status_lines[status] = f"{status} {reason_phrase(status)}"
    return line


def http_date() -> str:
    """The current time as an HTTP date, recomputed at most once a second."""
    now = time.time()
    if now - _date[1] >= 1.0:  # type: ignore[operator]
        _date[0] = formatdate(now, usegmt=True)
        _date[1] = float(int(now))
    return _date[0]  # type: ignore[return-value]


def has_body(status: int) -> bool:
    """Whether a response with ``status`` carries a body (not 1xx, 204 or 304)."""
    return status >= 200 and status not in _NO_BODY_STATUS


def body_chunks(response: Response) -> tuple[list[bytes], FileBody | None, int]:
    """The body as bytes pieces (or a file) and its length in bytes."""
    body = response.body
    chunks: list[bytes]
    if isinstance(body, bytes):
        chunks = [body] if body else []
    elif isinstance(body, str):
        chunks = [body.encode()] if body else []
    elif isinstance(body, FileBody):
        return [], body, body.length
    else:
        chunks = to_chunks(body)
    return chunks, None, sum(map(len, chunks))


def header_lines(response: Response, length: int) -> tuple[list[tuple[str, str]], bool]:
    """The headers to send: the handler's, minus framing, plus Content-Type
    (``text/html; charset=utf-8`` by default) and Content-Length. The flag is
    False when the handler asked for ``Connection: close``."""
    headers: list[tuple[str, str]] = []
    has_type = False
    keep_alive = True
    for name, value in response.headers:
        # Checked again here: ``response.headers`` is a plain list that code
        # may have appended to directly, and nothing unchecked reaches the wire.
        check_header(name, value)
        lower = name.lower()
        if lower in _FRAMING:
            if lower == "connection" and "close" in value.lower():
                keep_alive = False
            continue
        if lower == "content-type":
            has_type = True
        headers.append((name, value))
    if has_body(response.status):
        if not has_type and length:
            headers.append(("Content-Type", "text/html; charset=utf-8"))
        headers.append(("Content-Length", str(length)))
    return headers, keep_alive


def error_response(status: int, message: str) -> list[bytes]:
    """A plain-text error answered outside any handler (a bad request, a
    timeout), head and body; the connection closes after it."""
    body = f"{status_text(status)}: {message}\n".encode()
    head = (
        f"HTTP/1.1 {status_text(status)}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\nDate: {http_date()}\r\n\r\n"
    )
    return [head.encode(), body]


class Prepared:
    """A response ready for the wire."""

    __slots__ = ("body", "file", "head", "keep_alive", "length")

    def __init__(
        self, head: bytes, body: list[bytes], file: FileBody | None, length: int, keep_alive: bool
    ) -> None:
        self.head = head
        self.body = body
        self.file = file
        self.length = length
        self.keep_alive = keep_alive


def prepare(response: Response, *, method: str, http_version: str, keep_alive: bool) -> Prepared:
    """Frame ``response`` as the answer to a ``method`` request.

    Content-Length is always computed here (handlers' framing headers are
    replaced), HEAD gets the headers without the body, and HTTP/1.0 clients
    are told explicitly whether the connection stays open.
    """
    chunks, file, length = body_chunks(response)
    if not response.headers and response.status == 200 and length and method != "HEAD":
        # The common case, a page with no headers of its own, in one format.
        connection = "" if keep_alive and http_version != "1.0" else _CONNECTION[keep_alive]
        head = _PLAIN_200.format(length, connection, http_date())
        return Prepared(head.encode(), chunks, file, length, keep_alive)
    headers, handler_keep_alive = header_lines(response, length)
    keep_alive = keep_alive and handler_keep_alive
    parts = ["HTTP/1.1 ", status_text(response.status), "\r\n"]
    for name, value in headers:
        parts += (name, ": ", value, "\r\n")
    if not keep_alive:
        parts.append("Connection: close\r\n")
    elif http_version == "1.0":
        parts.append("Connection: keep-alive\r\n")
    parts += ("Date: ", http_date(), "\r\n\r\n")
    if method == "HEAD" or not has_body(response.status):
        if file is not None:
            file.file.close()
            file = None
        chunks = []
    return Prepared("".join(parts).encode(), chunks, file, length, keep_alive)
