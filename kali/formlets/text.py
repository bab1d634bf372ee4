"""Text fields: [`Text`][kali.formlets.Text] (one line), [`Memo`][kali.formlets.Memo] (a
`<textarea>`) and [`Hidden`][kali.formlets.Hidden]. Their value is always a `str`: an empty
input is `""`, never `None`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import ClassVar, Literal

from ..templating import Rendered, escape
from .errors import Invalid, a_type
from .field import MISSING, AttrValue, BoundField, Field, attributes

__all__ = ["Hidden", "Memo", "Text"]

# C0 controls but tab, line feed and carriage return, and DEL: never typed by a user.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)

TextInput = Literal["text", "email", "tel", "url", "search", "password"]
"""The kinds of one-line input a [`Text`][kali.formlets.Text] can draw."""


def _characters(count: int) -> str:
    return f"{count} character" if count == 1 else f"{count} characters"


class _Length(Field[str]):
    """What Text and Memo share: a `str` value with length limits."""

    default_messages: ClassVar[Mapping[str, str]] = {
        "required": "Fill in this field.",
        "max_length": "At most {characters}.",
        "min_length": "At least {characters}.",
        "control": "Remove the control characters.",
    }

    def __init__(
        self,
        *,
        required: bool,
        max_length: int | None,
        min_length: int | None,
        strip: bool,
        label: str | None,
        help: str,
        attrs: Mapping[str, AttrValue] | None,
        messages: Mapping[str, str] | None,
        default: object,
    ) -> None:
        self.max_length = max_length
        self.min_length = min_length
        self.strip = strip
        for option, limit in (("max_length", max_length), ("min_length", min_length)):
            if limit is not None and (not isinstance(limit, int) or limit < 0):
                raise self.declaration_error(
                    f"{option}={limit!r} is not a number of characters",
                    f"give a whole number of at least 0, or leave {option} out",
                )
        if max_length is not None and min_length is not None and min_length > max_length:
            raise self.declaration_error(
                f"min_length={min_length} is above max_length={max_length}",
                "swap them, or drop one",
            )
        super().__init__(
            required=required,
            label=label,
            help=help,
            attrs=attrs,
            messages=messages,
            default=MISSING if default is None else default,
        )

    def value_description(self) -> str:
        return "a str"

    def empty(self) -> str:
        return ""

    def prepare(self, text: str) -> str:
        return text.strip() if self.strip else text

    def show(self, value: str) -> list[str]:
        return [value] if value else []

    def validate(self, value: str) -> None:
        if _CONTROL.search(value):
            raise Invalid(self.message("control"))
        if self.max_length is not None and len(value) > self.max_length:
            raise Invalid(
                self.message(
                    "max_length",
                    max_length=self.max_length,
                    characters=_characters(self.max_length),
                )
            )
        if self.min_length is not None and len(value) < self.min_length:
            raise Invalid(
                self.message(
                    "min_length",
                    min_length=self.min_length,
                    characters=_characters(self.min_length),
                )
            )

    def coerce(self, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise Invalid(f"{a_type(value)} is not a str")

    def html_attributes(self) -> list[tuple[str, AttrValue]]:
        return [
            ("required", self.required),
            ("maxlength", self.max_length),
            ("minlength", self.min_length or None),
        ]


class Text(_Length):
    """A one-line text input; the value is a `str` (`""` when empty and not required).

    Args:
        required: refuse an empty input (the default).
        max_length: the most characters allowed (mirrored as `maxlength`).
        min_length: the fewest characters allowed, when not empty (`minlength`).
        pattern: a regular expression the whole value must match (mirrored as `pattern`, so
            write it in the syntax Python and browsers share: classes, `?`, `*`, `+`, `{m,n}`,
            `|`). The message is `messages={"pattern": "..."}`, which you should give.
        strip: remove white space around the input (the default).
        input_type: `"text"`, `"email"`, `"tel"`, `"url"`, `"search"` or `"password"`.
            `email` and `url` are also checked here (`url` accepts http and https addresses
            only); a password is never written back into the page.
        label: see [`Field`][kali.formlets.Field], like `help`, `attrs`, `messages`, `default`.

    Messages: `required`, `max_length`, `min_length`, `pattern`, `email`, `url`, `line`,
    `control`, `again` (shown when a password must be typed again).
    """

    default_messages: ClassVar[Mapping[str, str]] = {
        **_Length.default_messages,
        "pattern": "Enter a value in the format asked for.",
        "email": "Enter an email address, like name@example.com.",
        "url": "Enter a web address, like https://example.com.",
        "line": "Keep it to one line.",
        "again": "Enter the password again.",
    }

    def __init__(
        self,
        *,
        required: bool = True,
        max_length: int | None = None,
        min_length: int | None = None,
        pattern: str | None = None,
        strip: bool = True,
        input_type: TextInput = "text",
        label: str | None = None,
        help: str = "",
        attrs: Mapping[str, AttrValue] | None = None,
        messages: Mapping[str, str] | None = None,
        default: str | Callable[[], str] | None = None,
    ) -> None:
        if input_type not in ("text", "email", "tel", "url", "search", "password"):
            raise self.declaration_error(
                f"input_type={input_type!r} is not a kind of text input",
                "use text, email, tel, url, search or password (or another field class)",
            )
        self.kind = input_type
        self.keeps_input = input_type != "password"
        self.pattern = pattern
        self._regex = None
        if pattern is not None:
            try:
                self._regex = re.compile(pattern)
            except re.error as exc:
                raise self.declaration_error(
                    f"pattern={pattern!r} is not a regular expression ({exc})", "fix it"
                ) from None
        super().__init__(
            required=required,
            max_length=max_length,
            min_length=min_length,
            strip=strip,
            label=label,
            help=help,
            attrs=attrs,
            messages=messages,
            default=default,
        )

    def validate(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            raise Invalid(self.message("line"))
        super().validate(value)
        if self._regex is not None and self._regex.fullmatch(value) is None:
            raise Invalid(self.message("pattern"))
        if self.kind == "email" and _EMAIL.fullmatch(value) is None:
            raise Invalid(self.message("email"))
        if self.kind == "url" and _URL.fullmatch(value) is None:
            raise Invalid(self.message("url"))

    def html_attributes(self) -> list[tuple[str, AttrValue]]:
        return [*super().html_attributes(), ("pattern", self.pattern)]

    def widget(self, bound: BoundField[str]) -> Rendered:
        value = bound.raw[0] if bound.raw and self.keeps_input else None
        return Rendered([self.input_tag(bound, self.kind, value)])


class Memo(_Length):
    """Several lines of text in a `<textarea>`; the value is a `str` with `\\n` line ends.

    Browsers send line ends as CR LF; they become `\\n` before the value is checked, so
    `max_length` counts each line end once, as the browser's `maxlength` does.

    Args:
        required: refuse an empty input (the default).
        max_length: the most characters allowed (mirrored as `maxlength`).
        min_length: the fewest characters allowed, when not empty (`minlength`).
        rows: the height of the box, in lines.
        strip: remove white space (blank lines included) around the text (the default).
        label: see [`Field`][kali.formlets.Field], like `help`, `attrs`, `messages`, `default`.

    Messages: `required`, `max_length`, `min_length`, `control`.
    """

    def __init__(
        self,
        *,
        required: bool = True,
        max_length: int | None = None,
        min_length: int | None = None,
        rows: int = 5,
        strip: bool = True,
        label: str | None = None,
        help: str = "",
        attrs: Mapping[str, AttrValue] | None = None,
        messages: Mapping[str, str] | None = None,
        default: str | Callable[[], str] | None = None,
    ) -> None:
        if not isinstance(rows, int) or rows < 1:
            raise self.declaration_error(f"rows={rows!r} is not a number of lines", "use rows=5")
        self.rows = rows
        super().__init__(
            required=required,
            max_length=max_length,
            min_length=min_length,
            strip=strip,
            label=label,
            help=help,
            attrs=attrs,
            messages=messages,
            default=default,
        )

    def prepare(self, text: str) -> str:
        return super().prepare(text.replace("\r\n", "\n").replace("\r", "\n"))

    def coerce(self, value: object) -> str:
        text = super().coerce(value)
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def widget(self, bound: BoundField[str]) -> Rendered:
        pairs: list[tuple[str, AttrValue]] = [("id", bound.id), ("name", self.name)]
        pairs.append(("rows", self.rows))
        pairs += self.html_attributes()
        pairs += self.attrs.items()
        pairs += bound.aria()
        text = bound.raw[0] if bound.raw else ""
        # The HTML parser drops one line feed right after <textarea>: write one, so that a
        # value starting with a line feed keeps it.
        return Rendered([f"<textarea{attributes(pairs)}>\n", escape(text), "</textarea>"])


class Hidden(Field[str]):
    """A value carried in the page but not shown: `<input type="hidden">`, no label.

    Its value is the exact string sent (not stripped). A message about it (it can only be
    wrong if the page was tampered with) is shown among the form's own messages, since there
    is no visible input to put it next to.

    Args:
        required: refuse an empty value (not the default).
        label: the name used in the form's messages; see [`Field`][kali.formlets.Field].

    Messages: `required`.
    """

    default_messages: ClassVar[Mapping[str, str]] = {
        "required": "A value this page carries is missing: reload the page and try again.",
    }
    input_type: ClassVar[str] = "hidden"

    def __init__(
        self,
        *,
        required: bool = False,
        label: str | None = None,
        messages: Mapping[str, str] | None = None,
        default: str | Callable[[], str] | None = None,
    ) -> None:
        super().__init__(
            required=required,
            label=label,
            messages=messages,
            default=MISSING if default is None else default,
        )

    def value_description(self) -> str:
        return "a str"

    def empty(self) -> str:
        return ""

    def prepare(self, text: str) -> str:
        return text

    def coerce(self, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise Invalid(f"{a_type(value)} is not a str")

    def html_attributes(self) -> list[tuple[str, AttrValue]]:
        return []

    def widget(self, bound: BoundField[str]) -> Rendered:
        value = bound.raw[0] if bound.raw else ""
        pairs: list[tuple[str, AttrValue]] = [
            ("type", "hidden"),
            ("id", bound.id),
            ("name", self.name),
            ("value", value),
        ]
        return Rendered([f"<input{attributes(pairs)}>"])

    def render(self, bound: BoundField[str]) -> Rendered:
        return Rendered([self.widget(bound), "\n"])
