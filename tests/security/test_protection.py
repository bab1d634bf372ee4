"""Issue 15, points 1 and 3, over raw sockets: DNS-rebinding Host values and
cross-site writes are refused with 403 by kali's server and under waitress alike,
and a refused request is answered on its head, before its body is read."""

from __future__ import annotations

import time

import pytest

from .conftest import Target, TargetFactory, xfail_under
from .net import Reader, connect, exchange, get, request_bytes

#: Names an attacker controls and can point at 127.0.0.1 (DNS rebinding).
REBINDING_HOSTS = [
    "evil.test",
    "evil.test:{port}",
    "EVIL.TEST:{port}",
    "evil.test:80",
    "sub.evil.test",
    "localhost.evil.test",
    "localhost.evil.test:{port}",
    "127.0.0.1.evil.test:{port}",
    "127.0.0.1.nip.io:{port}",
    "127-0-0-1.attacker.example",
    "localhost.",
    "xn--80ak6aa92e.test:{port}",
]
#: Malformed or empty Host values: refused one way or the other (400 or 403).
MALFORMED_HOSTS = [
    "",
    "evil.test@127.0.0.1",
    "127.0.0.1@evil.test",
    "127.0.0.1 evil.test",
    "127.0.0.1:{port}:evil.test",
    "127.0.0.1,evil.test",
]
#: The app's own names: served.
LOOPBACK_HOSTS = [
    "127.0.0.1",
    "127.0.0.1:{port}",
    "localhost",
    "localhost:{port}",
    "LocalHost:{port}",
    "[::1]:{port}",
    "app.localhost:{port}",
]


def count(target: Target) -> int:
    reply = get(target.port, "/count")
    assert reply.status == 200
    return int(reply.body)


@pytest.mark.parametrize("host", REBINDING_HOSTS)
def test_rebinding_host_is_refused(target: Target, host: str) -> None:
    reply = get(target.port, "/", host=host.format(port=target.port))
    assert reply.status == 403, (host, reply)
    assert b"kali-target-app-page" not in reply.body


@pytest.mark.parametrize("host", MALFORMED_HOSTS)
def test_malformed_host_is_refused(target: Target, host: str) -> None:
    reply = get(target.port, "/", host=host.format(port=target.port))
    assert reply.status in (400, 403), (host, reply)
    assert b"kali-target-app-page" not in reply.body


@pytest.mark.parametrize("host", LOOPBACK_HOSTS)
def test_loopback_host_is_served(target: Target, host: str) -> None:
    reply = get(target.port, "/", host=host.format(port=target.port))
    assert reply.status == 200, (host, reply)
    assert b"kali-target-app-page" in reply.body


def test_absolute_form_target_naming_another_host_is_refused(target: Target) -> None:
    # RFC 9112 3.2.2: the authority of an absolute-form target replaces Host.
    raw = f"GET http://evil.test:{target.port}/ HTTP/1.1\r\nHost: evil.test:{target.port}\r\n\r\n"
    reply = exchange(target.port, raw.encode())
    assert reply.status in (400, 403), reply


def test_rebinding_host_is_refused_for_every_method_and_path(target: Target) -> None:
    before = count(target)
    for method, path in [("GET", "/static/hello.txt"), ("HEAD", "/"), ("POST", "/bump")]:
        raw = request_bytes(method, path, host=f"evil.test:{target.port}")
        assert exchange(target.port, raw, method=method).status == 403, (method, path)
    assert count(target) == before


