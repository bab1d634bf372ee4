"""Issue 15, point 6: an app bound beyond loopback (`0.0.0.0`) prints a URL carrying a
random token (`?kali_token=...`); the first request with the token gets a cookie and a
redirect to the URL without it; requests without the cookie get 403; the server warns on
start.

The server binds 0.0.0.0 on a free port; it is reached through 127.0.0.1 and through this
machine's non-loopback address, when it has one.
"""

from __future__ import annotations

import re
import socket
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import Target, TargetFactory
from .net import exchange, get, request_bytes

TOKEN = "kali_token"


def network_address() -> str | None:
    """This machine's address on its default route (no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the route
            address: str = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


ADDRESSES = ["127.0.0.1", network_address() or "none"]


def printed_url(target: Target) -> str:
    found = re.search(r"serving on (\S+)", target.output())
    assert found, target.output()
    return found[1]


def token_of(target: Target) -> str:
    query = parse_qs(urlsplit(printed_url(target)).query)
    assert TOKEN in query, f"no token in {printed_url(target)}"
    return query[TOKEN][0]


@pytest.fixture
def exposed(start_target: TargetFactory) -> Target:
    return start_target("native", "--address", "0.0.0.0")


def test_the_printed_url_carries_a_token(exposed: Target) -> None:
    token = token_of(exposed)
    assert len(token) >= 16


def test_the_server_warns_on_start(exposed: Target) -> None:
    assert re.search(r"(?i)warn.*(network|0\.0\.0\.0|other computers)", exposed.output())


@pytest.mark.parametrize("address", ADDRESSES)
def test_a_request_without_the_cookie_gets_403(exposed: Target, address: str) -> None:
    if address == "none":
        pytest.skip("this machine has no non-loopback address")
    reply = get(exposed.port, "/", host=f"{address}:{exposed.port}", host_address=address)
    assert reply.status == 403


@pytest.mark.parametrize("address", ADDRESSES)
def test_the_token_is_exchanged_for_a_cookie(exposed: Target, address: str) -> None:
    if address == "none":
        pytest.skip("this machine has no non-loopback address")
    host = f"{address}:{exposed.port}"
    token = token_of(exposed)
    first = exchange(
        exposed.port, request_bytes("GET", f"/count?{TOKEN}={token}", host=host), host=address
    )
    assert 300 <= first.status < 400
    location = first.header("location") or ""
    assert "token" not in location and location.endswith("/count")
    (cookie,) = first.header_all("set-cookie")
    assert "HttpOnly" in cookie
    pair = cookie.split(";", 1)[0]
    later = exchange(
        exposed.port,
        request_bytes("GET", "/count", host=host, headers=[("Cookie", pair)]),
        host=address,
    )
    assert later.status == 200
    altered = pair[:-1] + ("x" if pair[-1] != "x" else "y")  # always another token
    forged = exchange(
        exposed.port,
        request_bytes("GET", "/count", host=host, headers=[("Cookie", altered)]),
        host=address,
    )
    assert forged.status == 403
