"""The App through the test client: dispatch, errors, normalization, mounts,
resources and query-parameter binding."""

from __future__ import annotations

import ast
import enum
import functools
import inspect
import uuid
from collections.abc import Callable
from typing import Literal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kali import Request, Response
from kali.app import App
from kali.resource import Resource
from kali.routing import Mount, Route
from kali.routing.router import normalize_path
from kali.testing import TestClient

app = App()


@app.get("/")
def index(request: Request) -> str:
    return "home"


@app.get("/item/<int:id>")
def show_item(request: Request, id: int) -> str:
    return f"item {id!r}"


@app.post("/item/<int:id>")
def update_item(request: Request, id: int) -> Response:
    return Response.redirect(f"/item/{id}")


@app.get("/item/<name>")
def item_by_name(request: Request, name: str) -> str:
    return f"name {name!r}"


@app.route("/both", methods=["GET", "POST"])
def both(request: Request) -> str:
    return request.method


@app.put("/thing/<uuid:key>")
def put_thing(request: Request, key: uuid.UUID) -> str:
    return f"put {key}"


@app.patch("/thing/<uuid:key>")
def patch_thing(request: Request, key: uuid.UUID) -> str:
    return f"patch {key}"


@app.delete("/thing/<uuid:key>")
def delete_thing(request: Request, key: uuid.UUID) -> str:
    return f"delete {key}"


@app.get("/price/<float:amount>")
def price(request: Request, amount: float) -> str:
    return repr(amount)


@app.get("/files/<path:rest>")
def files(request: Request, rest: str) -> str:
    return f"file {rest}"


@app.get("/asset/<int:n>.css")
def asset(request: Request, n: int) -> str:
    return f"css {n}"


@app.get("/report-<day>.pdf")
def report(request: Request, day: str) -> str:
    return f"report {day}"


@app.get("/dir/")
def directory(request: Request) -> str:
    return "dir"


@app.get("/swap/<b>/<a>")
def swapped(request: Request, a: str, b: str) -> str:
    return f"a={a} b={b}"


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@app.get("/search")
def search(
    request: Request,
    q: str = "",
    page: int = 1,
    ratio: float | None = None,
    exact: bool = False,
    tags: list[str] | None = None,
    ids: list[int] = [],  # noqa: B006 (never mutated: kali passes a copy)
    color: Color = Color.RED,
    sort: Literal["asc", "desc"] = "asc",
) -> str:
    return repr((q, page, ratio, exact, tags, ids, color.value, sort))


@app.get("/need")
def need(request: Request, q: str, n: int) -> str:
    return f"{q}:{n}"


@app.get("/kw/<int:id>")
def keywords(request: Request, id: int, **rest: str) -> str:
    return repr((id, sorted(rest.items())))


@app.get("/kw-named/<int:id>")
def keywords_by_name(request: Request, *, id: int, **rest: str) -> str:
    return repr((id, sorted(rest.items())))


@app.get("/query-and-path/<int:id>")
def query_and_path(request: Request, id: int, verbose: bool = False) -> str:
    return repr((id, verbose))


@app.resource("/task/<int:id>")
class Task(Resource):
    instances = 0

    def __init__(self) -> None:
        type(self).instances += 1  # the name Task is bound only after the decorator
        self.calls = 0

    def get(self, request: Request, id: int) -> str:
        self.calls += 1
        return f"task {id} call {self.calls}"

    def delete(self, request: Request, id: int) -> str:
        return f"deleted {id}"

    def get_edit(self, request: Request, id: int) -> str:
        return f"edit form {id}"

    def post_edit(self, request: Request, id: int, title: str = "") -> Response:
        return Response.redirect(f"/task/{id}")

    def _helper(self) -> None:
        raise AssertionError("not a route")


admin = App()


@admin.get("/")
def admin_home(request: Request) -> str:
    return f"admin root={request.root_path} path={request.path}"


@admin.get("/users/<int:id>")
def admin_user(request: Request, id: int) -> str:
    return f"admin user {id} root={request.root_path}"


@admin.get("/dir/")
def admin_dir(request: Request) -> str:
    return "admin dir"


app.mount("/admin", admin)


def static_files(request: Request) -> str:
    return f"static {request.method} {request.root_path} {request.path} {request.raw_path}"


app.mount("/static", static_files)


@app.get("/static/special")
def special(request: Request) -> str:
    return "special wins over the mount"


client = TestClient(app)


# -- basic dispatch ---------------------------------------------------------------


