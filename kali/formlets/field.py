"""[`Field`][kali.formlets.Field], the base of every field, and
[`BoundField`][kali.formlets.BoundField], one field of one form with its input and message.

A field is a declaration: it holds options (label, required, limits) and knows how to turn the
strings a browser sends into a Python value and back, and how to draw its HTML. It keeps no
per-request state, so one field object serves every form instance. A form pairs each field with
what was submitted (or the initial value) in a `BoundField`.

The value travels like this:

```text
browser strings --clean()--> value        (raises Invalid with the user's message)
value --show()--> strings --widget()--> HTML
record value --coerce()--> value --to_sql()--> what sqlite3 stores
```

Writing a new field means subclassing `Field` and overriding [`parse`][kali.formlets.Field.parse]
and [`to_text`][kali.formlets.Field.to_text] (and [`validate`][kali.formlets.Field.validate] for
limits); the rest has defaults that work for one-string inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Self, TypeAlias, TypedDict, TypeVar, cast, overload

from ..errors import caller_location
from ..forms import UploadFile
from ..templating import Rendered, escape
from .errors import Invalid, a_type, definition_error

__all__ = [
    "MISSING",
    "AttrValue",
    "BoundField",
    "Field",
    "FieldOptions",
    "SQLValue",
    "attributes",
    "humanize",
]

_V = TypeVar("_V")

SQLValue: TypeAlias = str | int | float | bytes | None
"""What [`Field.to_sql`][kali.formlets.Field.to_sql] returns: a value `sqlite3` stores as it is."""
AttrValue: TypeAlias = str | int | bool | None
"""An HTML attribute value: `True` writes the bare name, `False` or `None` leaves it out."""


class FieldOptions(TypedDict, total=False):
    """The options every field takes (see [`Field`][kali.formlets.Field])."""

    label: str | None
    help: str
    attrs: Mapping[str, AttrValue] | None
    messages: Mapping[str, str] | None


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
""""No value": the default of `default=`, and the value of a field whose input is invalid."""

# Attributes the field writes itself; attrs= may not set them.
_MANAGED = frozenset(
    {
        *("id", "name", "type", "value", "checked", "selected", "multiple", "required"),
        *("min", "max", "minlength", "maxlength", "pattern", "step", "accept", "rows"),
        *("aria-invalid", "aria-describedby"),
    }
)
_ATTR_NAME = re.compile(r"[a-zA-Z_:][-a-zA-Z0-9_:.]*")


def attributes(pairs: Iterable[tuple[str, AttrValue]]) -> str:
    """`' name="value"'` for each pair, values escaped; `True` gives a bare name, `False` and
    `None` nothing."""
    out = []
    for name, value in pairs:
        if value is None or value is False:
            continue
        if value is True:
            out.append(" " + name)
        else:
            out.append(f' {name}="{escape(value)}"')
    return "".join(out)


def humanize(name: str) -> str:
    """`"first_name"` → `"First name"`: the label a field gets from its attribute name."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


