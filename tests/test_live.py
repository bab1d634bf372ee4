"""Streamed bodies, server-sent events and timers, over real sockets and the test client."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator

import pytest

import kali
from kali.live import HIGH_WATER, EventStream, Stream
from kali.testing import TestClient

from .conftest import ServerFactory
from .test_server import connect, get, read_response


def read_chunked(sock: socket.socket) -> tuple[dict[str, str], list[bytes]]:
    """Read one chunked response; the body as its chunks."""
    file = sock.makefile("rb")
    status_line = file.readline()
    assert status_line.startswith(b"HTTP/1.1 200"), status_line
    headers = {}
    while (line := file.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().rstrip("\r\n").partition(": ")
        headers[name.lower()] = value
    assert headers["transfer-encoding"] == "chunked"
    chunks = []
    while True:
        size = int(file.readline().strip(), 16)
        if size == 0:
            assert file.readline() == b"\r\n"
            return headers, chunks
        chunks.append(file.read(size))
        assert file.read(2) == b"\r\n"


def make_app(events: EventStream | None = None) -> tuple[kali.App, dict[str, object]]:
    app = kali.App()
    seen: dict[str, object] = {"finally": 0, "threads": set()}

    @app.get("/count/<int:n>")
    def count(request: kali.Request, n: int, pause: float = 0.0) -> Iterator[str]:
        try:
            for i in range(n):
                seen["threads"].add(threading.get_ident())  # type: ignore[attr-defined]
                if pause:
                    time.sleep(pause)  # one step of long work
                yield f"{i}\n"
        finally:
            seen["finally"] = int(seen["finally"]) + 1  # type: ignore[call-overload]

    @app.get("/big")
    def big(request: kali.Request) -> Iterator[bytes]:
        try:
            for i in range(10_000):
                seen["steps"] = i + 1
                yield b"x" * 65536
        finally:
            seen["finally"] = int(seen["finally"]) + 1  # type: ignore[call-overload]

    @app.get("/fails")
    def fails(request: kali.Request) -> Iterator[str]:
        yield "first\n"
        raise RuntimeError("a step failed")

    @app.get("/plain")
    def plain(request: kali.Request) -> kali.Response:
        return kali.Response(Stream(iter(["a", "b", ["c", b"d"]])), content_type="text/plain")

    @app.get("/")
    def index(request: kali.Request) -> str:
        return "index"

    if events is not None:

        @app.get("/events")
        def subscribe(request: kali.Request) -> kali.ResponseValue:
            return events.subscribe(request)

        @app.post("/say")
        def say(request: kali.Request, text: str) -> kali.Response:
            events.publish("said", text)
            return kali.Response.redirect("/", 303)

    return app, seen


def test_a_generator_is_sent_in_chunks_and_its_finally_runs(live_server: ServerFactory) -> None:
    app, seen = make_app()
    server = live_server(app)
    with connect(server) as sock:
        sock.sendall(b"GET /count/5 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        headers, chunks = read_chunked(sock)
        assert b"".join(chunks) == b"0\n1\n2\n3\n4\n"
        assert len(chunks) == 5  # one chunk a step
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert get(sock, "/")[2] == b"index"  # the connection is kept alive
    assert seen["finally"] == 1
    assert seen["threads"] == {server_thread_id(server)}


def server_thread_id(server: kali.Server) -> int:
    seen = []

    def probe(request: kali.Request) -> str:
        seen.append(threading.get_ident())
        return ""

    # The live server runs a single handler thread; ask it through a plain request.
    handler = server.pipeline.handler
    server.pipeline.handler = probe
    try:
        with connect(server) as sock:
            get(sock, "/probe")
    finally:
        server.pipeline.handler = handler
    return seen[0]


def test_a_stream_body_with_headers_and_a_http10_client(live_server: ServerFactory) -> None:
    app, _seen = make_app()
    server = live_server(app)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request("GET", "/plain")
    response = connection.getresponse()
    assert response.getheader("content-type") == "text/plain"
    assert response.read() == b"abcd"
    connection.close()
    with connect(server) as sock:  # HTTP/1.0: no chunks, the body ends with the connection
        sock.sendall(b"GET /plain HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"transfer-encoding" not in head.lower() and b"Connection: close" in head
    assert body == b"abcd"


def test_other_clients_are_served_between_the_steps_of_long_work(
    live_server: ServerFactory,
) -> None:
    app, _seen = make_app()
    server = live_server(app)
    step = 0.02
    worst = 0.0
    with connect(server) as streaming:
        streaming.sendall(
            f"GET /count/100?pause={step} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
        )
        result: dict[str, object] = {}
        reader = threading.Thread(target=lambda: result.update(body=read_chunked(streaming)))
        reader.start()
        time.sleep(0.1)
        with connect(server) as other:
            for _ in range(20):
                start = time.perf_counter()
                assert get(other, "/")[2] == b"index"
                worst = max(worst, time.perf_counter() - start)
                time.sleep(0.01)
        reader.join(10)
    assert b"".join(result["body"][1]) == b"".join(f"{i}\n".encode() for i in range(100))  # type: ignore[index]
    # One step's duration plus a margin: the GETs never wait for the whole task.
    assert worst < step + 0.05, f"a GET waited {worst * 1000:.1f} ms behind a {step * 1000} ms step"


def test_a_client_that_goes_away_closes_the_generator(live_server: ServerFactory) -> None:
    app, seen = make_app()
    server = live_server(app)
    sock = connect(server)
    sock.sendall(b"GET /count/100000?pause=0.001 HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert sock.recv(100).startswith(b"HTTP/1.1 200")
    sock.close()
    deadline = time.monotonic() + 5
    while seen["finally"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert seen["finally"] == 1


def test_a_slow_reader_pauses_its_stream(live_server: ServerFactory) -> None:
    app, seen = make_app()
    server = live_server(app)
    with connect(server) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.sendall(b"GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n")
        time.sleep(0.5)  # read nothing: the socket buffers fill, then the stream waits
        steps = int(seen["steps"])  # type: ignore[call-overload]
        time.sleep(0.3)
        assert int(seen["steps"]) == steps, "the generator went on while nobody read"  # type: ignore[call-overload]
        # What was produced is bounded: the kernel's buffers plus the high-water mark.
        assert steps * 65536 < HIGH_WATER + 16 * 1024 * 1024
        assert steps < 10_000
    deadline = time.monotonic() + 5
    while seen["finally"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert seen["finally"] == 1


def test_an_exception_in_a_step_ends_the_body_and_the_server_carries_on(
    live_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app, _seen = make_app()
    server = live_server(app)
    with connect(server) as sock:
        sock.sendall(b"GET /fails HTTP/1.1\r\nHost: localhost\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    assert data.endswith(b"first\n\r\n")  # no final chunk: the client sees it is cut short
    assert "a step failed" in caplog.text
    with connect(server) as sock:
        assert get(sock, "/")[2] == b"index"


def read_events(file: object, count: int) -> list[tuple[str, str, str]]:
    events: list[tuple[str, str, str]] = []
    fields: dict[str, str] = {}
    while len(events) < count:
        line = file.readline().decode()  # type: ignore[attr-defined]
        if not line:
            raise ConnectionError("closed")
        line = line.rstrip("\n")
        if not line:
            if "data" in fields:
                events.append((fields.get("id", ""), fields.get("event", ""), fields["data"]))
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value
    return events


def sse_connect(server: kali.Server, last_id: int | None = None) -> tuple[socket.socket, object]:
    sock = connect(server)
    extra = f"Last-Event-ID: {last_id}\r\n" if last_id is not None else ""
    sock.sendall(f"GET /events HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n".encode())
    file = sock.makefile("rb")
    assert file.readline().startswith(b"HTTP/1.1 200")
    while file.readline() not in (b"\r\n", b""):
        pass
    return sock, _Dechunked(file)


class _Dechunked:
    """Reads the lines of a chunked body."""

    def __init__(self, file: object) -> None:
        self.file = file
        self.buffer = b""

    def close(self) -> None:
        self.file.close()  # type: ignore[attr-defined]

    def readline(self) -> bytes:
        while b"\n" not in self.buffer:
            size = int(self.file.readline().strip(), 16)  # type: ignore[attr-defined]
            if size == 0:
                return b""
            self.buffer += self.file.read(size)  # type: ignore[attr-defined]
            self.file.read(2)  # type: ignore[attr-defined]
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line + b"\n"


def test_a_publish_reaches_subscribers_and_last_event_id_resumes(
    live_server: ServerFactory,
) -> None:
    events = EventStream(backlog=10)
    app, _seen = make_app(events)
    server = live_server(app)
    first, first_lines = sse_connect(server)
    second, second_lines = sse_connect(server)
    with connect(server) as poster:
        poster.sendall(
            b"POST /say HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
            b"application/x-www-form-urlencoded\r\nContent-Length: 10\r\n\r\ntext=hello"
        )
        assert read_response(poster)[0] == 303
    assert read_events(first_lines, 1) == [("1", "said", "hello")]
    assert read_events(second_lines, 1) == [("1", "said", "hello")]
    events.publish(None, {"n": 2})
    assert read_events(first_lines, 1) == [("2", "", '{"n":2}')]
    for sock, lines in ((first, first_lines), (second, second_lines)):
        lines.close()  # type: ignore[attr-defined]
        sock.close()
    # A subscriber coming back with Last-Event-ID: 1 gets what it missed, from the backlog.
    again, again_lines = sse_connect(server, last_id=1)
    assert read_events(again_lines, 1) == [("2", "", '{"n":2}')]
    deadline = time.monotonic() + 5
    while events.subscribers > 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert events.subscribers == 1  # the two that went away were dropped
    again_lines.close()  # type: ignore[attr-defined]
    again.close()


def test_idle_subscribers_cost_nothing_and_all_get_a_publish(live_server: ServerFactory) -> None:
    events = EventStream()
    app, _seen = make_app(events)
    # Both ends in this process: the server raises the open-file limit for them.
    server = live_server(app, max_connections=2100)
    subscribers = [sse_connect(server) for _ in range(1000)]
    deadline = time.monotonic() + 10
    while events.subscribers < 1000 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert events.subscribers == 1000
    with connect(server) as other:
        start = time.perf_counter()
        assert get(other, "/")[2] == b"index"
        elapsed = time.perf_counter() - start
    assert elapsed < 0.1, f"a GET took {elapsed * 1000:.1f} ms beside 1000 idle subscribers"
    events.publish("tick", "1")
    for _sock, lines in subscribers:
        assert read_events(lines, 1) == [("1", "tick", "1")]
    for sock, lines in subscribers:
        lines.close()  # type: ignore[attr-defined]
        sock.close()


def test_timers_run_on_the_serving_thread_between_requests(live_server: ServerFactory) -> None:
    app = kali.App()
    ticks: list[int] = []
    later: list[str] = []

    @app.every(0.05)
    def tick() -> None:
        ticks.append(threading.get_ident())

    app.call_later(0.1, later.append, "done")

    @app.get("/")
    def index(request: kali.Request) -> str:
        return str(threading.get_ident())

    server = live_server(app)
    time.sleep(0.4)
    with connect(server) as sock:
        handler_thread = int(get(sock, "/")[2])
    assert len(ticks) >= 3
    assert set(ticks) == {handler_thread}
    assert later == ["done"]


def test_the_test_client_runs_streams_subscriptions_and_timers() -> None:
    events = EventStream()
    app, seen = make_app(events)
    runs: list[int] = []
    app.every(60, runs.append, 1)
    client = TestClient(app)
    response = client.get("/count/3")
    assert response.text == "0\n1\n2\n"
    assert response.headers["transfer-encoding"] == "chunked"
    assert seen["finally"] == 1
    with pytest.raises(RuntimeError, match="a step failed"):
        client.get("/fails")
    events.publish("said", "before")
    response = client.get("/events", headers={"Last-Event-ID": "0"})
    assert response.headers["content-type"] == "text/event-stream"
    assert "event: said\ndata: before\n" in response.text
    # A Latin-1 byte that str.isdigit() takes for a digit ('²'): no id, not a 500.
    odd = client.send_raw(b"GET /events HTTP/1.1\r\nHost: localhost\r\nLast-Event-ID: \xb2\r\n\r\n")
    assert odd.status == 200 and odd.headers["content-type"] == "text/event-stream"
    assert events.subscribers == 0  # the test client does not hold it open
    assert client.run_timers() == 0
    assert client.run_timers(advance=61) == 1
    assert runs == [1]


def test_a_page_drawn_at_an_event_id_gets_the_events_published_while_it_loaded() -> None:
    events = EventStream()
    app = kali.App()

    @app.get("/events")
    def subscribe(request: kali.Request, since: int | None = None) -> kali.Response:
        return events.subscribe(request, since=since)

    assert events.last_id == 0
    events.publish("changed", "before the page")
    drawn_at = events.last_id  # what the page carries in its EventSource URL
    events.publish("changed", "while the page loaded")
    client = TestClient(app)
    text = client.get(f"/events?since={drawn_at}").text
    assert "while the page loaded" in text and "before the page" not in text
    # A reconnecting EventSource's Last-Event-ID wins over the page's since.
    text = client.get("/events?since=0", headers={"Last-Event-ID": "2"}).text
    assert "data:" not in text
