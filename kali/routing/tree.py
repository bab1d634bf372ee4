"""The dispatch tree: one node per path position, keyed by segment.

Each node holds

* `static`: literal segments, found by one dict lookup;
* `edges`: parameter edges, tried in priority order when the static child
  is missing or its subtree does not match (backtracking);
* `leaf`: the routes that end at this node, by method (`"*"` for mounts).

Edges are shared by every route that has the same converter at the same
place, whatever the parameter's name, so the work done at a node does not
grow with the number of routes below it. Priority at one position, first to
last:

    static text  >  segments mixing text and parameters (more text first)
                 >  typed parameters by converter weight (int 10, float 20,
                    uuid 30, custom 50, str 100)
                 >  <path:...>  >  mounts

This module also holds the reference matcher, a plain recursive walk of the
tree. The generated matcher (`compiler`) must give the same answers; the
walk is what [`App.allowed_methods`][kali.App.allowed_methods] uses.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote

from .converters import Converter, is_greedy
from .endpoint import Endpoint, Match
from .errors import DuplicateRouteError, route_error, where
from .rules import Param, Segment

_serial = itertools.count()

# Edge kinds, in priority order.
MIXED, PARAM, PATH, REST = 0, 1, 2, 3


class Edge:
    """A parameter edge out of a node."""

    __slots__ = ("child", "converters", "key", "kind", "order", "parse", "regex")

    def __init__(self, kind: int, key: tuple[Any, ...], order: tuple[int, int, int]) -> None:
        self.kind = kind
        self.key = key
        self.order = order
        self.child = Node()
        self.converters: tuple[Converter[Any], ...] = ()
        self.regex: re.Pattern[str] | None = None
        # Text -> tuple of values, or None when the edge rejects the text.
        self.parse: Callable[[str], tuple[Any, ...] | None] = _reject


def _reject(_text: str) -> None:
    return None


class Node:
    """One position in the tree."""

    __slots__ = ("edges", "leaf", "static")

    def __init__(self) -> None:
        self.static: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.leaf: dict[str, Endpoint] = {}

    def walk(self) -> Iterator[Node]:
        """This node and every node below it."""
        yield self
        for child in self.static.values():
            yield from child.walk()
        for edge in self.edges:
            yield from edge.child.walk()


# -- building ------------------------------------------------------------------


def _segment_parser(
    segment: Segment, converters: Mapping[str, Converter[Any]]
) -> tuple[
    int, tuple[Any, ...], tuple[int, int, int], re.Pattern[str] | None, tuple[Converter[Any], ...]
]:
    """Kind, sharing key, priority, regex and converters of a non-static segment."""
    params = [p for p in segment if isinstance(p, Param)]
    convs = tuple(converters[p.name] for p in params)
    if len(segment) == 1:
        converter = convs[0]
        kind = PATH if is_greedy(converter) else PARAM
        return kind, (kind, type(converter)), (kind, converter.weight, 0), None, convs
    regex = "".join(
        f"({converters[p.name].regex})" if isinstance(p, Param) else re.escape(p) for p in segment
    )
    literal = sum(len(p) for p in segment if isinstance(p, str))
    key = (MIXED, regex, tuple(type(c) for c in convs))
    return MIXED, key, (MIXED, -literal, 0), re.compile(regex), convs


def trusts_convert(converter: Converter[Any]) -> bool:
    """Whether `convert` itself rejects all that `regex` does (set by the built-ins only,
    and not inherited: a subclass may change `regex`)."""
    return bool(type(converter).__dict__.get("_convert_checks", False))


def _make_parse(edge: Edge) -> Callable[[str], tuple[Any, ...] | None]:
    convs = edge.converters
    if edge.kind == MIXED:
        assert edge.regex is not None
        fullmatch = edge.regex.fullmatch

        def parse_mixed(text: str) -> tuple[Any, ...] | None:
            found = fullmatch(text)
            if found is None:
                return None
            try:
                return tuple(c.convert(v) for c, v in zip(convs, found.groups(), strict=True))
            except ValueError:
                return None

        return parse_mixed
    (converter,) = convs
    check = None if trusts_convert(converter) else re.compile(converter.regex).fullmatch
    convert = converter.convert

    def parse_param(text: str) -> tuple[Any, ...] | None:
        if not text or (check is not None and check(text) is None):
            return None
        try:
            return (convert(text),)
        except ValueError:
            return None

    return parse_param


def insert(root: Node, endpoint: Endpoint) -> None:
    """Add `endpoint` under `root`; a duplicate raises DuplicateRouteError.

    A mount adds a leaf at its prefix and a REST edge below it.
    """
    node = root
    converters = endpoint.params
    for segment in endpoint.segments:
        if len(segment) == 1 and isinstance(segment[0], str):
            node = node.static.setdefault(segment[0], Node())
            continue
        kind, key, order, regex, convs = _segment_parser(segment, converters)
        node = _edge(node, kind, key, order, regex, convs).child
    targets = [node]
    if endpoint.is_mount:
        rest = _edge(node, REST, (REST,), (REST, 0, 0), None, ())
        targets.append(rest.child)
    methods = endpoint.methods
    for target in targets:
        for method in methods:
            other = target.leaf.get(method)
            if other is not None:
                raise route_error(
                    DuplicateRouteError,
                    f"this route can never be told apart from {other.route.path!r} "
                    f"(handler {where(other.handler)}): same method {method}, same pattern",
                    pattern=endpoint.route.path,
                    handler=endpoint.handler,
                    methods=methods,
                    fix="remove one of them, or change its pattern or methods",
                )
    for target in targets:
        for method in methods:
            target.leaf[method] = endpoint


def _edge(
    node: Node,
    kind: int,
    key: tuple[Any, ...],
    order: tuple[int, int, int],
    regex: re.Pattern[str] | None,
    convs: tuple[Converter[Any], ...],
) -> Edge:
    for edge in node.edges:
        if edge.key == key:
            return edge
    # Edges are ordered by kind, then weight, then by when they were first made.
    edge = Edge(kind, key, (order[0], order[1], next(_serial)))
    edge.regex = regex
    edge.converters = convs
    if kind != REST:
        edge.parse = _make_parse(edge)
    node.edges.append(edge)
    node.edges.sort(key=lambda e: e.order)
    return edge


def finish(root: Node) -> None:
    """Let GET routes answer HEAD wherever no HEAD route was given."""
    for node in root.walk():
        leaf = node.leaf
        if "GET" in leaf and "HEAD" not in leaf:
            leaf["HEAD"] = leaf["GET"]


# -- the reference matcher -----------------------------------------------------


def split_path(path: str) -> list[str] | None:
    """The decoded segments of a percent-encoded path (`None` if not absolute)."""
    if not path.startswith("/"):
        return None
    segments = path.split("/")
    if "%" in path:
        try:
            segments = [unquote(s, errors="strict") if "%" in s else s for s in segments]
        except UnicodeDecodeError:
            return None
    return segments


def lookup(root: Node, method: str, path: str) -> Match | None:
    """Match by walking the tree (the reference for the generated matcher)."""
    segments = split_path(path)
    if segments is None:
        return None
    found = _walk(root, segments, 1, (), method)
    if found is None:
        return None
    endpoint, values = found
    return Match(endpoint.handler, endpoint, values)


def _walk(
    node: Node, segs: list[str], i: int, values: tuple[Any, ...], method: str
) -> tuple[Endpoint, tuple[Any, ...]] | None:
    if i == len(segs):
        route = node.leaf.get(method) or node.leaf.get("*")
        return None if route is None else (route, values)
    text = segs[i]
    child = node.static.get(text)
    if child is not None:
        found = _walk(child, segs, i + 1, values, method)
        if found is not None:
            return found
    for edge in node.edges:
        if edge.kind >= PATH:
            rest = "/".join(segs[i:])
            if edge.kind == REST:
                route = edge.child.leaf.get(method) or edge.child.leaf.get("*")
                if route is not None:
                    return route, values
                continue
            parsed = edge.parse(rest)
            route = edge.child.leaf.get(method)
            if parsed is not None and route is not None:
                return route, values + parsed
            continue
        parsed = edge.parse(text)
        if parsed is not None:
            found = _walk(edge.child, segs, i + 1, values + parsed, method)
            if found is not None:
                return found
    return None


def allowed(root: Node, path: str) -> set[str]:
    """Every method some route accepts for `path` (`"*"` for a mount)."""
    segments = split_path(path)
    out: set[str] = set()
    if segments is not None:
        _collect(root, segments, 1, out)
    return out


def _collect(node: Node, segs: list[str], i: int, out: set[str]) -> None:
    if i == len(segs):
        out.update(node.leaf)
        return
    text = segs[i]
    child = node.static.get(text)
    if child is not None:
        _collect(child, segs, i + 1, out)
    for edge in node.edges:
        if edge.kind == REST:
            out.update(edge.child.leaf)
        elif edge.kind == PATH:
            if edge.parse("/".join(segs[i:])) is not None:
                out.update(edge.child.leaf)
        elif edge.parse(text) is not None:
            _collect(edge.child, segs, i + 1, out)


__all__ = [
    "Edge",
    "Node",
    "allowed",
    "finish",
    "insert",
    "lookup",
    "split_path",
    "trusts_convert",
]