class Field(Generic[_V]):
    """The base of every field: options, conversion between strings and a value, and HTML.

    `_V` is the type of the field's value (`int` for a required
    [`Integer`][kali.formlets.Integer], `int | None` for an optional one). Reading the field on a
    form instance (`form.age`) gives its [`BoundField`][kali.formlets.BoundField], whose
    `value` has that type; reading it on the class (`Contact.age`) gives the field itself.

    Args:
        required: whether an empty input is refused (with the `"required"` message).
        label: the text of the `<label>`; by default made from the attribute name
            (`first_name` → "First name").
        help: a sentence shown under the label and linked with `aria-describedby`.
        attrs: more attributes for the input element (`{"placeholder": "Ada", "autofocus":
            True}`). Attributes the field manages itself (`name`, `required`, `maxlength`...)
            are refused: set them with the field's own options.
        messages: replacements for the end-user messages, by key (see each class's
            `default_messages`); `{name}` placeholders are filled with the field's limits.
        default: the initial value of an empty form, or a function called for each new form
            (`default=date.today`). It must pass the field's own validation.

    Raises:
        FormDefinitionError: an option cannot work (a bad attribute name, an unknown message
            key, a default that fails validation...), naming the file and line of the field.
    """

    default_messages: ClassVar[Mapping[str, str]] = {"required": "Fill in this field."}
    """The end-user messages, by key; `messages=` replaces some of them."""
    input_type: ClassVar[str] = "text"
    """The `type` of the `<input>` the default widget draws."""
    keeps_input: bool = True
    """Whether the user's input can be shown again when the form is re-displayed (not for a file or
    a password: the field then asks for it again).
    """

    name: str
    label: str
    required: bool
    help: str
    attrs: dict[str, AttrValue]
    messages: dict[str, str]
    where: str

    def __init__(
        self,
        *,
        required: bool = True,
        label: str | None = None,
        help: str = "",
        attrs: Mapping[str, AttrValue] | None = None,
        messages: Mapping[str, str] | None = None,
        default: object = MISSING,
    ) -> None:
        self.where = caller_location()  # where the field is declared
        self.name = ""
        self.required = required
        self._label = label
        self.label = label or ""
        self.help = help
        self.attrs = {}
        for key, value in (attrs or {}).items():
            if not _ATTR_NAME.fullmatch(key):
                raise self.declaration_error(
                    f"{key!r} is not an HTML attribute name", "fix the spelling"
                )
            if key.lower() in _MANAGED:
                raise self.declaration_error(
                    f"attrs= sets {key!r}, which the field writes itself",
                    f"use the field's own option for it (required=, max_length=...), "
                    f"or leave {key!r} out",
                )
            self.attrs[key] = value
        self.messages = dict(self.default_messages)
        for key, text in (messages or {}).items():
            if key not in self.default_messages:
                known = ", ".join(repr(k) for k in self.default_messages)
                raise self.declaration_error(
                    f"messages= has the key {key!r}, which {type(self).__name__} never uses",
                    f"use one of {known}",
                )
            self.messages[key] = text
        self._default = default
        if default is not MISSING:
            self._check_default(default() if callable(default) else default)

    def declaration_error(self, problem: str, fix: str = "") -> Exception:
        """A [`FormDefinitionError`][kali.formlets.FormDefinitionError] about this field,
        naming its file and line (for option checks in subclasses)."""
        # Subclasses check their own options before calling Field.__init__, so the name and
        # the place may not be set yet.
        name = self.__dict__.get("name")
        place = self.__dict__.get("where") or caller_location()
        where = f"{name} ({place})" if name else place
        return definition_error(f"{type(self).__name__}: {problem}", where=where, fix=fix)

    def _check_default(self, default: object) -> None:
        try:
            value = self.coerce(default)
        except Invalid as exc:
            raise self.declaration_error(
                f"the default {default!r} is not {self.value_description()} ({exc.message})",
                f"give {self.value_description()}",
            ) from None
        if value is None or value == self.empty():
            return  # the same as no default
        try:
            self.validate(value)
        except Invalid as exc:
            raise self.declaration_error(
                f"the default {default!r} fails the field's own validation: {exc.message}",
                "change the default or the limits",
            ) from None

    def __set_name__(self, owner: type[Any], name: str) -> None:
        if not self.name:  # a field assigned twice keeps its first name; the form refuses it
            self.name = name
            if self._label is None:
                self.label = humanize(name)

    @overload
    def __get__(self, form: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, form: object, owner: type[Any]) -> BoundField[_V]: ...
    def __get__(self, form: object, owner: type[Any]) -> Self | BoundField[_V]:
        if form is None:
            return self
        return cast("BoundField[_V]", form[self.name])  # type: ignore[index]

    # -- conversion -------------------------------------------------------------------------

    def message(self, key: str, **params: object) -> str:
        """The end-user message `key`, with its `{placeholders}` filled from `params` (a
        replacement message whose braces do not fit is shown as it was written)."""
        text = self.messages[key]
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError, AttributeError):
            return text

    def value_description(self) -> str:
        """What a value of this field is, for developer error messages (`"an int"`)."""
        return "a value of the right type"

    def empty(self) -> _V:
        """The value of an empty input when the field is not required (`None` by default)."""
        return cast("_V", None)

    def initial(self) -> _V:
        """The value of a new, empty form: the default (called if it is a function)."""
        default = self._default
        if default is MISSING:
            return self.empty()
        return self.coerce(default() if callable(default) else default)

    def prepare(self, text: str) -> str:
        """Tidy one submitted string before it is parsed (by default: strip white space)."""
        return text.strip()

    def parse(self, text: str) -> _V:
        """Convert one prepared, non-empty string into a value.

        Raises:
            Invalid: the text is not a value of this field (with the user's message).
        """
        return cast("_V", text)

    def validate(self, value: _V) -> None:
        """Check a converted, non-empty value against the field's limits.

        Raises:
            Invalid: a limit is not met (with the user's message).
        """

    def to_text(self, value: _V) -> str:
        """The string an input shows for a (non-empty) value; `parse` turns it back."""
        return str(value)

    def clean(self, raw: Sequence[str], files: Sequence[UploadFile]) -> _V:
        """The value of what the browser sent for this field: `raw` holds its strings (none if
        the field was not sent), `files` its uploaded files.

        Raises:
            Invalid: the input does not convert or validate.
        """
        text = self.prepare(raw[0]) if raw else ""
        if not text:
            if self.required:
                raise Invalid(self.message("required"))
            return self.empty()
        value = self.parse(text)
        self.validate(value)
        return value

    def show(self, value: _V) -> list[str]:
        """The strings the browser would send for `value`: what the input shows."""
        if value is None:
            return []
        return [self.to_text(value)]

    def coerce(self, value: object) -> _V:
        """A value read from a record (a database row) as a value of this field.

        `None` is the empty value and a string is parsed; subclasses accept their own types
        (an `int` for an integer, a `date` for a date).

        Raises:
            Invalid: `value` cannot be shown by this field.
        """
        if value is None:
            return self.empty()
        if isinstance(value, str):
            text = self.prepare(value)
            return self.parse(text) if text else self.empty()
        raise Invalid(f"{a_type(value)} is not {self.value_description()}")

    def to_sql(self, value: _V) -> SQLValue:
        """`value` as `sqlite3` stores it: `str`, `int`, `float`, `bytes` or `None`."""
        if value is None or isinstance(value, str | int | float | bytes):
            return value
        return self.to_text(value)

    # -- HTML -------------------------------------------------------------------------------

    def html_attributes(self) -> list[tuple[str, AttrValue]]:
        """The validation options mirrored as HTML attributes (`required`, `maxlength`...)."""
        return [("required", self.required)]

    def input_tag(self, bound: BoundField[_V], type: str, value: str | None) -> str:
        """One `<input>` with the field's id, name, validation and extra attributes."""
        pairs: list[tuple[str, AttrValue]] = [
            ("type", type),
            ("id", bound.id),
            ("name", self.name),
            ("value", value),
        ]
        pairs += self.html_attributes()
        pairs += self.attrs.items()
        pairs += bound.aria()
        return f"<input{attributes(pairs)}>"

    def widget(self, bound: BoundField[_V]) -> Rendered:
        """The input element(s), showing `bound.raw`."""
        value = bound.raw[0] if bound.raw and self.keeps_input else None
        return Rendered([self.input_tag(bound, self.input_type, value)])

    def label_tag(self, bound: BoundField[_V]) -> Rendered:
        """`<label for="id">Label</label>` (a `<legend>` for radio buttons and checkboxes)."""
        return Rendered([f'<label for="{escape(bound.id)}">{escape(self.label)}</label>'])

    def css_class(self, bound: BoundField[_V]) -> str:
        """The `class` of the field's wrapper: `field`, its kind, `required`, `invalid`."""
        classes = ["field", type(self).__name__.lower()]
        if self.required:
            classes.append("required")
        if bound.error:
            classes.append("invalid")
        return " ".join(classes)

    def render(self, bound: BoundField[_V]) -> Rendered:
        """The whole field: label, help, message and input in a `<div class="field ...">`."""
        return Rendered(
            [
                f'<div class="{self.css_class(bound)}">\n',
                bound.label_tag(),
                "\n",
                bound.messages_tags(),
                bound.widget(),
                "\n</div>\n",
            ]
        )

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name else ""
        return f"<{type(self).__name__}{name}>"


