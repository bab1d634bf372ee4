"""Testing handlers in-process: [`TestClient`][kali.testing.TestClient].

The client writes real HTTP/1.1 request bytes, feeds them to the same parser
the server uses, calls the handler through the same dispatch path, and frames
the response with the same code, so a test sees what a browser would, minus
the socket:

    from kali.testing import TestClient

    client = TestClient(app)
    response = client.get("/item/3")
    assert response.status == 200
    assert "Pen" in response.text
"""

from __future__ import annotations

import json as _json
import logging
import uuid
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from ._wire import Prepared, error_bytes
from .errors import ProtocolError
from .live import Stream, Subscription
from .multidict import Headers
from .pipeline import SECURITY_HEADERS, Pipeline, capture_exceptions
from .protection import Guard
from .protocol import NEED_DATA, Data, EndOfMessage, RequestHead, RequestParser
from .request import Request
from .scheduler import Scheduler
from .typing import Handler, HeadersArg

FileArg = tuple[str, bytes] | tuple[str, bytes, str]
"""A file for `files=`: `(filename, content)` or `(filename, content, content_type)`."""

log = logging.getLogger("kali")


class TestResponse:
    """What the client received: `status`, `headers`, `body` (bytes), `text`."""

    __test__ = False  # not a pytest test class

    def __init__(self, status: int, reason: str, headers: Headers, body: bytes, raw: bytes) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.raw_head = raw
        """The response head exactly as the server would send it."""

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode()

    def json(self) -> Any:
        """The body parsed as JSON."""
        return _json.loads(self.body)

    def __repr__(self) -> str:
        return f"<TestResponse {self.status} {self.reason}>"


