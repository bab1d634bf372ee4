"""The server over real loopback sockets."""

from __future__ import annotations

import http.client
import io
import os
import socket
import threading
import time
from pathlib import Path

import pytest

import kali
from kali import Timeouts
from kali._poller import SelectorPoller
from kali.server import Server

from .conftest import ServerFactory


@pytest.fixture(autouse=True, params=["epoll", "selectors"])
def poller(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs on the system's poller (epoll on Linux) and on the
    `selectors` one that macOS and Windows get."""
    if request.param == "selectors":
        monkeypatch.setattr("kali.server.new_poller", SelectorPoller)
    return str(request.param)


def echo(request: kali.Request) -> kali.ResponseValue:
    if request.path == "/boom":
        raise RuntimeError("handler failure")
    if request.path == "/big":
        return kali.Response.text(["x" * 1000] * 4000)  # 4 MB
    if request.path == "/bytes":
        return kali.Response(b"y" * 4_000_000, content_type="application/octet-stream")
    if request.path == "/body":
        return kali.Response(request.body, content_type="application/octet-stream")
    return ["<p>", request.method, " ", request.path, "</p>"]


def connect(server: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    return sock


_readers: dict[int, object] = {}


def read_response(sock: socket.socket, head: bool = False) -> tuple[int, dict[str, str], bytes]:
    """Read one response (framed by Content-Length; with `head`, an answer to HEAD,
    without a body) from a raw socket.

    A buffered reader per socket keeps pipelined responses apart.
    """
    reader = _readers.get(id(sock))
    if reader is None or reader[0] is not sock:  # type: ignore[index]
        reader = _readers[id(sock)] = (sock, sock.makefile("rb"))
    file = reader[1]  # type: ignore[index]
    status_line = file.readline()
    if not status_line:
        raise ConnectionError("closed before a response")
    status = int(status_line.split()[1])
    headers = {}
    while (line := file.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().rstrip("\r\n").partition(": ")
        headers[name.lower()] = value
    body = b"" if head else file.read(int(headers.get("content-length", "0")))
    return status, headers, body


def get(sock: socket.socket, path: str, extra: str = "") -> tuple[int, dict[str, str], bytes]:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n".encode())
    return read_response(sock)


def test_idle_connection_does_not_delay_another(live_server: ServerFactory) -> None:
    server = live_server(echo)
    idle = [connect(server) for _ in range(3)]  # like a browser's preconnects
    start = time.perf_counter()
    with connect(server) as sock:
        status, _, body = get(sock, "/hello")
    elapsed = time.perf_counter() - start
    assert (status, body) == (200, b"<p>GET /hello</p>")
    assert elapsed < 0.5, f"served after {elapsed:.3f}s behind idle connections"
    for sock in idle:  # the idle connections still work afterwards
        assert get(sock, "/late")[0] == 200
        sock.close()


def test_trickling_client_does_not_delay_another(live_server: ServerFactory) -> None:
    server = live_server(echo)
    request = b"GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n"
    with connect(server) as slow, connect(server) as fast:
        for i, byte in enumerate(request[:-1]):
            slow.sendall(bytes([byte]))
            if i % 8 == 0:
                start = time.perf_counter()
                status, _, body = get(fast, f"/fast{i}")
                assert (status, body) == (200, f"<p>GET /fast{i}</p>".encode())
                assert time.perf_counter() - start < 0.5
        slow.sendall(request[-1:])
        assert read_response(slow)[2] == b"<p>GET /slow</p>"


def test_keep_alive_reuses_one_connection(live_server: ServerFactory) -> None:
    server = live_server(echo)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    ports = set()
    for i in range(20):
        conn.request("GET", f"/n{i}")
        response = conn.getresponse()
        assert response.read() == f"<p>GET /n{i}</p>".encode()
        assert conn.sock is not None
        ports.add(conn.sock.getsockname()[1])
    assert len(ports) == 1
    conn.close()


def test_pipelined_requests_are_answered_in_order(live_server: ServerFactory) -> None:
    server = live_server(echo)
    with connect(server) as sock:
        sock.sendall(
            b"".join(f"GET /p{i} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode() for i in range(50))
        )
        for i in range(50):
            assert read_response(sock)[2] == f"<p>GET /p{i}</p>".encode()


def test_pipelined_behind_a_large_response(live_server: ServerFactory) -> None:
    # The first response does not fit in the socket buffer; the next ones wait for it.
    server = live_server(echo)
    with connect(server) as sock:
        sock.sendall(
            b"GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n"
            b"GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n"
        )
        time.sleep(0.2)
        status, _, body = read_response(sock)
        assert status == 200 and body == b"x" * 4_000_000
        assert read_response(sock)[2] == b"<p>GET /after</p>"


def test_a_large_answer_to_a_lone_request_then_another_request(live_server: ServerFactory) -> None:
    # A request that came alone is answered in one write when it fits; this one does
    # not, so the rest goes out as the client reads, and the connection serves on.
    server = live_server(echo)
    with connect(server) as sock:
        for path, byte in (("/bytes", b"y"), ("/big", b"x"), ("/bytes", b"y")):
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            time.sleep(0.1)
            status, _, body = read_response(sock)
            assert status == 200 and body == byte * 4_000_000
        sock.sendall(b"HEAD /big HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert read_response(sock, head=True)[1]["content-length"] == "4000000"
        sock.sendall(b"GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert read_response(sock)[2] == b"<p>GET /after</p>"


def test_slow_reader_does_not_delay_another(live_server: ServerFactory) -> None:
    server = live_server(echo)
    with connect(server) as slow:
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.sendall(b"GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n")  # and never reads
        time.sleep(0.1)
        for i in range(5):
            start = time.perf_counter()
            with connect(server) as fast:
                assert get(fast, f"/f{i}")[0] == 200
            assert time.perf_counter() - start < 0.5


def test_2000_requests_leak_no_file_descriptors(live_server: ServerFactory) -> None:
    server = live_server(echo)
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.exists():
        pytest.skip("no /proc/self/fd on this platform to count descriptors")
    for _ in range(100):  # warm up lazily created objects
        with connect(server) as sock:
            get(sock, "/warm", "Connection: close\r\n")
    for _sock, file in _readers.values():  # type: ignore[misc]
        file.close()
    _readers.clear()
    before = len(os.listdir(fd_dir))
    for i in range(2000):
        with connect(server) as sock:
            sock.sendall(f"GET /r{i} HTTP/1.0\r\n\r\n".encode())
            data = b""
            while chunk := sock.recv(65536):  # HTTP/1.0: the server closes
                data += chunk
            assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(f"/r{i}</p>".encode())
    deadline = time.monotonic() + 2
    while len(os.listdir(fd_dir)) > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(os.listdir(fd_dir)) <= before


def test_handler_exception_gives_500_then_server_carries_on(
    live_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    server = live_server(echo)
    with connect(server) as sock:
        status, _, body = get(sock, "/boom")
        assert status == 500
        assert b"handler failure" not in body  # no traceback without debug
        assert get(sock, "/ok")[0] == 200  # same connection still works
    assert "handler failure" in caplog.text  # the traceback went to the log


def test_debug_shows_the_traceback(live_server: ServerFactory) -> None:
    server = live_server(echo, debug=True)
    with connect(server) as sock:
        status, _, body = get(sock, "/boom")
    assert status == 500 and b"RuntimeError: handler failure" in body


def test_bad_request_gets_400_and_server_carries_on(live_server: ServerFactory) -> None:
    server = live_server(echo)
    with connect(server) as sock:
        sock.sendall(b"GET /a b c HTTP/1.1\r\nHost: localhost\r\n\r\n")
        status, headers, _ = read_response(sock)
        assert status == 400 and headers["connection"] == "close"
        assert sock.recv(1) == b""
    with connect(server) as sock:
        assert get(sock, "/fine")[0] == 200


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET /%zz HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        (b"GET /%ff HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        (
            b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n",
            400,
        ),
        (b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999\r\n\r\n", 413),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: localhost\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", 431),
        (b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
    ],
)
def test_protocol_errors_over_the_wire(live_server: ServerFactory, raw: bytes, status: int) -> None:
    server = live_server(echo)
    with connect(server) as sock:
        sock.sendall(raw)
        assert read_response(sock)[0] == status


def test_http10_closes_unless_keep_alive(live_server: ServerFactory) -> None:
    server = live_server(echo)
    with connect(server) as sock:
        sock.sendall(b"GET /a HTTP/1.0\r\n\r\n")
        _, headers, _ = read_response(sock)
        assert headers["connection"] == "close"
        assert sock.recv(1) == b""
    with connect(server) as sock:
        for _ in range(3):
            sock.sendall(b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            _, headers, _ = read_response(sock)
            assert headers["connection"] == "keep-alive"


def test_head_has_length_but_no_body(live_server: ServerFactory) -> None:
    server = live_server(echo)
    with connect(server) as sock:
        sock.sendall(
            b"HEAD /x HTTP/1.1\r\nHost: localhost\r\n\r\nGET /y HTTP/1.1\r\nHost: localhost\r\n\r\n"
        )
        data = b""
        while data.count(b"\r\n\r\n") < 2 or not data.endswith(b"</p>"):
            data += sock.recv(65536)
    first, second = data.split(b"HTTP/1.1 200 OK")[1:]
    assert b"Content-Length: 14" in first and first.endswith(b"\r\n\r\n")
    assert second.endswith(b"<p>GET /y</p>")


def test_chunked_upload_and_expect_continue(live_server: ServerFactory) -> None:
    server = live_server(echo)
    with connect(server) as sock:
        sock.sendall(
            b"POST /body HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n")
        assert read_response(sock)[2] == b"hello world"


def test_large_upload_spills_to_a_file(live_server: ServerFactory) -> None:
    seen: dict[str, object] = {}

    def upload(request: kali.Request) -> kali.Response:
        form = request.form
        upload = form.file("doc")
        assert upload is not None
        seen["name"] = form["name"]
        seen["size"] = len(upload.read())
        try:
            request.stream.fileno()
        except OSError:  # io.BytesIO has no descriptor
            seen["in_memory"] = True
        else:
            seen["in_memory"] = False
        return kali.Response.text("ok")

    server = live_server(upload)
    from kali.testing import encode_multipart

    content = os.urandom(3 * 1024 * 1024)
    body, content_type = encode_multipart({"name": "report"}, {"doc": ("r.bin", content)})
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", "/", body=body, headers={"Content-Type": content_type})
    assert conn.getresponse().read() == b"ok"
    conn.close()
    assert seen == {"name": "report", "size": len(content), "in_memory": False}


def test_file_response_uses_sendfile_path(live_server: ServerFactory, tmp_path: Path) -> None:
    data = os.urandom(5 * 1024 * 1024 + 17)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    server = live_server(lambda request: kali.Response.file(path))
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for _ in range(2):  # twice on one connection: framing stays right
        conn.request("GET", "/")
        response = conn.getresponse()
        assert response.getheader("content-type") == "application/octet-stream"
        assert response.read() == data
    conn.close()


def test_unfinished_head_times_out_with_408(live_server: ServerFactory) -> None:
    server = live_server(echo, timeouts=Timeouts(head=0.5))
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost:")
        start = time.monotonic()
        status = read_response(sock)[0]
        assert status == 408
        assert 0.4 < time.monotonic() - start < 3


def test_idle_connection_closed_after_idle_timeout(live_server: ServerFactory) -> None:
    server = live_server(echo, timeouts=Timeouts(idle=0.5))
    with connect(server) as sock:
        assert get(sock, "/")[0] == 200
        start = time.monotonic()
        assert sock.recv(1) == b""  # closed quietly
        assert time.monotonic() - start < 3


def test_response_with_shut_down_stops_the_server() -> None:
    server = Server(lambda request: kali.Response("bye", shut_down=True), port=0, access_log=False)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        status, _, body = get(sock, "/")
    assert (status, body) == (200, b"bye")
    thread.join(5)
    assert not thread.is_alive()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1)


def test_handler_runs_on_the_serving_thread(live_server: ServerFactory) -> None:
    threads = set()
    active = [0]
    overlaps = [0]

    def handler(request: kali.Request) -> str:
        active[0] += 1
        overlaps[0] = max(overlaps[0], active[0])
        threads.add(threading.get_ident())
        time.sleep(0.002)
        active[0] -= 1
        return "ok"

    server = live_server(handler)

    def client() -> None:
        with connect(server) as sock:
            for _ in range(20):
                assert get(sock, "/")[0] == 200

    clients = [threading.Thread(target=client) for _ in range(4)]
    for t in clients:
        t.start()
    for t in clients:
        t.join(30)
    assert len(threads) == 1 and overlaps[0] == 1


def test_port_zero_picks_a_free_port_and_url_is_known() -> None:
    with Server(echo, port=0) as server:
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}/"


def test_internal_error_costs_one_connection_not_the_server(
    live_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = live_server(echo)
    original = kali.Request.from_head
    calls = [0]

    def flaky(*args: object) -> kali.Request:
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("a bug in kali")
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(kali.Request, "from_head", staticmethod(flaky))
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert sock.recv(100) == b""  # closed
    with connect(server) as sock:
        assert get(sock, "/after")[2] == b"<p>GET /after</p>"


def test_at_max_connections_the_oldest_idle_one_makes_room(live_server: ServerFactory) -> None:
    server = live_server(echo, max_connections=2)
    first, second = connect(server), connect(server)
    assert get(first, "/1")[0] == 200
    assert get(second, "/2")[0] == 200
    with connect(server) as third:  # both others are idle: the oldest is closed
        assert get(third, "/3")[2] == b"<p>GET /3</p>"
    assert first.recv(1) == b""
    assert get(second, "/2b")[0] == 200
    first.close()
    second.close()


def test_at_max_connections_the_slowest_unfinished_one_makes_room(
    live_server: ServerFactory,
) -> None:
    server = live_server(echo, max_connections=2)
    slow, fast = connect(server), connect(server)
    slow.sendall(b"GET /slow HTTP/1.1\r\nHost: local")  # both in the middle of a head
    fast.sendall(b"GET /fast HTTP/1.1\r\nX-Padding: " + b"x" * 2000)
    time.sleep(0.2)
    with connect(server) as third:  # nobody is idle: the slowest head is closed
        assert get(third, "/3")[2] == b"<p>GET /3</p>"
    assert slow.recv(100) == b""
    fast.sendall(b"\r\nHost: localhost\r\n\r\n")
    assert read_response(fast)[2] == b"<p>GET /fast</p>"
    slow.close()
    fast.close()


def test_blank_lines_do_not_keep_an_idle_connection_open(live_server: ServerFactory) -> None:
    server = live_server(echo, timeouts=Timeouts(idle=0.5))
    with connect(server) as sock:
        start = time.monotonic()
        with pytest.raises(OSError):
            for _ in range(100):
                sock.sendall(b"\r\n")
                time.sleep(0.05)
        assert time.monotonic() - start < 3


def test_a_pipelining_client_cannot_monopolise_the_handler(live_server: ServerFactory) -> None:
    def slow(request: kali.Request) -> str:
        time.sleep(0.001)
        return "x"

    server = live_server(slow)
    with connect(server) as greedy:
        # Hundreds of pipelined requests whose answers are never read.
        greedy.sendall(b"GET /g HTTP/1.1\r\nHost: localhost\r\n\r\n" * 500)
        time.sleep(0.05)
        start = time.perf_counter()
        with connect(server) as other:
            assert get(other, "/other")[0] == 200
        assert time.perf_counter() - start < 0.2


def test_shut_down_closes_and_stops_dispatching_pipelined_requests() -> None:
    calls: list[str] = []

    def handler(request: kali.Request) -> kali.ResponseValue:
        calls.append(request.path)
        return kali.Response("bye", shut_down=request.path == "/quit")

    server = Server(handler, port=0, access_log=False)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"GET /quit HTTP/1.1\r\nHost: localhost\r\n\r\n"
            b"POST /delete-everything HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"
        )
        _, headers, body = read_response(sock)
        assert body == b"bye" and headers["connection"] == "close"
    thread.join(5)
    assert calls == ["/quit"]


def test_large_iolist_is_sent_in_linear_time(live_server: ServerFactory) -> None:
    pieces = ["<td>x</td>"] * 300_000
    server = live_server(lambda request: pieces if request.path == "/big" else "small")
    with connect(server) as big, connect(server) as other:
        big.sendall(b"GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n")
        start = time.perf_counter()
        assert get(other, "/")[2] == b"small"
        status, _, body = read_response(big)
        assert status == 200 and len(body) == 3_000_000
        assert time.perf_counter() - start < 3  # quadratic sending took minutes


def test_refused_upload_is_drained_so_the_client_reads_the_answer(
    live_server: ServerFactory,
) -> None:
    server = live_server(echo, limits=kali.Limits(max_body_size=1000))
    with connect(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 500000\r\n\r\n")
        sock.sendall(b"x" * 200_000)  # the client goes on sending its body
        status, headers, _ = read_response(sock)
        assert status == 413 and headers["connection"] == "close"


@pytest.mark.parametrize(
    ("extra", "method", "status"),
    [
        ("Host: attacker.example\r\n", "GET", 403),  # DNS rebinding
        ("Host: localhost:1\r\n", "GET", 200),
        ("Host: app.localhost\r\n", "GET", 200),
        ("Host: [::1]:80\r\n", "GET", 200),
        ("Host: 127.0.0.1\r\nOrigin: https://evil.example\r\n", "POST", 403),
        ("Host: 127.0.0.1\r\nSec-Fetch-Site: cross-site\r\n", "POST", 403),
        ("Host: 127.0.0.1\r\nSec-Fetch-Site: same-site\r\n", "POST", 403),
        ("Host: 127.0.0.1:80\r\nOrigin: http://127.0.0.1:80\r\n", "POST", 200),
        ("Host: 127.0.0.1\r\nSec-Fetch-Site: same-origin\r\n", "POST", 200),
        ("Host: 127.0.0.1\r\nOrigin: https://evil.example\r\n", "GET", 200),
        ("Host: 127.0.0.1\r\n", "DELETE", 200),  # not a browser: no Origin
    ],
)
def test_hostile_pages_are_refused(
    live_server: ServerFactory, extra: str, method: str, status: int
) -> None:
    server = live_server(echo)
    with connect(server) as sock:
        sock.sendall(f"{method} /x HTTP/1.1\r\n{extra}Content-Length: 0\r\n\r\n".encode())
        assert read_response(sock)[0] == status


def test_allowed_hosts_replace_the_loopback_names(live_server: ServerFactory) -> None:
    server = live_server(echo, allowed_hosts=["myapp.test"])
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: myapp.test:8080\r\n\r\n")
        assert read_response(sock)[0] == 200
        assert get(sock, "/")[0] == 403  # "Host: localhost" is not listed any more
    anything = live_server(echo, allowed_hosts=["*"])
    with connect(anything) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: anything.example\r\n\r\n")
        assert read_response(sock)[0] == 200


def test_file_body_without_a_descriptor_is_read_and_sent(live_server: ServerFactory) -> None:
    server = live_server(lambda request: kali.Response(kali.FileBody(io.BytesIO(b"hello"), 5)))
    with connect(server) as sock:
        assert get(sock, "/")[2] == b"hello"
        assert get(sock, "/")[2] == b"hello"


def test_beyond_loopback_only_the_browser_with_the_launch_token_is_served() -> None:
    server = Server(echo, address="0.0.0.0", port=0, access_log=False)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        assert "?kali_token=" in server.launch_url
        token = server.launch_url.split("kali_token=")[1]
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            status, _, body = get(sock, "/page")
            assert status == 403 and b"opened the address" in body
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            status, headers, _ = get(sock, f"/page?x=1&kali_token={token}")
            assert status == 303 and headers["location"] == "/page?x=1"
            cookie = headers["set-cookie"]
            assert cookie.startswith(f"kali_token={token};") and "HttpOnly" in cookie
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            status, _, body = get(sock, "/page", f"Cookie: kali_token={token}\r\n")
            assert (status, body) == (200, b"<p>GET /page</p>")
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            status, _, _ = get(sock, "/page", "Cookie: kali_token=guess\r\n")
            assert status == 403
    finally:
        server.shutdown()
        thread.join(5)


def test_on_loopback_there_is_no_launch_token(live_server: ServerFactory) -> None:
    server = live_server(echo)
    assert server.launch_url == server.url
