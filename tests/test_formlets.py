"""kali.formlets: each field's conversion and validation, rendering, form declarations,
cross-field checks, CSRF, the submit workflow, and a whole round trip over the test client
against a real SQLite file."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import html.parser
import io
import logging
import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kali
from kali import formlets
from kali.formlets import (
    CSRF_FIELD,
    FORM_ERROR,
    Boolean,
    Choice,
    Date,
    Decimal,
    File,
    Form,
    FormDefinitionError,
    Hidden,
    Integer,
    Invalid,
    Memo,
    MultipleChoice,
    RecordError,
    Text,
    csrf_token,
)
from kali.forms import FormData, UploadFile
from kali.iolist import to_str
from kali.multidict import MultiDict
from kali.templating import Rendered, Template
from kali.testing import TestClient

D = decimal.Decimal


class Color(enum.Enum):
    RED = "red"
    DARK_BLUE = "dark-blue"


class Size(enum.IntEnum):
    SMALL = 1
    LARGE = 2

    @property
    def label(self) -> str:
        return {1: "Small (S)", 2: "Large (L)"}[self.value]


def named(field: formlets.Field[Any], name: str = "f") -> formlets.Field[Any]:
    """A field given a name, as a form's class body does."""
    field.__set_name__(Form, name)
    return field


def clean(field: formlets.Field[Any], *raw: str) -> Any:
    return field.clean(list(raw), [])


def message(field: formlets.Field[Any], *raw: str) -> str:
    with pytest.raises(Invalid) as info:
        field.clean(list(raw), [])
    return info.value.message


def with_token(**fields: str) -> dict[str, str]:
    return {**fields, CSRF_FIELD: csrf_token()}


# -- a browser, as far as forms go ----------------------------------------------------------------


