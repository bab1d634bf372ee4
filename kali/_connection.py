"""A connection's state in the server, and the phases of what it is reading.

A `Connection` is plain data: the server's loop (`kali/server.py`) reads and
writes it; nothing here does I/O.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Final

from .body import BodyBuffer
from .live import Stream
from .protocol import RequestHead, RequestParser
from .response import FileBody


class Phase:
    """What a connection is reading: a named sentinel (it prints its name)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


IDLE: Final = Phase("IDLE")
"""No request under way: a keep-alive connection or a preconnect."""
HEAD: Final = Phase("HEAD")
"""Part of a request head has arrived; the whole head must arrive in time."""
BODY: Final = Phase("BODY")
"""The head is in; the body is arriving."""
DRAIN: Final = Phase("DRAIN")
"""An early error was answered; what the client still sends is read and dropped."""


class Connection:
    """One client's socket, what it is reading and what is waiting to be sent."""

    __slots__ = (
        "body",
        "chunked",
        "client",
        "close_after_write",
        "deadline",
        "direct",
        "drained",
        "eof",
        "events",
        "fd",
        "file",
        "head",
        "moved",
        "nodelay",
        "out",
        "out_pos",
        "parser",
        "phase",
        "since",
        "sock",
        "source",
        "started",
        "stepping",
        "stream",
        "writing",
    )

    def __init__(self, sock: socket.socket, client: tuple[str, int], parser: RequestParser) -> None:
        self.sock = sock
        self.fd = sock.fileno()  # kept: the poller and the server's table know it by this
        self.client = client
        self.parser = parser
        self.out: list[bytes | memoryview] = []  # pieces to send, from out_pos on
        self.out_pos = 0
        self.file: FileBody | None = None  # a file to send once out is empty
        self.source: Iterator[list[bytes]] | None = None  # more pieces, window by window
        self.stream: Stream | None = None  # a body sent step by step
        self.chunked = False
        self.stepping = False  # queued to run a step of its stream
        self.head: RequestHead | None = None
        self.body: BodyBuffer | None = None
        self.close_after_write = False
        self.writing = False  # a response is waiting for the socket
        self.eof = False  # the client will send nothing more
        self.events = 0  # what the poller watches for, READ or WRITE (0: not registered)
        self.direct = False  # non-blocking, a POSIX descriptor: os.read and os.writev work
        self.nodelay = False  # TCP_NODELAY set
        self.phase = IDLE
        self.deadline = 0.0
        self.since = 0.0  # when the current phase (or response) began, monotonic
        self.moved = 0  # bytes received in this phase, or sent of this response
        self.drained = 0
        self.started = 0.0  # perf_counter at the request's head, for the access log


def unsent(conn: Connection) -> int:
    """The bytes queued on `conn` and not yet sent."""
    return sum(len(piece) for piece in conn.out[conn.out_pos :])
