"""The pages every server under test serves, byte for byte the same.

``/`` is a short HTML page (about 100 bytes), ``/10k`` a 10 KB one, and
``/page`` an HTML page linking ten stylesheets ``/s0.css`` … ``/s9.css`` for
the browser test.
"""

from __future__ import annotations

from typing import Final

HTML: Final = "text/html; charset=utf-8"
CSS: Final = "text/css; charset=utf-8"
STYLESHEETS: Final = 10


def _short_page() -> bytes:
    return (
        b"<!doctype html>\n<html><head><title>kali</title></head>"
        b"<body><p>Hello, world.</p></body></html>\n"
    )


def _ten_k_page() -> bytes:
    head = b"<!doctype html>\n<html><head><title>10 KB</title></head><body>\n"
    tail = b"</body></html>\n"
    row = b"<p>The quick brown fox jumps over the lazy dog, again and again.</p>\n"
    body = bytearray(head)
    while len(body) + len(row) + len(tail) <= 10240:
        body += row
    body += b" " * (10240 - len(body) - len(tail)) + tail
    return bytes(body)


def _stylesheet_page() -> bytes:
    links = "".join(f'<link rel="stylesheet" href="/s{i}.css">\n' for i in range(STYLESHEETS))
    items = "".join(f'<li class="c{i}">Item {i}</li>\n' for i in range(STYLESHEETS))
    return (
        f"<!doctype html>\n<html><head><title>{STYLESHEETS} stylesheets</title>\n{links}"
        f"</head><body><ul>\n{items}</ul></body></html>\n"
    ).encode()


def _stylesheet(index: int) -> bytes:
    rules = "".join(
        f".c{index} .r{rule} {{ margin: {rule}px; padding: {index}px; }}\n" for rule in range(40)
    )
    return f".c{index} {{ color: #{index}{index}{index}; }}\n{rules}".encode()


#: Path → (body, Content-Type).
PAGES: Final[dict[str, tuple[bytes, str]]] = {
    "/": (_short_page(), HTML),
    "/10k": (_ten_k_page(), HTML),
    "/page": (_stylesheet_page(), HTML),
    **{f"/s{i}.css": (_stylesheet(i), CSS) for i in range(STYLESHEETS)},
}

NOT_FOUND: Final = b"Not Found\n"


def raw_response(path: str, *, keep_alive: bool) -> bytes:
    """A complete HTTP/1.1 response (head and body) for ``path``, 404 when unknown."""
    body, content_type = PAGES.get(path, (NOT_FOUND, "text/plain; charset=utf-8"))
    status = "200 OK" if path in PAGES else "404 Not Found"
    connection = "keep-alive" if keep_alive else "close"
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: {connection}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def port_from_argv(argv: list[str]) -> int:
    """The port a server module was started with (``python -m … PORT``)."""
    if len(argv) != 2 or not argv[1].isdigit():
        raise SystemExit(f"usage: python -m {argv[0]} PORT")
    return int(argv[1])
