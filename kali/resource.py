"""Class-based handlers: one method per HTTP verb, plus named actions.

    @app.resource("/task/<int:id>")
    class Task(Resource):
        def get(self, request: Request, id: int) -> str: ...        # GET    /task/3
        def delete(self, request: Request, id: int) -> Response: ...  # DELETE /task/3
        def get_edit(self, request: Request, id: int) -> str: ...   # GET    /task/3/edit
        def post_edit(self, request: Request, id: int) -> Response: ...  # POST /task/3/edit

The class is instantiated **once, when it is registered**, without arguments
(pass an instance to [`App.add_resource`][kali.App.add_resource] to
choose the arguments). Every request is then a call of a bound method of that
one instance, so attributes set in `__init__` live as long as the app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .typing import ResponseValue

if TYPE_CHECKING:
    from .request import Request

VERBS: tuple[str, ...] = ("get", "post", "put", "patch", "delete", "head", "options")
"""Method names that handle a verb; `<verb>_<action>` handles a named action."""


class Resource:
    """Base class of class-based handlers (see `kali.resource`).

    Define `get`, `post`, `put`, `patch`, `delete` (and rarely
    `head`, `options`), each taking `(self, request, <path parameters>,
    <query parameters>)`. A method named `<verb>_<action>` answers
    `<verb> <path>/<action>`. Other public methods whose name starts with a
    verb and `_` are taken as actions too, so name helpers `_like_this`.

    The declarations below exist for the type checker only: they make mypy
    check each method's arguments (the request first) and return type.
    """

    if TYPE_CHECKING:

        def get(self, request: Request, /, *args: Any, **kwargs: Any) -> ResponseValue: ...
        def post(self, request: Request, /, *args: Any, **kwargs: Any) -> ResponseValue: ...
        def put(self, request: Request, /, *args: Any, **kwargs: Any) -> ResponseValue: ...
        def patch(self, request: Request, /, *args: Any, **kwargs: Any) -> ResponseValue: ...
        def delete(self, request: Request, /, *args: Any, **kwargs: Any) -> ResponseValue: ...
        def head(self, request: Request, /, *args: Any, **kwargs: Any) -> ResponseValue: ...
        def options(self, request: Request, /, *args: Any, **kwargs: Any) -> ResponseValue: ...


def resource_methods(resource: object) -> list[tuple[str, str | None, Any]]:
    """`(VERB, action or None, bound method)` for each handler method of `resource`."""
    found: list[tuple[str, str | None, Any]] = []
    cls = type(resource)
    for attr in sorted(dir(cls)):
        if attr.startswith("_"):
            continue
        verb, sep, action = attr.partition("_")
        if verb not in VERBS or (sep and not action):
            continue
        method = getattr(resource, attr)
        if callable(method):
            found.append((verb.upper(), action or None, method))
    return found


__all__ = ["VERBS", "Resource", "resource_methods"]
