"""Formatters: named functions applied by `{value:name}` before escaping.

A [`Formatters`][kali.templating.Formatters] registry belongs to a
[`TemplateFolder`][kali.templating.TemplateFolder] (or is passed
to an inline [`Template`][kali.templating.Template]); there is no module-level registry to mutate.
The name after `:` is looked up when the template is compiled, so a misspelt formatter is a
compile error. A name that is not registered but is a valid format spec (`.2f`, `>8`, `,`)
is applied with `format` instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping

__all__ = ["DEFAULT_FORMATTERS", "Formatter", "Formatters", "cents", "num"]

Formatter = Callable[[object], object]
"""A formatter takes the value and returns text. The text is escaped afterwards unless it is
`Markup`.
"""

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def num(value: object) -> str:
    """Thousands separators: `1234567` → `1,234,567`; `1234.5` → `1,234.5`."""
    return format(value, ",")


def cents(value: object) -> str:
    """An integer number of cents as a decimal amount: `1234` → `12.34`, `-5` → `-0.05`.

    Thousands are separated like `num`: `123456789` → `1,234,567.89`.
    """
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"cents expects an int number of cents, not {type(value).__name__}")
    sign = "-" if value < 0 else ""
    units, rest = divmod(abs(value), 100)
    return f"{sign}{units:,}.{rest:02d}"


def _upper(value: object) -> str:
    return str(value).upper()


def _lower(value: object) -> str:
    return str(value).lower()


class Formatters(Mapping[str, Formatter]):
    """A registry of named formatters.

    >>> f = Formatters()
    >>> sorted(f)
    ['cents', 'lower', 'num', 'upper']
    >>> @f.register("shout")
    ... def shout(value: object) -> str:
    ...     return f"{value}!"
    >>> f["shout"]("hi")
    'hi!'
    """

    def __init__(self, formatters: Mapping[str, Formatter] | None = None) -> None:
        self._table: dict[str, Formatter] = dict(DEFAULT_FORMATTERS)
        self._version = 0
        for name, function in (formatters or {}).items():
            self.add(name, function)

    def add(self, name: str, function: Formatter) -> None:
        """Register `function` under `name` (replacing a formatter of that name)."""
        if not _NAME.match(name):
            raise ValueError(
                f"formatter name {name!r} must be an identifier that does not start with '_'"
            )
        if not callable(function):
            raise TypeError(f"formatter {name!r} must be callable, not {function!r}")
        self._table[name] = function
        self._version += 1

    def register(self, name: str) -> Callable[[Formatter], Formatter]:
        """Decorator form of `add`; returns the function unchanged."""

        def decorate(function: Formatter) -> Formatter:
            self.add(name, function)
            return function

        return decorate

    @property
    def version(self) -> int:
        """Incremented on every change, so a folder knows its compiled templates are stale."""
        return self._version

    def copy(self) -> Formatters:
        """An independent registry with the same formatters."""
        return Formatters(self._table)

    def __getitem__(self, name: str) -> Formatter:
        return self._table[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


DEFAULT_FORMATTERS: Mapping[str, Formatter] = {
    "num": num,
    "cents": cents,
    "upper": _upper,
    "lower": _lower,
}
"""The formatters every registry starts with."""
