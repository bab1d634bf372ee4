"""Typed routing: patterns, converters, route tables and the dispatch tree.

:class:`kali.App` is the front end; this package holds the parts it is made
of, and the names a route table or a custom converter needs.
"""

from .converters import Converter as Converter
from .converters import FloatConverter as FloatConverter
from .converters import IntConverter as IntConverter
from .converters import PathConverter as PathConverter
from .converters import StringConverter as StringConverter
from .converters import UUIDConverter as UUIDConverter
from .errors import BuildError as BuildError
from .errors import DuplicateRouteError as DuplicateRouteError
from .errors import RouteError as RouteError
from .errors import RouteSyntaxError as RouteSyntaxError
from .errors import SetupFinishedError as SetupFinishedError
from .errors import SignatureMismatchError as SignatureMismatchError
from .errors import UnknownConverterError as UnknownConverterError
from .rules import Mount as Mount
from .rules import Route as Route
from .rules import RouteHandler as RouteHandler
from .tree import Match as Match

__all__ = [
    "BuildError",
    "Converter",
    "DuplicateRouteError",
    "FloatConverter",
    "IntConverter",
    "Match",
    "Mount",
    "PathConverter",
    "Route",
    "RouteError",
    "RouteHandler",
    "RouteSyntaxError",
    "SetupFinishedError",
    "SignatureMismatchError",
    "StringConverter",
    "UUIDConverter",
    "UnknownConverterError",
]
