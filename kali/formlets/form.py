"""[`Form`][kali.formlets.Form]: fields declared as class attributes, validated together,
drawn together, with a CSRF token.

```python
class Contact(Form):
    name = Text(max_length=80)
    age = Integer(minimum=0, maximum=150, required=False)

form = Contact(request.form)   # a submitted form: converted and validated now
form.valid                     # True when every field converted, the token matched and
                               # check() found nothing
form.values                    # {"name": "Ada", "age": 36}
form.errors                    # {"age": "Enter a whole number."}
form.age.value                 # 36, typed int | None
form.render()                  # <form>...</form>, an iolist
```
"""

from __future__ import annotations

import hmac
import inspect
import logging
import re
from collections.abc import Iterator, Mapping
from functools import cache
from types import MappingProxyType
from typing import Any, ClassVar, Final, Self

from .. import secret
from ..forms import FormData
from ..multidict import MultiDict
from ..routing.errors import where
from ..templating import Rendered, escape
from .errors import Invalid, RecordError, definition_error
from .field import MISSING, AttrValue, BoundField, Field, SQLValue, attributes
from .files import File
from .text import Hidden

__all__ = ["CSRF_FIELD", "FORM_ERROR", "Form", "csrf_token"]

log = logging.getLogger("kali")

FORM_ERROR: Final = "_form"
"""The key of [`Form.errors`][kali.formlets.Form.errors] for a message about the whole form (a stale
CSRF token, a cross-field [`check`][kali.formlets.Form.check]). No field can have this name:
field names may not start with `_`.
"""
CSRF_FIELD: Final = "_csrf"
"""The name under which the CSRF token is sent."""
_CSRF_PURPOSE: Final = "kali.formlets.csrf"
_ATTR_NAME = re.compile(r"[a-zA-Z_:][-a-zA-Z0-9_:.]*")


def csrf_token() -> str:
    """The CSRF token of this process: what every form sends as `_csrf`.

    It is [`kali.secret.token`][kali.secret.token]`("kali.formlets.csrf")`: the same for every
    form and request until the app restarts. Tests that post a form by hand send it:
    `client.post("/contact/1", data={"name": "Ada", "_csrf": csrf_token()})`.
    """
    return secret.token(_CSRF_PURPOSE)


@cache
def _reserved() -> frozenset[str]:
    return frozenset(name for name in dir(Form) if not name.startswith("_"))


def _lookup(record: object, name: str) -> object:
    if isinstance(record, Mapping):
        return record.get(name, MISSING)
    keys = getattr(record, "keys", None)
    if callable(keys) and hasattr(record, "__getitem__"):  # sqlite3.Row
        return record[name] if name in keys() else MISSING
    return getattr(record, name, MISSING)


