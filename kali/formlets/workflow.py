"""The formlet workflow's POST half: validate, then save and redirect, or show the form again.

```python
@app.resource("/contact/<int:id>")
class EditContact(kali.Resource):
    def get(self, request: kali.Request, id: int) -> kali.ResponseValue:
        return page(Contact.from_record(find(id)))

    def post(self, request: kali.Request, id: int) -> kali.Response:
        return submit(Contact(request.form), page=page, save=lambda form: save(id, form))
```
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..response import Response
from ..typing import ResponseValue
from .form import Form

__all__ = ["submit"]

_F = TypeVar("_F", bound=Form)


def submit(
    form: _F,
    *,
    save: Callable[[_F], str | Response | None],
    page: Callable[[_F], ResponseValue],
    status: int = 422,
) -> Response:
    """Answer a submitted form: save it and redirect, or show it again with its messages.

    When the form is valid, `save(form)` is called. It returns the URL to go to next, which is
    answered with `303 See Other` (POST/redirect/GET: reloading the next page does not send the
    form again), or a [`Response`][kali.Response] of its own. To refuse the form after all (the
    database says the name is taken), it calls `form.add_error(...)` and returns `None`.

    When the form is not valid, or `save` refused it, `page(form)` draws the page again: the
    user's input is kept and each message is next to its field. The answer's status is `status`,
    422 Unprocessable Content by default (browsers show the page as usual; tests and tools see
    that the submission failed). A [`Response`][kali.Response] from `page` is returned as it is.

    Args:
        form: the submitted form, `Contact(request.form)`.
        save: stores the values; returns a URL, a response, or `None` after `add_error`.
        page: draws the page around the form.
        status: the status of the page shown again (200 works too).

    Raises:
        TypeError: `save` returned `None` without adding a message (so nothing tells the
            user why the form came back).
    """
    if form.valid:
        outcome = save(form)
        if isinstance(outcome, str):
            return Response.redirect(outcome, 303)
        if isinstance(outcome, Response):
            return outcome
        if form.valid:
            raise TypeError(
                f"save() returned {outcome!r} for a valid {type(form).__qualname__}: return the "
                "URL to redirect to, a Response, or call form.add_error(...) and return None"
            )
    body = page(form)
    if isinstance(body, Response):
        return body
    return Response(body, status, content_type="text/html; charset=utf-8")
