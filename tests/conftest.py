"""Shared fixtures: a live kali server on a free loopback port, and Chromium."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import kali
from kali.server import Server

ServerFactory = Callable[..., Server]


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for the tests that run mypy with the same options (the docs and the
    tutorial), so kali is analysed once."""
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.fixture
def live_server() -> Iterator[ServerFactory]:
    """Start ``kali.Server(handler, port=0, ...)`` in a thread; stopped after the test."""
    started: list[tuple[Server, threading.Thread]] = []

    def start(handler: kali.Handler, **options: object) -> Server:
        options.setdefault("access_log", False)
        server = Server(handler, port=0, **options)  # type: ignore[arg-type]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        started.append((server, thread))
        return server

    yield start
    for server, thread in started:
        server.shutdown()
        thread.join(10)
        assert not thread.is_alive(), "the server did not stop"


def chromium_path() -> str | None:
    """Debian's Chromium, or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture
def chromium() -> str:
    """The Chromium executable; browser tests skip without it, except in CI."""
    return require_chromium()


def require_chromium() -> str:
    """The Chromium executable, or a skip (a failure when `CI=true`) without it or Playwright."""
    path = chromium_path()
    try:
        import playwright  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Chromium or Playwright is missing (.ci/run installs it)")
        pytest.skip("no Chromium (apt-get install chromium) or no playwright: browser test skipped")
    return path


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
