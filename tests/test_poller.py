"""Which sockets are ready (kali._poller): epoll and the `selectors` poller agree."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator

import pytest

from kali._poller import READ, WRITE, Poller, SelectorPoller, new_poller


@pytest.fixture(params=["system", "selectors"])
def poller(request: pytest.FixtureRequest) -> Iterator[Poller]:
    made = new_poller() if request.param == "system" else SelectorPoller()
    yield made
    made.close()


def test_the_constants_are_epolls() -> None:
    if hasattr(select, "epoll"):
        assert (READ, WRITE) == (select.EPOLLIN, select.EPOLLOUT)


def test_a_socket_is_ready_for_what_it_is_watched_for(poller: Poller) -> None:
    a, b = socket.socketpair()
    with a, b:
        a.setblocking(False)
        poller.register(a.fileno(), READ)
        assert poller.poll(0) == []  # nothing to read yet
        b.send(b"x")
        [(fd, events)] = poller.poll(1)
        assert fd == a.fileno() and events & READ and not events & WRITE
        a.recv(1)
        poller.modify(a.fileno(), WRITE)
        [(fd, events)] = poller.poll(1)
        assert fd == a.fileno() and events & WRITE and not events & READ
        poller.unregister(a.fileno())
        b.send(b"y")
        assert poller.poll(0) == []


def test_a_hang_up_wakes_a_watched_socket(poller: Poller) -> None:
    a, b = socket.socketpair()
    with a:
        poller.register(a.fileno(), READ)
        b.close()
        [(fd, _)] = poller.poll(1)
        assert fd == a.fileno() and a.recv(1) == b""


def test_the_system_poller_is_epoll_on_linux() -> None:
    made = new_poller()
    try:
        assert isinstance(made, select.epoll) == hasattr(select, "epoll")
    finally:
        made.close()
