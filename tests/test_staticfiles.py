"""StaticFiles: safe resolution, types, caching headers, conditional and Range requests."""

from __future__ import annotations

import http.client
import io
import os
import re
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kali
from kali.errors import ConfigurationError
from kali.staticfiles import StaticFiles
from kali.testing import TestClient, TestResponse
from tests.conftest import ServerFactory

DATA = bytes(range(256)) * 40  # 10 240 bytes, every slice distinct enough
SIZE = len(DATA)
OLD = 1_600_000_000  # 2020-09-13: a modification time well in the past


def make_tree(base: Path) -> Path:
    root = base / "static"
    (root / "css").mkdir(parents=True)
    (root / "css" / "site.css").write_text("body{}")
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "a b.txt").write_text("spaced")
    (root / ".secret").write_text("hidden")
    (root / "_private.txt").write_text("private")
    (root / "_drafts").mkdir()
    (root / "_drafts" / "post.html").write_text("draft")
    (root / "data.bin").write_bytes(DATA)
    os.utime(root / "data.bin", (OLD, OLD))
    (root / "empty.txt").write_bytes(b"")
    (base / "outside.txt").write_text("outside")
    (base / "outside").mkdir()
    (base / "outside" / "x.txt").write_text("outside")
    os.symlink(base / "outside.txt", root / "link.txt")
    os.symlink(base / "outside", root / "linked-dir")
    os.symlink(root / ".secret", root / "shown.txt")
    os.symlink(root / "_private.txt", root / "public.txt")
    return root


def mounted(root: Path, **options: object) -> TestClient:
    app = kali.App()
    app.mount("/static", StaticFiles(root, **options))  # type: ignore[arg-type]
    return TestClient(app)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_tree(tmp_path)


@pytest.fixture
def client(root: Path) -> TestClient:
    return TestClient(StaticFiles(root))


@pytest.fixture
def app_client(root: Path) -> TestClient:
    return mounted(root)


def test_serves_files_with_types(client: TestClient) -> None:
    response = client.get("/css/site.css")
    assert response.status == 200 and response.body == b"body{}"
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.headers["accept-ranges"] == "bytes"
    assert client.get("/a%20b.txt").text == "spaced"
    assert client.get("/").text == "<h1>home</h1>"


@pytest.mark.parametrize(
    "path",
    [
        "/../outside.txt",
        "/css/../../outside.txt",
        "/.secret",
        "/link.txt",
        "/nope",
        "/css",
        "/css/site.css/",
    ],
)
def test_refuses_what_it_must_not_serve(client: TestClient, path: str) -> None:
    assert client.get(path).status == 404


