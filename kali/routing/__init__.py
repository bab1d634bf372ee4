"""Typed routing: patterns, converters, route tables, the router and its matcher.

[`kali.App`][kali.App] is the front end; it hands its routes to a
[`Router`][kali.routing.Router]. This package holds the parts the router is made
of, and the names a route table or a custom converter needs:

- `rules`: the pattern syntax and the frozen declarations `Route` and `Mount`;
- `converters`: `Converter[T]` and the built-in ones;
- `signature`: a handler's signature against its route (and the binder);
- `endpoint`: what the router compiles each route into, and `Match`;
- `tree` and `compiler`: the dispatch tree and the generated matcher;
- `urls`: reverse routing; `errors`: the `RouteError` family;
- `router`: the `Router` tying them together.
"""

from .converters import Converter as Converter
from .converters import FloatConverter as FloatConverter
from .converters import IntConverter as IntConverter
from .converters import PathConverter as PathConverter
from .converters import StringConverter as StringConverter
from .converters import UUIDConverter as UUIDConverter
from .endpoint import Endpoint as Endpoint
from .endpoint import Match as Match
from .errors import BuildError as BuildError
from .errors import DuplicateRouteError as DuplicateRouteError
from .errors import RouteError as RouteError
from .errors import RouteSyntaxError as RouteSyntaxError
from .errors import SetupFinishedError as SetupFinishedError
from .errors import SignatureMismatchError as SignatureMismatchError
from .errors import UnknownConverterError as UnknownConverterError
from .router import Router as Router
from .rules import Mount as Mount
from .rules import Route as Route

__all__ = [
    "BuildError",
    "Converter",
    "DuplicateRouteError",
    "Endpoint",
    "FloatConverter",
    "IntConverter",
    "Match",
    "Mount",
    "PathConverter",
    "Route",
    "RouteError",
    "RouteSyntaxError",
    "Router",
    "SetupFinishedError",
    "SignatureMismatchError",
    "StringConverter",
    "UUIDConverter",
    "UnknownConverterError",
]
