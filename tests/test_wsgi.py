"""The WSGI adapter, under real waitress."""

from __future__ import annotations

import http.client
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import kali
from kali.wsgi import WSGIAdapter

pytest.importorskip("waitress", reason="waitress is in the dev extra")

ROOT = Path(__file__).resolve().parents[1]
APP = Path(__file__).with_name("waitress_app.py")


@pytest.fixture
def waitress_port() -> Iterator[int]:
    """waitress (threads=1) serving tests/waitress_app.py in its own process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.waitress_app"],  # -m: tests/typing must not shadow typing
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield int(process.stdout.readline())
    finally:
        process.terminate()
        process.wait(10)
        assert process.stdout is not None
        process.stdout.close()


def fetch(
    port: int, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request(method, target, body=body, headers=headers or {})
    response = conn.getresponse()
    result = response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    conn.close()
    return result


def test_same_handler_under_waitress(waitress_port: int) -> None:
    status, headers, body = fetch(waitress_port, "GET", "/caf%C3%A9?q=%E2%9C%93")
    assert status == 200
    assert body == "<p>GET /café ✓</p>".encode()
    assert headers["content-type"] == "text/html; charset=utf-8"


def test_form_post_under_waitress(waitress_port: int) -> None:
    status, _, body = fetch(
        waitress_port,
        "POST",
        "/form",
        b"a=1&b=%C3%A9",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200 and body == '{"a":"1","b":"é"}'.encode()


def test_errors_and_files_under_waitress(waitress_port: int) -> None:
    assert fetch(waitress_port, "GET", "/boom")[0] == 500
    status, _, body = fetch(waitress_port, "GET", "/file")
    assert status == 200 and body == APP.read_bytes()
    status, headers, body = fetch(waitress_port, "HEAD", "/x")
    assert (
        status == 200 and body == b"" and headers["content-length"] == str(len(b"<p>HEAD /x </p>"))
    )


def call_wsgi(handler: kali.Handler, environ: dict[str, object]) -> tuple[str, bytes]:
    """Call the adapter directly, as a WSGI server would."""
    base: dict[str, object] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(b""),
    }
    seen: list[str] = []
    body = WSGIAdapter(handler)({**base, **environ}, lambda status, headers: seen.append(status))
    return seen[0], b"".join(body)


def test_script_name_is_the_mount_point() -> None:
    def where(request: kali.Request) -> str:
        return f"{request.root_path}|{request.path}|{request.raw_path}"

    status, body = call_wsgi(where, {"SCRIPT_NAME": "/myapp", "PATH_INFO": "/caf\xc3\xa9"})
    assert (status, body) == ("200 OK", "/myapp|/café|/caf%C3%A9".encode())


def test_no_body_for_204_and_304() -> None:
    for status in (204, 304):
        line, body = call_wsgi(lambda request, s=status: kali.Response(b"leaked", s), {})
        assert line.startswith(str(status)) and body == b""


def test_file_body_is_bounded_by_its_length() -> None:
    handler_file = APP.open("rb")
    response = kali.Response(kali.FileBody(handler_file, 10))
    environ = {"wsgi.file_wrapper": lambda f, size: iter(lambda: f.read(size), b"")}
    _, body = call_wsgi(lambda request: response, environ)
    assert body == APP.read_bytes()[:10]
    assert handler_file.closed


def test_a_streamed_body_under_waitress(waitress_port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", waitress_port, timeout=5)
    connection.request("GET", "/stream")
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("content-length") is None  # waitress frames it
    assert response.read() == b"step 0\nstep 1\nstep 2\n"
    connection.close()


def test_the_client_and_headers_come_from_the_environ_in_a_mounted_app() -> None:
    # Read on first use, and still there in the copy a mount hands its inner app.
    inner = kali.App()

    @inner.get("/who")
    def who(request: kali.Request) -> str:
        return f"{request.client}|{request.headers.get('user-agent')}|{request.root_path}"

    outer = kali.App()
    outer.mount("/inner", inner)
    environ = {
        "PATH_INFO": "/inner/who",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50123",
        "HTTP_USER_AGENT": "probe/1.0",
    }
    status, body = call_wsgi(outer, environ)
    assert (status, body) == ("200 OK", b"('127.0.0.1', 50123)|probe/1.0|/inner")


def test_the_client_under_wsgi_can_be_set_and_survives_a_bad_port() -> None:
    def forwarded(handler: kali.Handler) -> kali.Handler:
        def middleware(request: kali.Request) -> kali.ResponseValue:
            if request.headers.get("x-forwarded-for"):
                request.client = (request.headers["x-forwarded-for"], 0)
            return handler(request)

        return middleware

    app = kali.App()
    app.use(forwarded)
    app.get("/")(lambda request: repr(request.client))
    environ = {"REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "not a port"}
    assert call_wsgi(app, environ) == ("200 OK", b"('127.0.0.1', 0)")
    proxied = {**environ, "HTTP_X_FORWARDED_FOR": "10.0.0.9"}
    assert call_wsgi(app, proxied) == ("200 OK", b"('10.0.0.9', 0)")


def test_a_request_read_from_an_environ_has_every_slot_set() -> None:
    # _EnvironRequest.read sets the slots itself (what Request.from_head does, without
    # its frame): a slot added to Request must be set there too, or reading it fails.
    from kali.request import Request
    from kali.wsgi import _EnvironRequest

    for environ in (
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/a", "QUERY_STRING": "x=1"},
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/",
            "CONTENT_LENGTH": "2",
            "wsgi.input": io.BytesIO(b"hi"),
            "SCRIPT_NAME": "/app",
        },
    ):
        request = _EnvironRequest.read(environ, environ["REQUEST_METHOD"], "localhost")
        slots = [*Request.__slots__, *_EnvironRequest.__slots__]
        missing = [name for name in slots if not hasattr(request, name)]
        assert not missing, missing
    assert request.body == b"hi" and request.root_path == "/app"
