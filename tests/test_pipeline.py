"""The one pipeline: handler results, error pages, framing."""

from __future__ import annotations

from typing import IO
from unittest.mock import Mock

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


def test_an_app_subclass_that_overrides_call_is_still_called() -> None:
    # The pipeline calls an App's router directly, unless its __call__ is its own.
    class Counted(kali.App):
        calls = 0

        def __call__(self, request: kali.Request) -> kali.Response:
            Counted.calls += 1
            return super().__call__(request)

    app = Counted()
    app.get("/")(lambda request: "home")
    client = TestClient(app)
    assert client.get("/").text == "home"
    assert client.get("/").text == "home"
    assert Counted.calls == 2


def test_an_apps_error_pages_answer_through_the_pipeline() -> None:
    app = kali.App()

    @app.get("/boom")
    def boom(request: kali.Request) -> str:
        raise LookupError("no such row")

    @app.error(LookupError)
    def missing(request: kali.Request, error: Exception) -> str:
        return f"missing: {error}"

    @app.error(404)
    def not_found(request: kali.Request, error: kali.HTTPError) -> str:
        return "nothing here"

    client = TestClient(app, raise_server_exceptions=False)
    boomed = client.get("/boom")
    assert (boomed.status, boomed.text) == (500, "missing: no such row")
    nowhere = client.get("/nowhere")
    assert (nowhere.status, nowhere.text) == (404, "nothing here")


def test_an_error_page_that_fails_falls_back_to_kalis_own() -> None:
    app = kali.App()

    @app.get("/boom")
    def boom(request: kali.Request) -> str:
        raise LookupError("no such row")

    @app.error(500)
    def broken(request: kali.Request, error: Exception) -> str:
        raise RuntimeError("the error page is broken too")

    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert response.status == 500
    assert "the error page is broken too" not in response.text  # no traceback outside debug


def test_an_object_that_forwards_to_an_app_is_called_itself() -> None:
    # The pipeline's shortcut to an App's router is for an App only: a proxy that
    # forwards attribute lookups to one, or a mock, is called as it is.
    app = kali.App()
    app.get("/")(lambda request: "index")

    class Proxy:
        def __init__(self, app: kali.App) -> None:
            self.app = app

        def __getattr__(self, name: str) -> object:
            return getattr(self.app, name)

        def __call__(self, request: kali.Request) -> kali.Response:
            response = self.app(request)
            response.headers.add("X-Proxy", "1")
            return response

    answer = TestClient(Proxy(app)).get("/")
    assert (answer.text, answer.headers.get("x-proxy")) == ("index", "1")
    assert TestClient(Mock(return_value="hi")).get("/").text == "hi"


def test_an_app_whose_middleware_fails_answers_with_its_error_page_every_time() -> None:
    app = kali.App()
    app.get("/")(lambda request: "index")
    app.error(500)(lambda request, error: "our 500 page")
    app.use(lambda handler: None)  # type: ignore[arg-type, return-value]
    client = TestClient(app, raise_server_exceptions=False)
    for _ in range(2):
        answer = client.get("/")
        assert (answer.status, answer.text) == (500, "our 500 page")
