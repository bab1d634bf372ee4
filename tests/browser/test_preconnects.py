"""A page of 21 assets loads while idle connections are held open.

Browsers open connections before they need them (preconnects) and may leave them idle.
The original kali served one connection at a time and, to get past such a connection,
waited for its first packet with a short timeout; a page with many assets then stalled.
Here ten raw sockets are connected and left silent, as idle preconnects would be, and
the gallery (18 pictures, the icon, a stylesheet and a script) must load all the same,
with the idle sockets still open afterwards.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from .conftest import Serve, assets_of, missing_assets, screenshot, watch

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = pytest.mark.browser

IDLE = 10


def test_a_page_of_21_assets_loads_while_idle_preconnects_are_held(
    serve: Serve, context: BrowserContext
) -> None:
    from playwright.sync_api import expect

    running = serve("static_site")
    address = urlsplit(running.url)
    assert address.hostname is not None and address.port is not None
    idle = [socket.create_connection((address.hostname, address.port)) for _ in range(IDLE)]
    try:
        page = context.new_page()
        watched = watch(page)
        page.goto(running.url + "gallery.html", wait_until="load")
        assert missing_assets(page) == []
        assert len(assets_of(page)) == 21
        expect(page.locator("#loaded")).to_have_text("18 of 18 pictures loaded")
        screenshot(page, "static_site-gallery-with-idle-preconnects")
        assert watched.errors() == [], running.log()
        # The silent connections were neither needed nor dropped: each is still open.
        for sock in idle:
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):  # nothing to read, and not closed
                sock.recv(1, socket.MSG_PEEK)
    finally:
        for sock in idle:
            sock.close()
