"""The [`App`][kali.App]: routes registered three ways, middleware, error pages.

    app = App()

    @app.get("/")
    def index(request: Request) -> str:
        return "<h1>Tasks</h1>"

    @app.get("/task/<int:id>")
    def show(request: Request, id: int, full: bool = False) -> str:
        ...

    if __name__ == "__main__":
        app.run()

An App is itself a handler (`app(request) -> Response`), so
[`serve_http`][kali.serve_http], [`TestClient`][kali.testing.TestClient] and
[`WSGIAdapter`][kali.wsgi.WSGIAdapter] take it as it is. It keeps the registration
API and hands the routes to its [`Router`][kali.routing.Router]. See
`docs/routing.md` and `docs/middleware.md`.

How a request goes through an app, once it is compiled:

1. the middleware, first added outermost: each sees the request before the
   ones added after it, and the response (or the exception) after them;
2. the router: a path with `//` or `.` segments is redirected to its normal
   form; no route is a 404 [`HTTPError`][kali.HTTPError], a route without the
   method a 405 (`OPTIONS` is answered with the `Allow` list);
3. the handler, with its path parameters and the query or form arguments its
   signature asks for (a bad one is a 400);
4. around all of it, the error pages: an `HTTPError` from anywhere inside
   (the router, a middleware, the handler) is rendered by the app's
   [`error`][kali.App.error] handler for its status, else by kali's own page;
   any other exception is logged and rendered as a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, overload

from typing_extensions import Unpack

from .errors import ConfigurationError, HTTPError, caller_location
from .options import ServerOptions, ServerSettings, make_options
from .pipeline import error_page, exception_page, report_exception, to_response
from .protocol import RequestHead
from .request import Request
from .resource import Resource, resource_methods
from .response import Response, local_path
from .routing.converters import Converter
from .routing.endpoint import Endpoint, Match
from .routing.errors import RouteError, route_error, where
from .routing.router import Router, gc_paused, normalize_path
from .routing.rules import Mount, Route
from .routing.urls import SEGMENT_SAFE
from .scheduler import Scheduler, Timer
from .typing import Handler, HandlerT, Middleware, ResponseValue, RouteHandler

ResourceT = TypeVar("ResourceT", bound=Resource)
ExceptionT = TypeVar("ExceptionT", bound=Exception)
ErrorHandler = Callable[[Request, Any], ResponseValue]
"""An error handler: the request and the error, and the page to answer with."""
ErrorHandlerT = TypeVar("ErrorHandlerT", bound=ErrorHandler)
FunctionT = TypeVar("FunctionT", bound=Callable[..., object])

_DEFAULT_METHODS = ("GET",)


class App:
    """A routed application: register routes, then serve it (it compiles itself).

    Args:
        routes: a table of [`Route`][kali.routing.Route] and
            [`Mount`][kali.routing.Mount] entries, added as by
            [`add_routes`][kali.App.add_routes].
        converters: path converters by name, as by [`add_converter`][kali.App.add_converter].
        debug: show the traceback in 500 pages (never in production). `App.run`
            and `python -m kali run --debug` set it too.
    """

    def __init__(
        self,
        routes: Iterable[Route | Mount] = (),
        *,
        converters: Mapping[str, type[Converter[Any]]] | None = None,
        debug: bool = False,
    ) -> None:
        self.router = Router(converters)
        self.debug = debug
        """Whether 500 pages show the traceback."""
        self._middleware: list[Middleware] = []
        self._by_status: dict[int, ErrorHandler] = {}
        self._by_exception: dict[type[BaseException], ErrorHandler] = {}
        self.scheduler = Scheduler()
        """The app's timers, run by the server between requests (see [`kali.scheduler`][])."""
        self._match: Callable[[str, str], Match | None] | None = None
        self._inner: Handler = self._compile_and_dispatch
        self._dispatch_source = ""
        self.add_routes(routes)

    # -- converters, routes, resources, mounts ----------------------------------

    def add_converter(self, name: str, converter: type[Converter[Any]]) -> None:
        """Make `<name:param>` available in this app's patterns.

        `converter` is a [`Converter`][kali.routing.Converter] subclass; it is
        instantiated once, without arguments. A built-in name other than `path`
        may be replaced.
        """
        self.router.add_converter(name, converter)

    def route(
        self, path: str, methods: Sequence[str] = _DEFAULT_METHODS, *, name: str | None = None
    ) -> Callable[[HandlerT], HandlerT]:
        """Decorator: register the function for `methods` (GET by default) on `path`.

        The function is returned unchanged, so it may still be called directly.
        """

        def register(handler: HandlerT) -> HandlerT:
            self.add_route(path, handler, methods, name=name)
            return handler

        return register

    def get(self, path: str, *, name: str | None = None) -> Callable[[HandlerT], HandlerT]:
        """Decorator: register a GET (and HEAD) handler for `path`."""
        return self.route(path, ("GET",), name=name)

    def post(self, path: str, *, name: str | None = None) -> Callable[[HandlerT], HandlerT]:
        """Decorator: register a POST handler for `path`."""
        return self.route(path, ("POST",), name=name)

    def put(self, path: str, *, name: str | None = None) -> Callable[[HandlerT], HandlerT]:
        """Decorator: register a PUT handler for `path`."""
        return self.route(path, ("PUT",), name=name)

    def patch(self, path: str, *, name: str | None = None) -> Callable[[HandlerT], HandlerT]:
        """Decorator: register a PATCH handler for `path`."""
        return self.route(path, ("PATCH",), name=name)

    def delete(self, path: str, *, name: str | None = None) -> Callable[[HandlerT], HandlerT]:
        """Decorator: register a DELETE handler for `path`."""
        return self.route(path, ("DELETE",), name=name)

    def add_route(
        self,
        path: str,
        handler: RouteHandler,
        methods: Sequence[str] = _DEFAULT_METHODS,
        *,
        name: str | None = None,
    ) -> None:
        """Register `handler` for `methods` on `path` (what the decorators call)."""
        self.router.add(Route(path, handler, methods, name=name))

    def add_routes(self, routes: Iterable[Route | Mount]) -> None:
        """Register a table of [`Route`][kali.routing.Route] and [`Mount`][kali.routing.Mount]."""
        with gc_paused():
            for entry in routes:
                if not isinstance(entry, (Route, Mount)):
                    raise RouteError(
                        f"a route table holds Route and Mount entries, not {entry!r} "
                        f"({caller_location()}): write Route(path, handler) or Mount(path, app)"
                    )
                self.router.add(entry)

    def resource(
        self, path: str, *, name: str | None = None
    ) -> Callable[[type[ResourceT]], type[ResourceT]]:
        """Class decorator: register a [`Resource`][kali.Resource] subclass on `path`.

        The class is instantiated once, here, without arguments; see
        [`add_resource`][kali.App.add_resource]. It is returned unchanged.
        """

        def register(cls: type[ResourceT]) -> type[ResourceT]:
            self.add_resource(path, cls, name=name)
            return cls

        return register

    def add_resource(
        self, path: str, resource: Resource | type[Resource], *, name: str | None = None
    ) -> None:
        """Register a resource: its `get`/`post`/... on `path` and each
        `<verb>_<action>` method on `path/<action>`.

        A class is instantiated once, now, without arguments; pass an instance to
        choose its arguments. Route names are `"<name>.<method>"`, where `name`
        defaults to the class name (`url_for("Task.get_edit", id=3)`).
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
        base = name or type(resource).__name__
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
            self.router.add(Route(pattern, method, (verb,), name=f"{base}.{attr}"))

    def mount(self, prefix: str, handler: Handler, *, name: str | None = None) -> None:
        """Hand every request under `prefix` (any method) to `handler`.

        `handler` sees [`Request.mounted`][kali.Request.mounted]: its `path` is
        what follows `prefix` and `root_path` grows by it. Routes of this app that
        are more specific than the prefix still win. A mounted `App` is compiled
        along with this one.
        """
        self.router.add(Mount(prefix, handler, name=name))

    # -- middleware and error pages -----------------------------------------------

    def use(self, middleware: Middleware) -> Middleware:
        """Wrap the app's handler in `middleware`, a function from handler to handler.

        Applied once, when the app is compiled. The first middleware added is the
        outermost: it sees the request first and the response last. A middleware
        sees the exceptions raised inside it (an [`HTTPError`][kali.HTTPError] for
        a 404 included) before the app renders them as error pages. Returns
        `middleware`, so `use` works as a decorator. Once a route matched,
        `request.state["kali.app"]` is the app and `request.state["kali.endpoint"]`
        the `Endpoint` that answered.
        """
        self._check_open("add a middleware", middleware)
        if not callable(middleware):
            raise ConfigurationError(
                f"app.use() takes a function from handler to handler, not {middleware!r} "
                f"({caller_location()})"
            )
        self._middleware.append(middleware)
        return middleware

    @overload
    def error(self, key: int, /) -> Callable[[ErrorHandlerT], ErrorHandlerT]: ...
    @overload
    def error(self, key: type[ExceptionT], /) -> Callable[[ErrorHandlerT], ErrorHandlerT]: ...
    def error(self, key: int | type[Exception], /) -> Callable[[ErrorHandlerT], ErrorHandlerT]:
        """Decorator: render the page for an error status or an exception class.

            @app.error(404)
            def not_found(request: Request, error: HTTPError) -> IoList:
                return layout(title="Not found", body=...)

        A status handler renders every [`HTTPError`][kali.HTTPError] with that
        status, kali's own included (404 for no route, 405, 400 for a bad query or
        form value); `error(500)` also renders exceptions no handler expected
        (after they are logged). An exception handler renders that class and its
        subclasses (the closest class wins). Returning a body sends it with the
        error's status; returning a `Response` with a status other than 200 keeps
        that status (a redirect, say).
        """

        def register(handler: ErrorHandlerT) -> ErrorHandlerT:
            self._check_open("add an error handler", handler)
            if not callable(handler):
                raise ConfigurationError(
                    f"app.error({key!r}) needs a function, not {handler!r} ({caller_location()})"
                )
            if isinstance(key, int) and not isinstance(key, bool):
                if not 400 <= key <= 599:
                    raise ConfigurationError(
                        f"app.error({key}) ({where(handler)}): error pages are for 4xx and "
                        "5xx statuses"
                    )
                self._by_status[key] = handler
            elif isinstance(key, type) and issubclass(key, Exception):
                self._by_exception[key] = handler
            else:
                raise ConfigurationError(
                    f"app.error({key!r}) ({where(handler)}): give a status such as 404 or an "
                    "exception class such as ValueError"
                )
            return handler

        return register

    # -- timers --------------------------------------------------------------------

    def call_later(self, seconds: float, function: Callable[..., object], *args: Any) -> Timer:
        """Call `function(*args)` once, `seconds` from now, on the serving thread
        between two requests (see [`kali.scheduler`][kali.scheduler])."""
        return self.scheduler.call_later(seconds, function, *args)

    @overload
    def every(self, seconds: float, function: Callable[..., object], /, *args: Any) -> Timer: ...
    @overload
    def every(self, seconds: float, /) -> Callable[[FunctionT], FunctionT]: ...
    def every(
        self, seconds: float, function: Callable[..., object] | None = None, /, *args: Any
    ) -> Timer | Callable[[FunctionT], FunctionT]:
        """Call `function(*args)` every `seconds`, on the serving thread between
        requests; or, without a function, a decorator doing that:

            @app.every(30)
            def autosave() -> None: ...
        """
        if function is not None:
            return self.scheduler.every(seconds, function, *args)

        def register(target: FunctionT) -> FunctionT:
            self.scheduler.every(seconds, target)
            return target

        return register

    def _check_open(self, what: str, obj: object) -> None:
        if self.router.compiled:
            raise ConfigurationError(
                f"cannot {what} ({where(obj)}): the app is already compiled (by "
                "app.compile(), app.run() or its first request); set the app up first"
            )

    # -- compiling and matching ----------------------------------------------------

    def compile(self) -> None:
        """Build the matcher and the middleware chain now (else the first request does).

        Registration errors have already been raised as routes were added.
        Mounted apps are compiled too. After this, adding a route, a converter, a
        middleware or an error handler raises an error. Calling it again does
        nothing.
        """
        if self._match is not None:
            return
        match = self.router.compile()
        # The innermost handler: normalize the path, match it, call the route.
        handler: Handler
        handler, self._dispatch_source = self.router.dispatcher(
            before=self._before_match,
            unmatched=self._unmatched,
            seen=self._record if self._middleware else None,
        )
        for middleware in reversed(self._middleware):
            wrapped = middleware(handler)
            if not callable(wrapped):
                raise ConfigurationError(
                    f"the middleware {where(middleware)} returned {wrapped!r}, not a handler: "
                    "a middleware takes the next handler and returns a new one"
                )
            handler = wrapped
        self._match = match  # compiled, now that no middleware failed
        self._inner = handler
        for endpoint in self.router.endpoints:
            if endpoint.is_mount and isinstance(endpoint.handler, App):
                endpoint.handler.compile()

    def match(self, method: str, path: str) -> Match | None:
        """The route for `method` and `path`, or `None`.

        `path` is the path as sent: percent-encoded, without the query string
        (`request.raw_path`). The result is a [`Match`][kali.routing.Match] with
        `.handler`, `.params` (converted path parameters) and `.route`. `HEAD`
        matches GET routes. `None` means 404 or 405; see
        [`allowed_methods`][kali.App.allowed_methods]. Compiles the app on first use.
        """
        return self.router.match(method, path)

    def allowed_methods(self, path: str) -> frozenset[str]:
        """The methods some route accepts for `path` (`HEAD` included where GET is).

        Empty when no route has that path. `"*"` stands for a mount.
        """
        return self.router.allowed_methods(path)

    @property
    def routes(self) -> tuple[Route | Mount, ...]:
        """Every registered route and mount, in registration order."""
        return tuple(endpoint.route for endpoint in self.router.endpoints)

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        """What the router compiled each route into, in registration order."""
        return self.router.endpoints

    @property
    def matcher_source(self) -> str:
        """The Python source of the generated matcher, `match(method, path)`, then of
        `dispatch(request)`, which answers each request from the same tree (compiles
        the app)."""
        self.compile()
        return self.router.source + "\n" + self._dispatch_source

    def url_for(self, target: Callable[..., ResponseValue] | str, /, **params: Any) -> str:
        """The URL path of the route for `target` (a handler or a route name).

        `params` fill the path parameters, converted by each converter's `to_url`
        and percent-encoded; the others become the query string (lists repeat the
        key, `None` is left out). When the handler has several routes, the first
        whose parameters are all given is used. The path is relative to this app:
        prefix `request.root_path` when the app is mounted. Raises
        [`BuildError`][kali.routing.BuildError].
        """
        return self.router.url_for(target, **params)

    # -- serving -----------------------------------------------------------------

    def __call__(self, request: Request) -> Response:
        """Answer `request`: the middleware, the router, the handler, the error pages."""
        try:
            value = self._inner(request)
            if type(value) is Response:
                return value
            return to_response(value)
        except Exception as exc:
            return self._error_response(request, exc)

    def _pipeline_entry(self) -> tuple[Handler, Callable[[Request, Exception], Response]] | None:
        """The middleware and router (compiled now) and the error pages: what a
        [`Pipeline`][kali.pipeline.Pipeline] calls in place of `__call__`, which
        answers the same with one frame more (`None` if a subclass overrides it)."""
        if type(self).__call__ is not App.__call__:
            return None
        self.compile()
        return self._inner, self._error_response

    def _compile_and_dispatch(self, request: Request) -> ResponseValue:
        self.compile()
        return self._inner(request)

    def _before_match(self, request: Request) -> str | Response:
        """What the dispatcher asks of a request whose path has `//` or `/.`, or
        that is a POST: the redirect to the normal path, or the method to match."""
        head = request.head
        raw = head.raw_path
        if "//" in raw or "/." in head.path:
            normal = normalize_path(raw)
            if normal != raw:
                return _redirect(request, normal)
        if head.method == "POST" and request.has_form:
            head = _override_method(request)
        return head.method

    def _record(self, request: Request, endpoint: Endpoint) -> None:
        """Tell the middleware which app and route answered."""
        request.state.update({"kali.app": self, "kali.endpoint": endpoint})

    def _unmatched(self, request: Request) -> Response:
        raw = request.raw_path
        allowed = self.router.allowed_methods(raw)
        if allowed:
            allow = ", ".join(sorted(allowed | {"OPTIONS"}))
            if request.method == "OPTIONS":
                response = Response(b"", 204)
                response.headers.add("Allow", allow)
                return response
            raise HTTPError(
                405,
                f"{request.method} is not allowed here; use {allow}.",
                headers=[("Allow", allow)],
            )
        if not raw.endswith("/") and self.router.allowed_methods(raw + "/"):
            return _redirect(request, raw + "/")
        raise HTTPError(404)

    def _error_response(self, request: Request, exc: Exception) -> Response:
        """The page for an exception that came out of the middleware and handlers."""
        if isinstance(exc, HTTPError):
            status = exc.status
            render = self._by_status.get(status) or self._handler_for(exc)
        else:
            report_exception(request, exc)
            status = 500
            render = self._handler_for(exc) or self._by_status.get(500)
        if render is not None:
            try:
                response = to_response(render(request, exc))
            except Exception as failure:
                report_exception(request, failure)
            else:
                if response.status == 200:
                    response.status = status
                if isinstance(exc, HTTPError):
                    for name, value in exc.headers:
                        if response.headers.get(name) is None:
                            response.headers.add(name, value)
                return response
        if isinstance(exc, HTTPError):
            return error_page(exc)
        return exception_page(exc) if self.debug else Response.status_page(500)

    def _handler_for(self, exc: Exception) -> ErrorHandler | None:
        if not self._by_exception:
            return None
        for cls in type(exc).__mro__:
            handler = self._by_exception.get(cls)
            if handler is not None:
                return handler
        return None

    def run(
        self,
        options: ServerOptions | None = None,
        /,
        *,
        ready: Callable[[Any], object] | None = None,
        **settings: Unpack[ServerSettings],
    ) -> None:
        """Compile the app (so registration errors show before the socket opens),
        then serve it with [`serve_http`][kali.serve_http] until Ctrl-C.

        Takes the options of [`ServerOptions`][kali.ServerOptions]; `debug=True`
        also sets [`App.debug`][kali.App.debug].
        """
        from .server import serve_http  # the socket server, only when serving

        opts = make_options(options, settings)
        if opts.debug:
            self.debug = True
        self.compile()
        serve_http(self, opts, ready=ready)

    def __repr__(self) -> str:
        state = "compiled" if self.router.compiled else "open"
        return f"<App {len(self.router.endpoints)} routes, {state}>"


METHOD_FIELD = "_method"
"""The form field an HTML form (which can only GET or POST) names another method in."""
_OVERRIDES = frozenset({"PUT", "PATCH", "DELETE"})


def _override_method(request: Request) -> RequestHead:
    """A POST form with `_method=PUT`, `PATCH` or `DELETE` is answered as that method.

    The request was checked against cross-site use as a POST, and the method it
    becomes is as unsafe, so the protection holds. The handler sees the new method
    in `request.method`.
    """
    head = request.head
    wanted = request.form.get(METHOD_FIELD)
    if wanted is None:
        return head
    wanted = wanted.upper()
    if wanted not in _OVERRIDES:
        raise HTTPError(
            400, f"{METHOD_FIELD}={wanted!r}: a form may ask only for PUT, PATCH or DELETE"
        )
    request.head = head = head._replace(method=wanted)
    return head


def _redirect(request: Request, raw_path: str) -> Response:
    from urllib.parse import quote

    location = local_path(quote(request.root_path, safe=SEGMENT_SAFE + "/") + raw_path)
    if request.query_string:
        location += "?" + request.query_string
    status = 301 if request.method in ("GET", "HEAD") else 308
    return Response.redirect(location, status)


__all__ = ["METHOD_FIELD", "App", "ErrorHandler"]
