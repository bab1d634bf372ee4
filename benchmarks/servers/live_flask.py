"""Flask with Werkzeug's threaded server: the same task, events and page, a thread each."""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Iterator

from flask import Flask, Response

from .live_work import PAGE, STEPS, one_step
from .pages import port_from_argv

app = Flask(__name__)
subscribers: set[queue.SimpleQueue[bytes]] = set()
lock = threading.Lock()


@app.get("/")
def index() -> bytes:
    return PAGE


@app.get("/task")
def task() -> Response:
    def steps() -> Iterator[str]:
        for done in range(1, STEPS + 1):
            one_step()
            yield f"{done}\n"

    return Response(steps(), mimetype="text/html")


@app.get("/events")
def events() -> Response:
    inbox: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    with lock:
        subscribers.add(inbox)

    def stream() -> Iterator[bytes]:
        try:
            yield b"retry: 2000\n\n"
            while True:
                yield inbox.get()
        finally:
            with lock:
                subscribers.discard(inbox)

    return Response(stream(), mimetype="text/event-stream")


@app.post("/publish")
def publish() -> str:
    with lock:
        targets = list(subscribers)
    for inbox in targets:
        inbox.put(b"event: tick\ndata: now\n\n")
    return "ok"


if __name__ == "__main__":
    import logging
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app.run(host="127.0.0.1", port=port_from_argv(sys.argv), threaded=True)
