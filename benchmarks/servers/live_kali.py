"""kali: a long task streamed in steps, server-sent events, and a plain page."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import kali
from kali import Request

from .live_work import PAGE, STEPS, one_step
from .pages import port_from_argv

app = kali.App()
events = kali.EventStream()


@app.get("/")
def index(request: Request) -> bytes:
    return PAGE


@app.get("/task")
def task(request: Request) -> Iterator[str]:
    for done in range(1, STEPS + 1):
        one_step()
        yield f"{done}\n"


@app.get("/events")
def subscribe(request: Request) -> kali.ResponseValue:
    return events.subscribe(request)


@app.post("/publish")
def publish(request: Request) -> str:
    events.publish("tick", "now")
    return "ok"


if __name__ == "__main__":
    app.run(
        port=port_from_argv(sys.argv), open_browser=False, access_log=False, max_connections=2000
    )
