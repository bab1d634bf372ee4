"""The dispatch tree and the generated matcher: priorities, backtracking, and
agreement with the reference walk; the GitHub route set answered right."""

from __future__ import annotations

import contextlib
import re
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kali import Request
from kali.app import App
from kali.routing import Converter, Route, compiler
from kali.routing.router import normalize_path

# A copy of ../shared/bench/routes (see data/README.md), so the check runs in any clone.
ROUTES = Path(__file__).resolve().parent / "data"


def make(index: int) -> Any:
    def handler(request: Request, **params: Any) -> str:
        return answer(index, params)

    handler.index = index  # type: ignore[attr-defined]
    return handler


def answer(index: int, params: dict[str, Any]) -> str:
    """What the handler of route `index` answers: which route, with which values."""
    return f"{index} {sorted(params.items())!r}"


def dispatched(app: App, method: str, path: str) -> str | None:
    """What the app's dispatcher answers for the request (None for an error page),
    checked against what `app.match` found."""
    response = app(Request(method, path))
    found = app.match(method, path)
    if found is None:
        assert response.status != 200, (method, path)
        return None
    assert response.status == 200, (method, path, response.status)
    expected = answer(found.handler.index, found.params)  # type: ignore[attr-defined]
    assert response.body == expected, (method, path)  # the str the handler returned
    return expected


def build(*specs: tuple[str, str]) -> App:
    return App([Route(p, make(i), [m], name=f"r{i}") for i, (m, p) in enumerate(specs)])


def found(app: App, method: str, path: str) -> tuple[int, dict[str, Any]] | None:
    result = app.match(method, path)
    if result is None:
        assert app.router.lookup(method, path) is None
        return None
    reference = app.router.lookup(method, path)
    assert reference == result, (path, reference, result)
    return result.handler.index, result.params  # type: ignore[attr-defined]


class Year(Converter[int]):
    regex = r"[0-9]{4}"
    weight = 5

    def convert(self, value: str) -> int:
        return int(value)


class Lower(Converter[str]):
    regex = r"[a-z]+"


class Even(Converter[int]):
    """Rejects in convert(): odd numbers do not match."""

    def convert(self, value: str) -> int:
        number = int(value)
        if number % 2:
            raise ValueError("odd")
        return number


def test_priority_static_typed_str_path() -> None:
    app = build(
        ("GET", "/a/<path:p>"),
        ("GET", "/a/<name>"),
        ("GET", "/a/<int:n>"),
        ("GET", "/a/new"),
        ("GET", "/a/<float:f>"),
        ("GET", "/a/<uuid:u>"),
        ("GET", "/a/<int:n>.txt"),
    )
    key = uuid.UUID(int=1)
    assert found(app, "GET", "/a/new") == (3, {})
    assert found(app, "GET", "/a/12") == (2, {"n": 12})
    assert found(app, "GET", "/a/1.5") == (4, {"f": 1.5})
    assert found(app, "GET", f"/a/{key}") == (5, {"u": key})
    assert found(app, "GET", "/a/12.txt") == (6, {"n": 12})
    assert found(app, "GET", "/a/pen") == (1, {"name": "pen"})
    assert found(app, "GET", "/a/pen/x") == (0, {"p": "pen/x"})


def test_backtracking_left_to_right() -> None:
    app = build(
        ("GET", "/<a>/static/x"),
        ("GET", "/<int:n>/<b>/y"),
        ("GET", "/users/<name>/z"),
    )
    assert found(app, "GET", "/3/static/x") == (0, {"a": "3"})  # int branch fails, str wins
    assert found(app, "GET", "/3/other/y") == (1, {"n": 3, "b": "other"})
    assert found(app, "GET", "/users/static/x") == (0, {"a": "users"})
    assert found(app, "GET", "/users/bob/z") == (2, {"name": "bob"})
    assert found(app, "GET", "/users/bob/q") is None


def test_method_aware_backtracking() -> None:
    app = build(("GET", "/i/<int:n>"), ("POST", "/i/<s>"), ("GET", "/i/new"))
    assert found(app, "POST", "/i/3") == (1, {"s": "3"})
    assert found(app, "POST", "/i/new") == (1, {"s": "new"})
    assert found(app, "GET", "/i/new") == (2, {})
    assert found(app, "DELETE", "/i/new") is None
    assert app.allowed_methods("/i/3") == {"GET", "HEAD", "POST"}


def test_custom_converters_in_order() -> None:
    app = App(converters={"year": Year, "lower": Lower, "even": Even})
    for i, pattern in enumerate(["/y/<year:y>", "/y/<lower:w>", "/y/<even:e>", "/y/<s>"]):
        app.add_route(pattern, make(i), name=f"r{i}")
    app.add_route("/d/<year:y>-<lower:w>", make(4), name="r4")
    assert found(app, "GET", "/y/2024") == (0, {"y": 2024})  # weight 5 beats even (50)
    assert found(app, "GET", "/y/abc") == (1, {"w": "abc"})
    assert found(app, "GET", "/y/12") == (2, {"e": 12})
    assert found(app, "GET", "/y/13") == (3, {"s": "13"})  # rejected by convert()
    assert found(app, "GET", "/y/ABC") == (3, {"s": "ABC"})
    assert found(app, "GET", "/d/2024-abc") == (4, {"y": 2024, "w": "abc"})
    assert found(app, "GET", "/d/24-abc") is None


