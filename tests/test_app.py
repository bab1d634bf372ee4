"""The App around its routes: middleware, error pages, method override, argument binding."""

from __future__ import annotations

import html
import os
from collections.abc import Iterator

import pytest

import kali
from kali import HTTPError, Request, Response
from kali.testing import TestClient
from kali.typing import Handler, ResponseValue


def recording(name: str, log: list[str]) -> kali.Middleware:
    def middleware(next_handler: Handler) -> Handler:
        def handle(request: Request) -> ResponseValue:
            log.append(f"{name} before")
            try:
                response = kali.to_response(next_handler(request))
            except Exception as exc:
                log.append(f"{name} saw {type(exc).__name__}")
                raise
            log.append(f"{name} after {response.status}")
            response.headers.add("X-Seen-By", name)
            return response

        return handle

    return middleware


def make_app(log: list[str]) -> kali.App:
    app = kali.App()
    app.use(recording("outer", log))
    app.use(recording("inner", log))

    @app.get("/")
    def index(request: Request) -> str:
        log.append("handler")
        return "index"

    @app.get("/missing")
    def missing(request: Request) -> str:
        raise HTTPError(404, "no such thing")

    @app.get("/boom")
    def boom(request: Request) -> str:
        raise RuntimeError("a bug")

    @app.get("/bad")
    def bad(request: Request) -> str:
        raise ValueError("bad value")

    @app.get("/number")
    def number(request: Request, n: int) -> str:
        return str(n)

    @app.post("/item")
    def create(request: Request) -> str:
        return "created"

    return app


def test_middleware_runs_first_added_outermost() -> None:
    log: list[str] = []
    response = TestClient(make_app(log)).get("/")
    assert response.text == "index"
    assert log == ["outer before", "inner before", "handler", "inner after 200", "outer after 200"]
    assert response.headers.get_all("x-seen-by") == ["inner", "outer"]


def test_middleware_sees_exceptions_before_the_error_page() -> None:
    log: list[str] = []
    client = TestClient(make_app(log), raise_server_exceptions=False)
    assert client.get("/nowhere").status == 404  # the router's 404 goes through them too
    assert log == ["outer before", "inner before", "inner saw HTTPError", "outer saw HTTPError"]
    log.clear()
    assert client.get("/boom").status == 500
    assert log[-1] == "outer saw RuntimeError"


def test_a_404_from_the_router_and_from_a_handler_take_one_path() -> None:
    app = kali.App()
    pages: list[str] = []

    @app.error(404)
    def not_found(request: Request, error: HTTPError) -> str:
        pages.append(error.message or "")
        return f"<h1>Lost</h1><p>{error.message or 'No such page.'}</p>"

    @app.get("/thing/<int:id>")
    def thing(request: Request, id: int) -> str:
        raise HTTPError(404, f"no thing {id}")

    client = TestClient(app)
    for path, text in (("/nowhere", "No such page."), ("/thing/3", "no thing 3")):
        response = client.get(path)
        assert response.status == 404  # a body from an error handler keeps the status
        assert text in response.text and "<h1>Lost</h1>" in response.text
    # Called directly, the App answers with a Response too: nothing escapes it.
    direct = app(Request("GET", "/thing/4", {"host": "localhost"}))
    assert direct.status == 404


def test_error_handlers_for_405_400_500_and_exception_classes() -> None:
    log: list[str] = []
    app = make_app(log)

    @app.error(405)
    def not_allowed(request: Request, error: HTTPError) -> str:
        return "wrong method"

    @app.error(400)
    def bad_request(request: Request, error: HTTPError) -> str:
        return f"bad request: {error.message}"

    @app.error(500)
    def crashed(request: Request, error: Exception) -> Response:
        return Response.html("<p>Sorry.</p>", 503)  # a Response keeps its own status

    @app.error(ValueError)
    def value_error(request: Request, error: ValueError) -> str:
        return f"invalid: {error}"

    client = TestClient(app, raise_server_exceptions=False)
    response = client.delete("/")
    assert (response.status, response.text) == (405, "wrong method")
    assert "GET" in response.headers["allow"]  # the error's headers are kept
    response = client.get("/number?n=x")
    assert response.status == 400 and "'n' must be an integer" in response.text
    assert client.get("/boom").status == 503
    response = client.get("/bad")
    assert (response.status, response.text) == (500, "invalid: bad value")


