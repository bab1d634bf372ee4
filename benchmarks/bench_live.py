"""Live pages: kali's one thread against Flask's threads, side by side in one run.

Run from the repository root (Linux)::

    python -m benchmarks.bench_live            # 3 rounds
    python -m benchmarks.bench_live --quick    # 1 round, 300 subscribers

Each server runs in its own process on a free port of 127.0.0.1 and serves the
same three things (``benchmarks/servers/live_kali.py``, ``live_flask.py``):

* ``/task``: a long task of 100 steps of about 20 ms of CPU each, streamed as it
  goes (kali: a generator handler; Flask: a streamed response on its own thread);
* ``/``: a small page — what another window of the app asks for meanwhile;
* ``/events`` and ``POST /publish``: server-sent events (kali: an EventStream;
  Flask: a thread and a queue per subscriber).

Measured, for each server:

1. **GET latency during the task**: while one client reads ``/task``, another
   sends GETs to ``/`` every 10 ms; the median and worst answer times.
2. **One publish to N subscribers** (1000 by default): N connections read
   ``/events``; then one ``POST /publish``; the time until every subscriber has
   received the event (median and worst over three publishes), and the server's
   CPU time and memory while the N subscribers sat idle for two seconds.

The results are printed and written to ``benchmarks/results/live-*.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import resource
import selectors
import socket
import statistics
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .bench_server import RESULTS, ROOT, ServerProcess, ServerSpec

SERVERS = {
    "kali": ServerSpec("kali", "live_kali", "kali: one thread, a generator, an EventStream"),
    "flask": ServerSpec("flask", "live_flask", "Flask, Werkzeug threaded=True", "flask"),
}


def _raise_fd_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def _request(port: int, method: str, path: str, keep: bool = False) -> bytes:
    connection = "keep-alive" if keep else "close"
    body = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: {connection}\r\n"
    if method == "POST":
        body += "Content-Length: 0\r\n"
    return (body + "\r\n").encode()


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def get_latency_during_task(port: int, gets: int) -> dict[str, Any]:
    """Answer times of GETs to / while /task streams, in seconds."""
    done = threading.Event()
    task_body: list[bytes] = []

    def run_task() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(_request(port, "GET", "/task"))
            task_body.append(_read_all(sock))
        done.set()

    reader = threading.Thread(target=run_task)
    start = time.perf_counter()
    reader.start()
    time.sleep(0.2)  # the task is under way
    times: list[float] = []
    for _ in range(gets):
        if done.is_set():
            break
        began = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(_request(port, "GET", "/"))
            reply = _read_all(sock)
        times.append(time.perf_counter() - began)
        if b"The rest of the app" not in reply:
            raise RuntimeError(f"GET / during the task: unexpected reply {reply[:80]!r}")
        time.sleep(0.01)
    reader.join(120)
    task_seconds = time.perf_counter() - start
    if not task_body or b"\n100\n" not in task_body[0].replace(b"\r\n", b"\n"):
        raise RuntimeError("the task did not finish its 100 steps")
    return {
        "gets": len(times),
        "median_ms": statistics.median(times) * 1000,
        "worst_ms": max(times) * 1000,
        "task_seconds": task_seconds,
    }


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def publish_to_subscribers(server: ServerProcess, count: int, rounds: int) -> dict[str, Any]:
    """Seconds from one POST /publish until `count` subscribers have the event."""
    port = server.port
    selector = selectors.DefaultSelector()
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            sock.sendall(_request(port, "GET", "/events", keep=True))
            socks.append(sock)
        # Wait until every subscriber has its head (and the retry line): all subscribed.
        pending = {sock.fileno(): b"" for sock in socks}
        by_fd = {sock.fileno(): sock for sock in socks}
        for sock in socks:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        while any(b"retry" not in data for data in pending.values()):
            if time.monotonic() > deadline:
                raise RuntimeError("not every subscriber was answered in 60 s")
            for key, _mask in selector.select(1.0):
                pending[key.fd] += by_fd[key.fd].recv(65536)
        cpu_before = server.cpu_seconds()
        time.sleep(2.0)
        idle_cpu_ms = (server.cpu_seconds() - cpu_before) * 1000
        rss_mib = _rss_kib(server.proc.pid) / 1024
        spans: list[float] = []
        for _ in range(rounds):
            received = {fd: b"" for fd in pending}
            with socket.create_connection(("127.0.0.1", port), timeout=30) as poster:
                start = time.perf_counter()
                poster.sendall(_request(port, "POST", "/publish"))
                missing = set(received)
                deadline = time.monotonic() + 60
                while missing:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{len(missing)} subscribers got no event in 60 s")
                    for key, _mask in selector.select(1.0):
                        received[key.fd] += by_fd[key.fd].recv(65536)
                        if b"data: now" in received[key.fd]:
                            missing.discard(key.fd)
                spans.append(time.perf_counter() - start)
                _read_all(poster)
        return {
            "subscribers": count,
            "median_ms": statistics.median(spans) * 1000,
            "worst_ms": max(spans) * 1000,
            "idle_cpu_ms_per_2s": idle_cpu_ms,
            "rss_mib": rss_mib,
        }
    finally:
        selector.close()
        for sock in socks:
            sock.close()


@contextlib.contextmanager
def started(spec: ServerSpec, log_dir: Path) -> Iterator[ServerProcess]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = ServerProcess(spec, log_dir, env)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round, 300 subscribers")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each measurement")
    parser.add_argument("--subscribers", type=int, default=1000)
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else args.rounds
    subscribers = 300 if args.quick else args.subscribers
    _raise_fd_limit(subscribers + 256)
    began = datetime.datetime.now()
    load_before = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log_dir = RESULTS / "live-logs"
    log_dir.mkdir(exist_ok=True)
    names = [n for n, s in SERVERS.items() if s.requires is None or _importable(s.requires)]
    latency: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    publish: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else reversed(names):
            with started(SERVERS[name], log_dir) as server:
                latency[name].append(get_latency_during_task(server.port, gets=300))
                publish[name].append(publish_to_subscribers(server, subscribers, rounds=3))
            print(f"  round {round_ + 1}: {name} done", flush=True)

    def med(samples: list[dict[str, Any]], key: str) -> float:
        return statistics.median(s[key] for s in samples)

    print(f"\nGET / while a 100-step task streams (each step ~20 ms of CPU), median of {rounds}:")
    print(f"  {'server':8} {'GETs':>5} {'median ms':>10} {'worst ms':>9} {'task s':>7}")
    for name in names:
        s = latency[name]
        print(
            f"  {name:8} {int(med(s, 'gets')):5d} {med(s, 'median_ms'):10.1f} "
            f"{med(s, 'worst_ms'):9.1f} {med(s, 'task_seconds'):7.2f}"
        )
    print(f"\nOne publish to {subscribers} idle subscribers, median of {rounds}:")
    print(f"  {'server':8} {'median ms':>10} {'worst ms':>9} {'idle CPU ms/2s':>15} {'RSS MiB':>8}")
    for name in names:
        s = publish[name]
        print(
            f"  {name:8} {med(s, 'median_ms'):10.1f} {med(s, 'worst_ms'):9.1f} "
            f"{med(s, 'idle_cpu_ms_per_2s'):15.1f} {med(s, 'rss_mib'):8.1f}"
        )
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"live-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "started": began.isoformat(timespec="seconds"),
                "quick": args.quick,
                "rounds": rounds,
                "subscribers": subscribers,
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "load_average_before": load_before,
                "load_average": os.getloadavg(),
                "latency": latency,
                "publish": publish,
            },
            indent=2,
        )
    )
    print(f"\nresults written to {out.relative_to(ROOT)}; load average {os.getloadavg()[0]:.2f}")
    return 0


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


if __name__ == "__main__":
    sys.exit(main())