class Form:
    """The base of forms: declare fields as class attributes, in the order they are drawn.

    ```python
    class Booking(Form):
        title = Text(max_length=100)
        start = Date()
        end = Date()

        def check(self, values):
            if self.end.value < self.start.value:
                return {"end": "The end must be on or after the start."}
            return None
    ```

    `Booking()` is an empty form (with the fields' defaults), `Booking.from_record(row)` a form
    filled from a record, and `Booking(request.form)` a submitted one, converted and validated
    at once. Reading a field on an instance (`form.start`) gives its
    [`BoundField`][kali.formlets.BoundField], whose `value` is typed; on the class
    (`Booking.start`), the field itself.

    Mistakes in the declaration raise [`FormDefinitionError`][kali.formlets.FormDefinitionError]
    when the class is defined: a field whose name starts with `_` or is one of this class's
    own attributes (`values`, `errors`, `render`...), one field object under two names, a field
    class given without calling it (`name = Text`), a `check` with the wrong signature.
    Subclasses inherit the fields of their bases (set one to `None` to drop it).

    Args:
        data: what the browser sent (`request.form`), or `None` for an empty form. A
            [`MultiDict`][kali.multidict.MultiDict] gives every value of a repeated name (for a
            [`MultipleChoice`][kali.formlets.MultipleChoice]); a
            [`FormData`][kali.forms.FormData] carries the uploaded files too.
    """

    fields: ClassVar[Mapping[str, Field[Any]]] = MappingProxyType({})
    """The declared fields, by name, in order (set for each subclass)."""
    csrf: ClassVar[bool] = True
    """Whether the form sends and checks the CSRF token (see
    [`csrf_token`][kali.formlets.csrf_token]). Set it to `False` for a search form sent with GET.
    """
    id_prefix: ClassVar[str] = "form-"
    """What starts the `id` of every input; by default the class name in lower case and `-`
    (`"contact-"`), so two forms on one page do not clash.
    """
    csrf_message: ClassVar[str] = (
        "This form has expired (the app was restarted): check the values below and send it again."
    )
    """The message when the token is missing or stale: most often the app was restarted while the
    page stayed open. The form is drawn again with the current token and the input kept.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: dict[str, Field[Any]] = {}
        for base in reversed(cls.__bases__):
            if issubclass(base, Form):
                fields.update(base.fields)
        reserved = _reserved()
        for name, value in cls.__dict__.items():
            if isinstance(value, type) and issubclass(value, Field):
                raise definition_error(
                    f"{cls.__qualname__}.{name} is the class {value.__name__}, not a field",
                    where=where(cls),
                    fix=f"call it: {name} = {value.__name__}()",
                )
            if not isinstance(value, Field):
                if value is None and name in fields:
                    del fields[name]  # a subclass drops an inherited field
                continue
            place = f"{cls.__qualname__}.{name} ({value.where})"
            if name.startswith("_"):
                raise definition_error(
                    f"the field name {name!r} starts with '_'",
                    where=place,
                    fix=f"rename it: names starting with '_' are kept for kali "
                    f"(the CSRF token is sent as {CSRF_FIELD!r})",
                )
            if name in reserved:
                raise definition_error(
                    f"the field name {name!r} is taken by Form.{name}",
                    where=place,
                    fix="rename the field (the browser will send it under the new name)",
                )
            if value.name != name:
                raise definition_error(
                    f"one field object is both {value.name!r} and {name!r}",
                    where=place,
                    fix=f"create a field for each: {value.name} = {type(value).__name__}(...); "
                    f"{name} = {type(value).__name__}(...)",
                )
            fields[name] = value
        check = cls.__dict__.get("check")
        if check is not None:
            try:
                inspect.signature(check).bind(None, {})
            except (TypeError, ValueError):
                raise definition_error(
                    f"{cls.__qualname__}.check cannot be called as check(self, values)",
                    where=where(check),
                    fix="define it as def check(self, values) -> dict[str, str] | str | None",
                ) from None
        cls.fields = MappingProxyType(fields)
        if "id_prefix" not in cls.__dict__:
            cls.id_prefix = cls.__name__.lower() + "-"

    def __init__(self, data: Mapping[str, str] | None = None) -> None:
        if data is None:
            self._start({})
            return
        self._bound = True
        self._raw: dict[str, list[str]] = {}
        self._values: dict[str, object] = {}
        self._errors: dict[str, str] = {}
        self._notices: dict[str, str] = {}
        uploads = data.files if isinstance(data, FormData) else {}
        for name, field in self.fields.items():
            if isinstance(data, MultiDict):
                raw = data.get_all(name)
            else:
                raw = [data[name]] if name in data else []
            self._raw[name] = raw
            try:
                self._values[name] = field.clean(raw, uploads.get(name, ()))
            except Invalid as exc:
                self._errors[name] = exc.message
        if self.csrf:
            sent = data.get(CSRF_FIELD)
            expected = csrf_token().encode()
            if sent is None and any(name in data for name in self.fields):
                # Fields but no token: the page's <form> was written without the token
                # (a browser keeps fields and token together). The user sees csrf_message;
                # the log says what to fix.
                log.warning(
                    "kali.formlets: %s was sent without its %r field; a <form> written by "
                    "hand must include {form.csrf_field()} (render() does), or set csrf = "
                    "False on a form that changes nothing",
                    type(self).__qualname__,
                    CSRF_FIELD,
                )
            if sent is None or not hmac.compare_digest(sent.encode(), expected):
                self._errors[FORM_ERROR] = self.csrf_message
        if not any(name in self.fields for name in self._errors):
            self._merge(self.check(MappingProxyType(self._values)))
        if self._errors:
            for name, field in self.fields.items():
                sent_something = any(self._raw[name]) or uploads.get(name)
                if not field.keeps_input and name not in self._errors and sent_something:
                    notice = field.messages.get("again")
                    if notice:
                        self._notices[name] = notice

    def _start(self, initial: Mapping[str, object]) -> None:
        self._bound = False
        self._values = {}
        self._raw = {}
        self._errors = {}
        self._notices = {}
        for name, field in self.fields.items():
            value = initial[name] if name in initial else field.initial()
            self._values[name] = value
            self._raw[name] = field.show(value)

    def _merge(self, found: Mapping[str, str] | str | None) -> None:
        if not found:
            return
        if isinstance(found, str):
            found = {FORM_ERROR: found}
        for name, message in found.items():
            self.add_error(name, message, replace=False)

    @classmethod
    def from_record(cls, record: object) -> Self:
        """A form showing a record: a mapping (a `dict`, a `sqlite3.Row`) or an object with
        attributes (a dataclass), read by field name.

        A field the record lacks keeps its default. Values are taken as the field takes them
        from a database: an `int` for an [`Integer`][kali.formlets.Integer], a `date` or its
        ISO text for a [`Date`][kali.formlets.Date], `0`/`1` for a
        [`Boolean`][kali.formlets.Boolean], the value (or member) of a choice, a JSON list for a
        [`MultipleChoice`][kali.formlets.MultipleChoice]. They are shown as they are, not
        validated. File and password fields are not read from records.

        Raises:
            RecordError: a value cannot be shown by its field (a text in an integer column, a
                value that is not one of the choices).
        """
        form = cls.__new__(cls)
        initial: dict[str, object] = {}
        for name, field in cls.fields.items():
            if not field.keeps_input:
                continue
            found = _lookup(record, name)
            if found is MISSING:
                continue
            try:
                initial[name] = field.coerce(found)
            except Invalid as exc:
                raise RecordError(
                    f"{cls.__qualname__}.from_record: the record's {name!r} is {found!r:.80}, "
                    f"which {type(field).__name__} cannot show ({exc.message})"
                ) from None
        form._start(initial)
        return form

    # -- results ----------------------------------------------------------------------------

    @property
    def bound(self) -> bool:
        """Whether the form was made from submitted data (not empty, not from a record)."""
        return self._bound

    @property
    def valid(self) -> bool:
        """Whether the submitted form can be used: every field converted and validated, the
        CSRF token matched and [`check`][kali.formlets.Form.check] found nothing. Always
        `False` for a form that was not submitted."""
        return self._bound and not self._errors

    @property
    def values(self) -> dict[str, object]:
        """The typed value of each field, by name (a copy).

        For a submitted form, only the fields whose input is valid; for an empty form or one
        made from a record, every field's initial value. For a typed value, read the field:
        `form.age.value`.
        """
        return dict(self._values)

    @property
    def errors(self) -> dict[str, str]:
        """The message for each field whose input is invalid, by name (a copy); a message
        about the whole form is under [`FORM_ERROR`][kali.formlets.FORM_ERROR]."""
        return dict(self._errors)

    def record(self) -> dict[str, SQLValue]:
        """The values as `sqlite3` takes them, for `db.execute(sql, form.record())`.

        Dates become ISO text, decimals text, booleans `0`/`1`, choices their value (an Enum
        member's `.value`), multiple choices a JSON list. File fields are left out.

        Raises:
            ValueError: the form was submitted and is not valid.
        """
        if self._bound and self._errors:
            raise ValueError(f"the form is not valid, it cannot be stored: {self._errors}")
        return {
            name: field.to_sql(self._values[name])
            for name, field in self.fields.items()
            if not isinstance(field, File)
        }

    def add_error(self, name: str, message: str, *, replace: bool = True) -> None:
        """Attach a message to a field (or to the whole form, with
        [`FORM_ERROR`][kali.formlets.FORM_ERROR]); the form is then not valid.

        For what only saving can tell: `form.add_error("name", "That name is taken.")` when the
        database refuses a duplicate. A field's value is dropped from `values`.

        Args:
            name: a field's name, or `FORM_ERROR`.
            message: the sentence for the user.
            replace: replace a message already there (else keep the first).

        Raises:
            KeyError: `name` is not a field of this form.
        """
        if name != FORM_ERROR and name not in self.fields:
            raise KeyError(
                f"{type(self).__qualname__} has no field {name!r} (its fields: "
                f"{', '.join(self.fields)}; use FORM_ERROR for the whole form)"
            )
        if replace or name not in self._errors:
            self._errors[name] = message
        self._values.pop(name, None)

    def check(self, values: Mapping[str, object]) -> Mapping[str, str] | str | None:
        """Cross-field checks: override it. Called only when every field is valid.

        `values` maps each field's name to its typed value; the typed accessors
        (`self.end.value`) work as well. Return `None` when all is well, a mapping from field
        names to messages, or a string: a message about the whole form.
        """
        return None

    # -- fields -----------------------------------------------------------------------------

    def __getitem__(self, name: str) -> BoundField[Any]:
        """The [`BoundField`][kali.formlets.BoundField] of the field `name`."""
        try:
            field = self.fields[name]
        except KeyError:
            raise KeyError(
                f"{type(self).__qualname__} has no field {name!r} "
                f"(its fields: {', '.join(self.fields)})"
            ) from None
        return BoundField(
            field,
            self.id_prefix + name,
            self._raw[name],
            self._values.get(name, MISSING),
            self._errors.get(name),
            self._notices.get(name),
        )

    def __iter__(self) -> Iterator[BoundField[Any]]:
        """Each field's [`BoundField`][kali.formlets.BoundField], in declaration order."""
        for name in self.fields:
            yield self[name]

    @property
    def enctype(self) -> str:
        """`multipart/form-data` when the form has a file field, else the urlencoded type."""
        if any(isinstance(field, File) for field in self.fields.values()):
            return "multipart/form-data"
        return "application/x-www-form-urlencoded"

    # -- HTML -------------------------------------------------------------------------------

    def csrf_field(self) -> Rendered:
        """`<input type="hidden" name="_csrf" value="...">` (nothing when `csrf` is off)."""
        if not self.csrf:
            return Rendered()
        pairs: list[tuple[str, AttrValue]] = [
            ("type", "hidden"),
            ("name", CSRF_FIELD),
            ("value", csrf_token()),
        ]
        return Rendered([f"<input{attributes(pairs)}>\n"])

    def render_errors(self) -> Rendered:
        """The summary of messages at the top of the form: the form's own message, then each
        field's, linked to its input. Nothing when there is no message.

        It is a `<div class="form-errors" role="alert">`, so a screen reader reads it when the
        page comes back.
        """
        if not self._errors:
            return Rendered()
        out = Rendered(['<div class="form-errors" role="alert">\n'])
        if FORM_ERROR in self._errors:
            out.append(f"<p>{escape(self._errors[FORM_ERROR])}</p>\n")
        items = []
        for name, field in self.fields.items():
            message = self._errors.get(name)
            if message is None:
                continue
            text = f"{escape(field.label)}: {escape(message)}"
            if isinstance(field, Hidden):
                items.append(f"<li>{text}</li>\n")
            else:
                items.append(f'<li><a href="#{escape(self.id_prefix + name)}">{text}</a></li>\n')
        if items:
            out += ["<ul>\n", *items, "</ul>\n"]
        out.append("</div>\n")
        return out

    def render_fields(self) -> Rendered:
        """What goes inside a `<form>` you write yourself: the messages, the CSRF token and
        every field. Give your `<form>` `method="post"` and `enctype="{form.enctype}"`."""
        return self._inside(csrf=True)

    def _inside(self, *, csrf: bool) -> Rendered:
        out = Rendered([self.render_errors()])
        if csrf:
            out.append(self.csrf_field())
        out += [self[name].render() for name in self.fields]
        return out

    def render(
        self,
        action: str | None = None,
        *,
        submit: str | None = "Save",
        method: str = "post",
        attrs: Mapping[str, AttrValue] | None = None,
    ) -> Rendered:
        """The whole `<form>`: messages, CSRF token, every field and a submit button.

        Args:
            action: where the form is sent; by default the page's own URL.
            submit: the button's text (`None` for no button).
            method: `"post"`; with `"get"` (a search form) the token is not sent.
            attrs: more attributes for the `<form>` element (`{"class": "wide"}`).

        Returns:
            An iolist (`Rendered`): return it from a handler, or
            place it in a template with `{.form}` (or `{form}`; it is not escaped twice).
        """
        pairs: list[tuple[str, AttrValue]] = [("method", method), ("action", action)]
        if self.enctype == "multipart/form-data":
            pairs.append(("enctype", self.enctype))
        for key, value in (attrs or {}).items():
            if not _ATTR_NAME.fullmatch(key) or key.lower() in ("method", "action", "enctype"):
                raise ValueError(f"render(attrs=...) cannot set the attribute {key!r}")
            pairs.append((key, value))
        out = Rendered([f"<form{attributes(pairs)}>\n"])
        out.append(self._inside(csrf=method.lower() != "get"))
        if submit is not None:
            out.append(f'<button type="submit">{escape(submit)}</button>\n')
        out.append("</form>\n")
        return out

    def __html__(self) -> str:
        return str(self.render())

    def __str__(self) -> str:
        return str(self.render())

    def __repr__(self) -> str:
        state = "valid" if self.valid else ("invalid" if self._bound else "not submitted")
        return f"<{type(self).__qualname__} {state} errors={self._errors!r}>"