class BoundField(Generic[_V]):
    """One field of one form: what the input shows, the value, and the message.

    Made by the form (`form.name`, `form["name"]`, or iterating over the form). In a template,
    `{form.name}` draws the whole field; its parts are `{form.name.label_tag()}`,
    `{form.name.widget()}` and `{form.name.error}`.
    """

    __slots__ = ("_value", "error", "field", "id", "notice", "raw")

    def __init__(
        self,
        field: Field[_V],
        id: str,
        raw: list[str],
        value: object,
        error: str | None = None,
        notice: str | None = None,
    ) -> None:
        self.field: Field[_V] = field
        """The field declaration."""
        self.id = id
        """The `id` of the input (`"contact-name"`); messages use it with `-error`, `-help`."""
        self.raw = raw
        """The strings the input shows: the submitted ones, or those of the initial value."""
        self._value = value
        self.error = error
        """The message for the user, or `None` when the input is fine (or not submitted)."""
        self.notice = notice
        """A note shown when the form comes back and this input could not be kept."""

    @property
    def name(self) -> str:
        """The field's name, as sent by the browser."""
        return self.field.name

    @property
    def label(self) -> str:
        """The label text."""
        return self.field.label

    @property
    def value(self) -> _V:
        """The typed value: converted from the input, or the initial value of an empty form.

        Raises:
            ValueError: the input is invalid, so there is no value (check `form.valid`
                first, or `error`).
        """
        if self._value is MISSING:
            raise ValueError(
                f"the field {self.name!r} has no value: its input is invalid ({self.error}); "
                "check form.valid before reading values"
            )
        return cast("_V", self._value)

    def aria(self) -> list[tuple[str, AttrValue]]:
        """`aria-invalid` and `aria-describedby` for the input element."""
        described = [
            f"{self.id}-{kind}"
            for kind, present in (
                ("help", self.field.help),
                ("notice", self.notice),
                ("error", self.error),
            )
            if present
        ]
        return [
            ("aria-invalid", "true" if self.error else None),
            ("aria-describedby", " ".join(described) or None),
        ]

    def label_tag(self) -> Rendered:
        """`<label for="id">Label</label>` (a `<legend>` for radio buttons and checkboxes)."""
        return self.field.label_tag(self)

    def messages_tags(self) -> Rendered:
        """The help, the notice and the error, each a `<p>` with its id (or nothing)."""
        out = Rendered()
        for kind, text in (("help", self.field.help), ("notice", self.notice)):
            if text:
                out.append(f'<p class="{kind}" id="{escape(self.id)}-{kind}">{escape(text)}</p>\n')
        out.append(self.error_tag())
        return out

    def error_tag(self) -> Rendered:
        """`<p class="error" id="...-error">message</p>`, or nothing when there is no message."""
        if not self.error:
            return Rendered()
        return Rendered(
            [f'<p class="error" id="{escape(self.id)}-error">{escape(self.error)}</p>\n']
        )

    def widget(self) -> Rendered:
        """The input element(s) alone."""
        return self.field.widget(self)

    def render(self) -> Rendered:
        """The whole field: label, help, message and input."""
        return self.field.render(self)

    def __html__(self) -> str:
        return str(self.render())

    def __str__(self) -> str:
        return str(self.render())

    def __repr__(self) -> str:
        state = f"error={self.error!r}" if self.error else f"value={self._value!r}"
        return f"<BoundField {self.name!r} raw={self.raw!r} {state}>"
