"""Raw-socket helpers for the security suite: send bytes, read answers, read a process.

Every wait is bounded: sockets have timeouts and loops have deadlines.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field

LOCAL = "127.0.0.1"


@dataclass
class Reply:
    """One HTTP response: its status, header fields (names lower-cased) and body."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of `name`, or `None`."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        """Every value of `name`."""
        return [value for key, value in self.headers if key == name]


class Reader:
    """Reads responses from one socket, keeping what arrives beyond each one."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.eof = False

    def _more(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            self.eof = True
            raise ConnectionError("the server closed the connection")
        self.buffer += data

    def _until(self, marker: bytes) -> bytes:
        while (at := self.buffer.find(marker)) < 0:
            self._more()
        piece = bytes(self.buffer[:at])
        del self.buffer[: at + len(marker)]
        return piece

    def _exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._more()
        piece = bytes(self.buffer[:size])
        del self.buffer[:size]
        return piece

    def reply(self, method: str = "GET") -> Reply:
        """Read one response (a HEAD's has no body; 1xx are skipped)."""
        while True:
            head = self._until(b"\r\n\r\n").decode("latin-1").split("\r\n")
            status = int(head[0].split()[1])
            headers = []
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers.append((name.strip().lower(), value.strip()))
            if status >= 200:
                break
        reply = Reply(status, headers)
        if method == "HEAD" or status in (204, 304):
            return reply
        if (reply.header("transfer-encoding") or "").lower() == "chunked":
            parts = []
            while True:
                size = int(self._until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self._until(b"\r\n")
                    break
                parts.append(self._exactly(size))
                self._exactly(2)
            reply.body = b"".join(parts)
        elif reply.header("content-length") is not None:
            reply.body = self._exactly(int(reply.header("content-length") or 0))
        else:  # to the end of the connection
            while not self.eof:
                try:
                    self._more()
                except ConnectionError:
                    break
            reply.body = bytes(self.buffer)
            self.buffer.clear()
        return reply

    def replies_until_eof(self) -> list[Reply]:
        """Every response until the server closes the connection."""
        replies = []
        while True:
            try:
                replies.append(self.reply())
            except (ConnectionError, OSError):
                return replies


def connect(port: int, timeout: float = 5.0, host: str = LOCAL) -> socket.socket:
    """A blocking connection to `host:port` with `timeout` on every call."""
    return socket.create_connection((host, port), timeout=timeout)


def exchange(
    port: int, raw: bytes, *, method: str = "GET", timeout: float = 5.0, host: str = LOCAL
) -> Reply:
    """Send `raw` on a new connection and read the first response."""
    with connect(port, timeout, host) as sock:
        sock.sendall(raw)
        return Reader(sock).reply(method)


def request_bytes(
    method: str,
    target: str,
    *,
    host: str = LOCAL,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> bytes:
    """A well-formed HTTP/1.1 request (Content-Length added when there is a body)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers or ()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def get(port: int, target: str, host: str = LOCAL, host_address: str = LOCAL) -> Reply:
    """GET `target` with `Host: host` on a new connection to `host_address`."""
    return exchange(port, request_bytes("GET", target, host=host), host=host_address)


def timed_get(
    port: int, target: str = "/count", timeout: float = 5.0
) -> tuple[Reply | None, float]:
    """A normal client: connect, GET, read the answer; and how long that took.

    `None` (and the time waited) when no answer came within `timeout`.
    """
    start = time.perf_counter()
    try:
        with connect(port, timeout) as sock:
            sock.sendall(request_bytes("GET", target))
            reply = Reader(sock).reply()
    except (TimeoutError, OSError):
        return None, time.perf_counter() - start
    return reply, time.perf_counter() - start


# -- the server process -----------------------------------------------------------


def rss(pid: int) -> int:
    """The resident set size of process `pid`, in bytes (Linux: /proc/PID/status VmRSS)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process `pid` so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_descriptors(pid: int) -> int:
    """How many descriptors process `pid` has open."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def still_open(sock: socket.socket) -> bool:
    """Whether the server has neither closed `sock` nor sent anything on it."""
    timeout = sock.gettimeout()
    sock.setblocking(False)  # with a timeout, recv would wait for data
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True  # nothing to read, and no end of file
    except OSError:
        return False
    finally:
        sock.settimeout(timeout)
    return False  # an answer (a 408, say) or the end of the connection


MiB = 1024 * 1024
