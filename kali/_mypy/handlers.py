"""The runtime's handler-signature rules (`kali.routing.signature.analyse`), on mypy types.

The rules and their order are the runtime's: the request comes first and
positionally; after it no ``*args`` and nothing positional-only; a path
parameter's annotation must accept what its converter produces; any other
parameter is read from the query string, so its annotation must be one kali
can read; every path parameter must be accepted (by name, or by
``**kwargs``). The runtime stops at the first problem, the plugin reports
them all. Where mypy knows a type the runtime cannot (the request parameter's
annotation), the plugin checks it too; where the plugin cannot be sure (no
annotation, ``Any``, an unknown converter type), it checks nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from mypy.messages import format_type_bare
from mypy.nodes import ARG_OPT, ARG_POS, ARG_STAR, ARG_STAR2, ArgKind, FuncDef
from mypy.options import Options
from mypy.subtypes import is_subtype
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    LiteralType,
    NoneType,
    Type,
    UnionType,
    get_proper_type,
)

from kali.routing import problems
from kali.routing.problems import Problem
from kali.routing.signature import FORM_METHODS

from .routes import RouteView

_SCALARS = frozenset(
    {"builtins.str", "builtins.int", "builtins.float", "builtins.bool", "builtins.object"}
)
"""The annotations a query parameter may have, as the runtime's ``_SCALARS`` lists them."""


@dataclass(frozen=True)
class Parameter:
    """One parameter of a handler (``Any`` when it is not annotated)."""

    name: str
    kind: ArgKind
    type: Type
    positional_only: bool


def parameters(typ: Type) -> list[Parameter] | None:
    """The parameters of a handler of type ``typ`` (as called), or ``None`` if unclear.

    Only functions (and classes, by their constructor) are read. The runtime
    reads a callable object's signature through ``__wrapped__`` or
    ``__signature__`` when it has them (``functools.lru_cache``, ``wraps``),
    which its type does not say, so such a handler is not checked here.
    """
    proper = get_proper_type(typ)
    if not isinstance(proper, CallableType) or proper.is_ellipsis_args:
        return None
    definition = proper.definition
    names: list[str | None] = list(proper.arg_names)
    declared: list[bool] = [False] * len(names)
    if isinstance(definition, FuncDef):
        arguments = definition.arguments
        offset = len(arguments) - len(names)
        if offset >= 0 and all(
            arguments[offset + i].kind == kind for i, kind in enumerate(proper.arg_kinds)
        ):
            for i in range(len(names)):
                argument = arguments[offset + i]
                names[i] = argument.variable.name
                # mypy takes ``__x`` for positional-only; Python does not (without "/").
                declared[i] = argument.pos_only and not _dunder_style(argument.variable.name)
    found: list[Parameter] = []
    for name, kind, arg_type, positional_only in zip(
        names, proper.arg_kinds, proper.arg_types, declared, strict=True
    ):
        if name is None:
            return None  # positional-only without a definition to name it: not ours to judge
        found.append(Parameter(name, kind, arg_type, positional_only))
    return found


def check(
    params: list[Parameter], route: RouteView | None, request: Instance | None, options: Options
) -> list[Problem]:
    """Every problem of a handler with ``params`` on ``route`` (``None``: path unknown)."""

    def show(typ: Type) -> str:
        return format_type_bare(typ, options)

    if not params or params[0].kind not in (ARG_POS, ARG_OPT, ARG_STAR):
        return [problems.no_request()]
    found: list[Problem] = []
    first = params[0]
    if request is not None and not is_subtype(request, first.type):
        found.append(problems.request_not_first(first.name, show(first.type)))
    elif route is not None and first.name in route.params:
        declared = get_proper_type(first.type)
        shown = None if isinstance(declared, AnyType) else show(first.type)
        found.append(problems.request_not_first(first.name, shown))
    taken: set[str] = set()
    var_keyword = False
    for param in params[1:]:
        name = param.name
        if param.kind == ARG_STAR2:
            var_keyword = True
            continue
        if param.kind == ARG_STAR:
            found.append(problems.var_positional(name))
            continue
        if param.positional_only:
            found.append(problems.positional_only(name))
            continue
        if route is None:
            continue
        converter = route.params.get(name)
        if converter is not None:
            taken.add(name)
            produced = converter.produced
            if produced is not None and not is_subtype(produced, param.type):
                found.append(
                    problems.converter_mismatch(
                        name, converter.class_name, show(produced), show(param.type)
                    )
                )
            continue
        if not readable(param.type):
            form = route is not None and any(m in FORM_METHODS for m in route.methods)
            found.append(problems.unreadable(name, problems.cannot_read(show(param.type)), form))
    if route is not None and not var_keyword:
        for name, converter in route.params.items():
            if name not in taken:
                wanted = show(converter.produced) if converter.produced is not None else None
                found.append(problems.missing_path_parameter(name, wanted))
    return found


def readable(typ: Type) -> bool:
    """Whether kali can read a query parameter annotated ``typ`` (``_query_param``'s rule)."""
    proper = get_proper_type(typ)
    if isinstance(proper, UnionType):
        items = [get_proper_type(item) for item in proper.items]
        others = [item for item in items if not isinstance(item, NoneType)]
        if len(others) == len(items) - 1 and len(others) == 1:
            proper = others[0]  # X | None
        else:
            # Literal["a", "b"] (| None): mypy flattens it into a union of literals.
            return bool(others) and all(_str_literal(item) for item in others)
    if isinstance(proper, Instance) and proper.type.fullname == "builtins.list":
        if not proper.args:
            return True
        proper = get_proper_type(proper.args[0])
        if isinstance(proper, UnionType):
            return all(_str_literal(get_proper_type(item)) for item in proper.items)
    return _scalar(proper)


def _scalar(proper: Type) -> bool:
    if isinstance(proper, AnyType) or _str_literal(proper):
        return True
    if isinstance(proper, Instance):
        return proper.type.fullname in _SCALARS or proper.type.is_enum
    return False


def _str_literal(proper: Type) -> bool:
    return isinstance(proper, LiteralType) and isinstance(proper.value, str)


def _dunder_style(name: str) -> bool:
    return name.startswith("__") and not name.endswith("__")


__all__ = ["Parameter", "check", "parameters", "readable"]
