"""Correct use of the App API: must pass mypy --strict with no error."""

from __future__ import annotations

import uuid
from typing import Any, assert_type

from kali import Request, Response
from kali.app import App
from kali.resource import Resource
from kali.routing import Converter, Match, Mount, Route

app = App()


@app.get("/item/<int:id>")
def show(request: Request, id: int, full: bool = False) -> str:
    return f"{id} {full}"


@app.post("/item/<int:id>")
def update(request: Request, id: int) -> Response:
    return Response.redirect(app.url_for(show, id=id))


@app.route("/parts", methods=["GET", "POST"])
def parts(request: Request) -> list[str]:
    return ["<p>", "iolist", "</p>"]


@app.put("/raw/<uuid:key>")
def raw(request: Request, key: uuid.UUID) -> bytes:
    return key.bytes


# The decorators return the function unchanged: same signature, callable directly.
assert_type(show(Request(), 3), str)
assert_type(update(Request(), id=3), Response)
assert_type(show(Request(), id=3, full=True), str)  # parameter names are kept


@app.resource("/task/<int:id>")
class Task(Resource):
    def get(self, request: Request, id: int) -> str:
        return str(id)

    def delete(self, request: Request, id: int) -> Response:
        return Response("", 204)

    def get_edit(self, request: Request, id: int) -> str:
        return ""


assert_type(Task, type[Task])


class Slug(Converter[str]):
    regex = r"[a-z0-9-]+"


def about(request: Request) -> str:
    return "about"


other = App(
    [Route("/about", about), Route("/x", about, methods=["GET", "POST"])], converters={"slug": Slug}
)
other.mount("/app", app)
other.add_routes([Mount("/static", about)])
found = other.match("GET", "/about")
if found is not None:
    assert_type(found, Match)
    assert_type(found.params, dict[str, Any])
url: str = app.url_for("Task.get", id=3)
url = app.url_for(Task.get_edit, id=3)
response: Response = app(Request())