TRAVERSALS = [
    "/static/../outside.txt",
    "/static/%2e%2e/outside.txt",
    "/static/%2E%2E/outside.txt",
    "/static/..%2foutside.txt",
    "/static/%2e%2e%2foutside.txt",
    "/static/css/..%2f..%2foutside.txt",
    "/static/..%5coutside.txt",
    "/static/%5c..%5coutside.txt",
    "/static/..\\outside.txt",
    "/static/css/%2e%2e/%2e%2e/outside.txt",
    "/static/.%2e/outside.txt",
    "/static/%2e./outside.txt",
    "/static/....//outside.txt",
    "/static/%c0%ae%c0%ae/outside.txt",
    "/static/%252e%252e/outside.txt",
    "/static//../outside.txt",
    "/static/%2f..%2foutside.txt",
    "/static/link.txt",
    "/static/linked-dir/x.txt",
    "/static/linked-dir/",
    "/static/.secret",
    "/static/%2esecret",
    "/static/shown.txt",
    "/static/css/%2e%2e/.secret",
    "/static/a.txt%00.png",
    "/static/%00",
    "/static/C:/outside.txt",
    "/static/c:%5coutside.txt",
    "/static/data.bin::$DATA",
    "/static/" + "a" * 5000,
    "/static/css/site.css/",
    "/static/css/site.css/..",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_every_traversal_is_refused(app_client: TestClient, path: str) -> None:
    response = app_client.get(path)
    for _ in range(3):  # follow the app's path normalisation, if any
        if response.status not in (301, 308):
            break
        location = response.headers["location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\"))
        response = app_client.get(location)
    assert response.status in (400, 404), (path, response.status)
    assert b"outside" not in response.body and b"hidden" not in response.body


@pytest.mark.parametrize(
    "path", ["/a\x00b", "/css/\x00", "/" + "a" * 100_000, "/x/" * 5000, "/..", "/C:", "/a\\b"]
)
def test_resolve_refuses_any_path_without_raising(root: Path, path: str) -> None:
    # What a handler of your own might pass, past the request parser's checks.
    assert StaticFiles(root).resolve(path) is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_not_a_file(root: Path, client: TestClient) -> None:
    os.mkfifo(root / "pipe.txt")  # opening it for reading would block the server
    assert client.get("/pipe.txt").status == 404


def test_hidden_prefixes(root: Path) -> None:
    default = mounted(root)
    assert default.get("/static/_private.txt").text == "private"
    assert default.get("/static/shown.txt").status == 404  # a link to a dot-file
    hiding = mounted(root, hidden_prefixes=(".", "_"))
    for path in (
        "/static/_private.txt",
        "/static/_drafts/post.html",
        "/static/_drafts/",
        "/static/%5fprivate.txt",
        "/static/public.txt",  # a symbolic link to a hidden name
        "/static/.secret",
    ):
        assert hiding.get(path).status == 404, path
    assert hiding.get("/static/css/site.css").status == 200


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"hidden_prefixes": ("_",)}, "must include '.'"),
        ({"hidden_prefixes": (".", "")}, "non-empty string"),
        ({"hidden_prefixes": (".", "a/b")}, "without '/'"),
        ({"hidden_prefixes": (".", "_"), "index": "_index.html"}, "could never be served"),
    ],
)
def test_configuration_mistakes_fail_at_once(
    root: Path, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        StaticFiles(root, **options)  # type: ignore[arg-type]


def test_not_modified_and_methods(client: TestClient) -> None:
    first = client.get("/css/site.css")
    etag = first.headers["etag"]
    again = client.get("/css/site.css", headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    assert again.headers["etag"] == etag and "last-modified" in again.headers
    since = client.get(
        "/css/site.css", headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    assert since.status == 304
    assert client.post("/css/site.css").status == 405
    head = client.head("/css/site.css")
    assert head.status == 200 and head.body == b"" and head.headers["content-length"] == "6"


def test_the_three_date_forms_are_understood(app_client: TestClient) -> None:
    for date in (
        "Sun, 13 Sep 2020 12:26:40 GMT",
        "Sunday, 13-Sep-20 12:26:40 GMT",
        "Sun Sep 13 12:26:40 2020",
        "Sun, 13 Sep 2020 12:26:41 GMT",  # later than the file: not modified
    ):
        response = app_client.get("/static/data.bin", headers={"If-Modified-Since": date})
        assert response.status == 304, date
    earlier = app_client.get(
        "/static/data.bin", headers={"If-Modified-Since": "Sun, 13 Sep 2020 12:26:39 GMT"}
    )
    assert earlier.status == 200 and earlier.body == DATA


@pytest.mark.parametrize(
    "date",
    [
        "Mon, 01 Jan 99999999999 00:00:00 GMT",
        "Mon, 01 Jan 9999999999999999999999999 00:00:00 GMT",
        "Fri, 31 Feb 2020 00:00:00 GMT",
        "Mon, 01 Jan 2020 25:00:00 GMT",
        "Mon, 01 Foo 2020 00:00:00 GMT",
        "Mon, 1 Jan 2020 00:00:00 +0000",
        "0",
        "-1",
        "yesterday",
        "",
        "Sun Sep 13 12:26:40 0000",
        "\u0661\u0669\u0669\u0669",
    ],
)
def test_a_date_that_is_not_a_date_is_ignored(app_client: TestClient, date: str) -> None:
    response = app_client.get("/static/data.bin", headers={"If-Modified-Since": date})
    assert response.status == 200 and response.body == DATA


# -- ranges -------------------------------------------------------------------------------


def get_range(client: TestClient, spec: str, **headers: str) -> TestResponse:
    return client.get("/static/data.bin", headers={"Range": spec, **headers})


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-100", 100, 100),
        ("bytes=10000-", 10000, SIZE - 1),
        ("bytes=-100", SIZE - 100, SIZE - 1),
        ("bytes=-99999", 0, SIZE - 1),
        ("bytes=10000-99999999999999999999999999", 10000, SIZE - 1),
        ("bytes=0-", 0, SIZE - 1),
        ("BYTES=5-9", 5, 9),
        ("bytes= 5-9 ", 5, 9),
        ("bytes=,5-9,", 5, 9),
        ("bytes=5-9, 99999-", 5, 9),  # the one satisfiable range
        ("bytes=0005-0009", 5, 9),
    ],
)
def test_one_range_is_a_206(app_client: TestClient, spec: str, start: int, end: int) -> None:
    response = get_range(app_client, spec)
    assert response.status == 206
    assert response.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.headers["content-type"] == "application/octet-stream"
    assert "etag" in response.headers and response.headers["accept-ranges"] == "bytes"
    assert response.body == DATA[start : end + 1]


@pytest.mark.parametrize(
    "spec",
    [
        "bytes=10240-",
        "bytes=99999-100000",
        "bytes=-0",
        "bytes=20000-, 30000-",
        "bytes=" + "9" * 5000 + "-",  # past Python's int digit limit: still just too far
    ],
)
def test_no_satisfiable_range_is_a_416(app_client: TestClient, spec: str) -> None:
    response = get_range(app_client, spec)
    assert response.status == 416
    assert response.headers["content-range"] == f"bytes */{SIZE}"


def test_any_range_of_an_empty_file_is_a_416(app_client: TestClient) -> None:
    for spec in ("bytes=0-", "bytes=-1", "bytes=0-0"):
        response = app_client.get("/static/empty.txt", headers={"Range": spec})
        assert response.status == 416 and response.headers["content-range"] == "bytes */0"


@pytest.mark.parametrize(
    "spec",
    [
        "bytes=0-1,5-6",  # several ranges: the whole file
        "bytes=0-0,-1",
        "bytes=9-5",  # last before first: invalid, ignored
        "bytes=abc",
        "bytes=-",
        "bytes=",
        "bytes",
        "items=0-5",
        "bytes 0-5",
        "bytes=0-5;x",
        "bytes=+1-5",
        "bytes=\u0661-\u0665",
    ],
)
def test_ranges_served_whole(app_client: TestClient, spec: str) -> None:
    response = get_range(app_client, spec)
    assert response.status == 200 and response.body == DATA
    assert "content-range" not in response.headers


def test_head_ignores_range(app_client: TestClient) -> None:
    response = app_client.head("/static/data.bin", headers={"Range": "bytes=0-9"})
    assert response.status == 200 and response.body == b""
    assert response.headers["content-length"] == str(SIZE)
    assert response.headers["accept-ranges"] == "bytes"


def test_if_range(app_client: TestClient, root: Path) -> None:
    etag = app_client.get("/static/data.bin").headers["etag"]
    last_modified = formatdate(OLD, usegmt=True)
    assert get_range(app_client, "bytes=0-9", **{"If-Range": etag}).status == 206
    assert get_range(app_client, "bytes=0-9", **{"If-Range": last_modified}).status == 206
    for stale in ('"other"', "W/" + etag, formatdate(OLD - 1, usegmt=True), "garbage", ""):
        response = get_range(app_client, "bytes=0-9", **{"If-Range": stale})
        assert response.status == 200 and response.body == DATA, stale
    # A date is not a strong validator for a file changed within the last second.
    now = int(time.time())
    os.utime(root / "data.bin", (now, now))
    fresh = get_range(app_client, "bytes=0-9", **{"If-Range": formatdate(now, usegmt=True)})
    assert fresh.status == 200


def test_conditions_come_before_the_range(app_client: TestClient) -> None:
    etag = app_client.get("/static/data.bin").headers["etag"]
    response = get_range(app_client, "bytes=0-9", **{"If-None-Match": etag})
    assert response.status == 304
    response = get_range(app_client, "bytes=0-9", **{"If-None-Match": '"other"'})
    assert response.status == 206


# -- properties ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return mounted(make_tree(tmp_path_factory.mktemp("props")))


_CONTENT_RANGE = re.compile(r"bytes ([0-9]+)-([0-9]+)/([0-9]+)")
_header_text = st.text(
    st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=60
)
_range_like = st.builds(
    lambda unit, specs: unit + "=" + ",".join(specs),
    st.sampled_from(["bytes", "BYTES", "bytes ", "items", ""]),
    st.lists(
        st.one_of(
            st.builds(
                lambda a, b: f"{a}-{b}",
                st.integers(0, 2 * SIZE) | st.just(""),
                st.integers(0, 2 * SIZE) | st.just(""),
            ),
            _header_text,
        ),
        max_size=4,
    ),
)
_date_like = st.one_of(
    st.integers(-(10**12), 10**12).map(lambda t: formatdate(min(max(t, 0), 253402300799))),
    st.builds(
        "{}, {:02d} {} {} {:02d}:{:02d}:{:02d} GMT".format,
        st.sampled_from(["Mon", "Sun", "xyz"]),
        st.integers(0, 40),
        st.sampled_from(["Jan", "Feb", "Dec", "Foo"]),
        st.integers(0, 10**12),
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 99),
    ),
    _header_text,
)


