"""Which of the server's sockets are ready: epoll where the system has it, else `selectors`.

The server watches each socket for reading or for writing, by file number, and
asks for the ready ones with [`Poller.poll`][kali._poller.Poller.poll]: a list of
`(fd, events)`. On Linux that is `select.epoll` itself (PERF: no Python frame or
key object between the kernel's answer and the server's loop); elsewhere a thin
wrapper gives `selectors.DefaultSelector` (kqueue, or `select`) the same shape.

The server reads what a socket is ready for from what it watches it for (it
watches for one or the other); the events are for errors and hang-ups, which
either kind of watching reports.
"""

from __future__ import annotations

import select
import selectors
from typing import Final, Protocol


class Poller(Protocol):
    """What the server needs of a poller (the methods of `select.epoll`)."""

    def register(self, fd: int, eventmask: int, /) -> None: ...
    def modify(self, fd: int, eventmask: int, /) -> None: ...
    def unregister(self, fd: int, /) -> None: ...
    def poll(self, timeout: float, /) -> list[tuple[int, int]]:
        """The ready file numbers and their events, waiting at most `timeout` seconds."""
        ...

    def close(self) -> None: ...


READ: Final = 1
"""Watch for reading (epoll's `EPOLLIN`)."""
WRITE: Final = 4
"""Watch for writing (epoll's `EPOLLOUT`)."""


class SelectorPoller:
    """A [`Poller`][kali._poller.Poller] made of `selectors.DefaultSelector`."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()

    def register(self, fd: int, eventmask: int, /) -> None:
        self._selector.register(fd, _events(eventmask))

    def modify(self, fd: int, eventmask: int, /) -> None:
        self._selector.modify(fd, _events(eventmask))

    def unregister(self, fd: int, /) -> None:
        self._selector.unregister(fd)

    def poll(self, timeout: float, /) -> list[tuple[int, int]]:
        return [(key.fd, _mask(events)) for key, events in self._selector.select(timeout)]

    def close(self) -> None:
        self._selector.close()


def _events(eventmask: int) -> int:
    return (selectors.EVENT_READ if eventmask & READ else 0) | (
        selectors.EVENT_WRITE if eventmask & WRITE else 0
    )


def _mask(events: int) -> int:
    return (READ if events & selectors.EVENT_READ else 0) | (
        WRITE if events & selectors.EVENT_WRITE else 0
    )


def new_poller() -> Poller:
    """A poller for this system: epoll on Linux, else `selectors.DefaultSelector`."""
    if hasattr(select, "epoll"):
        return select.epoll()
    return SelectorPoller()  # pragma: no cover - macOS, Windows


__all__ = ["READ", "WRITE", "Poller", "SelectorPoller", "new_poller"]
