"""One table of routes, good and bad, read by both checks of a route.

Each case is a pattern, a handler signature and the problem (with its fix)
that kali reports, or ``None`` for a route that is fine. `test_route_table`
registers every case at runtime (``App.add_route``, which raises a
``RouteError``) and runs mypy with the plugin over a module declaring every
case with ``@app.get``: both must find the same problem, in the same words.
The runtime stops at the first problem; the plugin reports them all, the
first of which must be the runtime's.
"""

from __future__ import annotations

from dataclasses import dataclass

#: What both sides share: imports, a custom converter, and the app it is given to.
PREAMBLE = """\
from __future__ import annotations

import uuid
from datetime import date
from enum import Enum
from typing import Any, Literal

from kali import App, Request
from kali.routing import Converter


class DateConverter(Converter[date]):
    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def convert(self, value: str) -> date:
        return date.fromisoformat(value)

    def to_url(self, value: date) -> str:
        return value.isoformat()


class Color(Enum):
    RED = "red"
    BLUE = "blue"


class Opaque:
    pass


app = App(converters={"date": DateConverter})
"""

QUERY_FIX = (
    "use str, int, float, bool, an Enum, a Literal of strings, list[...] of those or "
    "X | None, or add it to the path"
)
REQUEST_FIX = "define it as def handler(request: Request, ...)"


@dataclass(frozen=True)
class Case:
    """A route and its handler's parameters; ``problem``/``fix`` are ``None`` when it is fine."""

    pattern: str
    signature: str
    problem: str | None = None
    fix: str | None = None


def mismatch(name: str, converter: str, produced: str, declared: str) -> tuple[str, str]:
    return (
        f"the path parameter {name!r} is converted by {converter} to {produced}, "
        f"but the handler declares {name}: {declared}",
        f"annotate it as {name}: {produced} or change the converter",
    )


def unreadable(name: str, type_name: str) -> tuple[str, str]:
    return (
        f"the parameter {name!r} is not in the path, so it would be read from the query "
        f"string, but kali cannot read a {type_name} from the query string",
        QUERY_FIX,
    )


def missing(name: str, type_name: str) -> tuple[str, str]:
    return (
        f"the path parameter {name!r} is not a parameter of the handler",
        f"add '{name}: {type_name}' to its signature (or rename the path parameter)",
    )


NO_REQUEST = ("the handler does not take the request as its first argument", REQUEST_FIX)

