"""Route tables and the path-pattern syntax.

A pattern is a path whose segments are literal text, parameters, or both:

    /about                      static
    /item/<int:id>              one typed parameter per segment
    /user/<name>                "str": any non-empty segment
    /asset/<int:n>.css          a parameter sharing its segment with literal text
    /report-<date:day>.pdf      ... with a custom converter
    /files/<path:rest>          the rest of the path, slashes included (last only)
    /dir/                       a trailing slash: "/dir" redirects here

Patterns are written decoded ("/café"); matching happens on percent-decoded
segments, and `url_for` encodes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from ..typing import Handler, RouteHandler
from .converters import Converter, is_greedy
from .errors import RouteSyntaxError, UnknownConverterError, route_error

_METHOD = re.compile(r"[A-Z][A-Z0-9_-]*")
"""HTTP methods a route may name (others are refused at registration)."""
_PARAM = re.compile(r"<(?:([A-Za-z_][A-Za-z0-9_]*):)?([A-Za-z_][A-Za-z0-9_]*)>")


@dataclass(frozen=True, slots=True, init=False)
class Route:
    """One entry of a route table: `Route("/item/<int:id>", show, methods=["GET"])`.

    A declaration, frozen once made: the router compiles it into its own
    [`Endpoint`][kali.routing.Endpoint] and never changes it. `methods` defaults to
    `["GET"]` (a GET route also answers HEAD). `name` is what
    [`App.url_for`][kali.App.url_for] accepts besides the handler itself; it
    defaults to the handler's `__name__`.
    """

    path: str
    handler: RouteHandler
    methods: tuple[str, ...]
    name: str

    def __init__(
        self,
        path: str,
        handler: RouteHandler,
        methods: Sequence[str] = ("GET",),
        *,
        name: str | None = None,
    ) -> None:
        if isinstance(methods, str):
            methods = (methods,)
        methods = tuple(dict.fromkeys(m.upper() if isinstance(m, str) else m for m in methods))
        set_field = object.__setattr__
        set_field(self, "path", path)
        set_field(self, "handler", handler)
        set_field(self, "methods", methods)
        set_field(self, "name", name if name is not None else _default_name(handler))

    def __repr__(self) -> str:
        return f"Route({self.path!r}, {self.name}, methods={list(self.methods)!r})"


@dataclass(frozen=True, slots=True, init=False)
class Mount:
    """A table entry that hands every request under `path` (a prefix) to `handler`.

    `handler` is any handler (another [`App`][kali.App], a static-files handler...).
    It receives [`Request.mounted`][kali.Request.mounted]: `path` is what follows
    the prefix (at least `"/"`) and `root_path` grows by the prefix.
    """

    path: str
    handler: Handler
    name: str

    def __init__(self, path: str, handler: Handler, *, name: str | None = None) -> None:
        set_field = object.__setattr__
        set_field(self, "path", path)
        set_field(self, "handler", handler)
        set_field(self, "name", name if name is not None else _default_name(handler))

    @property
    def methods(self) -> tuple[str, ...]:
        """`("*",)`: a mount takes every method."""
        return ("*",)

    def __repr__(self) -> str:
        return f"Mount({self.path!r}, {self.name})"


def _default_name(handler: object) -> str:
    func = getattr(handler, "__func__", handler)
    if getattr(handler, "__self__", None) is not None:
        return str(getattr(func, "__qualname__", func))
    return str(getattr(func, "__name__", None) or type(handler).__name__)


# -- parsed patterns -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter in a pattern: `<int:id>` is `Param("id", "int")`."""

    name: str
    converter: str


Segment: TypeAlias = tuple["str | Param", ...]
"""One segment of a pattern: literal text and parameters, in order."""


def parse_pattern(
    pattern: str,
    converters: Mapping[str, Converter[Any]],
    *,
    handler: object = None,
    methods: tuple[str, ...] | None = None,
) -> tuple[Segment, ...]:
    """Split `pattern` into segments, checking the syntax and the converter names.

    Raises `RouteSyntaxError` (or [`UnknownConverterError`][kali.routing.UnknownConverterError])
    with
    the pattern, the handler's `file:line` and a fix.
    """

    def fail(problem: str, fix: str, cls: type[RouteSyntaxError] = RouteSyntaxError) -> Exception:
        return route_error(cls, problem, pattern=pattern, handler=handler, methods=methods, fix=fix)

    if not isinstance(pattern, str) or not pattern.startswith("/"):
        raise fail(f"the path pattern {pattern!r} does not start with '/'", "write '/' + path")
    if "?" in pattern or "#" in pattern:
        raise fail(
            "a path pattern cannot contain '?' or '#'",
            "query parameters are read from handler arguments",
        )
    segments: list[Segment] = []
    seen: set[str] = set()
    raw_segments = pattern[1:].split("/")
    for index, raw in enumerate(raw_segments):
        last = index == len(raw_segments) - 1
        if raw == "" and not last:
            raise fail("the pattern has an empty segment ('//')", "remove the extra '/'")
        if raw in (".", ".."):
            raise fail(f"the pattern has a {raw!r} segment", "write the normalized path")
        if "<" not in raw and ">" not in raw:
            segments.append((raw,))
            continue
        parts: list[str | Param] = []
        pos = 0
        for found in _PARAM.finditer(raw):
            text = raw[pos : found.start()]
            if text:
                parts.append(text)
            elif parts and isinstance(parts[-1], Param):
                raise fail(
                    f"parameters {parts[-1].name!r} and {found.group(2)!r} touch: "
                    "where one ends and the next begins cannot be told",
                    "put literal text between them",
                )
            conv, name = found.group(1) or "str", found.group(2)
            if name in seen:
                raise fail(f"the parameter {name!r} appears twice", "rename one of them")
            if conv not in converters:
                known = ", ".join(sorted(converters))
                raise fail(
                    f"unknown converter {conv!r} in <{conv}:{name}>",
                    f"use one of {known}, or register it with app.add_converter({conv!r}, ...)",
                    UnknownConverterError,
                )
            seen.add(name)
            parts.append(Param(name, conv))
            pos = found.end()
        text = raw[pos:]
        if text:
            parts.append(text)
        for part in parts:
            if isinstance(part, str) and ("<" in part or ">" in part):
                raise fail(
                    f"malformed parameter in segment {raw!r}",
                    "write parameters as <name> or <converter:name>, with identifier names",
                )
        is_path = any(isinstance(p, Param) and is_greedy(converters[p.converter]) for p in parts)
        if is_path and (len(parts) != 1 or not last):
            raise fail(
                "a <path:...> parameter must be the whole last segment",
                "write '/prefix/<path:name>' at the end of the pattern",
            )
        segments.append(tuple(parts) if parts else ("",))
    return tuple(segments)


def check_methods(methods: tuple[str, ...], pattern: str, handler: object) -> tuple[str, ...]:
    """Refuse an empty list or a malformed method name."""
    if not methods:
        raise route_error(
            RouteSyntaxError,
            "a route needs at least one method",
            pattern=pattern,
            handler=handler,
            fix="methods=['GET']",
        )
    for method in methods:
        if not isinstance(method, str) or not _METHOD.fullmatch(method):
            raise route_error(
                RouteSyntaxError,
                f"invalid HTTP method {method!r}",
                pattern=pattern,
                handler=handler,
                fix="use e.g. 'GET', 'POST'",
            )
    return methods


__all__ = [
    "Mount",
    "Param",
    "Route",
    "Segment",
    "check_methods",
    "parse_pattern",
]
