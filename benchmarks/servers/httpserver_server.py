"""``http.server.HTTPServer`` with a ``BaseHTTPRequestHandler``, as the stdlib ships it.

``protocol_version`` stays at the default ``HTTP/1.0``: one request per
connection, under wrk too. With ``HTTP/1.1`` the non-threading ``HTTPServer``
would serve one keep-alive connection until the client closes it and leave
wrk's seven others waiting, which measures nothing useful.
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from .pages import NOT_FOUND, PAGES, port_from_argv


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        page = PAGES.get(self.path)
        body, content_type = page if page else (NOT_FOUND, "text/plain; charset=utf-8")
        self.send_response(200 if page else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # no access log
        pass


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", port_from_argv(sys.argv)), Handler).serve_forever()
