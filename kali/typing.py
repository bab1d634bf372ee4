"""Public type aliases: what a body is, what a handler is, what it may return.

An *iolist* is a body made of nested sequences whose leaves are ``str`` or
``bytes``. kali never joins one into a single string before the socket: the
server encodes each ``str`` leaf and hands the pieces to ``socket.sendmsg``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeAlias, Union

if TYPE_CHECKING:
    from .request import Request
    from .response import Response

#: One leaf or branch of an iolist.
IoItem: TypeAlias = Union[str, bytes, "IoList"]
#: Nested lists (or tuples) of ``str``/``bytes``: a body that is never joined.
IoList: TypeAlias = Sequence[IoItem]
#: Anything a handler may return. ``str``, ``bytes`` and iolists are served
#: as ``text/html; charset=utf-8`` with status 200.
ResponseValue: TypeAlias = Union["Response", str, bytes, IoList]
#: A handler: any callable from a :class:`~kali.Request` to a response value.
Handler: TypeAlias = Callable[["Request"], ResponseValue]

__all__ = ["Handler", "IoItem", "IoList", "ResponseValue"]
