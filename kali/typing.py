"""The public type aliases: what a body is, what a handler is, what it may return.

An *iolist* is a body made of nested sequences whose leaves are `str` or `bytes`.
kali never joins one into a single string before the socket: the server encodes
each `str` leaf as it sends and hands the pieces to `socket.sendmsg`.

There is one family of handler types:

- [`Handler`][kali.typing.Handler]: what the server, the test client and the WSGI
  adapter call — any callable from a `Request` to a response value. An `App` is one.
- [`RouteHandler`][kali.typing.RouteHandler]: what a route registers — the request
  first, then any other parameters (from the path, the query string or the form).
- [`HandlerT`][kali.typing.HandlerT]: the type variable the route decorators use, so
  that they return the decorated function unchanged.
- [`Middleware`][kali.typing.Middleware]: a function from a handler to a handler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Concatenate, TypeAlias, TypeVar, Union

if TYPE_CHECKING:
    from .live import Stream
    from .request import Request
    from .response import Response

IoItem: TypeAlias = Union[str, bytes, "IoList"]
"""One leaf or branch of an iolist."""
IoList: TypeAlias = Sequence[IoItem]
"""Nested lists (or tuples) of `str`/`bytes`: a body that is never joined."""
ResponseValue: TypeAlias = Union["Response", str, bytes, IoList, Iterator[IoItem], "Stream"]
"""Anything a handler may return. `str`, `bytes` and iolists are served as `text/html;
charset=utf-8` with status 200; an iterator (a generator) or a [`Stream`][kali.live.Stream]
is sent step by step (see [`kali.live`][kali.live]).
"""
Handler: TypeAlias = Callable[["Request"], ResponseValue]
"""A handler: any callable from a `Request` to a response value."""
RouteHandler: TypeAlias = Callable[Concatenate["Request", ...], ResponseValue]
"""What a route accepts: the request first, then any parameters (path parameters by name, the others
from the query string or a form body), returning a response value.
"""
HandlerT = TypeVar("HandlerT", bound=Callable[Concatenate["Request", ...], ResponseValue])
"""The type of a route handler as the decorators see it; they return it unchanged."""
Middleware: TypeAlias = Callable[[Handler], Handler]
"""Wraps a handler in another: `app.use(middleware)`. See `docs/middleware.md`."""
HeadersArg: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]]
"""Header fields as a mapping or as `(name, value)` pairs."""

__all__ = [
    "Handler",
    "HandlerT",
    "HeadersArg",
    "IoItem",
    "IoList",
    "Middleware",
    "ResponseValue",
    "RouteHandler",
]
