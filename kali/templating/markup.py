"""Safe markup: text that is already HTML and must not be escaped again.

Two kinds of value pass through `{x}` unescaped:

* [`Markup`][kali.templating.Markup], a `str` subclass for trusted HTML snippets
  (`Markup("<b>hi</b>")`);
* [`Rendered`][kali.templating.Rendered], the `list` subclass every compiled template returns.
  Placing one
  template's output in another with `{x}` therefore never escapes it twice and never prints a
  Python list. `{.x}` does the same without joining it into one string (prefer it for large
  parts such as a page body placed in a layout).

Any object with an `__html__` method (for instance `markupsafe.Markup`) is trusted the same way.
"""

from __future__ import annotations

from ..iolist import to_str
from ..typing import IoItem

__all__ = ["Markup", "Rendered", "escape", "escape_value", "iolist_to_str", "raw_node", "raw_value"]


class Markup(str):
    """A string of trusted HTML: `{x}` inserts it as is.

    >>> Markup("<b>bold</b>").__html__()
    '<b>bold</b>'
    >>> Markup.escape("<i>") + "!"
    '&lt;i&gt;!'
    """

    __slots__ = ()

    def __html__(self) -> str:
        return self

    @classmethod
    def escape(cls, value: object) -> Markup:
        """Escape `value` the way `{value}` would, and mark the result as safe."""
        return escape(value)

    def __repr__(self) -> str:
        return f"Markup({str.__repr__(self)})"


class Rendered(list[IoItem]):
    """The iolist a compiled template returns: a `list` whose leaves are `str`.

    It is an ordinary list (send it as a response body, nest it in other iolists) that is also
    marked as safe HTML, so `{x}` in another template inserts it without escaping.
    """

    __slots__ = ()

    def __html__(self) -> str:
        return to_str(self)

    def __str__(self) -> str:
        return to_str(self)


iolist_to_str = to_str
"""Join an iolist (nested lists of `str`; `bytes` leaves are decoded as UTF-8):
[`kali.iolist.to_str`][kali.iolist.to_str] itself, under the name templates use."""


_LIST_MESSAGE = (
    "{x} would print this %s as Python, not as HTML: insert a trusted iolist with "
    "{.x} (a dot before the expression), or loop over it with {for}"
)
_BYTES_MESSAGE = (
    "a template inserts text, not %s (it would print b'...'): decode the value to str "
    "first (value.decode())"
)
_LEAF_MESSAGE = (
    "{.x} inserts an iolist of str, but this %s holds %s %.40r: convert its items with str() "
    "(or decode bytes), or loop over it with {for}"
)


def escape_value(value: object) -> object:
    """Escape one value for `{x}`; the compiled code's hot path (it is named `_e` there).

    Returns a `str`, or an `int`/`float` unchanged (they need no escaping and the
    f-string around the call formats them). `bool` is not special-cased: it renders as
    `True`/`False`.
    """
    if type(value) is str:
        if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
            return (
                value.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace('"', "&quot;")
                .replace("'", "&#x27;")
            )
        return value
    if type(value) is int or type(value) is float:
        return value
    return _escape_other(value)


def _escape_other(value: object) -> str:
    if value is None:
        return ""
    html = getattr(value, "__html__", None)
    if html is not None:
        return str(html())
    if isinstance(value, list | tuple):
        raise TypeError(_LIST_MESSAGE % type(value).__name__)
    if isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(_BYTES_MESSAGE % type(value).__name__)
    return escape_value(str(value))  # type: ignore[return-value]  # a str for a str


def _check_leaves(items: list[object] | tuple[object, ...]) -> None:
    """Raise TypeError unless every leaf of the iolist `items` is a `str`.

    A [`Rendered`][kali.templating.Rendered] is not walked: a template builds it from strings only
    (this check
    guards what `{.x}` adds to it), so a page body placed in a layout costs nothing.
    """
    for item in items:
        if isinstance(item, str) or type(item) is Rendered:
            continue
        if isinstance(item, list | tuple):
            _check_leaves(item)
            continue
        raise TypeError(_LEAF_MESSAGE % (type(items).__name__, type(item).__name__, item))


def raw_value(value: object) -> str:
    """`{.x}` inside a line of text: the value as a string, not escaped (`_r`)."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        if type(value) is not Rendered:
            _check_leaves(value)
        return iolist_to_str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(_BYTES_MESSAGE % type(value).__name__)
    return str(value)


def raw_node(value: object) -> IoItem:
    """`{.x}` on its own: trusted iolists are kept as a nested node, never joined (`_rn`).

    The leaves of a list or tuple are checked here, so a list of numbers fails inside the
    template (with its name and line) rather than when the response is written.
    """
    if type(value) is str or type(value) is Rendered:
        return value
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        _check_leaves(value)
        return value if isinstance(value, list) else list(value)
    if isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(_BYTES_MESSAGE % type(value).__name__)
    return str(value)


def escape(value: object) -> Markup:
    """Return `value` as HTML-safe [`Markup`][kali.templating.Markup], exactly as `{value}` renders
    it.

    `&`, `<`, `>`, `"` and `'` are escaped (`'` as `&#x27;`, like
    `html.escape`), so the result is safe in text and in quoted attribute values.
    `None` becomes the empty string; values with `__html__` ([`Markup`][kali.templating.Markup],
    [`Rendered`][kali.templating.Rendered]) are trusted; lists and tuples are refused (see
    [`Rendered`][kali.templating.Rendered]).
    """
    if isinstance(value, Markup):
        return value
    return Markup(escape_value(value))