#: Header sets a browser (or a page's script) sends on a cross-site write.
CROSS_SITE = [
    [("Origin", "http://evil.test")],
    [("Origin", "https://evil.test")],
    [("Origin", "null")],
    [("Origin", "http://127.0.0.1:1")],
    [("Origin", "http://localhost:{port}")],
    [("Origin", "http://127.0.0.1:{port}.evil.test")],
    [("Sec-Fetch-Site", "cross-site")],
    [("Sec-Fetch-Site", "same-site")],
    [("Sec-Fetch-Site", "cross-site"), ("Origin", "http://127.0.0.1:{port}")],
    [("Sec-Fetch-Site", "same-origin"), ("Origin", "http://evil.test")],
    [("Sec-Fetch-Site", "same-site"), ("Origin", "http://127.0.0.1:1")],
]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("headers", CROSS_SITE, ids=lambda h: "+".join(f"{n}={v}" for n, v in h))
def test_cross_site_write_is_refused(
    target: Target, method: str, headers: list[tuple[str, str]]
) -> None:
    before = count(target)
    sent = [(name, value.format(port=target.port)) for name, value in headers]
    raw = request_bytes(
        method,
        "/bump",
        host=f"127.0.0.1:{target.port}",
        headers=[*sent, ("Content-Type", "application/x-www-form-urlencoded")],
        body=b"a=1",
    )
    reply = exchange(target.port, raw)
    assert reply.status == 403, reply
    assert count(target) == before


@pytest.mark.parametrize(
    "headers",
    [
        [],  # not a browser: neither header
        [("Origin", "http://127.0.0.1:{port}")],
        [("Sec-Fetch-Site", "same-origin"), ("Origin", "http://127.0.0.1:{port}")],
        [("Sec-Fetch-Site", "none")],  # typed into the address bar
    ],
    ids=["no-browser", "same-origin", "fetch-same-origin", "fetch-none"],
)
def test_same_origin_write_is_served(target: Target, headers: list[tuple[str, str]]) -> None:
    # The control: what the refused variants lack is exactly the cross-site mark.
    before = count(target)
    sent = [(name, value.format(port=target.port)) for name, value in headers]
    raw = request_bytes("POST", "/bump", host=f"127.0.0.1:{target.port}", headers=sent)
    assert exchange(target.port, raw).status == 303
    assert count(target) == before + 1


#: Refused requests that announce a 50 MB body (under the 100 MiB limit) and send none.
REFUSED_WITH_BODY = {
    "foreign-host": ("POST", "/bump", "evil.test:{port}", []),
    "foreign-host-get": ("GET", "/", "evil.test:{port}", []),
    "cross-site-origin": ("POST", "/bump", "127.0.0.1:{port}", [("Origin", "http://evil.test")]),
    "cross-site-fetch": ("PUT", "/bump", "127.0.0.1:{port}", [("Sec-Fetch-Site", "cross-site")]),
}


WAITRESS_READS_THE_BODY_FIRST = (
    "waitress reads (and buffers) the whole body before it calls the WSGI app, so kali's "
    "refusal cannot come first: no answer within 1 s for a head announcing 50 MB "
    "(kali's own server: 403 in under 1 ms)"
)


@pytest.mark.parametrize("case", list(REFUSED_WITH_BODY))
def test_refusal_is_answered_before_the_body_arrives(
    target: Target, case: str, request: pytest.FixtureRequest
) -> None:
    xfail_under(request, target.kind, {"wsgi": WAITRESS_READS_THE_BODY_FIRST})
    method, path, host, headers = REFUSED_WITH_BODY[case]
    head = [f"{method} {path} HTTP/1.1", f"Host: {host.format(port=target.port)}"]
    head += [f"{name}: {value}" for name, value in headers]
    head += ["Content-Type: application/x-www-form-urlencoded", "Content-Length: 50000000"]
    with connect(target.port, timeout=1.0) as sock:
        start = time.perf_counter()
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        try:
            reply = Reader(sock).reply()
        except TimeoutError:
            pytest.fail(f"no answer within 1 s while the 50 MB body was not sent ({case})")
        elapsed = time.perf_counter() - start
    print(f"{target.kind} {case}: 403 after {elapsed * 1000:.1f} ms with no body sent")
    assert reply.status == 403, reply
    assert elapsed < 1.0


def test_wsgi_on_loopback_does_not_claim_to_be_reachable_from_other_computers(
    start_target: TargetFactory,
) -> None:
    target = start_target("wsgi")
    assert get(target.port, "/").status == 200  # the adapter learns its address here
    time.sleep(0.1)
    assert "other computers" not in target.output()
    assert get(target.port, "/", host="waitress.invalid").status == 403
