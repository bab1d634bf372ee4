"""The work both live-page servers do: a task of 100 steps, each about 20 ms of CPU."""

from __future__ import annotations

import time
from typing import Final

STEPS: Final = 100
STEP_SECONDS: Final = 0.02
PAGE: Final = b"<!doctype html><title>live</title><p>The rest of the app.</p>\n"


def one_step() -> None:
    """Burn about STEP_SECONDS of CPU, as parsing and saving rows would (the GIL held)."""
    end = time.perf_counter() + STEP_SECONDS
    while time.perf_counter() < end:
        sum(range(1000))
