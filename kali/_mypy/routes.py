"""A route's path as the plugin sees it: parsed by the runtime's own parser.

The pattern is split by `kali.routing.rules.parse_pattern`, so the plugin
accepts and refuses exactly the paths the runtime does, with its words. Each
converter name is then looked up in what the plugin knows of the app (see
`scope`), and the converter class is read as mypy sees it: ``T`` of its
``Converter[T]`` base (else ``convert``'s return type) and the type
``to_url`` takes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mypy.maptype import map_instance_to_supertype
from mypy.nodes import Expression, ListExpr, RefExpr, StrExpr, TupleExpr, TypeInfo, Var
from mypy.subtypes import find_member
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    LiteralType,
    Type,
    TypeVarType,
    get_proper_type,
)
from mypy.typevars import fill_typevars_with_any

from kali.routing.converters import DEFAULT_CONVERTERS, Converter
from kali.routing.errors import RouteSyntaxError
from kali.routing.problems import Problem
from kali.routing.rules import Param, parse_pattern

from .scope import Known

CONVERTER = "kali.routing.converters.Converter"

Lookup = Callable[[str], TypeInfo | None]
"""Looks a class up by its full name (the plugin's ``lookup_fully_qualified``)."""


@dataclass(frozen=True)
class ConverterView:
    """One converter of a route: its name in the pattern, class name and types.

    ``produced`` and ``accepts`` are ``None`` when the plugin cannot tell
    them; nothing is then checked against them.
    """

    name: str
    class_name: str
    produced: Type | None
    accepts: Type | None


@dataclass(frozen=True)
class RouteView:
    """A route the plugin checks: pattern, methods, path parameters in order."""

    pattern: str
    methods: tuple[str, ...]
    params: dict[str, ConverterView]


def literal_str(expr: Expression | None, typ: Type | None = None) -> str | None:
    """The value of a string literal (or of a ``Final`` string constant), else ``None``."""
    if isinstance(expr, StrExpr):
        return expr.value
    if isinstance(expr, RefExpr) and isinstance(expr.node, Var):
        value = expr.node.final_value
        if isinstance(value, str):
            return value
    proper = get_proper_type(typ) if typ is not None else None
    if isinstance(proper, Instance) and proper.last_known_value is not None:
        proper = proper.last_known_value
    if (
        isinstance(proper, LiteralType)
        and isinstance(proper.value, str)
        and proper.fallback.type.fullname == "builtins.str"
    ):
        return proper.value
    return None


def literal_methods(expr: Expression | None) -> tuple[str, ...]:
    """The methods of ``methods=["GET", "POST"]`` (a literal list or string), else ``("GET",)``."""
    if isinstance(expr, (ListExpr, TupleExpr)):
        found = [literal_str(item) for item in expr.items]
        if found and all(found):
            return tuple(m.upper() for m in found if m)
    elif expr is not None:
        method = literal_str(expr)
        if method:
            return (method.upper(),)
    return ("GET",)


def parse_route(
    pattern: str,
    methods: tuple[str, ...],
    known: Known,
    lookup: Lookup,
    views: dict[tuple[str, str], tuple[TypeInfo, ConverterView]] | None = None,
) -> RouteView | Problem:
    """The route for ``pattern``, or the runtime's problem with it.

    A converter name the app is known not to have is the runtime's
    ``UnknownConverterError``; a name the plugin cannot be sure of is
    accepted, its types unknown. ``views`` caches converter classes read
    (for one module).
    """
    shape = _shape(pattern)
    if isinstance(shape, Problem):
        return shape
    params: dict[str, ConverterView] = {}
    for name, converter in shape:
        choices = known.names.get(converter)
        if choices is None and known.closed:
            try:
                parse_pattern(pattern, dict.fromkeys(known.names, _OTHER))
            except RouteSyntaxError as exc:
                return Problem(exc.problem, exc.fix)
        params[name] = _view(converter, choices or [], lookup, {} if views is None else views)
    return RouteView(pattern, methods, params)


def _shape(pattern: str) -> tuple[tuple[str, str], ...] | Problem:
    """``pattern``'s parameters (name, converter), or its syntax problem: the runtime's parse,
    with any converter name accepted. It depends on the pattern alone, so it is cached."""
    found = _SHAPES.get(pattern)
    if found is None:
        try:
            segments = parse_pattern(pattern, _EVERY_NAME)
        except RouteSyntaxError as exc:
            found = Problem(exc.problem, exc.fix)
        else:
            found = tuple(
                (part.name, part.converter)
                for segment in segments
                for part in segment
                if isinstance(part, Param)
            )
        if len(_SHAPES) >= 4096:
            _SHAPES.clear()
        _SHAPES[pattern] = found
    return found


def _view(
    name: str,
    choices: list[Expression | None],
    lookup: Lookup,
    views: dict[tuple[str, str], tuple[TypeInfo, ConverterView]],
) -> ConverterView:
    infos: list[TypeInfo] = []
    for choice in choices:
        if choice is None:
            cls = DEFAULT_CONVERTERS.get(name)
            info = lookup(f"{cls.__module__}.{cls.__qualname__}") if cls else None
        elif isinstance(choice, RefExpr) and isinstance(choice.node, TypeInfo):
            info = choice.node
        else:
            info = None
        if info is None:
            return ConverterView(name, "", None, None)
        infos.append(info)
    if not infos or len({info.fullname for info in infos}) != 1:
        return ConverterView(name, "", None, None)
    info = infos[0]
    cached = views.get((name, info.fullname))
    if cached is None or cached[0] is not info:
        cached = views[(name, info.fullname)] = (info, converter_view(name, info, lookup))
    return cached[1]


def converter_view(name: str, info: TypeInfo, lookup: Lookup) -> ConverterView:
    """The types of the converter class ``info``, as ``output_type`` reads them at runtime."""
    base = lookup(CONVERTER)
    if base is None or base not in info.mro:
        return ConverterView(name, info.name, None, None)
    instance = fill_typevars_with_any(info)
    if not isinstance(instance, Instance):
        return ConverterView(name, info.name, None, None)
    (argument,) = map_instance_to_supertype(instance, base).args
    produced: Type | None = argument
    if _unknown(argument):
        produced = None
        convert = get_proper_type(find_member("convert", instance, instance))
        if isinstance(convert, CallableType) and not _unknown(convert.ret_type):
            produced = convert.ret_type
    accepts: Type | None = produced
    to_url = get_proper_type(find_member("to_url", instance, instance))
    if isinstance(to_url, CallableType) and to_url.arg_types:
        accepts = None if _unknown(to_url.arg_types[0]) else to_url.arg_types[0]
    return ConverterView(name, info.name, produced, accepts)


def _unknown(typ: Type) -> bool:
    return isinstance(get_proper_type(typ), (AnyType, TypeVarType))


class _EveryName(Mapping[str, Converter[Any]]):
    """Every name is a converter: syntax is checked first, names apart.

    A name that is not built in stands for a converter of the default
    weight: ``add_converter`` refuses the weights that would make it a
    ``path``-like converter, the one thing the parser asks of it.
    """

    def __init__(self, builtin: dict[str, Converter[Any]]) -> None:
        self._builtin = builtin

    def __getitem__(self, name: str) -> Converter[Any]:
        return self._builtin.get(name, _OTHER)

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._builtin)

    def __len__(self) -> int:
        return len(self._builtin)


_OTHER: Converter[Any] = Converter()
_EVERY_NAME = _EveryName({name: cls() for name, cls in DEFAULT_CONVERTERS.items()})
_SHAPES: dict[str, tuple[tuple[str, str], ...] | Problem] = {}

__all__ = [
    "ConverterView",
    "Lookup",
    "RouteView",
    "converter_view",
    "literal_methods",
    "literal_str",
    "parse_route",
]
