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
from mypy.nodes import Expression, RefExpr, StrExpr, TypeInfo, Var
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

#: Looks a class up by its full name (the plugin's ``lookup_fully_qualified``).
Lookup = Callable[[str], TypeInfo | None]


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


def parse_route(
    pattern: str, methods: tuple[str, ...], known: Known, lookup: Lookup
) -> RouteView | Problem:
    """The route for ``pattern``, or the runtime's problem with it.

    A converter name the app is known not to have is the runtime's
    ``UnknownConverterError``; a name the plugin cannot be sure of is
    accepted, its types unknown.
    """
    builtin = {name: cls() for name, cls in DEFAULT_CONVERTERS.items()}
    try:
        segments = parse_pattern(pattern, _EveryName(builtin))
    except RouteSyntaxError as exc:
        return Problem(exc.problem, exc.fix)
    params: dict[str, ConverterView] = {}
    for segment in segments:
        for part in segment:
            if not isinstance(part, Param):
                continue
            choices = known.names.get(part.converter)
            if choices is None and known.closed:
                names = dict.fromkeys(known.names, Converter[Any]())
                try:
                    parse_pattern(pattern, names)
                except RouteSyntaxError as exc:
                    return Problem(exc.problem, exc.fix)
            params[part.name] = _view(part.converter, choices or [], lookup)
    return RouteView(pattern, methods, params)


def _view(name: str, choices: list[Expression | None], lookup: Lookup) -> ConverterView:
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
    return converter_view(name, infos[0], lookup)


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
        self._other: Converter[Any] = Converter()

    def __getitem__(self, name: str) -> Converter[Any]:
        return self._builtin.get(name, self._other)

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._builtin)

    def __len__(self) -> int:
        return len(self._builtin)


__all__ = ["ConverterView", "Lookup", "RouteView", "converter_view", "literal_str", "parse_route"]
