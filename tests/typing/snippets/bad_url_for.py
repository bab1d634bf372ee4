"""``url_for`` calls the kali plugin rejects: each "# E:" gives the expected message."""

from __future__ import annotations

from datetime import date

from kali import App, Request, Response
from kali.routing import Converter


class DateConverter(Converter[date]):
    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def convert(self, value: str) -> date:
        return date.fromisoformat(value)

    def to_url(self, value: date) -> str:
        return value.isoformat()


app = App(converters={"date": DateConverter})


@app.get("/item/<int:id>")
def show(request: Request, id: int, full: bool = False, tags: list[str] | None = None) -> str:
    return ""


@app.get("/report-<date:day>.pdf")
def report(request: Request, day: date) -> str:
    return ""


@app.get("/list")
@app.get("/list/<int:page>/<int:size>")
def listing(request: Request, page: int = 1, size: int = 20) -> str:
    return ""


@app.post("/item/<int:id>")
def update(request: Request, id: int) -> Response:
    app.url_for(show)  # E: route '/item/<int:id>' needs the parameter 'id', which was not given
    app.url_for(show, id="3")  # E: rejected by the int converter: it takes int, not str
    app.url_for(show, id=id, full="yes")  # E: the query parameter 'full' is given str, but
    app.url_for(show, id=id, tags="a")  # E: is given str, but the handler declares tags:
    app.url_for(show, id=id, ful=True)  # E: unknown parameter 'ful'  # N: did you mean 'full'?
    app.url_for(show, idd=id)  # E: needs the parameter 'id'  # N: pass id=... instead of idd=...
    app.url_for(report, day="2024-01-01")  # E: rejected by the date converter: it takes date
    return Response.redirect(app.url_for(show, id=id))


def make_app() -> App:
    local = App()

    @local.get("/")
    def index(request: Request) -> str:
        return local.url_for(page, n="1")  # E: rejected by the int converter

    @local.get("/page/<int:n>")
    def page(request: Request, n: int) -> str:
        return local.url_for(index, n=n)  # E: unknown parameter 'n'

    return local
