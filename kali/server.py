"""The sequential HTTP server: one thread, every socket non-blocking.

Network I/O for all connections is multiplexed with :mod:`selectors`; handler
calls happen one at a time, on the thread that runs the server, as soon as a
request is complete. An idle browser preconnect, a client trickling its head,
or a client that reads slowly costs nothing: the loop only ever waits in
``select``. Responses leave through ``socket.sendmsg`` (the iolist's pieces
as they are) and files through ``os.sendfile``.

Why ``selectors`` rather than asyncio: handlers are synchronous by design
(SQLite on the main thread), so an event loop would only add a layer between
the socket and the handler. A ``selectors`` loop keeps the path from ``recv``
to the handler short and visible, which is what the per-request CPU budget
needs, and it runs the same on Linux (epoll), macOS (kqueue) and Windows
(select).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import selectors
import signal
import socket
import sys
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Final

from ._dispatch import serve_request
from ._wire import error_response
from .protection import Guard
from .protocol import (
    DEFAULT_LIMITS,
    NEED_DATA,
    Data,
    Limits,
    ProtocolError,
    RequestHead,
    RequestParser,
)
from .response import FileBody
from .typing import Handler

log = logging.getLogger("kali")
access_log = logging.getLogger("kali.access")

_RECV_SIZE: Final = 65536
_IOV_MAX: Final = 512
#: Request bodies larger than this are spilled to a temporary file.
BODY_SPILL_SIZE: Final = 1024 * 1024
_CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
_HAS_SENDMSG: Final = hasattr(socket.socket, "sendmsg")
_HAS_SENDFILE: Final = hasattr(os, "sendfile")
# Per-call non-blocking I/O where the platform has it: a connection answered
# at once (accept, recv, send, close) then needs no fcntl/ioctl to become
# non-blocking. Elsewhere (Windows) sockets are made non-blocking on accept.
_DONTWAIT: Final = getattr(socket, "MSG_DONTWAIT", 0)


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-connection deadlines, in seconds. None of them delays anyone else."""

    #: A connection with no request under way (a keep-alive or preconnect) is closed after this.
    idle: float = 75.0
    #: From the first byte of a request to the end of its head: 408 beyond it.
    head: float = 30.0
    #: Longest pause while receiving a body, or while the client reads the response.
    progress: float = 30.0
    #: On shutdown, how long in-flight responses may take to finish.
    shutdown_grace: float = 5.0


# What a connection is waiting for; each phase has its own deadline.
_IDLE, _HEAD, _BODY, _DRAIN = range(4)
#: After an error answered before the request body was read, how long (and
#: how many bytes) to keep reading and discarding it, so the client sees the
#: answer rather than a reset connection.
_DRAIN_SECONDS: Final = 2.0
_DRAIN_BYTES: Final = 1024 * 1024


class _Connection:
    __slots__ = (
        "body",
        "body_file",
        "client",
        "close_after_write",
        "deadline",
        "drained",
        "file",
        "head",
        "nodelay",
        "out",
        "out_pos",
        "parser",
        "phase",
        "registered",
        "sock",
        "started",
        "writing",
    )

    def __init__(self, sock: socket.socket, client: tuple[str, int], limits: Limits) -> None:
        self.sock = sock
        self.client = client
        self.parser = RequestParser(limits)
        self.out: list[bytes | memoryview] = []  # pieces to send, from out_pos on
        self.out_pos = 0
        self.file: FileBody | None = None  # a file to send once out is empty
        self.head: RequestHead | None = None
        self.body = bytearray()
        self.body_file: IO[bytes] | None = None
        self.close_after_write = False
        self.writing = False  # waiting for EVENT_WRITE rather than EVENT_READ
        self.registered = False  # known to the selector
        self.nodelay = False  # TCP_NODELAY set
        self.phase = _IDLE
        self.deadline = 0.0
        self.drained = 0
        self.started = 0.0