CASES: list[Case] = [
    # -- good routes ----------------------------------------------------------------
    Case("/", "(request: Request)"),
    Case("/item/<int:id>", "(request: Request, id: int)"),
    Case("/item/<int:id>", "(request: Request, id: float)"),
    Case("/item/<int:id>", "(request: Request, id: int | None)"),
    Case("/item/<int:id>", "(request: Request, id: object)"),
    Case("/item/<int:id>", "(request: Request, id: Any)"),
    Case("/item/<int:id>", "(request, id)"),
    Case("/item/<int:id>", "(request: Request, **params: Any)"),
    Case("/asset/<int:n>.css", "(request: Request, n: int)"),
    Case("/u/<uuid:key>", "(request: Request, key: uuid.UUID)"),
    Case("/f/<float:x>", "(request: Request, x: float)"),
    Case("/p/<path:rest>", "(request: Request, rest: str)"),
    Case("/s/<name>", "(request: Request, name: str)"),
    Case("/d/<date:day>", "(request: Request, day: date)"),
    Case(
        "/search",
        "(request: Request, q: str = '', page: int = 1, exact: bool = False, "
        "ratio: float | None = None)",
    ),
    Case(
        "/tags", "(request: Request, tags: list[str] | None = None, c: list[Color] | None = None)"
    ),
    Case("/c", "(request: Request, color: Color = Color.RED, mode: Literal['a', 'b'] = 'a')"),
    Case("/o", "(request: Request, mode: Literal['a', 'b'] | None = None, x: Any = None)"),
    Case("/k/<int:id>", "(request: Request, *, id: int, q: int)"),
    Case("/r", "(request: Request, /, q: str)"),
    Case("/v", "(*args: Any, q: int = 0)"),
    # -- a path parameter the handler does not accept -----------------------------------
    Case("/item/<int:id>", "(request: Request)", *missing("id", "int")),
    Case("/d/<date:day>", "(request: Request, q: str = '')", *missing("day", "date")),
    # -- an annotation the converter does not produce ------------------------------------
    Case(
        "/item/<int:id>",
        "(request: Request, id: str)",
        *mismatch("id", "IntConverter", "int", "str"),
    ),
    Case(
        "/item/<int:id>",
        "(request: Request, id: bool)",
        *mismatch("id", "IntConverter", "int", "bool"),
    ),
    Case(
        "/item/<int:id>",
        "(request: Request, id: str | None)",
        *mismatch("id", "IntConverter", "int", "str | None"),
    ),
    Case(
        "/u/<uuid:u>", "(request: Request, u: int)", *mismatch("u", "UUIDConverter", "UUID", "int")
    ),
    Case(
        "/f/<float:x>",
        "(request: Request, x: int)",
        *mismatch("x", "FloatConverter", "float", "int"),
    ),
    Case(
        "/s/<name>",
        "(request: Request, name: int)",
        *mismatch("name", "StringConverter", "str", "int"),
    ),
    Case(
        "/d/<date:day>",
        "(request: Request, day: str)",
        *mismatch("day", "DateConverter", "date", "str"),
    ),
    Case(
        "/x/<int:id>",
        "(request: Request, id: str, q: date)",
        *mismatch("id", "IntConverter", "int", "str"),
    ),
    # -- a parameter that cannot be read from the query string ---------------------------
    Case("/q", "(request: Request, when: date)", *unreadable("when", "date")),
    Case("/q", "(request: Request, when: date | None = None)", *unreadable("when", "date | None")),
    Case("/q", "(request: Request, thing: Opaque = Opaque())", *unreadable("thing", "Opaque")),
    Case(
        "/q", "(request: Request, ids: tuple[int, ...] = ())", *unreadable("ids", "tuple[int, ...]")
    ),
    Case("/q", "(request: Request, x: int | str = 0)", *unreadable("x", "int | str")),
    Case("/q", "(request: Request, x: Literal[1, 2] = 1)", *unreadable("x", "Literal[1, 2]")),
    Case("/q", "(request: Request, x: dict[str, str])", *unreadable("x", "dict[str, str]")),
    Case("/q", "(request: Request, x: Color | int = 0)", *unreadable("x", "Color | int")),
    # -- the request, *args, positional-only ---------------------------------------------
    Case("/", "()", *NO_REQUEST),
    Case("/", "(*, request: Request)", *NO_REQUEST),
    Case("/", "(**kwargs: Any)", *NO_REQUEST),
    Case(
        "/item/<int:id>",
        "(id: int)",
        "the first parameter of a handler must be the request (kali calls handler(request, "
        "...)), but the first one is 'id', declared int",
        "define it as def handler(request: Request, ...), the path parameters after it",
    ),
    Case(
        "/item/<int:id>",
        "(id)",
        "the first parameter of a handler must be the request (kali calls handler(request, "
        "...)), but the first one is 'id'",
        "define it as def handler(request: Request, ...), the path parameters after it",
    ),
    Case(
        "/<int:id>",
        "(request: Request, *args: Any)",
        "the handler has *args: kali passes parameters by name",
        "remove *args",
    ),
    Case(
        "/<int:id>",
        "(request: Request, id: int, /)",
        "the parameter 'id' is positional-only: kali passes parameters by name",
        "move the '/' marker right after the request parameter",
    ),
    # -- malformed paths and unknown converters ------------------------------------------
    Case(
        "item",
        "(request: Request)",
        "the path pattern 'item' does not start with '/'",
        "write '/' + path",
    ),
    Case(
        "/item/<int:id",
        "(request: Request, id: int)",
        "malformed parameter in segment '<int:id'",
        "write parameters as <name> or <converter:name>, with identifier names",
    ),
    Case(
        "/x/<in t:id>",
        "(request: Request, id: int)",
        "malformed parameter in segment '<in t:id>'",
        "write parameters as <name> or <converter:name>, with identifier names",
    ),
    Case(
        "/a//b",
        "(request: Request)",
        "the pattern has an empty segment ('//')",
        "remove the extra '/'",
    ),
    Case(
        "/a/../b",
        "(request: Request)",
        "the pattern has a '..' segment",
        "write the normalized path",
    ),
    Case(
        "/<a>/<a>",
        "(request: Request, a: str)",
        "the parameter 'a' appears twice",
        "rename one of them",
    ),
    Case(
        "/<a><b>",
        "(request: Request, a: str, b: str)",
        "parameters 'a' and 'b' touch: where one ends and the next begins cannot be told",
        "put literal text between them",
    ),
    Case(
        "/x/<path:p>/y",
        "(request: Request, p: str)",
        "a <path:...> parameter must be the whole last segment",
        "write '/prefix/<path:name>' at the end of the pattern",
    ),
    Case(
        "/x?y=1",
        "(request: Request)",
        "a path pattern cannot contain '?' or '#'",
        "query parameters are read from handler arguments",
    ),
    Case(
        "/day/<day:d>",
        "(request: Request, d: date)",
        "unknown converter 'day' in <day:d>",
        "use one of date, float, int, path, str, string, uuid, or register it with "
        "app.add_converter('day', ...)",
    ),
]


def handler_source(index: int, case: Case) -> str:
    """The handler of case ``index``, as a function definition."""
    return f'def handler_{index}{case.signature} -> str:\n    return ""\n'


def plugin_module() -> tuple[str, dict[int, int]]:
    """The module mypy checks: every case as ``@app.get``; and each case's decorator line."""
    lines = ["# mypy: allow-untyped-defs, allow-incomplete-defs", *PREAMBLE.splitlines()]
    where: dict[int, int] = {}
    for index, case in enumerate(CASES):
        lines += ["", ""]
        where[index] = len(lines) + 1
        lines.append(f"@app.get({case.pattern!r})")
        lines += handler_source(index, case).splitlines()
    return "\n".join(lines) + "\n", where
