"""Correct routes and url_for calls: the kali plugin must report nothing here."""

from __future__ import annotations

import uuid
from datetime import date
from enum import Enum
from typing import Any, Final, Generic, Literal, TypeVar

from kali import App, Request, Resource, Response
from kali.routing import Converter, Route

T = TypeVar("T")


class DateConverter(Converter[date]):
    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def convert(self, value: str) -> date:
        return date.fromisoformat(value)

    def to_url(self, value: date) -> str:
        return value.isoformat()


class IsoDateConverter(DateConverter):
    """Inherits Converter[date] through DateConverter."""


class Slug(Converter[str]):
    regex = r"[a-z0-9-]+"


class Anything(Converter[T], Generic[T]):
    """Generic: the plugin cannot tell T, so it checks nothing against it."""


class Color(Enum):
    RED = "red"
    BLUE = "blue"


app = App(converters={"date": DateConverter, "slug": Slug})
app.add_converter("iso", IsoDateConverter)
app.add_converter("any", Anything)


@app.get("/")
def index(request: Request) -> str:
    return app.url_for(show, id=3) + app.url_for(search, q="x", page=2, tags=("a", "b"))


@app.get("/item/<int:id>")
@app.get("/item/<int:id>/<slug:title>")
def show(request: Request, id: float, title: str = "", full: bool = False) -> str:
    if full:
        return app.url_for(show, id=int(id), title=title)
    return app.url_for(show, id=3, full=True)


@app.get("/search")
def search(
    request: Request,
    q: str = "",
    page: int = 1,
    exact: bool = False,
    tags: list[str] | None = None,
    color: Color | None = None,
    mode: Literal["a", "b"] = "a",
    ratio: float | None = None,
) -> list[str]:
    return [app.url_for(search, tags=["x"], color=Color.RED, mode="b", ratio=None)]


@app.post("/day/<date:day>")
@app.put("/iso/<iso:day>")
def by_day(request: Request, day: date) -> Response:
    return Response.redirect(app.url_for(by_day, day=day))


@app.route("/any/<any:x>", methods=["GET", "POST"])
def anything(request: Request, x: bytes) -> str:
    return ""


@app.get("/files/<path:rest>")
def files(request: Request, rest: str) -> str:
    return app.url_for(files, rest="a/b.txt")


@app.get("/key/<uuid:key>/<int:n>.css")
def asset(request: Request, key: uuid.UUID, n: int, **more: Any) -> str:
    return app.url_for(asset, key=key, n=1, anything="else")


@app.delete("/kw/<int:id>")
def keyword_only(request: Request, *, id: int, confirm: bool) -> Response:
    return Response("", 204)


@app.patch("/untyped/<int:id>")
def untyped(request, id, q=None):  # type: ignore[no-untyped-def]
    return ""


PATH: Final = "/final/<int:n>"


@app.get(PATH)
def final(request: Request, n: int) -> str:
    return ""


def about(request: Request) -> str:
    return "about"


def by_id(request: Request, id: int) -> str:
    return str(id)


table = App(
    routes=[Route("/about", about), Route("/x/<int:id>", by_id, methods=["GET", "POST"])],
    converters={"date": DateConverter},
)
table.add_routes([Route("/y/<date:id>", lambda request, id: str(id))])
app.add_route("/by/<int:id>", by_id, ["GET"])


@app.resource("/task/<int:id>")
class Task(Resource):
    def get(self, request: Request, id: int) -> str:
        return str(id)

    def delete(self, request: Request, id: int) -> Response:
        return Response("", 204)

    def get_edit(self, request: Request, id: int, preview: bool = False) -> str:
        return ""

    def post_edit(self, request: Request, id: int) -> Response:
        return Response("", 303)

    def helper(self) -> int:  # not a verb: not a route
        return 1

    def _get_private(self) -> int:  # private: not a route
        return 1

    @property
    def get_count(self) -> int:  # a property is not callable: not a route
        return 1


class Base(Resource):
    def get(self, request: Request, key: uuid.UUID) -> str:
        return str(key)


class Child(Base):
    @staticmethod
    def get_raw(request: Request, key: uuid.UUID) -> bytes:
        return key.bytes


app.add_resource("/thing/<uuid:key>", Child)


def make_app() -> App:
    local = App(converters={"date": DateConverter})

    @local.get("/")
    def home(request: Request) -> str:
        return local.url_for(day, d=date(2024, 1, 1))

    @local.get("/day/<date:d>")
    def day(request: Request, d: date) -> str:
        return local.url_for(home)

    return local