class Server:
    """An HTTP/1.1 server bound at construction; :meth:`serve_forever` runs it.

    Most programs call :func:`serve_http`. Use ``Server`` directly to learn the
    bound URL before serving (``port=0`` picks a free port) or to stop it from
    another thread with :meth:`shutdown`::

        server = Server(handler, port=0)
        print(server.url)
        server.serve_forever()

    ``allowed_hosts`` are the names accepted in the Host header; by default,
    loopback names when bound to a loopback address (see :mod:`kali.protection`).
    """

    def __init__(
        self,
        handler: Handler,
        *,
        address: str = "127.0.0.1",
        port: int = 8080,
        debug: bool = False,
        limits: Limits = DEFAULT_LIMITS,
        timeouts: Timeouts = Timeouts(),  # frozen, so safe to share
        max_connections: int = 1000,
        access_log: bool = True,
        allowed_hosts: Iterable[str] | None = None,
    ) -> None:
        self.handler = handler
        self.debug = debug
        self.limits = limits
        self.timeouts = timeouts
        self.max_connections = max_connections
        self.access_log = access_log
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self._listener = socket.create_server((address, port), family=family, backlog=128)
        self._listener.setblocking(False)
        self._family = family
        self._tcp = family in (socket.AF_INET, socket.AF_INET6)
        host, self.port = self._listener.getsockname()[:2]
        self.address: str = host
        #: The URL the server answers on, e.g. ``http://127.0.0.1:8080/``.
        self.url = f"http://{f'[{host}]' if family == socket.AF_INET6 else host}:{self.port}/"
        self._guard = Guard(host, allowed_hosts)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, None)
        self._accepting = True
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, self._wake_r)
        self._connections: dict[int, _Connection] = {}
        # Connections with complete requests still buffered, served in turn.
        self._ready: list[_Connection] = []
        self._stopping = False
        self._closed = False

    # -- running ---------------------------------------------------------------

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown` (or a response with ``shut_down=True``).

        Then the listener closes, in-flight responses finish (within
        ``timeouts.shutdown_grace``) and every connection is closed.
        """
        select = self._selector.select
        wake = self._wake_r
        next_sweep = time.monotonic() + 1.0
        try:
            while not self._stopping:
                for key, mask in select(0.0 if self._ready else 1.0):
                    conn = key.data
                    if conn is None:
                        self._accept()
                    elif conn is wake:
                        with contextlib.suppress(OSError):
                            wake.recv(4096)
                    elif mask & selectors.EVENT_WRITE:
                        self._guarded(self._flush, conn)
                    else:
                        self._guarded(self._on_readable, conn)
                if self._ready:
                    # One more request from each connection that had several
                    # buffered (pipelined): none can monopolise the handler.
                    ready, self._ready = self._ready, []
                    for conn in ready:
                        if not conn.writing and conn.sock.fileno() >= 0:
                            self._guarded(self._process, conn)
                now = time.monotonic()
                if now >= next_sweep:
                    self._sweep(now)
                    next_sweep = now + 1.0
            self._finish()
        finally:
            self.close()

    def _guarded(self, method: Callable[[_Connection], None], conn: _Connection) -> None:
        try:
            method(conn)
        except Exception:
            # A bug of ours must cost one connection, not the server.
            log.exception("Internal error on a connection; closing it")
            self._close(conn)

    def shutdown(self) -> None:
        """Ask the server to stop; safe from another thread or a signal handler."""
        self._stopping = True
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def close(self) -> None:
        """Close the listener and every connection at once (no grace)."""
        if self._closed:
            return
        self._closed = True
        for conn in list(self._connections.values()):
            self._close(conn)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(self._listener)
        self._listener.close()
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _finish(self) -> None:
        # Graceful part of a shutdown: stop accepting, let responses already
        # being written complete, then close everything.
        self._pause_accepting()
        self._listener.close()
        deadline = time.monotonic() + self.timeouts.shutdown_grace
        for conn in list(self._connections.values()):
            if conn.writing:
                conn.close_after_write = True
            else:
                self._close(conn)
        while self._connections and time.monotonic() < deadline:
            for key, _mask in self._selector.select(0.1):
                if isinstance(key.data, _Connection):
                    self._guarded(self._flush, key.data)
                elif key.data is self._wake_r:
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(4096)

    # -- connections -----------------------------------------------------------

    def _accept(self) -> None:
        # One connection per wake-up: the listener is level-triggered, so the
        # loop comes back at once if more are queued, and the common case of a
        # single new connection costs no failing accept() call.
        if len(self._connections) >= self.max_connections and not self._evict_idle():
            self._pause_accepting()
            return
        try:
            # socket.accept() without its per-call enum conversions of family and type.
            fd, client = self._listener._accept()  # type: ignore[attr-defined]
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:  # e.g. EMFILE: pause accepting until a connection closes
            log.warning("accept failed: %s", exc)
            if self._connections:
                self._pause_accepting()
            return
        sock = socket.socket(self._family, socket.SOCK_STREAM, 0, fd)
        if not _DONTWAIT:
            sock.setblocking(False)
        conn = _Connection(sock, client, self.limits)
        conn.deadline = time.monotonic() + self.timeouts.idle
        self._connections[fd] = conn
        # The request has often arrived with the connection: try it now, and
        # involve the selector only if the connection outlives that attempt.
        self._guarded(self._on_readable, conn)
        if not conn.registered and sock.fileno() >= 0:
            sock.setblocking(False)
            events = selectors.EVENT_WRITE if conn.writing else selectors.EVENT_READ
            self._selector.register(sock, events, conn)
            conn.registered = True

    def _evict_idle(self) -> bool:
        # At the connection limit, a new client is worth more than the oldest
        # idle keep-alive or preconnect: close that one to make room.
        idle = [c for c in self._connections.values() if c.phase == _IDLE and not c.writing]
        if not idle:
            return False
        self._close(min(idle, key=lambda c: c.deadline))
        return True

    def _pause_accepting(self) -> None:
        if self._accepting:
            self._selector.unregister(self._listener)
            self._accepting = False

    def _close(self, conn: _Connection) -> None:
        fd = conn.sock.fileno()
        if fd < 0 or self._connections.get(fd) is not conn:
            return
        del self._connections[fd]
        if conn.registered:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(conn.sock)
        conn.sock.close()
        if conn.file is not None:
            conn.file.file.close()
        if conn.body_file is not None:
            conn.body_file.close()
        if not self._accepting and not self._stopping and not self._closed:
            self._selector.register(self._listener, selectors.EVENT_READ, None)
            self._accepting = True

    def _sweep(self, now: float) -> None:
        for conn in list(self._connections.values()):
            if conn.deadline < now:
                if conn.phase in (_HEAD, _BODY) and not conn.writing:
                    self._reject(conn, 408, "Timed out waiting for the request")
                else:
                    self._close(conn)

    def _on_readable(self, conn: _Connection) -> None:
        try:
            data = conn.sock.recv(_RECV_SIZE, _DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(conn)
            return
        if not data:
            self._close(conn)
            return
        if conn.phase == _DRAIN:
            conn.drained += len(data)
            if conn.drained > _DRAIN_BYTES:
                self._close(conn)
            return
        conn.parser.feed(data)
        self._process(conn)

    def _process(self, conn: _Connection) -> None:
        """Handle the next complete request buffered on ``conn``.

        Stops at the first request answered when more bytes remain buffered
        (the connection then waits its turn in ``_ready``), when the response
        has to wait for the socket, or when more data is needed.
        """
        parser = conn.parser
        while not conn.writing and not self._stopping:
            try:
                event = parser.next_event()
            except ProtocolError as exc:
                self._reject(conn, exc.status, exc.message)
                return
            if event is NEED_DATA:
                self._set_wait_deadline(conn)
                return
            kind = type(event)
            if kind is RequestHead:
                self._start_request(conn, event)  # type: ignore[arg-type]
            elif kind is Data:
                self._add_body(conn, event.data)  # type: ignore[union-attr]
            else:
                self._respond(conn)
                if conn.sock.fileno() < 0:
                    return
                if parser.buffered:
                    if not conn.writing:
                        self._ready.append(conn)
                    return

    def _start_request(self, conn: _Connection, head: RequestHead) -> None:
        conn.head = head
        conn.phase = _BODY
        conn.started = time.perf_counter()
        conn.deadline = time.monotonic() + self.timeouts.progress
        if head.expect_continue and head.content_length != 0 and not conn.parser.buffered:
            self._send(conn, [_CONTINUE])

    def _add_body(self, conn: _Connection, data: bytes) -> None:
        conn.deadline = time.monotonic() + self.timeouts.progress
        if conn.body_file is not None:
            conn.body_file.write(data)
            return
        conn.body += data  # one buffer, however small the chunks
        if len(conn.body) > BODY_SPILL_SIZE:
            conn.body_file = tempfile.TemporaryFile()
            conn.body_file.write(conn.body)
            conn.body = bytearray()

    def _set_wait_deadline(self, conn: _Connection) -> None:
        # Deadlines are set when a phase begins, never extended by bytes that
        # do not advance it (blank lines between requests, say).
        if conn.parser.between_requests:
            if conn.phase != _IDLE:
                conn.phase = _IDLE
                conn.head = None
                conn.deadline = time.monotonic() + self.timeouts.idle
        elif conn.phase == _IDLE:
            conn.phase = _HEAD  # the whole head must arrive in time
            conn.deadline = time.monotonic() + self.timeouts.head

    def _respond(self, conn: _Connection) -> None:
        head = conn.head
        assert head is not None
        conn.head = None
        body_file = conn.body_file
        body = None
        if body_file is None:
            body = bytes(conn.body)
            conn.body.clear()
        conn.body_file = None
        response, prepared = serve_request(
            self.handler,
            head,
            body,
            body_file,
            conn.client,
            guard=self._guard,
            debug=self.debug,
            keep_alive=head.keep_alive and not self._stopping,
        )
        if body_file is not None:
            body_file.close()
        if self.access_log and access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "%s %s %d %.1fms",
                head.method,
                head.target,
                response.status,
                (time.perf_counter() - conn.started) * 1000,
            )
        if response.shut_down:
            self.shutdown()
        if not prepared.keep_alive:
            conn.close_after_write = True
        elif not conn.nodelay and self._tcp:
            # The connection carries more responses: do not let Nagle hold a
            # small one back. (Set only now: a one-response connection is closed
            # right after its single write, which flushes it anyway.)
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.nodelay = True
        conn.file = prepared.file
        self._send(conn, [prepared.head, *prepared.body])

    def _reject(self, conn: _Connection, status: int, message: str) -> None:
        # A client error outside any handler: answer, then close, since the
        # framing of anything that follows is unknown. If the client may still
        # be sending (a body we refused), read and discard it for a while
        # before closing, or its TCP stack would reset the connection and the
        # answer could be lost.
        if self.access_log and access_log.isEnabledFor(logging.INFO):
            access_log.info("- - %d (%s)", status, message)
        drain = conn.phase in (_HEAD, _BODY)
        conn.close_after_write = True
        conn.phase = _DRAIN if drain else _IDLE
        self._send(conn, error_response(status, message))

    # -- writing ---------------------------------------------------------------

    def _send(self, conn: _Connection, pieces: list[bytes]) -> None:
        conn.out += pieces
        self._flush(conn)

    def _flush(self, conn: _Connection) -> None:
        """Write what the socket takes now; wait for EVENT_WRITE for the rest.

        When everything is out, go back to reading (and to any pipelined
        requests already buffered) or close if the response ended the connection.
        """
        out = conn.out
        sock = conn.sock
        try:
            pos = conn.out_pos
            end = len(out)
            while pos < end:
                # A read position rather than deleting sent pieces from the front:
                # an iolist of a million pieces costs linear time, not quadratic.
                if _HAS_SENDMSG:
                    sent = sock.sendmsg(out[pos : pos + _IOV_MAX], (), _DONTWAIT)
                else:
                    sent = sock.send(out[pos], _DONTWAIT)
                while sent:
                    size = len(out[pos])
                    if sent >= size:
                        sent -= size
                        pos += 1
                    else:
                        out[pos] = memoryview(out[pos])[sent:]
                        sent = 0
                conn.out_pos = pos
            out.clear()
            conn.out_pos = 0
            if conn.file is not None and not self._send_file(conn):
                raise BlockingIOError
        except (BlockingIOError, InterruptedError):
            conn.deadline = time.monotonic() + self.timeouts.progress
            if not conn.writing:
                conn.writing = True
                if conn.registered:
                    self._selector.modify(sock, selectors.EVENT_WRITE, conn)
                else:
                    sock.setblocking(False)
                    self._selector.register(sock, selectors.EVENT_WRITE, conn)
                    conn.registered = True
            return
        except OSError as exc:
            if exc.errno not in (errno.EPIPE, errno.ECONNRESET):
                log.debug("send failed: %s", exc)
            self._close(conn)
            return
        if conn.close_after_write:
            if conn.phase == _DRAIN and not self._stopping:
                self._start_drain(conn)
            else:
                self._close(conn)
            return
        if conn.writing:
            conn.writing = False
            self._selector.modify(sock, selectors.EVENT_READ, conn)
            self._process(conn)

    def _start_drain(self, conn: _Connection) -> None:
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)
            return
        conn.deadline = time.monotonic() + _DRAIN_SECONDS
        if conn.writing:
            conn.writing = False
            self._selector.modify(conn.sock, selectors.EVENT_READ, conn)
        elif not conn.registered:
            conn.sock.setblocking(False)
            self._selector.register(conn.sock, selectors.EVENT_READ, conn)
            conn.registered = True

    def _send_file(self, conn: _Connection) -> bool:
        """Send the pending file; True when it is all out."""
        body = conn.file
        assert body is not None
        sock = conn.sock
        if sock.gettimeout() != 0.0:
            sock.setblocking(False)  # os.sendfile has no per-call flag
        try:
            in_fd = body.file.fileno() if _HAS_SENDFILE else -1
        except (OSError, ValueError):  # no descriptor (io.BytesIO): read and send
            in_fd = -1
        while body.length > 0:
            sent = -1
            if in_fd >= 0:
                try:
                    sent = os.sendfile(sock.fileno(), in_fd, body.offset, body.length)
                except OSError as exc:
                    if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                        return False
                    if exc.errno not in (errno.EINVAL, errno.ENOTSOCK, errno.ENOSYS):
                        raise
                    in_fd = -1
                if sent == 0:
                    # The file shrank while we were sending it: the framing is broken.
                    raise ConnectionError("file shorter than its Content-Length")
            if sent < 0:
                sent = self._send_file_chunk(sock, body)
                if sent == 0:
                    return False
            body.offset += sent
            body.length -= sent
        body.file.close()
        conn.file = None
        return True

    @staticmethod
    def _send_file_chunk(sock: socket.socket, body: FileBody) -> int:
        # Without sendfile (Windows, or a file with no descriptor): read and send.
        body.file.seek(body.offset)
        chunk = body.file.read(min(body.length, 256 * 1024))
        if not chunk:
            raise ConnectionError("file shorter than its Content-Length")
        try:
            return sock.send(chunk)
        except BlockingIOError:
            return 0


def serve_http(
    handler: Handler,
    *,
    address: str = "127.0.0.1",
    port: int = 8080,
    open_browser: bool = True,
    debug: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    timeouts: Timeouts = Timeouts(),  # frozen, so safe to share
    access_log: bool = True,
    allowed_hosts: Iterable[str] | None = None,
    ready: Callable[[Server], object] | None = None,
) -> None:
    """Serve ``handler`` until Ctrl-C, SIGTERM, or a response with ``shut_down=True``.

    ``handler`` is any callable from :class:`~kali.Request` to a
    :class:`~kali.Response`, ``str``, ``bytes`` or iolist; it is called on this
    thread, one request at a time. The socket is bound first (``port=0`` picks a
    free port), then the URL is printed, ``ready(server)`` is called (the URL is
    ``server.url``), and a browser is opened on it if ``open_browser`` and
    there is a display.
    """
    _configure_logging()
    server = Server(
        handler,
        address=address,
        port=port,
        debug=debug,
        limits=limits,
        timeouts=timeouts,
        access_log=access_log,
        allowed_hosts=allowed_hosts,
    )
    print(f"kali: serving on {server.url} (Ctrl-C to stop)", flush=True)
    if ready is not None:
        ready(server)
    if open_browser:
        _open_browser(server.url)
    restore = _install_signal_handlers(server)
    try:
        server.serve_forever()
    finally:
        restore()
        server.close()
    print("kali: stopped", flush=True)


def _configure_logging() -> None:
    # Show request lines and handler errors when the program has not set up
    # logging itself.
    kali_log = logging.getLogger("kali")
    if not logging.getLogger().handlers and not kali_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        kali_log.addHandler(handler)
        kali_log.setLevel(logging.INFO)


def has_display() -> bool:
    """Whether a graphical browser can be shown (always on Windows and macOS)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open_browser(url: str) -> None:
    if not has_display():
        print("kali: no display, so no browser opened; visit the URL above", flush=True)
        return
    # In a thread: some platforms' launchers block until the browser is up,
    # and the server must be answering by then.
    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()


def _install_signal_handlers(server: Server) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    stops = 0

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stops
        stops += 1
        if stops > 1:  # a second Ctrl-C: stop at once
            raise KeyboardInterrupt
        print(f"\nkali: {signal.Signals(signum).name}, shutting down", flush=True)
        server.shutdown()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


__all__ = ["BODY_SPILL_SIZE", "Server", "Timeouts", "has_display", "serve_http"]
