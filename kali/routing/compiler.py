"""Compiling the dispatch tree into one Python function.

The generated `match(method, path)` does, in order:

1. one dict lookup of the whole path among the static routes (of the decoded
   path when it has a `%`, and never when a decoded segment holds a `/`);
2. a split of the path on `/` (percent-decoding each segment that needs it);
3. nested `if` blocks that follow the tree: at each position, the static
   children are compared inline when there are a few, or found with one dict
   lookup that leads to the child's own function when there are many; then
   the parameter edges in priority order, with the built-in conversions
   inlined (`s2.isdigit() and s2.isascii()` then `int(s2)`).

A failed branch falls through to the next candidate, which is the
backtracking; it happens only where the table has siblings. Each level does a
bounded amount of work whatever the number of routes, so lookup cost grows
with the path's depth only. `source` keeps the generated text for
inspection (`print(app.matcher_source)`).

`compile_dispatcher` builds a second function from the same tree,
`dispatch(request)`, which the App calls for each request: its leaves call the
route (`endpoint.call(request, values)`) and return what the handler returned,
with no `Match` built on the way. A handler may return `None`, so inside it a
failed subtree returns the sentinel `_NO` instead, and when nothing matches it
returns `unmatched(request)` (the 404 or 405).
"""

from __future__ import annotations

import itertools
import linecache
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from .converters import Converter, IntConverter, PathConverter, StringConverter
from .endpoint import Endpoint, Match
from .tree import MIXED, PARAM, PATH, REST, Node, trusts_convert

INLINE_STATIC_LIMIT = 6
"""Static children compared inline up to this many; beyond it, one dict lookup."""
_INLINE = (StringConverter, IntConverter)
_serial = itertools.count()

MatchFunction = Callable[[str, str], Match | None]
DispatchFunction = Callable[[Any], Any]
"""`dispatch(request)`: the handler's return value, or what `unmatched` returned."""

_NO = object()  # a failed subtree, in dispatch code (a handler may return None)


def _decode(path: str) -> list[str] | None:
    try:
        return [unquote(s, errors="strict") if "%" in s else s for s in path.split("/")]
    except UnicodeDecodeError:
        return None


