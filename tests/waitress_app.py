"""A kali handler served by real waitress through the WSGI adapter.

Run by tests/test_wsgi.py in a subprocess: it prints the port, then serves.
"""

from __future__ import annotations

from pathlib import Path

import kali
from kali.wsgi import WSGIAdapter


def handler(request: kali.Request) -> kali.ResponseValue:
    if request.path == "/boom":
        raise RuntimeError("fails")
    if request.path == "/form":
        return kali.Response.json(dict(request.form))
    if request.path == "/file":
        return kali.Response.file(Path(__file__))
    if request.path == "/stream":
        return (f"step {i}\n" for i in range(3))
    return ["<p>", request.method, " ", request.path, " ", request.query.get("q", ""), "</p>"]


if __name__ == "__main__":
    from waitress.server import create_server

    server = create_server(WSGIAdapter(handler), host="127.0.0.1", port=0, threads=1)
    print(server.effective_port, flush=True)  # type: ignore[union-attr]
    server.run()
