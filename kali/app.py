"""The :class:`App`: routes registered three ways, compiled into one matcher.

::

    app = App()

    @app.get("/")
    def index(request: Request) -> str:
        return "<h1>Tasks</h1>"

    @app.get("/task/<int:id>")
    def show(request: Request, id: int, full: bool = False) -> str:
        ...

    app.run()

An App is itself a handler (``app(request) -> Response``), so
:func:`~kali.serve_http`, :class:`~kali.testing.TestClient` and
:class:`~kali.wsgi.WSGIAdapter` take it as it is. See ``docs/routing.md``.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Concatenate, TypeVar
from urllib.parse import quote, unquote

from ._dispatch import to_response
from .protocol import DEFAULT_LIMITS, Limits
from .request import Request
from .resource import Resource, resource_methods
from .response import Response
from .routing import tree
from .routing.compiler import compile_matcher
from .routing.converters import DEFAULT_CONVERTERS, Converter, output_type
from .routing.errors import (
    BuildError,
    RouteError,
    RouteSyntaxError,
    SetupFinishedError,
    route_error,
    where,
)
from .routing.rules import Mount, Param, Route, RouteHandler, check_methods, parse_pattern
from .routing.signature import analyse
from .routing.tree import Match, Node
from .routing.urls import SEGMENT_SAFE, build_path, choose, query_string
from .server import Server, Timeouts, serve_http
from .typing import Handler, ResponseValue

#: A handler as the decorators see it: the request first, any other parameters,
#: a :data:`~kali.ResponseValue` back. The decorators return it unchanged.
HandlerT = TypeVar("HandlerT", bound=Callable[Concatenate[Request, ...], ResponseValue])
ResourceT = TypeVar("ResourceT", bound=Resource)

_DEFAULT_METHODS = ("GET",)


class App:
    """A routed application: register routes, then serve it (it compiles itself).

    ``routes`` is a table of :class:`~kali.routing.Route` and
    :class:`~kali.routing.Mount` entries, added as by :meth:`add_routes`.
    ``converters`` adds path converters by name, as :meth:`add_converter`.
    """

    def __init__(
        self,
        routes: Iterable[Route] = (),
        *,
        converters: Mapping[str, type[Converter[Any]]] | None = None,
    ) -> None:
        self._converters: dict[str, Converter[Any]] = {
            name: cls() for name, cls in DEFAULT_CONVERTERS.items()
        }
        self._root = Node()
        self._routes: list[Route] = []
        self._by_handler: dict[object, list[Route]] = {}
        self._by_name: dict[str, list[Route]] = {}
        self._counter = [0]
        self._compiled = False
        self._source = ""
        self._hint_cache: dict[Any, Any] = {}
        for name, cls in (converters or {}).items():
            self.add_converter(name, cls)
        self.add_routes(routes)

    # -- converters ------------------------------------------------------------

    def add_converter(self, name: str, converter: type[Converter[Any]]) -> None:
        """Make ``<name:param>`` available in this app's patterns.

        ``converter`` is a :class:`~kali.routing.Converter` subclass; it is
        instantiated once, without arguments. A built-in name other than
        ``path`` may be replaced.
        """

        def fail(why: str, cls: type[RouteError] = RouteError) -> RouteError:
            # Located like a handler (file:line), only when there is an error to report.
            return cls(f"cannot add converter {name!r} ({where(converter)}): {why}")

        if self._compiled:
            raise fail("the app is already compiled", SetupFinishedError)
        if not name.isidentifier():
            raise fail("the name must be an identifier")
        if name == "path":
            raise fail("'path' cannot be replaced")
        if not (isinstance(converter, type) and issubclass(converter, Converter)):
            raise fail("it must be a subclass of kali.routing.Converter")
        import re

        try:
            groups = re.compile(converter.regex).groups
        except re.error as exc:
            raise fail(f"its regex is invalid ({exc})") from None
        if groups:
            raise fail("its regex has capturing groups; write (?:...) instead of (...)")
        if converter.weight >= 1000:
            raise fail("weights of 1000 and more are for 'path'")
        produced = output_type(converter)
        if converter.convert is Converter.convert and produced not in (str, object):
            raise fail(
                f"it is a Converter[{inspect.formatannotation(produced)}] without a convert() "
                "method; define convert(self, value: str)"
            )
        self._converters[name] = converter()

    # -- registration ----------------------------------------------------------

    def route(
        self, path: str, methods: Sequence[str] = _DEFAULT_METHODS, *, name: str | None = None
    ) -> Callable[[HandlerT], HandlerT]:
        """Decorator: register the function for ``methods`` (GET by default) on ``path``.

        The function is returned unchanged, so it may still be called directly.
        """

        def register(handler: HandlerT) -> HandlerT:
            self.add_route(path, handler, methods, name=name)
            return handler

        return register

    def get(self, path: str, *, name: str | None = None) -> Callable[[HandlerT], HandlerT]:
        """Decorator: register a GET (and HEAD) handler for ``path``."""
        return self.route(path, ("GET",), name=name)

    def post(self, path: str, *, name: str | None = None) -> Callable[[HandlerT], HandlerT]:
        """Decorator: register a POST handler for ``path``."""
        return self.route(path, ("POST",), name=name)

    def put(self, path: str, *, name: str | None = None) -> Callable[[HandlerT], HandlerT]:
        """Decorator: register a PUT handler for ``path``."""
        return self.route(path, ("PUT",), name=name)

    def patch(self, path: str, *, name: str | None = None) -> Callable[[HandlerT], HandlerT]:
        """Decorator: register a PATCH handler for ``path``."""
        return self.route(path, ("PATCH",), name=name)

    def delete(self, path: str, *, name: str | None = None) -> Callable[[HandlerT], HandlerT]:
        """Decorator: register a DELETE handler for ``path``."""
        return self.route(path, ("DELETE",), name=name)

    def add_route(
        self,
        path: str,
        handler: RouteHandler,
        methods: Sequence[str] = _DEFAULT_METHODS,
        *,
        name: str | None = None,
    ) -> None:
        """Register ``handler`` for ``methods`` on ``path`` (what the decorators call)."""
        self._add(Route(path, handler, methods, name=name))

    def add_routes(self, routes: Iterable[Route]) -> None:
        """Register a table of :class:`~kali.routing.Route` and :class:`~kali.routing.Mount`."""
        with _gc_paused():
            self._add_table(routes)

    def _add_table(self, routes: Iterable[Route]) -> None:
        for entry in routes:
            if isinstance(entry, Mount):
                self.mount(entry.path, entry.handler, name=entry.name)
            elif isinstance(entry, Route):
                self._add(Route(entry.path, entry.handler, entry.methods, name=entry.name))
            else:
                raise RouteError(f"a route table holds Route and Mount entries, not {entry!r}")

    def resource(
        self, path: str, *, name: str | None = None
    ) -> Callable[[type[ResourceT]], type[ResourceT]]:
        """Class decorator: register a :class:`~kali.Resource` subclass on ``path``.

        The class is instantiated once, here, without arguments; see
        :meth:`add_resource`. It is returned unchanged.
        """

        def register(cls: type[ResourceT]) -> type[ResourceT]:
            self.add_resource(path, cls, name=name)
            return cls

        return register

    def add_resource(
        self, path: str, resource: Resource | type[Resource], *, name: str | None = None
    ) -> None:
        """Register a resource: its ``get``/``post``/... on ``path`` and each
        ``<verb>_<action>`` method on ``path/<action>``.

        A class is instantiated once, now, without arguments; pass an instance
        to choose its arguments. Route names are ``"<name>.<method>"``, where
        ``name`` defaults to the class name (``url_for("Task.get_edit", id=3)``).
        """
        if isinstance(resource, type):
            if not issubclass(resource, Resource):
                raise route_error(
                    RouteError,
                    f"{resource.__qualname__} is not a kali.Resource",
                    pattern=path,
                    fix="derive it from kali.Resource",
                )
            resource = resource()
        elif not isinstance(resource, Resource):
            raise route_error(
                RouteError,
                f"{resource!r} is not a kali.Resource",
                pattern=path,
                fix="derive its class from kali.Resource",
            )
        base = name or type(resource).__qualname__
        found = resource_methods(resource)
        if not found:
            raise route_error(
                RouteError,
                f"the resource {type(resource).__qualname__} has no handler method",
                pattern=path,
                fix="define get, post, put, patch or delete (or <verb>_<action>) methods",
            )
        for verb, action, method in found:
            pattern = path if action is None else path.rstrip("/") + "/" + action
            attr = verb.lower() if action is None else f"{verb.lower()}_{action}"
            self._add(Route(pattern, method, (verb,), name=f"{base}.{attr}"))

    def mount(self, prefix: str, handler: Handler, *, name: str | None = None) -> None:
        """Hand every request under ``prefix`` (any method) to ``handler``.

        ``handler`` sees :meth:`Request.mounted <kali.Request.mounted>`: its
        ``path`` is what follows ``prefix`` and ``root_path`` grows by it. Routes
        of this app that are more specific than the prefix still win. A mounted
        :class:`App` is compiled along with this one.
        """
        route = Mount(prefix, handler, name=name)
        self._add(route)

    def _add(self, route: Route) -> None:
        methods = route.methods
        handler = route.handler
        if self._compiled:
            raise route_error(
                SetupFinishedError,
                "cannot add a route: the app is already compiled (by app.compile(), app.run() "
                "or its first request)",
                pattern=route.path,
                handler=handler,
                methods=methods,
                fix="register every route before the app serves or is compiled",
            )
        pattern = route.path
        if route.is_mount:
            if not isinstance(pattern, str) or not pattern.startswith("/"):
                raise route_error(
                    RouteSyntaxError,
                    f"the mount prefix {pattern!r} does not start with '/'",
                    pattern=str(pattern),
                    handler=handler,
                    fix="write '/' + prefix",
                )
            pattern = pattern.rstrip("/")
            route._prefix = pattern or "/"
            route.path = pattern or "/"
            segments = parse_pattern(pattern, self._converters, handler=handler) if pattern else ()
            if any(isinstance(p, Param) for seg in segments for p in seg):
                raise route_error(
                    RouteSyntaxError,
                    "a mount prefix cannot have parameters",
                    pattern=route.path,
                    handler=handler,
                    fix="use a static prefix",
                )
            if not callable(handler):
                raise route_error(
                    RouteError,
                    f"the mounted handler {handler!r} is not callable",
                    pattern=route.path,
                    fix="mount a handler or an App",
                )
        else:
            check_methods(methods, pattern, handler)
            segments = parse_pattern(pattern, self._converters, handler=handler, methods=methods)
            route._params = {
                p.name: self._converters[p.converter]
                for seg in segments
                for p in seg
                if isinstance(p, Param)
            }
            route._names = tuple(route._params)
            route._binder, route._positional = analyse(
                handler, pattern, methods, route._params, self._hint_cache
            )
            route._static = not route._params
        route._segments = segments
        tree.insert(self._root, route, segments, route._params, methods, counter=self._counter)
        self._routes.append(route)
        for key in _handler_keys(handler):
            self._by_handler.setdefault(key, []).append(route)
        self._by_name.setdefault(route.name, []).append(route)

    # -- compiling and matching ------------------------------------------------

    def compile(self) -> None:
        """Build the matcher now (else the first request or :meth:`match` does).

        Registration errors have already been raised as routes were added.
        Mounted apps are compiled too. After this, adding a route or a
        converter raises :class:`~kali.routing.SetupFinishedError`. Calling it
        again does nothing.
        """
        if self._compiled:
            return
        with _gc_paused():
            self._compile()
        for route in self._routes:
            if route.is_mount and isinstance(route.handler, App):
                route.handler.compile()

    def _compile(self) -> None:
        tree.finish(self._root)
        static_routes = [r for r in self._routes if r._static]
        leaves = []
        for route in static_routes:
            node = self._root
            for segment in route._segments:
                node = node.static[segment[0]]  # type: ignore[index]
            leaves.append(node)
        match, source = compile_matcher(self._root, static_routes, leaves)
        self._source = source
        self._compiled = True
        # The instance attribute shadows the method: app.match is the generated function.
        setattr(self, "match", match)  # noqa: B010

    def match(self, method: str, path: str) -> Match | None:
        """The route for ``method`` and ``path``, or ``None``.

        ``path`` is the path as sent: percent-encoded, without the query
        string (``request.raw_path``). Each segment is decoded once, then
        converted. The result is a :class:`~kali.routing.Match` with
        ``.handler``, ``.params`` (converted path parameters) and ``.route``.
        ``HEAD`` matches GET routes. ``None`` means 404 or 405; see
        :meth:`allowed_methods`. Compiles the app on first use.
        """
        self.compile()
        found: Match | None = self.match(method, path)
        return found

    def allowed_methods(self, path: str) -> frozenset[str]:
        """The methods some route accepts for ``path`` (``HEAD`` included where GET is).

        Empty when no route has that path. ``"*"`` stands for a mount.
        """
        self.compile()
        return frozenset(tree.allowed(self._root, path))

    @property
    def routes(self) -> tuple[Route, ...]:
        """Every registered route and mount, in registration order."""
        return tuple(self._routes)

    @property
    def matcher_source(self) -> str:
        """The Python source of the generated matcher (compiles the app)."""
        self.compile()
        return self._source

    # -- reverse routing -------------------------------------------------------

    def url_for(self, target: Callable[..., ResponseValue] | str, /, **params: Any) -> str:
        """The URL path of the route for ``target`` (a handler or a route name).

        ``params`` fill the path parameters, converted by each converter's
        ``to_url`` and percent-encoded; the others become the query string
        (lists repeat the key, ``None`` is left out). When the handler has
        several routes, the first whose parameters are all given is used.
        The path is relative to this app: prefix ``request.root_path`` when
        the app is mounted. Raises :class:`~kali.routing.BuildError`.
        """
        if isinstance(target, str):
            candidates = self._by_name.get(target)
            label = f"the name {target!r}"
            if (
                candidates
                and len({id(r.handler) for r in candidates}) > 1
                and not all(r.handler == candidates[0].handler for r in candidates)
            ):
                handlers = ", ".join(where(r.handler) for r in candidates)
                raise BuildError(
                    f"the name {target!r} is ambiguous: it names {handlers}; pass "
                    "the handler itself, or register the routes with distinct names"
                )
        else:
            candidates = None
            for key in _handler_keys(target):
                candidates = self._by_handler.get(key)
                if candidates:
                    break
            label = f"the handler {where(target)}"
        if not candidates:
            close = (
                difflib.get_close_matches(target, sorted(self._by_name), n=1)
                if isinstance(target, str)
                else []
            )
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise BuildError(f"no route is registered for {label}{hint}")
        route = choose(candidates, params, label)
        path = build_path(route, params)
        extra = {k: v for k, v in params.items() if k not in route._params}
        if extra:
            query = query_string(extra)
            if query:
                path += "?" + query
        return path

    # -- serving ---------------------------------------------------------------

    def __call__(self, request: Request) -> Response:
        """Answer ``request``: normalize, match, bind, call, and turn the result into a Response."""
        raw = request.raw_path
        if "//" in raw or "/." in request.path:
            normal = normalize_path(raw)
            if normal != raw:
                return self._redirect(request, normal)
        found = self.match(request.method, raw)
        if found is None:
            return self._unmatched(request)
        handler, route, values = found
        prefix = route._prefix
        if prefix is not None:
            return to_response(handler(request.mounted(prefix)))
        binder = route._binder
        if route._positional:
            if binder is None:
                return to_response(handler(request, *values))
            return to_response(handler(request, *values, **binder(request, {})))
        params = dict(zip(route._names, values, strict=True))
        if binder is not None:
            params = binder(request, params)
        return to_response(handler(request, **params))

    def _unmatched(self, request: Request) -> Response:
        raw = request.raw_path
        allowed = tree.allowed(self._root, raw)
        if allowed:
            allow = ", ".join(sorted(allowed | {"OPTIONS"}))
            if request.method == "OPTIONS":
                response = Response(b"", 204)
            else:
                response = Response.status_page(
                    405, f"{request.method} is not allowed here; use {allow}."
                )
            response.add_header("Allow", allow)
            return response
        if not raw.endswith("/") and tree.allowed(self._root, raw + "/"):
            return self._redirect(request, raw + "/")
        return Response.status_page(404)

    @staticmethod
    def _redirect(request: Request, raw_path: str) -> Response:
        location = quote(request.root_path, safe=SEGMENT_SAFE + "/") + raw_path
        if request.query_string:
            location += "?" + request.query_string
        status = 301 if request.method in ("GET", "HEAD") else 308
        return Response.redirect(location, status)

    def run(
        self,
        *,
        address: str = "127.0.0.1",
        port: int = 8080,
        open_browser: bool = True,
        debug: bool = False,
        limits: Limits = DEFAULT_LIMITS,
        timeouts: Timeouts = Timeouts(),  # frozen, so safe to share  # noqa: B008
        access_log: bool = True,
        ready: Callable[[Server], object] | None = None,
    ) -> None:
        """Compile the app (so registration errors show before the socket opens),
        then serve it with :func:`~kali.serve_http` until Ctrl-C."""
        self.compile()
        serve_http(
            self,
            address=address,
            port=port,
            open_browser=open_browser,
            debug=debug,
            limits=limits,
            timeouts=timeouts,
            access_log=access_log,
            ready=ready,
        )

    def __repr__(self) -> str:
        state = "compiled" if self._compiled else "open"
        return f"<App {len(self._routes)} routes, {state}>"


def normalize_path(raw: str) -> str:
    """``raw`` without empty, ``.`` and ``..`` segments (``/a//b/../c`` gives ``/a/c``).

    A trailing slash (or a trailing ``.``/``..``) is kept as a trailing slash.
    Dots are recognised after percent-decoding (``%2e``), as browsers do.
    """
    segments = raw.split("/")[1:]
    out: list[str] = []
    for segment in segments:
        text = unquote(segment) if "%" in segment else segment
        if text == "..":
            if out:
                out.pop()
        elif text and text != ".":
            out.append(segment)
    last = segments[-1] if segments else ""
    normal = "/" + "/".join(out)
    if out and (not last or (unquote(last) if "%" in last else last) in (".", "..")):
        normal += "/"
    return normal


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    # PERF: building a big table allocates many long-lived objects, and the
    # collections this triggers cost more than the build itself (10 000
    # routes: 0.9 s with the collector, 0.4 s without). Nothing built here is
    # garbage, so pause the collector, and restore its state.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _handler_keys(handler: object) -> list[object]:
    keys: list[object] = []
    for obj in (handler, getattr(handler, "__func__", None)):
        if obj is None:
            continue
        try:
            hash(obj)
        except TypeError:
            keys.append(id(obj))
        else:
            keys.append(obj)
    return keys


__all__ = ["App", "HandlerT", "normalize_path"]
