"""Serving a folder of files: [`StaticFiles`][kali.staticfiles.StaticFiles].

How a request is answered, in order (RFC 9110 sections 13 and 14):

1. **Method**: GET and HEAD only (405 with `Allow` otherwise).
2. **Resolution**: the path's segments must not be `..`, start with a hidden prefix (`.`
   always; `_` too with `hidden_prefixes=(".", "_")`), or hold a backslash, colon or NUL;
   the real path (symbolic links followed) must stay inside the directory and must not pass
   through a hidden name either; it must be a regular file. Anything else is a 404, never a
   500.
3. **Validators**: a strong ETag (`"<mtime_ns hex>-<size hex>"`) and Last-Modified, taken
   from the open file's `fstat`.
4. **Conditions**: `If-None-Match` (weak comparison), or else `If-Modified-Since`, give 304.
   A date that is not a valid HTTP-date (garbage, year 99999999999) is ignored, as the RFC
   says: the file is sent.
5. **Range** (GET only): `bytes=` with one satisfiable range gives 206 and
   `Content-Range`, the slice sent with `sendfile`; none satisfiable gives 416 with
   `Content-Range: bytes */<size>`; several satisfiable ranges give 200 with the whole file
   (no `multipart/byteranges`: the RFC lets a server ignore Range, browsers ask for one range,
   and a single slice can always go through `sendfile`). A Range that does not parse, or in
   another unit, is ignored (200). `If-Range` (a strong ETag, or the exact Last-Modified date
   of a file older than a second) must match, or the whole file is sent.
"""

from __future__ import annotations

import calendar
import os
import re
import stat
import time
from collections.abc import Iterable
from datetime import datetime
from email.utils import formatdate
from typing import IO

from .content_types import content_type
from .errors import ConfigurationError, HTTPError
from .request import Request
from .response import FileBody, Response

__all__ = ["StaticFiles", "content_type"]


