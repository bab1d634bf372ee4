"""Errors raised while routes are registered, compiled or reversed.

Every one is a `RouteError`, itself a `ValueError`. Registration
errors are raised when the route is added (at import time), never while a
request is served, and their message names the route, the handler with its
`file:line`, and how to fix the problem.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..errors import ConfigurationError, source_location


class RouteError(ConfigurationError, ValueError):
    """Base class: a route, a converter or a URL cannot be used as written."""

    problem: str = ""
    """What is wrong, without the route and handler lines (set by ``route_error``)."""
    fix: str = ""
    """How to fix it ("" when the message gives no fix)."""


class RouteSyntaxError(RouteError):
    """A path pattern is malformed (`"/item/<int:id"`, `"item"`, `"/<a>/<a>"`...)."""


class UnknownConverterError(RouteSyntaxError):
    """A pattern names a converter the app does not know (`<date:d>`, never added)."""


class SignatureMismatchError(RouteError):
    """A handler's signature disagrees with its route: a path parameter it does not
    accept, an annotation that disagrees with the converter, or a parameter that
    cannot be read from the query string."""


class DuplicateRouteError(RouteError):
    """Two routes can never be told apart: same method and same pattern shape."""


class SetupFinishedError(RouteError):
    """A route was added after the app was compiled (by `compile()` or its first request)."""


class BuildError(RouteError):
    """`url_for` cannot build a URL: unknown handler or name, or a missing/invalid parameter."""


def where(handler: object) -> str:
    """`"name (file.py:12)"` for a handler (or a class): what error messages point at."""
    if isinstance(handler, type):
        return _where_class(handler)
    func: Any = handler
    func = getattr(func, "__func__", func)  # bound methods
    name = getattr(func, "__qualname__", None) or type(handler).__qualname__
    code = getattr(func, "__code__", None)
    if code is None and not inspect.isroutine(func):
        call = type(func).__dict__.get("__call__")
        code = getattr(call, "__code__", None)
    if code is None:
        return name
    return f"{name} ({source_location(code.co_filename, code.co_firstlineno)})"


def _where_class(cls: type) -> str:
    name = cls.__qualname__
    try:
        filename = inspect.getsourcefile(cls) or inspect.getfile(cls)
        line = inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        # No source to read (a class made in an interactive session): a method's code says
        # at least which file and near which line.
        for value in vars(cls).values():
            code = getattr(getattr(value, "__func__", value), "__code__", None)
            if code is not None:
                return f"{name} ({source_location(code.co_filename, code.co_firstlineno)})"
        return name
    return f"{name} ({source_location(filename, line)})"


def route_error(
    cls: type[RouteError],
    problem: str,
    *,
    pattern: str,
    handler: Callable[..., Any] | object | None = None,
    methods: tuple[str, ...] | None = None,
    fix: str = "",
) -> RouteError:
    """Build a `cls` whose message reads: problem, route, handler (file:line), fix."""
    route = f"{'|'.join(methods)} {pattern}" if methods else pattern
    parts = [f"{problem}", f"  route:   {route}"]
    if handler is not None:
        parts.append(f"  handler: {where(handler)}")
    if fix:
        parts.append(f"  fix:     {fix}")
    error = cls("\n".join(parts))
    error.problem = problem
    error.fix = fix
    return error


__all__ = [
    "BuildError",
    "DuplicateRouteError",
    "RouteError",
    "RouteSyntaxError",
    "SetupFinishedError",
    "SignatureMismatchError",
    "UnknownConverterError",
    "route_error",
    "where",
]
