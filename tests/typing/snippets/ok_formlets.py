"""Correct use of kali.formlets: must pass mypy --strict, with the value types below."""

from __future__ import annotations

import datetime
import decimal
import enum
from collections.abc import Mapping
from typing import Any, assert_type

import kali
from kali import formlets
from kali.forms import UploadFile
from kali.templating import Rendered


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Contact(kali.formlets.Form):
    name = kali.formlets.Text(required=True, max_length=80)
    age = kali.formlets.Integer(minimum=0, maximum=150, required=False)
    count = formlets.Integer()
    price = formlets.Decimal(places=2)
    maybe_price = formlets.Decimal(required=False)
    born = formlets.Date(required=False, maximum=datetime.date(2030, 1, 1))
    due = formlets.Date(default=datetime.date.today)
    ok = formlets.Boolean()
    color = formlets.Choice(Color)
    maybe_color = formlets.Choice(Color, required=False, widget="radio")
    number = formlets.Choice([(1, "One"), (2, "Two")])
    tags = formlets.MultipleChoice(Color)
    ids = formlets.MultipleChoice([(1, "One")], widget="select")
    notes = formlets.Memo(required=False)
    photo = formlets.File(required=False, accept=".png")
    document = formlets.File()
    ref = formlets.Hidden()

    def check(self, values: Mapping[str, object]) -> Mapping[str, str] | str | None:
        if self.count.value > 3 and self.age.value is None:
            return {"age": "Give the age too."}
        return None


def use(data: kali.FormData) -> None:
    form = Contact(data)
    assert_type(form.valid, bool)
    assert_type(form.values, dict[str, object])
    assert_type(form.errors, dict[str, str])
    assert_type(form.render(), Rendered)
    assert_type(form.name.value, str)
    assert_type(form.age.value, int | None)
    assert_type(form.count.value, int)
    assert_type(form.price.value, decimal.Decimal)
    assert_type(form.maybe_price.value, decimal.Decimal | None)
    assert_type(form.born.value, datetime.date | None)
    assert_type(form.due.value, datetime.date)
    assert_type(form.ok.value, bool)
    assert_type(form.color.value, Color)
    assert_type(form.maybe_color.value, Color | None)
    assert_type(form.number.value, int)
    assert_type(form.tags.value, list[Color])
    assert_type(form.ids.value, list[int])
    assert_type(form.notes.value, str)
    assert_type(form.photo.value, UploadFile | None)
    assert_type(form.document.value, UploadFile)
    assert_type(form.ref.value, str)
    assert_type(form["name"], formlets.BoundField[Any])
    assert_type(Contact.age, formlets.Integer[int | None])
    assert_type(Contact.from_record({"name": "Ada"}), Contact)
    assert_type(form.name.render(), Rendered)


def page(form: Contact) -> kali.ResponseValue:
    return form.render()


def save(form: Contact) -> str | None:
    return "/contacts"


def post(request: kali.Request) -> kali.Response:
    return formlets.submit(Contact(request.form), save=save, page=page)