class _Generator:
    """Writes `match(method, path)`, or with `dispatch` set, `dispatch(request)`."""

    def __init__(self, root: Node, static: list[Endpoint], *, dispatch: bool = False) -> None:
        self.root = root
        self.dispatch = dispatch
        self.seen = False  # dispatch code calls _seen(request, endpoint) before the route
        self.no = "_NO" if dispatch else "None"  # what a failed subtree returns
        self.namespace: dict[str, Any] = {
            "_new": tuple.__new__,
            "_M": Match,
            "_decode": _decode,
            "_NO": _NO,
        }
        self.names: dict[int, str] = {}
        self.functions: list[str] = []
        self.scope: list[object] | None = None  # constants of the function being generated
        self.fallback = False  # see node()
        self.length: int | None = None  # the segment count checked already, see node()
        self._spans: dict[int, frozenset[int] | None] = {}
        self.shapes: dict[str, str] = {}  # function body -> its factory's name
        self.pending: list[_Pending] = []
        self.tables: list[dict[str, Any]] = []
        self.counter = itertools.count()
        self.text = ""  # the source, once generated
        self.live: set[int] = set()
        self._mark_live(root)
        # The static routes by path, each path's methods found through its tree leaf
        # (which holds the HEAD a GET route answers, too).
        # Dispatch code finds the endpoint instead of a Match.
        self.static: dict[str, dict[str, Match | Endpoint]] = {}
        for endpoint in static:
            node = root
            for segment in endpoint.segments:
                node = node.static[segment[0]]  # type: ignore[index]
            entry = self.static.setdefault(endpoint.pattern, {})
            for method, target in node.leaf.items():
                if target.is_static:
                    entry[method] = target if dispatch else Match(target.handler, target, ())

    # -- helpers ---------------------------------------------------------------

    def const(self, obj: object, prefix: str) -> str:
        """The name generated code uses for `obj`: a global of the module, or,
        inside a table function, a parameter of that function's factory."""
        if self.scope is not None:
            for index, known in enumerate(self.scope):
                if known is obj:
                    return f"_c{index}"
            self.scope.append(obj)
            return f"_c{len(self.scope) - 1}"
        key = id(obj)
        name = self.names.get(key)
        if name is None:
            name = self.names[key] = f"{prefix}{next(self.counter)}"
            self.namespace[name] = obj
        return name

    def is_live(self, node: Node) -> bool:
        """Whether a non-static route ends at or below `node`."""
        return id(node) in self.live

    def _mark_live(self, node: Node) -> bool:
        live = any(not e.is_static for e in node.leaf.values())
        for child in node.static.values():
            live = self._mark_live(child) or live
        for edge in node.edges:
            live = self._mark_live(edge.child) or live
        if live:
            self.live.add(id(node))
        return live

    def span(self, node: Node) -> frozenset[int] | None:
        """How many more segments a path has when a non-static route matches below
        `node` (0: it ends here); `None` if any number (a `path` or `*` route)."""
        key = id(node)
        if key in self._spans:
            return self._spans[key]
        counts: set[int] = set()
        if any(not e.is_static for e in node.leaf.values()):
            counts.add(0)
        children = [c for c in node.static.values() if self.is_live(c)]
        for edge in node.edges:
            if self.is_live(edge.child):
                if edge.kind in (PATH, REST):
                    self._spans[key] = None
                    return None
                children.append(edge.child)
        result: frozenset[int] | None = None
        for child in children:
            below = self.span(child)
            if below is None:
                break
            counts.update(k + 1 for k in below)
        else:
            result = frozenset(counts)
        self._spans[key] = result
        return result

    # -- code ------------------------------------------------------------------

    def source(self) -> str:
        ind = "    "
        if self.dispatch:
            # The path and method to match; the rare requests that may be redirected
            # or may name another method are handed to _before first.
            out = [
                "def dispatch(request):",
                f"{ind}head = request.head",
                f"{ind}path = head.raw_path",
                f"{ind}method = head.method",
                f"{ind}if '//' in path or '/.' in head.path or method == 'POST':",
                f"{ind}    method = _before(request)",
                f"{ind}    if type(method) is not str:",
                f"{ind}        return method",
            ]
            fail = "return _unmatched(request)"
        else:
            out = ["def match(method, path):"]
            fail = "return None"
        live = self.is_live(self.root)
        name = self.const(self.static, "_static") if self.static else ""
        if not (live or self.static):
            out += [f"{ind}{fail}", ""]
            return "\n".join([*self.functions, "\n".join(out)])

        def hit(table: str, key: str, at: str) -> list[str]:
            lines = [
                f"{at}e = {table}.get({key})",
                f"{at}if e is not None:",
                f"{at}    e = e.get(method)",
                f"{at}    if e is not None:",
            ]
            if not self.dispatch:
                return [*lines, f"{at}        return e"]
            if self.seen:
                lines.append(f"{at}        _seen(request, e)")
            return [*lines, f"{at}        return e.call(request, ())"]

        # A path with '%' is looked up decoded, and only when no decoded segment holds a
        # '/' (``%2F``): a static route is never matched across a segment boundary. The
        # raw path is its own decoding when it has no '%'; when no static pattern has a
        # '%' either, a raw path with one cannot be a key, so the raw lookup comes first.
        raw_first = bool(self.static) and not any("%" in key for key in self.static)
        if raw_first:
            out += hit(name, "path", ind)
        out.append(f"{ind}if '%' in path:")
        out.append(f"{ind}    segs = _decode(path)")
        out += [f"{ind}    if segs is None:", f"{ind}        {fail}"]
        if self.static:
            out += [
                f"{ind}    k = '/'.join(segs)",
                f"{ind}    if k.count('/') + 1 == len(segs):",
                *hit(name, "k", ind + "        "),
            ]
        if live:
            out.append(f"{ind}else:")
            if self.static and not raw_first:
                out += hit(name, "path", ind + "    ")
            out += [
                f"{ind}    segs = path.split('/')",
                f"{ind}if segs[0]:",
                f"{ind}    {fail}",
                f"{ind}n = len(segs)",
            ]
            self.node(self.root, 1, [], out, ind)
        elif not raw_first:
            out += [f"{ind}else:", *hit(name, "path", ind + "    ")]
        out.append(f"{ind}{fail}")
        return "\n".join([*self.functions, "\n".join(out), ""])

    def args(self, caps: list[str]) -> str:
        """The parameters of a table's function, and the arguments it is called with."""
        first = ["request", "method"] if self.dispatch else ["method"]
        return ", ".join([*first, "segs", "n", *caps])

    def function(self, node: Node, depth: int, caps: list[str]) -> _Pending:
        """A function for the subtree at `node`, reached through a table.

        Its constants (handlers, routes, nested tables) are parameters of a
        factory, so subtrees of the same shape share one piece of source: a
        table of 10 000 similar routes compiles a handful of functions.
        """
        outer, self.scope = self.scope, []
        body: list[str] = []
        self.node(node, depth, caps, body, "        ")
        constants, self.scope = self.scope, outer
        text = "\n".join(body)
        factory = self.shapes.get(text)
        if factory is None:
            factory = self.shapes[text] = f"_mk{len(self.shapes)}"
            params = ", ".join(f"_c{i}" for i in range(len(constants)))
            self.functions.append(
                f"def {factory}({params}):\n"
                f"    def f({self.args(caps)}):\n"
                f"{text}\n        return {self.no}\n    return f\n"
            )
        pending = _Pending(factory, constants)
        self.pending.append(pending)
        return pending

    def node(self, node: Node, d: int, caps: list[str], out: list[str], ind: str) -> None:
        if self.length is None:
            span = self.span(node)
            if span is not None and len(span) == 1:
                # Every route below has the same number of segments: one check of
                # the count here, none at each level below.
                self.length = d + next(iter(span))
                out.append(f"{ind}if n == {self.length}:")
                self.node(node, d, caps, out, ind + "    ")
                self.length = None
                return
        leaf = {m: e for m, e in node.leaf.items() if not e.is_static}
        statics = [(t, c) for t, c in node.static.items() if self.is_live(c)]
        edges = [e for e in node.edges if self.is_live(e.child)]
        if leaf:
            if self.length is None:
                out.append(f"{ind}if n == {d}:")
                self.leaf(leaf, caps, out, ind + "    ")
            else:  # (then the routes below end here: n == d)
                self.leaf(leaf, caps, out, ind)
        if not (statics or edges):
            return
        if self.length is None:
            out.append(f"{ind}if n > {d}:")
            ind += "    "
        s = f"s{d}"
        if statics or any(e.kind < PATH for e in edges):
            out.append(f"{ind}{s} = segs[{d}]")
        # Whether something may still match when a subtree here fails: this node's
        # edges, or an alternative at a node above (backtracking).
        outer = self.fallback
        self.fallback = outer or bool(edges)
        if len(statics) <= INLINE_STATIC_LIMIT:
            keyword = "if"
            for text, child in statics:
                out.append(f"{ind}{keyword} {s} == {text!r}:")
                self.node(child, d + 1, caps, out, ind + "    ")
                keyword = "elif"
        else:
            table: dict[str, Any] = {
                text: self.function(child, d + 1, caps) for text, child in statics
            }
            self.tables.append(table)
            name = self.const(table, "_T")
            args = self.args(caps)
            out += [f"{ind}f = {name}.get({s})", f"{ind}if f is not None:"]
            # A failed subtree falls back on what comes after it; at the top of
            # dispatch code, on the final unmatched().
            if self.fallback or (self.dispatch and self.scope is None):
                out += [
                    f"{ind}    r = f({args})",
                    f"{ind}    if r is not {self.no}:",
                    f"{ind}        return r",
                ]
            else:
                out.append(f"{ind}    return f({args})")
        for index, edge in enumerate(edges):
            self.fallback = outer or index < len(edges) - 1
            self.edge(edge, d, caps, out, ind)
        self.fallback = outer

    def edge(self, edge: Any, d: int, caps: list[str], out: list[str], ind: str) -> None:
        s = f"s{d}"
        var = f"p{len(caps)}"
        inner = ind + "    "
        if edge.kind == REST:
            self.leaf(edge.child.leaf, caps, out, ind)
            return
        if edge.kind == PATH:
            converter = edge.converters[0]
            out.append(f"{ind}{var} = '/'.join(segs[{d}:])")
            if type(converter) is PathConverter:
                out.append(f"{ind}if {var}:")
            else:
                parse = self.const(edge.parse, "_px")
                out += [
                    f"{ind}{var} = {parse}({var})",
                    f"{ind}if {var} is not None:",
                    f"{inner}{var} = {var}[0]",
                ]
            self.leaf(edge.child.leaf, [*caps, var], out, inner)
            return
        if edge.kind == MIXED:
            parse = self.const(edge.parse, "_mx")
            count = len(edge.converters)
            names = [f"p{len(caps) + i}" for i in range(count)]
            out += [
                f"{ind}v{d} = {parse}({s})",
                f"{ind}if v{d} is not None:",
                f"{inner}{', '.join(names)}{',' if count == 1 else ''} = v{d}",
            ]
            self.node(edge.child, d + 1, [*caps, *names], out, inner)
            return
        assert edge.kind == PARAM
        converter = edge.converters[0]
        cls = type(converter)
        if cls in _INLINE:
            assert cls._inline_check is not None and cls._inline_convert is not None
            out.append(f"{ind}if {cls._inline_check.format(s)}:")
            convert = cls._inline_convert.format(s)
            if convert == s:
                var = s
            else:
                out.append(f"{inner}{var} = {convert}")
            self.node(edge.child, d + 1, [*caps, var], out, inner)
            return
        convert_name = self.const(converter.convert, "_cv")
        if trusts_convert(converter):
            check = self.const(re.compile(converter.regex).fullmatch, "_rx")
            out += [f"{ind}if {check}({s}) is not None:", f"{inner}{var} = {convert_name}({s})"]
            self.node(edge.child, d + 1, [*caps, var], out, inner)
            return
        if converter.regex == Converter.regex:
            out.append(f"{ind}if {s}:")
        else:
            check = self.const(re.compile(converter.regex).fullmatch, "_rx")
            out.append(f"{ind}if {check}({s}) is not None:")
        out += [
            f"{inner}try:",
            f"{inner}    {var} = {convert_name}({s})",
            f"{inner}except ValueError:",
            f"{inner}    pass",
            f"{inner}else:",
        ]
        self.node(edge.child, d + 1, [*caps, var], out, inner + "    ")

    def leaf(self, leaf: dict[str, Endpoint], caps: list[str], out: list[str], ind: str) -> None:
        star = leaf.get("*")
        groups: dict[int, tuple[Endpoint, list[str]]] = {}
        for method, endpoint in leaf.items():
            if method != "*":
                groups.setdefault(id(endpoint), (endpoint, []))[1].append(method)
        for endpoint, methods in groups.values():
            if len(endpoint.params) != len(caps):
                raise AssertionError(f"{endpoint.pattern}: {len(caps)} values for {endpoint.names}")
            values = f"({', '.join(caps)}{',' if len(caps) == 1 else ''})" if caps else "()"
            if self.dispatch:
                result = f"{self.const(endpoint.call, '_call')}(request, {values})"
            elif caps:
                result = (
                    f"_new(_M, ({self.const(endpoint.handler, '_h')}, "
                    f"{self.const(endpoint, '_r')}, {values}))"
                )
            else:
                result = self.const(Match(endpoint.handler, endpoint, ()), "_m")
            if len(methods) <= 3:
                cond = " or ".join(f"method == {m!r}" for m in methods)
            else:
                cond = f"method in {self.const(frozenset(methods), '_ms')}"
            out.append(f"{ind}if {cond}:")
            if self.seen:
                out.append(f"{ind}    _seen(request, {self.const(endpoint, '_r')})")
            out.append(f"{ind}    return {result}")
        if star is None:
            return
        if not self.dispatch:
            out.append(f"{ind}return {self.const(Match(star.handler, star, ()), '_m')}")
            return
        if self.seen:
            out.append(f"{ind}_seen(request, {self.const(star, '_r')})")
        out.append(f"{ind}return {self.const(star.call, '_call')}(request, ())")


