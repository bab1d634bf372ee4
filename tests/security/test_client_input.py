"""Issue 15, points 7, 8, 9 and 12 (the Location rule), over real sockets against kali's
server and waitress: hostile bodies and headers get a quick 4xx, never a 500; pipelined
requests before a half-close are all answered; a redirect made by path normalisation never
points at another host."""

from __future__ import annotations

import json
import re
import socket
import time
from urllib.parse import urlsplit

import pytest

from .conftest import Target
from .net import Reader, connect, cpu_seconds, exchange, get, request_bytes

#: Urlencoded bodies of about 4 MiB made of millions of (empty) fields.
FIELD_FLOODS = {
    "2M-empty-pairs": b"=&" * 2_000_000,
    "4M-ampersands": b"&" * 4_000_000,
    "2M-bare-names": b"a&" * 2_000_000,
    "1M-pairs": b"a=1&" * 1_000_000,
}


@pytest.mark.parametrize("path", ["/form", "/upload", "/contact"])
@pytest.mark.parametrize("flood", list(FIELD_FLOODS))
def test_millions_of_form_fields_get_a_quick_413(target: Target, path: str, flood: str) -> None:
    body = FIELD_FLOODS[flood]
    raw = request_bytes(
        "POST", path, headers=[("Content-Type", "application/x-www-form-urlencoded")], body=body
    )
    cpu = cpu_seconds(target.pid)
    start = time.perf_counter()
    reply = exchange(target.port, raw, timeout=10)
    elapsed = time.perf_counter() - start
    used = cpu_seconds(target.pid) - cpu
    print(
        f"{target.kind} {path} {flood}: {reply.status} in {elapsed * 1000:.0f} ms, {used:.2f} s CPU"
    )
    assert reply.status == 413
    assert elapsed < 1.0 and used < 0.5  # the issue measured 3.6 s


