"""StaticFiles: safe resolution, types, caching headers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kali.staticfiles import StaticFiles
from kali.testing import TestClient


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    root = tmp_path / "static"
    (root / "css").mkdir(parents=True)
    (root / "css" / "site.css").write_text("body{}")
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "a b.txt").write_text("spaced")
    (root / ".secret").write_text("hidden")
    (tmp_path / "outside.txt").write_text("outside")
    os.symlink(tmp_path / "outside.txt", root / "link.txt")
    return TestClient(StaticFiles(root))


def test_serves_files_with_types(client: TestClient) -> None:
    response = client.get("/css/site.css")
    assert response.status == 200 and response.body == b"body{}"
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert client.get("/a%20b.txt").text == "spaced"
    assert client.get("/").text == "<h1>home</h1>"


@pytest.mark.parametrize(
    "path", ["/../outside.txt", "/css/../../outside.txt", "/.secret", "/link.txt", "/nope", "/css"]
)
def test_refuses_what_it_must_not_serve(client: TestClient, path: str) -> None:
    assert client.get(path).status == 404


def test_not_modified_and_methods(client: TestClient) -> None:
    first = client.get("/css/site.css")
    etag = first.headers["etag"]
    again = client.get("/css/site.css", headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    since = client.get(
        "/css/site.css", headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    assert since.status == 304
    assert client.post("/css/site.css").status == 405
    head = client.head("/css/site.css")
    assert head.status == 200 and head.body == b"" and head.headers["content-length"] == "6"


def test_directory_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a directory"):
        StaticFiles(tmp_path / "missing")


def test_a_symlinked_index_out_of_the_directory_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "static"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    os.symlink(tmp_path / "secret.txt", root / "sub" / "index.html")
    client = TestClient(StaticFiles(root))
    assert client.get("/sub/").status == 404
    assert client.get("/sub/index.html").status == 404
