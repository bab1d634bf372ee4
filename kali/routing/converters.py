"""Converters: how a path parameter is matched, converted and written back.

A converter turns the (percent-decoded) text of a path parameter into a
typed value, or rejects it. A rejection is not an error: the route simply
does not match, and the router tries the next candidate (or answers 404).

Write your own by subclassing [`Converter`][kali.routing.Converter] with the output type:

    class DateConverter(Converter[date]):
        regex = r"\\d{4}-\\d{2}-\\d{2}"

        def convert(self, value: str) -> date:
            return date.fromisoformat(value)  # ValueError rejects

        def to_url(self, value: date) -> str:
            return value.isoformat()

    app.add_converter("date", DateConverter)   # then "/report-<date:day>.pdf"
"""

from __future__ import annotations

import re
import typing
import uuid
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar, Final, Generic, TypeVar

T = TypeVar("T")

GREEDY_WEIGHT = 1000
"""Converters of this weight and more are greedy: they take the rest of the path, slashes included
(only `path` is).
"""
# Python refuses to convert longer digit strings to int (a guard against slow
# conversions); such a segment is simply not a number here, so the route does not match.
INT_MAX: Final = 2**63 - 1
"""The largest `<int:...>` path value and typed `int` parameter: SQLite's largest INTEGER,
so an id from a URL can always be looked up (a bigger one is a 404 or a 400, never an
`OverflowError` from sqlite3)."""
INT_MIN: Final = -(2**63)
"""The smallest typed `int` parameter: SQLite's smallest INTEGER."""
_INT_MAX_TEXT: Final = str(INT_MAX)  # 19 digits: for 19-digit text, str order is number order


class Converter(Generic[T]):
    """Base class of path-parameter converters, generic in the value type `T`.

    Override `regex` (what the text must fully match), `convert`
    (text to value; raise `ValueError` to reject) and `to_url` (value
    to text, used by `url_for`; percent-encoding is done for you). A
    converter that only sets `regex` yields the matched text (`T = str`).
    Converters are instantiated once per app, without arguments.
    """

    regex: ClassVar[str] = r"[^/]+"
    """A regular expression (no capturing groups) the parameter's text must fully match."""
    weight: ClassVar[int] = 50
    """Priority among the typed parameters at one position: lower is tried first. Built in: int 10,
    float 20, uuid 30, custom 50 (default), str 100, path 1000.
    """
    # Set by the built-in converters whose convert() checks everything the regex
    # would, so the matcher can skip the regex on whole segments.
    _convert_checks: ClassVar[bool] = False
    # Inline Python for the generated matcher, "{0}" being the segment variable.
    _inline_check: ClassVar[str | None] = None
    _inline_convert: ClassVar[str | None] = None

    def convert(self, value: str) -> T:
        """The value for `value` (percent-decoded text); raise `ValueError` to reject."""
        return value  # type: ignore[return-value]

    def to_url(self, value: T) -> str:
        """The text for `value` in a URL (before percent-encoding); `ValueError` if invalid."""
        return str(value)


class StringConverter(Converter[str]):
    """`<name>` or `<str:name>`: any non-empty segment (a `/` in it was sent as `%2F`)."""

    weight = 100
    _convert_checks = True
    _inline_check = "{0}"
    _inline_convert = "{0}"

    def convert(self, value: str) -> str:
        if not value:
            raise ValueError("empty segment")
        return value

    def to_url(self, value: str) -> str:
        if not isinstance(value, str) or not value:
            raise ValueError("needs a non-empty string")
        return value


def _fits(digits: str) -> bool:
    """Whether ASCII `digits` (no sign) are at most INT_MAX, compared as text."""
    size = len(digits)
    return size < len(_INT_MAX_TEXT) or (size == len(_INT_MAX_TEXT) and digits <= _INT_MAX_TEXT)