def test_custom_converter_with_date() -> None:
    class Day(Converter[date]):
        regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

        def convert(self, value: str) -> date:
            return date.fromisoformat(value)

    app = App(converters={"date": Day})
    app.add_route("/report-<date:day>.pdf", make(0), name="r0")
    assert found(app, "GET", "/report-2024-02-29.pdf") == (0, {"day": date(2024, 2, 29)})
    assert found(app, "GET", "/report-2023-02-29.pdf") is None  # regex ok, convert rejects


def test_trailing_slash_and_root() -> None:
    app = build(("GET", "/"), ("GET", "/dir/"), ("GET", "/<x>/"), ("GET", "/<x>"))
    assert found(app, "GET", "/") == (0, {})
    assert found(app, "GET", "/dir/") == (1, {})
    assert found(app, "GET", "/dir") == (3, {"x": "dir"})
    assert found(app, "GET", "/abc/") == (2, {"x": "abc"})
    assert found(app, "GET", "//") is None


def test_percent_decoding_once_per_segment() -> None:
    app = build(("GET", "/a/b"), ("GET", "/<x>/<y>"), ("GET", "/caf\u00e9"))
    assert found(app, "GET", "/a%2Fb/c") == (1, {"x": "a/b", "y": "c"})
    assert found(app, "GET", "/%61/b") == (0, {})  # static, decoded
    assert found(app, "GET", "/caf%C3%A9") == (2, {})
    assert found(app, "GET", "/%2541/b") == (1, {"x": "%41", "y": "b"})  # decoded once only


def test_encoded_slash_never_crosses_into_a_static_segment() -> None:
    # '%2F' is data: a parameter may hold it, a static route is never matched through it.
    app = build(("GET", "/docs/index"), ("POST", "/a/b"), ("GET", "/a/<x>"), ("GET", "/c/d/e"))
    assert found(app, "GET", "/docs%2Findex") is None
    assert found(app, "GET", "/docs%2findex") is None
    assert found(app, "POST", "/a%2Fb") is None
    assert found(app, "GET", "/c/d%2Fe") is None
    assert found(app, "GET", "/%64ocs/index") == (0, {})  # other escapes still decode
    assert found(app, "GET", "/a/b%2Fc") == (2, {"x": "b/c"})
    static_only = build(("GET", "/docs/index"))
    assert found(static_only, "GET", "/docs%2Findex") is None
    assert found(static_only, "GET", "/docs/%69ndex") == (0, {})


def test_static_route_with_a_percent_matches_its_encoding_only() -> None:
    # The pattern's text is decoded text: '/100%25' is requested as '/100%2525'.
    for app in (build(("GET", "/100%25")), build(("GET", "/100%25"), ("GET", "/<x>/y"))):
        assert found(app, "GET", "/100%2525") == (0, {})
        assert found(app, "GET", "/100%25") is None
        assert app.url_for("r0") == "/100%2525"


def test_generated_source_is_deterministic_and_inspectable() -> None:
    specs = [("GET", "/a/<int:n>"), ("GET", "/b/<s>/c"), ("POST", "/b/<s>/c"), ("GET", "/x")]
    first, second = build(*specs).matcher_source, build(*specs).matcher_source
    assert first == second
    assert "def match(method, path):" in first
    assert "isdigit()" in first  # the int conversion is inlined


def test_large_fanout_uses_tables_and_shares_code() -> None:
    specs = [("GET", f"/r{i}/<int:id>") for i in range(compiler.INLINE_STATIC_LIMIT * 50)]
    app = build(*specs)
    source = app.matcher_source
    # one factory for 300 subtrees of the same shape, in match() and in dispatch()
    assert source.count("def _mk") == 2
    assert found(app, "GET", "/r77/5") == (77, {"id": 5})
    assert found(app, "GET", "/r77/x") is None
    assert found(app, "GET", "/r9999/5") is None


