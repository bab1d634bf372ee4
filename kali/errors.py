"""The error taxonomy: who made the mistake decides what happens.

kali tells two kinds of error apart, and handles them in opposite ways.

**Client errors** — the request is wrong. They carry the status to answer with,
never stop the server and never lose another client's request:

- [`HTTPError`][kali.HTTPError]`(status, message)`: raise it in a handler to answer
  with an error page (`HTTPError(404)`, `HTTPError(400, "page must be a number")`).
  kali raises it too: a missing route (404), a method the route does not take (405),
  a bad query or form value (400), a body that is not JSON (400).
- [`ProtocolError`][kali.errors.ProtocolError], an `HTTPError` raised by the HTTP
  parser for a request it cannot frame (400, 413, 414, 417, 431, 501, 505). It is
  answered without calling any handler, and the connection is closed after it,
  since the framing of what follows is unknown.

**Developer errors** — the program is wrong. They are raised as early as possible,
when the program is set up, before a socket opens, with a message that names the
file, the line and the fix. Each is a [`ConfigurationError`][kali.errors.ConfigurationError]:

- [`RouteError`][kali.routing.RouteError] and its family (`kali.routing`): a malformed
  path pattern, an unknown converter, a handler whose signature disagrees with its
  route, a duplicate route, a route added after the app was compiled;
- [`TemplateSyntaxError`][kali.templating.TemplateSyntaxError]: a template that cannot
  be compiled (its name, line and column);
- [`FormDefinitionError`][kali.formlets.FormDefinitionError]: a form field declared in a
  way that cannot work (raised when the class is defined);
- `ConfigurationError` itself: a middleware, error handler or option given wrong, a
  `StaticFiles` or `TemplateFolder` folder that does not exist.

`RouteError` and `FormDefinitionError` are `ValueError`s too.

What is neither — an exception a handler did not expect, a template that fails while
rendering — is a bug met while serving: it is logged with its traceback and answered
with a 500 page (the traceback is shown only with `debug=True`), and the server
carries on.
"""

from __future__ import annotations

import os
import sys
from http import HTTPStatus


class HTTPError(Exception):
    """Raise in a handler to answer with `status` and a short error page.

    `HTTPError(404)` gives the standard "404 Not Found" page;
    `HTTPError(400, "page must be a number")` adds a message. `headers` are added
    to the response (`Allow` on a 405, for example). An app's
    [`error`][kali.App.error] handlers render these pages in the app's own layout.
    """

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        if not 400 <= status <= 599:
            raise ValueError(f"HTTPError needs a 4xx or 5xx status, not {status}")
        self.status = status
        self.message = message
        self.headers = headers or []
        super().__init__(f"{status} {reason_phrase(status)}" + (f": {message}" if message else ""))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.message!r})"


class ProtocolError(HTTPError):
    """The client sent bytes that are not a request we will serve.

    Raised by [`RequestParser`][kali.protocol.RequestParser]; `status` is the answer
    (400, 413, 414, 417, 431, 501 or 505). The connection closes after it.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message)
        self.message: str = message


class ConfigurationError(Exception):
    """Base class of developer errors: kali was set up wrong.

    Raised while the program builds its app (registering routes, compiling
    templates, adding middleware), never while a request is served. The message
    names what is wrong, where (`file:line`) and how to fix it.
    """


_reasons: dict[int, str] = {}


def reason_phrase(status: int) -> str:
    """The standard reason phrase for `status` ("Unknown" if there is none)."""
    phrase = _reasons.get(status)
    if phrase is None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        _reasons[status] = phrase
    return phrase


def source_location(filename: str, line: int) -> str:
    """`"books.py:8"`: where a developer error points, for its message.

    A file under the current directory is shown relative to it, as the developer
    typed it (`python books.py`); any other file by its full path.
    """
    if os.path.isabs(filename):
        try:
            relative = os.path.relpath(filename)
        except ValueError:  # Windows: another drive
            relative = filename
        if not relative.startswith(os.pardir):
            filename = relative
    return f"{filename}:{line}"


_PACKAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")


def caller_location() -> str:
    """`"books.py:12"`: the first frame outside kali, where the developer's code called it."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    return source_location(frame.f_code.co_filename, frame.f_lineno)


__all__ = [
    "ConfigurationError",
    "HTTPError",
    "ProtocolError",
    "caller_location",
    "reason_phrase",
    "source_location",
]
