"""The one path every request takes, whatever carried it.

The native server, the WSGI adapter and the test client each turn bytes (or an
environ) into a [`Request`][kali.Request]; from there all three go through the
same [`Pipeline`][kali.pipeline.Pipeline]:

1. [`refuse`][kali.pipeline.Pipeline.refuse]: the checks against hostile pages
   ([`kali.protection`][]), made on the head alone, before the body is read;
2. [`respond`][kali.pipeline.Pipeline.respond]: the handler is called, its return
   value becomes a [`Response`][kali.Response], an [`HTTPError`][kali.HTTPError]
   its error page, and any other exception is logged and becomes a 500;
3. [`serve`][kali.pipeline.Pipeline.serve]: the response is framed for the wire,
   with the default security headers.

So none of them can skip the protection, and all three answer alike.
"""

from __future__ import annotations

import contextlib
import hmac
import inspect
import logging
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from types import FunctionType, MethodType
from typing import Final

from ._wire import HeaderBlock, Prepared, frame, frame_plain
from .errors import HTTPError
from .live import Stream
from .protection import SAFE_METHODS, Guard
from .protocol import HeaderFields, RequestHead
from .request import Request
from .response import HTML, Response, ResponseHeaders, local_path
from .templating.markup import escape
from .typing import Handler, ResponseValue

ErrorPages = Callable[[Request, Exception], Response]
"""An App's error pages: the response for an exception its handlers raised."""

log = logging.getLogger("kali")

SECURITY_HEADERS: Final[Mapping[str, str]] = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
"""Sent with every response unless it sets the same field (see `docs/security.md`): no framing by
other pages (clickjacking), no content sniffing, no full URLs in the Referer sent to other sites.
"""

_sink: ContextVar[list[BaseException] | None] = ContextVar("kali_exceptions", default=None)


def to_response(value: ResponseValue) -> Response:
    """Turn what a handler returned into a [`Response`][kali.Response].

    `str`, `bytes` and iolists become a 200 `text/html; charset=utf-8` response;
    so do a generator and a [`Stream`][kali.live.Stream], sent step by step.
    Anything else is a programming error, reported with its type.
    """
    kind = type(value)
    if kind is Response:
        return value  # type: ignore[return-value]
    if kind is str or kind is list or kind is bytes or kind is tuple:
        return Response(value)  # type: ignore[arg-type]
    if isinstance(value, Response):
        return value
    if isinstance(value, (str, bytes, list, tuple, Stream, Iterator)):
        return Response(value)  # an iterator is sent step by step
    raise TypeError(
        f"a handler must return a Response, str, bytes or an iolist, not {kind.__name__}"
        + (" (did it forget to return?)" if value is None else "")
    )


def error_page(exc: HTTPError) -> Response:
    """kali's own page for an [`HTTPError`][kali.HTTPError]: "404 Not Found" and
    the message, with the error's headers (`Allow` on a 405)."""
    response = Response.status_page(exc.status, exc.message)
    for name, value in exc.headers:
        response.headers.add(name, value)
    return response


def exception_page(exc: BaseException) -> Response:
    """A 500 page with the traceback: for debug mode only, never in production."""
    text = "".join(traceback.format_exception(exc))
    body = [
        "<!doctype html>\n<html><head><meta charset=utf-8><title>500 Internal Server Error"
        "</title><style>body{font-family:sans-serif;margin:2em}pre{background:#f4f4f4;"
        "padding:1em;overflow:auto}</style></head>\n<body><h1>500 Internal Server Error</h1>\n"
        "<p>The handler raised an exception (shown because debug is on).</p>\n<pre>",
        escape(text),
        "</pre></body></html>\n",
    ]
    return Response(body, 500, content_type=HTML)


def fallback_page(request: Request, exc: Exception, debug: bool) -> Response:
    """kali's own answer to an exception from a handler: the page of an
    [`HTTPError`][kali.HTTPError], else a 500 (with the traceback when `debug`),
    the exception logged by [`report_exception`][kali.pipeline.report_exception]."""
    if isinstance(exc, HTTPError):
        return error_page(exc)
    report_exception(request, exc)
    return exception_page(exc) if debug else Response.status_page(500)


def report_exception(request: Request, exc: BaseException) -> None:
    """Log an exception a handler did not expect, with its traceback.

    Inside [`capture_exceptions`][kali.pipeline.capture_exceptions] (as the test
    client uses it) the exception is also collected, so a test can re-raise it.
    """
    log.error("Error while handling %s %s", request.method, request.target, exc_info=exc)
    sink = _sink.get()
    if sink is not None:
        sink.append(exc)


