"""Running a kali handler under an existing WSGI server (PEP 3333).

``WSGIAdapter(handler)`` is a WSGI application; the handler sees the same
:class:`~kali.Request` and its return value goes through the same dispatch
and framing code as under :func:`kali.serve_http`::

    # waitress-serve --port 8080 myapp:wsgi_app
    from kali.wsgi import WSGIAdapter
    wsgi_app = WSGIAdapter(app)

Under a threaded WSGI server handler calls are no longer sequential; run
waitress with ``threads=1`` (or gunicorn with one sync worker) to keep the
one-at-a-time guarantee.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any
from urllib.parse import quote

from ._dispatch import call_handler
from ._wire import body_chunks, has_body, header_lines, status_text
from .request import Request
from .response import FileBody, Response
from .server import BODY_SPILL_SIZE
from .typing import Handler

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


class WSGIAdapter:
    """A WSGI application that serves ``handler``."""

    def __init__(self, handler: Handler, *, debug: bool = False) -> None:
        self.handler = handler
        self.debug = debug

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            request = self._request(environ)
        except ValueError as exc:
            response = Response.status_page(400, str(exc))
        else:
            response = call_handler(self.handler, request, debug=self.debug)
        chunks, file, length = body_chunks(response)
        headers, _keep_alive = header_lines(response, length)
        start_response(status_text(response.status), headers)
        if environ["REQUEST_METHOD"] == "HEAD" or not has_body(response.status):
            if file is not None:
                file.file.close()
            return []
        if file is not None:
            return _file_iter(environ, file)
        return chunks

    @staticmethod
    def _request(environ: Environ) -> Request:
        # PEP 3333 gives PATH_INFO decoded as Latin-1; re-encode it to bytes
        # and percent-encode so Request decodes it once, as UTF-8. The app
        # sees the path below its mount point (SCRIPT_NAME) as root_path does.
        path = environ.get("PATH_INFO", "") or "/"
        raw_path = quote(path.encode("latin-1"), safe="/:@!$&'()*+,;=-._~")
        query = environ.get("QUERY_STRING", "")
        target = raw_path + ("?" + query if query else "")
        headers: list[tuple[str, str]] = []
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                headers.append((key[5:].replace("_", "-").lower(), value))
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                headers.append((key.replace("_", "-").lower(), value))
        body, body_file = _read_body(environ)
        server = environ.get("REMOTE_ADDR")
        client = (server, int(environ.get("REMOTE_PORT") or 0)) if server else None
        request = Request(
            environ["REQUEST_METHOD"],
            target,
            headers,
            http_version=environ.get("SERVER_PROTOCOL", "HTTP/1.1")[5:] or "1.1",
            client=client,
        )
        request._body = body
        request._body_file = body_file
        request.root_path = (
            environ.get("SCRIPT_NAME", "").encode("latin-1").decode("utf-8", "replace")
        )
        return request


def _read_body(environ: Environ) -> tuple[bytes | None, IO[bytes] | None]:
    stream = environ["wsgi.input"]
    length_text = environ.get("CONTENT_LENGTH") or ""
    if length_text.isdigit():
        remaining: int | None = int(length_text)
    elif environ.get("wsgi.input_terminated"):
        remaining = None  # chunked: read to the end
    else:
        return b"", None
    parts: list[bytes] = []
    size = 0
    spill: IO[bytes] | None = None
    while remaining is None or remaining > 0:
        chunk = stream.read(65536 if remaining is None else min(remaining, 65536))
        if not chunk:
            break
        size += len(chunk)
        if remaining is not None:
            remaining -= len(chunk)
        if spill is not None:
            spill.write(chunk)
        else:
            parts.append(chunk)
            if size > BODY_SPILL_SIZE:
                spill = tempfile.TemporaryFile()
                spill.writelines(parts)
                parts = []
    if spill is not None:
        return None, spill
    return b"".join(parts), None


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
