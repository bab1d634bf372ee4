"""Helpers for iolists: nested lists of ``str``/``bytes`` that are never joined.

The server calls :func:`to_chunks` to turn a body into the ``bytes`` pieces it
passes to ``socket.sendmsg``; strings are encoded as UTF-8 one leaf at a time.
"""

from __future__ import annotations

from collections.abc import Callable

from .typing import IoItem, IoList


def to_chunks(body: IoItem) -> list[bytes]:
    """Flatten ``body`` into a list of non-empty ``bytes`` pieces, in order.

    Raises :class:`TypeError` naming the offending leaf if the body holds
    anything other than ``str``, ``bytes`` or nested lists/tuples.
    """
    out: list[bytes] = []
    _flatten_into((body,), out.append)
    return out


def _flatten_into(items: IoList, append: Callable[[bytes], object]) -> None:
    # Recursion depth is the iolist's nesting depth, which templates keep small.
    for item in items:
        kind = type(item)
        if kind is str:
            if item:
                append(item.encode())  # type: ignore[union-attr]
        elif kind is list or kind is tuple:
            _flatten_into(item, append)  # type: ignore[arg-type]
        elif kind is bytes:
            if item:
                append(item)  # type: ignore[arg-type]
        elif isinstance(item, str):  # str subclasses, such as Markup
            if item:
                append(str.encode(item))
        elif isinstance(item, (bytes, bytearray, memoryview)):
            if item:
                append(bytes(item))
        elif isinstance(item, (list, tuple)):
            _flatten_into(item, append)
        else:
            raise TypeError(
                "an iolist may hold only str, bytes, lists and tuples, "
                f"not {kind.__name__}: {item!r:.80}"
            )


def to_bytes(body: IoItem) -> bytes:
    """Join ``body`` into one ``bytes`` (for tests and debugging, not the server)."""
    return b"".join(to_chunks(body))


def to_str(body: IoItem) -> str:
    """Join ``body`` into one ``str``, decoding ``bytes`` leaves as UTF-8."""
    return to_bytes(body).decode()


__all__ = ["to_bytes", "to_chunks", "to_str"]