def test_app_is_a_handler() -> None:
    assert app(Request("GET", "/")).status == 200
    assert client.get("/").text == "home"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/item/3", "item 3"),
        ("/item/007", "item 7"),
        ("/item/pen", "name 'pen'"),
        ("/item/-3", "name '-3'"),
        ("/item/%33", "item 3"),  # decoded before conversion
        ("/item/a%2Fb", "name 'a/b'"),  # %2F stays inside its segment
        ("/item/caf%C3%A9", "name 'café'"),
        ("/price/2.5", "2.5"),
        ("/price/3", "3.0"),
        ("/files/a/b/c.txt", "file a/b/c.txt"),
        ("/files/a%20b/c", "file a b/c"),
        ("/asset/12.css", "css 12"),
        ("/report-2024-01-02.pdf", "report 2024-01-02"),
        ("/swap/1/2", "a=2 b=1"),
    ],
)
def test_get(path: str, text: str) -> None:
    response = client.get(path)
    assert response.status == 200, response.text
    assert response.text == text


def test_other_methods() -> None:
    key = uuid.UUID(int=5)
    assert client.put(f"/thing/{key}").text == f"put {key}"
    assert client.patch(f"/thing/{key}").text == f"patch {key}"
    assert client.delete(f"/thing/{key}").text == f"delete {key}"
    assert client.post("/both").text == "POST"
    assert client.get("/both").text == "GET"
    response = client.post("/item/4")
    assert response.status == 303
    assert response.headers["location"] == "/item/4"


def test_404() -> None:
    for path in ("/nope", "/item", "/item/3/x", "/asset/x.css", "/files/", "/thing/x"):
        assert client.get(path).status == 404, path


def test_405_with_allow() -> None:
    response = client.delete("/item/3")
    assert response.status == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    response = client.get(f"/thing/{uuid.UUID(int=1)}")
    assert response.status == 405
    assert response.headers["allow"] == "DELETE, OPTIONS, PATCH, PUT"


def test_405_counts_every_matching_route() -> None:
    # "pen" matches only the str route (GET); "3" matches int (GET, POST) and str (GET).
    assert client.post("/item/pen").headers["allow"] == "GET, HEAD, OPTIONS"
    assert client.post("/item/pen").status == 405


def test_head_is_answered_by_get_without_body() -> None:
    response = client.head("/item/3")
    assert response.status == 200
    assert response.body == b""
    assert response.headers["content-length"] == str(len("item 3"))


def test_options() -> None:
    response = client.options("/item/3")
    assert response.status == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert client.options("/nope").status == 404


def test_explicit_head_and_options_routes_win() -> None:
    local = App()

    @local.get("/x")
    def get_x(request: Request) -> str:
        return "get"

    @local.route("/x", methods=["HEAD", "OPTIONS"])
    def other_x(request: Request) -> Response:
        return Response(b"", 204, {"X-Which": request.method})

    local_client = TestClient(local)
    assert local_client.head("/x").headers["x-which"] == "HEAD"
    assert local_client.options("/x").headers["x-which"] == "OPTIONS"


# -- normalization and trailing slashes ---------------------------------------------


@pytest.mark.parametrize(
    ("method", "target", "status", "location"),
    [
        ("GET", "/item//3", 301, "/item/3"),
        ("GET", "/item/./3", 301, "/item/3"),
        ("GET", "/item/x/../3?a=1", 301, "/item/3?a=1"),
        ("GET", "/item/%2e/3", 301, "/item/3"),
        ("GET", "/a/b/..", 301, "/a/"),
        ("GET", "/..", 301, "/"),
        ("HEAD", "//item/3", 301, "/item/3"),
        ("POST", "/item//3", 308, "/item/3"),
        ("GET", "/dir", 301, "/dir/"),
        ("GET", "/dir?x=1", 301, "/dir/?x=1"),
        ("POST", "/dir", 308, "/dir/"),  # then 405 there: the method is checked after
        ("GET", "/admin/dir", 301, "/admin/dir/"),  # inside a mount: the full path
        ("GET", "/admin//users/3", 301, "/admin/users/3"),
    ],
)
def test_redirects(method: str, target: str, status: int, location: str | None) -> None:
    response = client.request(method, target)
    assert response.status == status
    assert response.headers.get("location") == location


def test_no_redirect_for_dots_inside_names() -> None:
    assert client.get("/files/.hidden/a..b").text == "file .hidden/a..b"
    assert client.get("/item/..x").text == "name '..x'"


def test_path_parameter_cannot_climb() -> None:
    response = client.get("/files/../../etc/passwd")
    assert response.status == 301
    assert response.headers["location"] == "/etc/passwd"


