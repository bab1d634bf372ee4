"""The [`Response`][kali.Response] a handler returns, and its helpers."""

from __future__ import annotations

import json as _json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from email.utils import formatdate
from typing import IO, TYPE_CHECKING, Any, Self, SupportsIndex, TypeAlias, Union, overload
from urllib.parse import quote

from .content_types import content_type as guess_content_type
from .errors import reason_phrase
from .templating.markup import escape
from .typing import HeadersArg, IoItem, IoList

if TYPE_CHECKING:
    from .live import Stream

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_COOKIE_PATH = re.compile(r"/[\x21-\x3a\x3c-\x7e]*")  # printable, no ';'
# Header names and (short) values already checked: most responses repeat a few.
_good_names: set[str] = set()
_good_values: set[str] = set()


HTML: str = "text/html; charset=utf-8"


class FileBody:
    """A body sent from an open file with `sendfile`: `length` bytes from `offset`.

    The server closes `file` once it is sent (or the connection drops).
    """

    __slots__ = ("file", "length", "offset")

    def __init__(self, file: IO[bytes], length: int, offset: int = 0) -> None:
        self.file = file
        self.length = length
        self.offset = offset

    def __repr__(self) -> str:
        return f"FileBody({getattr(self.file, 'name', self.file)!r}, {self.length})"


Body: TypeAlias = Union[str, bytes, IoList, FileBody, "Stream", Iterator[IoItem]]
"""What a [`Response`][kali.Response] may carry."""


def local_path(path: str) -> str:
    """`path` (and its query) as a redirect target that stays on this site.

    Browsers read `//evil.example/` and `/\\evil.example/` in a Location as another
    host: backslashes are percent-encoded and a leading `//` becomes `/%2F`.
    """
    path = path.replace("\\", "%5C")
    if path.startswith("//"):
        path = "/%2F" + path[2:]
    return path


def check_header(name: str, value: str) -> None:
    """Refuse a header name that is not a token, or a value with CR, LF or NUL.

    Such a header could split the response (header injection). Every header is
    checked once, where it is added to a [`ResponseHeaders`][kali.response.ResponseHeaders];
    nothing unchecked reaches the wire.
    """
    if name not in _good_names:
        if type(name) is not str or not _TOKEN.fullmatch(name):
            raise ValueError(f"invalid header name {name!r}")
        if len(_good_names) < 1024:
            _good_names.add(name)
    if value not in _good_values:
        if type(value) is not str:
            raise TypeError(f"header {name!r} needs a str value, not {type(value).__name__}")
        if _BAD_VALUE.search(value):
            raise ValueError(f"header {name!r} has a control character (CR, LF, NUL…) in {value!r}")
        if len(value) < 200 and len(_good_values) < 1024:
            _good_values.add(value)


_list_append = list.append
_list_extend = list.extend