class IntConverter(Converter[int]):
    """`<int:name>`: ASCII digits (`0`-`9`, no sign), as an `int` up to
    [`INT_MAX`][kali.routing.converters.INT_MAX] (a bigger number does not match)."""

    regex = r"[0-9]+"
    weight = 10
    _convert_checks = True
    _inline_check = (
        f"{{0}}.isdigit() and {{0}}.isascii() and (len({{0}}) < {len(_INT_MAX_TEXT)} or "
        f"(len({{0}}) == {len(_INT_MAX_TEXT)} and {{0}} <= {_INT_MAX_TEXT!r}))"
    )
    _inline_convert = "int({0})"

    def convert(self, value: str) -> int:
        if not (value.isdigit() and value.isascii()) or not _fits(value):
            raise ValueError("not a number")
        return int(value)

    def to_url(self, value: int) -> str:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= INT_MAX:
            raise ValueError(f"needs an int from 0 to {INT_MAX}")
        return str(value)


_FLOAT = re.compile(r"[0-9]+(?:\.[0-9]+)?")


class FloatConverter(Converter[float]):
    """`<float:name>`: `12` or `12.5` (no sign, no exponent), as a `float`."""

    regex = r"[0-9]+(?:\.[0-9]+)?"
    weight = 20
    _convert_checks = True

    def convert(self, value: str) -> float:
        if _FLOAT.fullmatch(value) is None:
            raise ValueError("not a number")
        return float(value)

    def to_url(self, value: float) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ValueError("needs a finite, non-negative number")
        if value == float("inf"):
            raise ValueError("needs a finite, non-negative number")
        text = format(Decimal(repr(float(value))), "f")  # positional, round-trips
        return text


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class UUIDConverter(Converter[uuid.UUID]):
    """`<uuid:name>`: `8-4-4-4-12` hexadecimal digits, as a `uuid.UUID`."""

    regex = _UUID.pattern
    weight = 30
    _convert_checks = True

    def convert(self, value: str) -> uuid.UUID:
        if len(value) != 36 or _UUID.fullmatch(value) is None:
            raise ValueError("not a UUID")
        return uuid.UUID(value)

    def to_url(self, value: uuid.UUID) -> str:
        if not isinstance(value, uuid.UUID):
            raise ValueError("needs a uuid.UUID")
        return str(value)


class PathConverter(Converter[str]):
    """`<path:name>`: the rest of the path, slashes included (non-empty); last segment only."""

    regex = r".+"
    weight = GREEDY_WEIGHT
    _convert_checks = True

    def convert(self, value: str) -> str:
        if not value:
            raise ValueError("empty path")
        return value

    def to_url(self, value: str) -> str:
        if not isinstance(value, str) or not value:
            raise ValueError("needs a non-empty string")
        return value


DEFAULT_CONVERTERS: Mapping[str, type[Converter[Any]]] = MappingProxyType(
    {
        "str": StringConverter,
        "string": StringConverter,
        "int": IntConverter,
        "float": FloatConverter,
        "uuid": UUIDConverter,
        "path": PathConverter,
    }
)
"""The converters every app starts with (read-only; each app copies it)."""


def is_greedy(converter: Converter[Any] | type[Converter[Any]]) -> bool:
    """Whether `converter` takes the rest of the path (`<path:...>`)."""
    return converter.weight >= GREEDY_WEIGHT


def output_type(cls: type[Converter[Any]]) -> Any:
    """The `T` of `Converter[T]` for `cls` (`object` when it cannot be told).

    Read from the generic base (`class C(Converter[date])`), else from the
    return annotation of `convert`.
    """
    for klass in cls.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            if typing.get_origin(base) is Converter:
                (arg,) = typing.get_args(base)
                if not isinstance(arg, TypeVar):
                    return arg
    try:
        hints = typing.get_type_hints(cls.convert)
    except Exception:
        return object
    result = hints.get("return", object)
    return object if isinstance(result, TypeVar) else result


__all__ = [
    "DEFAULT_CONVERTERS",
    "GREEDY_WEIGHT",
    "Converter",
    "FloatConverter",
    "IntConverter",
    "PathConverter",
    "StringConverter",
    "UUIDConverter",
    "is_greedy",
    "output_type",
]