def test_a_failing_error_handler_falls_back_on_kalis_page() -> None:
    app = kali.App()

    @app.error(404)
    def broken(request: Request, error: HTTPError) -> str:
        raise RuntimeError("the error page itself fails")

    response = TestClient(app, raise_server_exceptions=False).get("/nowhere")
    assert response.status == 404 and "404 Not Found" in response.text


def test_debug_shows_the_traceback_of_a_500() -> None:
    app = kali.App(debug=True)

    @app.get("/")
    def boom(request: Request) -> str:
        raise RuntimeError("visible in debug")

    response = TestClient(app, raise_server_exceptions=False).get("/")
    assert response.status == 500 and "visible in debug" in response.text
    app.debug = False
    # (a compiled app reads the flag at each error)
    assert "visible in debug" not in TestClient(app, raise_server_exceptions=False).get("/").text


def test_setup_after_compiling_is_refused_with_a_message() -> None:
    app = kali.App()
    app.compile()
    with pytest.raises(kali.ConfigurationError, match="already compiled"):
        app.use(lambda handler: handler)
    with pytest.raises(kali.ConfigurationError, match="already compiled"):
        app.error(404)(lambda request, error: "")


def test_error_registration_mistakes_fail_at_once() -> None:
    app = kali.App()
    with pytest.raises(kali.ConfigurationError, match="4xx and 5xx"):
        app.error(302)(lambda request, error: "")
    with pytest.raises(kali.ConfigurationError, match="exception class"):
        app.error("404")(lambda request, error: "")  # type: ignore[call-overload]
    app.use(lambda handler: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(kali.ConfigurationError, match="not a handler"):
        app.compile()


def test_a_form_reaches_put_and_delete_with_method_override() -> None:
    app = kali.App()
    calls: list[tuple[str, str]] = []

    @app.resource("/task/<int:id>")
    class Task(kali.Resource):
        def put(self, request: Request, id: int, title: str) -> str:
            calls.append((request.method, title))
            return "updated"

        def delete(self, request: Request, id: int) -> str:
            calls.append((request.method, str(id)))
            return "deleted"

    client = TestClient(app)
    assert client.post("/task/3", data={"_method": "delete"}).text == "deleted"
    assert client.post("/task/3", data={"_method": "PUT", "title": "Pen"}).text == "updated"
    assert calls == [("DELETE", "3"), ("PUT", "Pen")]
    assert client.post("/task/3", data={"_method": "GET"}).status == 400
    assert client.post("/task/3", data={}).status == 405  # no override: a POST
    # The override is a POST to the guard: a cross-site form is refused as before.
    refused = client.post("/task/3", data={"_method": "DELETE"}, headers={"Origin": "http://x"})
    assert refused.status == 403 and len(calls) == 2


@pytest.mark.parametrize(
    ("text", "answer"),
    [("10", "10"), ("007", "7"), ("-3", "-3"), ("+4", "4"), ("0", "0")],
)
def test_an_int_query_parameter_takes_ascii_digits_with_a_sign(text: str, answer: str) -> None:
    app = kali.App()

    @app.get("/n")
    def number(request: Request, n: int = 1) -> str:
        return repr(n)

    assert TestClient(app).get("/n", query={"n": text}).text == answer


@pytest.mark.parametrize("text", [" 7", "7 ", "1_000", "٣", "1.0", "0x10", "--3", "9" * 4301])
def test_an_int_query_parameter_refuses_what_int_alone_would_take(text: str) -> None:
    app = kali.App()

    @app.get("/n")
    def number(request: Request, n: int = 1) -> str:
        return repr(n)

    response = TestClient(app).get("/n", query={"n": text})
    assert response.status == 400
    assert "'n' must be an integer" in html.unescape(response.text)


def test_typed_parameters_bind_from_the_form_on_a_post() -> None:
    app = kali.App()

    @app.post("/person")
    def add(request: Request, name: str, age: int, tags: list[str], next: str = "/") -> str:
        return f"{name} {age} {tags} {next}"

    client = TestClient(app)
    response = client.post("/person?next=/list", data={"name": "Ada", "age": "36"})
    assert response.text == "Ada 36 [] /list"
    # A form field wins over a query parameter of the same name.
    response = client.post("/person?name=Query", data={"name": "Form", "age": "1"})
    assert response.text.startswith("Form 1")
    response = client.post("/person", data={"name": "Ada", "age": "old"})
    assert response.status == 400
    assert "Form field 'age' must be an integer" in html.unescape(response.text)
    response = client.post("/person", data={"age": "3"})
    assert response.status == 400
    assert "Missing form field or query parameter 'name'" in html.unescape(response.text)


def test_a_missing_field_read_by_the_handler_is_a_400_naming_it() -> None:
    app = kali.App()

    @app.post("/note")
    def note(request: Request) -> str:
        return request.form["text"]

    @app.get("/search")
    def search(request: Request) -> str:
        return request.query["q"] + request.headers["x-token"]

    client = TestClient(app)
    for target, data, message in (
        ("/note", {"other": "x"}, "Missing form field 'text'"),
        ("/search", None, "Missing query parameter 'q'"),
        ("/search?q=a", None, "Missing header 'x-token'"),
    ):
        response = client.post(target, data=data) if data else client.get(target)
        assert response.status == 400 and message in html.unescape(response.text)


def test_a_streamed_handler_goes_through_the_middleware() -> None:
    log: list[str] = []
    app = kali.App()
    app.use(recording("outer", log))

    @app.get("/steps")
    def steps(request: Request) -> Iterator[str]:
        yield "a"
        yield "b"

    assert TestClient(app).get("/steps").text == "ab"
    assert log == ["outer before", "outer after 200"]


def test_a_resource_defined_in_a_function_is_named_after_its_class() -> None:
    def make() -> kali.App:
        app = kali.App()

        @app.resource("/task/<int:id>")
        class Task(kali.Resource):
            def get(self, request: Request, id: int) -> str:
                return ""

        return app

    assert make().url_for("Task.get", id=3) == "/task/3"


def test_setup_mistakes_name_the_line_that_made_them() -> None:
    app = kali.App()

    def called_at(raised: pytest.ExceptionInfo[Exception]) -> str:
        """Where the test made the call that raised, as the message shows it."""
        entry = raised.traceback[0]  # this test's frame
        return f"{os.path.relpath(entry.path)}:{entry.lineno + 1}"

    with pytest.raises(kali.ConfigurationError) as used:
        app.use(42)  # type: ignore[arg-type]
    assert str(used.value).endswith(f"not 42 ({called_at(used)})")
    with pytest.raises(kali.RouteError) as table:
        app.add_routes(["/"])  # type: ignore[list-item]
    assert f"({called_at(table)}): write Route(path, handler)" in str(table.value)
    with pytest.raises(kali.ConfigurationError) as page:
        app.error(404)("x")  # type: ignore[type-var]
    assert str(page.value).endswith(f"needs a function, not 'x' ({called_at(page)})")


def test_a_handler_returning_none_is_reported_not_taken_for_a_miss(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The dispatcher calls the route from inside the matcher. Where the table makes it
    # backtrack, a handler's None must not send it on to the next candidate route.
    monkeypatch.setattr(kali.routing.compiler, "INLINE_STATIC_LIMIT", 0)
    calls: list[str] = []
    app = kali.App()

    @app.get("/a/<x>/b")
    def first(request: Request, x: str) -> str:
        calls.append(f"first {x}")
        return None  # type: ignore[return-value]

    @app.get("/a/<path:p>")
    def second(request: Request, p: str) -> str:
        calls.append(f"second {p}")
        return p

    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/a/z/b").status == 500  # "did it forget to return?"
    assert calls == ["first z"]
    assert client.get("/a/z/c").text == "z/c"
    assert calls == ["first z", "second z/c"]


def test_the_middleware_learns_which_app_and_route_answered() -> None:
    answered: list[str] = []

    def middleware(next_handler: Handler) -> Handler:
        def handle(request: Request) -> ResponseValue:
            try:
                return next_handler(request)
            finally:  # a 404 or 405 is an HTTPError seen here
                endpoint = request.state.get("kali.endpoint")
                answered.append(endpoint.pattern if endpoint else "-")

        return handle

    inner = kali.App()
    inner.get("/x")(lambda request: "inner x")
    app = kali.App()
    app.use(middleware)
    app.get("/")(lambda request: "home")
    app.get("/n/<int:n>")(lambda request, n: f"n={n}")
    app.mount("/sub", inner)
    client = TestClient(app)
    assert client.get("/").text == "home"
    assert client.get("/n/7").text == "n=7"
    assert client.head("/n/7").status == 200
    assert client.get("/sub/x").text == "inner x"
    assert client.get("/nowhere").status == 404
    assert client.post("/").status == 405
    assert client.get("/n//7").status == 301
    assert answered == ["/", "/n/<int:n>", "/n/<int:n>", "/sub", "-", "-", "-"]
