"""The WSGI adapter, under real waitress."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import kali
from kali.wsgi import WSGIAdapter

waitress = pytest.importorskip("waitress.server", reason="waitress is in the dev extra")


def handler(request: kali.Request) -> kali.ResponseValue:
    if request.path == "/boom":
        raise RuntimeError("fails")
    if request.path == "/form":
        return kali.Response.json(dict(request.form))
    if request.path == "/file":
        return kali.Response.file(Path(__file__))
    return ["<p>", request.method, " ", request.path, " ", request.query.get("q", ""), "</p>"]


@pytest.fixture
def waitress_port() -> Iterator[int]:
    server = waitress.create_server(WSGIAdapter(handler), host="127.0.0.1", port=0, threads=1)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server.effective_port  # type: ignore[union-attr]
    server.close()
    thread.join(5)


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
    assert status == 200 and body == Path(__file__).read_bytes()
    status, headers, body = fetch(waitress_port, "HEAD", "/x")
    assert (
        status == 200 and body == b"" and headers["content-length"] == str(len(b"<p>HEAD /x </p>"))
    )