class TestClient:
    """Sends requests to `handler` in-process and returns
    [`TestResponse`][kali.testing.TestResponse].

    Requests carry `Host: localhost` (`host=` for another name; a `Host` in a request's
    `headers` replaces it for that request) and pass the same checks against hostile
    pages as on a server bound to 127.0.0.1 (see [`kali.protection`][kali.protection]).
    Cookies set by responses are kept and sent with later requests. With
    `raise_server_exceptions` (the default) an exception in the handler is
    re-raised in the test after the 500 has been produced, so the test fails
    with the real traceback.
    """

    __test__ = False

    def __init__(
        self,
        handler: Handler,
        *,
        raise_server_exceptions: bool = True,
        debug: bool = False,
        host: str = "localhost",
        security_headers: Mapping[str, str] = SECURITY_HEADERS,
    ) -> None:
        self.handler = handler
        self.raise_server_exceptions = raise_server_exceptions
        self.debug = debug
        self.host = host
        self.cookies: dict[str, str] = {}
        # The server's pipeline, with its checks, as for a server on 127.0.0.1.
        self.pipeline = Pipeline(
            handler, guard=Guard("127.0.0.1"), debug=debug, security_headers=security_headers
        )

    def request(
        self,
        method: str,
        target: str,
        *,
        headers: HeadersArg | None = None,
        body: bytes | str = b"",
        query: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        files: Mapping[str, FileArg] | None = None,
    ) -> TestResponse:
        """Send one request. `data` sends a urlencoded form (multipart with
        `files`), `json` a JSON body, `query` is appended to the target."""
        header_list = list(
            (headers.items() if isinstance(headers, Mapping) else headers) if headers else ()
        )
        # As a browser does: spaces and non-ASCII characters are percent-encoded.
        target = quote(target, safe="/?#[]@!$&'()*+,;=:%~")
        if query:
            target += ("&" if "?" in target else "?") + urlencode(query)
        payload = body.encode() if isinstance(body, str) else body
        if files is not None:
            payload, content_type = encode_multipart(data or {}, files)
            header_list.append(("Content-Type", content_type))
        elif data is not None:
            payload = urlencode(data).encode()
            header_list.append(("Content-Type", "application/x-www-form-urlencoded"))
        elif json is not None:
            payload = _json.dumps(json).encode()
            header_list.append(("Content-Type", "application/json"))
        if self.cookies and not any(n.lower() == "cookie" for n, _ in header_list):
            header_list.append(("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items())))
        lines = [f"{method} {target} HTTP/1.1"]
        if not any(name.lower() == "host" for name, _ in header_list):
            lines.append(f"Host: {self.host}")  # a Host given in `headers` replaces it
        lines += [f"{name}: {value}" for name, value in header_list]
        if payload or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(payload)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
        return self.send_raw(raw)

    def send_raw(self, raw: bytes) -> TestResponse:
        """Send request bytes exactly as given (one request); for protocol tests."""
        parser = RequestParser()
        parser.feed(raw)
        defaults = self.pipeline.defaults
        try:
            event = parser.next_event()
            if not isinstance(event, RequestHead):
                raise ValueError("send_raw needs one complete request")
            head = event
            refusal = self.pipeline.refuse_head(head)
            if refusal is not None:  # answered on the head alone, as by the server
                prepared = self.pipeline.frame_refusal(refusal, head.method, head.http_version)
                return _parse_head(prepared.head, b"".join(prepared.body))
            parts: list[bytes] = []
            while True:
                event = parser.next_event()
                if isinstance(event, Data):
                    parts.append(event.data)
                elif isinstance(event, EndOfMessage):
                    break
                elif event is NEED_DATA:
                    raise ValueError("send_raw needs one complete request")
        except ProtocolError as exc:
            error_head, error_body = error_bytes(exc.status, exc.message, defaults)
            return _parse_head(error_head, error_body)
        return self._dispatch(head, b"".join(parts))

    def _dispatch(self, head: RequestHead, body: bytes) -> TestResponse:
        request = Request.from_head(head, body, ("127.0.0.1", 50000))
        with capture_exceptions() as caught:
            prepared, _shut_down = self.pipeline.serve(request, head.keep_alive)
            if caught and self.raise_server_exceptions:
                raise caught[0]
            return self._received(prepared, caught)

    def _received(self, prepared: Prepared, caught: list[BaseException]) -> TestResponse:
        content = b"".join(prepared.body)
        if prepared.stream is not None:
            content += b"".join(_run_stream(prepared.stream, caught))
            if caught and self.raise_server_exceptions:
                raise caught[0]
        if prepared.source is not None:
            content += b"".join(piece for window in prepared.source for piece in window)
        if prepared.file is not None:
            file = prepared.file
            with file.file:
                file.file.seek(file.offset)
                content = file.file.read(file.length)
        result = _parse_head(prepared.head, content)
        for value in result.headers.get_all("set-cookie"):
            name, _, rest = value.partition("=")
            cookie_value = rest.split(";", 1)[0]
            if "max-age=0" in value.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = cookie_value
        return result

    def run_timers(self, advance: float = 0.0) -> int:
        """Run the app's timers that are due, as the server would between requests,
        after moving time `advance` seconds on; return how many ran.

        The handler's timers are those of its [`Scheduler`][kali.scheduler.Scheduler]
        (`app.scheduler`); a handler without one has none.
        """
        scheduler = getattr(self.handler, "scheduler", None)
        if not isinstance(scheduler, Scheduler):
            return 0
        if advance:
            scheduler.shift(advance)
        return scheduler.run_due()

    def get(self, target: str, **kwargs: Any) -> TestResponse:
        """Send a GET request (see `request` for the keyword arguments)."""
        return self.request("GET", target, **kwargs)

    def head(self, target: str, **kwargs: Any) -> TestResponse:
        """Send a HEAD request."""
        return self.request("HEAD", target, **kwargs)

    def post(self, target: str, **kwargs: Any) -> TestResponse:
        """Send a POST request."""
        return self.request("POST", target, **kwargs)

    def put(self, target: str, **kwargs: Any) -> TestResponse:
        """Send a PUT request."""
        return self.request("PUT", target, **kwargs)

    def patch(self, target: str, **kwargs: Any) -> TestResponse:
        """Send a PATCH request."""
        return self.request("PATCH", target, **kwargs)

    def delete(self, target: str, **kwargs: Any) -> TestResponse:
        """Send a DELETE request."""
        return self.request("DELETE", target, **kwargs)

    def options(self, target: str, **kwargs: Any) -> TestResponse:
        """Send an OPTIONS request."""
        return self.request("OPTIONS", target, **kwargs)


def _run_stream(stream: Stream, caught: list[BaseException]) -> Iterator[bytes]:
    """Every step of a streamed body, run now, in order. An event stream gives the
    events waiting now and ends (the test client holds no connection for later ones).
    An exception in a step is logged and collected in `caught`, and ends the body."""
    if isinstance(stream, Subscription):
        yield from stream.drain()
        return
    try:
        while (pieces := stream.step()) is not None:
            yield from pieces
    except Exception as exc:
        log.error("Error in a streamed response", exc_info=exc)
        caught.append(exc)
    finally:
        stream.close()


def _parse_head(raw: bytes, body: bytes) -> TestResponse:
    lines = raw.decode("utf-8").split("\r\n")
    _version, status, reason = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(": ")
            headers.append((name, value))
    return TestResponse(int(status), reason, Headers(headers), body, raw)


def encode_multipart(fields: Mapping[str, str], files: Mapping[str, FileArg]) -> tuple[bytes, str]:
    """Encode a `multipart/form-data` body; returns it and its Content-Type."""
    boundary = uuid.uuid4().hex
    out: list[bytes] = []
    for name, value in fields.items():
        out += [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode(),
            value.encode(),
            b"\r\n",
        ]
    for name, spec in files.items():
        filename, content = spec[0], spec[1]
        content_type = spec[2] if len(spec) == 3 else "application/octet-stream"
        out += [
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
            ).encode(),
            content,
            b"\r\n",
        ]
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


__all__ = ["TestClient", "TestResponse", "encode_multipart"]
