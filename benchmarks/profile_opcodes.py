"""Python opcodes one request runs, by function or by line: where the request path spends.

Run from the repository root::

    python -m benchmarks.profile_opcodes wsgi            # the WSGI hello app, by function
    python -m benchmarks.profile_opcodes server --lines  # kali's server, plain page, by line
    python -m benchmarks.profile_opcodes hello           # kali's server, the App hello route

After a warm-up, one request runs under ``sys.settrace`` with opcode events on
(``frame.f_trace_opcodes``), and each opcode is counted for its function (and
line). ``wsgi`` calls ``WSGIAdapter(hello_app.kali_app())`` with a fresh environ;
``server`` and ``hello`` send the request over a loopback connection and let a
``Server`` read and answer it (``Server._on_readable``, the whole path from
``recv`` to ``send``; the event loop's ``select`` is not included). ``--falcon``
counts Falcon's hello app instead, for comparison.

Opcodes are a profile, not a time: a call costs more than an addition. Use
``bench_instructions`` for the cost, and this to see where it goes.
"""

from __future__ import annotations

import argparse
import collections
import linecache
import os
import socket
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from benchmarks import bench_overhead, hello_app

Counts = collections.Counter[tuple[str, str, int]]


def count(one: Callable[[], object]) -> Counts:
    """The opcodes `one()` runs, by (file, function, line)."""
    counts: Counts = collections.Counter()

    def local(frame: FrameType, event: str, arg: object) -> Any:
        if event == "opcode":
            code = frame.f_code
            counts[(code.co_filename, code.co_name, frame.f_lineno or 0)] += 1
        return local

    def tracer(frame: FrameType, event: str, arg: object) -> Any:
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return local

    sys.settrace(tracer)
    try:
        one()
    finally:
        sys.settrace(None)
    return counts


Request = tuple[Callable[[], object], Callable[[], None]]  # one request; the cleanup


def wsgi_request(falcon: bool) -> Request:
    from kali.wsgi import WSGIAdapter

    app = hello_app.falcon_app() if falcon else WSGIAdapter(hello_app.kali_app())

    def start_response(status: str, headers: list[tuple[str, str]], *exc_info: object) -> None:
        pass

    def one() -> object:
        return b"".join(app(bench_overhead.make_environ(), start_response))

    return one, lambda: None


def server_request(path: str) -> Request:
    """One request through a Server's read-parse-answer-send path, over loopback."""
    from benchmarks.servers.kali_server import handler
    from kali import Server

    app = hello_app.kali_app() if path != "/" else handler
    server = Server(app, port=0, open_browser=False, access_log=False)
    port = server._listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    server._accept()  # the server's own connection, waiting for its first request
    (conn,) = server._connections.values()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"User-Agent: {hello_app.USER_AGENT}\r\n\r\n"
    ).encode()

    def one() -> object:
        client.send(request)
        server._on_readable(conn)
        return client.recv(1 << 20)

    def close() -> None:
        client.close()
        server.close()

    return one, close


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", choices=["wsgi", "server", "hello"])
    parser.add_argument("--lines", action="store_true", help="count by line, not by function")
    parser.add_argument("--falcon", action="store_true", help="wsgi: Falcon's hello app")
    args = parser.parse_args(argv)
    if args.path == "wsgi":
        one, close = wsgi_request(args.falcon)
    else:
        path = "/" if args.path == "server" else f"{hello_app.PATH}?{hello_app.QUERY}"
        one, close = server_request(path)
    try:
        for _ in range(200):  # warm-up: caches filled, first-use work done
            one()
        counts = count(one)
    finally:
        close()
    if args.lines:
        for (filename, name, line), n in sorted(counts.items()):
            text = linecache.getline(filename, line).strip()[:90]
            print(f"{n:5d} {os.path.basename(filename)}:{name}:{line}  {text}")
    else:
        by_function: collections.Counter[str] = collections.Counter()
        for (filename, name, _), n in counts.items():
            by_function[f"{os.path.basename(filename)}:{name}"] += n
        for name, n in by_function.most_common():
            print(f"{n:5d} {name}")
    print(f"{sum(counts.values()):5d} opcodes in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
