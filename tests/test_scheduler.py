"""Timers on the handler thread: the Scheduler."""

from __future__ import annotations

import pytest

from kali.scheduler import Scheduler


def test_a_scheduler_runs_due_timers_in_order_and_survives_errors() -> None:
    now = [100.0]
    scheduler = Scheduler(clock=lambda: now[0])
    calls: list[str] = []
    scheduler.call_later(2, calls.append, "b")
    scheduler.call_later(1, calls.append, "a")
    repeat = scheduler.every(1, lambda: calls.append("r"))
    scheduler.call_later(1.5, lambda: 1 / 0)  # logged, not raised
    assert scheduler.next_due() == 1.0
    now[0] = 102.0
    assert scheduler.run_due() == 4
    assert calls == ["a", "r", "b"]
    repeat.cancel()
    now[0] = 110.0
    assert scheduler.run_due() == 0
    assert scheduler.next_due() is None
    with pytest.raises(ValueError):
        scheduler.every(0, print)
