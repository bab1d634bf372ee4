"""Misuse of kali.formlets that mypy --strict must reject."""

from __future__ import annotations

from kali import formlets


class Contact(formlets.Form):
    name = formlets.Text(max_length=80)
    age = formlets.Integer(minimum=0, required=False)
    count = formlets.Integer(minimun=3)  # E: Unexpected keyword argument "minimun"
    when = formlets.Date(minimum=3)  # E: No overload variant of "Date" matches argument type


def use(form: Contact) -> int:
    total: int = form.age.value  # E: Incompatible types in assignment
    return total + form.name.value  # E: Unsupported operand types for + ("int" and "str")


def page(form: Contact) -> str:
    return ""


def wrong_save(form: Contact) -> int:
    return 3


def post(form: Contact) -> None:
    formlets.submit(form, save=wrong_save, page=page)  # E: Argument "save" to "submit"
