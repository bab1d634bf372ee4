"""The [`Request`][kali.Request] a handler receives.

A request is a view over what the parser produced (a
[`RequestHead`][kali.protocol.RequestHead]) and its body. Everything else —
header lookups, the query string, cookies, the form — is parsed the first time a
handler asks for it, so a request costs only what its handler reads.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from copy import copy as _copy
from typing import IO, Any, Self
from urllib.parse import unquote

from .body import BodyBuffer
from .errors import HTTPError, ProtocolError
from .forms import FormData, parse_form, parse_pairs
from .multidict import Headers, MultiDict, QueryParams
from .protocol import HeaderFields, RequestHead, decode_path, split_target

_NO_QUERY = QueryParams([])


class Request:
    """One HTTP request, complete with its body.

    Handlers receive it as their first argument. The server, the test client and
    the WSGI adapter build it; build one directly in tests:

        Request("POST", "/items?page=2", headers={"content-type": "application/json"},
                body=b'{"name": "pen"}')

    `target` is split and percent-decoded as the server would do it (a `ValueError`
    if it is not a valid request target). `body` is `bytes` or a
    [`BodyBuffer`][kali.body.BodyBuffer].
    """

    __slots__ = (
        "_body",
        "_body_bytes",
        "_client",
        "_cookies",
        "_form",
        "_headers",
        "_query",
        "_state",
        "head",
        "root_path",
    )

    head: RequestHead
    """The parsed request line and header fields, as the parser produced them."""

    root_path: str
    """The prefix a mounted handler sits under (`"/admin"`); `""` at the top."""

    def __init__(
        self,
        method: str = "GET",
        target: str = "/",
        headers: Headers | Mapping[str, str] | Iterable[tuple[str, str]] = (),
        body: bytes | BodyBuffer = b"",
        *,
        http_version: str = "1.1",
        client: tuple[str, int] | None = None,
        root_path: str = "",
    ) -> None:
        try:
            raw_path, query_string = split_target(method, target)
            path = decode_path(raw_path)
        except ProtocolError as exc:
            raise ValueError(f"invalid request target {target!r}: {exc.message}") from None
        if isinstance(headers, Headers):
            self._headers: Headers | None = headers
            items: list[tuple[str, str]] = []
        else:
            pairs = headers.items() if isinstance(headers, Mapping) else headers
            items = [(name.lower(), value) for name, value in pairs]
            self._headers = None
        host = headers.get("host") if isinstance(headers, Headers) else None
        if host is None:
            host = next((value for name, value in items if name == "host"), None)
        self.head = RequestHead(
            method,
            target,
            path,
            raw_path,
            query_string,
            http_version,
            items,
            True,
            False,
            # A buffer still to be read (BodyBuffer.from_reader) has no size yet: its
            # length is not declared, and the request may hold a file to close.
            len(body) if isinstance(body, bytes) else body.size or None,
            host,
        )
        self._body = body
        self._client = client
        self.root_path = root_path
        self._body_bytes: bytes | None = body if isinstance(body, bytes) else None
        self._query: MultiDict | None = None
        self._cookies: dict[str, str] | None = None
        self._form: FormData | None = None
        self._state: dict[str, Any] | None = None

    @classmethod
    def from_head(
        cls,
        head: RequestHead,
        body: bytes | BodyBuffer = b"",
        client: tuple[str, int] | None = None,
        *,
        headers: Headers | None = None,
        root_path: str = "",
    ) -> Self:
        """The request for a head the parser produced (what the server and the
        test client call): nothing is parsed again.

        `headers` replaces the head's header list (the WSGI adapter passes
        headers read from its environ on demand).
        """
        self = cls.__new__(cls)
        self.head = head
        self._headers = headers
        self._body = body
        self._body_bytes = body if type(body) is bytes else None
        self._client = client
        self.root_path = root_path
        self._query = None
        self._cookies = None
        self._form = None
        self._state = None
        return self

    # -- the request line ---------------------------------------------------------

    @property
    def method(self) -> str:
        """The method, upper case as sent (`"GET"`)."""
        return self.head[0]

    @property
    def target(self) -> str:
        """The request target exactly as sent (`"/a%20b?x=1"`)."""
        return self.head[1]

    @property
    def path(self) -> str:
        """The path, percent-decoded (`"/a b"`); below the mount point when mounted."""
        return self.head[2]

    @property
    def raw_path(self) -> str:
        """The path as sent, still percent-encoded (`"/a%20b"`)."""
        return self.head[3]

    @property
    def query_string(self) -> str:
        """The raw query string, without `?` (`"x=1"`)."""
        return self.head[4]

    @property
    def http_version(self) -> str:
        """`"1.1"` or `"1.0"`."""
        return self.head[5]

    @property
    def host(self) -> str | None:
        """The Host header, or `None` when the client sent none."""
        return self.head[10]

    @property
    def client(self) -> tuple[str, int] | None:
        """The client's `(host, port)`, when known."""
        client = self._client
        return client if client is not None else self._find_client()

    @client.setter
    def client(self, client: tuple[str, int] | None) -> None:
        # A middleware may set it (the address a trusted proxy forwarded, say).
        self._client = client

    def _find_client(self) -> tuple[str, int] | None:
        # Where a subclass reads a client not given to it (the WSGI adapter's: its environ).
        return None

    # -- what is parsed on first use ---------------------------------------------

    @property
    def headers(self) -> Headers:
        """Header fields; names are case-insensitive, repeats are kept."""
        headers = self._headers
        if headers is None:
            fields = self.head[6]
            headers = self._headers = (
                fields.as_headers() if type(fields) is HeaderFields else Headers(fields)
            )
        return headers

    @property
    def query(self) -> MultiDict:
        """The query string's parameters (`?a=1&a=2` gives `get_all("a") == ["1", "2"]`).

        A malformed query string is a 400 [`HTTPError`][kali.HTTPError].
        """
        query = self._query
        if query is None:
            text = self.head[4]
            query = self._query = (
                QueryParams(parse_pairs(text, "query string")) if text else _NO_QUERY
            )
        return query

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies sent in the `Cookie` header(s), percent-decoded (as
        [`Response.set_cookie`][kali.Response.set_cookie] encodes them)."""
        if self._cookies is None:
            cookies: dict[str, str] = {}
            for header in self.headers.get_all("cookie"):
                for pair in header.split(";"):
                    name, eq, value = pair.partition("=")
                    name = name.strip()
                    if not eq or not name:
                        continue
                    value = value.strip()
                    if len(value) >= 2 and value[0] == value[-1] == '"':
                        value = value[1:-1]
                    cookies.setdefault(name, unquote(value) if "%" in value else value)
            self._cookies = cookies
        return self._cookies

    @property
    def content_type(self) -> str:
        """The Content-Type header (`""` when absent)."""
        return self.headers.get("content-type", "")

    @property
    def body(self) -> bytes:
        """The whole body. A large body spilled to disk is read into memory here;
        use [`stream`][kali.Request.stream] to avoid that."""
        data = self._body_bytes
        if data is None:
            assert isinstance(self._body, BodyBuffer)
            data = self._body_bytes = self._body.getvalue()
        return data

    @property
    def stream(self) -> IO[bytes]:
        """The body as a binary file positioned at its start."""
        body = self._body
        if isinstance(body, BodyBuffer):
            return body.stream()
        return io.BytesIO(body)

    @property
    def form(self) -> FormData:
        """Form fields and files from a urlencoded or multipart body.

        Empty for other content types. A malformed body raises
        [`HTTPError`][kali.HTTPError] (400), which becomes a 400 response; so does
        `form["name"]` for a field the client did not send.
        """
        if self._form is None:
            content_type = self.content_type
            if not content_type:
                self._form = FormData()
            else:
                body = self._body
                in_memory = self._body_bytes
                if in_memory is None and isinstance(body, BodyBuffer) and not body.spilled:
                    in_memory = self.body
                self._form = parse_form(content_type, self.stream, in_memory)  # type: ignore[arg-type]
        return self._form

    @property
    def has_form(self) -> bool:
        """Whether the body is a form (urlencoded or multipart), without parsing it."""
        kind = self.content_type.partition(";")[0].strip().lower()
        return kind in ("application/x-www-form-urlencoded", "multipart/form-data")

    @property
    def state(self) -> dict[str, Any]:
        """A dict for middleware and handlers to pass values along with this request."""
        state = self._state
        if state is None:
            state = self._state = {}
        return state

    def json(self) -> Any:
        """The body parsed as JSON; a 400 [`HTTPError`][kali.HTTPError] if it is not."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise HTTPError(400, "The request body is not valid JSON") from None

    def close(self) -> None:
        """Release the body's temporary file and uploaded files.

        Called once the handler has returned; handlers need not call it.
        """
        if self._form is not None:
            for uploads in self._form.files.values():
                for upload in uploads:
                    upload.close()
        if isinstance(self._body, BodyBuffer):
            self._body.close()

    def mounted(self, prefix: str) -> Request:
        """A copy of this request as seen by a handler mounted at `prefix`.

        `prefix` is a decoded path prefix of [`path`][kali.Request.path] on a segment
        boundary (`"/admin"` for `"/admin/users"`). The copy's `path` and `raw_path`
        are what remains (`"/users"`, at least `"/"`) and its `root_path` grows by
        `prefix`. Body, headers and parsed data are shared.
        """
        prefix = prefix.rstrip("/")
        if not prefix:
            return self
        path = self.path
        if not (path == prefix or path.startswith(prefix + "/")):
            raise ValueError(f"{prefix!r} is not a path prefix of {path!r}")
        depth = prefix.count("/")
        raw_segments = self.raw_path.split("/")
        if type(self) is Request:
            copy = Request.__new__(Request)
            for name in Request.__slots__:
                setattr(copy, name, getattr(self, name))
        else:  # a subclass's (the WSGI adapter's, say), with whatever state it adds
            copy = _copy(self)
        copy.head = self.head._replace(
            path=path[len(prefix) :] or "/",
            raw_path="/".join(["", *raw_segments[depth + 1 :]]) or "/",
        )
        copy.root_path = self.root_path + prefix
        return copy

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.target}>"


__all__ = ["Request"]