def multipart(part_head: bytes, boundary: str = "b0undary") -> tuple[bytes, str]:
    body = (
        f"--{boundary}\r\n".encode()
        + part_head
        + b"\r\n\r\nvalue\r\n"
        + f"--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


PART_HEADS = {
    "one-50KiB-line": b'Content-Disposition: form-data; name="a"\r\nX-Pad: ' + b"p" * 50 * 1024,
    "1000-short-lines": b'Content-Disposition: form-data; name="a"'
    + b"".join(b"\r\nX-Pad-%d: %s" % (i, b"p" * 40) for i in range(1000)),
    "50KiB-disposition": b'Content-Disposition: form-data; name="' + b"n" * 50 * 1024 + b'"',
}


@pytest.mark.parametrize("case", list(PART_HEADS))
def test_multipart_part_head_of_50_kib_gets_431(target: Target, case: str) -> None:
    body, content_type = multipart(PART_HEADS[case])
    raw = request_bytes("POST", "/upload", headers=[("Content-Type", content_type)], body=body)
    reply = exchange(target.port, raw)
    assert reply.status == 431, reply


def test_multipart_part_head_under_the_limit_is_served(target: Target) -> None:
    # The control: the same form with an 8 KiB part head is accepted.
    body, content_type = multipart(
        b'Content-Disposition: form-data; name="a"\r\nX-Pad: ' + b"p" * 8 * 1024
    )
    raw = request_bytes("POST", "/upload", headers=[("Content-Type", content_type)], body=body)
    reply = exchange(target.port, raw)
    assert reply.status == 200 and json.loads(reply.body)["fields"] == 1, reply


HUGE_DATES = [
    "Sat, 01 Jan 99999999999 00:00:00 GMT",
    "Mon, 01 Jan 10000 00:00:00 GMT",
    "Sat, 01 Jan 0000 00:00:00 GMT",
    "Thu, 01 Jan -1970 00:00:00 GMT",
    "Sunday, 01-Jan-99999999999 00:00:00 GMT",
    "Sun Jan  1 00:00:00 99999999999",
    "Fri, 31 Dec 9999 23:59:60 GMT",
    "Sat, 01 Jan 2000 99999999999:00:00 GMT",
]


@pytest.mark.parametrize("date", HUGE_DATES)
@pytest.mark.parametrize(
    "header", ["If-Modified-Since", "If-Unmodified-Since", "If-Range", "Last-Modified"]
)
def test_out_of_range_dates_on_static_files_are_not_a_500(
    target: Target, header: str, date: str
) -> None:
    extra = [(header, date)] + ([("Range", "bytes=0-3")] if header == "If-Range" else [])
    raw = request_bytes("GET", "/static/hello.txt", headers=extra)
    reply = exchange(target.port, raw)
    assert reply.status in (200, 206, 304), reply


@pytest.mark.parametrize(
    ("digits", "statuses"),
    [
        ("9" * 4301, {404}),
        ("-" + "7" * 4301, {404}),
        ("1" * 10000, {404, 414}),  # 414: beyond kali's 8 KiB request line
        ("9" * 4300, {404}),  # Python's own limit is 4300 digits; SQLite's 19
        (str(2**63), {404}),  # one more than SQLite's largest INTEGER
        (str(2**63 - 1), {200}),
    ],
    ids=["4301-digits", "negative-4301-digits", "10000-digits", "4300-digits", "2**63", "int64"],
)
def test_huge_integer_in_the_path(target: Target, digits: str, statuses: set[int]) -> None:
    assert get(target.port, f"/int/{digits}").status in statuses


def test_huge_integer_in_the_query_is_a_400(target: Target) -> None:
    assert get(target.port, "/search?page=" + "9" * 4301).status == 400
    assert get(target.port, f"/search?page={2**63}").status == 400  # beyond SQLite's INTEGER
    assert get(target.port, f"/search?page=-{2**63}").status == 200  # its smallest


@pytest.mark.parametrize("count", [3, 10])
@pytest.mark.parametrize("mixed", [False, True], ids=["gets", "with-posts"])
def test_pipelined_requests_before_a_half_close_are_all_answered(
    target: Target, count: int, mixed: bool
) -> None:
    requests = []
    for i in range(count):
        if mixed and i % 2:
            requests.append(
                request_bytes(
                    "POST",
                    "/form",
                    headers=[("Content-Type", "application/x-www-form-urlencoded")],
                    body=f"name=n{i}".encode(),
                )
            )
        else:
            requests.append(request_bytes("GET", f"/int/{i}"))
    with connect(target.port) as sock:
        sock.sendall(b"".join(requests))
        sock.shutdown(socket.SHUT_WR)
        replies = Reader(sock).replies_until_eof()
    assert [r.status for r in replies] == [200] * count
    for i, reply in enumerate(replies):
        expected = f"n{i}".encode() if mixed and i % 2 else f"<p>{i}</p>".encode()
        assert expected in reply.body


#: Targets a redirect (trailing slash, `//`, dot segments) is made from.
REDIRECTED = [
    "//evil.com/..",
    "//evil.com/%2e%2e",
    "///evil.com/..",
    "//evil.com",
    "//evil.com/",
    "/.//evil.com/",
    "/./evil.com/..//",
    "/dir/..//evil.com/",
    "/\\evil.com/",
    "/\\evil.com",
    "/%5Cevil.com/",
    "/%5Cevil.com",
    "/%5C%5Cevil.com",
    "/%2F%2Fevil.com",
    "/%2F/evil.com",
    "/%2Fevil.com",
    "/dir",
    "/%09/evil.com",
    "/./%5Cevil.com",
    "/%5C/evil.com/..",
]


def off_site(location: str) -> bool:
    """Whether a browser would take `location` (relative to the app) to another host:
    it drops tabs and newlines and reads a backslash as a slash."""
    cleaned = re.sub(r"[\t\n\r]", "", location.strip()).replace("\\", "/")
    parts = urlsplit(cleaned)
    return cleaned.startswith("//") or bool(parts.scheme) or bool(parts.netloc)


def test_normalisation_redirects_never_leave_the_app(target: Target) -> None:
    redirects = {}
    for path in REDIRECTED:
        reply = exchange(target.port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        assert reply.status < 500, (path, reply)
        location = reply.header("location")
        if location is not None:
            redirects[path] = (reply.status, location)
            assert not location.startswith(("//", "/\\")), (path, location)
            assert not off_site(location), (path, location)
    print(f"{target.kind}: {len(redirects)} redirects: {redirects}")
    assert len(redirects) >= 10  # the cases do exercise the redirects
