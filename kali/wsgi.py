"""Running a kali handler under an existing WSGI server (PEP 3333).

`WSGIAdapter(handler)` is a WSGI application. The handler sees the same
[`Request`][kali.Request], and the request goes through the same
[`Pipeline`][kali.pipeline.Pipeline] as under [`serve_http`][kali.serve_http]: the
Host and cross-site checks first (before the body is read), then the handler,
then the same framing and security headers:

    # waitress-serve --threads=1 --listen=127.0.0.1:8080 myapp:wsgi_app
    from kali.wsgi import WSGIAdapter
    wsgi_app = WSGIAdapter(app)

Under WSGI kali does not know the address the server bound, so the names the
Host check accepts come from `allowed_hosts` (loopback names by default, the
same as a kali server on 127.0.0.1). A server reachable from other computers
needs its names listed; `allowed_hosts=["*"]` turns the check off and logs a
warning, since then any web page can read the app through DNS rebinding.

Under a threaded WSGI server handler calls are no longer sequential; run
waitress with `threads=1` (or gunicorn with one sync worker) to keep the
one-at-a-time guarantee. The adapter reads only what the handler asks for:
headers on lookup, the query string and the body on first use.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from ._wire import NO_BODY_STATUS, body_parts, wsgi_start
from .body import BodyBuffer
from .errors import ProtocolError
from .live import Stream, Subscription
from .multidict import EnvironHeaders, Headers
from .pipeline import SECURITY_HEADERS, Pipeline
from .protection import SAFE_METHODS, Guard
from .protocol import RequestHead, decode_path
from .request import Request
from .response import FileBody, Response
from .typing import Handler

log = logging.getLogger("kali")

StartResponse = Callable[..., Any]
Environ = dict[str, Any]
# A character a raw path holds only percent-encoded (searching for one costs less
# than matching the whole path against the others: no match object is made).
_ENCODED_IN_PATH = re.compile(r"[^A-Za-z0-9/\-._~!$&'()*+,;=:@]")
# Paths found to hold none (a program's few pages, and then no more are kept).
_plain_paths: set[str] = set()


class WSGIAdapter:
    """A WSGI application that serves `handler` through kali's pipeline.

    Args:
        handler: an [`App`][kali.App] or any handler.
        allowed_hosts: the names accepted in the Host header (`"*"` for any);
            by default the loopback names, as for a server bound to 127.0.0.1.
        debug: tracebacks in 500 pages for exceptions that reach the adapter.
        security_headers: as for the server (see `docs/security.md`).
    """

    def __init__(
        self,
        handler: Handler,
        *,
        allowed_hosts: Iterable[str] | None = None,
        debug: bool = False,
        security_headers: Mapping[str, str] = SECURITY_HEADERS,
    ) -> None:
        hosts = None if allowed_hosts is None else list(allowed_hosts)
        if hosts is not None and "*" in hosts:
            log.warning(
                "kali.wsgi: allowed_hosts=['*'] accepts any Host: a web page can read this "
                "app through DNS rebinding; list the names it is served under instead"
            )
        self.handler = handler
        self._configured = hosts is not None
        self._debug = debug
        self._security_headers = security_headers
        self.pipeline = self._pipeline(Guard("127.0.0.1", hosts))

    def _pipeline(self, guard: Guard) -> Pipeline:
        return Pipeline(
            self.handler, guard=guard, debug=self._debug, security_headers=self._security_headers
        )

    def _learn_address(self, environ: Environ) -> None:
        # Without allowed_hosts, the first request tells what the WSGI server says it
        # listens on (SERVER_NAME). An IP address beyond loopback is accepted besides
        # the loopback names, as a kali server accepts its bound address. A name is
        # not: some servers make SERVER_NAME from the request's own Host header.
        self._configured = True
        name = str(environ.get("SERVER_NAME") or "").strip("[]")
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            log.warning(
                "kali.wsgi: the WSGI server does not say which address it listens on "
                "(SERVER_NAME %r), so only the loopback names are accepted in Host; pass "
                "allowed_hosts=[...] to accept the names it is served under",
                name,
            )
            return
        if not address.is_loopback:
            log.warning(
                "kali.wsgi: the WSGI server listens on %s, so this app is reachable from "
                "other computers; Host names accepted: the loopback names and %s (pass "
                "allowed_hosts=[...] to choose)",
                name,
                name,
            )
            self.pipeline.guard.allow(name)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if not self._configured:
            self._learn_address(environ)
        method = environ["REQUEST_METHOD"]
        pipeline = self.pipeline
        host = environ.get("HTTP_HOST")
        if method in SAFE_METHODS:
            refusal = None if host in pipeline.guard.accepted else pipeline.refuse(method, host)
        else:
            refusal = pipeline.refuse(
                method,
                host,
                environ.get("HTTP_ORIGIN"),
                environ.get("HTTP_SEC_FETCH_SITE"),
            )
        if refusal is not None:
            response = refusal  # wsgi.input is never read
        else:
            try:
                request = _EnvironRequest.read(environ, method, host)
            except ValueError as exc:
                response = Response.status_page(400, str(exc))
            else:
                response = pipeline.respond(request)
        body = response.body
        status = response.status
        if type(body) is bytes:  # PERF: the usual body, with nothing to flatten: sent at once
            line, fields = wsgi_start(response, len(body), pipeline.defaults)
            start_response(line, fields)
            return [body] if method != "HEAD" and status not in NO_BODY_STATUS else []
        if isinstance(body, Stream):
            line, fields = wsgi_start(response, -1, pipeline.defaults)
            start_response(line, fields)
            if method == "HEAD" or status in NO_BODY_STATUS:
                body.close()
                return []
            return _steps(body)
        try:
            chunks, file, source, length = body_parts(body)
        except Exception:
            log.exception("Bad response body for %s %s", method, environ.get("PATH_INFO"))
            response = Response.status_page(500)
            status = 500
            chunks, file, source, length = body_parts(response.body)
        line, fields = wsgi_start(response, length, pipeline.defaults)
        start_response(line, fields)
        if method == "HEAD" or status in NO_BODY_STATUS:
            if file is not None:
                file.file.close()
            return []
        if file is not None:
            return _file_iter(environ, file)
        if source is not None:
            return (piece for window in source for piece in window)
        return chunks


class _EnvironRequest(Request):
    """A request read from a WSGI environ. Its header fields and the client's
    address are read from the environ when the handler asks for them."""

    __slots__ = ("_environ",)

    _environ: Environ

    @classmethod
    def read(cls, environ: Environ, method: str, host: str | None) -> _EnvironRequest:
        """The request in `environ`, whose method and Host header the adapter has
        read; a `ValueError` if its path is not valid UTF-8 once decoded."""
        # PEP 3333 gives PATH_INFO decoded as Latin-1; re-encode it to bytes and
        # percent-encode what a raw path cannot hold, so that it decodes once, as
        # UTF-8.
        path = environ.get("PATH_INFO", "") or "/"
        if path in _plain_paths:  # PERF: a path seen before costs a set lookup, not a search
            raw_path = path
        elif _ENCODED_IN_PATH.search(path) is None:  # nothing to encode or decode
            raw_path = path
            if len(_plain_paths) < 1024:
                _plain_paths.add(path)
        else:
            raw_path = quote(path.encode("latin-1"), safe="/:@!$&'()*+,;=-._~")
            try:
                path = decode_path(raw_path)
            except ProtocolError as exc:
                raise ValueError(exc.message) from None
        query = environ.get("QUERY_STRING", "")
        length_text = environ.get("CONTENT_LENGTH")
        if length_text and length_text.isdigit():
            length: int | None = int(length_text)
        elif environ.get("wsgi.input_terminated"):
            length = None  # chunked: read to the end
        else:
            length = 0
        body: bytes | BodyBuffer = (
            b"" if length == 0 else BodyBuffer.from_reader(environ["wsgi.input"].read, length)
        )
        # tuple.__new__ skips the Python-level RequestHead.__new__ (hot path), as the parser does.
        head: RequestHead = tuple.__new__(
            RequestHead,
            (
                method,
                raw_path + "?" + query if query else raw_path,
                path,
                raw_path,
                query,
                environ.get("SERVER_PROTOCOL", "HTTP/1.1")[5:] or "1.1",
                [],
                True,
                False,
                length,
                host,
            ),
        )
        # What from_head does, without its frame (hot path).
        self = cls.__new__(cls)
        self.head = head
        self._environ = environ
        self._headers = None  # read from the environ on demand
        self._body = body
        self._body_bytes = b"" if length == 0 else None
        self._client = None
        # The app sees the path below its mount point (SCRIPT_NAME) as root_path.
        script_name = environ.get("SCRIPT_NAME")
        self.root_path = (
            script_name.encode("latin-1").decode("utf-8", "replace") if script_name else ""
        )
        self._query = self._cookies = self._form = self._state = None
        return self

    def _find_client(self) -> tuple[str, int] | None:
        # REMOTE_ADDR and REMOTE_PORT (0 when the server gives no port, or not a number).
        address = self._environ.get("REMOTE_ADDR")
        if not address:
            return None
        port = str(self._environ.get("REMOTE_PORT") or "")
        client = self._client = (address, int(port) if port.isdecimal() and port.isascii() else 0)
        return client

    @property
    def headers(self) -> Headers:
        """Header fields, read from the environ's `HTTP_*` keys as they are asked for."""
        headers = self._headers
        if headers is None:
            headers = self._headers = EnvironHeaders(self._environ)
        return headers


