"""Live pages on one thread: bodies sent in steps, and server-sent events.

**Streamed bodies.** A handler may return a generator (or a
[`Stream`][kali.live.Stream] wrapping any iterator, or a `Response` whose body is
one). Each `next()` is one *step*, run on the handler thread; what a step yields
(an iolist) is sent at once — chunked on HTTP/1.1, to the connection's close on
HTTP/1.0 — and between two steps the server serves every other connection. So
long work written as a generator keeps the whole app responsive:

    @app.post("/import")
    def import_rows(request: Request) -> Iterator[str]:
        rows = parse(request.form["file"])
        for done, row in enumerate(rows, 1):
            save(row)
            yield f"<p>{done} of {len(rows)}</p>"

A slow reader pauses its stream: the generator is not advanced while more than
[`HIGH_WATER`][kali.live.HIGH_WATER] bytes of its output are unsent. A client that
goes away closes the generator (its `finally` runs). An exception in a step is
logged and ends the response where it stands (the connection closes without the
final chunk, so the client knows the body is incomplete).

**Server-sent events.** An [`EventStream`][kali.live.EventStream] is a channel that
handlers (and timers) [`publish`][kali.live.EventStream.publish] to; a handler
returns [`subscribe(request)`][kali.live.EventStream.subscribe] for an
`EventSource` in the page. A subscriber costs nothing while idle; a comment keeps
it alive through proxies; `Last-Event-ID` resumes from a bounded backlog; a
subscriber that vanishes is dropped.

Everything here runs on the serving thread: call `publish` from handlers and
timers, not from other threads.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Final

from .iolist import to_chunks
from .typing import IoItem

if TYPE_CHECKING:
    from .request import Request
    from .response import Response

log = logging.getLogger("kali")

HIGH_WATER: Final = 256 * 1024
"""A stream is not advanced while more than this many of its bytes are unsent."""


class Stream:
    """A response body made in steps: each step is one `next()` of `steps`.

    `steps` is any iterable of iolists (`str`, `bytes` or nested lists of them);
    a generator is the usual one. Pass a `Stream` as a `Response` body to choose
    the status and headers (`Response(Stream(steps), content_type="text/plain")`);
    a handler may also return the generator itself.
    """

    def __init__(self, steps: Iterable[IoItem]) -> None:
        self._steps: Iterator[IoItem] | None = iter(steps)
        self._on_close: list[Callable[[], object]] = []
        self._after_step: list[Callable[[], object]] = []
        self.notify: Callable[[Stream], None] | None = None
        """Told that the stream has output to step (set by whoever sends it)."""

    @property
    def finished(self) -> bool:
        """Whether the last step has run (or the stream was closed)."""
        return self._steps is None

    def ready(self) -> bool:
        """Whether [`step`][kali.live.Stream.step] would produce something now."""
        return self._steps is not None

    def step(self) -> list[bytes] | None:
        """Run one step; its output as `bytes` pieces, or `None` once finished.

        An exception raised by the step propagates (the caller logs it and ends
        the response); the stream is finished afterwards.
        """
        steps = self._steps
        if steps is None:
            return None
        try:
            item = next(steps)
            for check in self._after_step:
                check()
        except StopIteration:
            try:
                for check in self._after_step:
                    check()
            finally:
                self.close()
            return None
        except BaseException:
            self.close()
            raise
        return to_chunks(item)

    def after_each_step(self, check: Callable[[], object]) -> None:
        """Call `check()` after every step (and after the last); an exception it
        raises ends the stream like one raised by the step. The SQLite guard uses it
        so that no transaction stays open between two steps."""
        self._after_step.append(check)

    def on_close(self, callback: Callable[[], object]) -> None:
        """Call `callback()` when the stream is finished or closed (once)."""
        if self._steps is None:
            callback()
        else:
            self._on_close.append(callback)

    def close(self) -> None:
        """Finish the stream now: close the generator (its `finally` runs)."""
        steps, self._steps = self._steps, None
        if steps is not None:
            close = getattr(steps, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    log.exception("Error while closing a stream")
        callbacks, self._on_close = self._on_close, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("Error in a stream's close callback")

    def tick(self, now: float) -> None:
        """Called about once a second while the stream is being sent (keep-alives)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {'finished' if self.finished else 'open'}>"


class Event:
    """One server-sent event, encoded once for every subscriber."""

    __slots__ = ("data", "encoded", "event", "id")

    def __init__(self, id: int, event: str | None, data: str) -> None:
        self.id = id
        self.event = event
        self.data = data
        lines = [f"id: {id}\n"]
        if event is not None:
            lines.append(f"event: {event}\n")
        lines += [f"data: {line}\n" for line in data.split("\n")]
        lines.append("\n")
        self.encoded = "".join(lines).encode()

    def __repr__(self) -> str:
        return f"Event({self.id}, {self.event!r}, {self.data!r})"


