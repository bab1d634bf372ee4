"""The words of the handler-signature checks, shared by their two readers.

A route's handler is checked twice against its path: when the route is
registered (`kali.routing.signature.analyse`, on the live function) and,
if it is enabled, by the mypy plugin (`kali.mypy`, on the types mypy sees).
Both take their messages from here, so a fix reads the same in a traceback
and in the editor. Each function returns a `Problem`: what is wrong, and how
to fix it.
"""

from __future__ import annotations

from typing import NamedTuple

QUERY_TYPES = "str, int, float, bool, an Enum, a Literal of strings, list[...] of those or X | None"
"""What a parameter that is not in the path may be annotated with, as the fix says it."""


class Problem(NamedTuple):
    """A mismatch between a route and its handler: the problem, then the fix."""

    problem: str
    fix: str


def no_request() -> Problem:
    """The handler takes no positional first parameter to receive the request."""
    return Problem(
        "the handler does not take the request as its first argument",
        "define it as def handler(request: Request, ...)",
    )


def request_not_first(first: str, declared: str | None) -> Problem:
    """The first parameter is not the request: it is a path parameter, or it is
    declared with a type a `Request` is not (``declared``)."""
    return Problem(
        "the first parameter of a handler must be the request (kali calls "
        f"handler(request, ...)), but the first one is {first!r}"
        + (f", declared {declared}" if declared else ""),
        "define it as def handler(request: Request, ...), the path parameters after it",
    )


def var_positional(name: str) -> Problem:
    """The handler has ``*name`` after the request."""
    return Problem(f"the handler has *{name}: kali passes parameters by name", f"remove *{name}")


def positional_only(name: str) -> Problem:
    """The parameter ``name``, after the request, is positional-only."""
    return Problem(
        f"the parameter {name!r} is positional-only: kali passes parameters by name",
        "move the '/' marker right after the request parameter",
    )


def converter_mismatch(name: str, converter: str, produced: str, declared: str) -> Problem:
    """The path parameter ``name`` is declared ``declared``; ``converter`` gives ``produced``."""
    return Problem(
        f"the path parameter {name!r} is converted by {converter} to {produced}, "
        f"but the handler declares {name}: {declared}",
        f"annotate it as {name}: {produced} or change the converter",
    )


def cannot_read(type_name: str) -> str:
    """Why a parameter annotated ``type_name`` cannot be read (for `unreadable`)."""
    return f"kali cannot read a {type_name} from the query string"


def unresolved_annotation() -> str:
    """Why a parameter whose annotation names nothing at runtime cannot be read."""
    return "its annotation cannot be resolved at runtime"


def unreadable(name: str, why: str, form: bool = False) -> Problem:
    """The parameter ``name`` is not in the path, and cannot be read from the query
    string (nor, on a route taking POST, PUT, PATCH or DELETE, from the form: ``form``)."""
    return Problem(
        f"the parameter {name!r} is not in the path, so it would be read from the "
        f"{'form or the ' if form else ''}query string, but {why}",
        f"use {QUERY_TYPES}, or add it to the path",
    )


def missing_path_parameter(name: str, produced: str | None) -> Problem:
    """The path parameter ``name`` is not a parameter of the handler.

    ``produced`` names the converter's type, for the fix (``None`` when unknown).
    """
    wanted = f"{name}: {produced}" if produced else name
    return Problem(
        f"the path parameter {name!r} is not a parameter of the handler",
        f"add '{wanted}' to its signature (or rename the path parameter)",
    )


__all__ = [
    "QUERY_TYPES",
    "Problem",
    "cannot_read",
    "converter_mismatch",
    "missing_path_parameter",
    "no_request",
    "positional_only",
    "request_not_first",
    "unreadable",
    "unresolved_annotation",
    "var_positional",
]
