"""Registration-time errors: raised when the route is added, naming the route,
the handler with its file:line, and a fix."""

from __future__ import annotations

import os
import re
from datetime import date
from typing import Any

import pytest

from kali import Request
from kali.app import App
from kali.resource import Resource
from kali.routing import (
    Converter,
    DuplicateRouteError,
    Route,
    RouteError,
    RouteSyntaxError,
    SetupFinishedError,
    SignatureMismatchError,
    UnknownConverterError,
)


def location(handler: Any) -> str:
    """The handler's file (as the message shows it: relative to the current directory,
    where the tests run) and line."""
    func = getattr(handler, "__func__", handler)
    code = func.__code__
    return f"{os.path.relpath(code.co_filename)}:{code.co_firstlineno}"


def item(request: Request, id: int) -> str:
    return str(id)


def item_key(request: Request, key: int) -> str:
    return str(key)


def item_str(request: Request, id: str) -> str:
    return id


def no_params(request: Request) -> str:
    return ""


def no_request() -> str:
    return ""


def star_args(request: Request, *args: str) -> str:
    return ""


def positional_only(request: Request, id: int, /) -> str:
    return ""


class Opaque:
    pass


def opaque_query(request: Request, thing: Opaque) -> str:
    return ""


def check(exc: pytest.ExceptionInfo[RouteError], handler: Any, *needles: str) -> None:
    message = str(exc.value)
    assert location(handler) in message
    for needle in needles:
        assert needle in message, (needle, message)
    assert "fix:" in message


def test_path_parameter_missing_from_signature() -> None:
    app = App()
    with pytest.raises(SignatureMismatchError) as exc:
        app.add_route("/item/<int:id>", no_params)
    check(exc, no_params, "/item/<int:id>", "'id'", "no_params", "id: int")


def test_annotation_disagrees_with_converter() -> None:
    app = App()
    with pytest.raises(SignatureMismatchError) as exc:
        app.add_route("/item/<int:id>", item_str)
    check(exc, item_str, "GET /item/<int:id>", "IntConverter", "id: str", "id: int")


def test_annotation_agrees_with_converter() -> None:
    app = App()
    app.add_route("/a/<int:id>", item)
    app.add_route("/b/<id>", item_str)

    def unannotated(request, id):  # type: ignore[no-untyped-def]
        return ""

    def wider(request: Request, id: float | None) -> str:
        return ""

    app.add_route("/c/<int:id>", unannotated)
    app.add_route("/d/<int:id>", wider)


def test_duplicate_route() -> None:
    app = App()
    app.add_route("/item/<int:id>", item)
    with pytest.raises(DuplicateRouteError) as exc:
        app.add_route("/item/<int:key>", item_key)
    check(exc, item_key, "/item/<int:key>", "/item/<int:id>", "GET", location(item))


def test_same_pattern_other_method_is_not_a_duplicate() -> None:
    app = App()
    app.add_route("/item/<int:id>", item)
    app.add_route("/item/<int:id>", item, ["POST"])
    app.add_route("/item/<id>", item_str)  # str is told apart from int by priority


def test_unknown_converter() -> None:
    app = App()
    with pytest.raises(UnknownConverterError) as exc:
        app.add_route("/day/<date:day>", item)
    check(exc, item, "/day/<date:day>", "'date'", "add_converter")


@pytest.mark.parametrize(
    ("pattern", "needle"),
    [
        ("item", "does not start with '/'"),
        ("/item/<int:id", "malformed parameter"),
        ("/item/<int:id>>", "malformed parameter"),
        ("/item/<in t:id>", "malformed parameter"),
        ("/a//b", "empty segment"),
        ("/a/../b", "'..' segment"),
        ("/<a>/<a>", "appears twice"),
        ("/<a><b>", "touch"),
        ("/x/<path:p>/y", "whole last segment"),
        ("/x/a<path:p>", "whole last segment"),
        ("/x?y=1", "cannot contain '?'"),
    ],
)
def test_malformed_pattern(pattern: str, needle: str) -> None:
    app = App()
    with pytest.raises(RouteSyntaxError) as exc:
        app.add_route(pattern, no_params)
    check(exc, no_params, needle)


def test_handler_without_request() -> None:
    app = App()
    with pytest.raises(SignatureMismatchError) as exc:
        app.add_route("/", no_request)  # type: ignore[arg-type]
    check(exc, no_request, "does not take the request as its first argument")


def show(id: int) -> str:
    return ""


def test_a_first_parameter_that_is_not_the_request_is_named() -> None:
    app = App()
    with pytest.raises(SignatureMismatchError) as exc:
        app.add_route("/item/<int:id>", show)  # type: ignore[arg-type]
    check(exc, show, "the first parameter of a handler must be the request")
    assert "the first one is 'id', declared int" in str(exc.value)


def test_star_args_and_positional_only() -> None:
    app = App()
    with pytest.raises(SignatureMismatchError) as exc:
        app.add_route("/", star_args)
    check(exc, star_args, "*args")
    with pytest.raises(SignatureMismatchError) as exc:
        app.add_route("/<int:id>", positional_only)
    check(exc, positional_only, "positional-only")


