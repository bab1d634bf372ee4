"""A mypy plugin that checks route strings against handler signatures.

Enable it in the mypy configuration of a project that uses kali::

    [tool.mypy]
    plugins = ["kali.mypy"]

For ``@app.get("...")`` (and ``post``, ``put``, ``patch``, ``delete``,
``route``), ``app.add_route``, ``Route("...", handler)`` and
``@app.resource("...")`` / ``app.add_resource``, the path is parsed by the
runtime's own parser and the handler's signature is checked by the runtime's
rules, with the runtime's messages (``kali.routing.problems``): each error is
reported at the decorator (or ``Route``) line, with a ``fix:`` note.
``app.url_for(handler, **params)`` is checked against the handler's routes.
"Checking routes with mypy" in ``docs/routing.md`` says what the plugin sees
and what it does not.

How the decorators are seen: mypy type-checks ``app.get("/x")`` (a method
hook here: the path is parsed and remembered), then applies the decorator it
returns to the function. That decorator is renamed ``get of kali.App``, so
applying it reaches the function hook, which checks the handler against the
remembered route and reports at the decorator's line.

The plugin never raises into mypy: a hook that meets code it does not expect
gives up silently (set ``KALI_MYPY_DEBUG=1`` to see the exception instead).
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from mypy.errorcodes import ErrorCode
from mypy.nodes import (
    ARG_POS,
    ARG_STAR,
    ARG_STAR2,
    CallExpr,
    ClassDef,
    Context,
    Decorator,
    Expression,
    MemberExpr,
    MypyFile,
    TypeInfo,
    TypeVarExpr,
)
from mypy.plugin import (
    CheckerPluginInterface,
    FunctionContext,
    FunctionSigContext,
    MethodContext,
    MethodSigContext,
    Plugin,
    ReportConfigContext,
)
from mypy.subtypes import is_subtype
from mypy.types import (
    AnyType,
    CallableType,
    FunctionLike,
    Instance,
    Type,
    TypeOfAny,
    TypeType,
    TypeVarType,
    get_proper_type,
)

from kali._mypy.handlers import check, parameters
from kali._mypy.resources import resource_methods
from kali._mypy.routes import RouteView, literal_methods, literal_str, parse_route
from kali._mypy.scope import Known, ModuleFacts
from kali._mypy.urls import check_url_for, keyword_arguments
from kali.routing import problems
from kali.routing.problems import Problem

ROUTE = ErrorCode("kali-route", "A route and its handler disagree", "kali")
"""The error code of a route that disagrees with its handler (``# type: ignore[kali-route]``)."""
URL = ErrorCode("kali-url", "url_for cannot build the URL", "kali")
"""The error code of a ``url_for`` call that cannot build its URL."""

_APP = "kali.app.App"
_ROUTE = "kali.routing.rules.Route"
_REQUEST = "kali.request.Request"
_HANDLER_T = "kali.app.HandlerT"
_DECORATORS = ("get", "post", "put", "patch", "delete", "route")
# The decorator an App method returns is renamed "<method> of kali.App", so that
# applying it reaches the function hook (and mypy's own messages name it).
_MARKS = {f"{name} of kali.App": name for name in (*_DECORATORS, "resource")}

HookT = TypeVar("HookT", bound=Callable[..., Any])


def _guarded(fallback: Callable[[Any], Any]) -> Callable[[HookT], HookT]:
    """Run a hook; on any exception, give mypy ``fallback(ctx)`` (its default) instead."""

    def decorate(hook: HookT) -> HookT:
        @functools.wraps(hook)
        def run(self: KaliPlugin, ctx: Any) -> Any:
            try:
                return hook(self, ctx)
            except Exception:
                if os.environ.get("KALI_MYPY_DEBUG"):
                    raise
                return fallback(ctx)

        return run  # type: ignore[return-value]

    return decorate


def _default_return(ctx: FunctionContext | MethodContext) -> Type:
    return ctx.default_return_type


def _default_signature(ctx: FunctionSigContext | MethodSigContext) -> CallableType:
    return ctx.default_signature


@functools.cache
def _sources_digest() -> str:
    """A digest of what the plugin's results depend on: its code and kali's routing rules."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([here / "mypy.py", *here.glob("_mypy/*.py"), *here.glob("routing/*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class _Pending:
    """What ``app.get("...")`` left for the decorator's application: its route, if known."""

    __slots__ = ("call", "pattern", "receiver", "route")

    def __init__(
        self,
        call: CallExpr,
        receiver: Expression,
        pattern: str | None,
        route: RouteView | None,
    ) -> None:
        self.call = call
        self.receiver = receiver
        self.pattern = pattern
        self.route = route


class KaliPlugin(Plugin):
    """The hooks: App methods, ``Route(...)``, and the decorators the App returns."""

    def __init__(self, options: Any) -> None:
        super().__init__(options)
        self._facts: dict[int, ModuleFacts] = {}  # id(tree) -> the walk, for the last modules
        self._pending: dict[int, _Pending] = {}  # id(decorator call) -> its route
        self._method_hooks: dict[str, Callable[[MethodContext], Type]] = {
            **{f"{_APP}.{name}": self._route_decorator for name in _DECORATORS},
            f"{_APP}.resource": self._resource_decorator,
            f"{_APP}.add_route": self._add_route,
            f"{_APP}.add_resource": self._add_resource,
            f"{_APP}.url_for": self._url_for,
        }

    # -- which hooks (called by mypy for every name: dictionary lookups) ----------

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        return self._method_hooks.get(fullname)

    def get_method_signature_hook(
        self, fullname: str
    ) -> Callable[[MethodSigContext], FunctionLike] | None:
        return self._relax_handler if fullname == f"{_APP}.add_route" else None

    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        return self._relax_handler if fullname == _ROUTE else None

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        if fullname == _ROUTE:
            return self._route_entry
        mark = _MARKS.get(fullname)
        if mark is None:
            return None
        return self._apply_resource if mark == "resource" else self._apply_route

    def report_config_data(self, ctx: ReportConfigContext) -> dict[str, str]:
        """Cached results are stale when the plugin or kali's routing rules change."""
        return {"kali.mypy": _sources_digest()}

    # -- the App's decorators ----------------------------------------------------

    @_guarded(_default_return)
    def _route_decorator(self, ctx: MethodContext) -> Type:
        """``app.get("...")``: parse the path now; check the handler when it is applied."""
        call = ctx.context
        if not isinstance(call, CallExpr) or not isinstance(call.callee, MemberExpr):
            return ctx.default_return_type  # @app.get without a call: mypy's error
        method = call.callee.name
        methods: tuple[str, ...] = (method.upper(),)
        if method == "route":
            methods = literal_methods(_formal(ctx, "methods")[0])
        pattern = literal_str(*_formal(ctx, "path"))
        route = self._route(ctx.api, call, call.callee.expr, pattern, methods)
        self._remember(_Pending(call, call.callee.expr, pattern, route))
        return _relaxed_decorator(ctx.default_return_type, f"{method} of kali.App")

    @_guarded(_default_return)
    def _apply_route(self, ctx: FunctionContext) -> Type:
        """A route decorator applied to its handler."""
        handler = ctx.arg_types[0][0] if ctx.arg_types and ctx.arg_types[0] else None
        if handler is not None:
            pending = self._recall(_applied(ctx))
            if pending is None:  # a decorator kept in a variable: the path is not known
                self._check_handler(ctx.api, ctx.context, handler, None)
            else:
                self._check_handler(ctx.api, pending.call, handler, pending.route)
        return ctx.default_return_type

    @_guarded(_default_return)
    def _resource_decorator(self, ctx: MethodContext) -> Type:
        """``app.resource("...")``: remembered until it is applied to the class."""
        call = ctx.context
        if not isinstance(call, CallExpr) or not isinstance(call.callee, MemberExpr):
            return ctx.default_return_type
        pattern = literal_str(*_formal(ctx, "path"))
        self._remember(_Pending(call, call.callee.expr, pattern, None))
        proper = get_proper_type(ctx.default_return_type)
        if isinstance(proper, CallableType):
            return proper.copy_modified(name="resource of kali.App")
        return ctx.default_return_type

    @_guarded(_default_return)
    def _apply_resource(self, ctx: FunctionContext) -> Type:
        pending = self._recall(_applied(ctx))
        if pending is not None and ctx.arg_types and ctx.arg_types[0]:
            resource = ctx.arg_types[0][0]
            self._check_resource(ctx.api, pending.call, pending.receiver, pending.pattern, resource)
        return ctx.default_return_type

    # -- calls that register routes --------------------------------------------

    @_guarded(_default_return)
    def _add_route(self, ctx: MethodContext) -> Type:
        """``app.add_route("...", handler, methods)``."""
        call = ctx.context
        handler = _formal(ctx, "handler")[1]
        if isinstance(call, CallExpr) and isinstance(call.callee, MemberExpr) and handler:
            pattern = literal_str(*_formal(ctx, "path"))
            methods = literal_methods(_formal(ctx, "methods")[0])
            route = self._route(ctx.api, call, call.callee.expr, pattern, methods)
            self._check_handler(ctx.api, call, handler, route)
        return ctx.default_return_type

    @_guarded(_default_return)
    def _route_entry(self, ctx: FunctionContext) -> Type:
        """``Route("...", handler)``, in a table or alone."""
        call = ctx.context
        handler = _formal(ctx, "handler")[1]
        if isinstance(call, CallExpr) and handler is not None:
            pattern = literal_str(*_formal(ctx, "path"))
            methods = literal_methods(_formal(ctx, "methods")[0])
            route = self._route(ctx.api, call, None, pattern, methods)
            self._check_handler(ctx.api, call, handler, route)
        return ctx.default_return_type

    @_guarded(_default_return)
    def _add_resource(self, ctx: MethodContext) -> Type:
        """``app.add_resource("...", Resource)`` (a class or an instance)."""
        call = ctx.context
        resource = _formal(ctx, "resource")[1]
        if isinstance(call, CallExpr) and isinstance(call.callee, MemberExpr) and resource:
            pattern = literal_str(*_formal(ctx, "path"))
            self._check_resource(ctx.api, call, call.callee.expr, pattern, resource)
        return ctx.default_return_type

    @_guarded(_default_signature)
    def _relax_handler(self, ctx: FunctionSigContext | MethodSigContext) -> CallableType:
        """Let ``handler`` be any callable returning a response value: the plugin checks the
        request parameter itself, with the runtime's message instead of a type mismatch."""
        signature = ctx.default_signature
        if "handler" not in signature.arg_names:
            return signature
        index = signature.arg_names.index("handler")
        expected = get_proper_type(signature.arg_types[index])
        if not isinstance(expected, CallableType):
            return signature
        arg_types = list(signature.arg_types)
        arg_types[index] = _any_arguments(expected)
        return signature.copy_modified(arg_types=arg_types)

    # -- url_for --------------------------------------------------------------------

    @_guarded(_default_return)
    def _url_for(self, ctx: MethodContext) -> Type:
        """``app.url_for(handler, **params)``, when every route of ``handler`` is known."""
        call = ctx.context
        facts = self._module(ctx.api)
        if not isinstance(call, CallExpr) or facts is None or len(ctx.args) != 2:
            return ctx.default_return_type
        if len(ctx.args[0]) != 1 or ctx.arg_kinds[0][0] != ARG_POS:
            return ctx.default_return_type
        given = keyword_arguments(
            list(ctx.arg_kinds[1]), ctx.arg_names[1], ctx.args[1], ctx.arg_types[1]
        )
        api = ctx.api

        def report(problem: Problem, where: Expression) -> None:
            _report(api, where, problem, URL)

        check_url_for(call, ctx.args[0][0], given, facts, self._lookup, api.options, report)
        return ctx.default_return_type

    # -- the checks --------------------------------------------------------------

    def _route(
        self,
        api: CheckerPluginInterface,
        call: CallExpr,
        receiver: Expression | None,
        pattern: str | None,
        methods: tuple[str, ...],
    ) -> RouteView | None:
        """The route of ``pattern``; ``None`` if it is not known or malformed (reported)."""
        if pattern is None:
            return None
        facts = self._module(api)
        known = facts.known_at(receiver, call) if facts is not None else Known(False, {})
        views = facts.views if facts is not None else None
        route = parse_route(pattern, methods, known, self._lookup, views)
        if isinstance(route, Problem):
            _report(api, call, route, ROUTE)
            return None
        return route

    def _check_handler(
        self,
        api: CheckerPluginInterface,
        where: Context,
        handler: Type,
        route: RouteView | None,
        label: str | None = None,
    ) -> None:
        params = parameters(handler)
        if params is None:
            self._check_opaque(api, where, handler)
            return
        for problem in check(params, route, self._request(), api.options):
            _report(api, where, problem, ROUTE, label)

    def _check_opaque(self, api: CheckerPluginInterface, where: Context, handler: Type) -> None:
        """A handler whose parameters cannot be listed (an overload, a callable object...):
        a callable returning a response value must still accept the request. Anything else
        is mypy's own error (the handler's type does not fit ``Callable[..., ResponseValue]``).
        """
        symbol = self.lookup_fully_qualified(_HANDLER_T)
        bound = symbol.node.upper_bound if symbol and isinstance(symbol.node, TypeVarExpr) else None
        expected = get_proper_type(bound) if bound is not None else None
        if not isinstance(expected, CallableType):
            return
        if is_subtype(handler, _any_arguments(expected)) and not is_subtype(handler, expected):
            _report(api, where, problems.no_request(), ROUTE)

    def _check_resource(
        self,
        api: CheckerPluginInterface,
        call: CallExpr,
        receiver: Expression,
        pattern: str | None,
        resource: Type,
    ) -> None:
        """Each verb and action method of a resource class against its route."""
        info = _class_of(resource)
        if info is None:
            return
        # The resource's own path first: if it is malformed, that is reported once.
        parsed = self._route(api, call, receiver, pattern, ("GET",)) is not None
        for method in resource_methods(info):
            path = method.path(pattern) if pattern is not None else None
            route = self._route(api, call, receiver, path, (method.verb,)) if parsed else None
            label = f"route: {method.verb} {path or '...'}, handler: {info.name}.{method.attribute}"
            self._check_handler(api, call, method.type, route, label)

    # -- state ---------------------------------------------------------------------

    def _module(self, api: CheckerPluginInterface) -> ModuleFacts | None:
        """The walk of the module being checked (done once per module)."""
        tree = getattr(api, "tree", None)  # the checker's, not in the plugin interface
        if not isinstance(tree, MypyFile):
            return None
        facts = self._facts.get(id(tree))
        # The daemon merges a new version of a module into the old tree: new statements.
        if facts is None or facts.tree is not tree or facts.defs is not tree.defs:
            if len(self._facts) >= 8:
                self._facts.pop(next(iter(self._facts)))
            facts = self._facts[id(tree)] = ModuleFacts(tree)
        return facts

    def _remember(self, pending: _Pending) -> None:
        if len(self._pending) > 256:  # decorators made and never applied
            self._pending.clear()
        self._pending[id(pending.call)] = pending

    def _recall(self, call: CallExpr | None) -> _Pending | None:
        found = self._pending.pop(id(call), None) if call is not None else None
        return found if found is not None and found.call is call else None

    def _lookup(self, fullname: str) -> TypeInfo | None:
        symbol = self.lookup_fully_qualified(fullname)
        node = symbol.node if symbol is not None else None
        return node if isinstance(node, TypeInfo) else None

    def _request(self) -> Instance | None:
        info = self._lookup(_REQUEST)
        return Instance(info, []) if info is not None else None


def _formal(
    ctx: FunctionContext | MethodContext, name: str
) -> tuple[Expression | None, Type | None]:
    """The expression and type given for the parameter ``name`` (one plain argument)."""
    if name not in ctx.callee_arg_names:
        return None, None
    index = ctx.callee_arg_names.index(name)
    if len(ctx.args[index]) != 1 or ctx.arg_kinds[index][0] in (ARG_STAR, ARG_STAR2):
        return None, None
    return ctx.args[index][0], ctx.arg_types[index][0]


def _applied(ctx: FunctionContext) -> CallExpr | None:
    """The decorator call (``app.get("...")``) that is being applied to a handler."""
    context = ctx.context
    if isinstance(context, CallExpr):  # app.get("/")(handler)
        return context.callee if isinstance(context.callee, CallExpr) else None
    if isinstance(context, (Decorator, ClassDef)) and ctx.args and ctx.args[0]:
        applied = ctx.args[0][0]  # mypy's stand-in for the function, placed at the decorator
        for decorator in context.decorators:
            if (decorator.line, decorator.column) == (applied.line, applied.column):
                return decorator if isinstance(decorator, CallExpr) else None
    return None


def _relaxed_decorator(typ: Type, name: str) -> Type:
    """``def [H <: Callable[[Request, ...], R]] (H) -> H`` as ``def [H <: Callable[..., R]]``,
    named ``name``: the plugin checks the request parameter, with the runtime's words."""
    proper = get_proper_type(typ)
    if not isinstance(proper, CallableType):
        return typ
    if len(proper.variables) == 1 and len(proper.arg_types) == 1:
        variable = proper.variables[0]
        argument = get_proper_type(proper.arg_types[0])
        result = get_proper_type(proper.ret_type)
        bound = get_proper_type(variable.upper_bound) if isinstance(variable, TypeVarType) else None
        if (
            isinstance(variable, TypeVarType)
            and isinstance(bound, CallableType)
            and isinstance(argument, TypeVarType)
            and isinstance(result, TypeVarType)
            and argument.id == variable.id == result.id
        ):
            relaxed = variable.copy_modified(upper_bound=_any_arguments(bound))
            return proper.copy_modified(
                arg_types=[relaxed], ret_type=relaxed, variables=[relaxed], name=name
            )
    return proper.copy_modified(name=name)


def _any_arguments(callable_type: CallableType) -> CallableType:
    """``Callable[..., R]`` for a callable type returning ``R``."""
    anything = AnyType(TypeOfAny.special_form)
    return CallableType(
        [anything, anything],
        [ARG_STAR, ARG_STAR2],
        [None, None],
        callable_type.ret_type,
        callable_type.fallback,
        is_ellipsis_args=True,
    )


def _class_of(typ: Type) -> TypeInfo | None:
    proper = get_proper_type(typ)
    if isinstance(proper, CallableType) and proper.is_type_obj():
        return proper.type_object()
    if isinstance(proper, TypeType) and isinstance(proper.item, Instance):
        return proper.item.type
    if isinstance(proper, Instance):
        return proper.type
    return None


def _report(
    api: CheckerPluginInterface,
    where: Context,
    problem: Problem,
    code: ErrorCode,
    label: str | None = None,
) -> None:
    """The problem as an error at ``where``, then notes: the route if given, and the fix."""
    api.fail(problem.problem, where, code=code)
    if label:
        api.msg.note(label, where, code=code)
    if problem.fix:
        api.msg.note(f"fix: {problem.fix}", where, code=code)


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point: the plugin class (the same for every supported mypy)."""
    return KaliPlugin


__all__ = ["ROUTE", "URL", "KaliPlugin", "plugin"]
