"""Issue 15, points 4 and 5: no slot a client can hold. A thousand connections each
mid-head, mid-body, trickling a body at 1 byte a second, or idle, while a normal client's
GET is timed; and 300 idle connections against a server limited to 256 descriptors.

The target is 100 ms for the normal client; the assertions allow 500 ms (a shared CI
machine) and every run prints the figures measured. Hostile sockets are opened from this
process against the target in its own process.

Under waitress one case is run (1000 idle connections), as an expected failure: its
`connection_limit` (100) counts every connection, so heads, bodies, trickles and a
256-descriptor limit meet the same wall. The deadline checks need kali's server.
"""

from __future__ import annotations

import socket
import statistics
import time

import pytest

from .conftest import Target, TargetFactory, raise_descriptor_limit, xfail_under
from .net import LOCAL, connect, open_descriptors, still_open, timed_get

HOSTILE = 1000
BOUND = 0.5  # seconds: the assertion; the target is 0.1
MEASUREMENTS = 10

#: What each hostile connection sends, then holds.
OPENINGS = {
    "mid-head": b"GET /count HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",
    "mid-body": (
        b"POST /form HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-"
        b"urlencoded\r\nContent-Length: 1000000\r\n\r\nname="
    ),
    "idle": b"",
}

WAITRESS_SLOTS = (
    "waitress holds at most connection_limit (100) connections and evicts none before "
    "channel_timeout (120 s), so the normal client gets no answer within 2 s"
)
#: Under waitress one case shows its limit; heads, bodies, trickles and a descriptor limit
#: meet the same one (connection_limit counts every connection, and is below 256).
CASES = [
    ("native", "mid-head"),
    ("native", "mid-body"),
    ("native", "idle"),
    ("wsgi", "idle"),
]


def open_hostile(port: int, count: int, opening: bytes) -> list[socket.socket]:
    socks = []
    for _ in range(count):
        sock = socket.create_connection((LOCAL, port), timeout=5)
        if opening:
            sock.sendall(opening)
        sock.setblocking(False)  # from here on only polled
        socks.append(sock)
    return socks


def wait_until_held(target: Target, baseline: int, count: int) -> int:
    """Wait (at most 10 s) until the target holds `count` more descriptors, or stops
    gaining; return how many more it holds."""
    deadline = time.monotonic() + 10
    held, last_change, last = 0, time.monotonic(), -1
    while time.monotonic() < deadline:
        held = open_descriptors(target.pid) - baseline
        if held >= count:
            return held
        if held != last:
            last, last_change = held, time.monotonic()
        elif time.monotonic() - last_change > 0.5:
            return held  # no longer accepting
        time.sleep(0.05)
    return held


def measure(target: Target, hostile: list[socket.socket], opening: bytes) -> list[float]:
    """Time a normal client's GET `MEASUREMENTS` times, the hostile set refilled to full
    before each (each measurement then needs a slot made)."""
    times = []
    for _ in range(MEASUREMENTS):
        for i, sock in enumerate(hostile):
            if not still_open(sock):
                sock.close()
                hostile[i] = open_hostile(target.port, 1, opening)[0]
        time.sleep(0.02)  # let the server take the refills first
        reply, elapsed = timed_get(target.port, "/count", timeout=2.0)
        if reply is None:
            pytest.fail(f"{target.kind}: the normal client got no answer in {elapsed:.1f} s")
        assert reply.status == 200
        times.append(elapsed)
    return times


def report(label: str, times: list[float]) -> str:
    return (
        f"{label}: normal GET median {statistics.median(times) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms over {len(times)}"
    )


@pytest.mark.parametrize(("kind", "opening"), CASES)
def test_normal_client_is_served_beside_1000_holders(
    start_target: TargetFactory, kind: str, opening: str, request: pytest.FixtureRequest
) -> None:
    xfail_under(request, kind, {"wsgi": WAITRESS_SLOTS})
    raise_descriptor_limit(2 * HOSTILE + 200)
    target = start_target(kind)
    baseline = open_descriptors(target.pid)
    hostile = open_hostile(target.port, HOSTILE, OPENINGS[opening])
    try:
        held = wait_until_held(target, baseline, HOSTILE)
        print(f"{kind} {opening}: the server holds {held} hostile connections")
        times = measure(target, hostile, OPENINGS[opening])
        print(report(f"{kind} {opening}", times))
        assert max(times) < BOUND
        # The hostile connections really held slots all along: still open, unanswered.
        assert held >= HOSTILE - 5
        assert sum(map(still_open, hostile)) >= HOSTILE - MEASUREMENTS - 5
    finally:
        for sock in hostile:
            sock.close()


