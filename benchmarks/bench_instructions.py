"""CPU instructions a request, counted with callgrind: a figure the machine's load does not move.

Run from the repository root (needs ``valgrind``; Debian: ``apt-get install valgrind``)::

    python -m benchmarks.bench_instructions                 # about 5 minutes
    python -m benchmarks.bench_instructions --only wsgi     # or --only servers

Timings on a shared machine swing with its load; instruction counts repeat to
within about 1%. Each case runs twice under ``valgrind --tool=callgrind``, after
the same warm-up, with a small and a large number of requests: the difference
of the two totals over the difference of the counts is the cost of one request,
start-up and warm-up cancelling out.

* **WSGI in-process**: the hello app of ``bench_overhead`` (``hello_app.py``) for
  kali (through ``WSGIAdapter``) and Falcon, with a fresh environ a request (the
  environ's making is counted for both).
* **Native servers**: ``benchmarks/servers`` — the bare asyncio server, kali with
  the plain handler and kali's App hello route — each under callgrind, sent
  requests over 8 keep-alive connections, one outstanding on each, by a client in
  this process (not counted). The server's whole process is counted: its event
  loop, parser, handler and framing, in user space (the kernel's work is not).

Instructions are not time: a cache miss or a syscall costs more than its count.
They show what a change to the code did, and how two programs compare, on any
machine. The results are printed and written to ``benchmarks/results/instructions-*.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
WARM_UP = 200
WSGI_COUNTS = (500, 1500)
SERVER_COUNTS = (1000, 3000)
CONNECTIONS = 8
HELLO = "/hello/584/test?limit=10&thing=ab"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120"
SERVERS = [  # (label, module in benchmarks/servers, path)
    ("asyncio", "asyncio_server", "/"),
    ("kali plain", "kali_server", "/"),
    ("kali App hello", "kali_hello_server", HELLO),
]


def _callgrind(args: list[str], out: Path) -> list[str]:
    return [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        *args,
    ]


def _total(out: Path) -> int:
    """The instructions a callgrind run counted (its `summary:` or `totals:` line)."""
    for line in out.read_text().splitlines():
        match = re.match(r"(?:summary|totals):\s+(\d+)", line)
        if match:
            return int(match.group(1))
    raise RuntimeError(f"no total in {out}")


def _environment() -> dict[str, str]:
    return {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}


# -- WSGI -------------------------------------------------------------------------


def _wsgi_child(name: str, count: int) -> None:
    """In the process callgrind counts: warm up, then answer `count` requests."""
    from benchmarks import bench_overhead, hello_app
    from kali.wsgi import WSGIAdapter

    app = WSGIAdapter(hello_app.kali_app()) if name == "kali" else hello_app.falcon_app()

    def start_response(status: str, headers: list[tuple[str, str]], *exc_info: object) -> None:
        pass

    for _ in range(WARM_UP + count):
        body = app(bench_overhead.make_environ(), start_response)
        b"".join(body)
        close = getattr(body, "close", None)
        if close is not None:
            close()


def wsgi_case(name: str, folder: Path) -> float:
    totals = []
    for count in WSGI_COUNTS:
        out = folder / f"wsgi-{name}-{count}.out"
        child = ["-m", "benchmarks.bench_instructions", "--child", name, str(count)]
        command = _callgrind(child, out)
        subprocess.run(command, check=True, cwd=ROOT, env=_environment(), capture_output=True)
        totals.append(_total(out))
    return (totals[1] - totals[0]) / (WSGI_COUNTS[1] - WSGI_COUNTS[0])


# -- servers ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def drive(
    port: int,
    count: int,
    path: str,
    connections: int = CONNECTIONS,
    server: subprocess.Popen[bytes] | None = None,
) -> None:
    """Send `count` GETs over `connections` keep-alive connections, one outstanding
    on each, reading each whole answer (framed by its Content-Length). Waits for the
    port to open, unless `server`, the process that should open it, ends first."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: {USER_AGENT}\r\n\r\n"
    ).encode()
    deadline = time.monotonic() + 120
    while True:  # the server starts slowly under valgrind
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server is not None and server.poll() is not None:
                raise RuntimeError(f"the server ended (status {server.returncode})") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    selector = selectors.DefaultSelector()
    sent = done = 0
    socks: list[socket.socket] = []
    try:
        for _ in range(connections):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, (sock, bytearray()))
            socks.append(sock)
        for sock in socks:
            if sent < count:
                sock.send(request)
                sent += 1
        while done < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{done} of {count} answers in time")
            for key, _ in selector.select(10):
                sock, buffer = key.data
                data = sock.recv(65536)
                if not data:
                    raise ConnectionError("the server closed a connection")
                buffer += data
                while (end := buffer.find(b"\r\n\r\n")) >= 0:
                    at = buffer.lower().find(b"content-length:", 0, end)
                    length = int(buffer[at + 15 : buffer.find(b"\r\n", at)]) if at >= 0 else 0
                    if len(buffer) < end + 4 + length:
                        break
                    del buffer[: end + 4 + length]
                    done += 1
                    if sent < count:
                        sock.send(request)
                        sent += 1
    finally:
        for sock in socks:
            sock.close()
        selector.close()


def server_case(module: str, path: str, folder: Path) -> float:
    totals = []
    for count in SERVER_COUNTS:
        out = folder / f"server-{module}-{count}.out"
        port = _free_port()
        command = _callgrind(["-m", f"benchmarks.servers.{module}", str(port)], out)
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=_environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            drive(port, WARM_UP, path, server=process)
            drive(port, count, path, server=process)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        totals.append(_total(out))
    # Both runs answered WARM_UP more; start-up and shutdown cancel out.
    return (totals[1] - totals[0]) / (SERVER_COUNTS[1] - SERVER_COUNTS[0])


# -- main -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["wsgi", "servers"])
    parser.add_argument("--child", nargs=2, metavar=("APP", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _wsgi_child(args.child[0], int(args.child[1]))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    started = datetime.datetime.now()
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="kali-callgrind-") as temp:
        folder = Path(temp)
        if args.only != "servers":
            kali, falcon = wsgi_case("kali", folder), wsgi_case("falcon", folder)
            rows += [
                {"part": "wsgi", "name": "kali", "instructions": kali, "ratio": kali / falcon},
                {"part": "wsgi", "name": "falcon", "instructions": falcon, "ratio": 1.0},
            ]
        if args.only != "wsgi":
            counted = {label: server_case(module, path, folder) for label, module, path in SERVERS}
            base = counted["asyncio"]
            rows += [
                {"part": "servers", "name": label, "instructions": value, "ratio": value / base}
                for label, value in counted.items()
            ]
    print("\nCPU instructions a request (callgrind); ratio to falcon (WSGI) or asyncio (servers)")
    for row in rows:
        print(
            f"  {row['part']:8} {row['name']:16} {row['instructions']:9.0f}  {row['ratio']:5.2f}x"
        )
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"instructions-{started:%Y%m%d-%H%M%S}.json"
    record = {
        "started": started.isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "wsgi_counts": WSGI_COUNTS,
        "server_counts": SERVER_COUNTS,
        "rows": rows,
    }
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"results written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
