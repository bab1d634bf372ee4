"""Iolists: nested lists of `str`/`bytes` that are never joined before the socket.

This module is the one place an iolist is flattened. The server calls
[`to_chunks`][kali.iolist.to_chunks] to turn a body into the `bytes` pieces it
passes to `socket.sendmsg`; strings are encoded as UTF-8 one leaf at a time.
A body too large to encode at once (more than [`EAGER_LIMIT`][kali.iolist.EAGER_LIMIT]
bytes) is measured with [`encoded_length`][kali.iolist.encoded_length] and encoded
window by window by [`windows`][kali.iolist.windows] as the socket takes it, so the
memory a response costs is what is still unsent, not the whole body again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from .typing import IoItem, IoList

EAGER_LIMIT: Final = 1024 * 1024
"""Bodies are encoded at once up to this many bytes; larger ones window by window."""
WINDOW: Final = 256 * 1024
"""The size of one window of a large body."""


class BodyTooLarge(Exception):
    """Raised by `to_chunks(body, limit)` when the body encodes to more than `limit` bytes."""


def to_chunks(body: IoItem, limit: int | None = None) -> list[bytes]:
    """Flatten `body` into a list of non-empty `bytes` pieces, in order.

    Raises `TypeError` naming the offending leaf if the body holds anything other
    than `str`, `bytes` or nested lists/tuples, and [`BodyTooLarge`][kali.iolist.BodyTooLarge]
    as soon as more than `limit` bytes have been encoded, when a limit is given.
    """
    out: list[bytes] = []
    if limit is None:
        _flatten((body,), out.append)
        return out
    size = 0

    def append(piece: bytes) -> None:
        nonlocal size
        size += len(piece)
        if size > limit:
            raise BodyTooLarge
        out.append(piece)

    _flatten((body,), append)
    return out


def _flatten(items: IoList, append: Callable[[bytes], object]) -> None:
    # Recursion depth is the iolist's nesting depth, which templates keep small.
    for item in items:
        kind = type(item)
        if kind is str:
            if item:
                append(item.encode())  # type: ignore[union-attr]
        elif kind is list or kind is tuple:
            _flatten(item, append)  # type: ignore[arg-type]
        elif kind is bytes:
            if item:
                append(item)  # type: ignore[arg-type]
        elif isinstance(item, str):  # str subclasses, such as Markup
            if item:
                append(str.encode(item))
        elif isinstance(item, (bytes, bytearray, memoryview)):
            if item:
                append(bytes(item))
        elif isinstance(item, (list, tuple)):  # list subclasses, such as Rendered
            _flatten(item, append)
        else:
            raise TypeError(_bad_leaf(item))


def _flatten_text(items: IoList, append: Callable[[str], object]) -> None:
    # The same walk for a str result; each list of str is joined at C speed.
    for item in items:
        if isinstance(item, str):
            append(item)
        elif isinstance(item, (list, tuple)):
            try:
                append("".join(item))
            except TypeError:
                _flatten_text(item, append)
        elif isinstance(item, (bytes, bytearray, memoryview)):
            append(bytes(item).decode())
        else:
            raise TypeError(_bad_leaf(item))


def _bad_leaf(item: object) -> str:
    return (
        "an iolist leaf must be str or bytes (in nested lists or tuples), "
        f"not {type(item).__name__}: {item!r:.80}"
    )


def encoded_length(body: IoItem) -> int:
    """The number of bytes `body` encodes to, without keeping the encoded pieces."""
    total = 0
    stack: list[Iterator[IoItem]] = [iter((body,))]
    while stack:
        for item in stack[-1]:
            if isinstance(item, str):
                total += len(item) if item.isascii() else len(item.encode())
            elif isinstance(item, (bytes, bytearray, memoryview)):
                total += len(item)
            elif isinstance(item, (list, tuple)):
                stack.append(iter(item))
                break
            else:
                raise TypeError(_bad_leaf(item))
        else:
            stack.pop()
    return total


def windows(body: IoItem, size: int = WINDOW) -> Iterator[list[bytes]]:
    """Encode `body` lazily: lists of pieces of about `size` bytes each, in order."""
    window: list[bytes] = []
    filled = 0
    stack: list[Iterator[IoItem]] = [iter((body,))]
    while stack:
        for item in stack[-1]:
            if isinstance(item, (list, tuple)):
                stack.append(iter(item))
                break
            if isinstance(item, str):
                piece = item.encode()
            elif isinstance(item, (bytes, bytearray, memoryview)):
                piece = bytes(item)
            else:
                raise TypeError(_bad_leaf(item))
            if piece:
                window.append(piece)
                filled += len(piece)
                if filled >= size:
                    yield window
                    window, filled = [], 0
        else:
            stack.pop()
    if window:
        yield window


def to_bytes(body: IoItem) -> bytes:
    """Join `body` into one `bytes` (for tests and debugging, not the server)."""
    return b"".join(to_chunks(body))


def to_str(body: IoItem) -> str:
    """Join `body` into one `str`, decoding `bytes` leaves as UTF-8."""
    if type(body) is str:
        return body
    try:
        return "".join(body)  # type: ignore[arg-type]  # the usual case: a flat list of str
    except TypeError:
        out: list[str] = []
        _flatten_text(body if isinstance(body, (list, tuple)) else (body,), out.append)
        return "".join(out)


__all__ = [
    "EAGER_LIMIT",
    "WINDOW",
    "BodyTooLarge",
    "encoded_length",
    "to_bytes",
    "to_chunks",
    "to_str",
    "windows",
]
