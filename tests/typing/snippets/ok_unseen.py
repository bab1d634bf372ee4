"""Converters the kali plugin cannot see: it must not report what the runtime accepts.

Every route here is valid at runtime when the code runs as written (converters
added on another code path, by another function or module, under a name that is
not a literal...). The plugin must stay silent; it may check less, never wrongly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from kali import App, Request
from kali.routing import Converter


class DateConverter(Converter[date]):
    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def convert(self, value: str) -> date:
        return date.fromisoformat(value)

    def to_url(self, value: date) -> str:
        return value.isoformat()


class TextDate(Converter[str]):
    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


class HexInt(Converter[str]):
    """Replaces the built-in "int" in some apps: its values are strings."""

    regex = r"[0-9a-f]+"


def install(app: App) -> None:
    app.add_converter("date", DateConverter)


# An app given to a function that adds converters: the plugin cannot see inside.
given_away = App()
install(given_away)


@given_away.get("/d/<date:d>")
def given(request: Request, d: date) -> str:
    return ""


# Converters from a mapping the plugin cannot read.
CONVERTERS: dict[str, type[Converter[Any]]] = {"date": DateConverter, "int": HexInt}
from_mapping = App(converters=CONVERTERS)


@from_mapping.get("/d/<date:d>")
def mapped(request: Request, d: date) -> str:
    return ""


@from_mapping.get("/i/<int:i>")  # "int" might be replaced by the mapping
def mapped_int(request: Request, i: str) -> str:
    return ""


# A name that is not a literal.
NAME = "date"
by_name = App()
by_name.add_converter(NAME, DateConverter)


@by_name.get("/d/<date:d>")
def named(request: Request, d: date) -> str:
    return ""


# Routes registered in a function on a module-level app: another module may add
# converters before it runs.
late = App()


def register_routes() -> None:
    @late.get("/d/<date:d>")
    def day(request: Request, d: date) -> str:
        return ""


# An alias: the same app under two names.
first = App()
second = first
second.add_converter("date", DateConverter)


@first.get("/d/<date:d>")
def aliased(request: Request, d: date) -> str:
    return ""


# The same name with two classes, on two code paths: its type cannot be told.
def make(flag: bool) -> App:
    app = App()
    if flag:
        app.add_converter("day", DateConverter)
    else:
        app.add_converter("day", TextDate)

    @app.get("/d/<day:d>")
    def either(request: Request, d: date | str) -> str:
        return ""

    return app


# A converter added later in the same function (registered before the route runs,
# through a nested function): the name is known.
def make_later() -> App:
    app = App()

    def setup() -> None:
        app.add_converter("day", DateConverter)

    setup()

    @app.get("/d/<day:d>")
    def later(request: Request, d: date) -> str:
        return ""

    return app


# Given away in a function defined before the route: it may run before the route.
def make_with_helper() -> App:
    app = App()

    def helper() -> None:
        install(app)

    helper()

    @app.get("/d/<date:d>")
    def helped(request: Request, d: date) -> str:
        return ""

    return app


# Given away in the same statement as the route (a loop): it may come first.
def make_in_loop() -> App:
    app = App()
    for step in ("install", "route"):
        if step == "install":
            install(app)
        else:

            @app.get("/d/<date:d>")
            def looped(request: Request, d: date) -> str:
                return ""

    return app


# A decorator under the route's that runs the function at once: its body is "before".
F = TypeVar("F", bound=Callable[..., str])


def run_now(func: F) -> F:
    func(None)
    return func


def make_run_now() -> App:
    app = App()

    @app.get("/d/<date:d>")
    @run_now
    def ran(request: Any, d: date = date.min) -> str:
        install(app)
        return ""

    return app


# A built-in name replaced on a closed app: "int" may be HexInt or the built-in.
hexed = App()
hexed.add_converter("int", HexInt)


@hexed.get("/h/<int:n>")
def hexadecimal(request: Request, n: str) -> str:
    return ""


# ... and an open app in a module that replaces "int" somewhere.
def open_app(app: App) -> None:
    @app.get("/h/<int:n>")
    def hexadecimal_too(request: Request, n: str) -> str:
        return ""


# An app from a factory, or from another module: nothing is known of its converters.
def factory() -> App:
    return App(converters={"date": DateConverter})


made = factory()


@made.get("/d/<date:d>")
def from_factory(request: Request, d: date) -> str:
    return ""


# url_for on a handler that is also registered another way: not checked.
app = App()


@app.get("/a/<int:id>")
def twice(request: Request, id: int = 0) -> str:
    return app.url_for(twice)  # the route "/b" below needs nothing


app.add_route("/b", twice)


# url_for with a mapping, or with a handler decorated by something else: not checked.
def wrapped(func: Callable[..., str]) -> Callable[..., str]:
    return func


@app.get("/w")
@wrapped
def decorated(request: Request) -> str:
    params: dict[str, object] = {"x": 1}
    return app.url_for(decorated, extra=1) + app.url_for(twice, **params)
