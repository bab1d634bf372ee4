"""A mypy plugin that checks route strings against handler signatures.

Enable it in the mypy configuration of a project that uses kali::

    [tool.mypy]
    plugins = ["kali.mypy"]

For ``@app.get("...")`` (and ``post``, ``put``, ``patch``, ``delete``,
``route``), ``app.add_route``, ``Route("...", handler)`` and
``@app.resource("...")`` / ``app.add_resource``, the path is parsed by the
runtime's own parser and the handler's signature is checked by the runtime's
rules, with the runtime's messages (see ``kali.routing.problems``): each
error is reported at the decorator (or ``Route``) line, with a ``fix:`` note.
``app.url_for(handler, **params)`` is checked against the handler's routes.
See "Checking routes with mypy" in ``docs/routing.md`` for what it sees and
what it does not.

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
from mypy.subtypes import find_member, is_subtype
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
from mypy.typevars import fill_typevars_with_any

#: The error code of a route that disagrees with its handler (``# type: ignore[kali-route]``).
ROUTE = ErrorCode("kali-route", "A route and its handler disagree", "kali")
#: The error code of a ``url_for`` call that cannot build its URL.
URL = ErrorCode("kali-url", "url_for cannot build the URL", "kali")

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


class KaliPlugin(Plugin):
    """The hooks: App methods, ``Route(...)``, and the decorators the App returns."""

    def __init__(self, options: Any) -> None:
        super().__init__(options)
        self._facts: dict[int, Any] = {}  # id(tree) -> ModuleFacts, the last few modules
        self._pending: dict[int, tuple[CallExpr, Any]] = {}  # decorator call -> its route
        self._config: dict[str, str] | None = None

    # -- which hooks ------------------------------------------------------------

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        owner, _, name = fullname.rpartition(".")
        if owner != _APP:
            return None
        hooks: dict[str, Callable[[MethodContext], Type]] = {
            "resource": self._resource_decorator,
            "add_route": self._add_route,
            "add_resource": self._add_resource,
            "url_for": self._url_for,
        }
        if name in _DECORATORS:
            return self._route_decorator
        return hooks.get(name)

    def get_method_signature_hook(
        self, fullname: str
    ) -> Callable[[MethodSigContext], FunctionLike] | None:
        if fullname == f"{_APP}.add_route":
            return self._relax_handler
        return None

    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        if fullname == _ROUTE:
            return self._relax_handler
        return None

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        if fullname == _ROUTE:
            return self._route_entry
        mark = _MARKS.get(fullname)
        if mark == "resource":
            return self._apply_resource
        if mark is not None:
            return self._apply_route
        return None

    def report_config_data(self, ctx: ReportConfigContext) -> Any:
        """What the plugin's results depend on: its sources and kali's routing rules."""
        if self._config is None:
            here = Path(__file__).parent
            digest = hashlib.sha256()
            for path in sorted(
                [*here.glob("_mypy/*.py"), here / "mypy.py", *here.glob("routing/*.py")]
            ):
                digest.update(path.read_bytes())
            self._config = {"kali.mypy": digest.hexdigest()[:16]}
        return self._config

    # -- the App's decorators ----------------------------------------------------

    @_guarded(_default_return)
    def _route_decorator(self, ctx: MethodContext) -> Type:
        """``app.get("...")``: parse the path now; check the handler when it is applied."""
        from kali._mypy.routes import literal_str

        call = ctx.context
        if not isinstance(call, CallExpr) or not isinstance(call.callee, MemberExpr):
            return ctx.default_return_type
        method = call.callee.name
        path, path_type = _formal(ctx, "path")
        methods: tuple[str, ...] = (method.upper(),)
        if method == "route":
            methods = _methods(_formal(ctx, "methods")[0])
        route = self._route(ctx.api, call, call.callee.expr, literal_str(path, path_type), methods)
        self._remember(call, route)
        return _relaxed_decorator(ctx.default_return_type, f"{method} of kali.App")

    @_guarded(_default_return)
    def _apply_route(self, ctx: FunctionContext) -> Type:
        """A route decorator applied to its handler."""
        call = _applied(ctx)
        route = self._recall(call)
        handler = ctx.arg_types[0][0] if ctx.arg_types and ctx.arg_types[0] else None
        if handler is not None:
            where = call if call is not None and route is not _UNKNOWN else ctx.context
            self._check_handler(ctx.api, where, handler, None if route is _UNKNOWN else route)
        return ctx.default_return_type

    @_guarded(_default_return)
    def _resource_decorator(self, ctx: MethodContext) -> Type:
        from kali._mypy.routes import literal_str

        call = ctx.context
        if not isinstance(call, CallExpr) or not isinstance(call.callee, MemberExpr):
            return ctx.default_return_type
        path, path_type = _formal(ctx, "path")
        self._remember(call, (call.callee.expr, literal_str(path, path_type)))
        proper = get_proper_type(ctx.default_return_type)
        if isinstance(proper, CallableType):
            return proper.copy_modified(name="resource of kali.App")
        return ctx.default_return_type

    @_guarded(_default_return)
    def _apply_resource(self, ctx: FunctionContext) -> Type:
        call = _applied(ctx)
        remembered = self._recall(call)
        if call is not None and isinstance(remembered, tuple) and ctx.arg_types[0]:
            receiver, pattern = remembered
            self._check_resource(ctx.api, call, receiver, pattern, ctx.arg_types[0][0])
        return ctx.default_return_type

    # -- calls that register routes --------------------------------------------

    @_guarded(_default_return)
    def _add_route(self, ctx: MethodContext) -> Type:
        from kali._mypy.routes import literal_str

        call = ctx.context
        if isinstance(call, CallExpr) and isinstance(call.callee, MemberExpr):
            path, path_type = _formal(ctx, "path")
            handler = _formal(ctx, "handler")[1]
            methods = _methods(_formal(ctx, "methods")[0])
            route = self._route(
                ctx.api, call, call.callee.expr, literal_str(path, path_type), methods
            )
            if handler is not None:
                self._check_handler(ctx.api, call, handler, route)
        return ctx.default_return_type

    @_guarded(_default_return)
    def _route_entry(self, ctx: FunctionContext) -> Type:
        """``Route("...", handler)``, in a table or alone."""
        from kali._mypy.routes import literal_str

        call = ctx.context
        if isinstance(call, CallExpr):
            path, path_type = _formal(ctx, "path")
            handler = _formal(ctx, "handler")[1]
            methods = _methods(_formal(ctx, "methods")[0])
            route = self._route(ctx.api, call, None, literal_str(path, path_type), methods)
            if handler is not None:
                self._check_handler(ctx.api, call, handler, route)
        return ctx.default_return_type

    @_guarded(_default_return)
    def _add_resource(self, ctx: MethodContext) -> Type:
        from kali._mypy.routes import literal_str

        call = ctx.context
        if isinstance(call, CallExpr) and isinstance(call.callee, MemberExpr):
            path, path_type = _formal(ctx, "path")
            resource = _formal(ctx, "resource")[1]
            if resource is not None:
                pattern = literal_str(path, path_type)
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
        from kali._mypy.urls import check_url_for, keyword_arguments

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

        def report(problem: Any, where: Expression) -> None:
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
    ) -> Any:
        """The RouteView of ``pattern``, or ``None`` (unknown path, or reported as malformed)."""
        from kali._mypy.routes import parse_route
        from kali._mypy.scope import Known
        from kali.routing.problems import Problem

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
        self, api: CheckerPluginInterface, where: Context, handler: Type, route: Any
    ) -> None:
        from kali._mypy.handlers import check, parameters

        params = parameters(handler)
        if params is None:
            self._check_opaque(api, where, handler)
            return
        for problem in check(params, route, self._request(), api.options):
            _report(api, where, problem, ROUTE)

    def _check_opaque(self, api: CheckerPluginInterface, where: Context, handler: Type) -> None:
        """A handler whose parameters cannot be listed (an overload, a callable object...):
        a callable returning a response value must still accept the request. Anything else
        is mypy's own error (the handler's type does not fit ``Callable[..., ResponseValue]``).
        """
        from kali.routing import problems

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
        from kali._mypy.handlers import check, parameters
        from kali.resource import VERBS

        info = _class_of(resource)
        if info is None or pattern is None:
            return
        if self._route(api, call, receiver, pattern, ("GET",)) is None:
            return  # malformed: reported once, for the resource's own path
        instance = fill_typevars_with_any(info)
        if not isinstance(instance, Instance):
            return
        names = {
            name
            for base in info.mro
            if base.fullname not in ("builtins.object", "kali.resource.Resource")
            for name in base.names
        }
        for attr in sorted(names):
            verb, sep, action = attr.partition("_")
            if attr.startswith("_") or verb not in VERBS or (sep and not action):
                continue
            node = info.get(attr)
            if node is None or not _is_method(node.node):
                continue
            method_type = find_member(attr, instance, instance)
            params = parameters(method_type) if method_type is not None else None
            if params is None:
                continue
            path = pattern if not action else pattern.rstrip("/") + "/" + action
            route = self._route(api, call, receiver, path, (verb.upper(),))
            label = f"route: {verb.upper()} {path}, handler: {info.name}.{attr}"
            for problem in check(params, route, self._request(), api.options):
                _report(api, call, problem, ROUTE, label)

    # -- state ---------------------------------------------------------------------

    def _module(self, api: CheckerPluginInterface) -> Any:
        """The walk of the module being checked (done once per module)."""
        from kali._mypy.scope import ModuleFacts

        tree = getattr(api, "tree", None)
        if not isinstance(tree, MypyFile):
            return None
        facts = self._facts.get(id(tree))
        # The daemon merges a new version of a module into the old tree: new statements.
        if facts is None or facts.tree is not tree or facts.defs is not tree.defs:
            if len(self._facts) >= 8:
                self._facts.pop(next(iter(self._facts)))
            facts = self._facts[id(tree)] = ModuleFacts(tree)
        return facts

    def _remember(self, call: CallExpr, value: Any) -> None:
        if len(self._pending) > 256:
            self._pending.clear()
        self._pending[id(call)] = (call, value)

    def _recall(self, call: CallExpr | None) -> Any:
        found = self._pending.pop(id(call), None) if call is not None else None
        if found is None or found[0] is not call:
            return _UNKNOWN
        return found[1]

    def _lookup(self, fullname: str) -> TypeInfo | None:
        symbol = self.lookup_fully_qualified(fullname)
        node = symbol.node if symbol is not None else None
        return node if isinstance(node, TypeInfo) else None

    def _request(self) -> Instance | None:
        info = self._lookup(_REQUEST)
        return Instance(info, []) if info is not None else None


_UNKNOWN: Any = object()  # a decorator applied without the plugin seeing it made


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


def _methods(expr: Expression | None) -> tuple[str, ...]:
    from mypy.nodes import ListExpr, TupleExpr

    from kali._mypy.routes import literal_str

    if isinstance(expr, (ListExpr, TupleExpr)):
        found = [literal_str(item) for item in expr.items]
        if all(found):
            return tuple(m.upper() for m in found if m)
    elif expr is not None and literal_str(expr):
        return (str(literal_str(expr)).upper(),)
    return ("GET",)


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


def _is_method(node: object) -> bool:
    from mypy.nodes import FuncDef, OverloadedFuncDef

    if isinstance(node, Decorator):
        return not node.var.is_property
    return isinstance(node, (FuncDef, OverloadedFuncDef))


def _report(
    api: CheckerPluginInterface,
    where: Context,
    problem: Any,
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
