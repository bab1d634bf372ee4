"""The :class:`Request` a handler receives."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Mapping
from typing import IO, Any
from urllib.parse import parse_qsl, unquote

from .errors import HTTPError
from .forms import FormData, parse_form
from .multidict import Headers, MultiDict
from .protocol import ProtocolError, RequestHead, RequestParser, decode_path

_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


class Request:
    """One HTTP request, complete with its body.

    Handlers receive it as their first argument. It is built by the server,
    the test client or the WSGI adapter, and may be built directly in tests::

        Request("POST", "/items?page=2", headers={"content-type": "application/json"},
                body=b'{"name": "pen"}')
    """

    __slots__ = (
        "_body",
        "_body_file",
        "_cookies",
        "_form",
        "_query",
        "client",
        "headers",
        "http_version",
        "method",
        "path",
        "query_string",
        "raw_path",
        "root_path",
        "target",
    )

    #: The method, upper case as sent (``"GET"``).
    method: str
    #: The request target exactly as sent (``"/a%20b?x=1"``).
    target: str
    #: The path, percent-decoded (``"/a b"``).
    path: str
    #: The path as sent, still percent-encoded (``"/a%20b"``).
    raw_path: str
    #: The raw query string, without ``?`` (``"x=1"``).
    query_string: str
    #: ``"1.1"`` or ``"1.0"``.
    http_version: str
    #: Header fields; names are case-insensitive, repeats are kept.
    headers: Headers
    #: The client's ``(host, port)``, when known.
    client: tuple[str, int] | None
    #: The prefix a mounted handler sits under (``"/admin"``); ``""`` at the top.
    root_path: str

    def __init__(
        self,
        method: str = "GET",
        target: str = "/",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        *,
        http_version: str = "1.1",
        client: tuple[str, int] | None = None,
    ) -> None:
        items = headers.items() if isinstance(headers, Mapping) else headers
        self.method = method
        self.target = target
        try:
            self.raw_path, self.query_string = RequestParser._split_target(method, target)
            self.path = decode_path(self.raw_path)
        except ProtocolError as exc:
            raise ValueError(f"invalid request target {target!r}: {exc.message}") from None
        self.http_version = http_version
        self.headers = Headers((name.lower(), value) for name, value in items)
        self.client = client
        self.root_path = ""
        self._body: bytes | None = body
        self._body_file: IO[bytes] | None = None
        self._query: MultiDict | None = None
        self._cookies: dict[str, str] | None = None
        self._form: FormData | None = None

    @classmethod
    def _from_head(
        cls,
        head: RequestHead,
        body: bytes | None,
        body_file: IO[bytes] | None,
        client: tuple[str, int] | None,
    ) -> Request:
        # The server's path: no re-parsing, the parser has done it all.
        self = cls.__new__(cls)
        self.method = head.method
        self.target = head.target
        self.path = head.path
        self.raw_path = head.raw_path
        self.query_string = head.query_string
        self.http_version = head.http_version
        self.headers = Headers(head.headers)
        self.client = client
        self.root_path = ""
        self._body = body
        self._body_file = body_file
        self._query = None
        self._cookies = None
        self._form = None
        return self

    @property
    def query(self) -> MultiDict:
        """The query string's parameters (``?a=1&a=2`` gives ``get_all("a") == ["1", "2"]``)."""
        if self._query is None:
            if not self.query_string:
                self._query = MultiDict()
            else:
                if _BAD_PERCENT.search(self.query_string):
                    raise HTTPError(400, "Malformed percent-encoding in the query string")
                try:
                    pairs = parse_qsl(self.query_string, keep_blank_values=True, errors="strict")
                except UnicodeDecodeError:
                    raise HTTPError(400, "The query string is not valid UTF-8") from None
                self._query = MultiDict(pairs)
        return self._query

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies sent in the ``Cookie`` header(s), percent-decoded (as
        :meth:`Response.set_cookie <kali.Response.set_cookie>` encodes them)."""
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
        """The Content-Type header ("" when absent)."""
        return self.headers.get("content-type", "")

    @property
    def body(self) -> bytes:
        """The whole body. A large body spilled to disk is read into memory here;
        use :attr:`stream` to avoid that."""
        if self._body is None:
            assert self._body_file is not None
            self._body_file.seek(0)
            self._body = self._body_file.read()
            self._body_file.seek(0)
        return self._body

    @property
    def stream(self) -> IO[bytes]:
        """The body as a binary file positioned at its start."""
        if self._body_file is not None:
            self._body_file.seek(0)
            return self._body_file
        return io.BytesIO(self._body or b"")

    @property
    def form(self) -> FormData:
        """Form fields and files from a urlencoded or multipart body.

        Empty for other content types. A malformed body raises
        :class:`~kali.HTTPError` (400), which becomes a 400 response.
        """
        if self._form is None:
            content_type = self.content_type
            if not content_type:
                self._form = FormData()
            else:
                self._form = parse_form(content_type, self.stream, self._body)  # type: ignore[arg-type]
        return self._form

    def json(self) -> Any:
        """The body parsed as JSON; a 400 :class:`~kali.HTTPError` if it is not."""
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
        if self._body_file is not None:
            self._body_file.close()

    def mounted(self, prefix: str) -> Request:
        """A copy of this request as seen by a handler mounted at ``prefix``.

        ``prefix`` is a decoded path prefix of :attr:`path` on a segment
        boundary (``"/admin"`` for ``"/admin/users"``). The copy's ``path`` and
        ``raw_path`` are what remains (``"/users"``, at least ``"/"``) and its
        ``root_path`` grows by ``prefix``. Body, headers and parsed data are shared.
        """
        prefix = prefix.rstrip("/")
        if not prefix:
            return self
        path = self.path
        if not (path == prefix or path.startswith(prefix + "/")):
            raise ValueError(f"{prefix!r} is not a path prefix of {path!r}")
        depth = prefix.count("/")
        raw_segments = self.raw_path.split("/")
        copy = Request.__new__(Request)
        for name in Request.__slots__:
            setattr(copy, name, getattr(self, name))
        copy.path = path[len(prefix) :] or "/"
        copy.raw_path = "/".join(["", *raw_segments[depth + 1 :]]) or "/"
        copy.root_path = self.root_path + prefix
        return copy

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.target}>"


__all__ = ["Request"]