PATTERNS = [
    "/",
    "/a",
    "/a/",
    "/a/b",
    "/a/<x>",
    "/a/<int:n>",
    "/a/<int:n>/b",
    "/a/<x>/b",
    "/a/<path:p>",
    "/<x>",
    "/<x>/b",
    "/<int:n>/<y>",
    "/b/<x>.txt",
    "/b/<int:n>.txt",
    "/b/v<int:n>",
    "/c/<float:f>",
    "/c/<uuid:u>",
    "/c/<x>/<y>/<z>",
    "/c/d/e",
    "/a%2Fb",
    "/100%25",
    "/b/100%25/<x>",
]
SEGMENTS = [
    "a",
    "b",
    "c",
    "d",
    "e",
    "x.txt",
    "3",
    "3.txt",
    "v3",
    "1.5",
    "",
    "%2F",
    "00000000-0000-0000-0000-000000000001",
    "%C3%A9",
    "3.5",
    "a%2Fb",
    "d%2fe",
    "100%25",
    "100%2525",
]
# Pieces glued into segments, so an encoded '/' or '%' lands inside a segment.
PIECES = ["a", "b", "d", "3", ".txt", "v", "100", "%2F", "%2f", "%25", "%41", "%C3%A9", "%"]


@settings(max_examples=300, deadline=None)
@given(
    table=st.lists(
        st.tuples(st.sampled_from(PATTERNS), st.sampled_from(["GET", "POST"])),
        min_size=1,
        max_size=12,
        unique=True,
    ),
    paths=st.lists(
        st.lists(
            st.sampled_from(SEGMENTS) | st.lists(st.sampled_from(PIECES), max_size=3).map("".join),
            min_size=0,
            max_size=4,
        ),
        max_size=10,
    ),
    limit=st.sampled_from([0, 1, 6]),
)
def test_generated_matcher_agrees_with_reference(
    table: list[tuple[str, str]], paths: list[list[str]], limit: int
) -> None:
    app = App()
    for index, (pattern, method) in enumerate(table):
        with contextlib.suppress(ValueError):  # a duplicate shape
            app.add_route(pattern, make(index), [method], name=f"r{index}")
    original = compiler.INLINE_STATIC_LIMIT
    compiler.INLINE_STATIC_LIMIT = limit
    try:
        app.compile()
    finally:
        compiler.INLINE_STATIC_LIMIT = original
    for segments in paths:
        path = "/" + "/".join(segments)
        for method in ("GET", "POST", "HEAD", "PUT"):
            assert app.match(method, path) == app.router.lookup(method, path), path
            with contextlib.suppress(ValueError):  # a target the parser rejects
                if normalize_path(path) == path:  # else redirected
                    dispatched(app, method, path)


# -- the standard route sets ---------------------------------------------------------

VALUES = {"number": "42", "id": "1347", "sha": "7638417db6"}


def load(name: str) -> list[tuple[str, str]]:
    path = ROUTES / f"{name}.txt"
    if not path.exists():
        pytest.skip(f"route data not found in {ROUTES}")
    return [tuple(line.split()) for line in path.read_text().splitlines() if line.strip()]  # type: ignore[misc]


def concrete(template: str) -> tuple[str, dict[str, str]]:
    params: dict[str, str] = {}

    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        text = "src/a b/main.go" if m.group(2) else VALUES.get(name, f"{name}-value")
        params[name] = text
        return text.replace(" ", "%20")

    return re.sub(r"\{(\w+)(:path)?\}", value, template), params


@pytest.mark.parametrize("name", ["github-full", "github", "gplus", "parse", "static"])
def test_route_sets_every_answer_right(name: str) -> None:
    routes = load(name)
    patterns = [
        re.sub(r"\{(\w+)\}", r"<\1>", re.sub(r"\{(\w+):path\}", r"<path:\1>", t)) for _, t in routes
    ]
    app = build(*[(m, p) for (m, _), p in zip(routes, patterns, strict=True)])
    for index, (method, template) in enumerate(routes):
        path, params = concrete(template)
        expected = {k: v for k, v in params.items()}
        assert found(app, method, path) == (index, expected), (method, template)
        found(app, method, path + "/zz-unknown/deeper")  # whatever it is, both matchers agree
    assert found(app, "GET", "/zz-unknown") is None


def test_lookup_does_not_scan_routes() -> None:
    # 2 000 routes: the matcher's work for one path is the same as with 20.
    small = build(*[("GET", f"/r{i}/<int:id>/x") for i in range(20)])
    large = build(*[("GET", f"/r{i}/<int:id>/x") for i in range(2000)])
    assert found(small, "GET", "/r5/1/x") == (5, {"id": 1})
    assert found(large, "GET", "/r1999/1/x") == (1999, {"id": 1})
    body = [line for line in large.matcher_source.splitlines() if line.strip()]
    assert len(body) < 80  # match() and dispatch()


def test_a_failed_table_subtree_backtracks_to_an_edge_above_it() -> None:
    # Found by hypothesis: with every static child in a table, the None of the
    # subtree under <x> was returned without trying <path:p> at the level above.
    original = compiler.INLINE_STATIC_LIMIT
    compiler.INLINE_STATIC_LIMIT = 0
    try:
        app = build(("GET", "/a/<x>/b"), ("GET", "/a/<path:p>"))
        assert found(app, "GET", "/a/a/b/a") == (1, {"p": "a/b/a"})
        assert found(app, "GET", "/a/a/b") == (0, {"x": "a"})
    finally:
        compiler.INLINE_STATIC_LIMIT = original
