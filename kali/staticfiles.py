"""Serving a folder of files: :class:`StaticFiles`."""

from __future__ import annotations

import os
from email.utils import formatdate, parsedate_to_datetime

from .errors import HTTPError
from .request import Request
from .response import Response


class StaticFiles:
    """A handler that serves the files under ``directory``.

    Mount it under a prefix so that it sees the rest of the path::

        app.mount("/static", StaticFiles("static"))

    or call it from your own handler with ``request.mounted("/static")``.
    Only GET and HEAD are answered. Paths are resolved safely: ``..``,
    hidden files (a segment starting with ``.``), backslashes and symbolic
    links leading outside ``directory`` give 404. Responses carry an ETag and
    Last-Modified, and ``Cache-Control: no-cache`` by default so a browser
    revalidates (and gets a 304) rather than showing a stale file while you
    develop.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        index: str | None = "index.html",
        cache_control: str = "no-cache",
    ) -> None:
        root = os.path.realpath(directory)
        if not os.path.isdir(root):
            raise ValueError(f"StaticFiles: {os.fspath(directory)!r} is not a directory")
        self.directory = root
        self.index = index
        self.cache_control = cache_control

    def resolve(self, path: str) -> str | None:
        """The file that ``path`` names under the directory, or ``None``."""
        segments = [s for s in path.split("/") if s]
        for segment in segments:
            if segment.startswith(".") or "\\" in segment or ":" in segment:
                return None
        full = os.path.realpath(os.path.join(self.directory, *segments))
        if os.path.isdir(full):
            if self.index is None:
                return None
            full = os.path.realpath(os.path.join(full, self.index))
        if full != self.directory and not full.startswith(self.directory + os.sep):
            return None  # a symbolic link out of the directory
        return full if os.path.isfile(full) else None

    def __call__(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            raise HTTPError(405, headers=[("Allow", "GET, HEAD")])
        full = self.resolve(request.path)
        if full is None:
            raise HTTPError(404)
        stat = os.stat(full)
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        if _not_modified(request, etag, stat.st_mtime):
            response = Response(b"", 304)
        else:
            response = Response.file(full)
        response.add_header("ETag", etag)
        if response.status == 304:
            response.add_header("Last-Modified", formatdate(stat.st_mtime, usegmt=True))
        response.add_header("Cache-Control", self.cache_control)
        return response


def _not_modified(request: Request, etag: str, mtime: float) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return etag in tags or "*" in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return int(mtime) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False
    return False


__all__ = ["StaticFiles"]
