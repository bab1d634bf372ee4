"""The WSGI application shared by wsgiref, waitress and gunicorn."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .pages import NOT_FOUND, PAGES

StartResponse = Callable[..., Any]


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    page = PAGES.get(environ["PATH_INFO"])
    body, content_type = page if page else (NOT_FOUND, "text/plain; charset=utf-8")
    start_response(
        "200 OK" if page else "404 Not Found",
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
    )
    return [body]
