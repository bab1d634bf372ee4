"""Numbers, dates and checkboxes: [`Integer`][kali.formlets.Integer],
[`Decimal`][kali.formlets.Decimal], [`Date`][kali.formlets.Date] and
[`Boolean`][kali.formlets.Boolean].

A required `Integer` has an `int` value; with `required=False` its value is `int | None`, and
the type checker knows which (the same for `Decimal` and `Date`). A `Boolean` is always a
`bool`: an unticked box is `False`.
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal, TypeVar, Unpack, overload

from ..forms import UploadFile
from ..routing.converters import INT_MAX, INT_MIN
from ..templating import Rendered
from .errors import Invalid, a_type
from .field import MISSING, AttrValue, BoundField, Field, FieldOptions

__all__ = ["Boolean", "Date", "Decimal", "Integer"]

_V = TypeVar("_V")
_INT = re.compile(r"[-+]?[0-9]+")
_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ][0-9:.+\-Z ]*")
# Longer numbers are refused before conversion: no one types them, and int() of thousands of
# digits is slow (Python refuses more than 4300).
_MAX_DIGITS = 100
_WIDE = decimal.Context(prec=2 * _MAX_DIGITS + 10)
_TRUE = frozenset({"on", "1", "true", "yes"})
_FALSE = frozenset({"", "0", "false", "off", "no"})


class _Bounded(Field[_V]):
    """What Integer, Decimal and Date share: a minimum and a maximum."""

    minimum: Any
    maximum: Any

    def _set_bounds(self, minimum: object, maximum: object, kind: type | tuple[type, ...]) -> None:
        for option, bound in (("minimum", minimum), ("maximum", maximum)):
            if bound is not None and (not isinstance(bound, kind) or isinstance(bound, bool)):
                raise self.declaration_error(
                    f"{option}={bound!r} is not {self.value_description()}",
                    f"give {self.value_description()}, or leave {option} out",
                )
        if minimum is not None and maximum is not None and minimum > maximum:  # type: ignore[operator]
            raise self.declaration_error(
                f"minimum={minimum!r} is above maximum={maximum!r}", "swap them, or drop one"
            )
        self.minimum = minimum
        self.maximum = maximum

    def validate(self, value: _V) -> None:
        low, high = self.minimum, self.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            if low is not None and high is not None:
                key = "range"
            else:
                key = "minimum" if low is not None else "maximum"
            raise Invalid(
                self.message(
                    key,
                    minimum=None if low is None else self.to_text(low),
                    maximum=None if high is None else self.to_text(high),
                )
            )

    def html_attributes(self) -> list[tuple[str, AttrValue]]:
        return [
            ("required", self.required),
            ("min", None if self.minimum is None else self.to_text(self.minimum)),
            ("max", None if self.maximum is None else self.to_text(self.maximum)),
        ]


class _IntegerOptions(FieldOptions, total=False):
    minimum: int | None
    maximum: int | None
    default: int | Callable[[], int] | None


class Integer(_Bounded[_V]):
    """A whole number, in an `<input type="number">`.

    Accepts optional sign and ASCII digits, with white space around them. Its value is an
    `int`, or `int | None` with `required=False`.

    Args:
        required: refuse an empty input (the default).
        minimum: the smallest value allowed (mirrored as `min`).
        maximum: the largest value allowed (mirrored as `max`).
        label: see [`Field`][kali.formlets.Field], like `help`, `attrs`, `messages`, `default`.

    Messages: `required`, `invalid`, `too_long`, `minimum`, `maximum`, `range` (with both).
    """

    default_messages: ClassVar[Mapping[str, str]] = {
        "required": "Fill in this field.",
        "invalid": "Enter a whole number.",
        "too_long": "Enter a smaller number.",
        "minimum": "Enter {minimum} or more.",
        "maximum": "Enter {maximum} or less.",
        "range": "Enter a number from {minimum} to {maximum}.",
    }
    input_type: ClassVar[str] = "number"

    @overload
    def __init__(
        self: Integer[int],
        *,
        required: Literal[True] = True,
        **options: Unpack[_IntegerOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Integer[int | None], *, required: bool, **options: Unpack[_IntegerOptions]
    ) -> None: ...
    def __init__(
        self,
        *,
        required: bool = True,
        minimum: int | None = None,
        maximum: int | None = None,
        label: str | None = None,
        help: str = "",
        attrs: Mapping[str, AttrValue] | None = None,
        messages: Mapping[str, str] | None = None,
        default: int | Callable[[], int] | None = None,
    ) -> None:
        self._set_bounds(minimum, maximum, int)
        super().__init__(
            required=required,
            label=label,
            help=help,
            attrs=attrs,
            messages=messages,
            default=MISSING if default is None else default,
        )

    def value_description(self) -> str:
        return "an int"

    def parse(self, text: str) -> _V:
        if _INT.fullmatch(text) is None:
            raise Invalid(self.message("invalid"))
        if len(text) > _MAX_DIGITS:
            raise Invalid(self.message("too_long"))
        value = int(text)
        if not INT_MIN <= value <= INT_MAX:  # what SQLite's INTEGER holds
            raise Invalid(self.message("too_long"))
        return value  # type: ignore[return-value]

    def coerce(self, value: object) -> _V:
        if isinstance(value, bool):
            raise Invalid("a bool is not an int")
        if isinstance(value, int):
            return value  # type: ignore[return-value]
        if isinstance(value, float | decimal.Decimal) and value == value and int(value) == value:
            return int(value)  # type: ignore[return-value]
        return super().coerce(value)


class _DecimalOptions(FieldOptions, total=False):
    minimum: decimal.Decimal | int | None
    maximum: decimal.Decimal | int | None
    places: int | None
    default: decimal.Decimal | int | Callable[[], decimal.Decimal] | None


class Decimal(_Bounded[_V]):
    """A decimal number (money, measures) as a `decimal.Decimal`, in an
    `<input type="number">`.

    Accepts an optional sign, digits and one `.` (`12`, `-0.5`, `.25`); no exponent, no
    `NaN` or `Infinity`. With `places`, the value always has that many decimal places
    (`12.5` becomes `Decimal("12.50")`) and more are refused. It is stored in SQLite as text,
    so no digit is lost.

    Args:
        required: refuse an empty input (the default).
        places: the most decimal places allowed (the input's `step`: `places=2` gives
            `step="0.01"`; without it, `step="any"`).
        minimum: the smallest value allowed (mirrored as `min`).
        maximum: the largest value allowed (mirrored as `max`).
        label: see [`Field`][kali.formlets.Field], like `help`, `attrs`, `messages`, `default`.

    Messages: `required`, `invalid`, `too_long`, `places`, `whole` (for `places=0`),
    `minimum`, `maximum`, `range`.
    """

    default_messages: ClassVar[Mapping[str, str]] = {
        **Integer.default_messages,
        "invalid": "Enter a number, like 12.5.",
        "places": "Use at most {places}.",
        "whole": "Enter a whole number.",
    }
    input_type: ClassVar[str] = "number"

    @overload
    def __init__(
        self: Decimal[decimal.Decimal],
        *,
        required: Literal[True] = True,
        **options: Unpack[_DecimalOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Decimal[decimal.Decimal | None],
        *,
        required: bool,
        **options: Unpack[_DecimalOptions],
    ) -> None: ...
    def __init__(
        self,
        *,
        required: bool = True,
        places: int | None = None,
        minimum: decimal.Decimal | int | None = None,
        maximum: decimal.Decimal | int | None = None,
        label: str | None = None,
        help: str = "",
        attrs: Mapping[str, AttrValue] | None = None,
        messages: Mapping[str, str] | None = None,
        default: decimal.Decimal | int | Callable[[], decimal.Decimal] | None = None,
    ) -> None:
        if places is not None and (not isinstance(places, int) or not 0 <= places <= 30):
            raise self.declaration_error(
                f"places={places!r} is not a number of decimal places",
                "give a whole number from 0 to 30, or leave places out",
            )
        self.places = places
        low, high = (
            decimal.Decimal(b) if isinstance(b, int) and not isinstance(b, bool) else b
            for b in (minimum, maximum)
        )
        self._set_bounds(low, high, decimal.Decimal)
        super().__init__(
            required=required,
            label=label,
            help=help,
            attrs=attrs,
            messages=messages,
            default=MISSING if default is None else default,
        )

    def value_description(self) -> str:
        return "a Decimal"

    def _rounded(self, value: decimal.Decimal) -> decimal.Decimal:
        if self.places is None:
            return value
        exact = value.quantize(decimal.Decimal(1).scaleb(-self.places), context=_WIDE)
        if exact != value:
            if self.places == 0:
                raise Invalid(self.message("whole"))
            places = "1 decimal place" if self.places == 1 else f"{self.places} decimal places"
            raise Invalid(self.message("places", places=places))
        return exact

    def parse(self, text: str) -> _V:
        if _DECIMAL.fullmatch(text) is None:
            raise Invalid(self.message("invalid"))
        if len(text) > _MAX_DIGITS:
            raise Invalid(self.message("too_long"))
        return self._rounded(decimal.Decimal(text))  # type: ignore[return-value]

    def validate(self, value: _V) -> None:
        self._rounded(value)  # type: ignore[arg-type]
        super().validate(value)

    def to_text(self, value: _V) -> str:
        return format(value, "f")

    def coerce(self, value: object) -> _V:
        if isinstance(value, bool):
            raise Invalid("a bool is not a Decimal")
        if isinstance(value, str):  # a TEXT column: parsed, but not rounded (see below)
            text = value.strip()
            if not text:
                return self.empty()
            if _DECIMAL.fullmatch(text) is None or len(text) > _MAX_DIGITS:
                raise Invalid(self.message("invalid"))
            value = decimal.Decimal(text)
        if isinstance(value, float):
            value = decimal.Decimal(repr(value)) if value == value else value
        if isinstance(value, int):
            value = decimal.Decimal(value)
        if isinstance(value, decimal.Decimal):
            if not value.is_finite():
                raise Invalid(f"{value} is not a finite number")
            try:  # 12.5 is shown as 12.50, but 1.234 is not rounded away: shown as it is
                return self._rounded(value)  # type: ignore[return-value]
            except Invalid:
                return value  # type: ignore[return-value]
        return super().coerce(value)

    def html_attributes(self) -> list[tuple[str, AttrValue]]:
        step = "any" if self.places is None else format(decimal.Decimal(1).scaleb(-self.places))
        return [*super().html_attributes(), ("step", step)]


class _DateOptions(FieldOptions, total=False):
    minimum: datetime.date | None
    maximum: datetime.date | None
    default: datetime.date | Callable[[], datetime.date] | None


class Date(_Bounded[_V]):
    """A calendar date as a `datetime.date`, in an `<input type="date">`.

    Browsers send the date as `YYYY-MM-DD` whatever the language of the page, so that is the
    form accepted. It is stored in SQLite as that text, which sorts in date order. Use
    `default=datetime.date.today` (the function, not its result) for "today" in each new form.

    Args:
        required: refuse an empty input (the default).
        minimum: the earliest date allowed (mirrored as `min`).
        maximum: the latest date allowed (mirrored as `max`).
        label: see [`Field`][kali.formlets.Field], like `help`, `attrs`, `messages`, `default`.

    Messages: `required`, `invalid`, `minimum`, `maximum`, `range`.
    """

    default_messages: ClassVar[Mapping[str, str]] = {
        "required": "Fill in this field.",
        "invalid": "Enter a date like 2024-12-31.",
        "minimum": "Enter a date on or after {minimum}.",
        "maximum": "Enter a date on or before {maximum}.",
        "range": "Enter a date from {minimum} to {maximum}.",
    }
    input_type: ClassVar[str] = "date"

    @overload
    def __init__(
        self: Date[datetime.date],
        *,
        required: Literal[True] = True,
        **options: Unpack[_DateOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Date[datetime.date | None], *, required: bool, **options: Unpack[_DateOptions]
    ) -> None: ...
    def __init__(
        self,
        *,
        required: bool = True,
        minimum: datetime.date | None = None,
        maximum: datetime.date | None = None,
        label: str | None = None,
        help: str = "",
        attrs: Mapping[str, AttrValue] | None = None,
        messages: Mapping[str, str] | None = None,
        default: datetime.date | Callable[[], datetime.date] | None = None,
    ) -> None:
        for option, bound in (("minimum", minimum), ("maximum", maximum)):
            if isinstance(bound, datetime.datetime):
                raise self.declaration_error(
                    f"{option}={bound!r} is a datetime", f"give a date: {option}=....date()"
                )
        self._set_bounds(minimum, maximum, datetime.date)
        super().__init__(
            required=required,
            label=label,
            help=help,
            attrs=attrs,
            messages=messages,
            default=MISSING if default is None else default,
        )

    def value_description(self) -> str:
        return "a date"

    def parse(self, text: str) -> _V:
        if _DATE.fullmatch(text) is None:
            raise Invalid(self.message("invalid"))
        try:
            return datetime.date.fromisoformat(text)  # type: ignore[return-value]
        except ValueError:
            raise Invalid(self.message("invalid")) from None

    def to_text(self, value: _V) -> str:
        return value.isoformat()  # type: ignore[attr-defined, no-any-return]

    def coerce(self, value: object) -> _V:
        if isinstance(value, datetime.datetime):
            return value.date()  # type: ignore[return-value]
        if isinstance(value, datetime.date):
            return value  # type: ignore[return-value]
        if isinstance(value, str) and (match := _DATETIME.fullmatch(value.strip())):
            value = match[1]  # a timestamp from a database: its date
        return super().coerce(value)


class Boolean(Field[bool]):
    """A checkbox; the value is `True` when it is ticked and `False` otherwise.

    `required=True` means the box must be ticked ("I accept the terms"), which is why it is
    not the default. A browser sends `on` for a ticked box and nothing for an unticked one;
    `1`, `true`, `yes` (ticked) and `0`, `false`, `off`, `no` (not) are accepted as well.

    Args:
        required: the box must be ticked (not the default).
        label: see [`Field`][kali.formlets.Field], like `help`, `attrs`, `messages`, `default`.

    Messages: `required`, `invalid`.
    """

    default_messages: ClassVar[Mapping[str, str]] = {
        "required": "Tick this box to continue.",
        "invalid": "Tick the box or leave it empty.",
    }
    input_type: ClassVar[str] = "checkbox"

    def __init__(
        self,
        *,
        required: bool = False,
        label: str | None = None,
        help: str = "",
        attrs: Mapping[str, AttrValue] | None = None,
        messages: Mapping[str, str] | None = None,
        default: bool | Callable[[], bool] = False,
    ) -> None:
        super().__init__(
            required=required,
            label=label,
            help=help,
            attrs=attrs,
            messages=messages,
            default=default,
        )

    def value_description(self) -> str:
        return "a bool"

    def empty(self) -> bool:
        return False

    def parse(self, text: str) -> bool:
        word = text.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise Invalid(self.message("invalid"))

    def clean(self, raw: Sequence[str], files: Sequence[UploadFile]) -> bool:
        value = any([self.parse(text) for text in raw])
        if self.required and not value:
            raise Invalid(self.message("required"))
        return value

    def show(self, value: bool) -> list[str]:
        return ["on"] if value else []

    def coerce(self, value: object) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if value is None:
            return False
        if isinstance(value, str):
            return self.parse(value)
        raise Invalid(f"{a_type(value)} is not a bool")

    def to_sql(self, value: bool) -> int:
        return int(value)

    def _ticked(self, bound: BoundField[bool]) -> bool:
        return any(text.strip().lower() in _TRUE for text in bound.raw)

    def widget(self, bound: BoundField[bool]) -> Rendered:
        tag = self.input_tag(bound, "checkbox", "on")
        if self._ticked(bound):
            tag = tag[:-1] + " checked>"
        return Rendered([tag])

    def render(self, bound: BoundField[bool]) -> Rendered:
        return Rendered(
            [
                f'<div class="{self.css_class(bound)}">\n',
                bound.widget(),
                " ",
                bound.label_tag(),
                "\n",
                bound.messages_tags(),
                "</div>\n",
            ]
        )
