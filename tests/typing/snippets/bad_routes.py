"""Routes the kali plugin rejects, each error at the decorator (or Route) line.

Each "# E:" gives the expected message; the words are the runtime's.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Final

from kali import App, Request, Resource, Response
from kali.routing import Converter, Route


class DateConverter(Converter[date]):
    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def convert(self, value: str) -> date:
        return date.fromisoformat(value)

    def to_url(self, value: date) -> str:
        return value.isoformat()


class Opaque:
    pass


app = App(converters={"date": DateConverter})


@app.get("/item/<int:id>")  # E: 'id' is not a parameter  # N: fix: add 'id: int' to its
def no_id(request: Request) -> str:
    return ""


@app.get("/item/<int:id>/name")  # E: converted by IntConverter to int, but the handler declares
def id_as_text(request: Request, id: str) -> str:
    return id


@app.put("/blob/<uuid:u>")  # E: converted by UUIDConverter to UUID, but the handler declares u: int
def uuid_as_int(request: Request, u: int) -> str:
    return ""


@app.get("/day/<date:day>")  # E: converted by DateConverter to date, but the handler declares
def custom_converter(request: Request, day: str) -> str:
    return day


@app.post("/find")  # E: 'when' is not in the path, so it would be read from the form or the
def unreadable(request: Request, when: Opaque) -> str:
    return ""


@app.get("/x//y")  # E: the pattern has an empty segment ('//')
def malformed(request: Request) -> str:
    return ""


@app.get("/week/<week:w>")  # E: unknown converter 'week' in <week:w>
def unknown_converter(request: Request, w: str) -> str:
    return w


@app.delete("/gone")  # E: the handler does not take the request as its first argument
def no_request() -> Response:
    return Response("", 204)


@app.patch("/star/<int:id>")  # E: the handler has *args: kali passes parameters by name
def star_args(request: Request, *args: Any, id: int) -> str:
    return ""


@app.route("/pos/<int:id>", methods=["GET", "POST"])  # E: 'id' is positional-only
def positional_only(request: Request, id: int, /) -> str:
    return ""


# Stacked decorators: each error at its own decorator.
@app.get("/first/<int:a>")  # E: the path parameter 'a' is not a parameter of the handler
@app.get("/second/<int:b>")  # E: the path parameter 'b' is not a parameter of the handler
def stacked(request: Request) -> str:
    return ""


@app.get("/third/<int:c>")  # E: 'c' is positional-only
@app.get("/fourth/<int:c>")  # E: the path parameter 'c' is not a parameter of the handler
def half(request: Request, c: int = 0, /) -> str:
    return ""


PATH: Final = "/final/<int:n>"


@app.get(PATH)  # E: converted by IntConverter to int, but the handler declares n: str
def final_path(request: Request, n: str) -> str:
    return n


def text_id(request: Request, id: str) -> str:
    return id


app.add_route("/added/<int:id>", text_id)  # E: converted by IntConverter to int
table = [
    Route("/table/<uuid:id>", text_id),  # E: converted by UUIDConverter to UUID
    Route("/table/plain", lambda: "x"),  # E: the handler does not take the request as its first
]
other = App(
    routes=[Route("/d/<date:d>", text_id)],  # E: unknown converter 'date' in <date:d>
)
third = App(
    routes=[Route("/d/<date:id>", text_id)],  # E: converted by DateConverter to date
    converters={"date": DateConverter},
)
later = App()
later.add_converter("date", DateConverter)
later.add_route("/later/<date:id>", text_id)  # E: converted by DateConverter to date


@app.resource("/task/<int:id>")  # E: 'id' is not a parameter  # N: GET /task/<int:id>/edit
class Task(Resource):
    def get(self, request: Request, id: int) -> str:
        return str(id)

    def get_edit(self, request: Request) -> str:
        return ""


class Note(Resource):
    def post(self, request: Request, key: uuid.UUID) -> str:
        return ""


app.add_resource("/note/<int:key>", Note)  # E: converted by IntConverter to int, but the
app.add_resource("/note/<bad", Note())  # E: malformed parameter in segment '<bad'


@app.get("/request/typed")  # E: but the first one is 'request', declared str
def wrong_request(request: str) -> str:
    return request


lambda_route = app.get("/l/<int:n>")(lambda request: "x")  # E: 'n' is not a parameter


def resource_path() -> str:
    return "/computed"


class Listing(Resource):
    def get_all(self) -> str:
        return ""


# A path that is not a literal: what does not depend on it is still checked.
app.add_resource(resource_path(), Listing)  # E: does not take the request  # N: Listing.get_all


def factory() -> App:
    made = App()

    @made.get("/w/<week:w>")  # E: unknown converter 'week' in <week:w>
    def week(request: Request, w: str) -> str:
        return str(made)  # the body runs when a request comes, after the registration

    return made  # given away only after its routes: they are still checked


registry = [app, later]  # the same, for module-level apps