class EventStream:
    """A channel of server-sent events: handlers publish, pages subscribe.

    Args:
        backlog: how many recent events are kept for subscribers that reconnect
            with `Last-Event-ID` (older ones are gone; such a subscriber gets the
            `backlog` most recent and should reload what it shows).
        keepalive: seconds of silence after which a subscriber gets a comment
            line, which keeps proxies and the browser from dropping it.
        retry: the reconnection delay `EventSource` should use, in milliseconds.
    """

    def __init__(self, *, backlog: int = 100, keepalive: float = 15.0, retry: int = 2000) -> None:
        if backlog < 0:
            raise ValueError("backlog must be 0 or more")
        self.keepalive = keepalive
        self.retry = retry
        self._backlog: deque[Event] = deque(maxlen=backlog)
        self._ids = itertools.count(1)
        self._published = 0
        self._subscribers: set[Subscription] = set()

    @property
    def subscribers(self) -> int:
        """How many subscribers are connected."""
        return len(self._subscribers)

    def publish(self, event: str | None = None, data: object = "") -> Event:
        """Send an event to every subscriber; return it.

        `data` is sent as it is when it is a `str`, else as JSON. `event` names
        the event type (`addEventListener(event, ...)` in the page); without it,
        the page's `onmessage` receives it.
        """
        text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        if event is not None and ("\n" in event or "\r" in event):
            raise ValueError(f"an event name cannot hold a line break: {event!r}")
        message = Event(next(self._ids), event, text.replace("\r\n", "\n").replace("\r", "\n"))
        self._published = message.id
        self._backlog.append(message)
        for subscriber in list(self._subscribers):
            subscriber.push(message.encoded)
        return message

    @property
    def last_id(self) -> int:
        """The id of the latest event published (0 before the first).

        Put it in a page as it is drawn (`/events?since={events.last_id}`) and pass it
        to [`subscribe`][kali.live.EventStream.subscribe]: the page then also gets the
        events published while it loaded, before its `EventSource` connected.
        """
        return self._backlog[-1].id if self._backlog else self._published

    def subscribe(self, request: Request, since: int | None = None) -> Response:
        """The response for an `EventSource` request: a `text/event-stream` that
        stays open and receives every event published from now on, and, first, those
        after `since` (an id the page was drawn at) or after the request's
        `Last-Event-ID` (a reconnecting `EventSource`), if the backlog still has them."""
        from .response import Response

        last = _last_id(request)
        subscription = Subscription(self, since if last is None else last)
        response = Response(subscription, content_type="text/event-stream")
        response.headers.add("Cache-Control", "no-store")
        return response

    def _add(self, subscription: Subscription, last_id: int | None) -> list[bytes]:
        self._subscribers.add(subscription)
        first = [f"retry: {self.retry}\n\n".encode()]
        if last_id is not None:
            first += [e.encoded for e in self._backlog if e.id > last_id]
        return first

    def _remove(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    def __repr__(self) -> str:
        return f"<EventStream {len(self._subscribers)} subscribers>"


class Subscription(Stream):
    """One subscriber of an [`EventStream`][kali.live.EventStream]: a stream that has a
    step only when an event (or a keep-alive) is waiting."""

    def __init__(self, channel: EventStream, last_id: int | None) -> None:
        super().__init__(())
        self._channel = channel
        self._pending: list[bytes] = channel._add(self, last_id)
        self._last_sent = time.monotonic()
        self.on_close(lambda: channel._remove(self))

    def push(self, encoded: bytes) -> None:
        """Queue an encoded event for this subscriber."""
        if self.finished:
            return
        self._pending.append(encoded)
        if len(self._pending) == 1 and self.notify is not None:
            self.notify(self)

    def ready(self) -> bool:
        return bool(self._pending) and not self.finished

    def step(self) -> list[bytes] | None:
        if self.finished:
            return None
        pending, self._pending = self._pending, []
        self._last_sent = time.monotonic()
        return pending

    def tick(self, now: float) -> None:
        if not self._pending and now - self._last_sent >= self._channel.keepalive:
            self.push(b": keepalive\n\n")

    def drain(self) -> list[bytes]:
        """What is waiting now, and the end of the subscription (for the test
        client and WSGI, which cannot hold a connection open for later events)."""
        pending = self.step() or []
        self.close()
        return pending


def _last_id(request: Request) -> int | None:
    text = request.headers.get("last-event-id")
    if text is None:
        return None
    text = text.strip()
    # isascii: the header is Latin-1, and '²' is a digit to isdigit() but not to int().
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


__all__ = ["HIGH_WATER", "Event", "EventStream", "Stream", "Subscription"]