def _steps(stream: Stream) -> Iterator[bytes]:
    # The WSGI server pulls the steps; closing this generator (the client went
    # away) closes the stream. An event stream gives what is waiting and ends:
    # WSGI has no way to hold a connection for later events.
    try:
        if isinstance(stream, Subscription):
            yield from stream.drain()
            return
        while (pieces := stream.step()) is not None:
            yield from pieces
    except Exception:
        log.exception("Error in a streamed response")
    finally:
        stream.close()


def _file_iter(environ: Environ, body: FileBody) -> Iterable[bytes]:
    body.file.seek(body.offset)
    wrapper = environ.get("wsgi.file_wrapper")
    # The server's wrapper sends to the end of the file: use it only when the
    # body is exactly the whole file, else Content-Length would be wrong.
    if wrapper is not None and body.offset == 0 and _file_size(body) == body.length:
        return wrapper(body.file, 256 * 1024)  # type: ignore[no-any-return]
    return _read_file(body)


def _file_size(body: FileBody) -> int:
    try:
        return os.fstat(body.file.fileno()).st_size
    except (OSError, ValueError):
        return -1


def _read_file(body: FileBody) -> Iterator[bytes]:
    with body.file:
        remaining = body.length
        while remaining > 0:
            chunk = body.file.read(min(remaining, 256 * 1024))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


__all__ = ["WSGIAdapter"]
