"""The routes of a ``Resource`` class, as ``kali.resource.resource_methods`` finds them.

Every public attribute whose name is a verb (``get``) or a verb and an action
(``get_edit``) is a route, on the resource's path or on ``path/action``. The
runtime takes any callable attribute of the instance; the plugin takes the
methods (not properties, nested classes or attributes holding callables,
which it leaves unchecked).
"""

from __future__ import annotations

from dataclasses import dataclass

from mypy.nodes import Decorator, FuncDef, OverloadedFuncDef, TypeInfo
from mypy.subtypes import find_member
from mypy.types import Instance, Type
from mypy.typevars import fill_typevars_with_any

from kali.resource import VERBS

_NOT_ROUTES = frozenset({"builtins.object", "kali.resource.Resource"})
"""Classes whose attributes are not routes: ``Resource`` declares its verbs for mypy only."""


@dataclass(frozen=True)
class ResourceMethod:
    """One route of a resource: ``GET path/edit`` for ``get_edit``."""

    verb: str
    action: str | None
    attribute: str
    type: Type  # the bound method, as the runtime calls it

    def path(self, base: str) -> str:
        return base if self.action is None else base.rstrip("/") + "/" + self.action


def resource_methods(info: TypeInfo) -> list[ResourceMethod]:
    """The handler methods of the resource class ``info``, sorted by name as at runtime."""
    instance = fill_typevars_with_any(info)
    if not isinstance(instance, Instance):
        return []
    names = {name for base in info.mro if base.fullname not in _NOT_ROUTES for name in base.names}
    found = []
    for attribute in sorted(names):
        verb, sep, action = attribute.partition("_")
        if attribute.startswith("_") or verb not in VERBS or (sep and not action):
            continue
        symbol = info.get(attribute)
        node = symbol.node if symbol is not None else None
        if isinstance(node, Decorator) and node.var.is_property:
            continue
        if not isinstance(node, (FuncDef, OverloadedFuncDef, Decorator)):
            continue
        method = find_member(attribute, instance, instance)
        if method is not None:
            found.append(ResourceMethod(verb.upper(), action or None, attribute, method))
    return found


__all__ = ["ResourceMethod", "resource_methods"]
