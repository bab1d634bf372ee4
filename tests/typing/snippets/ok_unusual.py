"""Unusual code around routes: the kali plugin must neither crash nor complain.

Paths that are not literals, decorators applied to lambdas or kept in variables,
callable objects, partials, overloads, odd statements around the app. The
conftest runs mypy with KALI_MYPY_DEBUG=1, so a plugin exception would fail it.
This module is for mypy only: some of it would not register at runtime.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, overload

from kali import App, Request, Resource, Response
from kali.routing import Route

app = App()
PREFIX = "/api"


def prefix() -> str:
    return PREFIX


@app.get(PREFIX + "/<int:id>")  # not a literal: the path is not parsed
def concatenated(request: Request, anything: object) -> str:
    return ""


@app.get(f"{PREFIX}/<int:id>")
def formatted(request: Request, id: int) -> str:
    return ""


@app.post(prefix())
def computed(request: Request) -> str:
    return ""


on_lambda = app.get("/lambda")(lambda request: "x")
on_lambda_too = app.route("/lambda/<int:n>", methods=["POST"])(lambda request, n: str(n))
decorator = app.put("/kept")
kept = decorator(lambda request: "x")


class Page:
    def __call__(self, request: Request, id: int) -> str:
        return str(id)

    def method(self, request: Request, id: int) -> str:
        return str(id)


page = Page()
app.add_route("/page/<int:id>", page)
app.add_route("/method/<int:id>", page.method)


def with_id(request: Request, id: int, extra: str) -> str:
    return ""


app.add_route("/partial/<int:id>", functools.partial(with_id, extra="x"))


@functools.cache
def cached(request: Request) -> str:
    return ""


app.add_route("/cached", cached)


@overload
def overloaded(request: Request) -> str: ...
@overload
def overloaded(request: Request, id: int) -> str: ...
def overloaded(request: Request, id: int = 0) -> str:
    return ""


app.add_route("/overloaded/<int:id>", overloaded)


def any_handler() -> Callable[..., str]:
    return lambda *args, **kwargs: ""


app.add_route("/any", any_handler())
handler: Any = None
app.add_route("/any2", handler)


class Maker:
    def __init__(self, request: Request) -> None:
        self.request = request


def maker_response(request: Request) -> Response:
    return Response("")


options: dict[str, Any] = {"name": "x"}
app.add_route("/splat", maker_response, **options)
paths = ["/a", "/b"]
for path in paths:
    app.add_route(path, maker_response)
entries = [Route(p, maker_response) for p in paths]
(walrus := App()).add_routes(entries)
nested = App(routes=[*entries, Route("/n/<int:id>", lambda request, id: "")])
apps = [App(), App()]
apps[0].add_converter("x", type("X", (), {}))


@apps[1].get("/<x:y>")
def indexed(request: Request, y: bytes) -> str:
    return ""


match app:
    case App() as matched:
        matched.add_route("/matched", maker_response)


class Weird(Resource):
    get_value = 3  # an attribute, not a method
    post_value: Callable[..., str] = staticmethod(lambda request: "")

    class get_nested:  # a class named like an action
        pass

    def get(self, request: Request) -> str:
        return ""


app.add_resource("/weird", Weird)
app.add_resource(PREFIX, Weird)


def route_in_function(app: App, path: str) -> None:
    @app.get(path)
    def inner(request: Request, **query: str) -> str:
        return ""

    app.add_route(path + "/x", inner)


url = app.url_for("concatenated", id=1) + app.url_for(page.method, id=1)
url += app.url_for(on_lambda) + app.url_for(kept) + app.url_for(formatted, id=1)
