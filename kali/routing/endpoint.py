"""What the router makes of each route: a frozen [`Endpoint`][kali.routing.Endpoint],
and the [`Match`][kali.routing.Match] a lookup returns.

A [`Route`][kali.routing.Route] or [`Mount`][kali.routing.Mount] is the user's
declaration and stays as written. Everything the router works out when the route
is added — the parsed pattern, the converters, how the handler is called, which
arguments come from the query string — lives in the endpoint, computed once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from .converters import Converter
from .rules import Mount, Route, Segment

Binder = Callable[[Any, dict[str, Any]], dict[str, Any]]
"""Adds query-string (and form) arguments to the path parameters of a match."""


@dataclass(frozen=True, slots=True, eq=False)
class Endpoint:
    """One compiled route (or mount)."""

    route: Route | Mount
    """The declaration this endpoint was compiled from."""
    pattern: str
    """The pattern as matched: a mount's prefix without its trailing `/`."""
    methods: tuple[str, ...]
    """The methods it answers (`("*",)` for a mount)."""
    segments: tuple[Segment, ...]
    """The parsed pattern."""
    params: Mapping[str, Converter[Any]]
    """The converter of each path parameter, in the pattern's order."""
    call: Callable[[Any, tuple[Any, ...]], Any]
    """Calls the handler for a match: `call(request, values)`, made once per route."""
    binder: Binder | None = None
    """Reads the handler's other arguments from the request; `None` when there are none."""
    positional: bool = False
    """Whether the path values may be passed by position (the handler's parameters after the request
    are the path parameters, in order).
    """

    @property
    def handler(self) -> Callable[..., Any]:
        """The registered handler."""
        return self.route.handler

    @property
    def name(self) -> str:
        """The route's name, for [`url_for`][kali.App.url_for]."""
        return self.route.name

    @property
    def names(self) -> tuple[str, ...]:
        """The path parameters' names, in the pattern's order."""
        return tuple(self.params)

    @property
    def is_mount(self) -> bool:
        """Whether this endpoint hands a whole prefix to another handler."""
        return isinstance(self.route, Mount)

    @property
    def is_static(self) -> bool:
        """Whether the pattern has no parameters (and is not a mount)."""
        return not self.params and not self.is_mount

    def __repr__(self) -> str:
        return f"<Endpoint {'|'.join(self.methods)} {self.pattern} {self.name}>"


class Match(NamedTuple):
    """What [`App.match`][kali.App.match] returns for a matching request.

    A named tuple `(handler, endpoint, values)`; [`params`][kali.routing.Match.params]
    gives the values by name. Building the dict only when it is asked for keeps
    the matcher fast; the app passes `values` to the handler directly.
    """

    handler: Callable[..., Any]
    """The handler registered for the route (for a mount, the mounted handler)."""
    endpoint: Endpoint
    """The compiled route that matched."""
    values: tuple[Any, ...]
    """The converted path parameters, in the pattern's order."""

    @property
    def route(self) -> Route | Mount:
        """The declaration that matched."""
        return self.endpoint.route

    @property
    def params(self) -> dict[str, Any]:
        """Path parameters by name, converted: `{"id": 3}` (a new dict each time)."""
        return dict(zip(self.endpoint.params, self.values, strict=True))

    def __repr__(self) -> str:
        return f"Match(handler={self.handler!r}, params={self.params!r}, route={self.route!r})"


__all__ = ["Binder", "Endpoint", "Match"]
