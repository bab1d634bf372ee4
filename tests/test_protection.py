"""The Host and cross-site checks: kali.protection.Guard."""

from __future__ import annotations

import pytest

from kali.protection import Guard, host_name, is_loopback


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("127.8.9.1", True),
        ("0.0.0.0", False),
        ("192.168.1.2", False),
        ("example.com", False),
    ],
)
def test_loopback_addresses(address: str, expected: bool) -> None:
    assert is_loopback(address) is expected


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("LocalHost:8080", "localhost"),
        ("[::1]:80", "::1"),
        ("[::1]", "::1"),
        ("example.com", "example.com"),
        (" a.b ", "a.b"),
    ],
)
def test_host_names(host: str, name: str) -> None:
    assert host_name(host) == name


def test_on_loopback_only_loopback_names_are_served() -> None:
    guard = Guard("127.0.0.1")
    for host in ("localhost:8080", "127.0.0.1:1", "[::1]:2", "app.localhost:8080"):
        assert guard.refuse("GET", host) is None, host
    for host in ("evil.example", "127.0.0.1.nip.io", "localhost.evil.example", "0.0.0.0"):
        why = guard.refuse("GET", host)
        assert why is not None and "DNS rebinding" in why, host


def test_cross_site_unsafe_requests_are_refused() -> None:
    guard = Guard("127.0.0.1")
    host = "localhost:8080"
    assert guard.refuse("POST", host, "http://localhost:8080", "same-origin") is None
    assert guard.refuse("POST", host, None, None) is None  # not a browser: no such headers
    assert guard.refuse("POST", host, None, "none") is None  # typed in the address bar
    assert guard.refuse("DELETE", host, "http://evil.example") is not None
    assert guard.refuse("POST", host, None, "cross-site") is not None
    assert guard.refuse("PUT", host, None, "same-site") is not None
    assert guard.refuse("GET", host, "http://evil.example", "cross-site") is None  # safe method


def test_allowed_hosts_replace_the_defaults_and_allow_adds_one() -> None:
    guard = Guard("127.0.0.1", ["myapp.local"])
    assert guard.refuse("GET", "myapp.local:8080") is None
    assert guard.refuse("GET", "localhost") is not None
    assert Guard("127.0.0.1", ["*"]).refuse("GET", "anything") is None
    guard.allow("other.local")
    assert guard.refuse("GET", "other.local") is None


def test_bound_beyond_loopback_any_host_is_served() -> None:
    assert Guard("0.0.0.0").refuse("GET", "my-laptop:8080") is None
