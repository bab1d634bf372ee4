"""The shared table (route_table.py): the runtime check and the plugin agree on every case."""

from __future__ import annotations

import types

import pytest

from kali.routing import RouteError

from . import route_table
from .conftest import Run
from .route_table import CASES, Case

TABLE = "route_table_cases.py"


def runtime_problem(index: int, case: Case) -> tuple[str, str] | None:
    """Register the case at runtime: the RouteError's problem and fix, or None."""
    module = types.ModuleType(f"route_case_{index}")
    exec(route_table.PREAMBLE, module.__dict__)
    exec(route_table.handler_source(index, case), module.__dict__)
    app = module.App(converters={"date": module.DateConverter})
    try:
        app.add_route(case.pattern, getattr(module, f"handler_{index}"))
    except RouteError as exc:
        return exc.problem, exc.fix
    return None


def plugin_problem(index: int, mypy_run: Run) -> tuple[str, str] | None:
    """The plugin's first error at the case's decorator, and the fix noted with it."""
    line = mypy_run.table_lines[index]
    span = range(line, line + 3)  # the decorator, the def and its body
    errors = [m for n in span for m in mypy_run.at(TABLE, n)]
    if not errors:
        return None
    assert {e.line for e in errors} == {line}, errors  # reported at the decorator
    assert all(e.code == "kali-route" for e in errors), errors
    fixes = [n.text.removeprefix("fix: ") for n in mypy_run.at(TABLE, line, "note")]
    return errors[0].text, fixes[0] if fixes else ""


CASE_IDS = [f"{i}:{c.pattern}{c.signature}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize(("index", "case"), list(enumerate(CASES)), ids=CASE_IDS)
def test_runtime_check(index: int, case: Case) -> None:
    expected = None if case.problem is None else (case.problem, case.fix)
    assert runtime_problem(index, case) == expected


@pytest.mark.parametrize(("index", "case"), list(enumerate(CASES)), ids=CASE_IDS)
def test_plugin_check(index: int, case: Case, mypy_run: Run) -> None:
    expected = None if case.problem is None else (case.problem, case.fix)
    assert plugin_problem(index, mypy_run) == expected


def test_table_covers_every_kind_of_problem() -> None:
    problems = " ".join(c.problem or "" for c in CASES)
    for words in (
        "is not a parameter of the handler",
        "is converted by",
        "cannot read a",
        "does not take the request",
        "*args",
        "positional-only",
        "unknown converter",
        "does not start with '/'",
    ):
        assert words in problems, words
    assert sum(c.problem is None for c in CASES) >= 15