@contextlib.contextmanager
def capture_exceptions() -> Iterator[list[BaseException]]:
    """Collect the exceptions [`report_exception`][kali.pipeline.report_exception]
    reports in this context, in order."""
    caught: list[BaseException] = []
    token = _sink.set(caught)
    try:
        yield caught
    finally:
        _sink.reset(token)


class Pipeline:
    """The checks, the call and the framing for one handler.

    Args:
        handler: what to call for each request (an [`App`][kali.App] or any handler).
        guard: the Host and cross-site checks ([`Guard`][kali.protection.Guard]).
        debug: show the traceback in the 500 page of an exception that reaches the
            pipeline (an `App` renders its own error pages; see `App.debug`).
        security_headers: fields added to every response that does not set them;
            `{}` sends none. Defaults to [`SECURITY_HEADERS`][kali.pipeline.SECURITY_HEADERS].
    """

    __slots__ = ("_call", "_handler", "_pages", "debug", "defaults", "guard", "launch_token")

    def __init__(
        self,
        handler: Handler,
        *,
        guard: Guard,
        debug: bool = False,
        security_headers: Mapping[str, str] = SECURITY_HEADERS,
        launch_token: str | None = None,
    ) -> None:
        self.handler = handler
        self.guard = guard
        self.debug = debug
        self.defaults = HeaderBlock(dict(ResponseHeaders(security_headers)))
        self.launch_token = launch_token
        """With a token, only a browser that opened the launch URL (which carries it) is served; see
        [`check_token`][kali.pipeline.Pipeline.check_token].
        """

    @property
    def handler(self) -> Handler:
        """What is called for each request; it may be replaced."""
        return self._handler

    @handler.setter
    def handler(self, handler: Handler) -> None:
        self._handler = handler
        self._call: Handler = self._bind
        self._pages: ErrorPages | None = None

    def _bind(self, request: Request) -> ResponseValue:
        # On the first request (an App's routes are all in by then): what to call.
        # An App hands over its layers (compiled now) and its error pages, so that
        # each request calls its router directly, one frame fewer than App.__call__.
        # (read from the type: a proxy forwarding attributes to an App is not one)
        entry = getattr(type(self._handler), "_pipeline_entry", None)
        try:
            layers = entry(self._handler) if entry is not None else None
        except Exception:  # its routes do not compile: App.__call__ answers with its pages
            layers = None
        if layers is not None:
            self._call, self._pages = layers
        else:
            self._call = _direct(self._handler)
        return self._call(request)

    def _error(self, request: Request, exc: Exception) -> Response:
        # The handler raised: its App's error page, else (or if that fails) ours.
        pages = self._pages
        if pages is not None:
            try:
                return pages(request, exc)
            except Exception as failure:
                exc = failure
        return fallback_page(request, exc, self.debug)

    def refuse(
        self,
        method: str,
        host: str | None,
        origin: str | None = None,
        fetch_site: str | None = None,
    ) -> Response | None:
        """The 403 for a request the guard refuses (decided on its head), or `None`."""
        if host in self.guard.accepted and method in SAFE_METHODS:
            return None  # PERF: the usual request, decided without a call
        why = self.guard.refuse(method, host, origin, fetch_site)
        if why is None:
            return None
        return Response.status_page(403, why)

    def refuse_head(self, head: RequestHead) -> Response | None:
        """[`refuse`][kali.pipeline.Pipeline.refuse] for a parsed head."""
        method = head.method
        if method in SAFE_METHODS:
            if head.host in self.guard.accepted and self.launch_token is None:
                return None  # PERF: the usual request, decided without a call
            why = self.guard.refuse(method, head.host)
        else:
            why = self.guard.refuse(
                method, head.host, _field(head, "origin"), _field(head, "sec-fetch-site")
            )
        if why is not None:
            return Response.status_page(403, why)
        if self.launch_token is not None:
            return self.check_token(head)
        return None

    def check_token(self, head: RequestHead) -> Response | None:
        """For a server reachable from other computers: `None` for a request from
        the browser that opened the launch URL, else the answer.

        The launch URL carries `?kali_token=<token>`; the first request with it
        gets the token as a cookie and a redirect to the same URL without it.
        After that the cookie is checked; a request with neither gets a 403.
        """
        token = self.launch_token
        assert token is not None
        for name, value in head.headers:
            if name == "cookie" and _cookie_token(value, token):
                return None
        query = head.query_string
        if TOKEN_PARAM in query:
            kept = []
            found = False
            for piece in query.split("&"):
                key, _, value = piece.partition("=")
                if key == TOKEN_PARAM:
                    found = found or hmac.compare_digest(value.encode(), token.encode())
                else:
                    kept.append(piece)
            if found:
                query = "?" + "&".join(kept) if kept else ""
                response = Response.redirect(local_path(head.raw_path) + query, 303)
                response.set_cookie(TOKEN_PARAM, token, same_site="Strict")
                return response
        return Response.status_page(
            403,
            "This app is served to other computers too, so it answers only the browser that "
            "opened the address it printed when it started (with ?kali_token=...).",
        )

    def respond(self, request: Request) -> Response:
        """Call the handler and return its response; never raises an `Exception`.

        The request's temporary files are closed afterwards (for a streamed body,
        once the stream is finished: its steps may still read the request).
        """
        try:
            value = self._call(request)
            response = value if type(value) is Response else to_response(value)
        except Exception as exc:
            response = self._error(request, exc)
        if request.head.content_length != 0:  # PERF: a request without a body holds no file
            _close_after(request, response)
        return response

    def serve(self, request: Request, keep_alive: bool) -> tuple[Prepared, bool]:
        """Respond to `request` and frame the response; also say whether it asked
        the server to shut down.

        A response that cannot be framed (an iolist with a foreign leaf, say) is
        logged and replaced by a 500.
        """
        try:
            value = self._call(request)
            kind = type(value)
            if kind is Response:
                response: Response = value  # type: ignore[assignment]  # (mypy: not narrowed)
            elif (kind is bytes or kind is str) and request.head.method != "HEAD":
                body: bytes = value if kind is bytes else value.encode()  # type: ignore[assignment, union-attr]
                if request.head.content_length != 0:
                    request.close()
                return frame_plain(
                    body,
                    http_version=request.head.http_version,
                    keep_alive=keep_alive,
                    defaults=self.defaults,
                ), False
            else:
                response = to_response(value)
        except Exception as exc:
            response = self._error(request, exc)
        head = request.head  # (the handler's: a `_method` override replaces it)
        if head.content_length != 0:
            _close_after(request, response)
        method = head.method
        try:
            prepared = frame(
                response,
                method=method,
                http_version=head.http_version,
                keep_alive=keep_alive and not response.shut_down,
                defaults=self.defaults,
            )
        except Exception as exc:
            report_exception(request, exc)
            response = Response.status_page(500)
            prepared = frame(
                response,
                method=method,
                http_version=request.http_version,
                keep_alive=False,
                defaults=self.defaults,
            )
        return prepared, response.shut_down

    def frame_refusal(self, response: Response, method: str, http_version: str) -> Prepared:
        """Frame a response made before any handler ran (a 403); the connection closes."""
        return frame(
            response,
            method=method,
            http_version=http_version,
            keep_alive=False,
            defaults=self.defaults,
        )