def check_answer(response: TestResponse, data: bytes) -> None:
    """Whatever the headers said: an answer from the 2xx, 304 or 4xx family, framed right."""
    status = response.status
    assert status in (200, 206, 304) or 400 <= status < 500, status
    if status == 200:
        assert response.body == data
    elif status == 206:
        match = _CONTENT_RANGE.fullmatch(response.headers["content-range"])
        assert match is not None
        start, end, size = map(int, match.groups())
        assert size == len(data) and 0 <= start <= end < size
        assert response.body == data[start : end + 1]
        assert response.headers["content-length"] == str(end - start + 1)
    elif status == 416:
        assert response.headers["content-range"] == f"bytes */{len(data)}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    range_=st.none() | _range_like | _header_text,
    if_range=st.none() | st.sampled_from(['"x"', 'W/"x"']) | _date_like,
    if_none_match=st.none() | _header_text,
    if_modified_since=st.none() | _date_like,
    method=st.sampled_from(["GET", "HEAD"]),
)
def test_any_condition_and_range_headers_give_an_answer(
    shared_client: TestClient,
    range_: str | None,
    if_range: str | None,
    if_none_match: str | None,
    if_modified_since: str | None,
    method: str,
) -> None:
    headers = {
        name: value
        for name, value in (
            ("Range", range_),
            ("If-Range", if_range),
            ("If-None-Match", if_none_match),
            ("If-Modified-Since", if_modified_since),
        )
        if value is not None
    }
    response = shared_client.request(method, "/static/data.bin", headers=headers)
    check_answer(response, DATA if method == "GET" else b"")


