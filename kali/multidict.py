"""Read-only multi-value mappings of what the client sent.

[`MultiDict`][kali.multidict.MultiDict] holds query strings and forms,
[`Headers`][kali.multidict.Headers] HTTP header fields (case-insensitive names).
Both keep every value in arrival order: `md[key]` returns the *first* value (as
Werkzeug does) and `md.get_all(key)` all of them.

A key the client did not send is the client's mistake, not the program's:
`md[key]` then raises [`MissingKey`][kali.multidict.MissingKey], a `KeyError` that
is also an [`HTTPError`][kali.HTTPError] (400) naming the key, so a handler that
reads `request.form["title"]` answers a form without that field with a 400, not a 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import ClassVar, TypeVar, overload

from .errors import HTTPError
from .protocol import HeaderFields, find_field

_T = TypeVar("_T")
_SCAN_LIMIT = 8
"""Below this many pairs a lookup scans the list; above it, an index is built once."""
_FOUND_LIMIT = 32
"""Most values a `FieldHeaders` keeps by the names they were asked for."""


class MissingKey(HTTPError, KeyError):
    """A key the client did not send: a `KeyError` answered with a 400 naming it."""

    def __init__(self, what: str, key: str) -> None:
        super().__init__(400, f"Missing {what} {key!r}")
        self.key = key

    def __str__(self) -> str:  # not KeyError's repr of the key
        return str(self.args[0])


class MultiDict(Mapping[str, str]):
    """An immutable mapping from `str` keys to one or more `str` values."""

    __slots__ = ("_index_cache", "_items")

    what: ClassVar[str] = "field"
    """What a key is called in the 400 message of a missing one."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = items if type(items) is list else list(items)
        self._index_cache: dict[str, list[str]] | None = None

    def _pairs(self) -> list[tuple[str, str]]:
        return self._items

    @property
    def _index(self) -> dict[str, list[str]]:
        # Built on first use: most requests never read most of their headers.
        index = self._index_cache
        if index is None:
            index = self._index_cache = {}
            key_of = self._key
            for key, value in self._pairs():
                index.setdefault(key_of(key), []).append(value)
        return index

    @staticmethod
    def _key(key: str) -> str:
        return key

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise MissingKey(self.what, key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, /, default: str | _T) -> str | _T: ...
    def get(self, key: str, /, default: object = None) -> object:
        # PERF: a request's query and headers hold a few pairs; scanning them
        # costs less than building the index, which is built only for many.
        if self._index_cache is None:
            items = self._items
            if len(items) <= _SCAN_LIMIT:
                for name, value in items:
                    if name == key:
                        return value
                return default
        values = self._index.get(key)
        return values[0] if values else default

    def get_all(self, key: str) -> list[str]:
        """Every value given for `key`, in order (an empty list if none)."""
        return list(self._index.get(self._key(key), ()))

    def multi_items(self) -> list[tuple[str, str]]:
        """Every `(key, value)` pair in arrival order, repeats included."""
        return list(self._pairs())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return self._pairs() == other._pairs()
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._pairs()!r})"


class Headers(MultiDict):
    """HTTP header fields: names compare case-insensitively, repeats are kept.

    `headers["content-type"]` and `headers["Content-Type"]` are the same lookup.
    Iteration yields lower-cased names.
    """

    __slots__ = ()
    what = "header"

    @staticmethod
    def _key(key: str) -> str:
        return key.lower()

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, /, default: str | _T) -> str | _T: ...
    def get(self, key: str, /, default: object = None) -> object:
        key = key.lower()
        if self._index_cache is None:
            items = self._items
            if len(items) <= _SCAN_LIMIT:
                for name, value in items:
                    if name == key or name.lower() == key:
                        return value
                return default
        values = self._index.get(key)
        return values[0] if values else default


class FieldHeaders(Headers):
    """The header fields of a parsed head, looked up in its text as they are asked for.

    `get("user-agent")` is one string search, and the value found is kept for
    the next `get` of that name (of this head's next request too: see
    [`HeaderFields.as_headers`][kali.protocol.HeaderFields.as_headers]); the
    list of fields is split out only if the handler iterates them.
    """

    __slots__ = ("_found", "_lower", "_start", "_text")

    def __init__(self, text: str, lower: str, start: int) -> None:
        # What a HeaderFields holds (see it): the head's text, not the HeaderFields,
        # which holds this mapping.
        self._items = []  # the pairs, split out by _pairs() when first asked for
        self._index_cache = None
        self._text = text
        self._lower = lower
        self._start = start
        self._found: dict[str, str] = {}  # name as asked -> value, for names present

    def _pairs(self) -> list[tuple[str, str]]:
        if not self._items and self._start < len(self._text):
            self._items = HeaderFields(self._text, self._lower, self._start).pairs()
        return self._items

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, /, default: str | _T) -> str | _T: ...
    def get(self, key: str, /, default: object = None) -> object:
        found = self._found
        value = found.get(key)
        if value is None:
            value = find_field(self._text, self._lower, self._start, key)
            if value is None:
                return default
            if len(found) < _FOUND_LIMIT:
                found[key] = value
        return value


# "user-agent" -> "HTTP_USER_AGENT", for the names looked up so far.
_environ_keys: dict[str, str] = {}


class QueryParams(MultiDict):
    """The parameters of a query string."""

    __slots__ = ()
    what = "query parameter"


class EnvironHeaders(Headers):
    """The header fields of a WSGI environ, read from it only as they are asked for.

    `get("user-agent")` is one lookup of `HTTP_USER_AGENT`; the full list of
    fields is built only if the handler iterates them.
    """

    __slots__ = ("_environ", "_loaded")

    def __init__(self, environ: Mapping[str, object]) -> None:
        self._items = []  # unused: _pairs() reads the environ
        self._index_cache = None
        self._environ = environ
        self._loaded: list[tuple[str, str]] | None = None  # built by _pairs() on demand

    def _pairs(self) -> list[tuple[str, str]]:
        items = self._loaded
        if items is None:
            items = self._loaded = []
            for key, value in self._environ.items():
                if key.startswith("HTTP_"):
                    items.append((key[5:].replace("_", "-").lower(), str(value)))
                elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                    items.append((key.replace("_", "-").lower(), str(value)))
        return items

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, /, default: str | _T) -> str | _T: ...
    def get(self, key: str, /, default: object = None) -> object:
        name = _environ_keys.get(key)
        if name is None:
            name = key.upper().replace("-", "_")
            if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                name = "HTTP_" + name
            if len(_environ_keys) < 512:
                _environ_keys[key] = name
        value = self._environ.get(name)
        if value is None or (value == "" and name[0] == "C"):
            return default
        return value if type(value) is str else str(value)


__all__ = ["EnvironHeaders", "FieldHeaders", "Headers", "MissingKey", "MultiDict", "QueryParams"]
