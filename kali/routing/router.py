"""The [`Router`][kali.routing.Router]: routes in, one generated matcher out.

An [`App`][kali.App] keeps the registration API (decorators, tables, resources)
and hands every route to its router, which

1. checks the declaration — the pattern, its converters, the handler's signature —
   and raises a [`RouteError`][kali.routing.RouteError] naming `file:line` and the
   fix if anything is wrong;
2. compiles it into a frozen [`Endpoint`][kali.routing.Endpoint] and inserts it
   into the dispatch tree ([`kali.routing.tree`][]);
3. on [`compile`][kali.routing.Router.compile], generates the matcher
   ([`kali.routing.compiler`][]): `match(method, path) -> Match | None`;
4. answers [`allowed_methods`][kali.routing.Router.allowed_methods] (for 405 and
   `OPTIONS`) and [`url_for`][kali.routing.Router.url_for] (reverse routing).
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote

from ..request import Request
from ..typing import ResponseValue
from . import tree
from .compiler import MatchFunction, compile_dispatcher, compile_matcher
from .converters import DEFAULT_CONVERTERS, Converter, is_greedy, output_type
from .endpoint import Endpoint, Match
from .errors import (
    BuildError,
    RouteError,
    RouteSyntaxError,
    SetupFinishedError,
    route_error,
    where,
)
from .rules import Mount, Param, Route, check_methods, parse_pattern
from .signature import analyse
from .urls import build_path, choose, query_string


class Router:
    """Routes and mounts, checked as they are added and compiled into one matcher.

    `converters` adds path converters by name to the built-in ones, as
    [`add_converter`][kali.routing.Router.add_converter] does.
    """

    def __init__(self, converters: Mapping[str, type[Converter[Any]]] | None = None) -> None:
        self._converters: dict[str, Converter[Any]] = {
            name: cls() for name, cls in DEFAULT_CONVERTERS.items()
        }
        self._root = tree.Node()
        self._endpoints: list[Endpoint] = []
        self._by_handler: dict[object, list[Endpoint]] = {}
        self._by_name: dict[str, list[Endpoint]] = {}
        self._hint_cache: dict[Any, Any] = {}
        self._match: MatchFunction | None = None
        self._source = ""
        for name, cls in (converters or {}).items():
            self.add_converter(name, cls)

    # -- adding ----------------------------------------------------------------

    def add_converter(self, name: str, converter: type[Converter[Any]]) -> None:
        """Make `<name:param>` available in patterns added from now on.

        `converter` is a [`Converter`][kali.routing.Converter] subclass; it is
        instantiated once, without arguments. A built-in name other than `path`
        may be replaced.
        """

        def fail(why: str, cls: type[RouteError] = RouteError) -> RouteError:
            # Located like a handler (file:line), only when there is an error to report.
            return cls(f"cannot add converter {name!r} ({where(converter)}): {why}")

        if self.compiled:
            raise fail("the routes are already compiled", SetupFinishedError)
        if not name.isidentifier():
            raise fail("the name must be an identifier")
        if name == "path":
            raise fail("'path' cannot be replaced")
        if not (isinstance(converter, type) and issubclass(converter, Converter)):
            raise fail("it must be a subclass of kali.routing.Converter")
        try:
            groups = re.compile(converter.regex).groups
        except re.error as exc:
            raise fail(f"its regex is invalid ({exc})") from None
        if groups:
            raise fail("its regex has capturing groups; write (?:...) instead of (...)")
        if is_greedy(converter):
            raise fail("weights of 1000 and more are for 'path'")
        produced = output_type(converter)
        if converter.convert is Converter.convert and produced not in (str, object):
            raise fail(
                f"it is a Converter[{inspect.formatannotation(produced)}] without a convert() "
                "method; define convert(self, value: str)"
            )
        self._converters[name] = converter()

    def add(self, entry: Route | Mount) -> Endpoint:
        """Check `entry` and add it; return the endpoint it compiled to.

        Raises a [`RouteError`][kali.routing.RouteError] (a malformed pattern, an
        unknown converter, a signature that disagrees with the pattern, a
        duplicate) or [`SetupFinishedError`][kali.routing.SetupFinishedError]
        after [`compile`][kali.routing.Router.compile].
        """
        if self.compiled:
            raise route_error(
                SetupFinishedError,
                "cannot add a route: the app is already compiled (by app.compile(), app.run() "
                "or its first request)",
                pattern=str(entry.path),
                handler=entry.handler,
                methods=entry.methods,
                fix="register every route before the app serves or is compiled",
            )
        endpoint = self._mount(entry) if isinstance(entry, Mount) else self._route(entry)
        tree.insert(self._root, endpoint)
        self._endpoints.append(endpoint)
        for key in _handler_keys(endpoint.handler):
            self._by_handler.setdefault(key, []).append(endpoint)
        self._by_name.setdefault(endpoint.name, []).append(endpoint)
        return endpoint

    def _route(self, route: Route) -> Endpoint:
        methods, pattern, handler = route.methods, route.path, route.handler
        check_methods(methods, pattern, handler)
        segments = parse_pattern(pattern, self._converters, handler=handler, methods=methods)
        params = {
            p.name: self._converters[p.converter]
            for seg in segments
            for p in seg
            if isinstance(p, Param)
        }
        binder, positional, call = analyse(handler, pattern, methods, params, self._hint_cache)
        return Endpoint(route, pattern, methods, segments, params, call, binder, positional)

    def _mount(self, mount: Mount) -> Endpoint:
        prefix, handler = mount.path, mount.handler
        if not isinstance(prefix, str) or not prefix.startswith("/"):
            raise route_error(
                RouteSyntaxError,
                f"the mount prefix {prefix!r} does not start with '/'",
                pattern=str(prefix),
                handler=handler,
                fix="write '/' + prefix",
            )
        pattern = prefix.rstrip("/")
        segments = parse_pattern(pattern, self._converters, handler=handler) if pattern else ()
        if any(isinstance(p, Param) for seg in segments for p in seg):
            raise route_error(
                RouteSyntaxError,
                "a mount prefix cannot have parameters",
                pattern=prefix,
                handler=handler,
                fix="use a static prefix",
            )
        if not callable(handler):
            raise route_error(
                RouteError,
                f"the mounted handler {handler!r} is not callable",
                pattern=prefix,
                fix="mount a handler or an App",
            )
        prefix = pattern or "/"

        def call(request: Request, values: tuple[Any, ...]) -> ResponseValue:
            return handler(request.mounted(prefix))

        return Endpoint(mount, prefix, mount.methods, segments, {}, call)

    # -- compiling and matching ------------------------------------------------

    @property
    def compiled(self) -> bool:
        """Whether [`compile`][kali.routing.Router.compile] has run."""
        return self._match is not None

    def compile(self) -> MatchFunction:
        """Generate the matcher (once) and return it: `match(method, raw_path)`.

        After this, adding a route or a converter raises
        [`SetupFinishedError`][kali.routing.SetupFinishedError].
        """
        if self._match is None:
            with gc_paused():
                tree.finish(self._root)
                static = [e for e in self._endpoints if e.is_static]
                self._match, self._source = compile_matcher(self._root, static)
        return self._match

    def dispatcher(
        self,
        *,
        before: Callable[[Request], str | ResponseValue],
        unmatched: Callable[[Request], ResponseValue],
        seen: Callable[[Request, Endpoint], object] | None = None,
    ) -> tuple[Callable[[Request], ResponseValue], str]:
        """Generate `dispatch(request)` from the same tree as the matcher (compiling
        the routes first): it matches the request and calls the route's handler.
        Returns the function and its source. A request whose path has `//` or `/.`,
        or whose method is POST, goes to `before(request)` first: it returns the
        method to match, or a response to answer with instead. Without a match the
        function returns `unmatched(request)`; with `seen`, `seen(request, endpoint)`
        is called before the route.
        """
        self.compile()
        static = [e for e in self._endpoints if e.is_static]
        with gc_paused():
            return compile_dispatcher(
                self._root, static, before=before, unmatched=unmatched, seen=seen
            )

    def match(self, method: str, path: str) -> Match | None:
        """The endpoint for `method` and `path`, or `None` (a 404 or a 405).

        `path` is the path as sent: percent-encoded, without the query string.
        Each segment is decoded once, then converted. `HEAD` matches GET routes.
        Compiles the routes on first use.
        """
        return self.compile()(method, path)

    def lookup(self, method: str, path: str) -> Match | None:
        """What [`match`][kali.routing.Router.match] answers, found by walking the
        tree instead of the generated code: the reference the matcher is tested
        against (slower; for tests)."""
        self.compile()
        return tree.lookup(self._root, method, path)

    def allowed_methods(self, path: str) -> frozenset[str]:
        """The methods some route accepts for `path` (`HEAD` included where GET is).

        Empty when no route has that path. `"*"` stands for a mount.
        """
        self.compile()
        return frozenset(tree.allowed(self._root, path))

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        """Every endpoint, in the order its route was added."""
        return tuple(self._endpoints)

    @property
    def source(self) -> str:
        """The Python source of the generated matcher (compiles the routes)."""
        self.compile()
        return self._source

    # -- reverse routing -------------------------------------------------------

    def url_for(self, target: Callable[..., Any] | str, /, **params: Any) -> str:
        """The URL path of the route for `target` (a handler or a route name).

        `params` fill the path parameters, converted by each converter's `to_url`
        and percent-encoded; the others become the query string (lists repeat the
        key, `None` is left out). When the handler has several routes, the first
        whose parameters are all given is used. Raises
        [`BuildError`][kali.routing.BuildError].
        """
        if isinstance(target, str):
            candidates = self._by_name.get(target)
            label = f"the name {target!r}"
            if candidates and len({id(e.handler) for e in candidates}) > 1:
                first = candidates[0].handler
                if not all(e.handler == first for e in candidates):
                    handlers = ", ".join(where(e.handler) for e in candidates)
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
        endpoint = choose(candidates, params, label)
        path = build_path(endpoint, params)
        extra = {k: v for k, v in params.items() if k not in endpoint.params}
        if extra:
            query = query_string(extra)
            if query:
                path += "?" + query
        return path


def normalize_path(raw: str) -> str:
    """`raw` without empty, `.` and `..` segments (`/a//b/../c` gives `/a/c`).

    A trailing slash (or a trailing `.`/`..`) is kept as a trailing slash. Dots are
    recognised after percent-decoding (`%2e`), as browsers do.
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
def gc_paused() -> Iterator[None]:
    """Pause the garbage collector while a large table is built, then restore it."""
    # PERF: building a big table allocates many long-lived objects, and the
    # collections this triggers cost more than the build itself (10 000 routes:
    # 0.9 s with the collector, 0.4 s without). Nothing built here is garbage.
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


__all__ = ["Router", "gc_paused", "normalize_path"]
