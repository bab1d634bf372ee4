"""The sequential HTTP server: one thread, every socket non-blocking.

Network I/O for all connections is multiplexed with epoll (`selectors` where
there is none: see `_poller.py`); handler calls happen one at a time, on the
thread that runs the server, as soon as a request is complete. An idle browser
preconnect, a client trickling its head, or a client that reads slowly costs
nothing: the loop only ever waits in the poller. Responses leave through
`socket.sendmsg` (the iolist's pieces as they are) and files through `os.sendfile`.

Why a poller loop rather than asyncio: handlers are synchronous by design (SQLite
on the main thread), so an event loop would only add a layer between the
socket and the handler. A loop of its own keeps the path from `recv` to the
handler short and visible, which is what the per-request CPU budget needs, and
it runs the same on Linux (epoll), macOS (kqueue) and Windows (select).

No client can hold the server: every phase of a connection has a deadline (an
idle connection, a head, a body that must keep a minimum rate, a reader that
must keep reading), a connection with a complete request waiting is not read
from until it is answered, and when the connection limit or the process's
descriptor limit is reached, the oldest idle connection — else the slowest
unfinished one — is closed to make room for the new one.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Final

from typing_extensions import Unpack

from ._connection import BODY, DRAIN, HEAD, IDLE, Connection, unsent
from ._loading import refuse_to_serve_while_loading
from ._poller import READ as _READ
from ._poller import WRITE as _WRITE
from ._poller import new_poller
from ._wire import LAST_CHUNK, Prepared, chunk, error_bytes
from .body import SPILL_SIZE, BodyBuffer
from .desktop.window import has_display
from .listening import BindError, allow_descriptors, listen
from .live import HIGH_WATER, Stream
from .options import ServerOptions, ServerSettings, make_options
from .pipeline import TOKEN_PARAM, Pipeline
from .protection import SAFE_METHODS, Guard, is_loopback
from .protocol import NEED_DATA, Data, HeadCache, ProtocolError, RequestHead, RequestParser
from .request import Request
from .response import FileBody
from .scheduler import Scheduler
from .typing import Handler

log = logging.getLogger("kali")
access_log = logging.getLogger("kali.access")

_RECV_SIZE: Final = 65536
_IOV_MAX: Final = 512
_JOIN_SIZE: Final = 1024  # a body up to this size is sent joined to its head
_CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
_HAS_SENDMSG: Final = hasattr(socket.socket, "sendmsg")
_HAS_SENDFILE: Final = hasattr(os, "sendfile")
_POSIX: Final = os.name == "posix" and hasattr(os, "writev")
"""Whether a socket's descriptor can be read and written with os.read and os.writev."""
# Per-call non-blocking I/O where the platform has it: a connection answered
# at once (accept, recv, send, close) then needs no fcntl/ioctl to become
# non-blocking. Elsewhere (Windows) sockets are made non-blocking on accept.
_DONTWAIT: Final = getattr(socket, "MSG_DONTWAIT", 0)
_DRAIN_SECONDS: Final = 2.0
"""After an error answered before the request body was read, how long (and how many bytes) to keep
reading and discarding it, so the client sees the answer rather than a reset connection.
"""
_DRAIN_BYTES: Final = 1024 * 1024
_RATE_GRACE: Final = 5.0
"""A body or a response must average `Timeouts.body_rate` once this many seconds have passed since
it began.
"""
_NO_DESCRIPTORS: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_STEP_BUDGET: Final = 0.005
"""How long one turn of the loop may spend on stream steps before going back to the sockets (at
least one step runs).
"""


