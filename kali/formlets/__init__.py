"""kali.formlets: typed form fields that convert, validate, and draw themselves.

A field converts between the strings a browser sends and a Python value, checks it, and draws
its HTML with the user's input and the message kept when the input is refused. A
[`Form`][kali.formlets.Form] declares fields as class attributes:

```python
import kali
from kali import formlets

class Contact(formlets.Form):
    name = formlets.Text(max_length=80)
    age = formlets.Integer(minimum=0, maximum=150, required=False)

form = Contact(request.form)   # or Contact(), or Contact.from_record(row)
if form.valid:
    db.execute("update contact set name = :name, age = :age", form.record())
form.render()                  # the <form> as an iolist, messages and input kept
```

The fields: [`Text`][kali.formlets.Text], [`Memo`][kali.formlets.Memo],
[`Integer`][kali.formlets.Integer], [`Decimal`][kali.formlets.Decimal],
[`Date`][kali.formlets.Date], [`Boolean`][kali.formlets.Boolean],
[`Choice`][kali.formlets.Choice], [`MultipleChoice`][kali.formlets.MultipleChoice],
[`File`][kali.formlets.File], [`Hidden`][kali.formlets.Hidden]. See `docs/formlets.md`.

Modules, by role: `field` (the base class and the bound field), `text`, `scalars`, `choices`,
`files` (the field types), `form` (the form and its CSRF token), `workflow` (`submit`), `errors`.
"""

from .choices import Choice as Choice
from .choices import MultipleChoice as MultipleChoice
from .errors import FormDefinitionError as FormDefinitionError
from .errors import Invalid as Invalid
from .errors import RecordError as RecordError
from .field import MISSING as MISSING
from .field import AttrValue as AttrValue
from .field import BoundField as BoundField
from .field import Field as Field
from .field import SQLValue as SQLValue
from .files import File as File
from .form import CSRF_FIELD as CSRF_FIELD
from .form import FORM_ERROR as FORM_ERROR
from .form import Form as Form
from .form import csrf_token as csrf_token
from .scalars import Boolean as Boolean
from .scalars import Date as Date
from .scalars import Decimal as Decimal
from .scalars import Integer as Integer
from .text import Hidden as Hidden
from .text import Memo as Memo
from .text import Text as Text
from .workflow import submit as submit

__all__ = [
    "CSRF_FIELD",
    "FORM_ERROR",
    "MISSING",
    "AttrValue",
    "Boolean",
    "BoundField",
    "Choice",
    "Date",
    "Decimal",
    "Field",
    "File",
    "Form",
    "FormDefinitionError",
    "Hidden",
    "Integer",
    "Invalid",
    "Memo",
    "MultipleChoice",
    "RecordError",
    "SQLValue",
    "Text",
    "csrf_token",
    "submit",
]
