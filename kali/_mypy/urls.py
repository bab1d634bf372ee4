"""``app.url_for(handler, **params)`` checked against the handler's routes.

The check runs when the plugin can see every route of the handler on that
app: ``handler`` is a function of this module whose decorators are all route
decorators of the same app variable (``@app.get("...")``...), with literal
paths, and the function is not used anywhere else, except called directly or
named in ``url_for``, where it could be registered another way. Then, as
``url_for`` does at runtime, the first route (in registration order) whose
parameters are all given is chosen, and:

- no such route: the missing parameter is an error, as the runtime's
  ``BuildError``;
- a path parameter's value must be of the type its converter's ``to_url``
  takes;
- any other value goes to the query string: it must be of the type the
  handler declares for it, and a name the handler does not take (without
  ``**kwargs``) is an error, since the handler would never see it.

A required parameter that is neither given nor in the path is not reported:
the request may carry it otherwise (a form's body, say).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from mypy.messages import format_type_bare
from mypy.nodes import (
    ARG_NAMED,
    ARG_POS,
    ARG_STAR,
    ARG_STAR2,
    CallExpr,
    Decorator,
    Expression,
    MemberExpr,
    NameExpr,
    Var,
)
from mypy.options import Options
from mypy.subtypes import is_subtype
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    TupleType,
    Type,
    TypeOfAny,
    UnionType,
    get_proper_type,
)

from kali.routing.problems import Problem

from .handlers import Parameter, parameters
from .routes import Lookup, RouteView, literal_methods, literal_str, parse_route
from .scope import ROUTE_DECORATORS, ModuleFacts


@dataclass(frozen=True)
class Given:
    """One keyword argument of the ``url_for`` call."""

    name: str
    expr: Expression
    type: Type


Report = Callable[[Problem, Expression], None]
"""Reports a problem at an expression."""


def check_url_for(
    call: CallExpr,
    target: Expression,
    given: list[Given] | None,
    facts: ModuleFacts,
    lookup: Lookup,
    options: Options,
    report: Report,
) -> None:
    """Check ``call`` (``app.url_for(target, **given)``) when the routes of ``target`` are known.

    ``given`` is ``None`` when the keyword arguments cannot be listed (``**mapping``).
    """
    if given is None or not isinstance(call.callee, MemberExpr):
        return
    receiver = call.callee.expr
    if not (isinstance(receiver, NameExpr) and isinstance(receiver.node, Var)):
        return
    handler = target.node if isinstance(target, NameExpr) else None
    if not isinstance(handler, Decorator) or handler not in facts.defined:
        return
    if handler in facts.handler_escaped:
        return
    routes = _routes(handler, receiver.node, facts, lookup)
    if not routes:
        return
    params = _parameters(handler)
    if params is None:
        return
    name = handler.func.name

    def show(typ: Type) -> str:
        return format_type_bare(typ, options)

    names = {g.name for g in given}
    chosen = next((r for r in routes if all(p in names for p in r.params)), None)
    if chosen is None:
        route = routes[0]
        missing = next(p for p in route.params if p not in names)
        if len(routes) == 1:
            problem = (
                f"cannot build a URL for the handler {name}: route {route.pattern!r} needs "
                f"the parameter {missing!r}, which was not given"
            )
        else:
            problem = (
                f"cannot build a URL for the handler {name}: no route has all its "
                f"parameters given (missing {missing!r} for {route.pattern!r})"
            )
        fix = f"pass {missing}=..."
        typo = difflib.get_close_matches(missing, [n for n in names if n not in route.params], n=1)
        if typo:
            fix += f" instead of {typo[0]}=..."
        report(Problem(problem, fix), call)
        return
    by_name = {p.name: p for p in params[1:] if p.kind not in (ARG_STAR, ARG_STAR2)}
    var_keyword = any(p.kind == ARG_STAR2 for p in params[1:])
    for value in given:
        converter = chosen.params.get(value.name)
        if converter is not None:
            accepts = converter.accepts
            if accepts is not None and not is_subtype(value.type, accepts):
                report(
                    Problem(
                        f"the value of parameter {value.name!r} is rejected by the "
                        f"{converter.name} converter: it takes {show(accepts)}, not "
                        f"{show(value.type)}",
                        f"pass {value.name} as {show(accepts)}",
                    ),
                    value.expr,
                )
            continue
        param = by_name.get(value.name)
        if param is not None:
            if not _fits(value.type, param.type):
                report(
                    Problem(
                        f"the query parameter {value.name!r} is given {show(value.type)}, but "
                        f"the handler declares {value.name}: {show(param.type)}",
                        f"pass {value.name} as {show(param.type)}",
                    ),
                    value.expr,
                )
            continue
        if var_keyword:
            continue
        choices = [*chosen.params, *by_name]
        close = difflib.get_close_matches(value.name, choices, n=1)
        fix = f"did you mean {close[0]!r}?" if close else "remove it"
        report(
            Problem(
                f"unknown parameter {value.name!r}: neither route {chosen.pattern!r} nor "
                f"the handler {name} takes it",
                fix,
            ),
            value.expr,
        )


def keyword_arguments(
    kinds: list[object], names: list[str | None], exprs: list[Expression], types: list[Type]
) -> list[Given] | None:
    """The ``**params`` of a ``url_for`` call, or ``None`` when they cannot be listed."""
    found: list[Given] = []
    for kind, name, expr, typ in zip(kinds, names, exprs, types, strict=False):
        if kind != ARG_NAMED or name is None:
            return None
        found.append(Given(name, expr, typ))
    return found


def _routes(
    handler: Decorator, app: Var, facts: ModuleFacts, lookup: Lookup
) -> list[RouteView] | None:
    """The routes of ``handler`` on ``app``, in registration order, if all are known."""
    routes: list[RouteView] = []
    for decorator in reversed(handler.original_decorators):
        if not (isinstance(decorator, CallExpr) and isinstance(decorator.callee, MemberExpr)):
            return None
        callee = decorator.callee
        receiver = callee.expr
        if callee.name not in ROUTE_DECORATORS or not (
            isinstance(receiver, NameExpr) and receiver.node is app
        ):
            return None
        path = _argument(decorator, "path", 0)
        pattern = literal_str(path)
        if pattern is None:
            return None
        methods: tuple[str, ...] = (callee.name.upper(),)
        if callee.name == "route":
            methods = literal_methods(_argument(decorator, "methods", 1))
        known = facts.known_at(receiver, decorator)
        route = parse_route(pattern, methods, known, lookup, facts.views)
        if isinstance(route, Problem):
            return None  # reported where the route is declared
        routes.append(route)
    return routes


def _argument(call: CallExpr, name: str, position: int) -> Expression | None:
    for index, (arg, kind, arg_name) in enumerate(
        zip(call.args, call.arg_kinds, call.arg_names, strict=False)
    ):
        if arg_name == name or (kind == ARG_POS and arg_name is None and index == position):
            return arg
    return None


def _parameters(handler: Decorator) -> list[Parameter] | None:
    signature = handler.func.type
    if isinstance(signature, CallableType):
        return parameters(signature)
    untyped = AnyType(TypeOfAny.unannotated)
    return [Parameter(a.variable.name, a.kind, untyped, a.pos_only) for a in handler.func.arguments]


def _fits(value: Type, declared: Type) -> bool:
    """Whether ``value`` suits a query parameter of type ``declared`` (a tuple may fill a list)."""
    if is_subtype(value, declared):
        return True
    proper = get_proper_type(value)
    if isinstance(proper, TupleType):
        elements = list(proper.items)
    elif isinstance(proper, Instance) and proper.type.fullname == "builtins.tuple" and proper.args:
        elements = [proper.args[0]]
    else:
        return False
    wanted = get_proper_type(declared)
    options = wanted.items if isinstance(wanted, UnionType) else [wanted]
    for option in map(get_proper_type, options):
        if isinstance(option, Instance) and option.type.fullname == "builtins.list":
            element = option.args[0] if option.args else AnyType(TypeOfAny.special_form)
            if all(is_subtype(e, element) for e in elements):
                return True
    return False


__all__ = ["Given", "check_url_for", "keyword_arguments"]
