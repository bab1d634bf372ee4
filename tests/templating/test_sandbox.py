"""What an expression may reach: never the interpreter's machinery, always the app's data.

The rule (docs/templating/expressions.md, "What an expression can reach"): names and
attributes starting with ``_`` and ``format``/``format_map`` are refused when compiling; every
attribute of a frame, code object, traceback, generator, coroutine, async generator or cell, and
a class's ``mro``, is refused when rendering.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import sqlite3
import sys
import types
from collections import namedtuple
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date

import pytest

from kali.templating import (
    Template,
    TemplateRenderError,
    TemplateSyntaxError,
    UndefinedError,
    UnsafeAttributeError,
)


def render(text: str, **context: object) -> str:
    return Template(text).render_str(**context)


def refused(text: str, strict: bool = True, **context: object) -> TemplateRenderError:
    with pytest.raises(TemplateRenderError) as info:
        Template(text, strict=strict).render_str(**context)
    assert isinstance(info.value.__cause__, UnsafeAttributeError), info.value
    return info.value


def numbers() -> Iterator[int]:
    yield 1
    yield 2


async def waiting() -> int:
    return 1


async def ticking() -> AsyncIterator[int]:
    yield 1


def a_frame() -> types.FrameType:
    return sys._getframe()


def a_traceback() -> types.TracebackType:
    try:
        raise ValueError("x")
    except ValueError as exc:
        assert exc.__traceback__ is not None
        return exc.__traceback__


def a_cell() -> types.CellType:
    hidden = "secret"

    def inner() -> str:
        return hidden

    assert inner.__closure__ is not None
    return inner.__closure__[0]


# -- the escapes ------------------------------------------------------------------------


def test_the_reported_escape_is_refused() -> None:
    error = refused("{rows.gi_frame.f_builtins['__import__']('os').getcwd()}", rows=numbers())
    assert "gi_frame" in str(error) and error.line == 1


@pytest.mark.parametrize(
    "text",
    [
        "{rows.gi_frame}",
        "{rows.gi_code.co_consts}",
        "{rows.gi_yieldfrom}",
        "{rows.send(None)}",
        "{rows.gi_frame.f_globals['sys']}",
    ],
)
def test_generator_internals_are_refused(text: str) -> None:
    refused(text, rows=numbers())


def test_coroutine_and_async_generator_internals_are_refused() -> None:
    coroutine = waiting()
    try:
        refused("{c.cr_frame.f_globals}", c=coroutine)
        refused("{c.cr_code}", c=coroutine)
    finally:
        coroutine.close()
    refused("{g.ag_frame.f_locals}", g=ticking())
    refused("{g.ag_code}", g=ticking())


def test_frames_tracebacks_code_and_cells_are_refused() -> None:
    refused("{f.f_globals['sys'].modules}", f=a_frame())
    refused("{f.f_builtins}", f=a_frame())
    refused("{f.f_back.f_locals}", f=a_frame())
    refused("{tb.tb_frame.f_globals}", tb=a_traceback())
    refused("{tb.tb_next}", tb=a_traceback())
    refused("{code.co_code}", code=a_frame.__code__)
    refused("{code.replace()}", code=a_frame.__code__)
    refused("{cell.cell_contents}", cell=a_cell())


def _internals() -> list[object]:
    coroutine = waiting()
    coroutine.close()  # closed: no "never awaited" warning, still a coroutine
    return [
        numbers(),
        coroutine,
        ticking(),
        a_frame(),
        a_frame.__code__,
        a_traceback(),
        a_cell(),
    ]


@pytest.mark.parametrize(
    ("value", "name"),
    [
        pytest.param(value, name, id=f"{type(value).__name__}.{name}")
        for value in _internals()
        for name in dir(value)
        if not name.startswith("_")
    ],
)
def test_every_attribute_of_the_machinery_is_refused(value: object, name: str) -> None:
    # The class, not the examples: whatever Python adds to these types is refused as well.
    refused("{x." + name + "}", x=value)


def test_refused_however_the_frame_was_reached() -> None:
    @dataclass
    class Holder:
        frame: types.FrameType

    refused("{h.frame.f_globals}", h=Holder(a_frame()))
    refused("{stack[0].frame.f_back}", stack=inspect.stack(0))
    refused("{stack[0][0].f_locals}", stack=inspect.stack(0))
    refused("{frames['x'].f_globals}", frames={"x": a_frame()})
    refused("{for f in frames}{f.f_code}{end}", frames=[a_frame()])


def test_a_wrapper_that_forwards_the_frame_is_refused() -> None:
    class Forwarder:
        @property
        def gi_frame(self) -> types.FrameType:
            return a_frame()

    error = refused("{w.gi_frame}", w=Forwarder())
    assert "is a frame" in str(error)


def test_refused_in_loops_conditions_and_lenient_mode() -> None:
    refused("{for k in rows.gi_frame.f_locals}{k}{end}", rows=numbers())
    refused("{if rows.gi_code}yes{end}", rows=numbers())
    refused("{rows.gi_frame:>10}", rows=numbers())
    refused("{.rows.gi_frame}", rows=numbers())
    refused("{rows.gi_frame}", strict=False, rows=numbers())


@pytest.mark.parametrize(
    "text",
    ["{str.mro()}", "{Color.mro()[-1]}", "{Plain.mro}", "{dict.mro()}"],
)
def test_the_mro_of_a_class_is_refused(text: str) -> None:
    class Color(enum.Enum):
        RED = 1

    class Plain:
        pass

    refused(text, Color=Color, Plain=Plain)


@pytest.mark.parametrize(
    "text",
    [
        "{f.__globals__}",
        "{f.__code__}",
        "{f.__closure__}",
        "{f.__defaults__}",
        "{m.__func__}",
        "{m.__self__}",
        "{mod.__dict__.get('os')}",
        "{mod.__builtins__}",
        "{x.__class__.__mro__}",
        "{s.format(x)}",
        "{s.format_map(d)}",
    ],
)
def test_underscores_and_format_are_refused_when_compiling(text: str) -> None:
    with pytest.raises(TemplateSyntaxError):
        Template(text)


@pytest.mark.parametrize(
    "name", ["getattr", "vars", "type", "eval", "exec", "open", "globals", "dir", "compile"]
)
def test_builtins_that_read_attributes_or_run_code_are_not_there(name: str) -> None:
    with pytest.raises(UndefinedError):
        Template("{" + name + "(x)}")(x=1)


# -- ordinary use -------------------------------------------------------------------------


@dataclass
class User:
    name: str
    email: str

    @property
    def initials(self) -> str:
        return self.name[:1]


Point = namedtuple("Point", "x y")


class Mailer:
    """An app object whose names happen to be those of a generator's methods."""

    closed = "no"

    def send(self, to: str) -> str:
        return f"sent to {to}"

    def close(self) -> str:
        return "closed"