def expected_slice(first: int | None, last: int | None, size: int) -> tuple[int, int] | None:
    """The model: the RFC's rules for one range-spec, written the plain way."""
    if first is None:
        assert last is not None
        return (max(size - last, 0), size - 1) if last > 0 and size else None
    if first >= size:
        return None
    return first, size - 1 if last is None else min(last, size - 1)


@settings(max_examples=300, deadline=None)
@given(
    first=st.none() | st.integers(0, SIZE + 10),
    last=st.none() | st.integers(0, SIZE + 10),
)
def test_a_single_range_is_exactly_the_requested_slice(
    shared_client: TestClient, first: int | None, last: int | None
) -> None:
    if first is None and last is None:
        return
    spec = f"bytes={'' if first is None else first}-{'' if last is None else last}"
    response = shared_client.get("/static/data.bin", headers={"Range": spec})
    if first is not None and last is not None and last < first:
        assert response.status == 200 and response.body == DATA  # invalid: ignored
        return
    want = expected_slice(first, last, SIZE)
    if want is None:
        assert response.status == 416
        return
    start, end = want
    assert response.status == 206
    assert response.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"
    assert response.body == DATA[start : end + 1]


# -- over a real socket -------------------------------------------------------------------


@pytest.fixture
def sendfile_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, int]]]:
    """Record the (offset, count) of every os.sendfile call the server makes."""
    if not hasattr(os, "sendfile"):
        pytest.skip("no os.sendfile on this platform")
    calls: list[tuple[int, int]] = []
    real = os.sendfile

    def recording(out_fd: int, in_fd: int, offset: int | None, count: int) -> int:
        calls.append((offset or 0, count))
        return real(out_fd, in_fd, offset, count)

    monkeypatch.setattr(os, "sendfile", recording)
    yield calls