class _Pending:
    """A table entry until the source has run: a factory's name and its arguments."""

    __slots__ = ("args", "factory", "function")

    def __init__(self, factory: str, args: list[object]) -> None:
        self.factory = factory
        self.args = args
        self.function: Callable[..., Any] | None = None


def compile_matcher(root: Node, static: list[Endpoint]) -> tuple[MatchFunction, str]:
    """Generate, compile and return `match(method, path)` and its source.

    `static` lists the endpoints without parameters, found by one dict lookup.
    """
    generator = _Generator(root, static)
    match: MatchFunction = _run(generator)["match"]
    return match, generator.text


def compile_dispatcher(
    root: Node,
    static: list[Endpoint],
    *,
    before: Callable[[Any], Any],
    unmatched: DispatchFunction,
    seen: Callable[[Any, Endpoint], object] | None = None,
) -> tuple[DispatchFunction, str]:
    """Generate, compile and return `dispatch(request)` and its source.

    It matches `request.head.method` and `request.head.raw_path` as `match`
    does, then calls the route. A request whose path has `//` or `/.`, or
    whose method is POST, goes to `before(request)` first: it returns the
    method to match, or a response to answer with instead. Without a match,
    `dispatch` returns `unmatched(request)`. With `seen`, `seen(request,
    endpoint)` is called before the route.
    """
    generator = _Generator(root, static, dispatch=True)
    generator.seen = seen is not None
    generator.namespace.update(_before=before, _unmatched=unmatched, _seen=seen)
    dispatch: DispatchFunction = _run(generator)["dispatch"]
    return dispatch, generator.text


def _run(generator: _Generator) -> dict[str, Any]:
    """Run the generated source; its namespace, with the tables filled in."""
    source = generator.text = generator.source()
    filename = f"<kali routes {next(_serial)}>"
    code = compile(source, filename, "exec")
    namespace = generator.namespace
    exec(code, namespace)
    # Tables are captured by reference, so they can be filled after the functions exist.
    for pending in generator.pending:
        pending.function = namespace[pending.factory](*pending.args)
    for table in generator.tables:
        for key, target in table.items():
            table[key] = target.function
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)
    return namespace


__all__ = [
    "INLINE_STATIC_LIMIT",
    "DispatchFunction",
    "MatchFunction",
    "compile_dispatcher",
    "compile_matcher",
]
