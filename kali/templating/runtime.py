"""The runtime namespace: the only names compiled template code may reference.

Generated code runs with empty `__builtins__`; every name it uses is either a local (a context
variable or a loop variable), a constant hoisted by the compiler (`_k0`, `_k1`...), or one of
the helpers below. Keeping the list short and explicit makes the generated code easy to audit.

========  =============================================================
`_e`    [`escape_value`][kali.templating.markup.escape_value]: `{x}`
`_r`    [`raw_value`][kali.templating.markup.raw_value]: `{.x}` inside a line
`_rn`   [`raw_node`][kali.templating.markup.raw_node]: `{.x}` on its own
`_ef`   `format_escape`: `{x:.2f}`
`_rf`   `format_raw`: `{.x:.2f}`
`_j`    `"".join`
`_R`    [`Rendered`][kali.templating.Rendered], the list every render returns
`_U`    `UNDEFINED`, the value of a missing name in lenient mode
`_f_*`  the formatters the template uses (`{x:num}` calls `_f_num`)
`_b_*`  the safe builtins the template uses (`len`, `range`...)
`_ga`   `checked_attribute`: `x.name` when `name` is one of
          `GUARDED_ATTRIBUTES` (`x.replace`, `x.gi_frame`...)
========  =============================================================

and `_KeyError` (`KeyError`), caught while binding the context names: reserved like every
`_` name, so a context variable called `KeyError` cannot shadow it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import (
    AsyncGeneratorType,
    CellType,
    CodeType,
    CoroutineType,
    FrameType,
    GeneratorType,
    TracebackType,
)

from .errors import UnsafeAttributeError
from .formatters import Formatter
from .markup import Rendered, escape_value, raw_node, raw_value

__all__ = [
    "GUARDED_ATTRIBUTES",
    "INTERNAL_TYPES",
    "SAFE_BUILTINS",
    "UNDEFINED",
    "Undefined",
    "checked_attribute",
    "format_escape",
    "format_raw",
    "namespace",
]

SAFE_BUILTINS: Mapping[str, object] = {
    f.__name__: f
    for f in (
        abs,
        all,
        any,
        bool,
        dict,
        enumerate,
        float,
        int,
        len,
        list,
        max,
        min,
        range,
        reversed,
        round,
        set,
        sorted,
        str,
        sum,
        tuple,
        zip,
    )
}
"""Builtins a template may call without being passed them; a context variable of the same name takes
precedence.
"""


INTERNAL_TYPES: tuple[type, ...] = (
    FrameType,
    CodeType,
    TracebackType,
    GeneratorType,
    CoroutineType,
    AsyncGeneratorType,
    CellType,
)
"""The interpreter's execution machinery: a frame holds its globals, builtins and locals and the
frame that called it, a code object its bytecode and constants, a traceback its frames, a
generator, coroutine or async generator its frame and code, a cell a closure's variable. None of
their attributes is reachable from a template.
"""

_TYPE_ATTRIBUTES = frozenset(name for name in dir(type) if not name.startswith("_"))
"""Attributes of classes that a template may not read: `mro` lists a class's bases, up to
`object`.
"""

GUARDED_ATTRIBUTES: frozenset[str] = frozenset(
    name for kind in (*INTERNAL_TYPES, type) for name in dir(kind) if not name.startswith("_")
)
"""Every attribute name without a leading `_` that an `INTERNAL_TYPES` type (or `type`) has,
read from the types themselves so that a new Python's additions are included: `gi_frame`,
`f_globals`, `tb_frame`, `co_code`, `cell_contents`, `mro`, and a few ordinary names
(`replace`, `clear`, `close`, `send`, `throw`). The compiler sends `x.name` through
`checked_attribute` for these names only: every other attribute is a plain `x.name`, which no
internal type has, so the hot path pays nothing.
"""


def checked_attribute(value: object, name: str) -> object:
    """`value.name` for a name in `GUARDED_ATTRIBUTES`: refused on the interpreter's machinery.

    Args:
        value: the object whose attribute the template reads.
        name: the attribute's name.

    Returns:
        The attribute, as `getattr(value, name)` gives it.

    Raises:
        UnsafeAttributeError: `value` is a frame, code object, traceback, generator,
            coroutine, async generator or cell (any attribute), or a class (`mro`); or the
            attribute found is itself one of those objects (a wrapper that forwards
            `gi_frame`).
    """
    if isinstance(value, INTERNAL_TYPES) or (isinstance(value, type) and name in _TYPE_ATTRIBUTES):
        raise UnsafeAttributeError(
            f"attribute {name!r} of a {type(value).__name__} is not reachable from a template: "
            "frames, code objects, tracebacks, cells, the internals of generators and "
            "coroutines, and a class's mro are refused"
        )
    found = getattr(value, name)
    if isinstance(found, INTERNAL_TYPES):
        raise UnsafeAttributeError(
            f"attribute {name!r} of a {type(value).__name__} is a {type(found).__name__}, "
            "which a template may not reach"
        )
    return found


def format_escape(value: object, spec: str) -> str:
    """`{x:spec}`: `format(x, spec)`, then escaped (unless `x` is safe markup)."""
    text = format(value, spec)
    kind = type(value)
    if kind is not int and kind is not float and hasattr(value, "__html__"):
        return text
    return escape_value(text)  # type: ignore[return-value]  # a str for a str


def format_raw(value: object, spec: str) -> str:
    """`{.x:spec}`: `format(x, spec)`, not escaped."""
    return format(value, spec)


class Undefined:
    """The value of a name the caller did not pass, in lenient mode (`strict=False`).

    It renders as the empty string, is false, iterates as empty, and its attributes, items and
    call results are itself, so `{user.name}` renders nothing when `user` is missing.
    """

    __slots__ = ()

    def __html__(self) -> str:
        return ""

    def __str__(self) -> str:
        return ""

    def __format__(self, spec: str) -> str:
        return ""

    def __repr__(self) -> str:
        return "Undefined"

    def __bool__(self) -> bool:
        return False

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> Iterator[object]:
        return iter(())

    def __getattr__(self, name: str) -> Undefined:
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __getitem__(self, key: object) -> Undefined:
        return self

    def __call__(self, *args: object, **kwargs: object) -> Undefined:
        return self


UNDEFINED = Undefined()
"""The single `Undefined` instance."""


def namespace(formatters: Mapping[str, Formatter], builtins: list[str]) -> dict[str, object]:
    """The globals of one compiled template: the helpers plus the formatters it uses."""
    ns: dict[str, object] = {
        "__builtins__": {},
        "_KeyError": KeyError,
        "_e": escape_value,
        "_r": raw_value,
        "_rn": raw_node,
        "_ef": format_escape,
        "_rf": format_raw,
        "_j": "".join,
        "_R": Rendered,
        "_U": UNDEFINED,
        "_ga": checked_attribute,
    }
    for name, function in formatters.items():
        ns[f"_f_{name}"] = function
    for name in builtins:
        ns[f"_b_{name}"] = SAFE_BUILTINS[name]
    return ns
