"""What goes wrong with forms, split by whose mistake it is.

* [`Invalid`][kali.formlets.Invalid]: the *user's* input does not convert or validate. It is
  caught by the form and becomes a message shown next to the field; it never reaches the
  browser as an error status.
* [`FormDefinitionError`][kali.formlets.FormDefinitionError]: the *developer* declared a field
  or a form that cannot work (a choice without choices, a default that fails its own
  validation, a field named `_x`). It is raised when the class is defined, that is when the
  module is imported, and its message reads problem / field (file:line) / fix, like the routing
  errors.
* [`RecordError`][kali.formlets.RecordError]: a record given to
  [`Form.from_record`][kali.formlets.Form.from_record] holds a value the field cannot show.
"""

from __future__ import annotations

from ..errors import ConfigurationError

__all__ = [
    "FormDefinitionError",
    "Invalid",
    "RecordError",
    "a_type",
    "definition_error",
]


class Invalid(Exception):
    """The user's input is not acceptable; `message` says why, in words for the user.

    Raised by a field's conversion and validation methods (and by custom fields); the form
    catches it and shows the message next to the field.

    Args:
        message: the sentence shown to the user, e.g. `"Enter a whole number."`.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FormDefinitionError(ConfigurationError, ValueError):
    """A field or a form is declared in a way that cannot work.

    Raised while the class is being defined (at import time), never while a request is served.
    """


class RecordError(ValueError):
    """A record passed to [`Form.from_record`][kali.formlets.Form.from_record] holds a value
    that its field cannot display (a text in an integer column, an unknown choice...)."""


def a_type(value: object) -> str:
    """`"an int"`, `"a str"`: the type of `value` with its article, for messages."""
    name = type(value).__name__
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def definition_error(problem: str, *, where: str, fix: str = "") -> FormDefinitionError:
    """A [`FormDefinitionError`][kali.formlets.FormDefinitionError] whose message reads
    problem, field (file:line), fix."""
    parts = [problem, f"  field:   {where}"]
    if fix:
        parts.append(f"  fix:     {fix}")
    return FormDefinitionError("\n".join(parts))