@pytest.mark.slow
def test_body_trickled_at_1_byte_a_second_times_out(start_target: TargetFactory) -> None:
    kind = "native"
    raise_descriptor_limit(2 * HOSTILE + 200)
    target = start_target(kind)
    baseline = open_descriptors(target.pid)
    opening = OPENINGS["mid-body"]
    hostile = open_hostile(target.port, HOSTILE, opening)
    start = time.monotonic()
    answered: dict[int, float] = {}  # index -> seconds until its 408 (or close)
    statuses: dict[int, bytes] = {}
    times: list[float] = []
    try:
        wait_until_held(target, baseline, HOSTILE)
        next_byte = time.monotonic()
        deadline = start + 15  # Timeouts.body_rate allows 5 s of grace, then must see 16 KiB/s
        while time.monotonic() < deadline and len(answered) < HOSTILE:
            if time.monotonic() >= next_byte:
                next_byte += 1.0
                for i, sock in enumerate(hostile):
                    if i not in answered:
                        try:
                            sock.send(b"a")
                        except BlockingIOError:
                            pass
                        except OSError:
                            answered[i] = time.monotonic() - start
                            statuses[i] = b"closed"
            for i, sock in enumerate(hostile):
                if i in answered:
                    continue
                try:
                    data = sock.recv(64)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                answered[i] = time.monotonic() - start
                statuses[i] = data[:12] or b"closed"
            if len(times) < MEASUREMENTS and time.monotonic() - start > 1.0:
                reply, elapsed = timed_get(target.port, "/count", timeout=2.0)
                if reply is None:
                    pytest.fail(f"{kind}: the normal client got no answer in {elapsed:.1f} s")
                times.append(elapsed)
            time.sleep(0.05)
    finally:
        for sock in hostile:
            sock.close()
    timed_out = sum(1 for s in statuses.values() if s.startswith(b"HTTP/1.1 408"))
    last = max(answered.values(), default=float("nan"))
    print(report(f"{kind} trickle", times))
    print(
        f"{kind} trickle: {len(answered)} of {HOSTILE} ended within {last:.1f} s, "
        f"{timed_out} with a 408"
    )
    assert times and max(times) < BOUND
    assert len(answered) == HOSTILE, f"{HOSTILE - len(answered)} still trickling after 15 s"
    assert timed_out >= HOSTILE - 2 * MEASUREMENTS  # the rest made room for the normal client


def test_head_trickled_past_its_deadline_gets_408(start_target: TargetFactory) -> None:
    # An overall deadline for the head (Timeouts.head, 2 s here): bytes that keep arriving
    # do not extend it. (kali's server only: waitress has no head deadline.)
    target = start_target("native", "--head-timeout", "2")
    start = time.monotonic()
    with connect(target.port, timeout=0.3) as sock:
        sock.sendall(b"GET /count HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        answer = b""
        while time.monotonic() - start < 6 and not answer:
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
            try:
                answer = sock.recv(100)
            except TimeoutError:
                continue
    elapsed = time.monotonic() - start
    print(f"native: a head trickled every 0.3 s got {answer[:12]!r} after {elapsed:.1f} s")
    assert answer.startswith(b"HTTP/1.1 408")
    assert elapsed < 4.0


def test_descriptor_limit_256_with_300_idle_connections(start_target: TargetFactory) -> None:
    kind = "native"
    target = start_target(kind, "--nofile", "256")
    baseline = open_descriptors(target.pid)
    hostile = open_hostile(target.port, 300, b"")
    try:
        held = wait_until_held(target, baseline, 300)
        in_use = open_descriptors(target.pid)
        print(f"{kind}: {in_use} of 256 descriptors in use, {held} held by idle connections")
        assert in_use >= 250  # at the limit
        times = measure(target, hostile, b"")
        print(report(f"{kind} at 256 descriptors", times))
        assert max(times) < BOUND
    finally:
        for sock in hostile:
            sock.close()