def test_a_206_is_sent_with_sendfile(
    live_server: ServerFactory, tmp_path: Path, sendfile_calls: list[tuple[int, int]]
) -> None:
    big = bytes(range(251)) * 8000  # about 2 MB, a prime period so slices differ
    (tmp_path / "big.bin").write_bytes(big)
    app = kali.App()
    app.mount("/static", StaticFiles(tmp_path))
    server = live_server(app)
    start, end = 123_457, 1_654_320
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/static/big.bin", headers={"Range": f"bytes={start}-{end}"})
        response = conn.getresponse()
        body = response.read()
        assert response.status == 206
        assert response.getheader("Content-Range") == f"bytes {start}-{end}/{len(big)}"
        assert body == big[start : end + 1]
        # The same connection still works: the slice was framed exactly.
        conn.request("GET", "/static/big.bin", headers={"Range": "bytes=-10"})
        tail = conn.getresponse()
        assert tail.status == 206 and tail.read() == big[-10:]
    finally:
        conn.close()
    assert sendfile_calls and sendfile_calls[0] == (start, end - start + 1)
    assert sum(count for offset, count in sendfile_calls if offset >= start) >= end - start + 1


def test_a_206_under_wsgi(root: Path) -> None:
    from kali.wsgi import WSGIAdapter

    app = kali.App()
    app.mount("/static", StaticFiles(root))
    environ: dict[str, object] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/static/data.bin",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_RANGE": "bytes=1000-1999",
        "wsgi.input": io.BytesIO(b""),
        # A server's wrapper sends to the end of the file: it must not be used for a slice.
        "wsgi.file_wrapper": lambda f, size: iter(lambda: f.read(size), b""),
    }
    seen: list[tuple[str, list[tuple[str, str]]]] = []
    body = b"".join(
        WSGIAdapter(app)(environ, lambda status, headers: seen.append((status, headers)))
    )
    status, headers = seen[0]
    assert status.startswith("206") and body == DATA[1000:2000]
    assert ("Content-Range", f"bytes 1000-1999/{SIZE}") in headers


def test_directory_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not a directory"):
        StaticFiles(tmp_path / "missing")


def test_a_symlinked_index_out_of_the_directory_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "static"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    os.symlink(tmp_path / "secret.txt", root / "sub" / "index.html")
    client = TestClient(StaticFiles(root))
    assert client.get("/sub/").status == 404
    assert client.get("/sub/index.html").status == 404
