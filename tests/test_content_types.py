"""kali.content_types: one Content-Type for a file name, wherever kali sends a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from kali import Response
from kali.content_types import content_type
from kali.response import FileBody
from kali.staticfiles import StaticFiles
from kali.testing import TestClient


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("site.css", "text/css; charset=utf-8"),
        ("page.html", "text/html; charset=utf-8"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("module.mjs", "text/javascript; charset=utf-8"),
        ("data.json", "application/json; charset=utf-8"),
        ("icon.svg", "image/svg+xml; charset=utf-8"),
        ("photo.png", "image/png"),
        ("photo.webp", "image/webp"),
        ("font.woff2", "font/woff2"),
        ("code.wasm", "application/wasm"),
        ("report.pdf", "application/pdf"),
        ("table.csv.gz", "application/gzip"),
        ("archive.tar.gz", "application/gzip"),
        ("blob", "application/octet-stream"),
        ("thing.unknown-extension", "application/octet-stream"),
    ],
)
def test_content_types(name: str, expected: str) -> None:
    assert content_type(name) == expected


@pytest.mark.parametrize("name", ["archive.tar.gz", "feed.xml", "app.js", "blob", "site.css"])
def test_response_file_and_static_files_agree(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"x")
    sent = Response.file(tmp_path / name)
    served = TestClient(StaticFiles(tmp_path)).get("/" + name)
    assert sent.headers.get("content-type") == served.headers["content-type"] == content_type(name)
    assert isinstance(sent.body, FileBody)
    sent.body.file.close()