class Browser(html.parser.HTMLParser):
    """Reads rendered HTML the way a browser builds a form submission (the successful
    controls): checked boxes only, selected options (or a single select's first), textarea
    text without its first line feed. Also collects every element with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pairs: list[tuple[str, str]] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self._select: tuple[str, bool] | None = None
        self._options: list[tuple[str, bool]] = []
        self._option: dict[str, str | None] | None = None
        self._option_text = ""
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.elements.append((tag, a))
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.pairs.append((name, a.get("value") or "on"))
            elif kind not in ("file", "submit", "button"):
                self.pairs.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self._select = (name, "multiple" in a)
            self._options = []
        elif tag == "option":
            self._option = a
            self._option_text = ""
        elif tag == "textarea" and name:
            self._textarea = name
            self._text = ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data
        if self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None:
            value = self._option.get("value")
            self._options.append(
                (self._option_text if value is None else value, "selected" in self._option)
            )
            self._option = None
        elif tag == "select" and self._select is not None:
            name, multiple = self._select
            chosen = [value for value, selected in self._options if selected]
            if not multiple and not chosen and self._options:
                chosen = [self._options[0][0]]
            self.pairs += [(name, value) for value in (chosen if multiple else chosen[-1:])]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._text[1:] if self._text.startswith("\n") else self._text
            self.pairs.append((self._textarea, text))
            self._textarea = None


def browse(page: object) -> Browser:
    browser = Browser()
    browser.feed(page if isinstance(page, str) else to_str(page))  # type: ignore[arg-type]
    browser.close()
    return browser


def submission(page: object) -> FormData:
    return FormData(browse(page).pairs)


def element(page: object, tag: str, **match: str) -> dict[str, str | None]:
    found = [
        attrs
        for name, attrs in browse(page).elements
        if name == tag and all(attrs.get(k) == v for k, v in match.items())
    ]
    assert len(found) == 1, (tag, match, found)
    return found[0]


# -- Text, Memo, Hidden ---------------------------------------------------------------------------


def test_text_strips_and_requires() -> None:
    field = named(Text())
    assert clean(field, "  Ada  ") == "Ada"
    assert message(field) == "Fill in this field."
    assert message(field, "   ") == "Fill in this field."
    assert clean(named(Text(required=False))) == ""
    assert clean(named(Text(strip=False)), " a ") == " a "


@pytest.mark.parametrize(
    ("options", "text", "expected"),
    [
        ({"max_length": 80}, "x" * 81, "At most 80 characters."),
        ({"max_length": 1}, "xy", "At most 1 character."),
        ({"min_length": 3}, "ab", "At least 3 characters."),
        ({"pattern": r"[A-Z]{2}[0-9]{3}"}, "ab123", "Enter a value in the format asked for."),
        ({"input_type": "email"}, "ada", "Enter an email address, like name@example.com."),
        (
            {"input_type": "url"},
            "javascript:alert(1)",
            "Enter a web address, like https://example.com.",
        ),
        ({}, "one\ntwo", "Keep it to one line."),
        ({}, "bell\x07", "Remove the control characters."),
    ],
)
def test_text_limits(options: dict[str, Any], text: str, expected: str) -> None:
    assert message(named(Text(**options)), text) == expected


def test_text_accepts_within_limits() -> None:
    assert clean(named(Text(max_length=3, min_length=3)), "abc") == "abc"
    assert clean(named(Text(pattern=r"[A-Z]{2}[0-9]{3}")), "AB123") == "AB123"
    assert clean(named(Text(input_type="email")), "ada@example.com") == "ada@example.com"
    assert (
        clean(named(Text(input_type="url")), "HTTPS://example.com/a?b") == "HTTPS://example.com/a?b"
    )
    assert clean(named(Text(max_length=1)), "é") == "é"  # characters, not bytes


def test_text_custom_message() -> None:
    field = named(Text(pattern=r"[0-9]{5}", messages={"pattern": "Enter five digits."}))
    assert message(field, "123") == "Enter five digits."
    field = named(Text(max_length=2, messages={"max_length": "No more than {max_length}!"}))
    assert message(field, "abc") == "No more than 2!"
    field = named(Text(max_length=2, messages={"max_length": "Keep it {short}."}))
    assert message(field, "abc") == "Keep it {short}."  # not a crash while serving


def test_memo_normalises_line_ends_before_counting() -> None:
    field = named(Memo(max_length=3))
    assert clean(field, "a\r\nb") == "a\nb"
    assert clean(field, "a\rb") == "a\nb"
    assert message(named(Memo(max_length=2)), "a\r\nbc") == "At most 2 characters."
    assert message(named(Memo()), "nul\x00") == "Remove the control characters."
    assert clean(named(Memo(strip=False)), "\n indented\n") == "\n indented\n"


def test_hidden_is_exact_and_drawn_without_label() -> None:
    field = named(Hidden(), "ref")
    assert clean(field, " x ") == " x "
    assert clean(field) == ""

    class Carry(Form):
        csrf = False
        ref = Hidden(default="a&b")

    page = to_str(Carry().render())
    assert '<input type="hidden" id="carry-ref" name="ref" value="a&amp;b">' in page
    assert "<label" not in page


# -- Integer, Decimal, Date, Boolean --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"), [("42", 42), (" 42 ", 42), ("+7", 7), ("-3", -3), ("007", 7)]
)
def test_integer_converts(text: str, value: int) -> None:
    assert clean(named(Integer()), text) == value


@pytest.mark.parametrize("text", ["4.5", "abc", "1e3", "٣", "1_000", "0x10", "- 3", "--3"])
def test_integer_refuses(text: str) -> None:
    assert message(named(Integer()), text) == "Enter a whole number."


def test_integer_bounds_and_size() -> None:
    assert message(named(Integer(minimum=0, maximum=150)), "151") == "Enter a number from 0 to 150."
    assert message(named(Integer(minimum=0)), "-1") == "Enter 0 or more."
    assert message(named(Integer(maximum=9)), "10") == "Enter 9 or less."
    assert clean(named(Integer(minimum=0, maximum=150)), "150") == 150
    assert message(named(Integer()), "9" * 5000) == "Enter a smaller number."
    # What SQLite's INTEGER holds, so the value can always be saved.
    assert clean(named(Integer()), str(2**63 - 1)) == 2**63 - 1
    assert clean(named(Integer()), str(-(2**63))) == -(2**63)
    assert message(named(Integer()), str(2**63)) == "Enter a smaller number."
    assert message(named(Integer()), str(-(2**63) - 1)) == "Enter a smaller number."
    assert clean(named(Integer(required=False))) is None
    assert message(named(Integer())) == "Fill in this field."


def test_decimal_converts_and_rounds_to_places() -> None:
    assert clean(named(Decimal()), "12.5") == D("12.5")
    assert clean(named(Decimal()), ".25") == D("0.25")
    value = clean(named(Decimal(places=2)), "12.5")
    assert value == D("12.50") and str(value) == "12.50"
    assert str(clean(named(Decimal(places=2)), "3.100")) == "3.10"
    assert message(named(Decimal(places=2)), "1.234") == "Use at most 2 decimal places."
    assert message(named(Decimal(places=1)), "1.25") == "Use at most 1 decimal place."
    assert message(named(Decimal(places=0)), "1.5") == "Enter a whole number."
    assert str(clean(named(Decimal(places=0)), "2.0")) == "2"


@pytest.mark.parametrize("text", ["1e5", "NaN", "Infinity", "1,5", "1.2.3", "abc", "."])
def test_decimal_refuses(text: str) -> None:
    assert message(named(Decimal()), text) == "Enter a number, like 12.5."


def test_decimal_bounds() -> None:
    field = named(Decimal(minimum=0, maximum=D("99.99"), places=2))
    assert message(field, "100") == "Enter a number from 0 to 99.99."
    assert message(field, "-0.01") == "Enter a number from 0 to 99.99."
    assert clean(field, "99.99") == D("99.99")


def test_date() -> None:
    field = named(Date())
    assert clean(field, "2024-02-29") == datetime.date(2024, 2, 29)
    for text in (
        "2023-02-29",
        "20240101",
        "2024-W01-1",
        "31/12/2024",
        "2024-1-1",
        "\uff12\uff10\uff12\uff14-01-01",
    ):
        assert message(field, text) == "Enter a date like 2024-12-31.", text
    bounded = named(Date(minimum=datetime.date(2024, 1, 1), maximum=datetime.date(2024, 12, 31)))
    assert message(bounded, "2025-01-01") == "Enter a date from 2024-01-01 to 2024-12-31."
    assert (
        message(named(Date(minimum=datetime.date(2024, 1, 1))), "2023-12-31")
        == "Enter a date on or after 2024-01-01."
    )


def test_date_default_may_be_a_function() -> None:
    class Appointment(Form):
        on = Date(default=datetime.date.today)

    assert Appointment().on.value == datetime.date.today()


def test_boolean() -> None:
    field = named(Boolean())
    assert clean(field) is False
    assert clean(field, "on") is True
    assert clean(field, "0", "1") is True  # a hidden "0" before the checkbox
    assert clean(field, "off") is False
    assert message(field, "maybe") == "Tick the box or leave it empty."
    assert message(named(Boolean(required=True))) == "Tick this box to continue."


# -- Choice, MultipleChoice -----------------------------------------------------------------------


def test_choice_from_pairs_gives_the_value() -> None:
    field = named(Choice([(1, "One"), (2, "Two")]))
    assert clean(field, "2") == 2
    assert message(field, "3") == "Choose one of the options."
    assert message(field) == "Choose an option."
    assert clean(named(Choice([(1, "One")], required=False)), "") is None


def test_choice_from_enum_gives_the_member() -> None:
    assert clean(named(Choice(Color)), "dark-blue") is Color.DARK_BLUE
    assert clean(named(Choice(Size)), "2") is Size.LARGE
    assert message(named(Choice(Color)), "DARK_BLUE") == "Choose one of the options."


def test_choice_select_rendering() -> None:
    class Pick(Form):
        csrf = False
        size = Choice(Size)
        color = Choice(Color, required=False, empty_label="(none)")

    page = to_str(Pick.from_record({"size": 2}).render())
    assert '<option value="2" selected>Large (L)</option>' in page
    assert '<option value="1">Small (S)</option>' in page
    # A required select with a value has no empty option; an optional one has one.
    assert page.count('<option value="">') == 1
    assert '<option value="">(none)</option>' in page
    assert '<option value="dark-blue">Dark blue</option>' in page
    assert "required" in element(page, "select", name="size")
    # Nothing chosen yet: the required select starts with the empty option.
    assert to_str(Pick().render()).count('<option value="">') == 2


def test_choice_radio_rendering() -> None:
    class Pick(Form):
        csrf = False
        color = Choice(Color, widget="radio")

    form = Pick({"color": "purple"})
    page = to_str(form.render())
    assert '<fieldset class="field choice required invalid" id="pick-color">' in page
    assert "<legend>Color</legend>" in page
    radio = element(page, "input", id="pick-color-1")
    assert radio["type"] == "radio" and radio["value"] == "dark-blue"
    assert radio["aria-invalid"] == "true" and radio["aria-describedby"] == "pick-color-error"
    assert "checked" not in radio
    page = to_str(Pick({"color": "red"}).render())
    assert "checked" in element(page, "input", id="pick-color-0")


def test_multiple_choice() -> None:
    field = named(MultipleChoice([(1, "One"), (2, "Two"), (3, "Three")]))
    assert clean(field, "3", "1", "3") == [1, 3]  # in the choices' order, no repeats
    assert clean(field) == []
    assert clean(field, "") == []  # a <select multiple> with nothing chosen
    assert message(field, "1", "4") == "Choose only from the options."
    assert message(named(MultipleChoice(Color, required=True))) == "Choose at least one."
    assert clean(named(MultipleChoice(Color)), "dark-blue") == [Color.DARK_BLUE]


def test_multiple_choice_widgets() -> None:
    class Tags(Form):
        csrf = False
        boxes = MultipleChoice(Color, required=True)
        listed = MultipleChoice(Color, widget="select", required=True)

    page = Tags(MultiDict([("boxes", "red"), ("listed", "red"), ("listed", "dark-blue")])).render()
    # No `required` on checkboxes: it would mean "tick every one".
    assert "required" not in element(page, "input", id="tags-boxes-0")
    assert "checked" in element(page, "input", id="tags-boxes-0")
    assert "checked" not in element(page, "input", id="tags-boxes-1")
    select = element(page, "select", name="listed")
    assert "multiple" in select and "required" in select
    assert to_str(page).count(" selected>") == 2


# -- File -----------------------------------------------------------------------------------------


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> UploadFile:
    return UploadFile("f", name, content_type, io.BytesIO(content))


def test_file() -> None:
    field = named(File(accept=[".pdf", "image/*"], max_size=10))
    photo = upload("me.PNG", b"12345", "image/png")
    assert field.clean([], [photo]) is photo
    assert field.clean([], [upload("a.pdf", b"x")]).filename == "a.pdf"
    with pytest.raises(Invalid, match=r"Choose a file of type \.pdf, image/\*\."):
        field.clean([], [upload("a.exe", b"x")])
    with pytest.raises(Invalid, match=re.escape("Choose a file of at most 10 bytes.")):
        field.clean([], [upload("a.pdf", b"x" * 11)])
    # An empty file input still sends a part with an empty name.
    with pytest.raises(Invalid, match=re.escape("Choose a file.")):
        field.clean([], [upload("", b"")])
    assert named(File(required=False)).clean([], [upload("", b"")]) is None
    # The name alone arrived as text: the page's form lacked the multipart encoding.
    with pytest.raises(Invalid, match="multipart/form-data"):
        field.clean(["me.png"], [])


def test_file_form_is_multipart_and_asks_for_the_file_again() -> None:
    class Avatar(Form):
        name = Text()
        photo = File(max_size=2 * 1024 * 1024, accept="image/png")

    assert Avatar().enctype == "multipart/form-data"
    page = to_str(Avatar().render())
    assert '<form method="post" enctype="multipart/form-data">' in page
    assert 'accept="image/png"' in page
    data = FormData([(CSRF_FIELD, csrf_token())], [("photo", upload("a.png", b"x", "image/png"))])
    form = Avatar(data)
    assert form.errors == {"name": "Fill in this field."}
    page = to_str(form.render())
    assert "Choose the file again" in page
    assert element(page, "input", name="photo")["aria-describedby"] == "avatar-photo-notice"
    assert "value" not in element(page, "input", name="photo")
    big = upload("big.png", b"x" * (2 * 1024 * 1024 + 1), "image/png")
    with pytest.raises(Invalid, match=re.escape("Choose a file of at most 2 MB.")):
        Avatar.photo.clean([], [big])


# -- rendering ------------------------------------------------------------------------------------

HOSTILE = "\"'><script>alert(1)</script>&amp;"


class Everything(Form):
    name = Text(max_length=80, min_length=2, pattern="[A-Za-z ]+", help="As on your passport.")
    age = Integer(minimum=0, maximum=150, required=False, attrs={"placeholder": "years"})
    price = Decimal(places=2, minimum=0, required=False)
    born = Date(required=False, maximum=datetime.date(2030, 1, 1))
    agree = Boolean(required=True, label="I agree")
    color = Choice(Color)
    tags = MultipleChoice([("a", "A"), ("b", "B")])
    notes = Memo(required=False, max_length=500, rows=3)


def test_validation_options_are_mirrored_as_attributes() -> None:
    page = Everything().render()
    name = element(page, "input", name="name")
    assert (name["type"], name["maxlength"], name["minlength"]) == ("text", "80", "2")
    assert "required" in name
    assert name["pattern"] == "[A-Za-z ]+"
    assert name["aria-describedby"] == "everything-name-help"
    age = element(page, "input", name="age")
    assert (age["type"], age["min"], age["max"], age["placeholder"]) == (
        "number",
        "0",
        "150",
        "years",
    )
    assert "required" not in age and "aria-invalid" not in age
    price = element(page, "input", name="price")
    assert (price["step"], price["min"]) == ("0.01", "0")
    born = element(page, "input", name="born")
    assert (born["type"], born["max"]) == ("date", "2030-01-01")
    agree = element(page, "input", name="agree")
    assert agree["type"] == "checkbox" and "required" in agree
    notes = element(page, "textarea", name="notes")
    assert (notes["rows"], notes["maxlength"]) == ("3", "500")
    for field in ("name", "age", "price", "born", "agree", "notes"):
        assert element(page, "label", **{"for": f"everything-{field}"})
        assert element(page, "input" if field != "notes" else "textarea", name=field)["id"] == (
            f"everything-{field}"
        )


def test_hostile_input_is_escaped_and_kept() -> None:
    data = MultiDict(
        [
            ("name", HOSTILE),
            ("age", HOSTILE),
            ("price", HOSTILE),
            ("born", HOSTILE),
            ("agree", "on"),
            ("color", HOSTILE),
            ("tags", HOSTILE),
            ("notes", "</textarea><script>x</script>"),
            (CSRF_FIELD, csrf_token()),
        ]
    )
    form = Everything(data)
    assert not form.valid
    page = to_str(form.render())
    assert "<script>" not in page
    # What the browser would send back is exactly what was typed (stripped like the field).
    again = submission(page)
    assert again["name"] == HOSTILE.strip()
    assert again["age"] == HOSTILE
    assert again["notes"] == "</textarea><script>x</script>"
    assert again["agree"] == "on"
    assert form.errors["age"] == "Enter a whole number."
    assert form.errors["color"] == "Choose one of the options."
    assert form.errors["tags"] == "Choose only from the options."
    age = element(page, "input", name="age")
    assert age["aria-invalid"] == "true"
    assert age["aria-describedby"] == "everything-age-error"
    assert '<p class="error" id="everything-age-error">Enter a whole number.</p>' in page
    assert '<li><a href="#everything-age">Age: Enter a whole number.</a></li>' in page
    assert 'class="field integer invalid"' in page


def test_hostile_labels_help_choices_and_attrs_are_escaped() -> None:
    class Nasty(Form):
        csrf = False
        x = Text(label=HOSTILE, help=HOSTILE, attrs={"placeholder": HOSTILE}, default=HOSTILE)
        y = Choice([(HOSTILE, HOSTILE)], widget="radio")
        z = MultipleChoice([(HOSTILE, HOSTILE)], widget="select")

    form = Nasty()
    form.add_error("x", HOSTILE)
    page = to_str(form.render(action=HOSTILE, submit=HOSTILE))
    assert "<script>" not in page
    browser = browse(page)
    texts = [
        attrs for tag, attrs in browser.elements if tag == "input" and attrs.get("name") == "x"
    ]
    assert texts[0]["placeholder"] == HOSTILE and texts[0]["value"] == HOSTILE
    assert element(page, "form")["action"] == HOSTILE
    assert element(page, "input", name="y")["value"] == HOSTILE
    assert page.count("&lt;script&gt;") >= 8


def test_render_returns_iolists_for_templates() -> None:
    form = Everything()
    rendered = form.render()
    assert isinstance(rendered, Rendered)
    assert any(isinstance(part, list) for part in rendered)  # nested, never joined
    assert isinstance(form.name.render(), Rendered)
    page = Template("<main>{form}</main>")(form=rendered)
    assert to_str(page) == f"<main>{to_str(rendered)}</main>"  # not escaped again
    nested = Template("<main>\n{.form}\n</main>")(form=rendered)
    assert any(part is rendered for part in nested)  # kept as a node
    # The form object and its fields work in templates too.
    parts = Template(
        '<form method="post">{form.csrf_field()}{form.name}'
        "{form.age.label_tag()}{form.age.widget()}{form.age.error}</form>"
    )
    bad = Everything(with_token(name="Ada", age="<old>"))
    out = to_str(parts(form=bad))
    assert out.count("<label") == 2
    assert "Enter a whole number." in out
    assert 'value="&lt;old&gt;"' in out
    assert to_str(Template("{form}")(form=bad)) == to_str(bad.render())


def test_render_parts_and_options() -> None:
    form = Everything()
    page = to_str(form.render("/save", submit="Send", attrs={"class": "wide", "novalidate": True}))
    assert page.startswith('<form method="post" action="/save" class="wide" novalidate>\n')
    assert page.endswith('<button type="submit">Send</button>\n</form>\n')
    assert "<button" not in to_str(form.render(submit=None))
    inside = to_str(form.render_fields())
    assert inside.startswith(f'<input type="hidden" name="_csrf" value="{csrf_token()}">')
    assert "<form" not in inside
    assert to_str(form.render_errors()) == ""
    with pytest.raises(ValueError, match="method"):
        form.render(attrs={"method": "get"})


def test_password_is_never_written_back() -> None:
    class Login(Form):
        user = Text()
        password = Text(input_type="password")

    form = Login({"user": "", "password": "s3cret", CSRF_FIELD: csrf_token()})
    page = to_str(form.render())
    assert "s3cret" not in page
    assert "Enter the password again." in page
    assert form.values["password"] == "s3cret"


# -- the Form class -------------------------------------------------------------------------------


class Contact(Form):
    name = Text(required=True, max_length=80)
    age = Integer(minimum=0, maximum=150, required=False)


def test_the_issue_spelling() -> None:
    empty = Contact()
    assert not empty.valid and not empty.bound and empty.errors == {}
    assert empty.values == {"name": "", "age": None}
    form = Contact(with_token(name="Ada", age="36"))
    assert form.valid and form.bound
    assert form.values == {"name": "Ada", "age": 36}
    assert form.errors == {}
    assert form.name.value == "Ada" and form.age.value == 36
    assert form["age"].value == 36
    assert [field.name for field in form] == ["name", "age"]
    bad = Contact(with_token(name="x" * 81, age="old"))
    assert not bad.valid
    assert bad.errors == {"name": "At most 80 characters.", "age": "Enter a whole number."}
    assert bad.values == {}
    with pytest.raises(ValueError, match="has no value"):
        bad.age.value  # noqa: B018
    page = to_str(bad.render())
    assert 'value="old"' in page and "At most 80 characters." in page
    assert Contact.name.name == "name" and isinstance(Contact.age, Integer)
    assert list(Contact.fields) == ["name", "age"]


def test_unknown_field_lookup_names_the_fields() -> None:
    with pytest.raises(KeyError, match="its fields: name, age"):
        Contact()["nmae"]


def test_kali_exposes_formlets() -> None:
    assert kali.formlets.Form is Form


def _declare(source: str) -> FormDefinitionError:
    namespace: dict[str, Any] = {"formlets": formlets, "datetime": datetime, "Color": Color}
    code = compile(source, "/app/forms_here.py", "exec")
    with pytest.raises(FormDefinitionError) as info:
        exec(code, namespace)
    return info.value


@pytest.mark.parametrize(
    ("body", "problem", "fix"),
    [
        ("_x = formlets.Text()", "starts with '_'", "rename it"),
        ("values = formlets.Text()", "taken by Form.values", "rename the field"),
        ("render = formlets.Integer()", "taken by Form.render", "rename the field"),
        (
            "age = formlets.Integer(maximum=150, default=200)",
            "fails the field's own validation: Enter 150 or less.",
            "change the default",
        ),
        ("x = formlets.Choice([])", "there are no choices", "give at least one"),
        ("x = formlets.Choice('abc')", "not a list of (value, label) pairs", "Enum"),
        ("x = formlets.Choice([('a', 'A'), ('a', 'B')])", "both sent as 'a'", "a value of its own"),
        ("x = formlets.Choice([('', 'None')])", "has an empty value", "required=False"),
        ("x = formlets.Choice(Color, default='green')", "is not one of the choices", "give one"),
        ("x = formlets.Integer(minimum=5, maximum=1)", "above maximum", "swap them"),
        ("x = formlets.Integer(default='abc')", "is not an int", "give an int"),
        ("x = formlets.Text(max_length=-1)", "not a number of characters", "at least 0"),
        ("x = formlets.Text(pattern='[')", "not a regular expression", "fix it"),
        ("x = formlets.Text(input_type='color')", "not a kind of text input", "email"),
        ("x = formlets.Text(attrs={'maxlength': '3'})", "writes itself", "max_length="),
        ("x = formlets.Text(attrs={'on click': 'x'})", "not an HTML attribute name", "spelling"),
        ("x = formlets.Text(messages={'too_long': 'x'})", "never uses", "'max_length'"),
        (
            "x = formlets.Decimal(places=2, default=__import__('decimal').Decimal('1.234'))",
            "decimal places",
            "change the default",
        ),
        ("x = formlets.Date(minimum=datetime.datetime(2024, 1, 1))", "is a datetime", ".date()"),
        ("x = formlets.File(accept='pdf')", "neither a suffix nor a media type", '".pdf"'),
        ("x = formlets.Memo(rows=0)", "not a number of lines", "rows=5"),
        ("x = formlets.Choice(Color, widget='list')", "not a way to draw", '"radio"'),
    ],
)
def test_declaration_errors_name_the_line_and_the_fix(body: str, problem: str, fix: str) -> None:
    error = _declare(f"class Broken(formlets.Form):\n    ok = formlets.Text()\n    {body}\n")
    text = str(error)
    assert problem in text
    assert "/app/forms_here.py:3" in text
    assert "fix:     " in text and fix in text.split("fix:", 1)[1]


def test_declaration_errors_about_the_class() -> None:
    text = str(_declare("class Twice(formlets.Form):\n    a = b = formlets.Text()\n"))
    assert "one field object is both 'a' and 'b'" in text and "forms_here.py:2" in text
    text = str(_declare("class Uncalled(formlets.Form):\n    a = formlets.Text\n"))
    assert "is the class Text, not a field" in text and "call it: a = Text()" in text
    text = str(
        _declare(
            "class Checked(formlets.Form):\n    a = formlets.Text()\n"
            "    def check(self):\n        return None\n"
        )
    )
    assert "Checked.check cannot be called as check(self, values)" in text
    assert "forms_here.py:3" in text


def test_declared_in_a_real_file_names_that_file(tmp_path: Path) -> None:
    source = tmp_path / "myforms.py"
    source.write_text(
        "from kali import formlets\n\nclass Signup(formlets.Form):\n"
        "    age = formlets.Integer(minimum=18, default=3)\n"
    )
    with pytest.raises(FormDefinitionError, match=r"myforms\.py:4"):
        exec(compile(source.read_text(), str(source), "exec"), {})


def test_subclasses_inherit_override_and_drop_fields() -> None:
    class Person(Form):
        name = Text()
        email = Text(input_type="email", required=False)
        phone = Text(required=False)

    class Employee(Person):
        email = Text(input_type="email")  # now required, same place
        phone = None  # type: ignore[assignment]
        badge = Integer()

    assert list(Employee.fields) == ["name", "email", "badge"]
    assert Employee.fields["email"].required
    assert Employee.id_prefix == "employee-"
    assert list(Person.fields) == ["name", "email", "phone"]


# -- cross-field checks, add_error ----------------------------------------------------------------


class Booking(Form):
    title = Text()
    start = Date()
    end = Date()

    def check(self, values: Mapping[str, object]) -> Mapping[str, str] | str | None:
        if self.end.value < self.start.value:
            return {"end": "The end must be on or after the start."}
        if self.title.value == "everything":
            return "Book one thing at a time."
        return None


def test_cross_field_check_attaches_to_a_field() -> None:
    form = Booking(with_token(title="Trip", start="2024-05-02", end="2024-05-01"))
    assert not form.valid
    assert form.errors == {"end": "The end must be on or after the start."}
    assert "end" not in form.values and form.values["start"] == datetime.date(2024, 5, 2)
    assert "The end must be on or after the start." in to_str(form.end.render())


def test_cross_field_check_about_the_whole_form() -> None:
    form = Booking(with_token(title="everything", start="2024-05-01", end="2024-05-01"))
    assert form.errors == {FORM_ERROR: "Book one thing at a time."}
    assert '<div class="form-errors" role="alert">\n<p>Book one thing at a time.</p>' in to_str(
        form.render()
    )


def test_cross_field_check_runs_only_when_every_field_is_valid() -> None:
    form = Booking(with_token(title="Trip", start="2024-05-02", end="not a date"))
    assert form.errors == {"end": "Enter a date like 2024-12-31."}  # no crash in check()
    assert Booking(with_token(title="Trip", start="2024-05-01", end="2024-05-09")).valid


def test_check_naming_an_unknown_field_is_a_developer_error() -> None:
    class Wrong(Form):
        a = Text()

        def check(self, values: Mapping[str, object]) -> Mapping[str, str]:
            return {"b": "No."}

    with pytest.raises(KeyError, match="Wrong has no field 'b'"):
        Wrong(with_token(a="x"))


def test_add_error_after_saving_fails() -> None:
    form = Contact(with_token(name="Ada"))
    assert form.valid
    form.add_error("name", "That name is taken.")
    assert not form.valid and form.errors == {"name": "That name is taken."}
    assert "That name is taken." in to_str(form.render())
    with pytest.raises(KeyError):
        form.add_error("nope", "x")


# -- CSRF -----------------------------------------------------------------------------------------


def test_csrf_token_is_rendered_and_stable() -> None:
    token = csrf_token()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert csrf_token() == token
    assert to_str(Contact().csrf_field()) == f'<input type="hidden" name="_csrf" value="{token}">\n'
    assert submission(Contact().render())[CSRF_FIELD] == token


@pytest.mark.parametrize("sent", [None, "", "forged", "é" * 43, "altered"])
def test_a_missing_or_wrong_token_makes_the_form_invalid(sent: str | None) -> None:
    if sent == "altered":  # the real token with its last character changed
        token = csrf_token()
        sent = token[:-1] + ("B" if token.endswith("A") else "A")
    data = {"name": "Ada", "age": "36"}
    if sent is not None:
        data[CSRF_FIELD] = sent
    form = Contact(data)
    assert not form.valid
    assert form.errors == {FORM_ERROR: Contact.csrf_message}
    assert form.values == {"name": "Ada", "age": 36}  # the input is still converted
    page = to_str(form.render())
    assert "This form has expired" in page
    # Drawn again with the current token and the input: sending it again works.
    assert Contact(submission(page)).valid


def test_fields_sent_without_the_token_field_tell_the_developer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="kali"):
        Contact({"name": "Ada", "age": "36"})  # a <form> written without csrf_field()
    [record] = caplog.records
    assert "Contact was sent without its '_csrf' field" in record.getMessage()
    assert "{form.csrf_field()}" in record.getMessage()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="kali"):
        Contact({"name": "Ada", "age": "36", CSRF_FIELD: "stale"})  # the app was restarted
        Contact({"name": "Ada", "age": "36", CSRF_FIELD: csrf_token()})
    assert caplog.records == []


def test_csrf_can_be_turned_off_and_get_forms_do_not_send_it() -> None:
    class Search(Form):
        csrf = False
        q = Text(required=False)

    assert Search({"q": "pens"}).valid
    assert to_str(Search().csrf_field()) == ""
    assert CSRF_FIELD not in to_str(Contact().render(method="get"))


# -- records --------------------------------------------------------------------------------------


class Entry(Form):
    title = Text()
    count = Integer(required=False)
    price = Decimal(places=2, required=False)
    due = Date(required=False)
    done = Boolean()
    color = Choice(Color, required=False)
    size = Choice(Size, required=False)
    tags = MultipleChoice(Color)
    notes = Memo(required=False)
    photo = File(required=False)


def test_record_and_from_record_round_trip_through_sqlite(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "entries.db")
    db.row_factory = sqlite3.Row
    db.execute(
        "create table entry (title text, count integer, price text, due text, done integer,"
        " color text, size integer, tags text, notes text)"
    )
    submitted = MultiDict(
        [
            ("title", "Pens"),
            ("count", "3"),
            ("price", "1.5"),
            ("due", "2024-06-30"),
            ("done", "on"),
            ("color", "dark-blue"),
            ("size", "2"),
            ("tags", "red"),
            ("tags", "dark-blue"),
            ("notes", "line 1\r\nline 2"),
            (CSRF_FIELD, csrf_token()),
        ]
    )
    form = Entry(submitted)
    assert form.valid, form.errors
    record = form.record()
    assert record == {
        "title": "Pens",
        "count": 3,
        "price": "1.50",
        "due": "2024-06-30",
        "done": 1,
        "color": "dark-blue",
        "size": 2,
        "tags": '["red", "dark-blue"]',
        "notes": "line 1\nline 2",
    }
    with db:
        db.execute(
            "insert into entry values (:title, :count, :price, :due, :done, :color, :size,"
            " :tags, :notes)",
            record,
        )
    row = db.execute("select * from entry").fetchone()
    again = Entry.from_record(row)
    assert again.values == {**form.values, "photo": None}
    assert again.price.value == D("1.50")
    assert again.size.value is Size.LARGE
    # Drawn and sent back by a browser, it gives the same values.
    resent = Entry(submission(again.render()))
    assert resent.valid and resent.values == form.values
    db.close()


def test_from_record_reads_mappings_objects_and_database_types() -> None:
    @dataclasses.dataclass
    class Thing:
        title: str
        done: bool
        due: datetime.datetime

    form = Entry.from_record(Thing("Pen", True, datetime.datetime(2024, 1, 2, 3, 4)))
    assert form.values["due"] == datetime.date(2024, 1, 2) and form.values["done"] is True
    form = Entry.from_record(
        {"title": "Pen", "price": 2.5, "due": "2024-01-02 10:00:00", "done": 0, "color": "red"}
    )
    assert form.price.value == D("2.50")
    assert form.due.value == datetime.date(2024, 1, 2)
    assert form.color.value is Color.RED
    assert form.count.value is None  # missing from the record: the default
    assert not form.bound and not form.valid and form.errors == {}
    # A stored value with more places than allowed is shown as it is, not rounded away.
    assert Entry.from_record({"title": "x", "price": "1.234"}).price.raw == ["1.234"]


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"count": "many"}, "the record's 'count' is 'many', which Integer cannot show"),
        ({"color": "green"}, "'green' is not one of the choices"),
        ({"tags": "red"}, "is not a JSON list"),
        ({"done": 7}, "an int is not a bool"),
        ({"due": "soon"}, "Enter a date"),
    ],
)
def test_from_record_refuses_what_a_field_cannot_show(
    record: dict[str, object], problem: str
) -> None:
    with pytest.raises(RecordError, match=re.escape(problem)):
        Entry.from_record({"title": "x", **record})


def test_record_of_an_invalid_form_is_refused() -> None:
    with pytest.raises(ValueError, match="not valid"):
        Contact(with_token(name="")).record()


# -- submit ---------------------------------------------------------------------------------------


def _page(form: Form) -> kali.typing.IoList:
    return Template("<main>{.form}</main>")(form=form.render())


def test_submit_saves_and_redirects() -> None:
    saved: list[dict[str, object]] = []

    def save(form: Contact) -> str:
        saved.append(form.values)
        return "/contacts"

    response = formlets.submit(Contact(with_token(name="Ada")), save=save, page=_page)
    assert response.status == 303 and response.get_header("Location") == "/contacts"
    assert saved == [{"name": "Ada", "age": None}]


def test_submit_redisplays_invalid_and_refused_forms() -> None:
    response = formlets.submit(Contact(with_token(name="")), save=pytest.fail, page=_page)
    assert response.status == 422
    assert "Fill in this field." in to_str(response.body)  # type: ignore[arg-type]

    def refuse(form: Contact) -> None:
        form.add_error("name", "That name is taken.")

    response = formlets.submit(Contact(with_token(name="Ada")), save=refuse, page=_page, status=200)
    assert response.status == 200
    assert "That name is taken." in to_str(response.body)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="returned None"):
        formlets.submit(Contact(with_token(name="Ada")), save=lambda form: None, page=_page)


# -- the whole round trip: GET, bad POST, good POST, over the test client and SQLite --------------

LAYOUT = Template(
    "<!doctype html><title>{title}</title>\n<h1>{title}</h1>\n{.form}\n",
)


def make_app(path: Path) -> kali.App:
    app = kali.App()

    def connect() -> sqlite3.Connection:
        db = sqlite3.connect(path)
        db.row_factory = sqlite3.Row
        return db

    with connect() as db:
        db.execute(
            "create table if not exists contact (id integer primary key, name text unique,"
            " age integer, kind text, newsletter integer)"
        )

    class Person(Form):
        name = Text(max_length=80)
        age = Integer(minimum=0, maximum=150, required=False)
        kind = Choice([("friend", "Friend"), ("work", "Work")], widget="radio")
        newsletter = Boolean(label="Send me the newsletter")

    def page(form: Person) -> kali.typing.IoList:
        return LAYOUT(title="Contact", form=form.render())

    @app.resource("/contact/<int:id>")
    class EditContact(kali.Resource):
        def get(self, request: kali.Request, id: int) -> kali.ResponseValue:
            with connect() as db:
                row = db.execute("select * from contact where id = ?", (id,)).fetchone()
            if row is None:
                raise kali.HTTPError(404)
            return page(Person.from_record(row))

        def post(self, request: kali.Request, id: int) -> kali.Response:
            def save(form: Person) -> str | None:
                db = connect()
                try:
                    with db:
                        db.execute(
                            "update contact set name = :name, age = :age, kind = :kind,"
                            " newsletter = :newsletter where id = :id",
                            {**form.record(), "id": id},
                        )
                except sqlite3.IntegrityError:
                    form.add_error("name", "Another contact has that name.")
                    return None
                finally:
                    db.close()
                return f"/contact/{id}"

            return formlets.submit(Person(request.form), save=save, page=page)

    @app.post("/contacts")
    def create(request: kali.Request) -> kali.Response:
        def save(form: Person) -> str:
            with connect() as db:
                cursor = db.execute(
                    "insert into contact (name, age, kind, newsletter)"
                    " values (:name, :age, :kind, :newsletter)",
                    form.record(),
                )
            return f"/contact/{cursor.lastrowid}"

        return formlets.submit(Person(request.form), save=save, page=page)

    return app


def test_round_trip_over_the_test_client(tmp_path: Path) -> None:
    path = tmp_path / "contacts.db"
    client = TestClient(make_app(path))
    created = client.post(
        "/contacts", data=with_token(name="Ada", age="36", kind="friend", newsletter="on")
    )
    assert created.status == 303
    location = created.headers["location"]
    assert location == "/contact/1"
    client.post("/contacts", data=with_token(name="Bob", kind="work"))

    # GET: the form filled from the record.
    shown = client.get(location)
    assert shown.status == 200
    sent = submission(shown.text)
    assert sent["name"] == "Ada" and sent["age"] == "36" and sent["kind"] == "friend"
    assert sent["newsletter"] == "on" and sent[CSRF_FIELD] == csrf_token()

    # A bad POST: shown again with messages, the user's input kept, nothing saved.
    bad = client.post(location, data=with_token(name="<Ada>", age="two hundred", kind="work"))
    assert bad.status == 422
    assert "Enter a whole number." in bad.text
    assert 'aria-invalid="true"' in bad.text
    kept = submission(bad.text)
    assert kept["name"] == "<Ada>" and kept["age"] == "two hundred" and kept["kind"] == "work"
    assert "newsletter" not in kept
    assert "&lt;Ada&gt;" in bad.text and "<Ada>" not in bad.text

    # A POST the database refuses (a duplicate name): shown again with the message.
    taken = client.post(location, data=with_token(name="Bob", kind="work"))
    assert taken.status == 422 and "Another contact has that name." in taken.text

    # A POST from a page left open across a restart (an old token).
    stale = client.post(location, data={"name": "Ada", "kind": "work", CSRF_FIELD: "old"})
    assert stale.status == 422 and "This form has expired" in stale.text

    # The good POST: saved, then redirected (POST/redirect/GET).
    resubmitted = {**kept, "age": "37"}
    good = client.post(location, data=dict(resubmitted))
    assert good.status == 303 and good.headers["location"] == location
    other = sqlite3.connect(path)  # a second connection sees the committed change
    assert other.execute(
        "select name, age, kind, newsletter from contact where id = 1"
    ).fetchone() == (
        "<Ada>",
        37,
        "work",
        0,
    )
    other.close()
    after = submission(client.get(location).text)
    assert after["name"] == "<Ada>" and after["age"] == "37"
    assert client.get("/contact/99").status == 404


def test_round_trip_with_an_upload() -> None:
    app = kali.App()
    stored: dict[str, bytes] = {}

    class Attach(Form):
        title = Text()
        document = File(accept=".txt", max_size=100)

    def page(form: Attach) -> kali.typing.IoList:
        return form.render()

    @app.post("/attach")
    def attach(request: kali.Request) -> kali.Response:
        def save(form: Attach) -> str:
            stored[form.document.value.filename] = form.document.value.read()
            return "/done"

        return formlets.submit(Attach(request.form), save=save, page=page)

    client = TestClient(app)
    good = client.post(
        "/attach", data=with_token(title="Notes"), files={"document": ("a.txt", b"hello")}
    )
    assert good.status == 303 and stored == {"a.txt": b"hello"}
    bad = client.post("/attach", data=with_token(title=""), files={"document": ("a.txt", b"x")})
    assert bad.status == 422 and "Choose the file again" in bad.text
    wrong = client.post("/attach", data=with_token(title="x", document="a.txt"))
    assert wrong.status == 422 and "multipart/form-data" in wrong.text


# -- properties: what renders parses back; any input gives a value or a message -------------------

_printable = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r\n"), max_size=40
)
_memo_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60).map(
    lambda t: re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", t)
)

FIELDS_AND_VALUES: list[tuple[formlets.Field[Any], st.SearchStrategy[Any]]] = [
    (Text(required=False, strip=False), _printable),
    (Text(required=False), _printable.map(str.strip)),
    (Memo(required=False, strip=False), _memo_text.map(lambda t: t.replace("\r", ""))),
    (Integer(required=False), st.none() | st.integers(-(2**63), 2**63 - 1)),
    (
        Decimal(required=False),
        st.none()
        | st.decimals(
            allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9
        ),
    ),
    (
        Decimal(places=2),
        st.decimals(
            allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9
        ),
    ),
    (Date(required=False), st.none() | st.dates()),
    (Boolean(), st.booleans()),
    (
        Choice([(1, "One"), (2, "Two"), (30, "Thirty")], required=False),
        st.sampled_from([None, 1, 2, 30]),
    ),
    (Choice(Color, widget="radio"), st.sampled_from(Color)),
    (Choice(Size), st.sampled_from(Size)),
    (
        MultipleChoice(Color),
        st.lists(st.sampled_from(Color), unique=True).map(
            lambda v: sorted(v, key=list(Color).index)
        ),
    ),
    (
        MultipleChoice([(n, str(n)) for n in range(5)], widget="select"),
        st.lists(st.integers(0, 4), unique=True).map(sorted),
    ),
    (Hidden(), _printable),
]


def _form_with(field: formlets.Field[Any]) -> type[Form]:
    return type("One", (Form,), {"csrf": False, "f": field})  # type: ignore[return-value]


def _same(a: object, b: object) -> bool:
    return a == b and type(a) is type(b) and str(a) == str(b)


@pytest.mark.parametrize(
    ("field", "values"), FIELDS_AND_VALUES, ids=[type(f).__name__ for f, _ in FIELDS_AND_VALUES]
)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_what_renders_parses_back_to_the_same_value(
    field: formlets.Field[Any], values: st.SearchStrategy[Any], data: st.DataObject
) -> None:
    form_class = _form_with(field)
    value = data.draw(values)
    shown = form_class.from_record({"f": value})
    # Through the HTML: what a browser would send from the drawn form...
    back = form_class(submission(shown.render()))
    assert back.valid, back.errors
    assert _same(back.f.value, value), (value, back.f.value)
    # ...and directly: the strings the field shows for the value.
    assert _same(field.clean(field.show(value), []), value)


@pytest.mark.parametrize(
    ("field", "values"), FIELDS_AND_VALUES, ids=[type(f).__name__ for f, _ in FIELDS_AND_VALUES]
)
@settings(max_examples=60, deadline=None)
@given(raw=st.lists(st.text(max_size=30), max_size=3))
def test_any_input_gives_a_value_or_a_message(
    field: formlets.Field[Any], values: st.SearchStrategy[Any], raw: list[str]
) -> None:
    form = _form_with(field)(MultiDict([("f", text) for text in raw]))
    if form.valid:
        value = form.f.value
        # A value the field accepted is drawn and parsed back to itself.
        assert _same(field.clean(field.show(value), []), value)
    else:
        assert isinstance(form.errors["f"], str) and form.errors["f"].endswith(".")
    page = form.render()  # drawing it, input kept, never fails
    assert all(tag != "script" for tag, _attrs in browse(page).elements)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_any_text_typed_into_a_text_field_comes_back_in_the_page(text: str) -> None:
    class Note(Form):
        csrf = False
        body = Text(required=False, strip=False)
        memo = Memo(required=False, strip=False)

    form = Note({"body": text, "memo": text})
    sent = submission(form.render())
    if "\r" not in text and "\n" not in text and "\x00" not in text:
        assert sent["body"] == text
    if "\r" not in text and "\x00" not in text:
        assert sent["memo"] == text
