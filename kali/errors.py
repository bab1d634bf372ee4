"""Request-time errors a handler may raise to answer with an error status."""

from __future__ import annotations

from http import HTTPStatus


class HTTPError(Exception):
    """Raise in a handler to answer with ``status`` and a short plain page.

    ``HTTPError(404)`` gives the standard "404 Not Found" page;
    ``HTTPError(400, "page must be a number")`` adds a message. ``headers``
    are added to the response (``Allow`` on a 405, for example).
    """

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        if not 400 <= status <= 599:
            raise ValueError(f"HTTPError needs a 4xx or 5xx status, not {status}")
        self.status = status
        self.message = message
        self.headers = headers or []
        super().__init__(f"{status} {reason_phrase(status)}" + (f": {message}" if message else ""))


def reason_phrase(status: int) -> str:
    """The standard reason phrase for ``status`` ("Unknown" if there is none)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


__all__ = ["HTTPError", "reason_phrase"]