def test_dir_without_slash_route() -> None:
    assert client.get("/item/3/").status == 404


def test_normalize_path() -> None:
    assert normalize_path("/") == "/"
    assert normalize_path("/a/b") == "/a/b"
    assert normalize_path("/a//b/") == "/a/b/"
    assert normalize_path("/a/./b/../c") == "/a/c"
    assert normalize_path("/a/.") == "/a/"
    assert normalize_path("/%2E%2E/a") == "/a"
    assert normalize_path("/a%20b//c") == "/a%20b/c"


# -- query parameters ----------------------------------------------------------------


def test_query_defaults() -> None:
    assert client.get("/search").text == repr(("", 1, None, False, None, [], "red", "asc"))


def test_query_conversion() -> None:
    target = (
        "/search?q=pens&page=3&ratio=0.5&exact=yes&tags=a&tags=b&ids=1&ids=2&color=blue&sort=desc"
    )
    assert client.get(target).text == repr(
        ("pens", 3, 0.5, True, ["a", "b"], [1, 2], "blue", "desc")
    )


@pytest.mark.parametrize("text", ["1", "true", "YES", "on"])
def test_query_true(text: str) -> None:
    assert client.get(f"/search?exact={text}").text.split(", ")[3] == "True"


@pytest.mark.parametrize("text", ["0", "false", "No", "off"])
def test_query_false(text: str) -> None:
    assert client.get(f"/search?exact={text}").text.split(", ")[3] == "False"


def test_query_empty_values_are_absent_except_for_str() -> None:
    assert client.get("/search?page=&q=").text == repr(("", 1, None, False, None, [], "red", "asc"))


@pytest.mark.parametrize(
    ("target", "needle"),
    [
        ("/search?page=two", "'page' must be an integer, not 'two'"),
        ("/search?page=1.5", "'page'"),
        ("/search?ratio=x", "'ratio' must be a number"),
        ("/search?exact=maybe", "'exact'"),
        ("/search?ids=1&ids=x", "'ids' must be an integer, not 'x'"),
        ("/search?color=green", "'color' must be one of 'red', 'blue'"),
        ("/search?sort=up", "'sort' must be one of 'asc', 'desc'"),
        ("/need?n=1", "Missing query parameter 'q'"),
        ("/need?q=x", "Missing query parameter 'n'"),
    ],
)
def test_query_errors_are_400(target: str, needle: str) -> None:
    response = client.get(target)
    assert response.status == 400
    assert needle.replace("'", "&#x27;") in response.text


def test_query_required_present() -> None:
    assert client.get("/need?q=x&n=2").text == "x:2"


def test_var_keyword_receives_other_query_arguments() -> None:
    assert client.get("/kw/3?a=1&b=2&a=9").text == repr((3, [("a", "1"), ("b", "2")]))
    # **rest never takes the path's names or the request's: the path wins, no 500.
    assert client.get("/kw/3?id=5&request=1&c=x").text == repr((3, [("c", "x")]))
    assert client.get("/kw-named/4?id=5&request=1").text == repr((4, []))


def test_query_with_path_parameters() -> None:
    assert client.get("/query-and-path/4?verbose=1").text == "(4, True)"


_probe = App()


@_probe.get("/probe")
def probe(request: Request, a: str | None = None, ab: str = "-", b: str | None = None) -> str:
    # What the generated caller read, beside what the whole parsed query says.
    query = request.query
    return repr(((a, ab, b), (query.get("a"), query.get("ab", "-"), query.get("b"))))


_query_piece = st.text(alphabet="ab=&%+2x0\n", max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(_query_piece, max_size=5).map("&".join))
@example("a\n")  # `$` would match before the newline
@example("b=1&ab\n")
@example("ab&a=1&a=2")
def test_a_parameter_is_read_as_the_parsed_query_gives_it(query: str) -> None:
    # A query string with nothing to decode is searched for each parameter
    # instead of parsed: the values must be the same (first value, bare name
    # is "", a longer name is another parameter, a newline is part of a name),
    # and a bad one still a 400. The app is called with the query string as it
    # is (a WSGI server may pass what the parser would refuse).
    request = Request("GET", "/probe", headers={"host": "localhost"})
    request.head = request.head._replace(query_string=query)
    response = _probe(request)
    if response.status == 400:
        assert "%" in query
        return
    assert isinstance(response.body, str)
    read, parsed = ast.literal_eval(response.body)
    assert read == parsed


_numbers = App()


@_numbers.get("/n")
def number(request: Request, n: int = -1) -> str:
    return repr(n)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789+-_ \u0663\u00b2", max_size=21))
