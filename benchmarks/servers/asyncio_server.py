"""A bare ``asyncio.Protocol`` server: split heads at the blank line, write a prebuilt reply.

Keeps HTTP/1.1 connections alive unless the request says ``Connection: close``;
closes HTTP/1.0 ones (ab) after the reply. No request object, no bodies.
"""

from __future__ import annotations

import asyncio
import sys

from .pages import PAGES, port_from_argv, raw_response

KEEP = {path.encode(): raw_response(path, keep_alive=True) for path in PAGES}
CLOSE = {path.encode(): raw_response(path, keep_alive=False) for path in PAGES}
KEEP_404 = raw_response("/missing", keep_alive=True)
CLOSE_404 = raw_response("/missing", keep_alive=False)


class HTTPProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end]
            self.buffer = self.buffer[end + 4 :]
            request_line = head.split(b"\r\n", 1)[0]
            try:
                _method, path, version = request_line.split(b" ", 2)
            except ValueError:
                self.transport.close()
                return
            keep_alive = version == b"HTTP/1.1" and b"connection: close" not in head.lower()
            if keep_alive:
                self.transport.write(KEEP.get(path, KEEP_404))
            else:
                self.transport.write(CLOSE.get(path, CLOSE_404))
                self.transport.close()
                return


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(HTTPProtocol, "127.0.0.1", port, backlog=128)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(port_from_argv(sys.argv)))
