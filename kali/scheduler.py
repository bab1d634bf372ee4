"""Timers on the handler thread: [`Scheduler`][kali.scheduler.Scheduler].

A timer's function runs on the thread that serves requests, between two
requests, never while a handler runs — so it may use the app's SQLite
connection exactly as a handler does. Use it for autosave, polling a folder,
expiring something:

    @app.every(30)
    def autosave() -> None:
        ...

    app.call_later(5, remind)

Timers run while a kali server serves the app (`app.run`, `serve_http`). The test
client runs due timers when told to ([`TestClient.run_timers`][kali.testing.TestClient.run_timers]);
a WSGI server runs none.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("kali")


class Timer:
    """A scheduled call; [`cancel`][kali.scheduler.Timer.cancel] it to stop it."""

    __slots__ = ("args", "cancelled", "due", "function", "interval")

    def __init__(
        self, due: float, function: Callable[..., object], args: tuple[Any, ...], interval: float
    ) -> None:
        self.due = due
        self.function = function
        self.args = args
        self.interval = interval
        """Seconds between two runs, or `0.0` for a single call."""
        self.cancelled = False

    def cancel(self) -> None:
        """Do not run it (again)."""
        self.cancelled = True

    def __repr__(self) -> str:
        name = getattr(self.function, "__qualname__", self.function)
        every = f" every {self.interval}s" if self.interval else ""
        return f"<Timer {name}{every}{' cancelled' if self.cancelled else ''}>"


class Scheduler:
    """Calls to make later, on the serving thread, in order of their due time.

    `clock` is `time.monotonic` by default; tests may pass their own.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        # One list for the scheduler's life: a server's loop reads it to skip an empty one.
        self._heap: list[tuple[float, int, Timer]] = []
        self._serial = itertools.count()

    def call_later(self, delay: float, function: Callable[..., object], *args: Any) -> Timer:
        """Call `function(*args)` once, `delay` seconds from now."""
        if delay < 0:
            raise ValueError(f"call_later needs a delay of 0 or more seconds, not {delay}")
        return self._push(Timer(self.clock() + delay, function, args, 0.0))

    def every(self, interval: float, function: Callable[..., object], *args: Any) -> Timer:
        """Call `function(*args)` every `interval` seconds, the first time `interval` from now.

        A run that is late (a long handler) is not made up: the next one is
        `interval` after the late one.
        """
        if interval <= 0:
            raise ValueError(f"every needs an interval above 0 seconds, not {interval}")
        return self._push(Timer(self.clock() + interval, function, args, float(interval)))

    def _push(self, timer: Timer) -> Timer:
        heapq.heappush(self._heap, (timer.due, next(self._serial), timer))
        return timer

    def next_due(self) -> float | None:
        """Seconds until the next timer is due (0 if one is late), or `None` if none."""
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
        if not heap:
            return None
        return max(0.0, heap[0][0] - self.clock())

    def run_due(self) -> int:
        """Run every timer that is due now; return how many ran.

        An exception in a timer is logged with its traceback; a repeating timer
        keeps its schedule.
        """
        heap = self._heap
        now = self.clock()
        ran = 0
        while heap and heap[0][0] <= now:
            _due, _serial, timer = heapq.heappop(heap)
            if timer.cancelled:
                continue
            if timer.interval:
                timer.due = self.clock() + timer.interval
                self._push(timer)
            try:
                timer.function(*timer.args)
            except Exception:
                log.exception("Error in the timer %r", timer)
            ran += 1
        return ran

    def shift(self, seconds: float) -> None:
        """Make every timer due `seconds` sooner, as if that much time had passed
        (for tests: [`TestClient.run_timers`][kali.testing.TestClient.run_timers])."""
        self._heap[:] = [(due - seconds, serial, timer) for due, serial, timer in self._heap]
        for _due, _serial, timer in self._heap:
            timer.due -= seconds
        heapq.heapify(self._heap)

    def __len__(self) -> int:
        return sum(1 for _due, _serial, timer in self._heap if not timer.cancelled)


__all__ = ["Scheduler", "Timer"]
