"""What the plugin can know of an app at a route: one walk of the module.

A pattern such as ``/report-<date:day>.pdf`` names a converter that the app
may have been given anywhere: in ``App(converters=...)``, by
``app.add_converter``, in another module, in a loop. The plugin must never
report an error the runtime would not raise, so it says "unknown converter"
only when it sees every way the app could have received one. That is the
case when the app is a variable of this module (or of a function in it):

- assigned once, from a direct ``App(...)`` call whose ``converters=`` is
  absent or a dict display with string keys;
- used only as ``app.attribute`` or ``app.method(...)`` before the route: not
  passed to a function, aliased, returned or reassigned, which would let other
  code add converters (what the function or module does with it in later
  statements cannot matter to the route), and every ``app.add_converter(...)``
  names its converter with a string literal;
- for a module-level app, the route is registered at import time (not in a
  function body, which could run after another module added converters).

"Before" is told by statements: a use is before the route unless it is in a
later statement of the scope (module or function) that holds the app, so a
use in a function defined earlier counts as before, since it may be called
before the route.

Such an app is *closed*: a name it does not know is reported, and a name it
was given with one converter class is checked against that class. Any other
app is *open*: built-in names are checked (unless this module may replace
them), other names are taken on trust. The walk is done once per module, and
only in modules that use kali's routes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mypy.nodes import (
    ARG_NAMED,
    ARG_POS,
    AssignmentStmt,
    CallExpr,
    Decorator,
    DictExpr,
    Expression,
    FuncDef,
    LambdaExpr,
    ListExpr,
    MemberExpr,
    MypyFile,
    NameExpr,
    OverloadedFuncDef,
    RefExpr,
    StrExpr,
    TupleExpr,
    Var,
)

APP = "kali.app.App"
ROUTE_DECORATORS = frozenset({"get", "post", "put", "patch", "delete", "route"})
"""App methods that register a route on their receiver (and so need its converters)."""


@dataclass
class Registration:
    """One converter given to an app: its name (``None`` when not a literal) and class."""

    name: str | None
    converter: Expression | None


Place = tuple[tuple[int, int], ...]
"""Where a node is: for each scope around it (the module, then each function), the scope's id and
the line of the scope's statement that holds the node.
"""


@dataclass
class AppFacts:
    """What the module says about one variable that holds an app."""

    assignments: list[tuple[Expression, Place]] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    # Where it is used otherwise than as app.attribute / app.method(...):
    escapes: list[Place] = field(default_factory=list)


@dataclass
class Known:
    """An app's converters as the plugin knows them at a route.

    ``names`` maps a converter name to the converter expressions it may stand
    for (``None``: the built-in one); ``closed`` says whether that list is
    complete, so that a missing name is a certain error.
    """

    closed: bool
    names: dict[str, list[Expression | None]]


class ModuleFacts:
    """The walk: app variables, converter registrations, route tables, handler uses.

    mypy's own visitors cannot be subclassed by an interpreted plugin, so the
    walk is written here, iteratively (deep expressions do not recurse). A
    node it does not know makes the module *opaque*: every app is then open
    and ``url_for`` goes unchecked, which is never wrong.
    """

    def __init__(self, tree: MypyFile) -> None:
        self.tree = tree
        self.defs = tree.defs  # what was walked (the daemon replaces it when the file changes)
        self.apps: dict[Var, AppFacts] = {}
        # Every registration in the module, on any receiver: may replace a built-in.
        self.any_registration: list[Registration] = []
        self.places: dict[int, Place] = {}  # id(call) -> where the call is
        # id(route decorator) -> id of the function it registers, when only route
        # decorators stand between them (so the function's body cannot run before).
        self.decorated: dict[int, int] = {}
        self.table_owner: dict[int, CallExpr | Var] = {}  # Route(...) call -> App(...) / app
        self.defined: set[Decorator] = set()  # decorated functions defined in this module
        self.handler_escaped: set[object] = set()  # ... used otherwise than f(...)/url_for(f)
        self.opaque = False
        self.views: dict[tuple[str, str], Any] = {}
        """Converter classes as the plugin read them, for this module (see routes.parse_route)."""
        self._known: dict[tuple[int, bool], Known] = {}
        self._walk(tree)

    # -- what the facts say -------------------------------------------------

    def known_at(self, receiver: Expression | None, call: Expression) -> Known:
        """The converters of the app ``receiver`` as the route ``call`` sees them."""
        if self.opaque:
            return self._open()
        owner = self.table_owner.get(id(call))
        if isinstance(owner, CallExpr):
            return self._cached(owner, True, lambda: self._of_constructor(owner))
        var = owner if isinstance(owner, Var) else None
        if var is None and isinstance(receiver, NameExpr) and isinstance(receiver.node, Var):
            var = receiver.node
        if var is None:
            return self._cached(None, False, self._open)
        found = var
        closed = self._closed_at(var, call)
        return self._cached(
            var, closed, lambda: self._of_variable(found) if closed else self._open()
        )

    def _cached(self, key: object, closed: bool, make: Callable[[], Known]) -> Known:
        known = self._known.get((id(key), closed))
        if known is None:
            known = self._known[(id(key), closed)] = make()
        return known

    def _closed_at(self, var: Var, call: Expression) -> bool:
        """Whether every use of ``var`` that could give the app converters is visible and
        comes after the route ``call`` (or in the body of the handler it registers)."""
        route = self.places.get(id(call), ())
        facts = self.apps.get(var)
        if facts is None or len(facts.assignments) != 1 or not route:
            return False
        value, assigned = facts.assignments[0]
        if not (isinstance(value, CallExpr) and _refers_to(value.callee, APP)):
            return False
        if any(r.name is None for r in facts.registrations):
            return False
        scope = assigned[-1][0]
        if route[-1][0] != scope:
            # The route is in a function that may run at any time: no use may escape, and
            # for a module-level app, not even from another module.
            return not facts.escapes and not self._is_module_level(var)
        line = route[-1][1]
        handler = self.decorated.get(id(call), -1)
        return all(
            _line_in(escape, scope) > line or _line_in(escape, handler) >= 0
            for escape in facts.escapes
        )

    def _of_constructor(self, call: CallExpr) -> Known:
        given = constructor_registrations(call)
        if given is None:
            return self._open()
        names: dict[str, list[Expression | None]] = {name: [None] for name in _builtins()}
        for registration in given:
            assert registration.name is not None
            names[registration.name] = [registration.converter]
        return Known(closed=True, names=names)

    def _of_variable(self, var: Var) -> Known:
        """The converters of a closed app: its constructor's, and every add_converter's."""
        facts = self.apps[var]
        value = facts.assignments[0][0]
        assert isinstance(value, CallExpr)
        known = self._of_constructor(value)
        if not known.closed:
            return self._open()
        for registration in facts.registrations:
            assert registration.name is not None
            known.names.setdefault(registration.name, []).append(registration.converter)
        return known

    def _open(self) -> Known:
        """Built-in names, unless this module may replace one; other names unknown."""
        if self.opaque or any(r.name is None for r in self.any_registration):
            return Known(closed=False, names={})
        replaced = {r.name for r in self.any_registration}
        return Known(closed=False, names={n: [None] for n in _builtins() if n not in replaced})

    def _is_module_level(self, var: Var) -> bool:
        symbol = self.tree.names.get(var.name)
        return symbol is not None and symbol.node is var

    # -- the walk -------------------------------------------------------------

    def _walk(self, tree: MypyFile) -> None:
        stack: _Stack = [(d, ((id(tree), d.line),)) for d in tree.defs]
        while stack:
            value, place = stack.pop()
            if value is None or isinstance(value, (str, int, float, complex, bool, bytes)):
                continue
            if isinstance(value, (list, tuple)):
                stack.extend((item, place) for item in value)
                continue
            if isinstance(value, dict):
                stack.extend((item, place) for item in value.values())
                continue
            kind = type(value).__name__
            special = _SPECIAL.get(kind)
            if special is not None:
                special(self, value, place, stack)
                continue
            children = _CHILDREN.get(kind)
            if children is None:
                self.opaque = True  # a node this walk does not know: assume the worst
                return
            stack.extend((getattr(value, name), place) for name in children)

    def _function(self, node: FuncDef | LambdaExpr, place: Place, stack: _Stack) -> None:
        stack.extend((argument.initializer, place) for argument in node.arguments)
        stack.extend((s, (*place, (id(node), s.line))) for s in node.body.body)

    def _decorator(self, node: Decorator, place: Place, stack: _Stack) -> None:
        self.defined.add(node)
        for decorator in reversed(node.decorators):  # from the function outwards
            if not _is_route_decorator(decorator):
                break
            self.decorated[id(decorator)] = id(node.func)
        stack.append((node.decorators, place))
        stack.append((node.func, place))

    def _assignment(self, node: AssignmentStmt, place: Place, stack: _Stack) -> None:
        stack.append((node.rvalue, place))
        for lvalue in node.lvalues:
            if isinstance(lvalue, NameExpr) and isinstance(lvalue.node, Var):
                self._app(lvalue.node).assignments.append((node.rvalue, place))
            else:
                stack.append((lvalue, place))

    def _name(self, node: NameExpr, place: Place, stack: _Stack) -> None:
        target = node.node
        if isinstance(target, Var):
            self._app(target).escapes.append(place)
        elif isinstance(target, (Decorator, FuncDef, OverloadedFuncDef)):
            self.handler_escaped.add(target)

    def _member(self, node: MemberExpr, place: Place, stack: _Stack) -> None:
        receiver = node.expr
        if isinstance(receiver, NameExpr) and isinstance(receiver.node, Var):
            if node.name == "add_converter":  # taken, not called: it may be called anywhere
                self._app(receiver.node).registrations.append(Registration(None, None))
                self.any_registration.append(Registration(None, None))
            return
        stack.append((receiver, place))

    def _call(self, node: CallExpr, place: Place, stack: _Stack) -> None:
        self.places[id(node)] = place
        callee = node.callee
        args: list[Expression] = list(node.args)
        if isinstance(callee, MemberExpr):
            receiver = callee.expr
            var = receiver.node if isinstance(receiver, NameExpr) else None
            if callee.name == "add_converter":
                registration = _add_converter(node)
                self.any_registration.append(registration)
                if isinstance(var, Var):
                    self._app(var).registrations.append(registration)
            if isinstance(var, Var):
                if callee.name == "add_routes" and args:
                    self._own_table(args[0], var)
                if callee.name == "url_for" and args and isinstance(args[0], NameExpr):
                    args = args[1:]  # url_for(handler) names it without registering it
                stack.append((args, place))
                return
        if _refers_to(callee, APP):
            given = constructor_registrations(node)
            self.any_registration.extend([Registration(None, None)] if given is None else given)
            for index, (arg, kind, name) in enumerate(
                zip(node.args, node.arg_kinds, node.arg_names, strict=False)
            ):
                if name == "routes" or (kind == ARG_POS and index == 0):
                    self._own_table(arg, node)
        handler = isinstance(callee, NameExpr) and isinstance(
            callee.node, (Decorator, FuncDef, OverloadedFuncDef)
        )
        if not handler:  # a direct call of a function does not register it anywhere
            stack.append((callee, place))
        stack.append((args, place))

    def _own_table(self, table: Expression, owner: CallExpr | Var) -> None:
        if isinstance(table, (ListExpr, TupleExpr)):
            for item in table.items:
                if isinstance(item, CallExpr):
                    self.table_owner[id(item)] = owner

    def _app(self, var: Var) -> AppFacts:
        facts = self.apps.get(var)
        if facts is None:
            facts = self.apps[var] = AppFacts()
        return facts


_Stack = list[tuple[object, Place]]
_Special = Callable[[ModuleFacts, Any, Place, _Stack], None]


def _line_in(place: Place, scope: int) -> int:
    """The line of the statement of ``scope`` that holds ``place`` (-1: not in it)."""
    for scope_id, line in place:
        if scope_id == scope:
            return line
    return -1


_SPECIAL: dict[str, _Special] = {
    "FuncDef": ModuleFacts._function,
    "LambdaExpr": ModuleFacts._function,
    "Decorator": ModuleFacts._decorator,
    "AssignmentStmt": ModuleFacts._assignment,
    "NameExpr": ModuleFacts._name,
    "MemberExpr": ModuleFacts._member,
    "CallExpr": ModuleFacts._call,
}
"""Nodes walked specially: scopes, names, attribute uses, calls, assignments."""

_CHILDREN: dict[str, tuple[str, ...]] = {
    "Block": ("body",),
    "ExpressionStmt": ("expr",),
    "OperatorAssignmentStmt": ("lvalue", "rvalue"),
    "WhileStmt": ("expr", "body", "else_body"),
    "ForStmt": ("index", "expr", "body", "else_body"),
    "ReturnStmt": ("expr",),
    "AssertStmt": ("expr", "msg"),
    "DelStmt": ("expr",),
    "IfStmt": ("expr", "body", "else_body"),
    "RaiseStmt": ("expr", "from_expr"),
    "TryStmt": ("body", "types", "vars", "handlers", "else_body", "finally_body"),
    "WithStmt": ("expr", "target", "body"),
    "MatchStmt": ("subject", "patterns", "guards", "bodies"),
    "TypeAliasStmt": ("value",),
    "OverloadedFuncDef": ("items", "impl"),
    "ClassDef": ("decorators", "base_type_exprs", "metaclass", "keywords", "defs"),
    "Argument": ("initializer",),
    "AsPattern": ("pattern", "name"),
    "OrPattern": ("patterns",),
    "ValuePattern": ("expr",),
    "SequencePattern": ("patterns",),
    "StarredPattern": ("capture",),
    "MappingPattern": ("keys", "values", "rest"),
    "ClassPattern": ("class_ref", "positionals", "keyword_values"),
    "YieldFromExpr": ("expr",),
    "YieldExpr": ("expr",),
    "AwaitExpr": ("expr",),
    "StarExpr": ("expr",),
    "UnaryExpr": ("expr",),
    "CastExpr": ("expr",),
    "AssertTypeExpr": ("expr",),
    "RevealExpr": ("expr",),
    "TypeApplication": ("expr",),
    "OpExpr": ("left", "right"),
    "ComparisonExpr": ("operands",),
    "SliceExpr": ("begin_index", "end_index", "stride"),
    "IndexExpr": ("base", "index"),
    "ListExpr": ("items",),
    "TupleExpr": ("items",),
    "SetExpr": ("items",),
    "DictExpr": ("items",),
    "TemplateStrExpr": ("items",),
    "GeneratorExpr": ("left_expr", "sequences", "condlists", "indices"),
    "ListComprehension": ("generator",),
    "SetComprehension": ("generator",),
    "DictionaryComprehension": ("key", "value", "sequences", "condlists", "indices"),
    "ConditionalExpr": ("cond", "if_expr", "else_expr"),
    "AssignmentExpr": ("target", "value"),
    "SuperExpr": ("call",),
    **dict.fromkeys(
        [
            *("IntExpr", "StrExpr", "BytesExpr", "FloatExpr", "ComplexExpr", "EllipsisExpr"),
            *("TempNode", "PassStmt", "BreakStmt", "ContinueStmt", "GlobalDecl", "NonlocalDecl"),
            *("Import", "ImportFrom", "ImportAll", "SingletonPattern", "Var", "PlaceholderNode"),
            *("TypeVarExpr", "ParamSpecExpr", "TypeVarTupleExpr", "NamedTupleExpr"),
            *("EnumCallExpr", "TypedDictExpr", "NewTypeExpr", "PromoteExpr", "TypeAliasExpr"),
            "TypeFormExpr",
        ],
        (),
    ),
}
"""Every other node mypy builds, with the attributes that hold its child nodes."""


def constructor_registrations(call: CallExpr) -> list[Registration] | None:
    """The converters an ``App(...)`` call gives, or ``None`` if they cannot be read."""
    found: list[Registration] = []
    for arg, kind, name in zip(call.args, call.arg_kinds, call.arg_names, strict=False):
        if kind not in (ARG_POS, ARG_NAMED):
            return None  # App(*args) or App(**options)
        if name != "converters":
            continue
        if not isinstance(arg, DictExpr):
            return None
        for key, value in arg.items:
            if not isinstance(key, StrExpr):
                return None
            found.append(Registration(key.value, value))
    return found


def _add_converter(call: CallExpr) -> Registration:
    name: Expression | None = None
    converter: Expression | None = None
    positional = 0
    for arg, kind, arg_name in zip(call.args, call.arg_kinds, call.arg_names, strict=False):
        if kind == ARG_POS:
            if positional == 0:
                name = arg
            elif positional == 1:
                converter = arg
            positional += 1
        elif kind == ARG_NAMED and arg_name == "name":
            name = arg
        elif kind == ARG_NAMED and arg_name == "converter":
            converter = arg
        else:
            return Registration(None, None)
    if isinstance(name, StrExpr):
        return Registration(name.value, converter)
    return Registration(None, None)


def _is_route_decorator(expr: Expression) -> bool:
    """``something.get("...")`` and the like: registers the function, never calls it."""
    return (
        isinstance(expr, CallExpr)
        and isinstance(expr.callee, MemberExpr)
        and expr.callee.name in ROUTE_DECORATORS
    )


def _refers_to(expr: Expression, fullname: str) -> bool:
    return isinstance(expr, RefExpr) and expr.fullname == fullname


def _builtins() -> tuple[str, ...]:
    from kali.routing.converters import DEFAULT_CONVERTERS

    return tuple(DEFAULT_CONVERTERS)


__all__ = ["APP", "ROUTE_DECORATORS", "AppFacts", "Known", "ModuleFacts", "Registration"]