@example("9" * 18)
@example("9223372036854775807")
@example("9223372036854775808")
@example("0" * 25 + "7")
def test_an_int_parameter_is_read_as_the_strict_parse_gives_it(text: str) -> None:
    # Short ASCII digits are converted inline by the generated caller; anything
    # else goes through the strict parse. Both must agree with it.
    from kali.routing.signature import _parse_int

    request = Request("GET", "/n", headers={"host": "localhost"})
    request.head = request.head._replace(query_string=f"n={text}" if text else "")
    sent = Request("GET", "/n", headers={"host": "localhost"})  # "+" is a space
    sent.head = request.head
    value = sent.query.get("n")
    response = _numbers(request)
    try:
        expected = repr(_parse_int(value)) if value else "-1"
    except ValueError:
        assert response.status == 400
        return
    assert (response.status, response.body) == (200, expected)


def _passes_by_name(handler: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(handler)
    def wrapper(request: Request, **values: object) -> str:
        return handler(request, **values)

    return wrapper


_calls = App()


@_calls.get("/wrapped/<int:id>")
@_passes_by_name
def wrapped(request: Request, id: int, limit: int = 10, q: str = "") -> str:
    return repr((id, limit, q))


def _passes_by_position(handler: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(handler)
    def wrapper(request: Request, *values: object) -> str:
        return handler(request, *values)

    return wrapper


@_calls.get("/wrapped-by-position/<int:id>")
@_passes_by_position
def wrapped_by_position(request: Request, id: int) -> str:
    return repr((id, 10, ""))


def _injects_limit(handler: Callable[..., str]) -> Callable[..., str]:
    # A decorator that supplies a parameter itself, hidden from kali by __signature__.
    @functools.wraps(handler)
    def wrapper(request: Request, *args: object, **kwargs: object) -> str:
        return handler(request, *args, limit=3, **kwargs)

    signature = inspect.signature(handler)
    hidden = [p for p in signature.parameters.values() if p.name != "limit"]
    wrapper.__signature__ = signature.replace(parameters=hidden)  # type: ignore[attr-defined]
    return wrapper


@_calls.get("/injected/<int:id>")
@_injects_limit
def injected(request: Request, id: int, limit: int, q: str = "") -> str:
    return repr((id, limit, q))


@_calls.get("/keyword-only/<int:id>")
def keyword_only(request: Request, id: int, limit: int = 10, *, q: str = "") -> str:
    return repr((id, limit, q))


@_calls.get("/by-position/<int:id>")
def by_position(request: Request, id: int, limit: int = 10, q: str = "") -> str:
    return repr((id, limit, q))


@pytest.mark.parametrize("route", ["wrapped", "keyword-only", "by-position"])
def test_path_and_query_values_reach_any_handler_signature(route: str) -> None:
    # The caller passes values by position when it can; a decorator whose wrapper
    # takes **kwargs, and a keyword-only parameter, are passed by name.
    calls = TestClient(_calls)
    assert calls.get(f"/{route}/7?q=x&limit=3").text == "(7, 3, 'x')"
    assert calls.get(f"/{route}/7").text == "(7, 10, '')"


def test_a_decorated_handler_gets_path_values_as_its_wrapper_takes_them() -> None:
    # A wrapper taking *args gets them by position; one that injects a parameter
    # it hides with __signature__ gets the query values by name.
    calls = TestClient(_calls)
    assert calls.get("/wrapped-by-position/7").text == "(7, 10, '')"
    assert calls.get("/injected/7?q=x").text == "(7, 3, 'x')"


# -- resources -------------------------------------------------------------------------


def test_resource_is_instantiated_once_at_registration() -> None:
    assert Task.instances == 1
    first = client.get("/task/3").text
    second = client.get("/task/3").text
    assert first.startswith("task 3 call ")
    assert int(second.rsplit(" ", 1)[1]) == int(first.rsplit(" ", 1)[1]) + 1
    assert Task.instances == 1


def test_resource_verbs_and_actions() -> None:
    assert client.delete("/task/5").text == "deleted 5"
    assert client.get("/task/5/edit").text == "edit form 5"
    response = client.post("/task/5/edit", data={"title": "x"})
    assert response.status == 303
    assert response.headers["location"] == "/task/5"
    assert client.put("/task/5").status == 405
    assert client.get("/task/5/_helper").status == 404


def test_resource_instance_and_names() -> None:
    local = App()

    class Counter(Resource):
        def __init__(self, start: int) -> None:
            self.value = start

        def get(self, request: Request) -> str:
            return str(self.value)

        def post_reset(self, request: Request) -> str:
            self.value = 0
            return "reset"

    local.add_resource("/counter", Counter(41), name="counter")
    local_client = TestClient(local)
    assert local_client.get("/counter").text == "41"
    assert local.url_for("counter.get") == "/counter"
    assert local.url_for("counter.post_reset") == "/counter/reset"
    assert local_client.post("/counter/reset").text == "reset"
    assert local_client.get("/counter").text == "0"


# -- mounts ----------------------------------------------------------------------------


def test_mounted_app_sees_the_remaining_path() -> None:
    assert client.get("/admin").text == "admin root=/admin path=/"
    assert client.get("/admin/").text == "admin root=/admin path=/"
    assert client.get("/admin/users/7").text == "admin user 7 root=/admin"
    assert client.get("/admin/nope").status == 404
    assert client.get("/administrator").status == 404


def test_mounted_handler_any_method() -> None:
    assert (
        client.get("/static/css/site.css").text == "static GET /static /css/site.css /css/site.css"
    )
    assert client.post("/static/x%20y").text == "static POST /static /x y /x%20y"
    assert client.get("/static").text == "static GET /static / /"


def test_routes_more_specific_than_a_mount_win() -> None:
    assert client.get("/static/special").text == "special wins over the mount"
    assert client.post("/static/special").text.startswith("static POST")


def test_mount_at_root_and_table_entries() -> None:
    def fallback(request: Request) -> str:
        return f"fallback {request.path}"

    def about(request: Request) -> str:
        return "about"

    local = App([Route("/about", about), Mount("/", fallback)])
    local_client = TestClient(local)
    assert local_client.get("/about").text == "about"
    assert local_client.get("/anything/else").text == "fallback /anything/else"
    assert local_client.delete("/about").text == "fallback /about"


def test_compile_compiles_mounted_apps() -> None:
    inner = App()

    @inner.get("/")
    def inner_index(request: Request) -> str:
        return ""

    outer = App()
    outer.mount("/in", inner)
    outer.compile()
    assert "def match" in inner.matcher_source
    assert repr(inner).endswith("compiled>")


# -- match() and the app's introspection ------------------------------------------------


def test_match_api() -> None:
    found = app.match("GET", "/item/3")
    assert found is not None
    assert found.handler is show_item
    assert found.params == {"id": 3}
    assert found.route.path == "/item/<int:id>"
    assert found.values == (3,)
    assert "params={'id': 3}" in repr(found)
    head = app.match("HEAD", "/item/3")
    assert head is not None and head.handler is show_item
    assert app.match("DELETE", "/item/3") is None
    assert app.match("GET", "/nope") is None
    assert app.match("GET", "item/3") is None
    assert app.match("GET", "/item/%FF") is None  # not UTF-8
    static = app.match("GET", "/")
    assert static is not None and static.params == {} and static.handler is index


def test_allowed_methods() -> None:
    assert app.allowed_methods("/item/3") == {"GET", "HEAD", "POST"}
    assert app.allowed_methods("/nope") == set()
    assert app.allowed_methods("/static/x") == {"*"}


def test_routes_property() -> None:
    paths = [route.path for route in app.routes]
    assert paths[:3] == ["/", "/item/<int:id>", "/item/<int:id>"]
    assert any(isinstance(route, Mount) and route.path == "/admin" for route in app.routes)


def test_handlers_stay_plain_functions() -> None:
    assert show_item(Request("GET", "/"), 5) == "item 5"
    assert Task.__name__ == "Task"


def test_run_compiles_then_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    import kali.server
    from kali import ServerOptions

    seen: dict[str, object] = {}

    def fake_serve(handler: object, options: ServerOptions, **rest: object) -> None:
        seen["compiled"] = "compiled" in repr(handler)
        seen.update(port=options.port, debug=options.debug, open_browser=options.open_browser)

    monkeypatch.setattr(kali.server, "serve_http", fake_serve)
    local = App()

    @local.get("/")
    def home(request: Request) -> str:
        return ""

    local.run(port=0, open_browser=False, debug=True)
    assert seen["compiled"] is True
    assert seen["port"] == 0 and seen["debug"] is True and seen["open_browser"] is False
    assert local.debug is True  # debug=True sets the app's own flag too


def test_handler_exceptions_propagate_to_the_server_layer() -> None:
    local = App()

    @local.get("/boom")
    def boom(request: Request) -> str:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        TestClient(local).get("/boom")
    assert TestClient(local, raise_server_exceptions=False).get("/boom").status == 500