class Server:
    """An HTTP/1.1 server, bound at construction and run by
    [`serve_forever`][kali.Server.serve_forever].

    Most programs call [`serve_http`][kali.serve_http] (or `App.run`). Use `Server`
    directly to learn the bound URL before serving (`port=0` picks a free port)
    or to stop it from another thread with [`shutdown`][kali.Server.shutdown]:

        server = Server(handler, port=0)
        print(server.url)
        server.serve_forever()

    The options are those of [`ServerOptions`][kali.ServerOptions], given as an
    object, as keywords, or both (the keywords win). Raises
    [`BindError`][kali.listening.BindError] when the address and port cannot be bound.
    `listener` is a socket already listening, served instead of binding one (its
    address and port win over the options').
    """

    def __init__(
        self,
        handler: Handler,
        options: ServerOptions | None = None,
        /,
        *,
        listener: socket.socket | None = None,
        **settings: Unpack[ServerSettings],
    ) -> None:
        self.options = options = make_options(options, settings)
        allow_descriptors(options.max_connections + 64)
        self.handler = handler
        self.limits = options.limits
        self.timeouts = options.timeouts
        self._heads = HeadCache(self.limits)  # the heads its connections parsed
        # A listener given (bound and listening already, as `kali run --reload` hands
        # one to each restart) decides the address and port.
        self._listener = listener if listener is not None else listen(options.address, options.port)
        self._listener.setblocking(False)
        family = self._listener.family
        self._family = family
        self._tcp = family in (socket.AF_INET, socket.AF_INET6)
        host, self.port = self._listener.getsockname()[:2]
        self.address: str = host
        self.url = f"http://{f'[{host}]' if family == socket.AF_INET6 else host}:{self.port}/"
        """The URL the server answers on, e.g. `http://127.0.0.1:8080/`."""
        use_token = options.launch_token
        if use_token is None:
            use_token = not is_loopback(host)
        token = secrets.token_urlsafe(24) if use_token else None
        self.launch_url = self.url + (f"?{TOKEN_PARAM}={token}" if token else "")
        """The URL to open in the browser: `url`, with the launch token if there is one."""
        self.pipeline = Pipeline(
            handler,
            guard=Guard(host, options.allowed_hosts),
            debug=options.debug,
            security_headers=options.security_headers,
            launch_token=token,
        )
        self._poller = new_poller()
        self._listener_fd = self._listener.fileno()
        self._poller.register(self._listener_fd, _READ)
        self._accepting = True
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._wake_fd = self._wake_r.fileno()
        self._poller.register(self._wake_fd, _READ)
        self._connections: dict[int, Connection] = {}
        # Connections with complete requests still buffered, served in turn.
        self._ready: list[Connection] = []
        self._stopping = False
        self._closed = False
        self._log_requests = False
        # Streams with a step to run, one step each per turn of the loop.
        self._stepping: deque[Connection] = deque()
        self._streams: dict[Stream, Connection] = {}
        found = getattr(handler, "scheduler", None)
        self.scheduler: Scheduler = found if isinstance(found, Scheduler) else Scheduler()
        """The timers this server runs between requests (an App's own, when serving one)."""

    # -- running ---------------------------------------------------------------

    def serve_forever(self) -> None:
        """Serve until [`shutdown`][kali.Server.shutdown] (or a response with `shut_down=True`).

        Then the listener closes, in-flight responses finish (within
        `timeouts.shutdown_grace`) and every connection is closed.
        """
        self._log_requests = self.options.access_log and access_log.isEnabledFor(logging.INFO)
        poll = self._poller.poll
        connections = self._connections
        on_readable = self._on_readable
        flush = self._flush
        scheduler = self.scheduler
        # PERF: read only, to skip the scheduler when it is empty (a subclass: never).
        timers = scheduler._heap if type(scheduler) is Scheduler else [None]
        stepping = self._stepping
        next_sweep = time.monotonic() + 1.0
        try:
            while not self._stopping:
                if self._ready or stepping:
                    timeout = 0.0
                elif timers:
                    due = scheduler.next_due()
                    timeout = 1.0 if due is None or due > 1.0 else due
                else:
                    timeout = 1.0
                for fd, _ in poll(timeout):
                    conn = connections.get(fd)
                    if conn is not None:
                        if not conn.events:
                            continue  # a closed connection's event; its number reused
                        # What the socket is ready for is what it is watched for
                        # (an error or a hang-up is found by the reading or writing).
                        try:
                            if conn.events == _WRITE:
                                flush(conn)
                            else:
                                on_readable(conn)
                        except Exception:
                            self._internal_error(conn)
                    elif fd == self._listener_fd:
                        self._accept()
                    elif fd == self._wake_fd:
                        with contextlib.suppress(OSError):
                            self._wake_r.recv(4096)
                if self._ready:
                    # One more request from each connection that had several
                    # buffered (pipelined): none can monopolise the handler.
                    ready, self._ready = self._ready, []
                    for conn in ready:
                        if not conn.writing and conn.sock.fileno() >= 0:
                            self._guarded(self._process, conn)
                if stepping:
                    self._step_streams()
                if timers and scheduler.next_due() == 0.0:
                    scheduler.run_due()
                now = time.monotonic()
                if now >= next_sweep:
                    self._sweep(now)
                    next_sweep = now + 1.0
            self._finish()
        finally:
            self.close()

    def _guarded(self, method: Callable[[Connection], None], conn: Connection) -> None:
        try:
            method(conn)
        except Exception:
            self._internal_error(conn)

    def _internal_error(self, conn: Connection) -> None:
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
        if self._accepting:
            with contextlib.suppress(OSError):
                self._poller.unregister(self._listener_fd)
        self._listener.close()
        self._poller.close()
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
            for fd, _ in self._poller.poll(0.1):
                writer = self._connections.get(fd)
                if writer is not None:
                    self._guarded(self._flush, writer)
                elif fd == self._wake_fd:
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(4096)

    # -- connections -----------------------------------------------------------

    def _accept(self) -> None:
        # One connection per wake-up: the listener is level-triggered, so the
        # loop comes back at once if more are queued, and the common case of a
        # single new connection costs no failing accept() call.
        if len(self._connections) >= self.options.max_connections and not self._evict():
            self._pause_accepting()
            return
        try:
            # socket.accept() without its per-call enum conversions of family and type.
            fd, client = self._listener._accept()  # type: ignore[attr-defined]
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            if exc.errno in _NO_DESCRIPTORS and self._evict():
                return  # a descriptor is free now; the listener is still readable
            log.warning("accept failed: %s", exc)
            if self._connections:
                self._pause_accepting()
            return
        sock = socket.socket(self._family, socket.SOCK_STREAM, 0, fd)
        if not _DONTWAIT:
            sock.setblocking(False)
        if self._heads.limits is not self.limits:  # changed since: start again
            self._heads = HeadCache(self.limits)
        conn = Connection(sock, client, RequestParser(self.limits, self._heads))
        conn.deadline = time.monotonic() + self.timeouts.idle
        self._connections[fd] = conn
        # The request has often arrived with the connection: try it now, and
        # involve the selector only if the connection outlives that attempt.
        self._guarded(self._on_readable, conn)

    def _evict(self) -> bool:
        """Close one connection to make room: the oldest idle one, else the slowest
        unfinished one (by bytes moved a second). False if none can go."""
        idle: Connection | None = None
        waiting: Connection | None = None
        slowest: Connection | None = None
        slowest_rate = 0.0
        now = time.monotonic()
        for conn in self._connections.values():
            if conn.stream is not None:
                if waiting is None and not conn.stepping and not conn.writing:
                    waiting = conn  # an event stream waiting for events
            elif conn.phase is IDLE and not conn.writing:
                if idle is None or conn.deadline < idle.deadline:
                    idle = conn
            else:
                rate = conn.moved / max(now - conn.since, 0.001)
                if slowest is None or rate < slowest_rate:
                    slowest, slowest_rate = conn, rate
        victim = idle or waiting or slowest
        if victim is None:
            return False
        self._close(victim)
        return True

    def _pause_accepting(self) -> None:
        if self._accepting:
            self._poller.unregister(self._listener_fd)
            self._accepting = False

    def _watch(self, conn: Connection, events: int) -> None:
        """Make the poller watch `conn` for `events`, READ or WRITE (0: not at all)."""
        if events == conn.events:
            return
        if conn.events == 0:
            conn.sock.setblocking(False)  # sendfile has no per-call flag; a no-op once set
            conn.direct = _POSIX
            self._poller.register(conn.fd, events)
        elif events == 0:
            self._poller.unregister(conn.fd)
        else:
            self._poller.modify(conn.fd, events)
        conn.events = events

    def _close(self, conn: Connection) -> None:
        fd = conn.fd
        if self._connections.get(fd) is not conn:
            return
        del self._connections[fd]
        if conn.events:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._poller.unregister(fd)
            conn.events = 0
        conn.sock.close()
        conn.direct = False  # its descriptor's number may soon be another's
        if conn.file is not None:
            conn.file.file.close()
            conn.file = None
        conn.source = None
        conn.out = []
        stream = conn.stream
        if stream is not None:
            conn.stream = None
            stream.notify = None
            stream.close()  # the client went away: the generator's finally runs
        if conn.body is not None:
            conn.body.close()
            conn.body = None
        if not self._accepting and not self._stopping and not self._closed:
            self._poller.register(self._listener_fd, _READ)
            self._accepting = True

    def _sweep(self, now: float) -> None:
        rate = self.timeouts.body_rate
        for conn in list(self._connections.values()):
            stream = conn.stream
            if stream is not None:
                # A stream may be silent for as long as it likes (an event stream
                # waiting for events); only a reader that stopped reading is cut.
                if conn.writing and conn.deadline < now:
                    self._close(conn)
                else:
                    stream.tick(now)
                continue
            slow = (conn.phase is BODY or conn.writing) and conn.moved < rate * (
                now - conn.since - _RATE_GRACE
            )
            if conn.deadline < now or slow:
                if conn.phase in (HEAD, BODY) and not conn.writing:
                    self._reject(conn, 408, "Timed out waiting for the request")
                else:
                    self._close(conn)

    def _on_readable(self, conn: Connection) -> None:
        try:
            # PERF: os.read parses no arguments as recv does (no flag: non-blocking)
            data = (
                os.read(conn.fd, _RECV_SIZE)
                if conn.direct
                else conn.sock.recv(_RECV_SIZE, _DONTWAIT)
            )
        except (BlockingIOError, InterruptedError):
            if conn.events == 0:
                self._wait_for_request(conn)
            return
        except OSError:
            self._close(conn)
            return
        if not data:
            self._on_eof(conn)
            return
        phase = conn.phase
        if phase is IDLE and conn.stream is None:
            # PERF: the usual read, one whole request without a body, in one call of
            # the parser; anything else goes the event by event way below.
            try:
                head = conn.parser.feed_request(data)
            except ProtocolError as exc:
                self._reject(conn, exc.status, exc.message)
                return
            if head is not None:
                self._answer_whole(conn, head)
                return
        elif phase is DRAIN:
            conn.drained += len(data)
            if conn.drained > _DRAIN_BYTES:
                self._close(conn)
            return
        conn.moved += len(data)
        conn.parser.feed(data)
        if conn.stream is not None:
            # Requests pipelined behind a stream wait for its end; read no more.
            if conn.parser.buffered > _RECV_SIZE:
                self._watch(conn, 0)
            return
        self._process(conn)

    def _on_eof(self, conn: Connection) -> None:
        # The client has shut down its side. Requests it sent before are still
        # answered (a half-close after pipelined requests), then the connection closes.
        conn.eof = True
        if conn.stream is not None:
            self._close(conn)  # nobody reads the stream any more
            return
        if conn.phase is DRAIN or not conn.parser.buffered:
            if not conn.writing:
                self._close(conn)
            else:
                conn.close_after_write = True
            return
        if conn.events == _READ:
            self._watch(conn, 0)  # recv would return b"" forever
        if not conn.writing:
            self._process(conn)

    def _process(self, conn: Connection) -> None:
        """Handle the next complete request buffered on `conn`.

        Stops at the first request answered when more bytes remain buffered (the
        connection then waits its turn in `_ready`, not read from meanwhile),
        when the response has to wait for the socket, or when more data is needed.
        """
        parser = conn.parser
        while not conn.writing and conn.stream is None and not self._stopping:
            try:
                event = parser.next_event()
            except ProtocolError as exc:
                self._reject(conn, exc.status, exc.message)
                return
            if event is NEED_DATA:
                if conn.eof:
                    self._close(conn)
                else:
                    self._wait_for_request(conn)
                return
            kind = type(event)
            if kind is RequestHead:
                if not self._start_request(conn, event):  # type: ignore[arg-type]
                    return
            elif kind is Data:
                self._add_body(conn, event.data)  # type: ignore[union-attr]
            else:
                self._respond(conn)
                if conn.sock.fileno() < 0:
                    return
                if parser.buffered and not conn.writing:
                    self._ready.append(conn)
                    self._watch(conn, 0)  # read no more until these are answered
                    return

    def _answer_whole(self, conn: Connection, head: RequestHead) -> None:
        """Answer a whole request without a body, the only bytes an idle connection had.

        PERF: the usual request, let through by the guard on sight and answered in
        one write, in one step; anything else goes through `_start_request`,
        `_respond` and `_wait_for_request`, as a request read in pieces does.
        """
        pipeline = self.pipeline
        if (
            head.host not in pipeline.guard.accepted
            or head.method not in SAFE_METHODS
            or pipeline.launch_token is not None
            or self._log_requests
            or self._stopping
            or conn.eof
            or conn.out
        ):
            if self._start_request(conn, head):
                self._respond(conn)
                if not conn.writing and conn.sock.fileno() >= 0:
                    self._process(conn)
            return
        prepared, shut_down = pipeline.serve(
            Request.from_head(head, b"", conn.client), head.keep_alive
        )
        if shut_down:
            self.shutdown()
        body = prepared.body
        if (
            not prepared.keep_alive
            # (a file, a source or a stream comes with no pieces)
            or (
                not body
                and (
                    prepared.file is not None
                    or prepared.source is not None
                    or prepared.stream is not None
                )
            )
            or len(body) >= _IOV_MAX
            or not _HAS_SENDMSG
        ):
            conn.phase = BODY  # the general way from here: _respond's second half
            self._finish_response(conn, prepared)
            if not conn.writing and conn.sock.fileno() >= 0:
                self._process(conn)
            return
        if not conn.nodelay and self._tcp:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.nodelay = True
        conn.phase = BODY  # until the answer is out
        if self._send_at_once(conn, prepared):
            conn.phase = IDLE
            conn.deadline = time.monotonic() + self.timeouts.idle
            if conn.events != _READ:
                self._watch(conn, _READ)

    def _start_request(self, conn: Connection, head: RequestHead) -> bool:
        now = time.monotonic()
        conn.head = head
        conn.phase = BODY
        conn.deadline = now + self.timeouts.progress
        if self._log_requests:
            conn.started = time.perf_counter()
        refusal = self.pipeline.refuse_head(head)
        if refusal is not None:
            # Answered on the head alone: the body is never read, let alone handled.
            self._log(conn, head, 403)
            conn.close_after_write = True
            has_body = head.content_length != 0
            conn.phase = DRAIN if has_body else IDLE
            self._send(conn, self.pipeline.frame_refusal(refusal, head.method, head.http_version))
            return False
        if head.expect_continue and head.content_length != 0 and not conn.parser.buffered:
            self._send_pieces(conn, [_CONTINUE])
        conn.since = now
        conn.moved = 0
        return True

    def _add_body(self, conn: Connection, data: bytes) -> None:
        conn.deadline = time.monotonic() + self.timeouts.progress
        body = conn.body
        if body is None:
            body = conn.body = BodyBuffer(SPILL_SIZE)
        body.write(data)

    def _wait_for_request(self, conn: Connection) -> None:
        # Deadlines are set when a phase begins, never extended by bytes that
        # do not advance it (blank lines between requests, say).
        if conn.parser.between_requests:
            if conn.phase is not IDLE:
                conn.phase = IDLE
                conn.head = None
                conn.deadline = time.monotonic() + self.timeouts.idle
        elif conn.phase is IDLE:
            conn.phase = HEAD  # the whole head must arrive in time
            conn.since = now = time.monotonic()
            conn.moved = conn.parser.buffered
            conn.deadline = now + self.timeouts.head
        self._watch(conn, _READ)

    def _respond(self, conn: Connection) -> None:
        head = conn.head
        assert head is not None
        conn.head = None
        body = conn.body
        conn.body = None
        request = Request.from_head(head, b"" if body is None else body, conn.client)
        keep_alive = head.keep_alive and not self._stopping
        if conn.eof and not conn.parser.buffered:
            keep_alive = False
        prepared, shut_down = self.pipeline.serve(request, keep_alive)
        if self._log_requests:
            self._log(conn, head, prepared.status)
        if shut_down:
            self.shutdown()
        self._finish_response(conn, prepared)

    def _finish_response(self, conn: Connection, prepared: Prepared) -> None:
        if not prepared.keep_alive:
            conn.close_after_write = True
        elif not conn.nodelay and self._tcp:
            # The connection carries more responses: do not let Nagle hold a
            # small one back. (Set only now: a one-response connection is closed
            # right after its single write, which flushes it anyway.)
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.nodelay = True
        self._send(conn, prepared)

    def _log(self, conn: Connection, head: RequestHead, status: int) -> None:
        if self._log_requests:
            access_log.info(
                "%s %s %d %.1fms",
                head.method,
                head.target,
                status,
                (time.perf_counter() - conn.started) * 1000,
            )

    def _reject(self, conn: Connection, status: int, message: str) -> None:
        # A client error outside any handler: answer, then close, since the
        # framing of anything that follows is unknown. If the client may still
        # be sending (a body we refused), read and discard it for a while
        # before closing, or its TCP stack would reset the connection and the
        # answer could be lost.
        if self._log_requests:
            access_log.info("- - %d (%s)", status, message)
        drain = conn.phase in (HEAD, BODY)
        conn.close_after_write = True
        conn.phase = DRAIN if drain else IDLE
        self._send_pieces(conn, error_bytes(status, message, self.pipeline.defaults))

    # -- streams ---------------------------------------------------------------

    def _stream_ready(self, stream: Stream) -> None:
        # A stream that had nothing to send (an event stream) has something now.
        conn = self._streams.get(stream)
        if conn is not None and not conn.stepping and not conn.writing:
            conn.stepping = True
            self._stepping.append(conn)

    def _step_streams(self) -> None:
        """Run one step of each stream that has one, round-robin, within a few
        milliseconds; then the loop goes back to the sockets."""
        queue = self._stepping
        budget = time.perf_counter() + _STEP_BUDGET
        for _ in range(len(queue)):
            conn = queue.popleft()
            conn.stepping = False
            stream = conn.stream
            if stream is None or conn.sock.fileno() < 0:
                continue
            if conn.writing and unsent(conn) > HIGH_WATER:
                continue  # a slow reader: resumed when its output drains
            try:
                pieces = stream.step()
            except Exception:
                log.exception("Error in a streamed response; its connection is closed")
                self._close(conn)
                continue
            if pieces is None:
                self._end_stream(conn)
            else:
                if pieces:
                    self._send_pieces(conn, chunk(pieces) if conn.chunked else pieces)
                if conn.stream is stream and stream.ready() and not conn.stepping:
                    conn.stepping = True
                    queue.append(conn)
            if time.perf_counter() > budget:
                break

    def _end_stream(self, conn: Connection) -> None:
        stream = conn.stream
        conn.stream = None
        if stream is not None:
            stream.notify = None
            self._streams.pop(stream, None)
        if conn.chunked:
            conn.chunked = False
            self._send_pieces(conn, [LAST_CHUNK])
            if not conn.writing and not conn.close_after_write and conn.sock.fileno() >= 0:
                self._process(conn)  # pipelined requests, or wait for the next one
        else:
            conn.close_after_write = True
            self._send_pieces(conn, [])

    # -- writing ---------------------------------------------------------------

    def _send(self, conn: Connection, prepared: Prepared) -> None:
        conn.file = prepared.file
        conn.source = prepared.source
        stream = prepared.stream
        if stream is not None:
            conn.stream = stream
            conn.chunked = prepared.chunked
            conn.deadline = time.monotonic() + self.timeouts.progress
            stream.notify = self._stream_ready
            self._streams[stream] = conn
            if not conn.nodelay and self._tcp:  # small steps must leave at once
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conn.nodelay = True
            stream.on_close(lambda: self._streams.pop(stream, None))
            if stream.ready():
                conn.stepping = True
                self._stepping.append(conn)
        if (
            not conn.out
            and prepared.file is None
            and prepared.source is None
            and stream is None
            and len(prepared.body) < _IOV_MAX
            and _HAS_SENDMSG
        ):
            if self._send_at_once(conn, prepared) and conn.close_after_write:
                self._end_connection(conn)
            return
        self._send_pieces(conn, [prepared.head, *prepared.body])

    def _send_at_once(self, conn: Connection, prepared: Prepared) -> bool:
        """Send a small whole answer in one call, without `_flush`: True if it all went
        out; else what is left is queued (or the connection, failing, closed)."""
        head = prepared.head
        body = prepared.body
        try:
            if conn.direct:
                # PERF: os.writev parses no arguments as sendmsg does
                sent = os.writev(conn.fd, [head, *body])
            elif not body:
                sent = conn.sock.send(head, _DONTWAIT)
            elif len(body) == 1 and len(body[0]) <= _JOIN_SIZE:
                # PERF: `send` of one buffer costs less than `sendmsg` for so little.
                sent = conn.sock.send(head + body[0], _DONTWAIT)
            else:
                sent = conn.sock.sendmsg([head, *body], (), _DONTWAIT)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._close(conn)
            return False
        if sent == len(head) + (prepared.length if body else 0):
            return True
        self._send_pieces(conn, [head, *body], sent)
        return False

    def _send_pieces(self, conn: Connection, pieces: list[bytes], sent: int = 0) -> None:
        if conn.out:
            conn.out += pieces
        else:
            conn.out = pieces  # type: ignore[assignment]
            conn.out_pos = 0
            while sent:  # what a first attempt already sent
                size = len(pieces[conn.out_pos])
                if sent >= size:
                    sent -= size
                    conn.out_pos += 1
                else:
                    pieces[conn.out_pos] = memoryview(pieces[conn.out_pos])[sent:]  # type: ignore[call-overload]
                    sent = 0
        conn.since = time.monotonic()
        conn.moved = 0
        self._flush(conn)

    def _flush(self, conn: Connection) -> None:
        """Write what the socket takes now; wait for EVENT_WRITE for the rest.

        When everything is out, go back to reading (and to any pipelined
        requests already buffered) or close if the response ended the connection.
        """
        sock = conn.sock
        try:
            while True:
                out = conn.out
                pos = conn.out_pos
                end = len(out)
                while pos < end:
                    # A read position rather than deleting sent pieces from the front:
                    # an iolist of a million pieces costs linear time, not quadratic.
                    if _HAS_SENDMSG:
                        sent = sock.sendmsg(out[pos : pos + _IOV_MAX], (), _DONTWAIT)
                    else:
                        sent = sock.send(out[pos], _DONTWAIT)
                    conn.moved += sent
                    while sent:
                        size = len(out[pos])
                        if sent >= size:
                            sent -= size
                            pos += 1
                        else:
                            out[pos] = memoryview(out[pos])[sent:]
                            sent = 0
                    conn.out_pos = pos
                conn.out = []
                conn.out_pos = 0
                source = conn.source
                if source is None:
                    break
                window = next(source, None)  # the next piece of a large body
                if window is None:
                    conn.source = None
                    break
                conn.out = window  # type: ignore[assignment]
            if conn.file is not None and not self._send_file(conn):
                raise BlockingIOError
        except (BlockingIOError, InterruptedError):
            conn.deadline = time.monotonic() + self.timeouts.progress
            if not conn.writing:
                conn.writing = True
                self._watch(conn, _WRITE)
            return
        except OSError as exc:
            if exc.errno not in (errno.EPIPE, errno.ECONNRESET):
                log.debug("send failed: %s", exc)
            self._close(conn)
            return
        stream = conn.stream
        if stream is not None:
            # Between two steps: the client may close (read to see it), and a
            # stream paused at the high-water mark goes on.
            if conn.writing:
                conn.writing = False
            self._watch(conn, _READ)
            if not conn.stepping and stream.ready():
                conn.stepping = True
                self._stepping.append(conn)
            return
        if conn.close_after_write:
            self._end_connection(conn)
            return
        if conn.writing:
            conn.writing = False
            if conn.eof:
                self._watch(conn, 0)
            self._process(conn)

    def _end_connection(self, conn: Connection) -> None:
        # The last response is out: close, or first drain a body the client may
        # still be sending (an answer before its body: see _reject).
        if conn.phase is DRAIN and not self._stopping and not conn.eof:
            self._start_drain(conn)
        else:
            self._close(conn)

    def _start_drain(self, conn: Connection) -> None:
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)
            return
        conn.writing = False
        conn.deadline = time.monotonic() + _DRAIN_SECONDS
        self._watch(conn, _READ)

    def _send_file(self, conn: Connection) -> bool:
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
            conn.moved += sent
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
    options: ServerOptions | None = None,
    /,
    *,
    ready: Callable[[Server], object] | None = None,
    **settings: Unpack[ServerSettings],
) -> None:
    """Serve `handler` until Ctrl-C, SIGTERM, or a response with `shut_down=True`.

    `handler` is any callable from a [`Request`][kali.Request] to a
    [`Response`][kali.Response], `str`, `bytes` or iolist; it is called on this
    thread, one request at a time. The options are those of
    [`ServerOptions`][kali.ServerOptions] (an object, keywords, or both). The
    socket is bound first (`port=0` picks a free port), then the URL is printed,
    `ready(server)` is called (the URL is `server.url`), and a browser is opened
    on it if `open_browser` and there is a display.

    The desktop options (`window`, `app_id`, `exit_when_closed`; see
    [`kali.desktop`][kali.desktop]) are handled here: with an `app_id` already
    running, a window is opened on that program and `serve_http` returns without
    serving; the last window closing stops the server as Ctrl-C does.

    If the address cannot be bound (the port is taken, say) the program exits
    with one line saying what to do, rather than a traceback.
    """
    refuse_to_serve_while_loading()  # `kali run` is importing a module that serves on import
    opts = make_options(options, settings)
    _configure_logging()
    from .desktop.lifecycle import Lifecycle  # only when serving

    lifecycle = Lifecycle(handler, opts)  # the desktop options: window, app_id, exit...
    running = lifecycle.running()
    if running is not None:
        lifecycle.hand_over(running)  # a second launch of a one-instance app
        return
    try:
        server = Server(lifecycle.handler, opts, listener=lifecycle.listener())
    except BindError as exc:
        lifecycle.close()
        raise SystemExit(f"kali: {exc.strerror}") from None
    lifecycle.attach(server)
    print(f"kali: serving on {server.launch_url} (Ctrl-C to stop)", flush=True)
    if not is_loopback(server.address):
        print(
            f"kali: warning: bound to {server.address}, so other computers can connect; only "
            "the browser that opens the address above (with its token) is served",
            flush=True,
        )
    if ready is not None:
        ready(server)
    lifecycle.open(server.launch_url)
    restore = _install_signal_handlers(server)
    try:
        server.serve_forever()
    finally:
        restore()
        server.close()
        lifecycle.close()
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


__all__ = ["BindError", "Server", "has_display", "listen", "serve_http"]
