"""Calling a handler: the one place return values become Responses and
exceptions become error pages. Shared by the server, the test client and the
WSGI adapter, so all three answer alike."""

from __future__ import annotations

import html
import logging
import traceback
from typing import IO

from ._wire import Prepared, prepare
from .errors import HTTPError
from .protection import Guard
from .protocol import RequestHead
from .request import Request
from .response import HTML, Response
from .typing import Handler, ResponseValue

log = logging.getLogger("kali")


def to_response(value: ResponseValue) -> Response:
    """Turn what a handler returned into a :class:`Response`.

    ``str``, ``bytes`` and iolists become a 200 ``text/html; charset=utf-8``
    response. Anything else is a programming error, reported with its type.
    """
    kind = type(value)
    if kind is Response:
        return value  # type: ignore[return-value]
    if kind is str or kind is list or kind is bytes or kind is tuple:
        return Response(value)  # type: ignore[arg-type]
    if isinstance(value, Response):
        return value
    if isinstance(value, (str, bytes, list, tuple)):
        return Response(value)
    raise TypeError(
        f"a handler must return a Response, str, bytes or an iolist, not {kind.__name__}"
        + (" (did it forget to return?)" if value is None else "")
    )


def error_response(exc: HTTPError) -> Response:
    """The page for an :class:`HTTPError` raised by a handler (or by kali)."""
    response = Response.status_page(exc.status, exc.message)
    for name, value in exc.headers:
        response.add_header(name, value)
    return response


def call_handler(handler: Handler, request: Request, *, debug: bool = False) -> Response:
    """Run ``handler`` on ``request`` and always return a Response.

    An :class:`HTTPError` becomes its status page. Any other exception is
    logged with its traceback and becomes a plain 500, or, with ``debug``,
    a page showing the traceback. The request's temporary files are closed
    afterwards.
    """
    try:
        return to_response(handler(request))
    except HTTPError as exc:
        return error_response(exc)
    except Exception as exc:
        log.exception("Error while handling %s %s", request.method, request.target)
        if debug:
            return exception_page(exc)
        return Response.status_page(500)
    finally:
        request.close()


def serve_request(
    handler: Handler,
    head: RequestHead,
    body: bytes | None,
    body_file: IO[bytes] | None,
    client: tuple[str, int] | None,
    *,
    guard: Guard,
    debug: bool,
    keep_alive: bool,
) -> tuple[Response, Prepared]:
    """One parsed request to a framed response: the path shared by the server
    and the test client.

    The guard may refuse the request (403) before the handler runs; a
    response that cannot be framed (a bad header, an iolist with a foreign
    leaf) is logged and replaced by a 500; ``shut_down`` closes the connection.
    """
    refusal = guard.refuse(head.method, head.headers)
    if refusal is not None:
        response = Response.status_page(403, refusal)
    else:
        request = Request._from_head(head, body, body_file, client)
        response = call_handler(handler, request, debug=debug)
    version = head.http_version
    try:
        prepared = prepare(
            response,
            method=head.method,
            http_version=version,
            keep_alive=keep_alive and not response.shut_down,
        )
    except Exception:
        log.exception("Bad response from the handler for %s %s", head.method, head.target)
        response = Response.status_page(500)
        prepared = prepare(response, method=head.method, http_version=version, keep_alive=False)
    return response, prepared


def exception_page(exc: BaseException) -> Response:
    """A 500 page with the traceback: for debug mode only, never in production."""
    text = "".join(traceback.format_exception(exc))
    body = [
        "<!doctype html>\n<html><head><meta charset=utf-8><title>500 Internal Server Error"
        "</title><style>body{font-family:sans-serif;margin:2em}pre{background:#f4f4f4;"
        "padding:1em;overflow:auto}</style></head>\n<body><h1>500 Internal Server Error</h1>\n"
        "<p>The handler raised an exception (shown because debug is on).</p>\n<pre>",
        html.escape(text),
        "</pre></body></html>\n",
    ]
    return Response(body, 500, content_type=HTML)