def test_attributes_of_dataclasses_namedtuples_and_properties() -> None:
    out = render(
        "{u.name} {u.email} {u.initials} {p.x},{p.y} {p[0]}",
        u=User("Ann", "<ann@example.com>"),
        p=Point(1, 2),
    )
    assert out == "Ann &lt;ann@example.com&gt; A 1,2 1"


def test_dict_methods_and_items() -> None:
    d = {"b": 2, "a": 1, "__class__": "just a key"}
    out = render(
        "{for k, v in d.items()}{k}={v};{end} {d.get('a')} {len(d.keys())} {d['__class__']}",
        d=d,
    )
    assert out == "b=2;a=1;__class__=just a key; 1 3 just a key"


def test_string_methods_including_guarded_names() -> None:
    out = render(
        "{s.upper()} {s.replace('a', 'o')} {s.strip('a')} {str.upper(s)}",
        s="banana",
    )
    assert out == "BANANA bonono banan BANANA"


def test_methods_of_app_objects_named_like_a_generators() -> None:
    out = render("{m.send('Ann')} {m.close()} {m.closed}", m=Mailer())
    assert out == "sent to Ann closed no"


def test_sqlite_rows() -> None:
    db = sqlite3.connect(":memory:")
    db.row_factory = sqlite3.Row
    rows = db.execute("SELECT 1 AS id, 'Ann' AS name UNION SELECT 2, 'Bob'").fetchall()
    out = render("{for r in rows}{r['id']}:{r['name']}/{r[1]} {end}{rows[0].keys()[1]}", rows=rows)
    db.close()
    assert out == "1:Ann/Ann 2:Bob/Bob name"


def test_generators_are_iterated() -> None:
    assert render("{for n in rows}{n}{end}", rows=numbers()) == "12"


def test_classes_enums_dates_and_modules_attributes() -> None:
    class Color(enum.Enum):
        RED = "red"

    out = render(
        "{Color.RED.value} {Color.RED.name} {d.replace(year=2001).year} {math.pi:.2f}",
        Color=Color,
        d=date(2000, 1, 2),
        math=__import__("math"),
    )
    assert out == "red RED 2001 3.14"


def test_an_event_loop_value_is_ordinary_data() -> None:
    loop = asyncio.new_event_loop()
    try:
        assert render("{loop.is_closed()}", loop=loop) == "False"
    finally:
        loop.close()


def test_only_guarded_names_go_through_the_check() -> None:
    # The speed contract of the compiled code (docs/templating/compiled.md): an ordinary
    # attribute is a plain attribute access; only the machinery's names pay for a check.
    source = Template("{item.name}{item.replace(1)}").source
    assert "item.name" in source
    assert "_ga(item, " in source
    assert "item.replace" not in source