def test_unreadable_query_parameter() -> None:
    app = App()
    with pytest.raises(SignatureMismatchError) as exc:
        app.add_route("/", opaque_query)
    check(exc, opaque_query, "'thing'", "Opaque", "query string")


def test_bad_method() -> None:
    app = App()
    with pytest.raises(RouteSyntaxError) as exc:
        app.add_route("/", no_params, ["get me"])
    check(exc, no_params, "invalid HTTP method")
    with pytest.raises(RouteSyntaxError):
        app.add_route("/", no_params, [])


def test_errors_are_value_errors_raised_by_decorators() -> None:
    app = App()
    with pytest.raises(ValueError, match="not a parameter of the handler"):

        @app.get("/x/<int:id>")
        def handler(request: Request) -> str:
            return ""


def test_resource_method_errors_name_the_method() -> None:
    app = App()

    class Task(Resource):
        def get(self, request: Request, id: int) -> str:
            return ""

        def get_edit(self, request: Request) -> str:
            return ""

    with pytest.raises(SignatureMismatchError) as exc:
        app.add_resource("/task/<int:id>", Task)
    check(exc, Task.get_edit, "/task/<int:id>/edit", "Task.get_edit")


def test_resource_errors() -> None:
    app = App()

    class Empty(Resource):
        def helper(self) -> None:
            pass

    class NotAResource:
        def get(self, request: Request) -> str:
            return ""

    with pytest.raises(RouteError, match="no handler method"):
        app.add_resource("/e", Empty)
    with pytest.raises(RouteError, match=r"not a kali\.Resource"):
        app.add_resource("/n", NotAResource)  # type: ignore[arg-type]


def test_freeze_after_compile() -> None:
    app = App()
    app.add_route("/", no_params)
    app.compile()
    with pytest.raises(SetupFinishedError) as exc:
        app.add_route("/late", no_params)
    check(exc, no_params, "/late", "already compiled")
    with pytest.raises(SetupFinishedError):
        app.add_converter("day", DayConverter)


def test_first_request_compiles() -> None:
    from kali.testing import TestClient

    app = App([Route("/", no_params)])
    assert TestClient(app).get("/").status == 200
    with pytest.raises(SetupFinishedError):
        app.add_route("/late", no_params)


class DayConverter(Converter[date]):
    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def convert(self, value: str) -> date:
        return date.fromisoformat(value)

    def to_url(self, value: date) -> str:
        return value.isoformat()


def test_converter_registration_checks() -> None:
    app = App()

    class Grouped(Converter[str]):
        regex = r"(a|b)"

    class Broken(Converter[str]):
        regex = r"(?P<"

    class NoConvert(Converter[int]):
        regex = r"[0-9]+"

    with pytest.raises(RouteError, match="capturing groups"):
        app.add_converter("g", Grouped)
    with pytest.raises(RouteError, match="regex is invalid"):
        app.add_converter("b", Broken)
    with pytest.raises(RouteError, match="without a convert"):
        app.add_converter("n", NoConvert)
    with pytest.raises(RouteError, match="cannot be replaced"):
        app.add_converter("path", DayConverter)
    with pytest.raises(RouteError, match="subclass"):
        app.add_converter("x", int)  # type: ignore[arg-type]
    with pytest.raises(RouteError, match="identifier"):
        app.add_converter("a-b", DayConverter)


def test_converter_errors_point_at_the_class_and_name_the_type() -> None:
    class NoConvert(Converter[int]):
        regex = r"[0-9]+"

    class Grouped(Converter[str]):
        regex = r"(a|b)"

    line = test_converter_errors_point_at_the_class_and_name_the_type.__code__.co_firstlineno + 1
    with pytest.raises(RouteError) as info:
        App().add_converter("n", NoConvert)
    message = str(info.value)
    assert f"NoConvert ({os.path.relpath(__file__)}:{line})" in message
    assert "Converter[int] without a convert() method" in message
    assert "<class" not in message
    here = re.escape(os.path.relpath(__file__))
    with pytest.raises(RouteError, match=rf"Grouped \({here}:{line + 3}\)"):
        App().add_converter("g", Grouped)


def test_converter_type_is_checked_against_annotation() -> None:
    app = App(converters={"day": DayConverter})

    def good(request: Request, day: date) -> str:
        return ""

    def bad(request: Request, day: str) -> str:
        return ""

    app.add_route("/good/<day:day>", good)
    with pytest.raises(SignatureMismatchError) as exc:
        app.add_route("/bad/<day:day>", bad)
    check(exc, bad, "DayConverter", "day: date")


def test_converters_are_per_app() -> None:
    App(converters={"day": DayConverter})
    with pytest.raises(UnknownConverterError):
        App().add_route("/d/<day:day>", no_params)


def test_table_rejects_other_entries() -> None:
    with pytest.raises(RouteError, match="Route and Mount"):
        App(["/x"])  # type: ignore[list-item]


def test_mount_prefix_checks() -> None:
    app = App()
    with pytest.raises(RouteSyntaxError, match="cannot have parameters"):
        app.mount("/u/<name>", no_params)
    with pytest.raises(RouteSyntaxError, match="does not start"):
        app.mount("admin", no_params)