class StaticFiles:
    """A handler that serves the files under `directory`.

    Mount it under a prefix so that it sees the rest of the path:

        app.mount("/static", StaticFiles(Path(__file__).parent / "static"))

    (name the folder from the module's path, so the app finds its files wherever it is
    started from), or call it from your own handler with `request.mounted("/static")`.

    Only GET and HEAD are answered. Paths are resolved safely: `..`, hidden names (a segment
    starting with one of `hidden_prefixes`), backslashes and symbolic links leading outside
    `directory` give 404. Responses carry an ETag and Last-Modified, and
    `Cache-Control: no-cache` by default so a browser revalidates (and gets a 304) rather
    than showing a stale file while you develop. Range requests are answered with 206 (one
    range), 416 (none satisfiable) or 200 (several ranges: the whole file).

    Args:
        directory: the folder to serve; it must exist.
        index: the file a directory's URL serves (`None`: directories give 404).
        cache_control: the `Cache-Control` value of every answer.
        hidden_prefixes: a path segment starting with any of these is never served, whether
            requested or reached through a symbolic link. It must include `"."` (dot-files
            such as `.git` or `.env` are never served); `(".", "_")` also hides
            `_drafts/` and `_layout.html`, as the original kali did.

    Raises:
        ValueError: `directory` is not a directory, `hidden_prefixes` leaves out `"."` or
            holds an empty string or a `/`, or `index` itself is hidden.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        index: str | None = "index.html",
        cache_control: str = "no-cache",
        hidden_prefixes: Iterable[str] = (".",),
    ) -> None:
        root = os.path.realpath(directory)
        if not os.path.isdir(root):
            raise ConfigurationError(f"StaticFiles: {os.fspath(directory)!r} is not a directory")
        prefixes = tuple(hidden_prefixes)
        if "." not in prefixes:
            raise ConfigurationError(
                f"StaticFiles: hidden_prefixes={prefixes!r} must include '.': dot-files such as "
                ".git or .env are never served (to hide '_' names too, pass "
                "hidden_prefixes=('.', '_'))"
            )
        for prefix in prefixes:
            if not isinstance(prefix, str) or not prefix or "/" in prefix:
                raise ConfigurationError(
                    f"StaticFiles: hidden prefix {prefix!r} must be a non-empty string "
                    "without '/' (such as '_')"
                )
        if index is not None and index.startswith(prefixes):
            raise ConfigurationError(
                f"StaticFiles: index={index!r} starts with a hidden prefix of {prefixes!r}, "
                "so it could never be served: rename it or pass index=None"
            )
        self.directory = root
        self._base = os.path.join(root, "")  # with one separator at the end
        self.index = index
        self.cache_control = cache_control
        self.hidden_prefixes = prefixes

    def _refused(self, segment: str) -> bool:
        return (
            segment.startswith(self.hidden_prefixes)
            or "\\" in segment
            or ":" in segment
            or "\x00" in segment
        )

    def resolve(self, path: str) -> str | None:
        """The file that `path` names under the directory, or `None`.

        Args:
            path: the decoded path below the mount point (`"/css/site.css"`).

        Returns:
            The real path of a regular file inside the directory, or `None` when `path`
            names nothing that may be served.
        """
        segments = [s for s in path.split("/") if s]
        if any(self._refused(segment) for segment in segments):
            return None
        try:
            full = os.path.realpath(os.path.join(self.directory, *segments))
            if os.path.isdir(full):
                if self.index is None:
                    return None
                full = os.path.realpath(os.path.join(full, self.index))
            elif path.endswith("/") and segments:
                return None  # "/site.css/" names a directory that is not there
            if not full.startswith(self._base):
                return None  # a symbolic link out of the directory (or the directory itself)
            inside = full[len(self._base) :].split(os.sep)
            if any(self._refused(segment) for segment in inside):
                return None  # a symbolic link to a hidden name
            return full if os.path.isfile(full) else None
        except (OSError, ValueError):  # a name too long for the file system, say
            return None

    def __call__(self, request: Request) -> Response:
        """Answer a GET or HEAD request for the file `request.path` names.

        Raises:
            HTTPError: 405 for another method, 404 when nothing may be served, 416 when no
                requested range is satisfiable.
        """
        if request.method not in ("GET", "HEAD"):
            raise HTTPError(405, headers=[("Allow", "GET, HEAD")])
        full = self.resolve(request.path)
        if full is None:
            raise HTTPError(404)
        file = _open_regular(full)
        if file is None:
            raise HTTPError(404)
        try:
            response = self._answer(request, file, os.fstat(file.fileno()), full)
        except BaseException:
            file.close()
            raise
        if not isinstance(response.body, FileBody):
            file.close()
        response.add_header("Cache-Control", self.cache_control)
        return response

    def _answer(
        self, request: Request, file: IO[bytes], info: os.stat_result, path: str
    ) -> Response:
        size = info.st_size
        mtime = int(info.st_mtime)
        etag = f'"{info.st_mtime_ns:x}-{size:x}"'
        last_modified = formatdate(mtime, usegmt=True)
        headers = request.headers
        if _not_modified(
            headers.get("if-none-match"), headers.get("if-modified-since"), etag, mtime
        ):
            response = Response(b"", 304)
            response.add_header("ETag", etag)
            response.add_header("Last-Modified", last_modified)
            return response
        start, length, status = 0, size, 200
        chosen = _requested_slice(request, size, etag, info.st_mtime)
        if chosen is not None:
            start, end = chosen
            length, status = end - start, 206
        response = Response(FileBody(file, length, start), status, content_type=content_type(path))
        if status == 206:
            response.add_header("Content-Range", f"bytes {start}-{start + length - 1}/{size}")
        response.add_header("Accept-Ranges", "bytes")
        response.add_header("ETag", etag)
        response.add_header("Last-Modified", last_modified)
        return response


def _open_regular(path: str) -> IO[bytes] | None:
    """Open `path` for reading if it is (still) a regular file; `None` otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)  # O_NONBLOCK: a FIFO swapped in cannot block the server
    except (OSError, ValueError):  # gone, or not readable
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
    except OSError:
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


# -- conditional requests -------------------------------------------------------------------

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_IMF_FIXDATE = re.compile(
    r"[a-z]{3}, ([0-9]{2}) ([a-z]{3}) ([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT", re.I
)
_RFC850_DATE = re.compile(
    r"[a-z]{6,9}, ([0-9]{2})-([a-z]{3})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT", re.I
)
_ASCTIME_DATE = re.compile(
    r"[a-z]{3} ([a-z]{3}) ([0-9 ][0-9]) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([0-9]{4})", re.I
)


