"""Read-only multi-value mappings: :class:`MultiDict` for query strings and
forms, :class:`Headers` for HTTP header fields (case-insensitive names).

Both keep every value in arrival order. ``md[key]`` returns the *first* value
(as Werkzeug does); ``md.get_all(key)`` returns all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar, overload

_T = TypeVar("_T")


class MultiDict(Mapping[str, str]):
    """An immutable mapping from ``str`` keys to one or more ``str`` values."""

    __slots__ = ("_cache", "_items")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = list(items)
        self._cache: dict[str, list[str]] | None = None

    @property
    def _index(self) -> dict[str, list[str]]:
        # Built on first lookup: most requests never read most of their headers.
        index = self._cache
        if index is None:
            index = self._cache = {}
            key_of = self._key
            for key, value in self._items:
                index.setdefault(key_of(key), []).append(value)
        return index

    @staticmethod
    def _key(key: str) -> str:
        return key

    def __getitem__(self, key: str) -> str:
        return self._index[self._key(key)][0]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._key(key) in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, /, default: str | _T) -> str | _T: ...
    def get(self, key: str, /, default: object = None) -> object:
        values = self._index.get(self._key(key))
        return values[0] if values else default

    def get_all(self, key: str) -> list[str]:
        """Every value given for ``key``, in order (an empty list if none)."""
        return list(self._index.get(self._key(key), ()))

    def multi_items(self) -> list[tuple[str, str]]:
        """Every ``(key, value)`` pair in arrival order, repeats included."""
        return list(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return self._items == other._items
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


class Headers(MultiDict):
    """HTTP header fields: names compare case-insensitively, repeats are kept.

    ``headers["content-type"]`` and ``headers["Content-Type"]`` are the same
    lookup. Iteration yields lower-cased names.
    """

    __slots__ = ()

    @staticmethod
    def _key(key: str) -> str:
        return key.lower()

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(items)


__all__ = ["Headers", "MultiDict"]
