"""Issue 15, points 6 and 10: memory. The server process's resident set
(`/proc/PID/status` VmRSS) stays flat under a pipelining flood, and a 20 MiB iolist sent
to five slow readers costs what is still unsent, not a copy per reader.

The flood lasts `KALI_SECURITY_FLOOD_SECONDS`: 5 s by default, to keep CI short (the
server that grew did so by 9 MiB a second, so 5 s shows it); set 8 for the issue's figure.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import time

import pytest

from .conftest import TargetFactory, xfail_under
from .net import LOCAL, MiB, Reader, connect, request_bytes, rss, timed_get
from .target_app import BIG_LEAVES

FLOOD_SECONDS = float(os.environ.get("KALI_SECURITY_FLOOD_SECONDS", "5"))
FLAT = 10 * MiB


def warm_up(port: int, requests: int = 200) -> None:
    with connect(port) as sock:
        reader = Reader(sock)
        for _ in range(requests):
            sock.sendall(request_bytes("GET", "/count"))
            assert reader.reply().status == 200


@pytest.mark.slow
def test_memory_is_flat_under_a_pipelining_flood(start_target: TargetFactory, kind: str) -> None:
    target = start_target(kind)
    warm_up(target.port)
    baseline = rss(target.pid)
    batch = request_bytes("GET", "/count") * 1000
    selector = selectors.DefaultSelector()
    # Two connections read their answers as fast as they come; two never read (the
    # server's answers pile up on its side and it must stop reading their requests).
    readers, sent, received = [], [0] * 4, [0] * 4
    for i in range(4):
        sock = socket.create_connection((LOCAL, target.port), timeout=5)
        sock.setblocking(False)
        readers.append(sock)
        selector.register(sock, selectors.EVENT_WRITE | (selectors.EVENT_READ if i < 2 else 0), i)
    samples = [baseline]
    start = time.monotonic()
    next_sample = start
    try:
        while (now := time.monotonic()) - start < FLOOD_SECONDS:
            if now >= next_sample:
                samples.append(rss(target.pid))
                next_sample = now + 0.25
            for key, mask in selector.select(0.05):
                conn, i = key.fileobj, key.data
                assert isinstance(conn, socket.socket)
                try:
                    if mask & selectors.EVENT_READ:
                        data = conn.recv(1 << 20)
                        if not data:
                            selector.unregister(conn)
                            continue
                        received[i] += len(data)
                    if mask & selectors.EVENT_WRITE:
                        sent[i] += conn.send(batch)
                except BlockingIOError:
                    pass
                except OSError:
                    selector.unregister(conn)
        samples.append(rss(target.pid))
    finally:
        selector.close()
        for sock in readers:
            sock.close()
    peak = max(samples)
    answered = sum(received) // 200  # about 200 bytes an answer
    print(
        f"{kind} flood {FLOOD_SECONDS:.0f} s: RSS {baseline / MiB:.1f} MiB before, peak "
        f"{peak / MiB:.1f} MiB (+{(peak - baseline) / MiB:.1f}), end {samples[-1] / MiB:.1f} MiB; "
        f"sent {sum(sent) / MiB:.1f} MiB of requests, about {answered} answers read"
    )
    assert received[0] and received[1], "the flood was not being answered"
    assert peak - baseline < FLAT


def test_large_iolist_to_slow_readers_costs_what_is_unsent(
    start_target: TargetFactory, kind: str, request: pytest.FixtureRequest
) -> None:
    target = start_target(kind, "--big")
    size = BIG_LEAVES * 1024
    with connect(target.port, timeout=10) as sock:  # one whole, fast read first
        sock.sendall(request_bytes("GET", "/big"))
        reply = Reader(sock).reply()
    assert reply.status == 200 and len(reply.body) == size
    assert reply.body.startswith(b"0000000x") and reply.body[-1024:].startswith(b"0020479x")
    del reply
    baseline = rss(target.pid)
    slow = []
    for _ in range(5):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.settimeout(5)
        sock.connect((LOCAL, target.port))
        sock.sendall(request_bytes("GET", "/big"))
        sock.setblocking(False)
        slow.append(sock)
    samples = []
    read = [0] * len(slow)
    start = time.monotonic()
    while time.monotonic() - start < 1.5:  # each reads at most 320 KiB/s
        for i, sock in enumerate(slow):
            with contextlib.suppress(BlockingIOError):
                read[i] += len(sock.recv(16 * 1024))
        samples.append(rss(target.pid))
        time.sleep(0.05)
    for sock in slow:
        sock.close()
    time.sleep(0.5)
    after = rss(target.pid)
    peak = max(samples)
    print(
        f"{kind} 20 MiB iolist, 5 slow readers: RSS {baseline / MiB:.1f} MiB before, peak "
        f"{peak / MiB:.1f} MiB (+{(peak - baseline) / MiB:.1f}), {after / MiB:.1f} MiB 0.5 s "
        f"after they closed; each had read {', '.join(f'{r / MiB:.2f}' for r in read)} MiB"
    )
    assert peak - baseline < FLAT  # 5 copies would be +100 MiB
    assert after - baseline < FLAT


WAITRESS_ONE_THREAD = (
    "waitress with threads=1 (as kali's WSGI page advises) gives its one thread to the "
    "slow reader until the 20 MiB answer fits its output buffers: the normal GET got no "
    "answer within 2 s (kali's server: answered in a few ms)"
)


def test_slow_reader_of_a_large_answer_does_not_hold_the_others(
    start_target: TargetFactory, kind: str, request: pytest.FixtureRequest
) -> None:
    xfail_under(request, kind, {"wsgi": WAITRESS_ONE_THREAD})
    target = start_target(kind, "--big")
    reader = socket.socket()
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    reader.settimeout(5)
    reader.connect((LOCAL, target.port))
    try:
        reader.sendall(request_bytes("GET", "/big"))
        assert reader.recv(100).startswith(b"HTTP/1.1 200")  # and reads no more
        time.sleep(0.3)
        times = []
        for _ in range(5):
            reply, elapsed = timed_get(target.port, "/count", timeout=2.0)
            if reply is None:
                pytest.fail(f"{kind}: no answer within {elapsed:.1f} s beside a slow reader")
            times.append(elapsed)
        print(
            f"{kind}: beside a slow reader of 20 MiB, a GET took at most {max(times) * 1000:.1f} ms"
        )
        assert max(times) < 0.5
    finally:
        reader.close()
