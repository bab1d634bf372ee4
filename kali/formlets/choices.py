"""Fields that pick from a list: [`Choice`][kali.formlets.Choice] (one value, a `<select>` or
radio buttons) and [`MultipleChoice`][kali.formlets.MultipleChoice] (several, checkboxes or a
`<select multiple>`).

The choices are a list of `(value, label)` pairs or an `Enum` class. The browser
sends `str(value)` (for an Enum, `str(member.value)`), and the field gives back the value
itself: an `int` for `[(1, "One"), (2, "Two")]`, the member for an Enum.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal, TypeVar, Unpack, overload

from ..forms import UploadFile
from ..templating import Rendered, escape
from .errors import Invalid, a_type
from .field import MISSING, AttrValue, BoundField, Field, FieldOptions, attributes, humanize

__all__ = ["Choice", "MultipleChoice"]

_V = TypeVar("_V")
_T = TypeVar("_T")
_E = TypeVar("_E", bound=enum.Enum)

ChoiceWidget = Literal["select", "radio"]
"""The ways a Choice can be drawn."""
MultipleWidget = Literal["checkbox", "select"]
"""The ways a MultipleChoice can be drawn."""


def _enum_label(member: enum.Enum) -> str:
    label = getattr(member, "label", None)
    return label if isinstance(label, str) else humanize(member.name.lower())


class _Options:
    """The choices of a field: `(sent string, value, label)` triples, in order."""

    __slots__ = ("by_text", "items")

    def __init__(self, field: Field[Any], choices: object) -> None:
        items: list[tuple[str, object, str]] = []
        if isinstance(choices, type) and issubclass(choices, enum.Enum):
            for member in choices:
                items.append((str(member.value), member, _enum_label(member)))
        elif isinstance(choices, str | bytes) or not isinstance(choices, Sequence):
            raise field.declaration_error(
                f"the choices {choices!r:.60} are not a list of (value, label) pairs or an Enum",
                'give [("red", "Red"), ("blue", "Blue")] or an Enum class',
            )
        else:
            for pair in choices:
                if not (
                    isinstance(pair, tuple | list) and len(pair) == 2 and isinstance(pair[1], str)
                ):
                    raise field.declaration_error(
                        f"the choice {pair!r:.60} is not a (value, label) pair",
                        'write each choice as a pair: ("red", "Red")',
                    )
                value, label = pair
                if value is None or value == "":
                    raise field.declaration_error(
                        f"the choice {pair!r} has an empty value",
                        "give it a value; the empty input is the field's own (required=False)",
                    )
                items.append((str(value), value, label))
        if not items:
            raise field.declaration_error(
                "there are no choices", "give at least one (value, label) pair, or an Enum"
            )
        self.by_text: dict[str, object] = {}
        for text, value, _label in items:
            if text in self.by_text:
                raise field.declaration_error(
                    f"two choices are both sent as {text!r}",
                    "give each choice a value of its own",
                )
            self.by_text[text] = value
        self.items = items

    def text_of(self, value: object) -> str | None:
        """The string sent for `value`, or `None` if it is not one of the choices."""
        for text, known, _label in self.items:
            if known is value or (type(known) is type(value) and known == value):
                return text
        return None

    def find(self, value: object) -> object:
        """The choice that a record's `value` stands for: the value itself, an Enum member's
        value, or its string. Raises `Invalid`."""
        if self.text_of(value) is not None:
            return value
        if not isinstance(value, enum.Enum):
            text = str(value)
            if text in self.by_text and not isinstance(value, bool | float):
                return self.by_text[text]
        raise Invalid(f"{value!r} is not one of the choices")

    def sql(self, value: object) -> Any:
        if isinstance(value, enum.Enum):
            value = value.value
        if value is None or isinstance(value, str | int | float | bytes):
            return value
        return str(value)


class _ChoiceOptions(FieldOptions, total=False):
    widget: ChoiceWidget
    empty_label: str


class Choice(Field[_V]):
    """One value out of a list, as a `<select>` (the default) or radio buttons.

    Its value is the chosen value (an Enum member for an Enum), or `None` when nothing is
    chosen and `required=False`. A `<select>` gets an empty first option, labelled
    `empty_label`, when the field is not required or nothing is chosen yet. Radio buttons have
    no empty option: once one is ticked, the user cannot untick them all.

    An Enum member's label is its `label` attribute if it has one, else its name in words
    (`DARK_RED` → "Dark red").

    Args:
        choices: `(value, label)` pairs, or an Enum class.
        required: refuse an empty choice (the default).
        widget: `"select"` or `"radio"`.
        empty_label: the text of the empty option of a `<select>`.
        label: see [`Field`][kali.formlets.Field], like `help`, `attrs`, `messages`, `default`.

    Messages: `required`, `invalid`.
    """

    default_messages: ClassVar[Mapping[str, str]] = {
        "required": "Choose an option.",
        "invalid": "Choose one of the options.",
    }

    @overload
    def __init__(
        self: Choice[_E],
        choices: type[_E],
        *,
        required: Literal[True] = True,
        default: _E | Callable[[], _E] | None = None,
        **options: Unpack[_ChoiceOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Choice[_E | None],
        choices: type[_E],
        *,
        required: bool,
        default: _E | Callable[[], _E] | None = None,
        **options: Unpack[_ChoiceOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Choice[_T],
        choices: Sequence[tuple[_T, str]],
        *,
        required: Literal[True] = True,
        default: _T | None = None,
        **options: Unpack[_ChoiceOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Choice[_T | None],
        choices: Sequence[tuple[_T, str]],
        *,
        required: bool,
        default: _T | None = None,
        **options: Unpack[_ChoiceOptions],
    ) -> None: ...
    def __init__(
        self,
        choices: Any,
        *,
        required: bool = True,
        widget: ChoiceWidget = "select",
        empty_label: str = "—",
        label: str | None = None,
        help: str = "",
        attrs: Mapping[str, AttrValue] | None = None,
        messages: Mapping[str, str] | None = None,
        default: object = None,
    ) -> None:
        if widget not in ("select", "radio"):
            raise self.declaration_error(
                f"widget={widget!r} is not a way to draw a choice", 'use "select" or "radio"'
            )
        self.options = _Options(self, choices)
        self.kind = widget
        self.empty_label = empty_label
        super().__init__(
            required=required,
            label=label,
            help=help,
            attrs=attrs,
            messages=messages,
            default=MISSING if default is None else default,
        )

    def value_description(self) -> str:
        return "one of the choices"

    def prepare(self, text: str) -> str:
        return text  # the strings are the ones the page offered: exact

    def parse(self, text: str) -> _V:
        try:
            return self.options.by_text[text]  # type: ignore[return-value]
        except KeyError:
            raise Invalid(self.message("invalid")) from None

    def validate(self, value: _V) -> None:
        if self.options.text_of(value) is None:
            raise Invalid(self.message("invalid"))

    def to_text(self, value: _V) -> str:
        text = self.options.text_of(value)
        return str(value) if text is None else text

    def coerce(self, value: object) -> _V:
        if value is None or value == "":
            return self.empty()
        return self.options.find(value)  # type: ignore[return-value]

    def to_sql(self, value: _V) -> Any:
        return self.options.sql(value)

    def widget(self, bound: BoundField[_V]) -> Rendered:
        chosen = bound.raw[0] if bound.raw else None
        if self.kind == "radio":
            return _boxes(self, bound, "radio", {chosen} if chosen else set())
        pairs: list[tuple[str, AttrValue]] = [("id", bound.id), ("name", self.name)]
        pairs += self.html_attributes()
        pairs += self.attrs.items()
        pairs += bound.aria()
        out = Rendered([f"<select{attributes(pairs)}>\n"])
        if not self.required or chosen not in self.options.by_text:
            out.append(f'<option value="">{escape(self.empty_label)}</option>\n')
        for text, _value, label in self.options.items:
            selected = " selected" if text == chosen else ""
            out.append(f'<option value="{escape(text)}"{selected}>{escape(label)}</option>\n')
        out.append("</select>")
        return out

    def label_tag(self, bound: BoundField[_V]) -> Rendered:
        if self.kind == "radio":
            return Rendered([f"<legend>{escape(self.label)}</legend>"])
        return super().label_tag(bound)

    def render(self, bound: BoundField[_V]) -> Rendered:
        if self.kind == "radio":
            return _fieldset(self, bound)
        return super().render(bound)


class MultipleChoice(Field[list[_T]]):
    """Any number of values out of a list, as checkboxes (the default) or a
    `<select multiple>`.

    Its value is a list of the chosen values, in the order of the choices, without repeats;
    nothing chosen is `[]`. `required=True` means at least one must be chosen (a browser cannot
    check that for checkboxes, so only the server does). It is stored in SQLite as a JSON list
    of the values, which [`from_record`][kali.formlets.Form.from_record] reads back.

    Args:
        choices: `(value, label)` pairs, or an Enum class.
        required: at least one must be chosen (not the default).
        widget: `"checkbox"` or `"select"`.
        label: see [`Field`][kali.formlets.Field], like `help`, `attrs`, `messages`, `default`.

    Messages: `required`, `invalid`.
    """

    default_messages: ClassVar[Mapping[str, str]] = {
        "required": "Choose at least one.",
        "invalid": "Choose only from the options.",
    }

    @overload
    def __init__(
        self: MultipleChoice[_E],
        choices: type[_E],
        *,
        required: bool = False,
        default: Sequence[_E] | Callable[[], Sequence[_E]] | None = None,
        widget: MultipleWidget = "checkbox",
        **options: Unpack[FieldOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: MultipleChoice[_T],
        choices: Sequence[tuple[_T, str]],
        *,
        required: bool = False,
        default: Sequence[_T] | Callable[[], Sequence[_T]] | None = None,
        widget: MultipleWidget = "checkbox",
        **options: Unpack[FieldOptions],
    ) -> None: ...
    def __init__(
        self,
        choices: Any,
        *,
        required: bool = False,
        default: object = None,
        widget: MultipleWidget = "checkbox",
        label: str | None = None,
        help: str = "",
        attrs: Mapping[str, AttrValue] | None = None,
        messages: Mapping[str, str] | None = None,
    ) -> None:
        if widget not in ("checkbox", "select"):
            raise self.declaration_error(
                f"widget={widget!r} is not a way to draw a multiple choice",
                'use "checkbox" or "select"',
            )
        self.options = _Options(self, choices)
        self.kind = widget
        super().__init__(
            required=required,
            label=label,
            help=help,
            attrs=attrs,
            messages=messages,
            default=MISSING if default is None else default,
        )

    def value_description(self) -> str:
        return "a list of the choices"

    def empty(self) -> list[_T]:
        return []

    def _ordered(self, texts: set[str]) -> list[_T]:
        return [value for text, value, _label in self.options.items if text in texts]  # type: ignore[misc]

    def clean(self, raw: Sequence[str], files: Sequence[UploadFile]) -> list[_T]:
        texts = {text for text in raw if text}  # a <select>'s empty option sends ""
        if not texts <= self.options.by_text.keys():
            raise Invalid(self.message("invalid"))
        if self.required and not texts:
            raise Invalid(self.message("required"))
        return self._ordered(texts)

    def validate(self, value: list[_T]) -> None:
        if any(self.options.text_of(item) is None for item in value):
            raise Invalid(self.message("invalid"))

    def show(self, value: list[_T]) -> list[str]:
        texts = [self.options.text_of(item) for item in value]
        return [text for text in texts if text is not None]

    def coerce(self, value: object) -> list[_T]:
        if value is None or value == "":
            return []
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise Invalid(f"{value!r:.60} is not a JSON list") from None
        if not isinstance(value, list | tuple | set | frozenset):
            raise Invalid(f"{a_type(value)} is not a list of the choices")
        found = {self.options.text_of(self.options.find(item)) for item in value}
        return self._ordered({text for text in found if text is not None})

    def to_sql(self, value: list[_T]) -> str:
        return json.dumps([self.options.sql(item) for item in value], ensure_ascii=False)

    def html_attributes(self) -> list[tuple[str, AttrValue]]:
        # `required` on a checkbox means "this box must be ticked": not what this field means.
        return [("required", self.required and self.kind == "select")]

    def widget(self, bound: BoundField[list[_T]]) -> Rendered:
        chosen = set(bound.raw)
        if self.kind == "checkbox":
            return _boxes(self, bound, "checkbox", chosen)
        pairs: list[tuple[str, AttrValue]] = [
            ("id", bound.id),
            ("name", self.name),
            ("multiple", True),
        ]
        pairs += self.html_attributes()
        pairs += self.attrs.items()
        pairs += bound.aria()
        out = Rendered([f"<select{attributes(pairs)}>\n"])
        for text, _value, label in self.options.items:
            selected = " selected" if text in chosen else ""
            out.append(f'<option value="{escape(text)}"{selected}>{escape(label)}</option>\n')
        out.append("</select>")
        return out

    def label_tag(self, bound: BoundField[list[_T]]) -> Rendered:
        if self.kind == "checkbox":
            return Rendered([f"<legend>{escape(self.label)}</legend>"])
        return super().label_tag(bound)

    def render(self, bound: BoundField[list[_T]]) -> Rendered:
        if self.kind == "checkbox":
            return _fieldset(self, bound)
        return super().render(bound)


def _boxes(
    field: Choice[Any] | MultipleChoice[Any],
    bound: BoundField[Any],
    kind: str,
    chosen: set[str] | set[str | None],
) -> Rendered:
    """One `<label><input type=radio|checkbox> Label</label>` line per choice."""
    out = Rendered()
    extra = field.html_attributes() + list(field.attrs.items()) + bound.aria()
    for number, (text, _value, label) in enumerate(field.options.items):
        pairs: list[tuple[str, AttrValue]] = [
            ("type", kind),
            ("id", f"{bound.id}-{number}"),
            ("name", field.name),
            ("value", text),
            ("checked", text in chosen),
            *extra,
        ]
        out.append(f"<label><input{attributes(pairs)}> {escape(label)}</label>\n")
    return out


def _fieldset(field: Field[Any], bound: BoundField[Any]) -> Rendered:
    """Radio buttons or checkboxes: a `<fieldset>` whose `<legend>` is the label."""
    return Rendered(
        [
            f'<fieldset class="{field.css_class(bound)}" id="{escape(bound.id)}">\n',
            bound.label_tag(),
            "\n",
            bound.messages_tags(),
            bound.widget(),
            "</fieldset>\n",
        ]
    )