def _http_date(text: str) -> int | None:
    """Seconds since the epoch for an HTTP-date (RFC 9110 section 5.6.7), or `None`.

    The three forms a recipient must accept, nothing else: `Sun, 06 Nov 1994 08:49:37 GMT`,
    `Sunday, 06-Nov-94 08:49:37 GMT` and `Sun Nov  6 08:49:37 1994`. Any other text,
    including a year beyond 9999 or a 31st of February, is not a date.
    """
    text = text.strip()
    if match := _IMF_FIXDATE.fullmatch(text):
        day, month, year, hour, minute, second = match.groups()
    elif match := _RFC850_DATE.fullmatch(text):
        day, month, year, hour, minute, second = match.groups()
        # A two-digit year more than 50 years ahead is in the past century (RFC 9110).
        this_year = time.gmtime().tm_year
        full = this_year - this_year % 100 + int(year)
        year = str(full - 100 if full > this_year + 50 else full)
    elif match := _ASCTIME_DATE.fullmatch(text):
        month, day, hour, minute, second, year = match.groups()
    else:
        return None
    number = _MONTHS.get(month.lower())
    if number is None:
        return None
    try:
        moment = datetime(int(year), number, int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None
    return calendar.timegm(moment.timetuple())


def _not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, mtime: int
) -> bool:
    """Whether the conditions of a GET or HEAD ask for a 304 (RFC 9110 section 13.2.2)."""
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return etag in tags or "*" in tags
    if if_modified_since is not None:
        since = _http_date(if_modified_since)
        return since is not None and mtime <= since
    return False


def _if_range_holds(if_range: str | None, etag: str, mtime: float) -> bool:
    """Whether a Range may be honoured: no If-Range, or one naming this very file."""
    if if_range is None:
        return True
    value = if_range.strip()
    if value.startswith('"'):
        return value == etag  # a strong comparison: W/"..." never matches
    if value.startswith("W/"):
        return False
    # A date is a strong validator only for a file not changed in the last second.
    date = _http_date(value)
    return date is not None and date == int(mtime) and time.time() - mtime >= 1


# -- ranges ---------------------------------------------------------------------------------

_RANGE_SPEC = re.compile(r"([0-9]*)-([0-9]*)")


def _position(digits: str) -> int:
    """A range position; one of more than 20 digits is beyond any file, so it stays 10**20."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 20 else 10**20


def _before(a: str, b: str) -> bool:
    """Whether the decimal numeral `a` is less than `b`, however many digits they have."""
    a, b = a.lstrip("0"), b.lstrip("0")
    return (len(a), a) < (len(b), b)


def _parse_range(header: str, size: int) -> list[tuple[int, int]] | None:
    """The satisfiable ranges of a `Range` header, as `(start, end)` with `end` excluded.

    `None` when the header is to be ignored (not `bytes=`, or a range-spec that does not
    parse, such as `5-1`); an empty list when it parses but no range is satisfiable (a 416).
    """
    unit, equals, specs = header.partition("=")
    if not equals or unit.lower() != "bytes":
        return None
    ranges: list[tuple[int, int]] = []
    seen = False
    for spec in specs.split(","):
        spec = spec.strip(" \t")
        if not spec:
            continue  # the RFC's list syntax allows empty elements
        match = _RANGE_SPEC.fullmatch(spec)
        if match is None:
            return None
        first, last = match.groups()
        if first:  # first-last or first-
            if last and _before(last, first):
                return None
            start = _position(first)
            end = min(_position(last) + 1, size) if last else size
            if start < size:
                ranges.append((start, end))
        elif last:  # -suffix: the last bytes
            suffix = _position(last)
            if suffix > 0 and size > 0:
                ranges.append((max(size - suffix, 0), size))
        else:
            return None  # "-" alone
        seen = True
    return ranges if seen else None


def _requested_slice(
    request: Request, size: int, etag: str, mtime: float
) -> tuple[int, int] | None:
    """The one `(start, end)` to send as a 206, or `None` for the whole file.

    Raises:
        HTTPError: 416 when the Range parses but none of its ranges is satisfiable.
    """
    header = request.headers.get("range")
    if request.method != "GET" or header is None:
        return None
    if not _if_range_holds(request.headers.get("if-range"), etag, mtime):
        return None
    ranges = _parse_range(header, size)
    if ranges is None:
        return None
    if not ranges:
        raise HTTPError(416, headers=[("Content-Range", f"bytes */{size}")])
    return ranges[0] if len(ranges) == 1 else None
