"""kali.listening: binding the server's socket, and the one-line reasons it fails."""

from __future__ import annotations

import errno
import resource
import socket
import sys

import pytest

from kali.listening import BindError, allow_descriptors, listen


def test_port_zero_listens_on_a_free_port() -> None:
    with listen("127.0.0.1", 0) as sock:
        host, port = sock.getsockname()[:2]
        assert host == "127.0.0.1" and port > 0
        with socket.create_connection((host, port), timeout=2):
            pass  # the backlog takes it before anyone accepts


def test_a_taken_port_says_what_to_do() -> None:
    with listen("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(BindError) as caught:
            listen("127.0.0.1", port)
    assert caught.value.errno == errno.EADDRINUSE
    message = caught.value.strerror or ""
    assert f"127.0.0.1 port {port} is already in use" in message
    assert "port=0" in message and "--port" in message
    assert "\n" not in message


def test_an_address_of_another_computer_says_to_use_loopback() -> None:
    # 192.0.2.0/24 is reserved for documentation: never an address of this machine.
    with pytest.raises(BindError, match=r"'192\.0\.2\.1' is not an address of this computer"):
        listen("192.0.2.1", 0)


@pytest.mark.skipif(sys.platform == "win32", reason="no RLIMIT_NOFILE")
def test_the_descriptor_limit_is_raised_toward_what_is_wanted() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        lower = min(soft, 256)
        resource.setrlimit(resource.RLIMIT_NOFILE, (lower, hard))
        allow_descriptors(lower + 100)
        raised = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        expected = lower + 100 if hard == resource.RLIM_INFINITY else min(lower + 100, hard)
        assert raised == expected
        allow_descriptors(10)  # never lowered
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == raised
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