class ResponseHeaders(list[tuple[str, str]]):
    """A response's header fields: a list of `(name, value)` pairs, repeats allowed.

    Every way of adding a pair (`append`, `extend`, `insert`, `+=`, item assignment,
    [`add`][kali.response.ResponseHeaders.add], [`set`][kali.response.ResponseHeaders.set])
    checks it with [`check_header`][kali.response.check_header], so the server sends
    the list as it is. Content-Length, Transfer-Encoding and Connection are the
    server's to write: pairs with those names are ignored when the response is framed.
    """

    __slots__ = ()

    def __init__(self, items: HeadersArg = (), content_type: str | None = None) -> None:
        # PERF: no list.__init__ call (list.__new__ made the list empty already), and
        # pairs checked before are known good without a call to check_header.
        append = _list_append
        if items:
            pairs = items.items() if type(items) is dict or isinstance(items, Mapping) else items
            for name, value in pairs:
                if name not in _good_names or value not in _good_values:
                    check_header(name, value)
                if content_type is not None and len(name) == 12 and name.lower() == "content-type":
                    continue  # replaced by content_type
                append(self, (name, value))
        if content_type is not None:
            if content_type not in _good_values:
                check_header("Content-Type", content_type)
            append(self, ("Content-Type", content_type))

    @classmethod
    def _checked(cls, pairs: Iterable[tuple[str, str]]) -> ResponseHeaders:
        """A list of `pairs` that were checked already (no check again)."""
        headers = list.__new__(cls)
        _list_extend(headers, pairs)
        return headers

    def append(self, item: tuple[str, str]) -> None:
        name, value = item
        check_header(name, value)
        list.append(self, (name, value))

    def extend(self, items: Iterable[tuple[str, str]]) -> None:
        for item in items:
            self.append(item)

    def insert(self, index: SupportsIndex, item: tuple[str, str]) -> None:
        name, value = item
        check_header(name, value)
        list.insert(self, index, (name, value))

    def __iadd__(self, items: Iterable[tuple[str, str]]) -> Self:  # type: ignore[override, misc]
        self.extend(items)
        return self

    @overload
    def __setitem__(self, index: SupportsIndex, item: tuple[str, str]) -> None: ...
    @overload
    def __setitem__(self, index: slice, item: Iterable[tuple[str, str]]) -> None: ...
    def __setitem__(self, index: SupportsIndex | slice, item: Any) -> None:
        if isinstance(index, slice):
            checked = ResponseHeaders(item)
            list.__setitem__(self, index, checked)
        else:
            name, value = item
            check_header(name, value)
            list.__setitem__(self, index, (name, value))

    def add(self, name: str, value: str) -> None:
        """Add a field (repeats allowed, e.g. Set-Cookie)."""
        check_header(name, value)
        list.append(self, (name, value))

    def set(self, name: str, value: str) -> None:
        """Set a field, replacing every field of the same name."""
        check_header(name, value)
        self.discard(name)
        list.append(self, (name, value))

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of field `name` (any case), or `default`."""
        lower = name.lower()
        for n, v in self:
            if n.lower() == lower:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        """Every value of field `name`, in order."""
        lower = name.lower()
        return [v for n, v in self if n.lower() == lower]

    def discard(self, name: str) -> None:
        """Remove every field called `name` (any case); nothing if there is none."""
        lower = name.lower()
        list.__setitem__(self, slice(None), [(n, v) for n, v in self if n.lower() != lower])


_Pairs: TypeAlias = tuple[tuple[str, str], ...]
# The fields a Response was given (with its content_type) → the same fields checked,
# as a tuple of pairs: most programs answer with a few sets of fields.
_known_pairs: dict[object, _Pairs] = {}
_UNKNOWN = object()  # the key of fields given as another kind of object
# PERF: a dict of fields given again and again (a module's constant) is known by its
# id: id → (the dict, kept so that the id stays its own; a copy of its fields when
# they were checked and their names in order; the content_type; the checked pairs).
# Building its key costs more.
_known_dicts: dict[
    int, tuple[dict[str, str], dict[str, str], tuple[str, ...], str | None, _Pairs]
] = {}


def _checked_pairs(headers: HeadersArg | None, content_type: str | None, key: object) -> _Pairs:
    """The `headers` (and `content_type`) a Response is given, checked
    (raising as [`check_header`][kali.response.check_header] does), as pairs;
    kept by `key` if that is a small set of fields."""
    pairs = tuple(ResponseHeaders(headers or (), content_type))
    if key is _UNKNOWN:
        return pairs
    given = len(headers) if headers else 0  # type: ignore[arg-type]  # a dict, list or tuple
    dropped = len(pairs) != given + (content_type is not None)  # a replaced Content-Type
    if not dropped and sum(len(n) + len(v) for n, v in pairs) <= 1024:
        try:
            if len(_known_pairs) >= 256:
                _known_pairs.clear()
            _known_pairs[key] = pairs
        except TypeError:  # unhashable
            pass
    return pairs


class Response:
    """A status, header fields and a body.

    `body` may be a `str` (sent as UTF-8), `bytes`, an iolist, a
    [`FileBody`][kali.response.FileBody], or a body sent step by step: a
    [`Stream`][kali.live.Stream] (an [`EventStream`][kali.live.EventStream]
    subscription, say) or any iterator of iolists, which is wrapped in one (see
    `docs/live.md`). Without a Content-Type header, the body is served as
    `text/html; charset=utf-8`. `shut_down=True` asks the server to stop once this
    response has been sent.
    """

    __slots__ = ("_headers", "_pairs", "body", "shut_down", "status")

    def __init__(
        self,
        body: Body = b"",
        status: int = 200,
        headers: HeadersArg | None = None,
        *,
        content_type: str | None = None,
        shut_down: bool = False,
    ) -> None:
        if status != 200 and not 200 <= status <= 599:
            raise ValueError(f"a response status must be from 200 to 599, not {status}")
        kind = type(body)
        if (
            kind is not bytes
            and kind is not list
            and kind is not str
            and isinstance(body, Iterator)
        ):
            from .live import Stream  # an iterator is sent step by step

            body = Stream(body)
        self.body = body
        self.status = status
        self.shut_down = shut_down
        # PERF: the fields as the handler gave them are checked once per distinct
        # set (see _checked_pairs); a ResponseHeaders list is made only if asked for.
        self._headers: ResponseHeaders | None = None
        if headers is None:
            key: object = content_type
        elif type(headers) is dict:
            seen = _known_dicts.get(id(headers))
            if (
                seen is not None
                and seen[0] is headers
                and seen[3] == content_type
                and seen[1] == headers  # not changed since,
                and seen[2] == tuple(headers)  # nor reordered
            ):
                self._pairs: _Pairs = seen[4]
                return
            key = (content_type, *headers.items())
        elif type(headers) is list or type(headers) is tuple:
            key = (content_type, *headers)
        else:
            key = _UNKNOWN
        try:
            pairs = _known_pairs.get(key)
        except TypeError:  # an unhashable pair (a list): checked each time
            pairs = None
        if pairs is None:
            pairs = _checked_pairs(headers, content_type, key)
        elif type(headers) is dict:
            if len(_known_dicts) >= 256:
                _known_dicts.clear()
            _known_dicts[id(headers)] = (
                headers,
                dict(headers),
                tuple(headers),
                content_type,
                pairs,
            )
        self._pairs = pairs

    @property
    def headers(self) -> ResponseHeaders:
        """The header fields: a [`ResponseHeaders`][kali.response.ResponseHeaders]
        list of `(name, value)` pairs, every change to it checked."""
        headers = self._headers
        if headers is None:  # (`_pairs` stays: a thread reading at once finds them)
            headers = self._headers = ResponseHeaders._checked(self._pairs)
        return headers

    @headers.setter
    def headers(self, fields: HeadersArg) -> None:
        self._headers = ResponseHeaders(fields)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.headers is not Response.headers:  # framing reads the checked fields
            raise TypeError(
                f"{cls.__name__} overrides Response.headers; add fields with add_header "
                "or set_header (or pass headers=) instead"
            )

    def add_header(self, name: str, value: str) -> None:
        """Add a header field (repeats allowed, e.g. Set-Cookie)."""
        self.headers.add(name, value)

    def set_header(self, name: str, value: str) -> None:
        """Set a header field, replacing any with the same name."""
        self.headers.set(name, value)

    def get_header(self, name: str) -> str | None:
        """The first value of header `name`, or `None`."""
        return self.headers.get(name)

    def set_cookie(
        self,
        name: str,
        value: str,
        *,
        max_age: int | None = None,
        path: str = "/",
        http_only: bool = True,
        same_site: str | None = "Lax",
        secure: bool = False,
    ) -> None:
        """Add a `Set-Cookie` header.

        `value` is percent-encoded here and decoded again by
        [`Request.cookies`][kali.Request.cookies], so any string round-trips.
        """
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"invalid cookie name {name!r}")
        if not _COOKIE_PATH.fullmatch(path):
            raise ValueError(f"invalid cookie path {path!r}")
        if same_site not in (None, "Lax", "Strict", "None"):
            raise ValueError(
                f"same_site must be 'Lax', 'Strict', 'None' or None, not {same_site!r}"
            )
        parts = [f"{name}={quote(value, safe='')}", f"Path={path}"]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if http_only:
            parts.append("HttpOnly")
        if same_site:
            parts.append(f"SameSite={same_site}")
        if secure:
            parts.append("Secure")
        self.add_header("Set-Cookie", "; ".join(parts))

    # -- helpers ---------------------------------------------------------------

    @classmethod
    def text(cls, text: str | IoList, status: int = 200) -> Response:
        """A `text/plain; charset=utf-8` response."""
        return cls(text, status, content_type="text/plain; charset=utf-8")

    @classmethod
    def html(cls, body: str | IoList, status: int = 200) -> Response:
        """A `text/html; charset=utf-8` response."""
        return cls(body, status, content_type=HTML)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        """`data` encoded as compact JSON (`application/json`)."""
        text = _json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return cls(text, status, content_type="application/json")

    @classmethod
    def redirect(cls, location: str, status: int = 303) -> Response:
        """Redirect to `location` (303 See Other by default: the follow-up is a GET).

        Use 301/308 for permanent moves and 302/307 for temporary ones.
        """
        if status not in (301, 302, 303, 307, 308):
            raise ValueError(f"{status} is not a redirect status")
        response = cls(b"", status)
        response.set_header("Location", location)
        return response

    @classmethod
    def status_page(cls, status: int, message: str | None = None) -> Response:
        """A short HTML page for `status`, e.g. "404 Not Found", with an optional message."""
        title = f"{status} {reason_phrase(status)}"
        body = [
            "<!doctype html>\n<html><head><meta charset=utf-8><title>",
            title,
            "</title></head>\n<body><h1>",
            title,
            "</h1>\n",
            f"<p>{escape(message)}</p>\n" if message else "",
            "</body></html>\n",
        ]
        return cls(body, status, content_type=HTML)

    @classmethod
    def file(
        cls,
        path: str | os.PathLike[str],
        *,
        content_type: str | None = None,
        download_name: str | None = None,
    ) -> Response:
        """Send a file with `sendfile`; the type is guessed from its name, as
        [`StaticFiles`][kali.staticfiles.StaticFiles] does
        ([`content_type`][kali.content_types.content_type]).

        Raises `FileNotFoundError`/`IsADirectoryError` as `open` does.
        `download_name` makes the browser save it rather than show it.
        """
        file = open(path, "rb")  # the server closes it after sending
        try:
            stat = os.fstat(file.fileno())
            if not os.path.isfile(path):
                raise IsADirectoryError(f"not a regular file: {os.fspath(path)!r}")
        except BaseException:
            file.close()
            raise
        if content_type is None:
            content_type = guess_content_type(os.fspath(path))
        response = cls(FileBody(file, stat.st_size), content_type=content_type)
        response.add_header("Last-Modified", formatdate(stat.st_mtime, usegmt=True))
        if download_name is not None:
            response.add_header(
                "Content-Disposition", f"attachment; filename*=UTF-8''{quote(download_name)}"
            )
        return response

    def __repr__(self) -> str:
        return f"<Response {self.status}>"


__all__ = [
    "HTML",
    "Body",
    "FileBody",
    "Response",
    "ResponseHeaders",
    "check_header",
    "local_path",
]
