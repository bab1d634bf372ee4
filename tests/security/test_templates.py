"""Issue 15, point 11: a template expression cannot reach the interpreter's machinery,
whichever object leads there. The reported escape, served by both servers, and a few
roads to frames the sandbox tests (tests/templating/test_tpl_sandbox.py) do not take."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
from collections.abc import Iterator

import pytest

from kali.templating import Template, TemplateError

from .conftest import Target
from .net import get

ESCAPE = "{rows.gi_frame.f_builtins['__import__']('os').getcwd()}"


def rows() -> Iterator[int]:
    yield 1


@contextlib.contextmanager
def managed() -> Iterator[int]:
    yield 1


def render(text: str, **context: object) -> str:
    return Template(text).render_str(**context)


def test_reported_escape_is_refused() -> None:
    with pytest.raises(TemplateError) as info:
        render(ESCAPE, rows=rows())
    assert os.getcwd() not in str(info.value)


def test_reported_escape_is_refused_by_the_served_app(target: Target) -> None:
    reply = get(target.port, "/template-escape")
    assert reply.status == 500  # the app's own template is refused: a developer error
    assert os.getcwd().encode() not in reply.body and b"getcwd" not in reply.body


async def _sleeper() -> None:
    await asyncio.sleep(10)


def test_frames_reached_through_library_objects_are_refused() -> None:
    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(_sleeper())
        loop.run_until_complete(asyncio.sleep(0))  # the task is suspended in its frame
        roads: dict[str, dict[str, object]] = {
            "{cm.gen.gi_frame.f_globals}": {"cm": managed()},
            "{task.get_coro().cr_frame.f_globals}": {"task": task},
            "{task.get_stack()[0].f_globals}": {"task": task},
            "{p.func(1).gi_frame}": {"p": functools.partial(lambda x: (i for i in [x]))},
        }
        for text, context in roads.items():
            with pytest.raises(TemplateError):
                render(text, **context)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(task)
    finally:
        loop.close()


@pytest.mark.parametrize(
    "text",
    [
        "{f.__globals__}",
        "{f.__code__}",
        "{rows.__class__}",
        "{s.format(rows)}",  # s = '{0.gi_frame.f_globals}'
        "{x.format_map(d)}",
    ],
)
def test_function_and_class_internals_are_refused_when_compiling(text: str) -> None:
    with pytest.raises(TemplateError):
        Template(text)
