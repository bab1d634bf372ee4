"""Class-based handlers: which methods of a Resource are handlers."""

from __future__ import annotations

from kali import Request, Resource
from kali.resource import resource_methods


class Task(Resource):
    def get(self, request: Request, id: int) -> str:
        return ""

    def post_edit(self, request: Request, id: int) -> str:
        return ""

    def delete(self, request: Request, id: int) -> str:
        return ""

    def _helper(self) -> None: ...

    def summary(self) -> str:  # not a verb: not a handler
        return ""

    def get_(self) -> None: ...  # a verb and an empty action: not a handler


def test_verbs_and_actions_are_found_in_name_order() -> None:
    found = [(verb, action, method.__name__) for verb, action, method in resource_methods(Task())]
    assert found == [
        ("DELETE", None, "delete"),
        ("GET", None, "get"),
        ("POST", "edit", "post_edit"),
    ]


def test_methods_are_bound_to_the_one_instance() -> None:
    task = Task()
    assert all(method.__self__ is task for _, _, method in resource_methods(task))