TOKEN_PARAM: Final = "kali_token"
"""The query parameter (and cookie) that carries the launch token."""


def _cookie_token(header: str, token: str) -> bool:
    for pair in header.split(";"):
        name, _, value = pair.strip().partition("=")
        if name == TOKEN_PARAM and hmac.compare_digest(value.encode(), token.encode()):
            return True
    return False


def _field(head: RequestHead, name: str) -> str | None:
    # The first value of a field (a parsed head finds it without splitting the list).
    fields = head.headers
    if type(fields) is HeaderFields:
        return fields.get(name)
    return next((value for key, value in fields if key == name), None)


def _direct(handler: Handler) -> Handler:
    # PERF: calling an object whose class defines __call__ in Python (an App) goes
    # through the type's slot wrapper; its bound __call__ method is called directly.
    # Anything else (a function, a bound method) is best called as it is.
    method = inspect.getattr_static(type(handler), "__call__", None)
    if not isinstance(method, FunctionType):
        return handler
    return MethodType(method, handler)


def _close_after(request: Request, response: Response) -> None:
    # The request's temporary files go when the response no longer needs them.
    body = response.body
    if isinstance(body, Stream):
        body.on_close(request.close)
    else:
        request.close()


__all__ = [
    "SECURITY_HEADERS",
    "Pipeline",
    "capture_exceptions",
    "error_page",
    "exception_page",
    "fallback_page",
    "report_exception",
    "to_response",
]
