"""``wsgiref.simple_server``: the stdlib WSGI server (HTTP/1.0, a connection per request)."""

from __future__ import annotations

import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

from .pages import port_from_argv
from .wsgi_app import app


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # no access log
        pass


if __name__ == "__main__":
    port = port_from_argv(sys.argv)
    make_server("127.0.0.1", port, app, handler_class=QuietHandler).serve_forever()
