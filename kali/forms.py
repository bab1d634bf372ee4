"""Form bodies: `application/x-www-form-urlencoded` and `multipart/form-data`.

`parse_form` picks the parser from the Content-Type. Multipart parsing
streams from a binary file, so a large upload already spilled to disk by the
server is copied part by part into its own spooled temporary file and never
held in memory whole.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from typing import IO, BinaryIO
from urllib.parse import unquote

from .body import SPILL_SIZE
from .errors import HTTPError
from .multidict import MultiDict

MAX_FIELDS = 1000
"""Most fields in one form (urlencoded pairs or multipart parts): 413 beyond it."""
_MAX_PART_HEAD = 16 * 1024
_MAX_FIELD_SIZE = 1024 * 1024
_READ_SIZE = 64 * 1024
_PARAM = re.compile(r';\s*([A-Za-z0-9!#$&+.^_`|~*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


class UploadFile:
    """A file sent in a multipart form.

    `file` is positioned at the start; small files stay in memory, larger
    ones in a temporary file that is deleted when closed or collected.
    """

    __slots__ = ("content_type", "file", "filename", "headers", "name")

    def __init__(
        self,
        name: str,
        filename: str,
        content_type: str,
        file: IO[bytes],
        headers: MultiDict | None = None,
    ) -> None:
        self.name = name
        self.filename = filename
        self.content_type = content_type
        self.file = file
        self.headers = headers or MultiDict()

    def read(self) -> bytes:
        """The whole content (the file position is restored afterwards)."""
        position = self.file.tell()
        self.file.seek(0)
        try:
            return self.file.read()
        finally:
            self.file.seek(position)

    def close(self) -> None:
        """Close (and so delete) the underlying file."""
        self.file.close()

    def __repr__(self) -> str:
        return f"UploadFile({self.name!r}, filename={self.filename!r}, {self.content_type!r})"


class FormData(MultiDict):
    """Form fields as a [`MultiDict`][kali.multidict.MultiDict] of `str`, plus `files`."""

    __slots__ = ("files",)
    what = "form field"

    def __init__(
        self,
        items: Iterable[tuple[str, str]] = (),
        files: Iterable[tuple[str, UploadFile]] = (),
    ) -> None:
        super().__init__(items)
        self.files: dict[str, list[UploadFile]] = {}
        for name, upload in files:
            self.files.setdefault(name, []).append(upload)

    def file(self, name: str) -> UploadFile | None:
        """The first file uploaded under `name`, or `None`."""
        uploads = self.files.get(name)
        return uploads[0] if uploads else None


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """Split a Content-Type (or Content-Disposition) value into its type and parameters."""
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for m in _PARAM.finditer(";" + rest):
        raw = m[2].strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[m[1].lower()] = raw
    return main.strip().lower(), params


_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def parse_pairs(
    text: str, what: str = "form", max_fields: int = MAX_FIELDS
) -> list[tuple[str, str]]:
    """Split `a=1&b=%C3%A9` into `[("a", "1"), ("b", "é")]`, strictly.

    `+` is a space; empty pieces (`a=1&&b=2`) are skipped; a piece without `=` is a
    name with an empty value. A malformed `%` escape, bytes that are not UTF-8, or more
    than `max_fields` pieces raise [`HTTPError`][kali.HTTPError] (400, 413), naming `what`
    ("form", "query string").
    """
    if text.count("&") >= max_fields:
        raise HTTPError(413, f"The {what} has more than {max_fields} fields")
    if "%" not in text and "+" not in text:  # nothing to decode: the usual query string
        plain: list[tuple[str, str]] = []
        for piece in text.split("&"):
            name, sep, value = piece.partition("=")
            if name or sep:
                plain.append((name, value))
        return plain
    if "%" in text and _BAD_PERCENT.search(text):
        raise HTTPError(400, f"Malformed percent-encoding in the {what}")
    pairs: list[tuple[str, str]] = []
    try:
        for piece in text.split("&"):
            if not piece:
                continue
            name, _, value = piece.partition("=")
            if "+" in piece:
                name = name.replace("+", " ")
                value = value.replace("+", " ")
            if "%" in piece:
                name = unquote(name, errors="strict")
                value = unquote(value, errors="strict")
            pairs.append((name, value))
    except UnicodeDecodeError:
        raise HTTPError(400, f"The {what} is not valid UTF-8") from None
    return pairs


def parse_urlencoded(body: bytes) -> FormData:
    """Parse an `application/x-www-form-urlencoded` body (UTF-8)."""
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise HTTPError(400, "The form is not valid URL-encoded UTF-8") from None
    return FormData(parse_pairs(text, "form"))


def parse_form(content_type: str, stream: BinaryIO, body: bytes | None = None) -> FormData:
    """Parse a form body according to its Content-Type (empty for other types)."""
    kind, params = parse_content_type(content_type)
    if kind == "application/x-www-form-urlencoded":
        return parse_urlencoded(stream.read() if body is None else body)
    if kind == "multipart/form-data":
        boundary = params.get("boundary", "")
        if not 1 <= len(boundary) <= 200:
            raise HTTPError(400, "multipart/form-data without a valid boundary")
        return parse_multipart(stream, boundary.encode("latin-1"))
    return FormData()


def parse_multipart(stream: BinaryIO, boundary: bytes) -> FormData:
    """Parse a `multipart/form-data` body read from `stream`.

    Raises [`HTTPError`][kali.HTTPError] (400) when the body is malformed.
    """
    return _MultipartParser(stream, boundary).parse()


class _MultipartParser:
    def __init__(self, stream: BinaryIO, boundary: bytes) -> None:
        self._stream = stream
        # A leading CRLF lets the first delimiter match like every other one.
        self._buf = bytearray(b"\r\n")
        self._delimiter = b"\r\n--" + boundary
        self._eof = False

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(_READ_SIZE)
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    def _fail(self, message: str) -> HTTPError:
        return HTTPError(400, f"Malformed multipart body: {message}")

    def parse(self) -> FormData:
        files: list[tuple[str, UploadFile]] = []
        try:
            return self._parse(files)
        except BaseException:
            for _name, upload in files:
                upload.close()
            raise

    def _parse(self, files: list[tuple[str, UploadFile]]) -> FormData:
        fields: list[tuple[str, str]] = []
        # Skip the preamble, up to the first delimiter.
        self._copy_until_delimiter(None, limit=None)
        while True:
            # After a delimiter: "--" ends the body, CRLF starts a part.
            while len(self._buf) < 2 and self._fill():
                pass
            if self._buf[:2] == b"--":
                return FormData(fields, files)
            if self._buf[:2] != b"\r\n":
                raise self._fail("expected CRLF after the boundary")
            del self._buf[:2]
            if len(fields) + len(files) >= MAX_FIELDS:
                raise HTTPError(413, f"The form has more than {MAX_FIELDS} parts")
            headers = self._read_part_head()
            disposition, params = parse_content_type(headers.get("content-disposition", ""))
            if disposition != "form-data" or "name" not in params:
                raise self._fail("a part without Content-Disposition: form-data; name=…")
            name = params["name"]
            if "filename" in params:
                sink: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPILL_SIZE)
                content_type = headers.get("content-type", "application/octet-stream")
                upload = UploadFile(name, params["filename"], content_type, sink, headers)
                files.append((name, upload))
                self._copy_until_delimiter(sink, limit=None)
                sink.seek(0)
            else:
                value = bytearray()
                self._copy_until_delimiter(value, limit=_MAX_FIELD_SIZE)
                try:
                    fields.append((name, value.decode("utf-8")))
                except UnicodeDecodeError:
                    raise self._fail(f"field {name!r} is not UTF-8") from None

    def _read_part_head(self) -> MultiDict:
        buf = self._buf
        while True:
            if buf[:2] == b"\r\n":  # a part with no header lines
                del buf[:2]
                return MultiDict()
            end = buf.find(b"\r\n\r\n", 0, _MAX_PART_HEAD + 4)
            if end >= 0:
                break
            if len(buf) > _MAX_PART_HEAD:
                raise HTTPError(431, "Multipart part headers too large")
            if not self._fill():
                raise self._fail("unexpected end in part headers")
        block = bytes(buf[:end])
        del buf[: end + 4]
        items: list[tuple[str, str]] = []
        for line in block.decode("utf-8", "replace").split("\r\n"):
            name, colon, value = line.partition(":")
            if not colon or not name.strip():
                raise self._fail(f"bad part header line {line!r:.60}")
            items.append((name.strip().lower(), value.strip()))
        return MultiDict(items)

    def _copy_until_delimiter(self, sink: IO[bytes] | bytearray | None, limit: int | None) -> None:
        """Move bytes up to the next delimiter into `sink`; consume the delimiter."""
        buf = self._buf
        delimiter = self._delimiter
        keep = len(delimiter) - 1
        copied = 0
        while True:
            at = buf.find(delimiter)
            if at >= 0:
                piece, rest = buf[:at], at + len(delimiter)
            elif len(buf) > keep:
                # Everything but a tail that could be the start of the delimiter.
                piece, rest = buf[: len(buf) - keep], len(buf) - keep
            else:
                piece, rest = bytearray(), 0
            if piece and sink is not None:
                copied += len(piece)
                if limit is not None and copied > limit:
                    raise HTTPError(413, "A form field is too large")
                if isinstance(sink, bytearray):
                    sink += piece
                else:
                    sink.write(piece)
            del buf[:rest]
            if at >= 0:
                return
            if not self._fill():
                raise self._fail("missing closing boundary")


__all__ = [
    "MAX_FIELDS",
    "FormData",
    "UploadFile",
    "parse_content_type",
    "parse_form",
    "parse_multipart",
    "parse_pairs",
    "parse_urlencoded",
]
