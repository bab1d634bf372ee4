"""The one pipeline: handler results, error pages, framing."""

from __future__ import annotations

from typing import IO

import pytest

import kali
from kali.body import BodyBuffer
from kali.pipeline import Pipeline
from kali.protection import Guard
from kali.testing import TestClient


def test_handler_returning_the_wrong_type_is_a_500_naming_it() -> None:
    client = TestClient(lambda request: 42)  # type: ignore[arg-type, return-value]
    with pytest.raises(TypeError, match="not int"):
        client.get("/")
    returns_none = lambda request: None  # noqa: E731
    quiet = TestClient(returns_none, raise_server_exceptions=False)  # type: ignore[arg-type]
    assert quiet.get("/").status == 500


def test_http_error_status_and_headers() -> None:
    def handler(request: kali.Request) -> str:
        raise kali.HTTPError(405, "use POST", headers=[("Allow", "POST")])

    response = TestClient(handler).get("/")
    assert response.status == 405
    assert response.headers["allow"] == "POST"
    assert "use POST" in response.text


@pytest.mark.parametrize("answer", [b"plain bytes", "text", kali.Response(b"a response")])
def test_a_spilled_body_is_closed_once_the_handler_has_answered(answer: object) -> None:
    # Whichever way the answer is framed (bytes and str take a shorter one).
    body = BodyBuffer(spill_size=4)
    body.write(b"a body past the spill size")
    file = body.stream()  # the temporary file
    request = kali.Request("POST", "/", body=body)
    pipeline = Pipeline(lambda request: answer, guard=Guard("127.0.0.1", None))  # type: ignore[arg-type, return-value]
    pipeline.serve(request, keep_alive=True)
    assert file.closed


def test_a_body_read_later_is_closed_too() -> None:
    # A request built around a buffer that reads its body on first use (its size is
    # not known when the request is made).
    chunks = [b"x" * 3000]
    body = BodyBuffer.from_reader(lambda size: chunks.pop() if chunks else b"", 3000, 1000)
    files: list[IO[bytes]] = []

    def handler(request: kali.Request) -> bytes:
        files.append(request.stream)  # the temporary file the body spilled to
        return b"read"

    Pipeline(handler, guard=Guard("127.0.0.1", None)).respond(kali.Request("POST", "/", body=body))
    assert files[0].closed
