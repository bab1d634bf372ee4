"""The baseline: a minimal blocking raw-socket loop, the practical limit in pure Python.

Accept, read to the blank line, send a prebuilt reply chosen by path, close:
one connection at a time and never keep-alive (every reply says
``Connection: close``), so under wrk it reconnects per request.
"""

from __future__ import annotations

import socket
import sys

from .pages import PAGES, port_from_argv, raw_response

REPLIES = {path.encode(): raw_response(path, keep_alive=False) for path in PAGES}
NOT_FOUND = raw_response("/missing", keep_alive=False)


def serve(port: int) -> None:
    listener = socket.create_server(("127.0.0.1", port), backlog=128)
    while True:
        conn, _ = listener.accept()
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            else:
                path = data.split(b" ", 2)[1]
                conn.sendall(REPLIES.get(path, NOT_FOUND))
        except (OSError, IndexError):
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    serve(port_from_argv(sys.argv))
